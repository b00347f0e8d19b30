// Java regular expressions (java.util.regex.Pattern) on JavaScript's engine, for patterns an
// operator wrote for Kafka (ssl.principal.mapping.rules). A parser for Java's syntax emits a
// JavaScript RegExp (v flag) with the same meaning: Java's ASCII-only case folding, its `.`, `$`,
// `\s`, `\b` and POSIX classes are spelled out explicitly rather than left to JavaScript's
// different defaults. What cannot be rendered with the same meaning is refused (JavaRegexError),
// never approximated. Also Java's replacement syntax for Matcher.replaceAll ($n, ${name}, \x).
// Java 19+ semantics where Java versions differ (\b uses ASCII word characters).

/** A pattern Java refuses ("syntax"), or valid Java that has no exact JavaScript rendering here ("unsupported"). */
export class JavaRegexError extends Error {
  override readonly name = "JavaRegexError";
  readonly kind: "syntax" | "unsupported";
  /** Where (in code points, after \Q..\E quoting is expanded) a parse problem was found; 0 for the checks after parsing. */
  readonly index: number;
  constructor(kind: "syntax" | "unsupported", message: string, index: number) {
    super(message);
    this.kind = kind;
    this.index = index;
  }
}

export interface JavaRegex {
  /** The Java pattern as written. */
  readonly pattern: string;
  /** JavaScript source with the same meaning, for the `v` flag. */
  readonly source: string;
  readonly groupCount: number;
  readonly groupNames: ReadonlyMap<string, number>;
  /** The whole input must match (Matcher.matches). */
  readonly whole: RegExp;
  /** Every match, left to right (Matcher.find, as replaceAll walks them). */
  readonly global: RegExp;
}

/** How deeply groups and classes may nest (a bound on the parser's recursion). */
export const javaRegexNestingMax = 200;

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

type Node =
  | { readonly type: "empty" }
  /** One character: a literal, an ASCII case pair or a class. */
  | { readonly type: "atom"; readonly js: string }
  /** A zero-width assertion (^, $, \b, ...). */
  | { readonly type: "assert"; readonly js: string }
  | { readonly type: "group"; readonly capture: boolean; readonly name: string | undefined; readonly body: Node }
  | { readonly type: "look"; readonly behind: boolean; readonly negative: boolean; readonly body: Node }
  | { readonly type: "alt"; readonly alternatives: readonly Node[] }
  | { readonly type: "seq"; readonly items: readonly Node[] }
  | {
      readonly type: "repeat";
      readonly body: Node;
      readonly min: number;
      readonly max: number;
      readonly lazy: boolean;
    };

const intMax = 0x7fffffff;
const cpMax = 0x10ffff;

const ch = (c: string): number => c.codePointAt(0) ?? 0;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isAsciiUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isAsciiLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isAsciiAlpha = (c: number): boolean => isAsciiUpper(c) || isAsciiLower(c);
const isAsciiAlnum = (c: number): boolean => isAsciiAlpha(c) || isDigit(c);
const hexValue = (c: number): number => (isDigit(c) ? c - 0x30 : (c | 0x20) - 0x61 + 10);

/** A code point as JavaScript regex source (the same inside and outside classes, v flag). */
function literal(cp: number): string {
  return isAsciiAlnum(cp) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

// Java's predefined classes, as v-flag class sources.
const sets = {
  digit: "[0-9]",
  word: "[a-zA-Z0-9_]",
  space: "[\\t\\n\\u{b}\\f\\r\\u{20}]",
  horizontal: "[\\t\\u{20}\\u{a0}\\u{1680}\\u{180e}\\u{2000}-\\u{200a}\\u{202f}\\u{205f}\\u{3000}]",
  vertical: "[\\n\\u{b}\\f\\r\\u{85}\\u{2028}\\u{2029}]",
  dot: "[^\\n\\r\\u{85}\\u{2028}\\u{2029}]",
  all: "[\\u{0}-\\u{10ffff}]",
} as const;
const negate = (set: string): string => `[^${set}]`;

const lineTerminator = "[\\n\\r\\u{85}\\u{2028}\\u{2029}]";
/** `$` without MULTILINE: the end, or before a line terminator that ends the input (not between \r and \n). */
const dollar = "(?=(?:\\r\\n|(?<!\\r)\\n|[\\r\\u{85}\\u{2028}\\u{2029}])?$)";
/** `$` with MULTILINE: before any line terminator (not between \r and \n), or at the end. */
const multilineDollar = `(?=${lineTerminator}|$)(?!(?<=\\r)\\n)`;
/** `^` with MULTILINE: at the start or after a line terminator (not between \r and \n), never at the end. */
const multilineCaret = `(?:^|(?<=${lineTerminator})(?!(?<=\\r)\\n))(?!$)`;
// \b and \B (Java 19+): ASCII word characters, plus non-spacing marks that follow a letter or digit.
const wordBefore = "[a-zA-Z0-9_]|[\\p{L}\\p{Nd}]\\p{Mn}+";
const wordLeft = `(?<=${wordBefore})`;
const notWordLeft = `(?<!${wordBefore})`;
const wordRight = "(?:(?=[a-zA-Z0-9_])|(?=\\p{Mn})(?<=[\\p{L}\\p{Nd}]\\p{Mn}*))";
const wordBoundary = `(?:${wordLeft}(?!${wordRight})|${notWordLeft}${wordRight})`;
const notWordBoundary = `(?:${wordLeft}${wordRight}|${notWordLeft}(?!${wordRight}))`;

// \p{...}: POSIX classes (US-ASCII in Java), general categories, scripts.
const posixClasses: Readonly<Record<string, string>> = {
  ASCII: "[\\u{0}-\\u{7f}]",
  Alnum: "[a-zA-Z0-9]",
  Alpha: "[a-zA-Z]",
  Blank: "[\\t\\u{20}]",
  Cntrl: "[\\u{0}-\\u{1f}\\u{7f}]",
  Digit: "[0-9]",
  Graph: "[\\u{21}-\\u{7e}]",
  Lower: "[a-z]",
  Print: "[\\u{20}-\\u{7e}]",
  Punct: "[\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}]",
  Space: sets.space,
  Upper: "[A-Z]",
  XDigit: "[0-9a-fA-F]",
  L1: "[\\u{0}-\\u{ff}]",
  all: sets.all,
};
const generalCategories = new Set([
  "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Me", "Mc", "Nd", "Nl", "No", "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cs",
  "Pd", "Ps", "Pe", "Pc", "Po", "Sm", "Sc", "Sk", "So", "Pi", "Pf", "L", "M", "N", "Z", "C", "P", "S", "LC",
]); // prettier-ignore
/** What `\p{Is...}` names as a binary property or a Unicode POSIX class (upper case): not supported here. */
const binaryProperties = new Set([
  "ALPHABETIC", "ASSIGNED", "CONTROL", "EMOJI", "EMOJI_PRESENTATION", "EMOJI_MODIFIER", "EMOJI_MODIFIER_BASE",
  "EMOJI_COMPONENT", "EXTENDED_PICTOGRAPHIC", "HEXDIGIT", "HEX_DIGIT", "IDEOGRAPHIC", "JOINCONTROL", "JOIN_CONTROL",
  "LETTER", "LOWERCASE", "NONCHARACTERCODEPOINT", "NONCHARACTER_CODE_POINT", "TITLECASE", "PUNCTUATION",
  "UPPERCASE", "WHITESPACE", "WHITE_SPACE", "WORD", "ALPHA", "LOWER", "UPPER", "SPACE", "PUNCT", "XDIGIT", "ALNUM",
  "CNTRL", "DIGIT", "BLANK", "GRAPH", "PRINT",
]); // prettier-ignore

function categoryClass(name: string, caseInsensitive: boolean): string | undefined {
  if (caseInsensitive && (name === "Lu" || name === "Ll" || name === "Lt")) return "\\p{LC}";
  if (generalCategories.has(name)) return `\\p{${name}}`;
  if (name === "LD") return "[\\p{L}\\p{Nd}]";
  return undefined;
}

function posixClass(name: string, caseInsensitive: boolean): string | undefined {
  if (caseInsensitive && (name === "Lower" || name === "Upper")) return posixClasses["Alpha"];
  return Object.hasOwn(posixClasses, name) ? posixClasses[name] : undefined;
}

/** A Unicode script by Java's name or alias (case-insensitive), as JavaScript spells it; undefined if JavaScript knows none. */
function scriptClass(name: string): string | undefined {
  const titled = name
    .split("_")
    .map((part) => (part === "" ? part : part[0]?.toUpperCase() + part.slice(1).toLowerCase()))
    .join("_");
  for (const candidate of new Set([name, titled])) {
    if (!/^[A-Za-z_]+$/.test(candidate)) continue;
    try {
      new RegExp(`\\p{Script=${candidate}}`, "v");
      return `\\p{Script=${candidate}}`;
    } catch {
      // not a script name JavaScript knows
    }
  }
  return undefined;
}

/** Java's \Q...\E quoting, expanded as Java does before parsing: quoted characters become escaped literals. */
function expandQuoting(cps: readonly number[]): number[] {
  const bs = 0x5c;
  let i = 0;
  while (i < cps.length - 1) {
    if (cps[i] !== bs) i += 1;
    else if (cps[i + 1] !== ch("Q")) i += 2;
    else break;
  }
  if (i >= cps.length - 1) return [...cps];
  const out = cps.slice(0, i);
  i += 2;
  let inQuote = true;
  let beginQuote = true;
  while (i < cps.length) {
    const c = cps[i++] ?? 0;
    if (c > 0x7f || isAsciiAlpha(c)) {
      out.push(c);
    } else if (isDigit(c)) {
      // \x3N: a digit right after \Q must not extend an escape written before it.
      if (beginQuote) out.push(bs, ch("x"), ch("3"));
      out.push(c);
    } else if (c !== bs) {
      if (inQuote) out.push(bs);
      out.push(c);
    } else if (inQuote) {
      if (cps[i] === ch("E")) {
        i++;
        inQuote = false;
      } else {
        out.push(bs, bs);
      }
    } else if (cps[i] === ch("Q")) {
      i++;
      inQuote = true;
      beginQuote = true;
      continue;
    } else {
      out.push(c);
      if (i !== cps.length) out.push(cps[i++] ?? 0);
    }
    beginQuote = false;
  }
  return out;
}

type Escape = { readonly cp: number } | { readonly set: string } | { readonly assert: string };

class Parser {
  private readonly cps: number[];
  private pos = 0;
  groupCount = 0;
  readonly groupNames = new Map<string, number>();

  constructor(pattern: string) {
    this.cps = expandQuoting(Array.from(pattern, (c) => c.codePointAt(0) ?? 0));
  }

  /** The code point at `k` (0 past the end, as Java's parser reads it). */
  private at(k: number): number {
    return this.cps[k] ?? 0;
  }

  private get atEnd(): boolean {
    return this.pos >= this.cps.length;
  }

  private syntax(message: string, index = this.pos): JavaRegexError {
    return new JavaRegexError("syntax", message, index);
  }

  private unsupported(message: string, index = this.pos): JavaRegexError {
    return new JavaRegexError("unsupported", message, index);
  }

  parse(): Node {
    const node = this.expression({ i: false, m: false, s: false }, 0);
    if (!this.atEnd) {
      throw this.syntax(this.at(this.pos) === ch(")") ? "Unmatched closing ')'" : "Unexpected internal error");
    }
    return node;
  }

  /** Alternatives up to `)` or the end; `(?i)` inside changes `flags` for the rest of the group. */
  private expression(flags: Flags, depth: number): Node {
    const alternatives = [this.sequence(flags, depth)];
    while (!this.atEnd && this.at(this.pos) === ch("|")) {
      this.pos++;
      alternatives.push(this.sequence(flags, depth));
    }
    return alternatives.length === 1 ? (alternatives[0] ?? { type: "empty" }) : { type: "alt", alternatives };
  }

  private sequence(flags: Flags, depth: number): Node {
    const items: Node[] = [];
    while (!this.atEnd) {
      const c = this.at(this.pos);
      let node: Node;
      if (c === ch("|") || c === ch(")")) break;
      if (c === ch("(")) {
        const group = this.group(flags, depth);
        if (group === undefined) continue; // a flags-only (?i)
        node = group;
      } else if (c === ch("[")) {
        this.pos++;
        node = { type: "atom", js: this.characterClass(flags, depth + 1) };
      } else if (c === ch("\\")) {
        node = this.escapeOutsideClass(flags);
      } else if (c === ch("^")) {
        this.pos++;
        node = { type: "assert", js: flags.m ? multilineCaret : "^" };
      } else if (c === ch("$")) {
        this.pos++;
        node = { type: "assert", js: flags.m ? multilineDollar : dollar };
      } else if (c === ch(".")) {
        this.pos++;
        node = { type: "atom", js: flags.s ? sets.all : sets.dot };
      } else if (c === ch("?") || c === ch("*") || c === ch("+")) {
        throw this.syntax(`Dangling meta character '${String.fromCodePoint(c)}'`);
      } else if (c === ch("{")) {
        node = { type: "empty" }; // Java repeats nothing here, or refuses the repetition
      } else {
        this.pos++;
        node = this.literalAtom(c, flags);
      }
      items.push(this.quantified(node));
    }
    if (items.length === 0) return { type: "empty" };
    return items.length === 1 ? (items[0] ?? { type: "empty" }) : { type: "seq", items };
  }

  private literalAtom(cp: number, flags: Flags): Node {
    if (flags.i && isAsciiAlpha(cp)) return { type: "atom", js: `[${literal(cp | 0x20)}${literal(cp & ~0x20)}]` };
    return { type: "atom", js: literal(cp) };
  }

  private quantified(node: Node): Node {
    const c = this.at(this.pos);
    if (this.atEnd) return node;
    let min: number;
    let max: number;
    if (c === ch("?")) [min, max] = [0, 1];
    else if (c === ch("*")) [min, max] = [0, Infinity];
    else if (c === ch("+")) [min, max] = [1, Infinity];
    else if (c === ch("{")) [min, max] = this.bounds();
    else return node;
    this.pos++;
    let lazy = false;
    if (this.at(this.pos) === ch("?") && !this.atEnd) {
      lazy = true;
      this.pos++;
    } else if (this.at(this.pos) === ch("+") && !this.atEnd) {
      throw this.unsupported("possessive quantifiers (X*+, X++, X?+, X{n}+) are not supported");
    }
    return { type: "repeat", body: node, min, max, lazy };
  }

  /** `{n}`, `{n,}`, `{n,m}`; leaves the position on the closing brace. */
  private bounds(): [number, number] {
    this.pos++;
    if (!isDigit(this.at(this.pos)) || this.atEnd) throw this.syntax("Illegal repetition");
    const number = (): number => {
      let n = 0;
      while (isDigit(this.at(this.pos)) && !this.atEnd) {
        n = n * 10 + (this.at(this.pos) - 0x30);
        if (n > intMax) throw this.syntax("Illegal repetition range");
        this.pos++;
      }
      return n;
    };
    const min = number();
    let max = min;
    if (this.at(this.pos) === ch(",") && !this.atEnd) {
      this.pos++;
      max = this.at(this.pos) === ch("}") ? Infinity : number();
    }
    if (this.at(this.pos) !== ch("}") || this.atEnd) throw this.syntax("Unclosed counted closure");
    if (max < min) throw this.syntax("Illegal repetition range");
    return [min, max];
  }

  /** A group after `(`; undefined for a flags-only `(?i)`, which changes `flags` in place. */
  private group(flags: Flags, depth: number): Node | undefined {
    const start = this.pos;
    if (depth >= javaRegexNestingMax) throw this.unsupported(`groups nest deeper than ${javaRegexNestingMax}`);
    this.pos++;
    let node: Node;
    if (this.at(this.pos) === ch("?") && !this.atEnd) {
      this.pos++;
      const c = this.at(this.pos);
      this.pos++;
      if (c === ch(":")) {
        node = { type: "group", capture: false, name: undefined, body: this.expression({ ...flags }, depth + 1) };
      } else if (c === ch("=") || c === ch("!")) {
        const body = this.expression({ ...flags }, depth + 1);
        node = { type: "look", behind: false, negative: c === ch("!"), body };
      } else if (c === ch(">")) {
        throw this.unsupported("atomic groups (?>X) are not supported", start);
      } else if (c === ch("<")) {
        const c2 = this.at(this.pos);
        if (c2 === ch("=") || c2 === ch("!")) {
          this.pos++;
          const body = this.expression({ ...flags }, depth + 1);
          node = { type: "look", behind: true, negative: c2 === ch("!"), body };
        } else {
          const name = this.groupName();
          if (this.groupNames.has(name)) throw this.syntax(`Named capturing group <${name}> is already defined`);
          this.groupCount++;
          this.groupNames.set(name, this.groupCount);
          node = { type: "group", capture: true, name, body: this.expression({ ...flags }, depth + 1) };
        }
      } else if (c === ch("$") || c === ch("@")) {
        throw this.syntax("Unknown group type");
      } else {
        this.pos--;
        const changed = this.inlineFlags(flags);
        const next = this.at(this.pos);
        this.pos++;
        if (next === ch(")") && this.pos <= this.cps.length) {
          Object.assign(flags, changed);
          return undefined;
        }
        if (next !== ch(":") || this.pos > this.cps.length) throw this.syntax("Unknown inline modifier");
        node = { type: "group", capture: false, name: undefined, body: this.expression(changed, depth + 1) };
      }
    } else {
      this.groupCount++;
      node = { type: "group", capture: true, name: undefined, body: this.expression({ ...flags }, depth + 1) };
    }
    if (this.at(this.pos) !== ch(")") || this.atEnd) throw this.syntax("Unclosed group");
    this.pos++;
    return node;
  }

  /** `i`, `m`, `s` (and turning any flag off); Java's others (d, u, c, x, U) are refused when turned on. */
  private inlineFlags(flags: Flags): Flags {
    const changed = { ...flags };
    let on = true;
    for (;;) {
      const c = this.at(this.pos);
      if (this.atEnd) return changed;
      const letter = String.fromCodePoint(c);
      if (letter === "i" || letter === "m" || letter === "s") changed[letter] = on;
      else if ("ducxU".includes(letter) && letter !== "") {
        if (on) throw this.unsupported(`the inline flag (?${letter}) is not supported (only i, m and s)`);
      } else if (letter === "-" && on) on = false;
      else return changed;
      this.pos++;
    }
  }

  private groupName(): string {
    const first = this.at(this.pos);
    if (!isAsciiAlpha(first) || this.atEnd)
      throw this.syntax("capturing group name does not start with a Latin letter");
    let name = "";
    while (isAsciiAlnum(this.at(this.pos)) && !this.atEnd) name += String.fromCodePoint(this.at(this.pos++));
    if (this.at(this.pos) !== ch(">") || this.atEnd) throw this.syntax("named capturing group is missing trailing '>'");
    this.pos++;
    return name;
  }

  private escapeOutsideClass(flags: Flags): Node {
    const next = this.at(this.pos + 1);
    if ((next === ch("p") || next === ch("P")) && this.pos + 1 < this.cps.length) {
      this.pos += 2;
      return { type: "atom", js: this.property(flags, next === ch("P")) };
    }
    this.pos++;
    const escape = this.escape(false, false);
    if ("cp" in escape) return this.literalAtom(escape.cp, flags);
    if ("set" in escape) return { type: "atom", js: escape.set };
    return { type: "assert", js: escape.assert };
  }

  /** The escape after a backslash (the position is on the character after it), as Java reads it. */
  private escape(inClass: boolean, isRange: boolean): Escape {
    const at = this.pos - 1;
    if (this.atEnd) throw this.syntax("Unexpected internal error", at);
    const c = String.fromCodePoint(this.at(this.pos));
    this.pos++;
    const illegal = (): JavaRegexError => this.syntax("Illegal/unsupported escape sequence", this.pos - 1);
    switch (c) {
      case "0":
        return { cp: this.octal() };
      case "1":
      case "2":
      case "3":
      case "4":
      case "5":
      case "6":
      case "7":
      case "8":
      case "9":
        if (inClass) throw illegal();
        throw this.unsupported("back references (\\1, \\k<name>) are not supported", at);
      case "k":
        if (inClass) throw illegal();
        throw this.unsupported("back references (\\1, \\k<name>) are not supported", at);
      case "A":
        if (inClass) throw illegal();
        return { assert: "^" };
      case "z":
        if (inClass) throw illegal();
        return { assert: "$" };
      case "Z":
        if (inClass) throw illegal();
        return { assert: dollar };
      case "b":
        if (inClass) throw illegal();
        if (this.at(this.pos) === ch("{") && this.at(this.pos + 1) === ch("g")) {
          throw this.unsupported("grapheme cluster boundaries (\\b{g}) are not supported", at);
        }
        return { assert: wordBoundary };
      case "B":
        if (inClass) throw illegal();
        return { assert: notWordBoundary };
      case "G":
      case "R":
      case "X":
        if (inClass) throw illegal();
        throw this.unsupported(`\\${c} is not supported`, at);
      case "N":
        throw this.unsupported("named characters (\\N{...}) are not supported", at);
      case "d":
        return { set: sets.digit };
      case "D":
        return { set: negate(sets.digit) };
      case "w":
        return { set: sets.word };
      case "W":
        return { set: negate(sets.word) };
      case "s":
        return { set: sets.space };
      case "S":
        return { set: negate(sets.space) };
      case "h":
        return { set: sets.horizontal };
      case "H":
        return { set: negate(sets.horizontal) };
      case "v":
        return isRange ? { cp: 0x0b } : { set: sets.vertical };
      case "V":
        return { set: negate(sets.vertical) };
      case "a":
        return { cp: 0x07 };
      case "e":
        return { cp: 0x1b };
      case "f":
        return { cp: 0x0c };
      case "n":
        return { cp: 0x0a };
      case "r":
        return { cp: 0x0d };
      case "t":
        return { cp: 0x09 };
      case "c":
        if (this.atEnd) throw this.syntax("Illegal control escape sequence");
        return { cp: this.at(this.pos++) ^ 64 };
      case "x":
        return { cp: this.hex() };
      case "u":
        return { cp: this.unicode() };
      default:
        if (isAsciiAlpha(ch(c))) throw illegal();
        return { cp: ch(c) };
    }
  }

  private octal(): number {
    const digit = (k: number): number | undefined => {
      const c = this.at(k);
      return k < this.cps.length && c >= 0x30 && c <= 0x37 ? c - 0x30 : undefined;
    };
    const n = digit(this.pos);
    if (n === undefined) throw this.syntax("Illegal octal escape sequence");
    const m = digit(this.pos + 1);
    if (m === undefined) {
      this.pos += 1;
      return n;
    }
    const o = digit(this.pos + 2);
    if (o !== undefined && n <= 3) {
      this.pos += 3;
      return n * 64 + m * 8 + o;
    }
    this.pos += 2;
    return n * 8 + m;
  }

  private hex(): number {
    const n = this.at(this.pos);
    const hexAt = (k: number): boolean => k < this.cps.length && isHex(this.at(k));
    if (hexAt(this.pos)) {
      if (hexAt(this.pos + 1)) {
        const value = hexValue(n) * 16 + hexValue(this.at(this.pos + 1));
        this.pos += 2;
        return value;
      }
    } else if (n === ch("{") && hexAt(this.pos + 1)) {
      this.pos++;
      let value = 0;
      while (hexAt(this.pos)) {
        value = value * 16 + hexValue(this.at(this.pos++));
        if (value > cpMax) throw this.syntax("Hexadecimal codepoint is too big");
      }
      if (this.at(this.pos) !== ch("}") || this.atEnd) throw this.syntax("Unclosed hexadecimal escape sequence");
      this.pos++;
      return value;
    }
    throw this.syntax("Illegal hexadecimal escape sequence");
  }

  private unicode(): number {
    const four = (): number => {
      let value = 0;
      for (let k = 0; k < 4; k++) {
        if (this.atEnd || !isHex(this.at(this.pos))) throw this.syntax("Illegal Unicode escape sequence");
        value = value * 16 + hexValue(this.at(this.pos++));
      }
      return value;
    };
    const high = four();
    if (high >= 0xd800 && high <= 0xdbff) {
      const save = this.pos;
      if (this.at(this.pos) === ch("\\") && this.at(this.pos + 1) === ch("u") && this.pos + 1 < this.cps.length) {
        this.pos += 2;
        const low = four();
        if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
      }
      this.pos = save;
    }
    return high;
  }

  /** `\p{Name}` / `\pL` (the position is after the p): a class source. */
  private property(flags: Flags, negated: boolean): string {
    const at = this.pos - 2;
    let name: string;
    if (this.at(this.pos) === ch("{") && !this.atEnd) {
      const close = this.cps.indexOf(ch("}"), this.pos + 1);
      if (close < 0) throw this.syntax("Unclosed character family");
      name = String.fromCodePoint(...this.cps.slice(this.pos + 1, close));
      if (name === "") throw this.syntax("Empty character family");
      this.pos = close + 1;
    } else {
      name = String.fromCodePoint(this.at(this.pos));
      this.pos++;
    }
    const ci = flags.i;
    let set: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      const key = name.slice(0, eq).toLowerCase();
      const value = name.slice(eq + 1);
      if (key === "sc" || key === "script") set = scriptClass(value);
      else if (key === "gc" || key === "general_category") set = categoryClass(value, ci) ?? posixClass(value, ci);
      else if (key === "blk" || key === "block")
        throw this.unsupported("Unicode blocks (\\p{block=...}) are not supported", at);
      if (set === undefined) throw this.unsupported(`unknown or unsupported Unicode property {${name}}`, at);
    } else if (name.startsWith("In")) {
      throw this.unsupported("Unicode blocks (\\p{InBlock}) are not supported", at);
    } else if (name.startsWith("Is")) {
      const short = name.slice(2);
      if (binaryProperties.has(short.toUpperCase())) {
        throw this.unsupported(`the binary property \\p{${name}} is not supported`, at);
      }
      set = categoryClass(short, ci) ?? posixClass(short, ci) ?? scriptClass(short);
      if (set === undefined) throw this.unsupported(`unknown or unsupported Unicode property {${name}}`, at);
    } else {
      if (name.startsWith("java")) throw this.unsupported(`\\p{${name}} is not supported`, at);
      set = categoryClass(name, ci) ?? posixClass(name, ci);
      if (set === undefined) throw this.syntax(`Unknown character property name {${name}}`, at);
    }
    return negated ? negate(set) : set;
  }

  /** A class after `[` up to its `]`, as a v-flag class source. */
  private characterClass(flags: Flags, depth: number): string {
    if (depth >= javaRegexNestingMax)
      throw this.unsupported(`character classes nest deeper than ${javaRegexNestingMax}`);
    const items: string[] = [];
    let negated = false;
    if (this.at(this.pos) === ch("^") && !this.atEnd) {
      negated = true;
      this.pos++;
    }
    for (;;) {
      if (this.atEnd) throw this.syntax("Unclosed character class");
      const c = this.at(this.pos);
      if (c === ch("[")) {
        this.pos++;
        items.push(this.characterClass(flags, depth + 1));
        continue;
      }
      if (c === ch("&") && this.at(this.pos + 1) === ch("&") && this.pos + 1 < this.cps.length) {
        throw this.unsupported("class intersections (&&) are not supported");
      }
      if (c === ch("]") && items.length > 0) {
        this.pos++;
        return `[${negated ? "^" : ""}${items.join("")}]`;
      }
      items.push(this.classRange(flags));
    }
  }

  /** One class member: a character, a range or a predefined class. */
  private classRange(flags: Flags): string {
    let first: number;
    if (this.at(this.pos) === ch("\\")) {
      const next = this.at(this.pos + 1);
      if ((next === ch("p") || next === ch("P")) && this.pos + 1 < this.cps.length) {
        this.pos += 2;
        return this.property(flags, next === ch("P"));
      }
      const isRange = this.at(this.pos + 2) === ch("-");
      this.pos++;
      const escape = this.escape(true, isRange);
      if ("set" in escape) return escape.set;
      if (!("cp" in escape)) throw this.syntax("Illegal/unsupported escape sequence");
      first = escape.cp;
    } else {
      first = this.at(this.pos);
      this.pos++;
    }
    if (this.at(this.pos) === ch("-") && !this.atEnd) {
      const end = this.at(this.pos + 1);
      if (end !== ch("[") && end !== ch("]")) {
        this.pos++;
        let last: number;
        if (this.at(this.pos) === ch("\\") && !this.atEnd) {
          this.pos++;
          const escape = this.escape(true, true);
          last = "cp" in escape ? escape.cp : -1;
        } else {
          last = this.at(this.pos);
          this.pos++;
        }
        if (last < first) throw this.syntax("Illegal character range");
        return this.rangeMembers(first, last, flags);
      }
    }
    return this.rangeMembers(first, first, flags);
  }

  /** A range (or one character); under (?i) also the other case of the ASCII letters in it, as Java matches them. */
  private rangeMembers(first: number, last: number, flags: Flags): string {
    let out = first === last ? literal(first) : `${literal(first)}-${literal(last)}`;
    if (flags.i) {
      for (const [lo, hi, shift] of [
        [0x41, 0x5a, 0x20],
        [0x61, 0x7a, -0x20],
      ] as const) {
        const a = Math.max(first, lo);
        const b = Math.min(last, hi);
        if (a <= b) out += a === b ? literal(a + shift) : `${literal(a + shift)}-${literal(b + shift)}`;
      }
    }
    return out;
  }
}

// ------------------------------------------------------------------------------------ analysis

function nullable(node: Node): boolean {
  switch (node.type) {
    case "empty":
    case "assert":
    case "look":
      return true;
    case "atom":
      return false;
    case "group":
      return nullable(node.body);
    case "alt":
      return node.alternatives.some(nullable);
    case "seq":
      return node.items.every(nullable);
    case "repeat":
      return node.min === 0 || nullable(node.body);
  }
}

/** Fixed-length and free of alternatives: what Java repeats with GroupCurly rather than Loop. */
function deterministic(node: Node): boolean {
  switch (node.type) {
    case "empty":
    case "atom":
    case "assert":
    case "look":
      return true;
    case "group":
      return deterministic(node.body);
    case "alt":
      return false;
    case "seq":
      return node.items.every(deterministic);
    case "repeat":
      return node.min === node.max && deterministic(node.body);
  }
}

/**
 * A look-behind's maximum length as Java works it out (an unbounded repetition counts as
 * Integer.MAX_VALUE), or undefined where Java finds none and refuses the pattern. Java adds
 * these up in 32-bit integers, so a sum above Integer.MAX_VALUE is refused or silently wraps
 * there; the caller refuses it either way.
 */
function lookbehindMax(node: Node): number | undefined {
  switch (node.type) {
    case "empty":
    case "assert":
    case "look":
      return 0;
    case "atom":
      return 1;
    case "group":
      return lookbehindMax(node.body);
    case "alt": {
      let max = 0;
      for (const a of node.alternatives) {
        const m = lookbehindMax(a);
        if (m === undefined) return undefined;
        max = Math.max(max, m);
      }
      return max;
    }
    case "seq": {
      let sum = 0;
      for (const item of node.items) {
        const m = lookbehindMax(item);
        if (m === undefined) return undefined;
        sum += m;
      }
      return sum;
    }
    case "repeat": {
      const body = lookbehindMax(node.body);
      if (body === undefined) return undefined;
      if (node.min === 0 && node.max === 1) return body;
      if (node.body.type === "atom") return node.max === Infinity ? intMax : body * node.max;
      if (!deterministic(node.body)) return undefined;
      return body * (node.max === Infinity ? intMax : node.max);
    }
  }
}

interface Context {
  readonly inLook: boolean;
  /** Inside a repetition that can run more than once. */
  readonly inLoop: boolean;
  /** Between the innermost enclosing repetition and here: an alternative, or an optional part. */
  readonly optionalInLoop: boolean;
}

/**
 * Refuses what the two engines would match or capture differently. Past its minimum count,
 * JavaScript refuses an iteration that matched the empty string and tries the body's other ways
 * first, where Java accepts it and stops: so an optional repetition of something that can match
 * empty is refused. JavaScript resets a repetition's captures on every iteration where Java keeps
 * one from an earlier iteration: so a capturing group inside a repetition must take part in every
 * iteration. Captures inside look-arounds (Java tries look-behinds shortest first) are refused, and
 * look-behinds whose length Java cannot bound (or bounds wrongly).
 */
function check(node: Node, ctx: Context): void {
  switch (node.type) {
    case "empty":
    case "atom":
    case "assert":
      return;
    case "group":
      if (node.capture && ctx.inLook) {
        throw new JavaRegexError("unsupported", "capturing groups inside look-arounds are not supported", 0);
      }
      if (node.capture && ctx.inLoop && ctx.optionalInLoop) {
        throw new JavaRegexError(
          "unsupported",
          "a capturing group inside a repetition must take part in every repetition (Java and JavaScript would " +
            "capture different text)",
          0,
        );
      }
      check(node.body, ctx);
      return;
    case "look":
      if (node.behind) {
        const max = lookbehindMax(node.body);
        if (max === undefined || max > intMax) {
          throw new JavaRegexError(
            "unsupported",
            "a look-behind needs an obvious maximum length: Java refuses this one, or gets its length wrong",
            0,
          );
        }
      }
      check(node.body, { ...ctx, inLook: true });
      return;
    case "alt":
      for (const a of node.alternatives) check(a, ctx.inLoop ? { ...ctx, optionalInLoop: true } : ctx);
      return;
    case "seq":
      for (const item of node.items) check(item, ctx);
      return;
    case "repeat": {
      if (node.max > node.min && nullable(node.body)) {
        throw new JavaRegexError(
          "unsupported",
          "an optional repetition of something that can match the empty string (such as (a?)* or (?:x*)?) is not " +
            "supported: Java and JavaScript try its matches in different orders",
          0,
        );
      }
      let inner = ctx;
      if (ctx.inLoop && node.min === 0) inner = { ...inner, optionalInLoop: true };
      if (node.max > 1) inner = { ...inner, inLoop: true };
      check(node.body, inner);
      return;
    }
  }
}

// ------------------------------------------------------------------------------------ emission

function emit(node: Node): string {
  switch (node.type) {
    case "empty":
      return "";
    case "atom":
    case "assert":
      return node.js;
    case "group":
      if (!node.capture) return `(?:${emit(node.body)})`;
      return node.name === undefined ? `(${emit(node.body)})` : `(?<${node.name}>${emit(node.body)})`;
    case "look":
      return `(?${node.behind ? "<" : ""}${node.negative ? "!" : "="}${emit(node.body)})`;
    case "alt":
      return node.alternatives.map(emit).join("|");
    case "seq":
      return node.items.map(emit).join("");
    case "repeat": {
      // Only characters and groups take a quantifier in JavaScript; anything zero-width is wrapped.
      const body = node.body.type === "atom" || node.body.type === "group" ? emit(node.body) : `(?:${emit(node.body)})`;
      const { min, max } = node;
      const quantifier =
        min === 0 && max === Infinity
          ? "*"
          : min === 1 && max === Infinity
            ? "+"
            : min === 0 && max === 1
              ? "?"
              : max === Infinity
                ? `{${min},}`
                : min === max
                  ? `{${min}}`
                  : `{${min},${max}}`;
      return `${body}${quantifier}${node.lazy ? "?" : ""}`;
    }
  }
}

/** Compiles a Java pattern; throws JavaRegexError if Java refuses it or it has no exact JavaScript rendering. */
export function compileJavaRegex(pattern: string): JavaRegex {
  const parser = new Parser(pattern);
  const tree = parser.parse();
  check(tree, { inLook: false, inLoop: false, optionalInLoop: false });
  const source = emit(tree);
  let whole: RegExp;
  let global: RegExp;
  try {
    whole = new RegExp(`^(?:${source})$`, "v");
    global = new RegExp(`(?:${source})`, "gv");
  } catch (error) {
    throw new JavaRegexError(
      "unsupported",
      `cannot be run here: ${error instanceof Error ? error.message : String(error)}`,
      0,
    );
  }
  return { pattern, source, groupCount: parser.groupCount, groupNames: parser.groupNames, whole, global };
}

// ------------------------------------------------------------------------------------ replacement

/** A replacement Java would refuse when it is used (Matcher.appendReplacement's errors). */
export class JavaReplacementError extends Error {
  override readonly name = "JavaReplacementError";
}

export type ReplacementPart = { readonly text: string } | { readonly group: number };

/** Java's replacement syntax: `$n` (as many digits as name a group), `${name}`, `\x` for a literal x. */
export function parseJavaReplacement(replacement: string, regex: JavaRegex): ReplacementPart[] {
  const parts: ReplacementPart[] = [];
  let text = "";
  let i = 0;
  while (i < replacement.length) {
    const c = replacement[i] ?? "";
    if (c === "\\") {
      i++;
      if (i === replacement.length) throw new JavaReplacementError("character to be escaped is missing");
      text += replacement[i] ?? "";
      i++;
    } else if (c === "$") {
      i++;
      if (i === replacement.length) {
        throw new JavaReplacementError("Illegal group reference: group index is missing");
      }
      let group: number;
      if (replacement[i] === "{") {
        i++;
        const begin = i;
        while (i < replacement.length && /[A-Za-z0-9]/.test(replacement[i] ?? "")) i++;
        if (begin === i) throw new JavaReplacementError("named capturing group has 0 length name");
        if (replacement[i] !== "}") throw new JavaReplacementError("named capturing group is missing trailing '}'");
        const name = replacement.slice(begin, i);
        if (/^[0-9]/.test(name)) {
          throw new JavaReplacementError(`capturing group name {${name}} starts with digit character`);
        }
        const number = regex.groupNames.get(name);
        if (number === undefined) throw new JavaReplacementError(`No group with name {${name}}`);
        group = number;
        i++;
      } else {
        const digit = (replacement.codePointAt(i) ?? 0) - 0x30;
        if (digit < 0 || digit > 9) throw new JavaReplacementError("Illegal group reference");
        group = digit;
        i++;
        while (i < replacement.length) {
          const next = (replacement.codePointAt(i) ?? 0) - 0x30;
          if (next < 0 || next > 9 || group * 10 + next > regex.groupCount) break;
          group = group * 10 + next;
          i++;
        }
        if (group > regex.groupCount) throw new JavaReplacementError(`No group ${group}`);
      }
      if (text !== "") parts.push({ text });
      text = "";
      parts.push({ group });
    } else {
      text += c;
      i++;
    }
  }
  if (text !== "") parts.push({ text });
  return parts;
}

/** Matcher.replaceAll: every match, left to right, replaced by the parts (a group that did not match adds nothing). */
export function javaReplaceAll(input: string, regex: JavaRegex, parts: readonly ReplacementPart[]): string {
  let out = "";
  let last = 0;
  for (const m of input.matchAll(regex.global)) {
    out += input.slice(last, m.index);
    for (const part of parts) out += "text" in part ? part.text : (m[part.group] ?? "");
    last = m.index + m[0].length;
  }
  return out + input.slice(last);
}
