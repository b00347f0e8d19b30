// The topic backup file, version 1 (documented in docs/cli.md): JSON lines, gzip-compressed when
// the file name ends in .gz. Line 1 is a header (topic, partition count, topic configs, the
// offset range copied per partition), then one line per record (partition, offset, timestamp,
// key, value and headers, bytes in base64), then a trailer with the record count, so a truncated
// file is detected. JSON lines stream in both directions, survive any transport, and can be
// inspected with standard tools. The decoder treats the file as hostile: bounded line length and
// counts, strict types and base64, offsets increasing within the declared ranges, nothing after
// the trailer; any violation is a BackupFormatError naming the line.
import { BadInputError } from "../framework/errors.ts";

export const backupFormat = "samsa-topic-backup";
export const backupVersion = 1;

export const limits = {
  lineBytesMax: 128 * 1024 * 1024,
  partitionsMax: 100_000,
  configsMax: 1000,
  headersMax: 10_000,
  topicNameLengthMax: 249,
} as const;

export interface BackupRange {
  readonly partition: number;
  /** The first offset copied (the log start when the backup began). */
  readonly start: number;
  /** One past the last offset copied (the end when the backup began). */
  readonly end: number;
}

export interface BackupHeader {
  readonly topic: string;
  readonly partitions: number;
  /** Topic configs set on the topic (not defaults), to re-create it alike. */
  readonly configs: Readonly<Record<string, string>>;
  /** ISO 8601 time the backup began. */
  readonly createdAt: string;
  readonly ranges: readonly BackupRange[];
}

export interface BackupRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

export type BackupEntry =
  | { readonly kind: "header"; readonly header: BackupHeader }
  | { readonly kind: "record"; readonly record: BackupRecord };

export class BackupFormatError extends BadInputError {
  override readonly name: string = "BackupFormatError";
  readonly line: number;
  constructor(line: number, reason: string) {
    super(line > 0 ? `invalid backup file, line ${line}: ${reason}` : `invalid backup file: ${reason}`);
    this.line = line;
  }
}

// ---------------------------------------------------------------------------------------------- encoding

const b64 = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString("base64"));

export function encodeHeader(header: BackupHeader): string {
  return (
    JSON.stringify({
      format: backupFormat,
      version: backupVersion,
      topic: header.topic,
      partitions: header.partitions,
      configs: header.configs,
      createdAt: header.createdAt,
      ranges: header.ranges.map((r) => ({ partition: r.partition, start: r.start, end: r.end })),
    }) + "\n"
  );
}

export function encodeRecord(record: BackupRecord): string {
  return (
    JSON.stringify({
      p: record.partition,
      o: record.offset,
      t: record.timestamp,
      k: b64(record.key),
      v: b64(record.value),
      h: record.headers.map(([k, v]) => [k, b64(v)]),
    }) + "\n"
  );
}

export function encodeTrailer(records: number): string {
  return JSON.stringify({ end: true, records }) + "\n";
}

// ---------------------------------------------------------------------------------------------- decoding

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function onlyKeys(line: number, value: { [key: string]: Json }, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key))
      throw new BackupFormatError(line, `unknown field ${JSON.stringify(key)} in the ${what}`);
}

function integer(line: number, value: Json | undefined, what: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max)
    throw new BackupFormatError(line, `${what} must be an integer in [${min}, ${max}]`);
  return value;
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytes(line: number, value: Json | undefined, what: string): Buffer | null {
  if (value === null) return null;
  if (typeof value !== "string" || !base64Pattern.test(value))
    throw new BackupFormatError(line, `${what} must be base64 or null`);
  return Buffer.from(value, "base64");
}

function parseJsonLine(line: number, text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new BackupFormatError(line, "not valid JSON");
  }
}

export function decodeHeader(line: number, text: string): BackupHeader {
  const value = parseJsonLine(line, text);
  if (!isObject(value) || value["format"] !== backupFormat)
    throw new BackupFormatError(line, `not a Samsa topic backup (the first line must be its header)`);
  const version = value["version"];
  if (version !== backupVersion)
    throw new BackupFormatError(
      line,
      typeof version === "number" && version > backupVersion
        ? `version ${version} was written by a newer samsa; this one reads version ${backupVersion}`
        : `unsupported version ${JSON.stringify(version)}`,
    );
  onlyKeys(line, value, ["format", "version", "topic", "partitions", "configs", "createdAt", "ranges"], "header");
  const topic = value["topic"];
  if (typeof topic !== "string" || !/^[a-zA-Z0-9._-]+$/.test(topic) || topic.length > limits.topicNameLengthMax)
    throw new BackupFormatError(line, "topic must be a valid topic name");
  const partitions = integer(line, value["partitions"], "partitions", 1, limits.partitionsMax);
  const configsValue = value["configs"];
  if (!isObject(configsValue)) throw new BackupFormatError(line, "configs must be an object");
  const configEntries = Object.entries(configsValue);
  if (configEntries.length > limits.configsMax) throw new BackupFormatError(line, "too many configs");
  const configs: Record<string, string> = {};
  for (const [name, v] of configEntries) {
    if (typeof v !== "string") throw new BackupFormatError(line, `config ${JSON.stringify(name)} must be a string`);
    configs[name] = v;
  }
  const createdAt = value["createdAt"];
  if (typeof createdAt !== "string" || Number.isNaN(Date.parse(createdAt)))
    throw new BackupFormatError(line, "createdAt must be an ISO 8601 time");
  const rangesValue = value["ranges"];
  if (!Array.isArray(rangesValue) || rangesValue.length > partitions)
    throw new BackupFormatError(line, "ranges must be a list of at most one range per partition");
  const seen = new Set<number>();
  const ranges = rangesValue.map((r) => {
    if (!isObject(r)) throw new BackupFormatError(line, "a range must be an object");
    onlyKeys(line, r, ["partition", "start", "end"], "range");
    const partition = integer(line, r["partition"], "range partition", 0, partitions - 1);
    if (seen.has(partition)) throw new BackupFormatError(line, `two ranges for partition ${partition}`);
    seen.add(partition);
    const start = integer(line, r["start"], "range start", 0, Number.MAX_SAFE_INTEGER);
    const end = integer(line, r["end"], "range end", start, Number.MAX_SAFE_INTEGER);
    return { partition, start, end };
  });
  return { topic, partitions, configs, createdAt, ranges };
}

/**
 * Incremental decoder: push chunks of the (decompressed) file, get entries back; `end()` checks
 * that the trailer arrived. `next` offsets per partition must increase within the declared ranges.
 */
export class BackupDecoder {
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #line = 0;
  #header: BackupHeader | undefined;
  #ranges = new Map<number, BackupRange>();
  #nextOffset = new Map<number, number>();
  #records = 0;
  #ended = false;

  get header(): BackupHeader | undefined {
    return this.#header;
  }

  get records(): number {
    return this.#records;
  }

  push(chunk: Uint8Array): BackupEntry[] {
    const entries: BackupEntry[] = [];
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let newline = data.indexOf(10);
    while (newline >= 0) {
      const piece = data.subarray(0, newline);
      const lineBytes = this.#bufferedBytes + piece.length;
      if (lineBytes > limits.lineBytesMax)
        throw new BackupFormatError(this.#line + 1, `longer than ${limits.lineBytesMax} bytes`);
      const whole = this.#bufferedBytes === 0 ? piece : Buffer.concat([...this.#buffered, piece]);
      this.#buffered = [];
      this.#bufferedBytes = 0;
      const entry = this.#lineEntry(whole.toString("utf8"));
      if (entry !== undefined) entries.push(entry);
      data = data.subarray(newline + 1);
      newline = data.indexOf(10);
    }
    if (data.length > 0) {
      this.#bufferedBytes += data.length;
      if (this.#bufferedBytes > limits.lineBytesMax)
        throw new BackupFormatError(this.#line + 1, `longer than ${limits.lineBytesMax} bytes`);
      this.#buffered.push(Buffer.from(data));
    }
    return entries;
  }

  /** Checks the file ended properly (a trailer whose count matches, nothing after it). */
  end(): void {
    if (this.#bufferedBytes > 0) {
      // A last line without a newline: only whitespace is tolerated.
      const rest = Buffer.concat(this.#buffered).toString("utf8");
      this.#buffered = [];
      this.#bufferedBytes = 0;
      if (rest.trim() !== "") {
        const entry = this.#lineEntry(rest);
        if (entry !== undefined) throw new BackupFormatError(this.#line, "truncated: no trailer after the last record");
      }
    }
    if (this.#header === undefined) throw new BackupFormatError(0, "empty file");
    if (!this.#ended) throw new BackupFormatError(this.#line, `truncated: no trailer after ${this.#records} records`);
  }

  #lineEntry(text: string): BackupEntry | undefined {
    const line = ++this.#line;
    if (this.#ended) {
      if (text.trim() === "") return undefined;
      throw new BackupFormatError(line, "data after the trailer");
    }
    if (this.#header === undefined) {
      const header = decodeHeader(line, text);
      this.#header = header;
      for (const r of header.ranges) this.#ranges.set(r.partition, r);
      return { kind: "header", header };
    }
    const value = parseJsonLine(line, text);
    if (!isObject(value)) throw new BackupFormatError(line, "a line must be a JSON object");
    if (value["end"] === true) {
      onlyKeys(line, value, ["end", "records"], "trailer");
      const count = integer(line, value["records"], "records", 0, Number.MAX_SAFE_INTEGER);
      if (count !== this.#records)
        throw new BackupFormatError(line, `the trailer counts ${count} records, the file has ${this.#records}`);
      this.#ended = true;
      return undefined;
    }
    return { kind: "record", record: this.#record(line, value) };
  }

  #record(line: number, value: { [key: string]: Json }): BackupRecord {
    const header = this.#header;
    if (header === undefined) throw new BackupFormatError(line, "a record before the header");
    onlyKeys(line, value, ["p", "o", "t", "k", "v", "h"], "record");
    const partition = integer(line, value["p"], "p (partition)", 0, header.partitions - 1);
    const range = this.#ranges.get(partition);
    if (range === undefined) throw new BackupFormatError(line, `partition ${partition} has no range in the header`);
    const offset = integer(line, value["o"], "o (offset)", range.start, Math.max(range.start, range.end - 1));
    if (offset >= range.end)
      throw new BackupFormatError(line, `offset ${offset} is outside partition ${partition}'s range`);
    const next = this.#nextOffset.get(partition) ?? range.start;
    if (offset < next)
      throw new BackupFormatError(line, `offset ${offset} does not increase in partition ${partition}`);
    this.#nextOffset.set(partition, offset + 1);
    const timestamp = integer(line, value["t"], "t (timestamp)", -1, Number.MAX_SAFE_INTEGER);
    const key = bytes(line, value["k"], "k (key)");
    const recordValue = bytes(line, value["v"], "v (value)");
    const headersValue = value["h"];
    if (!Array.isArray(headersValue) || headersValue.length > limits.headersMax)
      throw new BackupFormatError(line, `h (headers) must be a list of at most ${limits.headersMax}`);
    const headers = headersValue.map((h) => {
      if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== "string")
        throw new BackupFormatError(line, "a header must be [name, base64 or null]");
      return [h[0], bytes(line, h[1], "a header value")] as const;
    });
    this.#records++;
    return { partition, offset, timestamp, key, value: recordValue, headers };
  }
}
