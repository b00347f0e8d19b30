// The connection's login state machine with a hand-moved clock (KIP-368 sessions): the session
// lifetime rule (connections.max.reauth.ms, the OAUTHBEARER token's expiry, the smaller of both),
// re-authentication on an authenticated connection (at most once a second, same mechanism, same
// principal), a request after the session ended refused with a reason, SaslAuthenticate v0 clients
// held to the same expiry, and the login timer restarting for a re-authentication.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "@samsa/protocol";
import { createLogger } from "../../src/logger.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { ScramCredentialStore } from "../../src/security/credential-store.ts";
import type { ListenerConfig, SaslMechanismName } from "../../src/security/listeners.ts";
import { encodeClientFirst } from "../../src/security/oauthbearer.ts";
import { ConnectionSecurity, reauthenticationIntervalMsMin } from "../../src/security/session.ts";
import { unsecuredValidatorOptions } from "../../src/security/unsecured-jws.ts";

const never = new AbortController().signal;
const credentials = await ScramCredentialStore.open({ backend: new MemoryFileBackend(), dataDir: "/samsa" });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const plain = (user: string, password: string): Uint8Array => Buffer.from(`\u0000${user}\u0000${password}`);

function listener(reauthMs: Partial<Record<SaslMechanismName, number>>): ListenerConfig {
  return {
    name: "SASL_PLAINTEXT",
    securityProtocol: "SASL_PLAINTEXT",
    host: "127.0.0.1",
    port: 0,
    advertised: undefined,
    tls: undefined,
    sasl: {
      mechanisms: ["PLAIN", "OAUTHBEARER"],
      plainUsers: new Map([
        ["alice", "alice-pw"],
        ["bob", "bob-pw"],
      ]),
      oauthBearer: unsecuredValidatorOptions(new Map()),
      connectionsMaxReauthMs: new Map(Object.entries(reauthMs) as [SaslMechanismName, number][]),
    },
  };
}

function connection(reauthMs: Partial<Record<SaslMechanismName, number>>) {
  const clock = { now: 1_800_000_000_000 };
  const lines: string[] = [];
  const security = new ConnectionSecurity({
    listener: listener(reauthMs),
    logger: createLogger({ level: "debug", sink: (line) => lines.push(line), clock: () => clock.now }),
    credentials,
    peer: "192.0.2.1",
    failedAuthenticationDelayMs: 0,
    nowMs: () => clock.now,
  });
  return { security, clock, lines };
}

/** Runs a login (or re-authentication) the way the request handlers drive the session. */
async function login(security: ConnectionSecurity, mechanism: string, token: Uint8Array, version = 1) {
  assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
  assert.ok(security.expectsHandshake, "the handshake is part of a login");
  assert.equal(security.handshake(mechanism, version).errorCode, "none");
  assert.equal(security.admit(ApiKey.SaslAuthenticate).admit, true);
  return security.authenticate(token, never);
}

const token = (claims: object): Uint8Array => encodeClientFirst({ token: `${b64({ alg: "none" })}.${b64(claims)}.` });

describe("sessions and re-authentication", () => {
  test("no connections.max.reauth.ms and no expiring credential: the session never ends", async () => {
    const { security, clock } = connection({});
    assert.deepEqual(await login(security, "PLAIN", plain("alice", "alice-pw")), {
      ok: true,
      token: new Uint8Array(0),
      sessionLifetimeMs: 0,
    });
    assert.equal(security.sessionExpiresAt, undefined);
    clock.now += 365 * 86_400_000;
    assert.equal(security.admit(ApiKey.Metadata).admit, true);
    // A handshake after the login is not a re-authentication: the handler answers ILLEGAL_SASL_STATE.
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    assert.equal(security.expectsHandshake, false);
  });

  test("the lifetime rule: the setting, the token's remaining life, or the smaller of both", async () => {
    const plainOnly = connection({ PLAIN: 3000 });
    const first = await login(plainOnly.security, "PLAIN", plain("alice", "alice-pw"));
    assert.equal(first.ok && first.sessionLifetimeMs, 3000);
    assert.equal(plainOnly.security.sessionExpiresAt, plainOnly.clock.now + 3000);

    const nowS = 1_800_000_000;
    const tokenOnly = connection({});
    const long = await login(tokenOnly.security, "OAUTHBEARER", token({ sub: "alice", exp: nowS + 600 }));
    assert.equal(long.ok && long.sessionLifetimeMs, 600_000, "OAUTHBEARER sessions end with the token");

    const both = connection({ OAUTHBEARER: 5000, PLAIN: 60_000 });
    const shortToken = await login(both.security, "OAUTHBEARER", token({ sub: "alice", exp: nowS + 1.25 }));
    assert.equal(shortToken.ok && shortToken.sessionLifetimeMs, 1250);
    const longToken = await login(
      connection({ OAUTHBEARER: 5000 }).security,
      "OAUTHBEARER",
      token({ sub: "a", exp: nowS + 60 }),
    );
    assert.equal(longToken.ok && longToken.sessionLifetimeMs, 5000);
  });

  test("a request after the session ended is refused; a SaslHandshake then still re-authenticates", async () => {
    const { security, clock } = connection({ PLAIN: 3000 });
    await login(security, "PLAIN", plain("alice", "alice-pw"));
    clock.now += 3000;
    assert.equal(security.admit(ApiKey.Fetch).admit, true, "not after the end yet");
    clock.now += 1;
    const refused = security.admit(ApiKey.Fetch);
    assert.equal(refused.admit, false);
    assert.match(refused.admit ? "" : refused.reason, /Fetch request after the SASL session expired \(1 ms ago\)/);
    const again = await login(security, "PLAIN", plain("alice", "alice-pw"));
    assert.equal(again.ok && again.sessionLifetimeMs, 3000);
    assert.equal(security.admit(ApiKey.Fetch).admit, true);
  });

  test("re-authentication keeps the principal, logs, and is allowed once a second", async () => {
    const { security, clock, lines } = connection({ PLAIN: 3000 });
    await login(security, "PLAIN", plain("alice", "alice-pw"));
    clock.now += 2000;
    assert.equal((await login(security, "PLAIN", plain("alice", "alice-pw"))).ok, true);
    assert.equal(security.principal.name, "alice");
    assert.equal(security.sessionExpiresAt, clock.now + 3000);
    assert.ok(lines.some((l) => l.includes('"re-authenticated"') && l.includes('"principal":"User:alice"')));
    // Within a second of the last start: an ordinary request (ILLEGAL_SASL_STATE from the handler).
    clock.now += reauthenticationIntervalMsMin - 1;
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    assert.equal(security.expectsHandshake, false);
    clock.now += 1;
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    assert.equal(security.expectsHandshake, true);
  });

  test("during a re-authentication other requests close the connection; the principal stays meanwhile", async () => {
    const { security } = connection({ PLAIN: 3000 });
    await login(security, "PLAIN", plain("alice", "alice-pw"));
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    assert.equal(security.principal.name, "alice", "requests already in flight keep running as alice");
    assert.equal(security.authenticated, false);
    const refused = security.admit(ApiKey.Produce);
    assert.equal(refused.admit, false);
    assert.match(refused.admit ? "" : refused.reason, /during SASL handshake/);
  });

  test("another principal on re-authentication fails with Kafka's message and closes", async () => {
    const { security, clock, lines } = connection({ PLAIN: 3000 });
    await login(security, "PLAIN", plain("alice", "alice-pw"));
    clock.now += 1500;
    const outcome = await login(security, "PLAIN", plain("bob", "bob-pw"));
    assert.deepEqual(outcome, {
      ok: false,
      errorMessage: "Cannot change principals during re-authentication from User.alice: User.bob",
    });
    assert.equal(security.state, "failed");
    assert.equal(security.principal.name, "alice");
    assert.equal(security.closeAfterResponse, "failed re-authentication");
    assert.ok(lines.some((l) => l.includes('"failed authentication"') && l.includes('"reauthentication":true')));
  });

  test("a refused credential on re-authentication: the generic message says re-authentication", async () => {
    const { security } = connection({ PLAIN: 3000, OAUTHBEARER: 3000 });
    await login(security, "OAUTHBEARER", token({ sub: "alice", exp: 1_800_000_100 }));
    const outcome = await login(security, "OAUTHBEARER", Buffer.from("not a client first message"));
    assert.deepEqual(outcome, {
      ok: false,
      errorMessage:
        "Authentication failed during re-authentication due to invalid credentials with SASL mechanism OAUTHBEARER",
    });
  });

  test("another mechanism on re-authentication: the handshake passes, SaslAuthenticate fails unanswered", async () => {
    const { security, lines } = connection({ PLAIN: 3000 });
    await login(security, "PLAIN", plain("alice", "alice-pw"));
    const outcome = await login(security, "OAUTHBEARER", token({ sub: "alice", exp: 1_800_000_100 }));
    assert.deepEqual(outcome, { ok: false, errorMessage: undefined });
    assert.equal(security.state, "failed");
    assert.ok(lines.some((l) => l.includes("is not supported for re-authentication of mechanism 'PLAIN'")));
  });

  test("SaslHandshake v0 (bare tokens) and SaslAuthenticate v0 clients are held to the same expiry", async () => {
    const { security, clock } = connection({ PLAIN: 3000 });
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    security.handshake("PLAIN", 0);
    assert.ok(security.expectsRawToken);
    const answer = await security.rawToken(plain("alice", "alice-pw"), never);
    assert.deepEqual(answer, [Uint8Array.of(0, 0, 0, 0), new Uint8Array(0)]);
    assert.equal(security.sessionExpiresAt, clock.now + 3000);
    clock.now += 3001;
    assert.equal(security.admit(ApiKey.Metadata).admit, false);
  });

  test("the login timer restarts for a re-authentication", async () => {
    const { security, clock } = connection({ PLAIN: 3000 });
    assert.equal(security.loginOverdue(clock.now + 10_001, 10_000), true, "a fresh connection must log in");
    await login(security, "PLAIN", plain("alice", "alice-pw"));
    clock.now += 60_000;
    assert.equal(security.loginOverdue(clock.now, 10_000), false, "logged in");
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    assert.equal(security.loginOverdue(clock.now + 10_000, 10_000), false);
    assert.equal(security.loginOverdue(clock.now + 10_001, 10_000), true);
  });

  test("a second token sent before the first was answered fails the login", async () => {
    const { security } = connection({});
    assert.equal(security.admit(ApiKey.SaslHandshake).admit, true);
    security.handshake("OAUTHBEARER", 1);
    const first = security.authenticate(token({ sub: "alice", exp: 1_800_000_100 }), never);
    const second = await security.authenticate(token({ sub: "alice", exp: 1_800_000_100 }), never);
    assert.equal(second.ok, false);
    await first;
    assert.equal(security.state, "failed");
  });
});
