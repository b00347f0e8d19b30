// ssl.principal.mapping.rules (KIP-371): how a TLS client certificate's distinguished name becomes
// the principal's name. A comma-separated list of `DEFAULT` (the DN as it is) and
// `RULE:<pattern>/<replacement>/[LU]` (a Java regex that must match the whole DN; the DN with
// every match replaced, Java's replacement syntax, then optionally lower or upper cased). The
// first rule that applies wins; when none does, the connection is refused. The list is split and
// each rule read exactly as Kafka does (a comma may appear inside a pattern, `\/` escapes a slash,
// whitespace around rules is dropped, a bad rule fails startup). Patterns go through
// java-regex.ts. The DN comes from a CA-signed certificate but is still bounded before matching;
// a pattern that backtracks catastrophically is the operator's to avoid, as in Kafka.
import {
  compileJavaRegex,
  javaReplaceAll,
  JavaRegexError,
  JavaReplacementError,
  parseJavaReplacement,
} from "./java-regex.ts";
import type { JavaRegex, ReplacementPart } from "./java-regex.ts";

/** A rule list that cannot be used; the message names the rule. */
export class PrincipalMappingRulesError extends Error {
  override readonly name = "PrincipalMappingRulesError";
  /** The rule as written, when one rule is at fault. */
  readonly rule: string | undefined;
  constructor(message: string, rule?: string) {
    super(message);
    this.rule = rule;
  }
}

export type PrincipalMappingRule =
  | { readonly kind: "default" }
  | {
      readonly kind: "rule";
      readonly text: string;
      readonly regex: JavaRegex;
      readonly replacement: readonly ReplacementPart[];
      readonly caseChange: "lower" | "upper" | undefined;
    };

export type PrincipalMappingResult =
  { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

export interface PrincipalMapper {
  readonly rules: readonly PrincipalMappingRule[];
  /** The principal name for a DN (RFC 2253 form), or why no rule gives one. */
  map(distinguishedName: string): PrincipalMappingResult;
}

/** The longest DN a RULE is matched against (characters); a longer one is refused. Kafka has no bound. */
export const distinguishedNameCharsMax = 4096;

// Java's regex classes, spelled out: \s is ASCII whitespace, `.` stops at line terminators and
// `$` also matches before a line terminator that ends the input.
const javaSpace = "[ \\t\\n\\x0B\\f\\r]";
const javaDot = "[^\\n\\r\\u0085\\u2028\\u2029]";
const javaEnd = "(?=(?:\\r\\n|(?<!\\r)\\n|[\\r\\u0085\\u2028\\u2029])?$)";
/** A pattern or replacement: characters other than `/` and `\`, or `\` and the character it escapes. */
const rulePart = `(?:\\\\${javaDot}|[^\\\\/])*`;
/** One list item: DEFAULT, a RULE, or anything up to the next comma (which then fails to parse). */
const ruleItem = `DEFAULT|RULE:${rulePart}/${rulePart}/[LU]?${javaDot}*?|${javaDot}*?`;
const ruleSplitter = new RegExp(`${javaSpace}*(${ruleItem})${javaSpace}*(?:,${javaSpace}*|${javaEnd})`, "g");
const ruleShape = new RegExp(`^RULE:(${rulePart})/(${rulePart})/([LU]?)`);

/** Java's String.trim: every character up to U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

/**
 * Kafka rewrites a `$n` naming no group (after dropping trailing digits while n > group count and
 * n >= 10) to a literal `\$n` before Java reads the replacement. The backslash goes in at the
 * `$`'s offset in the text as written, even after earlier insertions moved it — as Kafka does.
 */
function kafkaEscapedReplacement(replacement: string, groupCount: number, rule: string): string {
  if (groupCount === 0) return replacement;
  let value = replacement;
  for (const m of replacement.matchAll(/\$(\d+)/g)) {
    const digits = m[1] ?? "";
    if (digits.startsWith("0")) continue;
    let index = Number(digits);
    if (index > 0x7fffffff) {
      throw new PrincipalMappingRulesError(`rule \`${rule}\`: group reference $${digits} is too large`, rule);
    }
    while (index > groupCount && index >= 10) index = Math.floor(index / 10);
    if (index > groupCount) value = `${value.slice(0, m.index)}\\${value.slice(m.index)}`;
  }
  return value;
}

function parseRule(item: string): PrincipalMappingRule | undefined {
  if (item === "") return undefined; // empty items are skipped
  if (item === "DEFAULT") return { kind: "default" };
  const shape = ruleShape.exec(item);
  const consumed = item.startsWith("DEFAULT") ? "DEFAULT".length : shape === null ? 0 : shape[0].length;
  if (shape === null || consumed !== item.length) {
    throw new PrincipalMappingRulesError(
      `invalid rule \`${item}\`, unmatched substring: \`${item.slice(consumed)}\``,
      item,
    );
  }
  const [, pattern = "", replacement = "", flag = ""] = shape;
  let regex: JavaRegex;
  try {
    regex = compileJavaRegex(pattern);
  } catch (error) {
    if (!(error instanceof JavaRegexError)) throw error;
    const what = error.kind === "syntax" ? "is not a valid Java regex" : "uses what Samsa cannot run";
    throw new PrincipalMappingRulesError(`rule \`${item}\`: the pattern ${what}: ${error.message}`, item);
  }
  let parts: ReplacementPart[];
  try {
    parts = parseJavaReplacement(kafkaEscapedReplacement(replacement, regex.groupCount, item), regex);
  } catch (error) {
    if (!(error instanceof JavaReplacementError)) throw error;
    // Kafka accepts these at startup and then fails every connection the rule matches.
    throw new PrincipalMappingRulesError(`rule \`${item}\`: the replacement fails: ${error.message}`, item);
  }
  return {
    kind: "rule",
    text: item,
    regex,
    replacement: parts,
    caseChange: flag === "L" ? "lower" : flag === "U" ? "upper" : undefined,
  };
}

/** Splits and reads a rule list; throws PrincipalMappingRulesError for a rule Kafka (or Samsa) refuses. */
export function parsePrincipalMappingRules(text: string): PrincipalMapper {
  const items: string[] = [];
  for (const m of javaTrim(text).matchAll(ruleSplitter)) items.push(m[1] ?? "");
  const rules: PrincipalMappingRule[] = [];
  for (const item of items) {
    const rule = parseRule(item);
    if (rule !== undefined) rules.push(rule);
  }
  return { rules, map: (dn) => mapDistinguishedName(rules, dn) };
}

function applyRule(rule: PrincipalMappingRule & { kind: "rule" }, dn: string): string | undefined {
  if (!rule.regex.whole.test(dn)) return undefined;
  const name = javaReplaceAll(dn, rule.regex, rule.replacement);
  if (rule.caseChange === "lower") return name.toLowerCase();
  if (rule.caseChange === "upper") return name.toUpperCase();
  return name;
}

export function mapDistinguishedName(rules: readonly PrincipalMappingRule[], dn: string): PrincipalMappingResult {
  for (const rule of rules) {
    if (rule.kind === "default") return { ok: true, name: dn };
    if (dn.length > distinguishedNameCharsMax) {
      return { ok: false, reason: `the DN is longer than ${distinguishedNameCharsMax} characters` };
    }
    const name = applyRule(rule, dn);
    if (name !== undefined) return { ok: true, name };
  }
  return { ok: false, reason: `no ssl.principal.mapping.rules rule applies to ${JSON.stringify(dn)}` };
}
