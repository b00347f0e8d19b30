// OAUTHBEARER and re-authentication against an in-process broker, with hand-written client
// messages: a login with an unsecured JWS (principal User:<sub>, session lifetime bounded by the
// token and connections.max.reauth.ms), refusals answered with RFC 7628's JSON error then closed
// and logged without the token, a session that ends closing the connection at the next request,
// re-authentication while a long poll is in flight, and a validator passed to startBroker (its
// principals checked by the ACL authorizer, its refusals, its failures, a validator that hangs).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { waitFor, WireClient } from "@samsa/testkit";
import { createLogger, OAuthBearerValidationError, startBroker } from "../../src/index.ts";
import type { OAuthBearerValidator, RunningBroker } from "../../src/index.ts";
import { Operation, PatternType, Permission, ResourceType } from "../../src/security/acl.ts";
import { encodeClientFirst } from "../../src/security/oauthbearer.ts";

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const jws = (claims: object): string => `${b64({ alg: "none" })}.${b64(claims)}.`;
const nowS = (): number => Date.now() / 1000;
const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const reauthMs = 600;

async function handshake(client: WireClient, mechanism = "OAUTHBEARER"): Promise<void> {
  const response = await client.send(ApiKey.SaslHandshake, 1, { mechanism });
  assert.equal(response.errorCode, 0);
}

function authenticate(client: WireClient, bytes: Uint8Array, version = 2) {
  return client.send(ApiKey.SaslAuthenticate, version, { authBytes: bytes });
}

const metadata = (client: WireClient, topics: { name: string }[] | null = [], allowAutoTopicCreation = false) =>
  client.send(ApiKey.Metadata, 12, {
    topics: topics === null ? null : topics.map((t) => ({ ...t, topicId: "00000000-0000-0000-0000-000000000000" })),
    allowAutoTopicCreation,
  });

describe("OAUTHBEARER with Kafka's unsecured validator, and re-authentication", () => {
  const lines: string[] = [];
  let broker: RunningBroker;
  let address: string;
  const logged = (what: string, predicate: (line: string) => boolean): Promise<string> =>
    waitFor(() => lines.find(predicate), { timeoutMs: 5000, what });

  before(async () => {
    broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: createLogger({ level: "debug", sink: (line) => lines.push(line) }),
      settings: {
        listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
        "sasl.enabled.mechanisms": "OAUTHBEARER,PLAIN",
        "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config":
          "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required " +
          'unsecuredLoginStringClaim_sub="broker" unsecuredValidatorRequiredScope="kafka";',
        "listener.name.sasl_plaintext.plain.sasl.jaas.config":
          'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-pw";',
        "listener.name.sasl_plaintext.plain.connections.max.reauth.ms": String(reauthMs),
        "connection.failed.authentication.delay.ms": "50",
      },
    });
    address = broker.listeners.get("SASL_PLAINTEXT") ?? "";
  });

  after(async () => {
    await broker.close();
  });

  test("a hand-written client first message logs in as User:<sub>; the session ends with the token", async () => {
    const client = await WireClient.connect(address);
    try {
      await handshake(client);
      const token = jws({ sub: "alice", exp: nowS() + 30, iat: nowS(), scope: ["kafka"] });
      const bytes = Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001traceId=abc\u0001\u0001`, "latin1");
      const response = await authenticate(client, bytes);
      assert.equal(response.errorCode, 0);
      assert.equal(response.authBytes.length, 0);
      assert.ok(response.sessionLifetimeMs > 25_000n && response.sessionLifetimeMs <= 30_000n);
      assert.equal((await metadata(client)).brokers.length, 1);
      await logged(
        "the authenticated line",
        (l) => l.includes('"authenticated"') && l.includes('"principal":"User:alice"') && l.includes("OAUTHBEARER"),
      );
    } finally {
      client.close();
    }
  });

  test("a refused token: the JSON error, the client's ^A, SASL_AUTHENTICATION_FAILED, closed, logged without the token", async () => {
    const client = await WireClient.connect(address);
    const token = jws({ sub: "mallory", exp: nowS() - 5, scope: ["kafka"], marker: "token-marker-4711" });
    await handshake(client);
    const challenge = await authenticate(client, encodeClientFirst({ token }));
    assert.equal(challenge.errorCode, 0);
    assert.equal(text(challenge.authBytes), '{"status":"invalid_token"}');
    const final = await authenticate(client, Uint8Array.of(1));
    assert.equal(final.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(final.errorMessage, '{"status":"invalid_token"}');
    await client.waitForClose(3000);
    const line = await logged(
      "the failed login line",
      (l) => l.includes('"failed authentication"') && /Expiration/.test(l),
    );
    assert.match(line, /"mechanism":"OAUTHBEARER"/);
    assert.match(line, /invalid_token/);
    // Insufficient scope names the required list.
    const second = await WireClient.connect(address);
    await handshake(second);
    const scoped = await authenticate(second, encodeClientFirst({ token: jws({ sub: "a", exp: nowS() + 30 }) }));
    assert.equal(text(scoped.authBytes), '{"status":"insufficient_scope", "scope":"[kafka]"}');
    second.close();
    // A malformed message gets Kafka's generic answer.
    const third = await WireClient.connect(address);
    await handshake(third);
    const malformed = await authenticate(third, Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001`));
    assert.equal(malformed.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(
      malformed.errorMessage,
      "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER",
    );
    await third.waitForClose(3000);
    const all = lines.join("\n");
    assert.ok(!all.includes(token) && !all.includes("token-marker-4711") && !all.includes(b64({ alg: "none" })));
  });

  test("a session that ended without re-authentication closes the connection at its next request", async () => {
    const client = await WireClient.connect(address);
    await handshake(client, "PLAIN");
    const response = await authenticate(client, Buffer.from("\u0000alice\u0000alice-pw"));
    assert.equal(response.sessionLifetimeMs, BigInt(reauthMs));
    const expiresAt = Date.now() + reauthMs;
    // The session is measured by the broker's clock from its answer: wait until it has surely ended.
    await waitFor(() => (Date.now() > expiresAt + 100 ? true : undefined), {
      timeoutMs: reauthMs + 5000,
      what: "the session's end",
    });
    await assert.rejects(metadata(client));
    await logged(
      "the expiry line",
      (l) => l.includes('"connection closed"') && l.includes("Metadata request after the SASL session expired"),
    );
  });

  test("re-authentication while a long poll is in flight: the poll answers, the connection carries on", async () => {
    const client = await WireClient.connect(address);
    try {
      await handshake(client, "PLAIN");
      await authenticate(client, Buffer.from("\u0000alice\u0000alice-pw"));
      const topic = `reauth-${Date.now()}`;
      await waitFor(
        async () => ((await metadata(client, [{ name: topic }], true)).topics[0]?.errorCode === 0 ? true : undefined),
        { timeoutMs: 3000, what: "the topic" },
      );
      const poll = client.send(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 400,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: "",
      });
      const reHandshake = client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
      const reAuthenticate = authenticate(client, Buffer.from("\u0000alice\u0000alice-pw"));
      const fetched = await poll;
      assert.equal(fetched.errorCode, 0);
      assert.equal(fetched.responses[0]?.partitions[0]?.errorCode, 0);
      assert.equal((await reHandshake).errorCode, 0);
      const renewed = await reAuthenticate;
      assert.equal(renewed.errorCode, 0);
      assert.equal(renewed.sessionLifetimeMs, BigInt(reauthMs));
      assert.equal((await metadata(client)).brokers.length, 1);
      await logged("the re-authenticated line", (l) => l.includes('"re-authenticated"') && l.includes("User:alice"));
    } finally {
      client.close();
    }
  });
});

describe("a validator passed to startBroker", () => {
  const lines: string[] = [];
  let broker: RunningBroker;
  let address: string;
  const validator: OAuthBearerValidator = async (token, extensions, context) => {
    if (context.listener !== "SASL_PLAINTEXT") throw new Error(`unexpected listener ${context.listener}`);
    const user = /^secret-(\w+)$/.exec(token)?.[1];
    if (token === "hang") {
      await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
      throw new Error("gave up");
    }
    if (token === "boom") throw new Error("identity provider unreachable");
    if (user === undefined) throw new OAuthBearerValidationError("unknown token", { status: "invalid_token" });
    if (extensions.get("tenant") === "other") {
      throw new OAuthBearerValidationError("wrong tenant", { scope: "tenant:main" });
    }
    return { principalName: user, lifetimeMs: Date.now() + 60_000 };
  };

  before(async () => {
    broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: createLogger({ level: "info", sink: (line) => lines.push(line) }),
      oauthBearerValidator: validator,
      settings: {
        listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
        "sasl.enabled.mechanisms": "OAUTHBEARER",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:alice",
        "connection.failed.authentication.delay.ms": "0",
        "samsa.sasl.login.timeout.ms": "400",
      },
    });
    address = broker.listeners.get("SASL_PLAINTEXT") ?? "";
  });

  after(async () => {
    await broker.close();
  });

  async function loginWith(token: string, extensions?: ReadonlyMap<string, string>) {
    const client = await WireClient.connect(address);
    await handshake(client);
    const response = await authenticate(client, encodeClientFirst({ token, ...(extensions ? { extensions } : {}) }));
    return { client, response };
  }

  const describeAcls = (client: WireClient) =>
    client.send(ApiKey.DescribeAcls, 3, {
      resourceTypeFilter: ResourceType.ANY,
      resourceNameFilter: null,
      patternTypeFilter: PatternType.ANY,
      principalFilter: null,
      hostFilter: null,
      operation: Operation.ANY,
      permissionType: Permission.ANY,
    });

  test("its principal is the one the authorizer sees; its expiry bounds the session", async () => {
    const alice = await loginWith("secret-alice");
    assert.equal(alice.response.errorCode, 0);
    assert.ok(alice.response.sessionLifetimeMs > 50_000n && alice.response.sessionLifetimeMs <= 60_000n);
    assert.equal((await describeAcls(alice.client)).errorCode, 0, "alice is a super user");
    alice.client.close();
    const bob = await loginWith("secret-bob");
    assert.equal(bob.response.errorCode, 0);
    assert.equal((await describeAcls(bob.client)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    bob.client.close();
  });

  test("its refusals become RFC 7628 errors; its failures the generic one; a hang ends with the login timeout", async () => {
    const unknown = await loginWith("who-knows");
    assert.equal(text(unknown.response.authBytes), '{"status":"invalid_token"}');
    unknown.client.close();
    const tenant = await loginWith("secret-carol", new Map([["tenant", "other"]]));
    assert.equal(text(tenant.response.authBytes), '{"status":"insufficient_scope", "scope":"tenant:main"}');
    const failed = await authenticate(tenant.client, Uint8Array.of(1));
    assert.equal(failed.errorMessage, '{"status":"insufficient_scope", "scope":"tenant:main"}');
    tenant.client.close();
    const boom = await loginWith("boom");
    assert.equal(boom.response.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(
      boom.response.errorMessage,
      "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER",
    );
    await boom.client.waitForClose(3000);
    assert.ok(lines.some((l) => l.includes('"failed authentication"') && l.includes("identity provider unreachable")));
    const client = await WireClient.connect(address);
    await handshake(client);
    // The validation is aborted, or the connection closed, at samsa.sasl.login.timeout.ms: whichever comes first.
    const hung = await authenticate(client, encodeClientFirst({ token: "hang" })).then(
      (r) => r.errorCode,
      () => "closed",
    );
    assert.ok(hung === ErrorCode.SASL_AUTHENTICATION_FAILED || hung === "closed", String(hung));
    await client.waitForClose(3000);
  });
});
