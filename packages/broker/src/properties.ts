// Java .properties text, as Java's Properties.load reads Kafka's server.properties and client
// config files: `key=value`, `key: value` or `key value`; `#`/`!` comment lines; a line ending in
// an odd number of backslashes continues on the next (its leading whitespace dropped);
// the escapes `\t \n \r \f`, `\u` with four hex digits, and `\X` for X (so `\\` is one
// backslash). Values are trimmed, as Kafka's config parsing trims them. Text is read as UTF-8
// (Java reads a stream as ISO-8859-1; `\u` escapes are the portable way to write other
// characters). Bounded: the text's size and the number of entries; every failure is a
// PropertiesError naming the line, never its content (which may hold a password).
export class PropertiesError extends Error {
  override readonly name = "PropertiesError";
}

/** The largest properties text read (real files are a few kilobytes). */
export const propertiesBytesMax = 1024 * 1024;
/** The most entries one text may hold. */
export const propertiesEntriesMax = 10_000;

const whitespace = new Set([" ", "\t", "\f"]);

/** Parses .properties text; the last of repeated keys wins. Throws only PropertiesError. */
export function parseJavaProperties(text: string, source = "the properties"): Map<string, string> {
  if (text.length > propertiesBytesMax)
    throw new PropertiesError(`${source} is larger than ${propertiesBytesMax} bytes`);
  if (text.includes("\0")) throw new PropertiesError(`${source} is not a text file (it holds NUL bytes)`);
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
      throw new PropertiesError(`${source} has more than ${propertiesEntriesMax} entries`);
    out.set(key, value.trim());
  }
  return out;
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
        if (!/^[0-9a-fA-F]{4}$/.test(hex))
          throw new PropertiesError(`${where}: malformed \\u escape (four hex digits expected)`);
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
