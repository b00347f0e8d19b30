// Splitting byte streams into records for `samsa produce`: lines (any bytes but the delimiter,
// a trailing \r dropped), bounded in length, an optional key separator, and escapes (`\t`, `\n`,
// `\0`, `\xNN`) for separators typed on a command line. Pure.
import { BadInputError, UsageError } from "./errors.ts";

/** Turns `\t`, `\n`, `\r`, `\0`, `\\` and `\xNN` into bytes. */
export function unescapeSeparator(text: string, what: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c !== "\\") {
      out.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const next = text[++i];
    switch (next) {
      case "t":
        out.push(9);
        break;
      case "n":
        out.push(10);
        break;
      case "r":
        out.push(13);
        break;
      case "0":
        out.push(0);
        break;
      case "\\":
        out.push(92);
        break;
      case "x": {
        const hex = text.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new UsageError(`${what}: \\x needs two hex digits`);
        out.push(parseInt(hex, 16));
        i += 2;
        break;
      }
      case undefined:
      default:
        throw new UsageError(`${what}: unknown escape \\${next ?? ""}`);
    }
  }
  if (out.length === 0) throw new UsageError(`${what} must not be empty`);
  return Buffer.from(out);
}

/** Splits chunks into lines at `delimiter` (default \n); a line longer than `lineBytesMax` is an error. */
export class LineSplitter {
  readonly #delimiter: Buffer;
  readonly #lineBytesMax: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #line = 0;

  constructor(options: { delimiter?: Buffer; lineBytesMax?: number } = {}) {
    this.#delimiter = options.delimiter ?? Buffer.from("\n");
    this.#lineBytesMax = options.lineBytesMax ?? 16 * 1024 * 1024;
  }

  /** The 1-based number of the last line returned. */
  get lineNumber(): number {
    return this.#line;
  }

  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let data = this.#pendingBytes === 0 ? chunk : Buffer.concat([...this.#pending, chunk]);
    // Search only the new bytes (and the delimiter's width before them) for the delimiter.
    let searchFrom = Math.max(0, this.#pendingBytes - this.#delimiter.length + 1);
    this.#pending = [];
    this.#pendingBytes = 0;
    for (;;) {
      const at = data.indexOf(this.#delimiter, searchFrom);
      if (at < 0) break;
      lines.push(this.#finish(data.subarray(0, at)));
      data = data.subarray(at + this.#delimiter.length);
      searchFrom = 0;
    }
    if (data.length > this.#lineBytesMax)
      throw new BadInputError(`line ${this.#line + 1} is longer than ${this.#lineBytesMax} bytes`);
    if (data.length > 0) {
      this.#pending.push(Buffer.from(data));
      this.#pendingBytes = data.length;
    }
    return lines;
  }

  /** The last line when the input does not end with the delimiter. */
  end(): Buffer[] {
    if (this.#pendingBytes === 0) return [];
    const last = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    return [this.#finish(last)];
  }

  #finish(line: Buffer): Buffer {
    this.#line++;
    if (line.length > this.#lineBytesMax)
      throw new BadInputError(`line ${this.#line} is longer than ${this.#lineBytesMax} bytes`);
    return line.length > 0 && line[line.length - 1] === 13 && this.#delimiter[0] === 10 ? line.subarray(0, -1) : line;
  }
}

/** Splits a line into key and value at the first separator; no separator means a null key. */
export function splitKey(line: Buffer, separator: Buffer | undefined): { key: Buffer | null; value: Buffer } {
  if (separator === undefined) return { key: null, value: line };
  const at = line.indexOf(separator);
  if (at < 0) return { key: null, value: line };
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length) };
}

/** How long to wait before sending more so that `sent` records stay within `ratePerSecond`. */
export function rateDelayMs(sent: number, ratePerSecond: number, elapsedMs: number): number {
  return Math.max(0, (sent / ratePerSecond) * 1000 - elapsedMs);
}
