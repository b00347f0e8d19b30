// A client's `sasl.jaas.config`: one login module entry, `<class> <flag> key="value" ... ;`, and
// what the CLI can log in with from it — PlainLoginModule and ScramLoginModule (username,
// password) and OAuthBearerLoginModule's unsecured login (`unsecuredLoginStringClaim_sub` and
// friends), for which it builds an unsecured JWS as Kafka's default login does: header
// {"alg":"none"}, claims with iat, exp and the principal, no signature. Errors are
// ClientConfigErrors (exit 5) that name options but never their values.
import { ClientConfigError, rememberSecret } from "./errors.ts";

export const plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule";
export const scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule";
export const oauthBearerLoginModule = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";

const flags = new Set(["required", "requisite", "sufficient", "optional"]);
/** The most options one entry may have (real ones have two or three). */
const optionsMax = 256;

export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

/** Parses a `sasl.jaas.config` value holding exactly one login module entry. */
export function parseJaasConfig(text: string): JaasEntry {
  const fail = (why: string): never => {
    throw new ClientConfigError(`sasl.jaas.config: ${why}`);
  };
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i] ?? "")) i++;
  };
  const word = (what: string): string => {
    skip();
    const start = i;
    while (i < text.length && !/[\s=;"]/.test(text[i] ?? "")) i++;
    if (i === start) fail(`expected ${what}${i < text.length ? ` at character ${i + 1}` : " (the text ended)"}`);
    return text.slice(start, i);
  };
  const loginModule = word("a login module class name");
  const flag = word("a control flag (required)");
  if (!flags.has(flag.toLowerCase()))
    fail(`expected a control flag (required, requisite, sufficient or optional) after ${loginModule}`);
  const options = new Map<string, string>();
  for (;;) {
    skip();
    if (i >= text.length) fail("the entry must end with ';'");
    if (text[i] === ";") {
      i++;
      break;
    }
    const key = word("an option name or ';'");
    skip();
    if (text[i] !== "=") fail(`expected '=' after option ${key}`);
    i++;
    skip();
    let value: string;
    if (text[i] === '"') {
      i++;
      value = "";
      for (;;) {
        if (i >= text.length) fail(`the quoted value of option ${key} is not closed`);
        const c = text[i++] ?? "";
        if (c === '"') break;
        if (c === "\\" && i < text.length) {
          const next = text[i++] ?? "";
          value += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
        } else {
          value += c;
        }
      }
    } else {
      value = word(`a value for option ${key}`);
    }
    if (options.size >= optionsMax) fail(`more than ${optionsMax} options`);
    options.set(key, value);
  }
  skip();
  if (i < text.length) fail("holds more than one login module entry (a client uses exactly one)");
  return { loginModule, flag: flag.toLowerCase(), options };
}

/** What a client logs in with, from its JAAS entry. */
export type JaasLogin =
  | { readonly kind: "password"; readonly module: "plain" | "scram"; username?: string; password?: string }
  | { readonly kind: "oauthbearer"; readonly unsecured: UnsecuredLogin | undefined };

export interface UnsecuredLogin {
  readonly principalClaimName: string;
  readonly lifetimeSeconds: number;
  readonly claims: ReadonlyMap<string, string | number | readonly string[]>;
  readonly extensions: ReadonlyMap<string, string>;
}

/** The login a JAAS entry describes, or a ClientConfigError for a module the CLI cannot use. */
export function jaasLogin(entry: JaasEntry): JaasLogin {
  const { loginModule, options } = entry;
  switch (loginModule) {
    case plainLoginModule:
    case scramLoginModule: {
      if (loginModule === scramLoginModule && options.get("tokenauth")?.toLowerCase() === "true")
        throw new ClientConfigError("sasl.jaas.config: delegation tokens (tokenauth=true) are not supported");
      const username = options.get("username");
      const password = options.get("password");
      if (password !== undefined) rememberSecret(password);
      return {
        kind: "password",
        module: loginModule === plainLoginModule ? "plain" : "scram",
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
      };
    }
    case oauthBearerLoginModule:
      return { kind: "oauthbearer", unsecured: unsecuredLogin(options) };
    default:
      throw new ClientConfigError(
        `sasl.jaas.config: login module ${loginModule} is not supported (the CLI logs in with PlainLoginModule, ScramLoginModule or OAuthBearerLoginModule's unsecured login)`,
      );
  }
}

const claimPrefixes = {
  string: "unsecuredLoginStringClaim_",
  number: "unsecuredLoginNumberClaim_",
  list: "unsecuredLoginListClaim_",
} as const;
const extensionPrefix = "unsecuredLoginExtension_";
const reservedClaims = new Set(["iat", "exp"]);

/** OAuthBearerLoginModule's unsecured-login options, or undefined when it has none. */
function unsecuredLogin(options: ReadonlyMap<string, string>): UnsecuredLogin | undefined {
  const fail = (why: string): never => {
    throw new ClientConfigError(`sasl.jaas.config: ${why}`);
  };
  const claims = new Map<string, string | number | readonly string[]>();
  const extensions = new Map<string, string>();
  let any = false;
  for (const [key, value] of options) {
    if (key.startsWith("unsecuredLogin")) any = true;
    const kind = (Object.keys(claimPrefixes) as (keyof typeof claimPrefixes)[]).find((k) =>
      key.startsWith(claimPrefixes[k]),
    );
    if (kind !== undefined) {
      const name = key.slice(claimPrefixes[kind].length);
      if (name === "") fail(`option ${key} names no claim`);
      if (reservedClaims.has(name)) fail(`claim ${name} is set from the time and unsecuredLoginLifetimeSeconds`);
      if (kind === "string") claims.set(name, value);
      else if (kind === "number") {
        const n = Number(value.trim());
        if (value.trim() === "" || !Number.isFinite(n)) fail(`option ${key} is not a number`);
        claims.set(name, n);
      } else {
        // The first character is the delimiter: ",a,b" is ["a", "b"].
        const delimiter = value[0];
        claims.set(
          name,
          delimiter === undefined
            ? []
            : value
                .slice(1)
                .split(delimiter)
                .filter((v) => v !== ""),
        );
      }
    } else if (key.startsWith(extensionPrefix)) {
      const name = key.slice(extensionPrefix.length);
      if (!/^[A-Za-z]+$/.test(name) || name === "auth") fail(`option ${key}: invalid SASL extension name`);
      if (!/^[\x21-\x7e \t\r\n]+$/.test(value)) fail(`option ${key}: invalid SASL extension value`);
      extensions.set(name, value);
    }
  }
  if (!any) return undefined;
  const principalClaimName = (options.get("unsecuredLoginPrincipalClaimName") ?? "").trim() || "sub";
  const lifetimeText = (options.get("unsecuredLoginLifetimeSeconds") ?? "").trim();
  const lifetimeSeconds = lifetimeText === "" ? 3600 : Number(lifetimeText);
  if (!/^\d+$/.test(lifetimeText === "" ? "3600" : lifetimeText) || lifetimeSeconds < 1 || lifetimeSeconds > 2 ** 31)
    fail("unsecuredLoginLifetimeSeconds must be a positive integer");
  const principal = claims.get(principalClaimName);
  if (typeof principal !== "string" || principal.trim() === "")
    fail(`the unsecured login needs the principal: unsecuredLoginStringClaim_${principalClaimName}="NAME"`);
  return { principalClaimName, lifetimeSeconds, claims, extensions };
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An unsecured JWS (`<header>.<claims>.`) for the login, issued at `nowMs`. */
export function unsecuredToken(login: UnsecuredLogin, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  // fromEntries makes own properties of any name (a claim "__proto__" stays a claim).
  const claims = Object.fromEntries([["iat", iat], ["exp", iat + login.lifetimeSeconds], ...login.claims]);
  return `${base64url({ alg: "none" })}.${base64url(claims)}.`;
}
