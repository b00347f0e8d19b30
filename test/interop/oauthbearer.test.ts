// SASL/OAUTHBEARER (KIP-255, RFC 7628) and re-authentication (KIP-368), against Samsa and Apache
// Kafka alike, with the same broker settings: an OAUTH listener validating unsecured JWS tokens
// (Kafka's default validator, requiring the scope "kafka") and a REAUTH listener with
// connections.max.reauth.ms (3000 ms, 2000 ms for OAUTHBEARER). Hand-written SaslHandshake and
// SaslAuthenticate requests check the answers byte for byte (JSON errors, messages, session
// lifetimes, re-authentication rules, what closes the connection); Kafka's Java console tools,
// kcat and confluent-kafka-python (librdkafka's unsecured JWT) log in, produce and consume; a
// token with a missing scope or that expired is refused for each; the Java console consumer keeps
// consuming across several re-authentications with PLAIN and with OAUTHBEARER.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";
import {
  confluentRoundTrip,
  kafkaTool,
  consoleConsume,
  kafkaToolOk,
  kafkaToolsMissing,
  pythonModuleMissing,
  repoRoot,
  run,
  runOk,
  targetKind,
  useTarget,
  which,
} from "./support.ts";
import type { PythonRoundTrip } from "./support.ts";

const reauthMs = 3000;
const oauthReauthMs = 2000;
const users = { alice: "alice-pw", bob: "bob-pw" };
const plainJaas =
  "org.apache.kafka.common.security.plain.PlainLoginModule required " +
  `username="alice" password="${users.alice}" user_alice="${users.alice}" user_bob="${users.bob}";`;
// Kafka's broker also logs itself in with the module: unsecuredLoginStringClaim_sub gives it a token.
const oauthJaas = (options: string): string =>
  `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker"${options};`;
const generic = (what: string): string =>
  `Authentication failed during ${what} due to invalid credentials with SASL mechanism OAUTHBEARER`;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const jws = (claims: object, header: object = { alg: "none" }): string => `${b64(header)}.${b64(claims)}.`;
const nowS = (): number => Date.now() / 1000;
const clientFirst = (token: string, options: { authzid?: string; extensions?: string } = {}): Uint8Array =>
  Buffer.from(
    `n,${options.authzid ? `a=${options.authzid}` : ""},\u0001auth=Bearer ${token}\u0001${options.extensions ?? ""}\u0001`,
  );
const plain = (user: keyof typeof users): Uint8Array => Buffer.from(`\u0000${user}\u0000${users[user]}`);
const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");

const javaMissing = kafkaToolsMissing();
const kcat = which("kcat") ?? which("kafkacat");
const pythonMissing = pythonModuleMissing("confluent_kafka", "python3-confluent-kafka");

describe("SASL/OAUTHBEARER and re-authentication (KIP-368)", () => {
  const target = useTarget({
    listeners: [
      { name: "OAUTH", securityProtocol: "SASL_PLAINTEXT" },
      { name: "REAUTH", securityProtocol: "SASL_PLAINTEXT" },
    ],
    settings: {
      "sasl.enabled.mechanisms": "OAUTHBEARER,PLAIN",
      "listener.name.oauth.sasl.enabled.mechanisms": "OAUTHBEARER",
      "listener.name.oauth.oauthbearer.sasl.jaas.config": oauthJaas(' unsecuredValidatorRequiredScope="kafka"'),
      "listener.name.reauth.oauthbearer.sasl.jaas.config": oauthJaas(""),
      "listener.name.reauth.plain.sasl.jaas.config": plainJaas,
      "listener.name.reauth.connections.max.reauth.ms": String(reauthMs),
      "listener.name.reauth.oauthbearer.connections.max.reauth.ms": String(oauthReauthMs),
    },
  });
  const oauth = (): string => target().listenerAddresses.get("OAUTH") ?? "";
  const reauth = (): string => target().listenerAddresses.get("REAUTH") ?? "";
  const dir = mkdtempSync(join(tmpdir(), "samsa-oauthbearer-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A connection that has done SaslHandshake v1 for `mechanism`. */
  async function handshaken(address: string, mechanism: string): Promise<WireClient> {
    const client = await WireClient.connect(address);
    const response = await client.send(ApiKey.SaslHandshake, 1, { mechanism });
    assert.equal(response.errorCode, 0);
    assert.ok(response.mechanisms.includes(mechanism));
    return client;
  }
  const authenticate = (client: WireClient, bytes: Uint8Array, version = 2) =>
    client.send(ApiKey.SaslAuthenticate, version, { authBytes: bytes });
  const metadata = (client: WireClient) =>
    client.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false });
  const closes = (client: WireClient): Promise<boolean> => client.waitForClose(5000).then(() => true);

  describe("the protocol, answer for answer", () => {
    test("good tokens: an empty answer and a session as long as the token", async () => {
      const token = jws({ sub: "alice", exp: nowS() + 30, iat: nowS(), scope: ["kafka", "other"] });
      for (const options of [{}, { extensions: "traceId=abc\u0001" }, { authzid: "alice" }]) {
        const client = await handshaken(oauth(), "OAUTHBEARER");
        const response = await authenticate(client, clientFirst(token, options));
        assert.equal(response.errorCode, 0, JSON.stringify(options));
        assert.equal(response.authBytes.length, 0);
        assert.ok(response.sessionLifetimeMs > 20_000n && response.sessionLifetimeMs <= 30_000n);
        assert.equal((await metadata(client)).brokers.length, 1);
        client.close();
      }
    });

    test("refused tokens: RFC 7628's JSON error, then the client's ^A fails with it and the connection closes", async () => {
      const good = { sub: "alice", scope: ["kafka"] };
      for (const [token, json] of [
        [jws({ ...good, exp: nowS() - 5 }), '{"status":"invalid_token"}'],
        [jws({ sub: "alice", exp: nowS() + 30 }), '{"status":"insufficient_scope", "scope":"[kafka]"}'],
        [
          jws({ sub: "alice", exp: nowS() + 30, scope: "kafka other" }),
          '{"status":"insufficient_scope", "scope":"[kafka]"}',
        ],
        [jws({ ...good, exp: nowS() + 30 }, { alg: "HS256" }), '{"status":"invalid_token"}'],
        [`${jws({ ...good, exp: nowS() + 30 })}c2lnbmF0dXJl`, '{"status":"invalid_token"}'],
        [jws({ ...good, exp: nowS() + 30, iat: nowS() + 600 }), '{"status":"invalid_token"}'],
        [jws({ scope: ["kafka"], exp: nowS() + 30 }), '{"status":"invalid_token"}'],
      ] as const) {
        const client = await handshaken(oauth(), "OAUTHBEARER");
        const challenge = await authenticate(client, clientFirst(token));
        assert.equal(challenge.errorCode, 0);
        assert.equal(text(challenge.authBytes), json, token);
        const final = await authenticate(client, Uint8Array.of(1));
        assert.equal(final.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
        assert.equal(final.errorMessage, json);
        assert.ok(await closes(client));
      }
    });

    test("after an error challenge a new first message is evaluated again", async () => {
      const client = await handshaken(oauth(), "OAUTHBEARER");
      const refused = await authenticate(client, clientFirst(jws({ sub: "alice", exp: nowS() - 5 })));
      assert.equal(text(refused.authBytes), '{"status":"invalid_token"}');
      const retried = await authenticate(client, clientFirst(jws({ sub: "alice", exp: nowS() + 30, scope: "kafka" })));
      assert.equal(retried.errorCode, 0);
      assert.equal(retried.authBytes.length, 0);
      const again = await authenticate(client, Uint8Array.of(1));
      assert.equal(again.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
      assert.equal(again.errorMessage, "SaslAuthenticate request received after successful authentication");
      client.close();
    });

    test("malformed messages and a foreign authorization id fail at once, then close", async () => {
      const token = jws({ sub: "alice", exp: nowS() + 30, scope: "kafka" });
      for (const [bytes, message] of [
        [Buffer.from("not an OAUTHBEARER message"), generic("authentication")],
        [Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001`), generic("authentication")],
        [Buffer.from(`y,,\u0001auth=Bearer ${token}\u0001\u0001`), generic("authentication")],
        [
          clientFirst(token, { authzid: "bob" }),
          "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)",
        ],
      ] as const) {
        const client = await handshaken(oauth(), "OAUTHBEARER");
        const response = await authenticate(client, bytes);
        assert.equal(response.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
        assert.equal(response.errorMessage, message);
        assert.ok(await closes(client));
      }
    });

    test("session lifetimes: connections.max.reauth.ms per listener and mechanism, or the token's, the smaller", async () => {
      const plainClient = await handshaken(reauth(), "PLAIN");
      assert.equal((await authenticate(plainClient, plain("alice"))).sessionLifetimeMs, BigInt(reauthMs));
      plainClient.close();
      const long = await handshaken(reauth(), "OAUTHBEARER");
      const longLogin = await authenticate(long, clientFirst(jws({ sub: "alice", exp: nowS() + 600 })));
      assert.equal(longLogin.sessionLifetimeMs, BigInt(oauthReauthMs));
      long.close();
      const short = await handshaken(reauth(), "OAUTHBEARER");
      const shortLogin = await authenticate(short, clientFirst(jws({ sub: "alice", exp: nowS() + 1.2 })));
      assert.equal(shortLogin.errorCode, 0);
      assert.ok(shortLogin.sessionLifetimeMs > 0n && shortLogin.sessionLifetimeMs <= 1200n);
      short.close();
      // SaslAuthenticate v0 has no session lifetime field; the session ends all the same (below).
      const v0 = await handshaken(reauth(), "PLAIN");
      assert.equal((await authenticate(v0, plain("alice"), 0)).errorCode, 0);
      v0.close();
    });

    test("re-authentication: same principal and mechanism, at most once a second", async () => {
      const client = await handshaken(reauth(), "PLAIN");
      assert.equal((await authenticate(client, plain("alice"))).errorCode, 0);
      const started = Date.now();
      const handshake = await client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
      assert.equal(handshake.errorCode, 0);
      const renewed = await authenticate(client, plain("alice"));
      assert.equal(renewed.errorCode, 0);
      assert.equal(renewed.sessionLifetimeMs, BigInt(reauthMs));
      const early = await client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
      // Both brokers measure the second from when the last re-authentication began: when this
      // client saw less than a second pass, so did the broker.
      if (Date.now() - started < 1000) {
        assert.equal(early.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
        assert.equal((await metadata(client)).brokers.length, 1, "ILLEGAL_SASL_STATE leaves the connection open");
      }
      client.close();

      const other = await handshaken(reauth(), "PLAIN");
      assert.equal((await authenticate(other, plain("alice"))).errorCode, 0);
      assert.equal((await other.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode, 0);
      const bob = await authenticate(other, plain("bob"));
      assert.equal(bob.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
      assert.equal(bob.errorMessage, "Cannot change principals during re-authentication from User.alice: User.bob");
      assert.ok(await closes(other));

      const switching = await handshaken(reauth(), "PLAIN");
      assert.equal((await authenticate(switching, plain("alice"))).errorCode, 0);
      assert.equal((await switching.send(ApiKey.SaslHandshake, 1, { mechanism: "OAUTHBEARER" })).errorCode, 0);
      // Another mechanism: the SaslAuthenticate is not answered; the connection closes.
      await assert.rejects(authenticate(switching, clientFirst(jws({ sub: "alice", exp: nowS() + 60 }))));
      assert.ok(await closes(switching));
    });

    test("a session that ended closes the connection at the next request, unless that is a SaslHandshake", async () => {
      const login = async (version: number): Promise<{ client: WireClient; endsAt: number }> => {
        const client = await handshaken(reauth(), "PLAIN");
        assert.equal((await authenticate(client, plain("alice"), version)).errorCode, 0);
        return { client, endsAt: Date.now() + reauthMs };
      };
      const [plainV2, renewing, plainV0] = await Promise.all([login(2), login(2), login(0)]);
      const last = Math.max(plainV2.endsAt, renewing.endsAt, plainV0.endsAt);
      // Measured from the answer, the broker's session has surely ended 200 ms later.
      await waitFor(() => (Date.now() > last + 200 ? true : undefined), {
        timeoutMs: reauthMs + 10_000,
        what: "the sessions' end",
      });
      await assert.rejects(metadata(plainV2.client));
      assert.ok(await closes(plainV2.client));
      await assert.rejects(metadata(plainV0.client), "SaslAuthenticate v0 clients are cut off too");
      assert.equal((await renewing.client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode, 0);
      assert.equal((await authenticate(renewing.client, plain("alice"))).errorCode, 0);
      assert.equal((await metadata(renewing.client)).brokers.length, 1);
      renewing.client.close();
    });
  });

  describe("Kafka's Java tools", { skip: javaMissing ?? false }, () => {
    const properties = (name: string, mechanism: string, jaas: string): string => {
      const path = join(dir, `${name}.properties`);
      writeFileSync(path, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=${mechanism}\nsasl.jaas.config=${jaas}\n`);
      return path;
    };
    const tokenLogin = (name: string, options: string): string =>
      properties(
        name,
        "OAUTHBEARER",
        `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ${options};`,
      );

    test("console producer and consumer with OAUTHBEARER; a missing scope and an expired token are refused", async () => {
      const topic = uniqueName("oauth-java");
      const login = tokenLogin("alice", 'unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",kafka"');
      await kafkaToolOk(
        "console-producer",
        ["--bootstrap-server", oauth(), "--topic", topic, "--command-config", login],
        {
          input: "alpha\nbeta\n",
        },
      );
      assert.deepEqual(await consoleConsume(oauth(), topic, 2, login), ["alpha", "beta"]);
      for (const [name, options, message] of [
        ["no-scope", 'unsecuredLoginStringClaim_sub="alice"', '{"status":"insufficient_scope", "scope":"[kafka]"}'],
        [
          "expired",
          'unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",kafka" unsecuredLoginLifetimeSeconds="-60"',
          '{"status":"invalid_token"}',
        ],
      ] as const) {
        const denied = await kafkaTool("topics", [
          "--bootstrap-server",
          oauth(),
          "--list",
          "--command-config",
          tokenLogin(name, options),
        ]);
        assert.notEqual(denied.code, 0);
        assert.ok(
          denied.stdout.includes(`SaslAuthenticationException: ${message}`) ||
            denied.stderr.includes(`SaslAuthenticationException: ${message}`),
          `${name}: ${denied.stdout}\n${denied.stderr}`,
        );
      }
    });

    for (const mechanism of ["PLAIN", "OAUTHBEARER"] as const) {
      test(`the console consumer keeps consuming across re-authentications (${mechanism})`, async () => {
        const topic = uniqueName(`reauth-${mechanism.toLowerCase()}`);
        const login =
          mechanism === "PLAIN"
            ? properties("reauth-plain", "PLAIN", plainJaas)
            : tokenLogin("reauth-oauth", 'unsecuredLoginStringClaim_sub="alice"');
        const produce = (value: string) =>
          kafkaToolOk("console-producer", ["--bootstrap-server", target().bootstrap, "--topic", topic], {
            input: `${value}\n`,
          });
        await produce("before");
        const consumer = watchConsoleConsumer([
          "--bootstrap-server",
          reauth(),
          "--topic",
          topic,
          "--from-beginning",
          "--group",
          uniqueName("reauth-group"),
          "--command-config",
          login,
        ]);
        try {
          await consumer.waitFor(() => consumer.values.includes("before"), "the first message");
          // The client re-authenticates each of its connections at 85–95% of the session lifetime.
          await consumer.waitFor(() => consumer.reauthentications >= 4, "four re-authentications");
          await produce("after");
          await consumer.waitFor(() => consumer.values.includes("after"), "the message produced after them");
          assert.deepEqual(consumer.trouble, [], "no disconnection, failed login, warning or error");
          assert.deepEqual(consumer.values, ["before", "after"]);
          if (targetKind === "samsa") {
            assert.match(target().outputTail(), /"re-authenticated","principal":"User:alice"/);
          }
        } finally {
          await consumer.stop();
        }
      });
    }
  });

  describe("kcat (librdkafka's unsecured JWT)", { skip: kcat === undefined ? "kcat is not installed" : false }, () => {
    const bin = kcat ?? "kcat";
    const args = (config: string): string[] => [
      "-b",
      oauth(),
      "-X",
      "security.protocol=SASL_PLAINTEXT",
      "-X",
      "sasl.mechanisms=OAUTHBEARER",
      "-X",
      "enable.sasl.oauthbearer.unsecure.jwt=true",
      "-X",
      `sasl.oauthbearer.config=${config}`,
    ];

    test("produce and consume; a token without the required scope is refused", async () => {
      const topic = uniqueName("oauth-kcat");
      const login = args("principal=alice scope=kafka");
      await runOk(bin, [...login, "-P", "-t", topic], { input: "one\ntwo\n" });
      const consumed = await runOk(bin, [...login, "-C", "-t", topic, "-o", "beginning", "-c", "2", "-e"]);
      assert.deepEqual(consumed.stdout.trim().split("\n"), ["one", "two"]);
      const denied = await run(bin, [...args("principal=alice scope=other"), "-L", "-m", "5"]);
      assert.notEqual(denied.code, 0);
      assert.ok(denied.stderr.includes('{"status":"insufficient_scope", "scope":"[kafka]"}'), denied.stderr);
    });
  });

  describe("confluent-kafka-python (librdkafka's unsecured JWT)", { skip: pythonMissing ?? false }, () => {
    const python = (config: string): Promise<PythonRoundTrip> =>
      confluentRoundTrip({
        conf: {
          "security.protocol": "SASL_PLAINTEXT",
          "sasl.mechanisms": "OAUTHBEARER",
          "enable.sasl.oauthbearer.unsecure.jwt": true,
          "sasl.oauthbearer.config": config,
        },
        bootstrap: oauth(),
        topicPrefix: "oauth-python",
      });

    test("produces and consumes; a token without the required scope is an authentication error", async () => {
      const ok = await python("principal=alice scope=kafka");
      assert.ok(typeof ok.value === "string", JSON.stringify(ok));
      const denied = await python("principal=alice scope=other");
      assert.equal(denied.auth, true, JSON.stringify(denied));
      assert.match(denied.error ?? "", /insufficient_scope/);
    });
  });
});

interface WatchedConsumer {
  /** The values printed so far. */
  readonly values: readonly string[];
  /** How many times the client logged a completed re-authentication. */
  readonly reauthentications: number;
  /** Log lines that show a problem: disconnections, failed logins, warnings and errors. */
  readonly trouble: readonly string[];
  waitFor(condition: () => boolean, what: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Kafka's console consumer with DEBUG logging (where the client reports each re-authentication),
 * read line by line as it runs: only what the test needs is kept. Stopped by the test (SIGTERM,
 * then SIGKILL), and killed after 3 minutes at the latest.
 */
function watchConsoleConsumer(args: readonly string[]): WatchedConsumer {
  const child = spawn(
    "bash",
    [join(repoRoot, "scripts/kafka.sh"), "run-class", "org.apache.kafka.tools.consumer.ConsoleConsumer", ...args],
    { cwd: repoRoot, env: { ...process.env, SAMSA_KAFKA_LOG_LEVEL: "DEBUG" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const values: string[] = [];
  const trouble: string[] = [];
  const recent: string[] = [];
  let reauthentications = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("close", () => {
      exited = true;
      resolve();
    }),
  );
  const killer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void): void => {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) onLine(line);
    });
  };
  lines(child.stdout, (line) => {
    if (!line.startsWith("Option ")) values.push(line);
  });
  lines(child.stderr, (line) => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
    if (line.includes("Successfully re-authenticated")) reauthentications++;
    if (
      /^\[[\d:.]+\] (WARN|ERROR) /.test(line) ||
      /Node -?\d+ disconnected|Connection with \S+ .*disconnected|Failed (re-)?authentication/.test(line)
    ) {
      trouble.push(line);
    }
  });
  return {
    values,
    get reauthentications() {
      return reauthentications;
    },
    trouble,
    async waitFor(condition, what) {
      const outcome = await waitFor(() => (condition() ? "met" : exited ? "exited" : undefined), {
        timeoutMs: 60_000,
        what,
        describe: () => `stdout: ${values.join(", ")}\n${recent.join("\n")}`,
      });
      if (outcome === "exited") throw new Error(`the console consumer exited before ${what}:\n${recent.join("\n")}`);
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(forced);
      clearTimeout(killer);
    },
  };
}
