// The `samsa` CLI against secured listeners, on Samsa and Apache Kafka alike (the target setup of
// security.test.ts): SASL_SSL with SCRAM-SHA-512 from a Kafka client config file (--command-config,
// as Kafka's tools take it), PLAIN from flags with the password in $SAMSA_SASL_PASSWORD, mTLS from
// --tls-ca/--tls-cert/--tls-key and from a PEM key store; topic create, produce and consume (the
// CLI's own Fetch reader with read_committed, and a consumer group) must work over each, and a
// wrong password, an untrusted broker certificate or a missing client certificate must fail with
// exit code 6 and one line on stderr that never shows the password. OAUTHBEARER against Kafka's
// default validator: the unsecured token the CLI builds from OAuthBearerLoginModule's options, a
// token in $SAMSA_SASL_TOKEN, and tokens the broker refuses (missing scope, expired).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Producer } from "@platformatic/kafka";
import { uniqueName } from "@samsa/testkit";
import { samsa } from "./cli-support.ts";
import { fetchRecords, useTarget } from "./support.ts";
import type { RunResult } from "./support.ts";
import { makeCertificates, plainUser, scramUser, securedTargetSkip, useSecuredTarget } from "./security-support.ts";

const certs = makeCertificates();
const file = certs.file;

const wrongPassword = "wrong-password-9f3a";
/** The documented exit code of authentication and authorization failures (docs/cli.md). */
const denied = 6;

function properties(name: string, lines: Record<string, string>): string {
  const path = join(certs.dir, `${name}.properties`);
  const text = Object.entries(lines)
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");
  writeFileSync(path, `# client config for samsa, as for kafka-topics --command-config\n${text}`);
  return path;
}

function scramConfig(mechanism: string, password: string): string {
  return properties(`${mechanism}-${password}`, {
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": mechanism,
    "sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="${scramUser.name}" password="${password}";`,
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": file("caCert"),
  });
}

function expectExit(result: RunResult, code: number, what: string): void {
  assert.equal(
    result.code,
    code,
    `${what} exited ${result.code}\n--- stdout\n${result.stdout.slice(0, 4000)}\n--- stderr\n${result.stderr.slice(0, 4000)}`,
  );
}

/** A failure: the exit code, exactly one line on stderr matching `reason`, and no secret anywhere. */
function expectFailure(result: RunResult, code: number, reason: RegExp, secrets: readonly string[] = []): string {
  expectExit(result, code, "samsa");
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0] ?? "", reason);
  for (const secret of secrets) {
    assert.ok(!(result.stdout + result.stderr).includes(secret), `the output shows a secret: ${result.stderr}`);
  }
  return lines[0] ?? "";
}

describe(
  "samsa CLI on secured listeners: SASL_SSL (SCRAM, PLAIN) and mTLS",
  { skip: securedTargetSkip, timeout: 300_000 },
  () => {
    const { target, saslSsl, mtls } = useSecuredTarget(certs);

    test("--command-config with SCRAM-SHA-512 over SASL_SSL: topic create, produce, consume", async () => {
      const topic = uniqueName("cli-sec-scram");
      const config = ["--command-config", scramConfig("SCRAM-SHA-512", scramUser.password)];
      expectExit(await samsa(saslSsl(), ["topic", "create", topic, "-p", "2", ...config]), 0, "topic create");
      const listed = await samsa(saslSsl(), ["topic", "list", "-o", "json", ...config]);
      expectExit(listed, 0, "topic list");
      assert.ok(listed.stdout.includes(`"${topic}"`), listed.stdout);
      expectExit(
        await samsa(saslSsl(), ["produce", topic, "-p", "1", ...config], { input: "one\ntwo\nthree\n" }),
        0,
        "produce",
      );
      const consumed = await samsa(saslSsl(), ["consume", topic, "-n", "3", ...config]);
      expectExit(consumed, 0, "consume");
      assert.equal(consumed.stdout, "one\ntwo\nthree\n");
      // Read back independently, over the PLAINTEXT listener.
      const stored = await fetchRecords(target().bootstrap, { topic, partition: 1, count: 3 });
      assert.deepEqual(
        stored.map((r) => Buffer.from(r.value ?? []).toString()),
        ["one", "two", "three"],
      );
    });

    test("flags and $SAMSA_SASL_PASSWORD with PLAIN and SCRAM-SHA-256; a consumer group over SASL", async () => {
      const topic = uniqueName("cli-sec-plain");
      const flags = (mechanism: string, user: string): string[] => [
        "--security-protocol",
        "SASL_SSL",
        "--sasl-mechanism",
        mechanism,
        "--sasl-username",
        user,
        "--tls-ca",
        file("caCert"),
      ];
      const plain = flags("PLAIN", plainUser.name);
      const plainEnv = { SAMSA_SASL_PASSWORD: plainUser.password };
      expectExit(
        await samsa(saslSsl(), ["topic", "create", topic, "-p", "1", ...plain], { env: plainEnv }),
        0,
        "create",
      );
      expectExit(
        await samsa(saslSsl(), ["produce", topic, ...plain], { input: "a\nb\n", env: plainEnv }),
        0,
        "produce",
      );
      // The same settings from variables only, and SCRAM-SHA-256 with the flag --sasl-password.
      const fromEnv = await samsa(saslSsl(), ["consume", topic, "-n", "2"], {
        env: {
          SAMSA_SECURITY_PROTOCOL: "SASL_SSL",
          SAMSA_SASL_MECHANISM: "PLAIN",
          SAMSA_SASL_USERNAME: plainUser.name,
          SAMSA_SASL_PASSWORD: plainUser.password,
          SAMSA_TLS_CA: file("caCert"),
        },
      });
      expectExit(fromEnv, 0, "consume (variables)");
      assert.equal(fromEnv.stdout, "a\nb\n");
      const scram = [...flags("SCRAM-SHA-256", scramUser.name), "--sasl-password", scramUser.password];
      const group = uniqueName("cli-sec-group");
      const grouped = await samsa(saslSsl(), ["consume", topic, "-g", group, "-n", "2", ...scram], { input: "" });
      expectExit(grouped, 0, "consume -g");
      assert.equal(grouped.stdout, "a\nb\n");
      const described = await samsa(saslSsl(), ["group", "describe", group, "-o", "json", ...scram]);
      expectExit(described, 0, "group describe");
      assert.equal((JSON.parse(described.stdout) as { totalLag: number }).totalLag, 0);
    });

    test("consume --read-committed over SASL_SSL leaves out an aborted transaction", async () => {
      const topic = uniqueName("cli-sec-txn");
      const config = ["--command-config", scramConfig("SCRAM-SHA-512", scramUser.password)];
      expectExit(await samsa(saslSsl(), ["topic", "create", topic, "-p", "1", ...config]), 0, "topic create");
      const producer = new Producer({
        clientId: "cli-sec-txn",
        bootstrapBrokers: [target().bootstrap],
        idempotent: true,
        transactionalId: uniqueName("cli-sec-txn"),
        autocreateTopics: false,
      });
      try {
        for (const [label, commit] of [
          ["committed-1", true],
          ["aborted", false],
          ["committed-2", true],
        ] as const) {
          const tx = await producer.beginTransaction();
          await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from(label) }] });
          if (commit) await tx.commit();
          else await tx.abort();
        }
      } finally {
        await producer.close();
      }
      const committed = await samsa(saslSsl(), ["consume", topic, "--read-committed", ...config]);
      expectExit(committed, 0, "consume --read-committed");
      assert.equal(committed.stdout, "committed-1\ncommitted-2\n");
      const everything = await samsa(saslSsl(), ["consume", topic, ...config]);
      expectExit(everything, 0, "consume");
      assert.equal(everything.stdout, "committed-1\naborted\ncommitted-2\n");
    });

    test("mTLS with --tls-ca/--tls-cert/--tls-key and with a PEM key store", async () => {
      const topic = uniqueName("cli-sec-mtls");
      const tls = ["--tls-ca", file("caCert"), "--tls-cert", file("clientCert"), "--tls-key", file("clientKey")];
      expectExit(await samsa(mtls(), ["topic", "create", topic, "-p", "1", ...tls]), 0, "topic create");
      expectExit(await samsa(mtls(), ["produce", topic, ...tls], { input: "x\ny\n" }), 0, "produce");
      const keystore = properties("mtls", {
        "security.protocol": "SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": file("clientPem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": file("caCert"),
      });
      const consumed = await samsa(mtls(), ["consume", topic, "-n", "2", "--command-config", keystore]);
      expectExit(consumed, 0, "consume");
      assert.equal(consumed.stdout, "x\ny\n");
      const info = await samsa(mtls(), ["cluster", "info", "-o", "json", "--command-config", keystore]);
      expectExit(info, 0, "cluster info");
    });

    test("a wrong password fails with exit code 6, the broker's message, and no password in the output", async () => {
      const fromFile = await samsa(saslSsl(), [
        "topic",
        "list",
        "--command-config",
        scramConfig("SCRAM-SHA-512", wrongPassword),
      ]);
      expectFailure(
        fromFile,
        denied,
        /^samsa topic list: .*Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 \(SASL_AUTHENTICATION_FAILED\)/,
        [wrongPassword],
      );
      const plain = [
        "--security-protocol",
        "SASL_SSL",
        "--sasl-mechanism",
        "PLAIN",
        "--sasl-username",
        plainUser.name,
        "--tls-ca",
        file("caCert"),
      ];
      const fromEnv = await samsa(saslSsl(), ["topic", "list", ...plain], {
        env: { SAMSA_SASL_PASSWORD: wrongPassword },
      });
      expectFailure(
        fromEnv,
        denied,
        /^samsa topic list: .*Authentication failed: Invalid username or password \(SASL_AUTHENTICATION_FAILED\)/,
        [wrongPassword],
      );
      const fromFlag = await samsa(
        saslSsl(),
        ["produce", uniqueName("cli-sec-none"), ...plain, "--sasl-password", wrongPassword],
        {
          input: "x\n",
        },
      );
      expectFailure(fromFlag, denied, /SASL_AUTHENTICATION_FAILED/, [wrongPassword]);
    });

    test("TLS failures: an untrusted broker certificate, a missing client certificate (exit code 6)", async () => {
      const login = ["--security-protocol", "SASL_SSL", "--sasl-mechanism", "PLAIN", "--sasl-username", plainUser.name];
      const password = { env: { SAMSA_SASL_PASSWORD: plainUser.password } };
      // No --tls-ca: Node's public CAs do not know the test CA.
      const untrusted = await samsa(saslSsl(), ["topic", "list", ...login], password);
      expectFailure(
        untrusted,
        denied,
        /^samsa topic list: .*TLS handshake failed: the broker's certificate is not trusted/,
        [plainUser.password],
      );
      const anonymous = await samsa(mtls(), ["topic", "list", "--tls-ca", file("caCert")]);
      expectFailure(anonymous, denied, /^samsa topic list: .*TLS handshake failed: the broker refused the connection/);
      // Verification off: the connection works, with a warning on stderr.
      const insecure = await samsa(saslSsl(), ["topic", "list", ...login, "--tls-insecure"], password);
      expectExit(insecure, 0, "topic list --tls-insecure");
      assert.match(insecure.stderr, /^samsa: warning: the broker's TLS certificate is not verified/);
    });
  },
);

// OAUTHBEARER with Kafka's default (unsecured JWS) validator, requiring the scope "kafka": the CLI
// builds the token from OAuthBearerLoginModule's unsecuredLogin* options as Kafka's clients do, or
// sends the one in $SAMSA_SASL_TOKEN.
describe("samsa CLI with SASL/OAUTHBEARER (unsecured tokens)", { timeout: 300_000 }, () => {
  // Kafka's broker also logs itself in with the module: unsecuredLoginStringClaim_sub gives it a token.
  const serverJaas =
    'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker" unsecuredValidatorRequiredScope="kafka";';
  const target = useTarget({
    listeners: [{ name: "OAUTH", securityProtocol: "SASL_PLAINTEXT" }],
    settings: {
      "sasl.enabled.mechanisms": "OAUTHBEARER",
      "listener.name.oauth.oauthbearer.sasl.jaas.config": serverJaas,
    },
  });
  const oauth = (): string => target().listenerAddresses.get("OAUTH") ?? "";
  const dir = mkdtempSync(join(tmpdir(), "samsa-cli-oauth-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = (name: string, jaasOptions: string): string => {
    const path = join(dir, `${name}.properties`);
    writeFileSync(
      path,
      [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=OAUTHBEARER",
        // A continuation line, as such files are often written.
        "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \\",
        `    ${jaasOptions};`,
        "",
      ].join("\n"),
    );
    return path;
  };

  test("a token from unsecuredLoginStringClaim_sub: topic create, produce, consume; a missing scope fails", async () => {
    const topic = uniqueName("cli-sec-oauth");
    const good = [
      "--command-config",
      config("good", 'unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",kafka,other"'),
    ];
    expectExit(await samsa(oauth(), ["topic", "create", topic, "-p", "1", ...good]), 0, "topic create");
    expectExit(await samsa(oauth(), ["produce", topic, ...good], { input: "jwt-1\njwt-2\n" }), 0, "produce");
    const consumed = await samsa(oauth(), ["consume", topic, "-n", "2", "--read-committed", ...good]);
    expectExit(consumed, 0, "consume");
    assert.equal(consumed.stdout, "jwt-1\njwt-2\n");
    const unscoped = await samsa(oauth(), [
      "topic",
      "list",
      "--command-config",
      config("unscoped", 'unsecuredLoginStringClaim_sub="alice"'),
    ]);
    expectFailure(unscoped, denied, /^samsa topic list: .*\(SASL_AUTHENTICATION_FAILED\)/);
  });

  test("a token from $SAMSA_SASL_TOKEN, with flags only", async () => {
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: "none" })}.${b64({ sub: "bob", scope: "kafka", iat: now, exp: now + 600 })}.`;
    const listed = await samsa(
      oauth(),
      ["topic", "list", "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "OAUTHBEARER"],
      {
        env: { SAMSA_SASL_TOKEN: token },
      },
    );
    expectExit(listed, 0, "topic list");
    const expired = `${b64({ alg: "none" })}.${b64({ sub: "bob", scope: "kafka", iat: now - 600, exp: now - 300 })}.`;
    const refused = await samsa(
      oauth(),
      ["topic", "list", "--sasl-mechanism", "OAUTHBEARER", "--security-protocol", "SASL_PLAINTEXT"],
      {
        env: { SAMSA_SASL_TOKEN: expired },
      },
    );
    expectFailure(refused, denied, /\(SASL_AUTHENTICATION_FAILED\)/, [expired]);
  });
});
