// The live fuzz harness's attacks on SASL logins (used by live-fuzz.ts), each on a fresh connection
// to the SASL_PLAINTEXT listener: complete logins with every mechanism (PLAIN, SCRAM-SHA-256/512,
// OAUTHBEARER) and handshake version (must succeed), re-authentications (too soon, the same,
// another principal, another mechanism), wrong passwords, unknown users, tampered SCRAM proofs and
// nonces, replayed SCRAM finals and bad bearer tokens (must be refused), byte-mutated handshake and
// authenticate frames, requests out of the login's order, unsupported mechanisms, oversized and
// garbage tokens, and logins left unfinished (must be hung up on: samsa.sasl.login.timeout.ms).
// Also the login the authenticated fuzz workers use before attacking a logged-in connection.
import { ApiKey, decodeResponseFrame, encodeRequestFrame, peekCorrelationId } from "@samsa/protocol";
import { waitFor } from "@samsa/testkit";
import { encodeClientFirst } from "../../src/security/oauthbearer.ts";
import { ScramClient, scramMechanismByName } from "../../src/security/scram.ts";
import type { ScramMechanism } from "../../src/security/scram.ts";
import { delay, frameMutator, int32, rawConnect } from "./frames.ts";
import type { Dice, Raw } from "./frames.ts";

/** The fuzz user: a PLAIN user of the listener and a SCRAM user (credentials added by the harness). */
export const fuzzUser = { name: "fuzzer", password: "fuzzer-secret-password" } as const;
/** sasl.server.max.receive.size for the fuzzed broker: small, so oversized tokens are cheap to send. */
export const saslReceiveBytesMax = 8192;
/** samsa.sasl.login.timeout.ms for the fuzzed broker: well inside an attack's outcome timeout. */
export const saslLoginTimeoutMs = 2000;

export type SaslMechanismName = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "OAUTHBEARER";
export const mechanisms: readonly SaslMechanismName[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];
/** The scope the fuzzed broker's unsecured OAUTHBEARER validator requires. */
export const oauthScope = "kafka";
/** connections.max.reauth.ms for the fuzzed broker: sessions end, and re-authenticate, during a run. */
export const reauthMs = 3000;

/** An unsecured JWS (alg none) as Kafka's unsecured login makes, with claims overridable. */
export function unsecuredToken(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  const nowS = Math.floor(Date.now() / 1000);
  const part = (o: Record<string, unknown>): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", ...header })}.${part({ sub: fuzzUser.name, iat: nowS, exp: nowS + 3600, scope: [oauthScope], ...claims })}.`;
}

/** What an attack must lead to: a working login, a refusal (hang-up), or either (no hang). */
export type Expectation = "login" | "refused" | "either";

export interface SaslAttack {
  readonly kind: string;
  readonly expect: Expectation;
  /** Whether to send the probe (ApiVersions v0) afterwards; without it the broker must hang up by itself. */
  readonly probe: boolean;
  /** Frames sent, for the failure report. */
  readonly sent: readonly Uint8Array[];
}

const text = new TextEncoder();
const utf8 = new TextDecoder();

/** Raised when the broker neither answered nor hung up within the attack's patience: a finding. */
export class StuckError extends Error {
  override readonly name = "StuckError";
}

let correlation = 1;

/** Sends a frame and waits for the answer with its correlation id; undefined when the broker hung up. */
async function exchange(raw: Raw, frame: Uint8Array, timeoutMs: number): Promise<Uint8Array | undefined> {
  const id = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(8);
  raw.socket.write(frame);
  return waitFor(
    () => {
      const answer = raw.frames.find((f) => f.length >= 4 && peekCorrelationId(f) === id);
      if (answer !== undefined) return { answer };
      return raw.closed ? { answer: undefined } : undefined;
    },
    { timeoutMs, intervalMs: 2, what: "an answer or a hang-up" },
  )
    .then((r) => r.answer)
    .catch(() => {
      throw new StuckError(`no answer and no hang-up within ${timeoutMs} ms`);
    });
}

/** Sends a bare token (after SaslHandshake v0) and waits for the next frame or a hang-up. */
async function exchangeRaw(raw: Raw, token: Uint8Array, timeoutMs: number): Promise<Uint8Array | undefined> {
  const seen = raw.frames.length;
  raw.socket.write(Buffer.concat([int32(token.length), token]));
  return waitFor(
    () => (raw.frames.length > seen ? { f: raw.frames[seen] } : raw.closed ? { f: undefined } : undefined),
    {
      timeoutMs,
      intervalMs: 2,
      what: "a token or a hang-up",
    },
  )
    .then((r) => r.f)
    .catch(() => {
      throw new StuckError(`no token and no hang-up within ${timeoutMs} ms`);
    });
}

const handshakeFrame = (mechanism: string, version: number): Uint8Array =>
  encodeRequestFrame({
    apiKey: ApiKey.SaslHandshake,
    apiVersion: version,
    correlationId: correlation++,
    clientId: "fuzz-sasl",
    body: { mechanism },
  });

const authenticateFrame = (token: Uint8Array, version: number): Uint8Array =>
  encodeRequestFrame({
    apiKey: ApiKey.SaslAuthenticate,
    apiVersion: version,
    correlationId: correlation++,
    clientId: "fuzz-sasl",
    body: { authBytes: token },
  });

const apiVersionsFrame = (): Uint8Array =>
  encodeRequestFrame({
    apiKey: ApiKey.ApiVersions,
    apiVersion: 3,
    correlationId: correlation++,
    clientId: "fuzz-sasl",
    body: { clientSoftwareName: "samsa-fuzz", clientSoftwareVersion: "1" },
  });

const plainToken = (user: string, password: string): Uint8Array => text.encode(`\u0000${user}\u0000${password}`);

/**
 * One SASL login as a client performs it, with optional tampering of the SCRAM client-final.
 * Returns whether the broker accepted it (the last answer had no error); undefined when it hung up.
 */
async function login(
  raw: Raw,
  sent: Uint8Array[],
  options: {
    mechanism: SaslMechanismName;
    user: string;
    password: string;
    handshakeVersion: 0 | 1;
    authenticateVersion: number;
    apiVersionsFirst: boolean;
    /** PLAIN: this token instead of the user's. */
    plainToken?: Uint8Array;
    /** OAUTHBEARER: this client first message instead of a genuine token for the user. */
    oauthFirst?: Uint8Array;
    /** SCRAM: changes the client-final before it is sent. */
    tamperFinal?: (final: string) => string;
    /** SCRAM: sees the genuine client-final (for replays). */
    recordFinal?: (final: string) => void;
    timeoutMs: number;
  },
): Promise<boolean | undefined> {
  const send = async (frame: Uint8Array): Promise<Uint8Array | undefined> => {
    sent.push(frame);
    return exchange(raw, frame, options.timeoutMs);
  };
  if (options.apiVersionsFirst && (await send(apiVersionsFrame())) === undefined) return undefined;
  const hs = await send(handshakeFrame(options.mechanism, options.handshakeVersion));
  if (hs === undefined) return undefined;
  if (decodeResponseFrame(ApiKey.SaslHandshake, options.handshakeVersion, hs).body.errorCode !== 0) return false;
  // One token exchange: bare after a v0 handshake, in SaslAuthenticate after v1.
  const step = async (token: Uint8Array): Promise<{ ok: boolean; token: Uint8Array } | undefined> => {
    if (options.handshakeVersion === 0) {
      sent.push(token);
      const answer = await exchangeRaw(raw, token, options.timeoutMs);
      return answer === undefined ? undefined : { ok: true, token: answer };
    }
    const answer = await send(authenticateFrame(token, options.authenticateVersion));
    if (answer === undefined) return undefined;
    const body = decodeResponseFrame(ApiKey.SaslAuthenticate, options.authenticateVersion, answer).body;
    return { ok: body.errorCode === 0, token: body.authBytes };
  };
  if (options.mechanism === "PLAIN") {
    return (await step(options.plainToken ?? plainToken(options.user, options.password)))?.ok;
  }
  if (options.mechanism === "OAUTHBEARER") {
    const first = await step(options.oauthFirst ?? encodeClientFirst({ token: unsecuredToken({ sub: options.user }) }));
    if (first === undefined || !first.ok) return first?.ok;
    if (first.token.length === 0) return true;
    // A refused token comes back as an error challenge; the client's ^A ends the login (refused).
    const last = await step(Uint8Array.of(1));
    return last === undefined ? undefined : false;
  }
  const client = new ScramClient({
    mechanism: scramMechanismByName(options.mechanism) as ScramMechanism,
    user: options.user,
    password: options.password,
  });
  const first = await step(text.encode(client.first()));
  if (first === undefined || !first.ok) return first?.ok;
  let final = client.final(utf8.decode(first.token));
  options.recordFinal?.(final);
  if (options.tamperFinal !== undefined) final = options.tamperFinal(final);
  const last = await step(text.encode(final));
  if (last === undefined || !last.ok) return last?.ok;
  // A tampered exchange that the server accepted would be a finding; a genuine one must verify.
  return options.tamperFinal === undefined ? client.verify(utf8.decode(last.token)) : true;
}

/** Logs a connection in for the authenticated workers; throws unless the login works. */
export async function loginForAttacks(raw: Raw, mechanism: SaslMechanismName, timeoutMs: number): Promise<void> {
  const ok = await login(raw, [], {
    mechanism,
    user: fuzzUser.name,
    password: fuzzUser.password,
    handshakeVersion: 1,
    authenticateVersion: 2,
    apiVersionsFirst: true,
    timeoutMs,
  });
  if (ok !== true) throw new Error(`the fuzz user's ${mechanism} login ${ok === false ? "was refused" : "hung up"}`);
}

/** Replaces a SCRAM attribute's value (`p=` proof, `r=` nonce, `c=` channel binding). */
function tamperAttribute(final: string, name: string, change: (value: string) => string): string {
  return final
    .split(",")
    .map((attr) => (attr.startsWith(`${name}=`) ? `${name}=${change(attr.slice(2))}` : attr))
    .join(",");
}

/** Flips one bit of a base64 value (a proof that is wrong by one bit). */
function flipBase64Bit(value: string, d: Dice): string {
  const bytes = Buffer.from(value, "base64");
  const i = d.int(Math.max(1, bytes.length));
  bytes[i] = (bytes[i] ?? 0) ^ (1 << d.int(8));
  return bytes.toString("base64");
}

/**
 * Builds the SASL attack generator for one worker. Each call opens its own connection (to `port`),
 * runs the attack and returns it; the caller probes and judges the outcome.
 */
export function saslAttackGenerator(
  d: Dice,
  port: number,
  timeoutMs: number,
): () => Promise<{ attack: SaslAttack; raw: Raw }> {
  const { int, pick, noise, random } = d;
  const mutate = frameMutator(d);
  /** A SCRAM client-final from an earlier genuine login, replayed in later sessions. */
  let recordedFinal: string | undefined;

  return async () => {
    const raw = await rawConnect(port);
    const sent: Uint8Array[] = [];
    const roll = int(100);
    const mechanism = pick(mechanisms);
    const handshakeVersion: 0 | 1 = random() < 0.3 ? 0 : 1;
    const base = {
      mechanism,
      user: fuzzUser.name,
      password: fuzzUser.password,
      handshakeVersion,
      authenticateVersion: int(3),
      apiVersionsFirst: random() < 0.5,
      timeoutMs,
    };
    const done = (kind: string, expect: Expectation, probe = true): { attack: SaslAttack; raw: Raw } => ({
      attack: { kind, expect, probe, sent },
      raw,
    });

    if (roll < 18) {
      // A genuine login: must work, whatever the mechanism and versions.
      await login(raw, sent, { ...base, recordFinal: (final) => (recordedFinal = final) });
      return done(`login ${mechanism} v${base.handshakeVersion}`, "login");
    }
    if (roll < 26) {
      // Re-authentication on a logged-in connection (KIP-368).
      const variant = int(4);
      const first = variant === 2 ? "OAUTHBEARER" : mechanism;
      const v1 = { ...base, handshakeVersion: 1 as const, apiVersionsFirst: false };
      if ((await login(raw, sent, { ...v1, mechanism: first })) !== true) {
        return done(`re-authentication ${first}: the first login`, "login");
      }
      // A re-authentication within a second of the last login is refused and the session goes on.
      if (variant !== 0) await delay(1100);
      if (variant === 0 || variant === 1) {
        await login(raw, sent, { ...v1, mechanism: first });
        return done(`re-authentication ${first} (${variant === 0 ? "too soon" : "same"})`, "login");
      }
      if (variant === 2) {
        // Another principal (an unsecured token may name any): refused, and the connection closes.
        await login(raw, sent, { ...v1, mechanism: "OAUTHBEARER", user: `intruder-${int(1000)}` });
        return done("re-authentication as another principal", "refused");
      }
      await login(raw, sent, { ...v1, mechanism: pick(mechanisms.filter((m) => m !== first)) });
      return done(`re-authentication ${first} with another mechanism`, "refused");
    }
    if (roll < 40 && mechanism === "OAUTHBEARER") {
      // Bad bearer tokens: expired, without the required scope, signed, without a subject, not a
      // JWS, another scheme, a malformed message. Refused.
      const nowS = Math.floor(Date.now() / 1000);
      const variant = int(7);
      const first =
        variant === 0
          ? encodeClientFirst({ token: unsecuredToken({ exp: nowS - 120, iat: nowS - 240 }) })
          : variant === 1
            ? encodeClientFirst({ token: unsecuredToken({ scope: ["other"] }) })
            : variant === 2
              ? encodeClientFirst({ token: unsecuredToken({}, { alg: "HS256" }) })
              : variant === 3
                ? encodeClientFirst({ token: unsecuredToken({ sub: "" }) })
                : variant === 4
                  ? encodeClientFirst({ token: Buffer.from(noise(1 + int(64))).toString("base64url") })
                  : variant === 5
                    ? text.encode(`n,,\u0001auth=Basic ${unsecuredToken()}\u0001\u0001`)
                    : text.encode(`n,,\u0001auth=Bearer ${unsecuredToken()}`);
      await login(raw, sent, { ...base, oauthFirst: first });
      return done(`bad bearer token (${variant})`, "refused");
    }
    if (roll < 40) {
      // Bad credentials of every kind: must be refused.
      const variant = int(6);
      if (variant === 0) await login(raw, sent, { ...base, password: `${fuzzUser.password}x` });
      else if (variant === 1) await login(raw, sent, { ...base, user: `nobody-${int(1000)}` });
      else if (variant === 2 && mechanism !== "PLAIN") {
        await login(raw, sent, { ...base, tamperFinal: (f) => tamperAttribute(f, "p", (p) => flipBase64Bit(p, d)) });
      } else if (variant === 3 && mechanism !== "PLAIN") {
        // The nonce must be exactly client + server nonce (librdkafka < 2.6.1 repeats its own: refused).
        const change = pick([
          (r: string): string => `${r}x`,
          (r: string): string => r.slice(0, -1),
          (r: string): string => `${r}${r}`,
        ]);
        await login(raw, sent, { ...base, tamperFinal: (f) => tamperAttribute(f, "r", change) });
      } else if (variant === 4 && mechanism !== "PLAIN" && recordedFinal !== undefined) {
        // Replaying another session's final: its nonce and proof belong to that session.
        const replay = recordedFinal;
        await login(raw, sent, { ...base, tamperFinal: () => replay });
      } else {
        // PLAIN with another authorization id, an empty password or user, or the fields mixed up.
        const token = pick([
          text.encode(`other\u0000${fuzzUser.name}\u0000${fuzzUser.password}`),
          plainToken(fuzzUser.name, ""),
          plainToken("", fuzzUser.password),
          text.encode(`${fuzzUser.name}\u0000${fuzzUser.password}`),
          text.encode(`\u0000${fuzzUser.name}\u0000${fuzzUser.password}\u0000`),
        ]);
        await login(raw, sent, { ...base, mechanism: "PLAIN", plainToken: token });
      }
      return done(`bad credentials (${variant}) ${mechanism}`, "refused");
    }
    if (roll < 55) {
      // A byte-mutated handshake or authenticate frame in an otherwise genuine exchange.
      if (random() < 0.4) {
        const frame = mutate(handshakeFrame(mechanism, base.handshakeVersion));
        sent.push(frame);
        raw.socket.write(frame);
        const token = authenticateFrame(plainToken(fuzzUser.name, fuzzUser.password), 2);
        sent.push(token);
        raw.socket.write(token);
      } else {
        const hs = handshakeFrame("PLAIN", 1);
        sent.push(hs);
        if ((await exchange(raw, hs, timeoutMs)) !== undefined) {
          const frame = mutate(
            authenticateFrame(plainToken(fuzzUser.name, fuzzUser.password), base.authenticateVersion),
          );
          sent.push(frame);
          raw.socket.write(frame);
        }
      }
      return done("mutated login frame", "either");
    }
    if (roll < 67) {
      // Requests out of the login's order: the connection must close.
      const variant = int(4);
      const frames =
        variant === 0
          ? [
              encodeRequestFrame({
                apiKey: ApiKey.Metadata,
                apiVersion: 12,
                correlationId: correlation++,
                body: { topics: null, allowAutoTopicCreation: false },
              }),
            ]
          : variant === 1
            ? [authenticateFrame(plainToken(fuzzUser.name, fuzzUser.password), 2)]
            : variant === 2
              ? [handshakeFrame("PLAIN", 1), handshakeFrame("PLAIN", 1), apiVersionsFrame()]
              : [handshakeFrame(mechanism, 1), apiVersionsFrame()];
      // (variant 2: after a handshake only SaslAuthenticate may follow; a second handshake closes)
      for (const f of frames) sent.push(f);
      raw.socket.write(Buffer.concat(frames));
      return done(`out of order (${variant})`, "refused", false);
    }
    if (roll < 75) {
      // An unsupported or nonsense mechanism: answered UNSUPPORTED_SASL_MECHANISM, then closed.
      const name = pick([
        "GSSAPI",
        "OAUTHBEARER",
        "plain",
        "SCRAM-SHA-1",
        "",
        "\u0000",
        utf8.decode(noise(1 + int(40))),
      ]);
      const frame = handshakeFrame(name, int(2));
      sent.push(frame);
      raw.socket.write(frame);
      return done("unsupported mechanism", "refused");
    }
    if (roll < 83) {
      // Oversized: a token or a frame above sasl.server.max.receive.size before the login.
      const big = noise(saslReceiveBytesMax + 1 + int(64 * 1024));
      const frames =
        random() < 0.5
          ? [handshakeFrame(mechanism, 1), authenticateFrame(big, 2)]
          : [handshakeFrame(mechanism, 0), Buffer.concat([int32(big.length), big])];
      for (const f of frames) sent.push(f);
      raw.socket.write(Buffer.concat(frames));
      return done("oversized token", "refused", false);
    }
    if (roll < 92) {
      // Garbage tokens after a v0 or v1 handshake.
      const version = int(2);
      const hs = handshakeFrame(mechanism, version);
      sent.push(hs);
      if ((await exchange(raw, hs, timeoutMs)) !== undefined) {
        const token = noise(int(200));
        const frame = version === 0 ? Buffer.concat([int32(token.length), token]) : authenticateFrame(token, int(3));
        sent.push(frame);
        raw.socket.write(frame);
      }
      return done(`garbage token v${version}`, "refused");
    }
    // An unfinished login (the handshake, perhaps a first SCRAM message, a partial frame), then
    // nothing: the login timeout or the read timeout must end it.
    const hs = handshakeFrame(mechanism, 1);
    sent.push(hs);
    if ((await exchange(raw, hs, timeoutMs)) !== undefined && random() < 0.5) {
      const partial = authenticateFrame(plainToken(fuzzUser.name, fuzzUser.password), 2);
      const cut = partial.subarray(0, 1 + int(partial.length - 1));
      sent.push(cut);
      raw.socket.write(cut);
    }
    return done("unfinished login", "refused", false);
  };
}
