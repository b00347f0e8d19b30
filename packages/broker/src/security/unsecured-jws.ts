// Kafka's default OAUTHBEARER validator (when no sasl.server.callback.handler.class is set):
// unsecured JWS tokens (RFC 7515 with `"alg":"none"` and no signature). The claims must hold the
// principal (`sub`, or unsecuredValidatorPrincipalClaimName) and an expiration `exp` not passed; an
// `iat` must not be in the future and must precede `exp`; the scope claim must hold every
// unsecuredValidatorRequiredScope item. Options come from the listener's OAuthBearerLoginModule
// JAAS entry. Only for development and tests — anyone can write such a token — as in Kafka.
// Input is hostile: the token's length and the JSON's nesting are bounded.
import type { OAuthBearerValidated, OAuthBearerValidator } from "./oauthbearer.ts";
import { OAuthBearerValidationError } from "./oauthbearer.ts";

export interface UnsecuredValidatorOptions {
  readonly principalClaimName: string;
  readonly scopeClaimName: string;
  readonly requiredScope: readonly string[];
  readonly allowableClockSkewMs: number;
}

/** A JAAS option of the unsecured validator with a value it cannot use; names the option. */
export class UnsecuredValidatorOptionError extends Error {
  override readonly name = "UnsecuredValidatorOptionError";
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** The longest token accepted (characters); real JWTs are a few kilobytes. */
export const unsecuredTokenCharsMax = 64 * 1024;
/** The deepest JSON nesting accepted in a token's header or claims. */
export const unsecuredJsonDepthMax = 32;

const scopeItemPattern = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const int32Pattern = /^[+-]?\d+$/;

/** The validator's options from an OAuthBearerLoginModule entry (others, e.g. unsecuredLogin*, are ignored). */
export function unsecuredValidatorOptions(options: ReadonlyMap<string, string>): UnsecuredValidatorOptions {
  const blank = (v: string | undefined): boolean => v === undefined || v.trim() === "";
  const principal = options.get("unsecuredValidatorPrincipalClaimName");
  const scope = options.get("unsecuredValidatorScopeClaimName");
  const required = options.get("unsecuredValidatorRequiredScope");
  const skew = options.get("unsecuredValidatorAllowableClockSkewMs");
  const requiredScope: string[] = [];
  for (const item of (required ?? "").trim().split(" ")) {
    if (item === "") continue;
    if (!scopeItemPattern.test(item)) {
      throw new UnsecuredValidatorOptionError("unsecuredValidatorRequiredScope", `invalid scope value: ${item}`);
    }
    requiredScope.push(item);
  }
  let allowableClockSkewMs = 0;
  if (!blank(skew)) {
    const text = (skew ?? "").trim();
    const n = Number(text);
    if (!int32Pattern.test(text) || n > 2 ** 31 - 1 || n < -(2 ** 31)) {
      throw new UnsecuredValidatorOptionError("unsecuredValidatorAllowableClockSkewMs", `not an integer: ${text}`);
    }
    if (n < 0) {
      throw new UnsecuredValidatorOptionError(
        "unsecuredValidatorAllowableClockSkewMs",
        `must not be negative: ${text}`,
      );
    }
    allowableClockSkewMs = n;
  }
  return {
    principalClaimName: blank(principal) ? "sub" : (principal ?? "").trim(),
    scopeClaimName: blank(scope) ? "scope" : (scope ?? "").trim(),
    requiredScope,
    allowableClockSkewMs,
  };
}

/** A claim's value as Kafka keeps it: numbers, lists of strings, and everything else as text. */
export type ClaimValue = number | string | readonly string[];

export interface UnsecuredJws {
  readonly header: ReadonlyMap<string, ClaimValue>;
  readonly claims: ReadonlyMap<string, ClaimValue>;
  readonly principalName: string;
  /** exp in milliseconds since the epoch. */
  readonly lifetimeMs: number;
  readonly expirationSeconds: number;
  readonly issuedAtSeconds: number | undefined;
  readonly scope: ReadonlySet<string>;
}

const invalid = (message: string): OAuthBearerValidationError => new OAuthBearerValidationError(message);

/**
 * Parses an unsecured JWS compact serialization (`<header>.<claims>.`) and checks its shape: alg
 * "none", no signature, an `exp` number, a non-blank principal claim, an `iat` number if present.
 * Throws OAuthBearerValidationError (invalid_token) for anything else.
 */
export function parseUnsecuredJws(
  token: string,
  names: { principalClaimName: string; scopeClaimName: string },
): UnsecuredJws {
  if (token.length > unsecuredTokenCharsMax) throw invalid(`token longer than ${unsecuredTokenCharsMax} characters`);
  if (token.includes("..")) throw invalid("Malformed compact serialization contains '..'");
  const splits = token.split(".");
  if (splits.length !== 3) {
    throw invalid("Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values");
  }
  const header = jsonMap(splits[0] ?? "");
  const claims = jsonMap(splits[1] ?? "");
  if (header.get("alg") !== "none") throw invalid("Unsecured JWS must have 'none' for an algorithm");
  if (splits[2] !== "") throw invalid("Unsecured JWS must not contain a digital signature");
  const claimOf = <T extends "number" | "string" | "list">(name: string, type: T) => {
    const value = claims.get(name);
    if (value === undefined) return undefined;
    const actual = typeof value === "number" ? "number" : typeof value === "string" ? "string" : "list";
    if (actual !== type) throw invalid(`The '${name}' claim was not of type ${type}: ${actual}`);
    return value as T extends "number" ? number : T extends "string" ? string : readonly string[];
  };
  const scope = new Set<string>();
  const scopeValue = claims.get(names.scopeClaimName);
  if (typeof scopeValue === "string") {
    if (scopeValue.trim() !== "") scope.add(scopeValue.trim());
  } else {
    for (const item of claimOf(names.scopeClaimName, "list") ?? []) if (item.trim() !== "") scope.add(item.trim());
  }
  const expirationSeconds = claimOf("exp", "number");
  if (expirationSeconds === undefined) throw invalid("No expiration time in JWT");
  const principalName = claimOf(names.principalClaimName, "string");
  if (principalName === undefined || principalName.trim() === "") {
    throw invalid(`No principal name in JWT claim: ${names.principalClaimName}`);
  }
  const issuedAtSeconds = claimOf("iat", "number");
  return {
    header,
    claims,
    principalName,
    lifetimeMs: Math.round(expirationSeconds * 1000),
    expirationSeconds,
    issuedAtSeconds,
    scope,
  };
}

/** Checks a parsed token's times and scope at `nowMs`; throws OAuthBearerValidationError. */
export function checkUnsecuredJws(jws: UnsecuredJws, options: UnsecuredValidatorOptions, nowMs: number): void {
  const skewMs = options.allowableClockSkewMs;
  const iat = jws.issuedAtSeconds;
  if (iat !== undefined && 1000 * iat > nowMs + skewMs) {
    throw invalid(
      `The Issued At value (${iat} seconds) was after the indicated time (${nowMs} ms) plus allowable clock skew (${skewMs} ms)`,
    );
  }
  const exp = jws.expirationSeconds;
  if (nowMs - skewMs >= 1000 * exp) {
    throw invalid(
      `The indicated time (${nowMs} ms) minus allowable clock skew (${skewMs} ms) was on or after the Expiration Time value (${exp} seconds)`,
    );
  }
  if (iat !== undefined && exp <= iat) {
    throw invalid(`The Expiration Time time (${exp} seconds) was not after the Issued At time (${iat} seconds)`);
  }
  for (const item of options.requiredScope) {
    if (!jws.scope.has(item)) {
      // The scope in the error is the required list as Java prints it: [a, b].
      throw new OAuthBearerValidationError(
        `The provided scope (${[...jws.scope].join(", ")}) was missing a required scope (${item})`,
        { scope: `[${options.requiredScope.join(", ")}]` },
      );
    }
  }
}

/** Kafka's default OAUTHBEARER validator with these options; extensions are all accepted. */
export function unsecuredJwsValidator(
  options: UnsecuredValidatorOptions,
  clock: () => number = Date.now,
): OAuthBearerValidator {
  return (token) => {
    const jws = parseUnsecuredJws(token, options);
    checkUnsecuredJws(jws, options, clock());
    const validated: OAuthBearerValidated = { principalName: jws.principalName, lifetimeMs: jws.lifetimeMs };
    return Promise.resolve(validated);
  };
}

/** Base64url without padding, as Java's URL decoder takes it; anything else is malformed. */
function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw invalid("malformed Base64 URL encoded value");
  return Buffer.from(text, "base64url");
}

/** The deepest nesting of arrays and objects in a JSON text (strings skipped). */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** A JSON object's members as Kafka keeps them (Jackson's asText for what is neither number nor array). */
function jsonMap(encoded: string): Map<string, ClaimValue> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(base64UrlDecode(encoded));
  } catch (error) {
    if (error instanceof OAuthBearerValidationError) throw error;
    throw invalid("malformed JSON");
  }
  if (jsonDepth(text) > unsecuredJsonDepthMax) throw invalid(`JSON nested deeper than ${unsecuredJsonDepthMax}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid("malformed JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("not a JSON object");
  const out = new Map<string, ClaimValue>();
  for (const [key, member] of Object.entries(value)) {
    if (Array.isArray(member))
      out.set(
        key,
        member.map((element: unknown) => asText(element)),
      );
    else if (typeof member === "number") out.set(key, member);
    else out.set(key, asText(member));
  }
  return out;
}

function asText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return "null";
  return ""; // objects and arrays
}
