// How `samsa consume` prints a record: a template with {placeholders} (key, value, headers,
// partition, offset, timestamp, time, topic) or a JSON line; bytes shown as text (UTF-8), base64
// or hex. Pure, so the formats are unit-tested.
import { UsageError } from "../framework/errors.ts";
import type { FetchedRecord } from "./fetcher.ts";

export const encodings = ["text", "base64", "hex"] as const;
export type Encoding = (typeof encodings)[number];

export const placeholders = ["topic", "partition", "offset", "timestamp", "time", "key", "value", "headers"] as const;
type Placeholder = (typeof placeholders)[number];

type Part = { readonly literal: string } | { readonly field: Placeholder };

export interface RecordTemplate {
  readonly parts: readonly Part[];
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_all, c: string) => {
    switch (c) {
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "0":
        return "\0";
      case "\\":
        return "\\";
      default:
        throw new UsageError(`--format: unknown escape \\${c}`);
    }
  });
}

/** Parses `{key}={value}\n`-style templates; `{{` and `}}` are literal braces. */
export function parseTemplate(text: string): RecordTemplate {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "{" && text[i + 1] === "{") {
      literal += "{";
      i++;
    } else if (c === "}" && text[i + 1] === "}") {
      literal += "}";
      i++;
    } else if (c === "{") {
      const close = text.indexOf("}", i);
      if (close < 0) throw new UsageError(`--format: unclosed { at position ${i}`);
      const name = text.slice(i + 1, close);
      if (!(placeholders as readonly string[]).includes(name))
        throw new UsageError(
          `--format: unknown placeholder {${name}}; known: ${placeholders.map((p) => `{${p}}`).join(" ")}`,
        );
      if (literal !== "") parts.push({ literal: unescape(literal) });
      literal = "";
      parts.push({ field: name as Placeholder });
      i = close;
    } else {
      literal += c;
    }
  }
  if (literal !== "") parts.push({ literal: unescape(literal) });
  return { parts };
}

export function encodeBytes(bytes: Buffer | null, encoding: Encoding): string | null {
  if (bytes === null) return null;
  switch (encoding) {
    case "text":
      return bytes.toString("utf8");
    case "base64":
      return bytes.toString("base64");
    case "hex":
      return bytes.toString("hex");
  }
}

export function formatRecord(
  template: RecordTemplate,
  topic: string,
  record: FetchedRecord,
  encoding: Encoding,
): string {
  let out = "";
  for (const part of template.parts) {
    if ("literal" in part) {
      out += part.literal;
      continue;
    }
    switch (part.field) {
      case "topic":
        out += topic;
        break;
      case "partition":
        out += String(record.partition);
        break;
      case "offset":
        out += String(record.offset);
        break;
      case "timestamp":
        out += String(record.timestamp);
        break;
      case "time": {
        const ms = Number(record.timestamp);
        out += Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(record.timestamp);
        break;
      }
      case "key":
        out += encodeBytes(record.key, encoding) ?? "";
        break;
      case "value":
        out += encodeBytes(record.value, encoding) ?? "";
        break;
      case "headers":
        out += record.headers.map(([k, v]) => `${k}=${encodeBytes(v, encoding) ?? ""}`).join(",");
        break;
    }
  }
  return out;
}

/** A record as one JSON object (offsets and timestamps as numbers: they fit in 2^53). */
export function recordJson(topic: string, record: FetchedRecord, encoding: Encoding): string {
  return JSON.stringify({
    topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: Number(record.timestamp),
    timestampType: record.timestampType,
    key: encodeBytes(record.key, encoding),
    value: encodeBytes(record.value, encoding),
    headers: record.headers.map(([key, value]) => ({ key, value: encodeBytes(value, encoding) })),
  });
}
