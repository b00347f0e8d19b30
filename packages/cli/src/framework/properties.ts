// Java .properties text, as Kafka's tools read a client config file (--command-config): `key=value`,
// `key: value` or `key value`; `#`/`!` comment lines; a line ending in an odd number of
// backslashes continues on the next; `\t \n \r \f \uXXXX` escapes and `\X` for X. Values are
// trimmed, as Kafka's config parsing trims them. The file is hostile input: its size and entry
// count are bounded, it must be UTF-8 text, and every failure is one ClientConfigError (exit 5)
// naming the line — never its content, which may hold a password.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ClientConfigError } from "./errors.ts";

/** The largest client config file read (real ones are a few hundred bytes). */
export const propertiesBytesMax = 1024 * 1024;
/** The most entries one file may hold. */
export const propertiesEntriesMax = 10_000;

const whitespace = new Set([" ", "\t", "\f"]);

/** Parses .properties text; the last of repeated keys wins. Throws only ClientConfigError. */
export function parseProperties(text: string, source = "the config file"): Map<string, string> {
  if (text.length > propertiesBytesMax)
    throw new ClientConfigError(`${source} is larger than ${propertiesBytesMax} bytes`);
  if (text.includes("\0")) throw new ClientConfigError(`${source} is not a text file (it holds NUL bytes)`);
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = skipWhitespace(lines[i] ?? "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // A comment never continues; a logical line does while it ends in an odd number of backslashes.
    while (endsInEscape(line)) {
      line = line.slice(0, -1);
      if (i + 1 >= lines.length) break;
      line += skipWhitespace(lines[++i] ?? "");
    }
    const { key, value } = splitEntry(line, `${source}, line ${first}`);
    if (!out.has(key) && out.size >= propertiesEntriesMax)
      throw new ClientConfigError(`${source} has more than ${propertiesEntriesMax} entries`);
    out.set(key, value.trim());
  }
  return out;
}

/** Reads and parses a client config file, bounded in size; any failure is a ClientConfigError. */
export function readPropertiesFile(path: string, what: string): Map<string, string> {
  return parseProperties(readTextFile(path, what, propertiesBytesMax), `${what} ${path}`);
}

/**
 * Reads a small text file (a config, a PEM file) as strict UTF-8, refusing more than `bytesMax`
 * bytes. Errors name the file and the reason (ENOENT, EACCES, a directory, too large, not UTF-8).
 */
export function readTextFile(path: string, what: string, bytesMax: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ClientConfigError(`${what} ${path} is not a file`);
    // Read one byte more than allowed: a file that grows while read is still caught.
    const buffer = Buffer.alloc(Math.min(bytesMax, Math.max(stat.size, 0)) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > bytesMax) throw new ClientConfigError(`${what} ${path} is larger than ${bytesMax} bytes`);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new ClientConfigError(`${what} ${path} is not UTF-8 text`);
    }
  } catch (error) {
    if (error instanceof ClientConfigError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ClientConfigError(`cannot read ${what} ${path} (${reason})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function skipWhitespace(line: string): string {
  let i = 0;
  while (i < line.length && whitespace.has(line[i] ?? "")) i++;
  return line.slice(i);
}

function endsInEscape(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** Splits a logical line at the first unescaped `=`, `:` or whitespace (then one `=`/`:` may follow). */
function splitEntry(line: string, where: string): { key: string; value: string } {
  let i = 0;
  while (i < line.length) {
    const c = line[i] ?? "";
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "=" || c === ":" || whitespace.has(c)) break;
    i++;
  }
  const keyEnd = Math.min(i, line.length);
  let j = keyEnd;
  while (j < line.length && whitespace.has(line[j] ?? "")) j++;
  if (j < line.length && (line[j] === "=" || line[j] === ":")) j++;
  while (j < line.length && whitespace.has(line[j] ?? "")) j++;
  return { key: unescape(line.slice(0, keyEnd), where), value: unescape(line.slice(j), where) };
}

function unescape(text: string, where: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    switch (next) {
      case undefined:
        break;
      case "t":
        out += "\t";
        break;
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "f":
        out += "\f";
        break;
      case "u": {
        const hex = text.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ClientConfigError(`${where}: malformed \\uXXXX escape`);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}
