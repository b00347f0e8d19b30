// A client config file (--command-config), read as Kafka's tools read it: Java .properties text
// (parsed by @samsa/broker's parseJavaProperties, the one parser for broker and client configs).
// The file is hostile input: its size and entry count are bounded, it must be UTF-8 text, and every
// failure is one ClientConfigError (exit 5) naming the line — never its content, which may hold a
// password.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parseJavaProperties, PropertiesError, propertiesBytesMax } from "@samsa/broker";
import { ClientConfigError } from "./errors.ts";

export { propertiesBytesMax, propertiesEntriesMax } from "@samsa/broker";

/** Parses .properties text; the last of repeated keys wins. Throws only ClientConfigError. */
export function parseProperties(text: string, source = "the config file"): Map<string, string> {
  try {
    return parseJavaProperties(text, source);
  } catch (error) {
    if (error instanceof PropertiesError) throw new ClientConfigError(error.message);
    throw error;
  }
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
