// SASL/PLAIN (RFC 4616) on the broker: the JAAS-style option text that lists the users
// (`user_<name>="<password>"`, as Kafka's PlainLoginModule reads it) and the check of one
// client token. Passwords live only in the broker's configuration; they are never logged.
import { timingSafeEqual, createHash } from "node:crypto";

/** A JAAS login module entry: `<class> <flag> key="value" ... ;`. */
export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

export class JaasConfigError extends Error {
  override readonly name = "JaasConfigError";
}

/** Parses one `sasl.jaas.config` value. Values may be quoted ("..." with \" and \\ escapes) or bare. */
export function parseJaasConfig(text: string): JaasEntry {
  const s = text.trim();
  let i = 0;
  const skipSpace = (): void => {
    while (i < s.length && /\s/.test(s[i] ?? "")) i++;
  };
  const word = (): string => {
    skipSpace();
    const start = i;
    while (i < s.length && /[^\s=;"]/.test(s[i] ?? "")) i++;
    return s.slice(start, i);
  };
  const loginModule = word();
  const flag = word();
  if (loginModule === "" || !/^(required|requisite|sufficient|optional)$/.test(flag)) {
    throw new JaasConfigError("expected '<LoginModule class> required key=\"value\" ... ;'");
  }
  const options = new Map<string, string>();
  for (;;) {
    skipSpace();
    if (s[i] === ";") {
      i++;
      skipSpace();
      if (i !== s.length) throw new JaasConfigError("only one login module entry is supported");
      break;
    }
    if (i >= s.length) throw new JaasConfigError("missing ';' at the end");
    const key = word();
    skipSpace();
    if (key === "" || s[i] !== "=") throw new JaasConfigError(`expected key="value" at offset ${i}`);
    i++;
    skipSpace();
    let value = "";
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length) i++;
        value += s[i];
        i++;
      }
      if (s[i] !== '"') throw new JaasConfigError(`unterminated quoted value of ${key}`);
      i++;
    } else value = word();
    options.set(key, value);
  }
  return { loginModule, flag, options };
}

/** The users a PlainLoginModule entry defines: `user_alice="secret"` → alice → secret. */
export function plainUsers(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>();
  for (const [key, value] of entry.options) if (key.startsWith("user_")) users.set(key.slice(5), value);
  return users;
}

export class PlainError extends Error {
  override readonly name = "PlainError";
  /** What the client is told (as Kafka words it), when more than the generic failure. */
  readonly clientMessage: string | undefined;
  constructor(message: string, clientMessage?: string) {
    super(message);
    this.clientMessage = clientMessage;
  }
}

/** Splits a PLAIN token `[authzid] NUL authcid NUL passwd`; throws PlainError when malformed. */
export function parsePlainToken(token: Uint8Array): { authzid: string; user: string; password: string } {
  const parts = Buffer.from(token).toString("utf8").split("\u0000");
  if (parts.length !== 3) throw new PlainError("invalid SASL/PLAIN request: expected 3 tokens");
  const [authzid = "", user = "", password = ""] = parts;
  if (user === "") throw new PlainError("invalid SASL/PLAIN request: empty username");
  if (password === "") throw new PlainError("invalid SASL/PLAIN request: empty password");
  if (authzid !== "" && authzid !== user) {
    throw new PlainError(
      "authorization id differs from the username",
      "Authentication failed: Client requested an authorization id that is different from username",
    );
  }
  return { authzid, user, password };
}

/** Checks a PLAIN token against the configured users; returns the user or throws PlainError. */
export function verifyPlain(token: Uint8Array, users: ReadonlyMap<string, string>): string {
  const { user, password } = parsePlainToken(token);
  const expected = users.get(user);
  // Compare digests so the comparison takes the same time whatever the lengths.
  const h = (v: string): Buffer => createHash("sha256").update(v, "utf8").digest();
  if (expected === undefined || !timingSafeEqual(h(expected), h(password))) {
    throw new PlainError("invalid username or password", "Authentication failed: Invalid username or password");
  }
  return user;
}
