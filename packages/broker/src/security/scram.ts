// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) for the broker side: the key derivation
// used when credentials are stored, and the two-step server exchange a SaslAuthenticate carries.
// Only StoredKey and ServerKey are kept; a password never reaches the broker in SCRAM.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

export type ScramMechanismName = "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface ScramMechanism {
  readonly name: ScramMechanismName;
  /** The code AlterUserScramCredentials / DescribeUserScramCredentials use. */
  readonly code: number;
  readonly hash: "sha256" | "sha512";
  readonly keyBytes: number;
}

export const scramMechanisms: readonly ScramMechanism[] = [
  { name: "SCRAM-SHA-256", code: 1, hash: "sha256", keyBytes: 32 },
  { name: "SCRAM-SHA-512", code: 2, hash: "sha512", keyBytes: 64 },
];

/** As Kafka: fewer iterations are refused, more than the maximum too (AlterUserScramCredentials). */
export const scramIterationsMin = 4096;
export const scramIterationsMax = 16384;

export function scramMechanismByName(name: string): ScramMechanism | undefined {
  return scramMechanisms.find((m) => m.name === name);
}

export function scramMechanismByCode(code: number): ScramMechanism | undefined {
  return scramMechanisms.find((m) => m.code === code);
}

/** What is stored per user and mechanism: never the password nor the salted password. */
export interface ScramCredential {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

const hmac = (m: ScramMechanism, key: Uint8Array, data: Uint8Array | string): Buffer =>
  createHmac(m.hash, key).update(data).digest();
const digest = (m: ScramMechanism, data: Uint8Array): Buffer => createHash(m.hash).update(data).digest();

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(m: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, m.keyBytes, m.hash);
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSaltedPassword(
  m: ScramMechanism,
  salted: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): ScramCredential {
  const clientKey = hmac(m, salted, "Client Key");
  return { salt, iterations, storedKey: digest(m, clientKey), serverKey: hmac(m, salted, "Server Key") };
}

export function credentialFromPassword(
  m: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): ScramCredential {
  return credentialFromSaltedPassword(m, saltedPassword(m, password, salt, iterations), salt, iterations);
}

/** A SCRAM exchange failed; the message names the reason but never a secret. */
export class ScramError extends Error {
  override readonly name = "ScramError";
}

/** `=2C` and `=3D` decoding of a saslname (RFC 5802 §5.1); any other `=` escape is invalid. */
export function decodeSaslName(value: string): string {
  if (/=(?!2C|3D)/.test(value)) throw new ScramError("invalid username encoding");
  return value.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

const printable = /^[\x21-\x2b\x2d-\x7e]+$/; // RFC 5802 'printable': no comma

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (m === null) throw new ScramError("malformed SCRAM message");
    out.set(m[1] ?? "", m[2] ?? "");
  }
  return out;
}

/** The state of one server-side exchange: client-first → server-first, client-final → server-final. */
export class ScramServer {
  private readonly mechanism: ScramMechanism;
  private readonly lookup: (user: string) => ScramCredential | undefined;
  private readonly serverNonce: string;
  private state: "first" | "final" | "complete" | "failed" = "first";
  private gs2Header = "";
  private clientFirstBare = "";
  private serverFirst = "";
  private nonce = "";
  private credential: ScramCredential | undefined;
  /** The authenticated user (available once complete). */
  user = "";

  constructor(options: {
    mechanism: ScramMechanism;
    lookup: (user: string) => ScramCredential | undefined;
    /** Tests pin the nonce; otherwise 24 random bytes. */
    serverNonce?: string;
  }) {
    this.mechanism = options.mechanism;
    this.lookup = options.lookup;
    this.serverNonce = options.serverNonce ?? randomBytes(24).toString("base64url");
  }

  get complete(): boolean {
    return this.state === "complete";
  }

  /** Evaluates one client message and returns the server's answer; throws ScramError on failure. */
  evaluate(token: Uint8Array): Uint8Array {
    try {
      const message = Buffer.from(token).toString("utf8");
      switch (this.state) {
        case "first":
          return Buffer.from(this.clientFirst(message), "utf8");
        case "final":
          return Buffer.from(this.clientFinal(message), "utf8");
        case "complete":
        case "failed":
          throw new ScramError("unexpected SCRAM message after the exchange ended");
      }
    } catch (error) {
      this.state = "failed";
      throw error;
    }
  }

  private clientFirst(message: string): string {
    // gs2-header: "n," / "y," (no channel binding) then an optional "a=authzid", then ","
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
    if (m === null) {
      throw new ScramError(
        message.startsWith("p=") ? "channel binding is not supported" : "invalid client-first message",
      );
    }
    this.gs2Header = `${m[1]},${m[2] ?? ""},`;
    this.clientFirstBare = m[3] ?? "";
    const attrs = attributes(this.clientFirstBare);
    const user = decodeSaslName(attrs.get("n") ?? "");
    const clientNonce = attrs.get("r") ?? "";
    if (user === "" || clientNonce === "" || !printable.test(clientNonce)) {
      throw new ScramError("invalid client-first message");
    }
    const authzid = m[2] === undefined ? "" : decodeSaslName(m[2].slice(2));
    if (authzid !== "" && authzid !== user) throw new ScramError("authorization id differs from the user name");
    const credential = this.lookup(user);
    if (credential === undefined) throw new ScramError(`no ${this.mechanism.name} credential for the user`);
    this.user = user;
    this.credential = credential;
    this.nonce = clientNonce + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${Buffer.from(credential.salt).toString("base64")},i=${credential.iterations}`;
    this.state = "final";
    return this.serverFirst;
  }

  private clientFinal(message: string): string {
    const credential = this.credential;
    if (credential === undefined) throw new ScramError("no credential");
    const proofAt = message.lastIndexOf(",p=");
    if (proofAt < 0) throw new ScramError("invalid client-final message");
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(message);
    if (attrs.get("c") !== Buffer.from(this.gs2Header, "utf8").toString("base64")) {
      throw new ScramError("channel binding mismatch");
    }
    // Exactly the combined nonce (RFC 5802; Kafka 4 checks equality too). Some clients, such as
    // librdkafka 2.0, repeat their own part in front of it and are refused by both brokers.
    if (attrs.get("r") !== this.nonce) throw new ScramError("nonce mismatch");
    const proof = Buffer.from(attrs.get("p") ?? "", "base64");
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const m = this.mechanism;
    const clientSignature = hmac(m, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError("invalid proof");
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = (proof[i] ?? 0) ^ (clientSignature[i] ?? 0);
    if (!timingSafeEqual(digest(m, clientKey), credential.storedKey)) throw new ScramError("invalid credentials");
    const serverSignature = hmac(m, credential.serverKey, authMessage);
    this.state = "complete";
    return `v=${serverSignature.toString("base64")}`;
  }
}

/**
 * The client side of the exchange (tests and tools): builds client-first and client-final and
 * checks the server signature.
 */
export class ScramClient {
  private readonly mechanism: ScramMechanism;
  private readonly password: string;
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(options: { mechanism: ScramMechanism; user: string; password: string; clientNonce?: string }) {
    this.mechanism = options.mechanism;
    this.password = options.password;
    const name = options.user.replaceAll("=", "=3D").replaceAll(",", "=2C");
    this.clientFirstBare = `n=${name},r=${options.clientNonce ?? randomBytes(18).toString("base64url")}`;
  }

  first(): string {
    return `n,,${this.clientFirstBare}`;
  }

  final(serverFirst: string): string {
    const attrs = attributes(serverFirst);
    const salt = Buffer.from(attrs.get("s") ?? "", "base64");
    const iterations = Number(attrs.get("i"));
    const m = this.mechanism;
    const salted = saltedPassword(m, this.password, salt, iterations);
    const clientKey = hmac(m, salted, "Client Key");
    const withoutProof = `c=${Buffer.from("n,,").toString("base64")},r=${attrs.get("r") ?? ""}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(m, digest(m, clientKey), authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] ?? 0) ^ (clientSignature[i] ?? 0);
    this.serverSignature = hmac(m, hmac(m, salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** Whether server-final carries the expected server signature. */
  verify(serverFinal: string): boolean {
    return this.serverSignature !== undefined && serverFinal === `v=${this.serverSignature.toString("base64")}`;
  }
}
