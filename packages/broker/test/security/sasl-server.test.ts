// The SASL login state machine against an in-process broker with a PLAINTEXT, a SASL_PLAINTEXT and
// a SASL_SSL-free setup: what is admitted before authentication, bad mechanisms, out-of-order
// requests, oversized tokens, wrong passwords (answered after the delay, then closed), replayed
// SCRAM messages, SCRAM credentials managed through Alter/DescribeUserScramCredentials and kept
// across a restart, per-listener advertised addresses — and that no secret reaches the log.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { ApiKey, decodeResponseFrame, encodeRequestFrame, ErrorCode, FrameSplitter } from "@samsa/protocol";
import { waitFor, WireClient } from "@samsa/testkit";
import { createLogger, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";
import { saltedPassword, ScramClient, scramMechanismByName } from "../../src/security/scram.ts";
import type { ScramMechanism } from "../../src/security/scram.ts";

const sha256 = scramMechanismByName("SCRAM-SHA-256") as ScramMechanism;
const sha512 = scramMechanismByName("SCRAM-SHA-512") as ScramMechanism;
const utf8 = new TextEncoder();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const secrets = ["alice-plain-secret", "bob-scram-secret", "wrong-password-xyz"];

const logLines: string[] = [];
let broker: RunningBroker;
let dataDir: string;
let saslAddress: string;
let plaintextAddress: string;

async function start(): Promise<void> {
  broker = await startBroker({
    dataDir,
    listen: "127.0.0.1:0",
    logger: createLogger({ level: "debug", sink: (line) => logLines.push(line) }),
    settings: {
      listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
      "advertised.listeners": "SASL_PLAINTEXT://sasl.example.com:19093",
      "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${secrets[0]}";`,
      "connection.failed.authentication.delay.ms": "150",
      "sasl.server.max.receive.size": "4096",
      "samsa.log.durability": "os",
    },
  });
  saslAddress = broker.listeners.get("SASL_PLAINTEXT") ?? "";
  plaintextAddress = broker.listeners.get("PLAINTEXT") ?? "";
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "samsa-sasl-"));
  await start();
});

after(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function closedLine(reason: RegExp): Promise<string> {
  return waitFor(() => logLines.find((l) => l.includes('"connection closed"') && reason.test(l)), {
    timeoutMs: 3000,
    what: `a "connection closed" line matching ${reason}`,
  });
}

async function handshake(client: WireClient, mechanism: string): Promise<void> {
  const response = await client.send(ApiKey.SaslHandshake, 1, { mechanism });
  assert.equal(response.errorCode, 0);
  assert.deepEqual(response.mechanisms, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
}

async function authenticate(client: WireClient, token: string | Uint8Array) {
  return client.send(ApiKey.SaslAuthenticate, 2, {
    authBytes: typeof token === "string" ? utf8.encode(token) : token,
  });
}

async function scramLogin(address: string, mechanism: ScramMechanism, user: string, password: string) {
  const client = await WireClient.connect(address);
  await handshake(client, mechanism.name);
  const scram = new ScramClient({ mechanism, user, password });
  const first = await authenticate(client, scram.first());
  if (first.errorCode !== 0) return { client, errorCode: first.errorCode, verified: false };
  const final = await authenticate(client, scram.final(text(first.authBytes)));
  return { client, errorCode: final.errorCode, verified: final.errorCode === 0 && scram.verify(text(final.authBytes)) };
}

async function upsert(user: string, mechanism: ScramMechanism, password: string, iterations = 4096) {
  const admin = await WireClient.connect(plaintextAddress);
  try {
    const salt = randomBytes(16);
    return await admin.send(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [
        {
          name: user,
          mechanism: mechanism.code,
          iterations,
          salt,
          saltedPassword: saltedPassword(mechanism, password, salt, iterations),
        },
      ],
    });
  } finally {
    admin.close();
  }
}

describe("SASL listener", () => {
  test("ApiVersions before the handshake advertises the SASL and SCRAM APIs", async () => {
    const client = await WireClient.connect(saslAddress);
    const versions = await client.send(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    const keys = versions.apiKeys.map((k) => k.apiKey);
    for (const key of [
      ApiKey.SaslHandshake,
      ApiKey.SaslAuthenticate,
      ApiKey.DescribeUserScramCredentials,
      ApiKey.AlterUserScramCredentials,
    ]) {
      assert.ok(keys.includes(key), `ApiVersions lacks ${key}`);
    }
    // A second ApiVersions during the login is out of order: the connection closes.
    await assert.rejects(client.send(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" }));
    await closedLine(/unexpected ApiVersions request during SASL handshake/);
    client.close();
  });

  test("any other request before authentication closes the connection", async () => {
    const client = await WireClient.connect(saslAddress);
    await assert.rejects(client.send(ApiKey.Metadata, 12, { topics: null }));
    await closedLine(/unexpected Metadata request during SASL handshake/);
    client.close();
    const second = await WireClient.connect(saslAddress);
    await handshake(second, "PLAIN");
    await assert.rejects(second.send(ApiKey.Metadata, 12, { topics: null }));
    await closedLine(/unexpected Metadata request during SASL authentication/);
    second.close();
  });

  test("an unknown mechanism is refused with the enabled list, then the connection closes", async () => {
    const client = await WireClient.connect(saslAddress);
    const response = await client.send(ApiKey.SaslHandshake, 1, { mechanism: "GSSAPI" });
    assert.equal(response.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(response.mechanisms, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
    await client.waitForClose(3000);
  });

  test("PLAIN: the right password logs in and Metadata answers this listener's advertised address", async () => {
    const client = await WireClient.connect(saslAddress);
    await handshake(client, "PLAIN");
    const response = await authenticate(client, `\u0000alice\u0000${secrets[0]}`);
    assert.equal(response.errorCode, 0);
    assert.equal(response.sessionLifetimeMs, 0n);
    const metadata = await client.send(ApiKey.Metadata, 12, { topics: null });
    assert.deepEqual(
      metadata.brokers.map((b) => `${b.host}:${b.port}`),
      ["sasl.example.com:19093"],
    );
    // A second handshake after the login is ILLEGAL_SASL_STATE (no re-authentication).
    const again = await client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
    assert.equal(again.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    client.close();
    // The PLAINTEXT listener answers its own address.
    const plain = await WireClient.connect(plaintextAddress);
    const plainMetadata = await plain.send(ApiKey.Metadata, 12, { topics: null });
    assert.deepEqual(
      plainMetadata.brokers.map((b) => `${b.host}:${b.port}`),
      [plaintextAddress],
    );
    plain.close();
  });

  test("PLAIN: a wrong password is SASL_AUTHENTICATION_FAILED after the delay, then closed", async () => {
    const client = await WireClient.connect(saslAddress);
    await handshake(client, "PLAIN");
    const response = await authenticate(client, `\u0000alice\u0000${secrets[2]}`);
    assert.equal(response.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(response.errorMessage, "Authentication failed: Invalid username or password");
    await client.waitForClose(3000);
    const line = await waitFor(
      () => logLines.find((l) => l.includes('"failed authentication"') && l.includes('"mechanism":"PLAIN"')),
      {
        timeoutMs: 3000,
        what: "the failed-login log line",
      },
    );
    assert.match(line, /"principal":"User:alice"/);
  });

  test("SCRAM: credentials from AlterUserScramCredentials log in; Describe lists them; wrong passwords fail", async () => {
    for (const mechanism of [sha256, sha512]) {
      const result = await upsert("bob", mechanism, secrets[1] ?? "", 8192);
      assert.deepEqual(result.results, [{ user: "bob", errorCode: 0, errorMessage: null }]);
      const ok = await scramLogin(saslAddress, mechanism, "bob", secrets[1] ?? "");
      assert.equal(ok.errorCode, 0);
      assert.equal(ok.verified, true, "the server signature verifies");
      const metadata = await ok.client.send(ApiKey.Metadata, 12, { topics: null });
      assert.equal(metadata.brokers.length, 1);
      ok.client.close();
      const bad = await scramLogin(saslAddress, mechanism, "bob", secrets[2] ?? "");
      assert.equal(bad.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
      await bad.client.waitForClose(3000);
      const unknown = await scramLogin(saslAddress, mechanism, "nobody", "x");
      assert.equal(unknown.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
      unknown.client.close();
    }
    const admin = await WireClient.connect(plaintextAddress);
    const described = await admin.send(ApiKey.DescribeUserScramCredentials, 0, {
      users: [{ name: "bob" }, { name: "carol" }],
    });
    assert.deepEqual(described.results, [
      {
        user: "bob",
        errorCode: 0,
        errorMessage: null,
        credentialInfos: [
          { mechanism: 1, iterations: 8192 },
          { mechanism: 2, iterations: 8192 },
        ],
      },
      {
        user: "carol",
        errorCode: ErrorCode.RESOURCE_NOT_FOUND,
        errorMessage: "Attempt to describe a user credential that does not exist",
        credentialInfos: [],
      },
    ]);
    admin.close();
  });

  test("SCRAM: a client-final replayed on a new connection fails", async () => {
    await upsert("dave", sha256, "dave-pw");
    const first = await WireClient.connect(saslAddress);
    await handshake(first, sha256.name);
    const scram = new ScramClient({ mechanism: sha256, user: "dave", password: "dave-pw", clientNonce: "same-nonce" });
    const serverFirst = await authenticate(first, scram.first());
    const clientFinal = scram.final(text(serverFirst.authBytes));
    assert.equal((await authenticate(first, clientFinal)).errorCode, 0);
    first.close();
    const replay = await WireClient.connect(saslAddress);
    await handshake(replay, sha256.name);
    await authenticate(replay, scram.first());
    const replayed = await authenticate(replay, clientFinal);
    assert.equal(replayed.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    await replay.waitForClose(3000);
    await waitFor(() => logLines.find((l) => l.includes('"failed authentication"') && l.includes("nonce mismatch")), {
      timeoutMs: 3000,
      what: "the nonce-mismatch log line",
    });
  });

  test("SaslHandshake v0: bare SASL tokens follow (PLAIN), then requests work", async () => {
    const at = saslAddress.lastIndexOf(":");
    const socket = connect({ host: saslAddress.slice(0, at), port: Number(saslAddress.slice(at + 1)) });
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
    const frames: Uint8Array[] = [];
    socket.on("data", (chunk: Buffer) => frames.push(...splitter.push(chunk)));
    const next = (): Promise<Uint8Array> =>
      waitFor(() => frames.shift(), { timeoutMs: 3000, what: "a frame from the broker" });
    socket.write(
      encodeRequestFrame({
        apiKey: ApiKey.SaslHandshake,
        apiVersion: 0,
        correlationId: 1,
        clientId: "v0",
        body: { mechanism: "PLAIN" },
      }),
    );
    const handshakeResponse = decodeResponseFrame(ApiKey.SaslHandshake, 0, await next()).body;
    assert.equal(handshakeResponse.errorCode, 0);
    const token = utf8.encode(`\u0000alice\u0000${secrets[0]}`);
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    socket.write(Buffer.concat([size, token]));
    assert.equal((await next()).length, 0, "PLAIN answers with an empty token");
    socket.write(
      encodeRequestFrame({
        apiKey: ApiKey.Metadata,
        apiVersion: 12,
        correlationId: 2,
        clientId: "v0",
        body: { topics: null },
      }),
    );
    const metadata = decodeResponseFrame(ApiKey.Metadata, 12, await next()).body;
    assert.equal(metadata.brokers.length, 1);
    socket.destroy();
  });

  test("a request above sasl.server.max.receive.size before authentication closes the connection", async () => {
    const client = await WireClient.connect(saslAddress);
    await handshake(client, "PLAIN");
    const big = encodeRequestFrame({
      apiKey: ApiKey.SaslAuthenticate,
      apiVersion: 2,
      correlationId: 99,
      clientId: "t",
      body: { authBytes: new Uint8Array(5000) },
    });
    client.writeRaw(big);
    await client.waitForClose(3000);
    await closedLine(/sasl.server.max.receive.size/);
    // After the login, large requests are fine.
    const authed = await WireClient.connect(saslAddress);
    await handshake(authed, "PLAIN");
    assert.equal((await authenticate(authed, `\u0000alice\u0000${secrets[0]}`)).errorCode, 0);
    const metadata = await authed.send(ApiKey.Metadata, 12, {
      topics: [{ name: "x".repeat(6000), topicId: "00000000-0000-0000-0000-000000000000" }],
      allowAutoTopicCreation: false,
    });
    assert.equal(metadata.topics.length, 1);
    authed.close();
  });

  test("Alter/DescribeUserScramCredentials validation and deletion", async () => {
    const admin = await WireClient.connect(plaintextAddress);
    const salt = randomBytes(8);
    const salted = saltedPassword(sha256, "pw", salt, 4096);
    const result = await admin.send(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: "ghost", mechanism: 1 }],
      upsertions: [
        { name: "few", mechanism: 1, iterations: 1000, salt, saltedPassword: salted },
        { name: "many", mechanism: 1, iterations: 20000, salt, saltedPassword: salted },
        { name: "odd", mechanism: 9, iterations: 4096, salt, saltedPassword: salted },
        { name: "twice", mechanism: 1, iterations: 4096, salt, saltedPassword: salted },
        { name: "twice", mechanism: 1, iterations: 4096, salt, saltedPassword: salted },
        { name: "", mechanism: 1, iterations: 4096, salt, saltedPassword: salted },
      ],
    });
    assert.deepEqual(
      result.results.map((r) => [r.user, r.errorCode]),
      [
        ["ghost", ErrorCode.RESOURCE_NOT_FOUND],
        ["few", ErrorCode.UNACCEPTABLE_CREDENTIAL],
        ["many", ErrorCode.UNACCEPTABLE_CREDENTIAL],
        ["odd", ErrorCode.UNSUPPORTED_SASL_MECHANISM],
        ["twice", ErrorCode.DUPLICATE_RESOURCE],
        ["", ErrorCode.UNACCEPTABLE_CREDENTIAL],
      ],
    );
    // A user may be altered once per request: both mechanisms at once is DUPLICATE_RESOURCE, nothing applied.
    const both = await admin.send(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [
        { name: "erin", mechanism: 1, iterations: 4096, salt, saltedPassword: salted },
        {
          name: "erin",
          mechanism: 2,
          iterations: 4096,
          salt,
          saltedPassword: saltedPassword(sha512, "pw", salt, 4096),
        },
      ],
    });
    assert.deepEqual(both.results, [
      {
        user: "erin",
        errorCode: ErrorCode.DUPLICATE_RESOURCE,
        errorMessage: "A user credential cannot be altered twice in the same request",
      },
    ]);
    const all = await admin.send(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    assert.deepEqual(
      all.results.map((r) => r.user).filter((u) => ["few", "many", "odd", "twice", "erin"].includes(u)),
      [],
    );
    const deleted = await admin.send(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: "dave", mechanism: 1 }],
      upsertions: [],
    });
    assert.deepEqual(deleted.results, [{ user: "dave", errorCode: 0, errorMessage: null }]);
    const described = await admin.send(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: "dave" }] });
    assert.equal(described.results[0]?.errorCode, ErrorCode.RESOURCE_NOT_FOUND);
    admin.close();
  });

  test("SCRAM credentials survive a restart and are stored salted, never in plain text", async () => {
    const file = readFileSync(join(dataDir, "scram-credentials.json"), "utf8");
    assert.match(file, /"bob"/);
    assert.doesNotMatch(file, new RegExp(secrets[1] ?? ""));
    await broker.close();
    await start();
    const ok = await scramLogin(broker.listeners.get("SASL_PLAINTEXT") ?? "", sha512, "bob", secrets[1] ?? "");
    assert.equal(ok.errorCode, 0);
    ok.client.close();
  });

  test("no password or key material appears in the log", () => {
    const all = logLines.join("\n");
    assert.match(all, /"authenticated"/);
    assert.match(all, /"failed authentication"/);
    for (const secret of secrets) assert.doesNotMatch(all, new RegExp(secret), `the log contains ${secret}`);
    const stored = JSON.parse(readFileSync(join(dataDir, "scram-credentials.json"), "utf8")) as {
      users: Record<string, Record<string, { storedKey: string; serverKey: string; salt: string }>>;
    };
    for (const byMechanism of Object.values(stored.users)) {
      for (const c of Object.values(byMechanism)) {
        for (const key of [c.storedKey, c.serverKey]) assert.ok(!all.includes(key), "a SCRAM key is in the log");
      }
    }
  });
});

describe("SASL login timeout", () => {
  test("a login not completed within samsa.sasl.login.timeout.ms closes; a completed one stays", async () => {
    const lines: string[] = [];
    const timed = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: createLogger({ level: "info", sink: (line) => lines.push(line) }),
      settings: {
        listeners: "SASL_PLAINTEXT://127.0.0.1:0",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${secrets[0]}";`,
        "samsa.sasl.login.timeout.ms": "300",
      },
    });
    try {
      const address = timed.listeners.get("SASL_PLAINTEXT") ?? "";
      const done = await WireClient.connect(address);
      await handshake(done, "PLAIN");
      assert.equal((await authenticate(done, `\u0000alice\u0000${secrets[0]}`)).errorCode, 0);
      const stalled = await WireClient.connect(address);
      await handshake(stalled, "PLAIN");
      await stalled.waitForClose(5000);
      await waitFor(() => lines.find((l) => l.includes('"connection closed"') && /SASL login not completed/.test(l)), {
        timeoutMs: 3000,
        what: "the login timeout's log line",
      });
      // Older than the timeout by now, but logged in: still served.
      const metadata = await done.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false });
      assert.equal(metadata.brokers.length, 1);
      done.close();
    } finally {
      await timed.close();
    }
  });
});
