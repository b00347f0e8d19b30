// Authentication with real clients, against Samsa and Apache Kafka alike: a SASL_SSL listener
// (PLAIN users from the listener's JAAS config, SCRAM-SHA-256/512 users created through
// AlterUserScramCredentials) and an SSL listener requiring client certificates (mTLS), next to the
// PLAINTEXT bootstrap listener. kcat (librdkafka), Kafka's Java tools and confluent-kafka-python
// log in, produce and consume; a wrong password or a missing certificate fails for each;
// kafka-configs adds, describes and deletes SCRAM credentials. Certificates are made with openssl.
// librdkafka does SCRAM only from 2.6.1 on (see below): kcat and confluent-kafka-python do it on the
// librdkafka bundled with confluent-kafka's PyPI wheel (scripts/librdkafka.sh installs it).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { uniqueName } from "@samsa/testkit";
import type { PythonRoundTrip, RunResult } from "./support.ts";
import {
  confluentRoundTrip,
  consoleConsume,
  kafkaTool,
  kafkaToolOk,
  kafkaToolsMissing,
  modernLibrdkafka,
  pythonModuleMissing,
  run,
  runOk,
  systemPython,
  which,
} from "./support.ts";
import { makeCertificates, plainUser, scramUser, securedTargetSkip, useSecuredTarget } from "./security-support.ts";

const certs = makeCertificates();
const file = certs.file;

const wrongPassword = "not-the-password";

const kcat = which("kcat") ?? which("kafkacat");
const javaMissing = kafkaToolsMissing();
const pythonMissing = pythonModuleMissing("confluent_kafka", "python3-confluent-kafka");
const modern = modernLibrdkafka();
const modernMissing = typeof modern === "string" ? modern : undefined;
const scramMechanisms = ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
const scramDenied = (mechanism: string): string =>
  `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;

/** The first librdkafka version whose SCRAM client-final message carries the nonce exactly once. */
const scramFixed = [2, 6, 1] as const;
function librdkafkaAtLeast(version: string, wanted: readonly number[]): boolean {
  const parts = version.split(/[.-]/).map((p) => Number.parseInt(p, 10));
  for (const [i, want] of wanted.entries()) {
    const have = parts[i] ?? 0;
    if (Number.isNaN(have) || have !== want) return !Number.isNaN(have) && have > want;
  }
  return true;
}
/** The librdkafka version `kcat -V` reports, and whether it has SCRAM built in. */
function kcatLibrdkafka(version: RunResult): { version: string; scram: boolean } {
  const found = /librdkafka (\d+\.\d+\.\d+)\S* builtin\.features=(\S+)/.exec(version.stdout);
  assert.ok(found !== null, `unexpected kcat -V output:\n${version.stdout}`);
  return { version: found[1] ?? "", scram: (found[2] ?? "").split(",").includes("sasl_scram") };
}

describe("authentication: SASL_SSL (PLAIN, SCRAM) and mTLS with real clients", { skip: securedTargetSkip }, () => {
  const { target, saslSsl, mtls } = useSecuredTarget(certs);

  const kcatSaslArgs = (mechanism: string, user: string, password: string): string[] => [
    "-X",
    "security.protocol=SASL_SSL",
    "-X",
    `sasl.mechanisms=${mechanism}`,
    "-X",
    `sasl.username=${user}`,
    "-X",
    `sasl.password=${password}`,
    "-X",
    `ssl.ca.location=${file("caCert")}`,
  ];

  const python = (
    conf: Record<string, string>,
    bootstrap: string,
    interpreter: string = systemPython,
  ): Promise<PythonRoundTrip> => confluentRoundTrip({ conf, bootstrap, interpreter, topicPrefix: "sec-python" });
  const pythonSaslConf = (mechanism: string, user: string, password: string): Record<string, string> => ({
    "security.protocol": "SASL_SSL",
    "sasl.mechanisms": mechanism,
    "sasl.username": user,
    "sasl.password": password,
    "ssl.ca.location": file("caCert"),
  });

  // librdkafka before 2.6.1 (Debian's 2.0.2: /usr/bin/kcat, python3-confluent-kafka) sends the
  // client nonce twice in SCRAM's client-final message, which Kafka 4 and Samsa refuse (RFC 5802
  // wants exactly the combined nonce): these log in with PLAIN, and SCRAM runs on the librdkafka
  // of confluent-kafka's PyPI wheel (the describes after this one), and with the Java client.
  describe("kcat (librdkafka)", { skip: kcat === undefined ? "kcat is not installed" : false }, () => {
    const bin = kcat ?? "kcat";
    const plainArgs = (password: string): string[] => kcatSaslArgs("PLAIN", plainUser.name, password);

    test("SASL_SSL + PLAIN: produce and consume; a wrong password fails", async () => {
      const topic = uniqueName("sec-kcat");
      const args = ["-b", saslSsl(), ...plainArgs(plainUser.password)];
      await runOk(bin, [...args, "-P", "-t", topic], { input: "one\ntwo\nthree\n" });
      const consumed = await runOk(bin, [...args, "-C", "-t", topic, "-o", "beginning", "-c", "3", "-e"]);
      assert.deepEqual(consumed.stdout.trim().split("\n"), ["one", "two", "three"]);
      const denied = await run(bin, ["-b", saslSsl(), ...plainArgs(wrongPassword), "-L", "-m", "5"]);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /Authentication failed: Invalid username or password/);
    });

    test("librdkafka < 2.6.1 (Debian's) fails SCRAM authentication", async (t) => {
      const { version } = kcatLibrdkafka(await runOk(bin, ["-V"]));
      if (librdkafkaAtLeast(version, scramFixed)) {
        t.skip(`kcat runs on librdkafka ${version}, which does SCRAM right`);
        return;
      }
      const args = ["-b", saslSsl(), ...kcatSaslArgs("SCRAM-SHA-256", scramUser.name, scramUser.password)];
      const denied = await run(bin, [...args, "-L", "-m", "5"]);
      assert.notEqual(denied.code, 0);
      assert.ok(denied.stderr.includes(scramDenied("SCRAM-SHA-256")), denied.stderr);
    });

    test("mTLS: a trusted client certificate connects; none is refused", async () => {
      const tls = ["-X", "security.protocol=SSL", "-X", `ssl.ca.location=${file("caCert")}`];
      const listed = await runOk(bin, [
        "-b",
        mtls(),
        ...tls,
        "-X",
        `ssl.certificate.location=${file("clientCert")}`,
        "-X",
        `ssl.key.location=${file("clientKey")}`,
        "-L",
        "-m",
        "10",
      ]);
      assert.match(listed.stdout, /1 brokers:/);
      const denied = await run(bin, ["-b", mtls(), ...tls, "-L", "-m", "5"]);
      assert.notEqual(denied.code, 0);
    });
  });

  describe("Kafka's Java tools", { skip: javaMissing ?? false }, () => {
    const properties = (name: string, lines: Record<string, string>): string => {
      const path = join(certs.dir, `${name}.properties`);
      writeFileSync(
        path,
        Object.entries(lines)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(""),
      );
      return path;
    };
    const saslProperties = (mechanism: string, user: string, password: string): string =>
      properties(`${mechanism}-${password}`, {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": mechanism,
        "sasl.jaas.config": `org.apache.kafka.common.security.${mechanism === "PLAIN" ? "plain.PlainLoginModule" : "scram.ScramLoginModule"} required username="${user}" password="${password}";`,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": file("caCert"),
      });

    test("console producer and consumer over SASL_SSL with SCRAM-SHA-512 and PLAIN; a wrong password fails", async () => {
      const topic = uniqueName("sec-java");
      const scram = saslProperties("SCRAM-SHA-512", scramUser.name, scramUser.password);
      await kafkaToolOk(
        "console-producer",
        ["--bootstrap-server", saslSsl(), "--topic", topic, "--command-config", scram],
        { input: "alpha\nbeta\n" },
      );
      const plain = saslProperties("PLAIN", plainUser.name, plainUser.password);
      assert.deepEqual(await consoleConsume(saslSsl(), topic, 2, plain), ["alpha", "beta"]);
      for (const [mechanism, user, message] of [
        [
          "SCRAM-SHA-512",
          scramUser.name,
          "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
        ],
        ["PLAIN", plainUser.name, "Authentication failed: Invalid username or password"],
      ] as const) {
        const denied = await kafkaTool("topics", [
          "--bootstrap-server",
          saslSsl(),
          "--list",
          "--command-config",
          saslProperties(mechanism, user, wrongPassword),
        ]);
        assert.notEqual(denied.code, 0);
        assert.ok((denied.stdout + denied.stderr).includes(message), `${mechanism}: ${denied.stderr}`);
      }
    });

    test("mTLS with a PEM key store", async () => {
      const mtlsProperties = properties("mtls", {
        "security.protocol": "SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": file("clientPem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": file("caCert"),
      });
      await kafkaToolOk("topics", ["--bootstrap-server", mtls(), "--list", "--command-config", mtlsProperties]);
    });

    test("kafka-configs adds, describes and deletes SCRAM credentials", async () => {
      const user = uniqueName("scram-user");
      const admin = ["--bootstrap-server", target().bootstrap, "--entity-type", "users", "--entity-name", user];
      // One mechanism per command: both at once alter the user twice in one request, which a
      // KRaft controller (and Samsa) refuses.
      await kafkaToolOk("configs", [
        ...admin,
        "--alter",
        "--add-config",
        "SCRAM-SHA-256=[iterations=8192,password=tool-secret]",
      ]);
      await kafkaToolOk("configs", [...admin, "--alter", "--add-config", "SCRAM-SHA-512=[password=tool-secret]"]);
      const twice = await kafkaTool("configs", [
        ...admin,
        "--alter",
        "--add-config",
        "SCRAM-SHA-256=[password=x],SCRAM-SHA-512=[password=x]",
      ]);
      assert.match(twice.stdout + twice.stderr, /A user credential cannot be altered twice in the same request/);
      const described = await kafkaToolOk("configs", [...admin, "--describe"]);
      assert.match(described.stdout, /SCRAM-SHA-256=iterations=8192/);
      assert.match(described.stdout, /SCRAM-SHA-512=iterations=4096/);
      const login = saslProperties("SCRAM-SHA-256", user, "tool-secret");
      await kafkaToolOk("topics", ["--bootstrap-server", saslSsl(), "--list", "--command-config", login]);
      await kafkaToolOk("configs", [...admin, "--alter", "--delete-config", "SCRAM-SHA-512"]);
      const after = await kafkaToolOk("configs", [...admin, "--describe"]);
      assert.match(after.stdout, /SCRAM-SHA-256=iterations=8192/);
      assert.doesNotMatch(after.stdout, /SCRAM-SHA-512/);
      await kafkaToolOk("configs", [...admin, "--alter", "--delete-config", "SCRAM-SHA-256"]);
      const denied = await kafkaTool("topics", ["--bootstrap-server", saslSsl(), "--list", "--command-config", login]);
      assert.notEqual(denied.code, 0);
    });
  });

  describe("confluent-kafka-python", { skip: pythonMissing ?? false }, () => {
    const plainConf = (password: string): Record<string, string> => pythonSaslConf("PLAIN", plainUser.name, password);

    test("SASL_SSL + PLAIN produces and consumes; a wrong password is an authentication error", async () => {
      const ok = await python(plainConf(plainUser.password), saslSsl());
      assert.ok(ok.value !== undefined && ok.value !== null, JSON.stringify(ok));
      const denied = await python(plainConf(wrongPassword), saslSsl());
      assert.equal(denied.auth, true, JSON.stringify(denied));
      assert.match(denied.error ?? "", /Authentication failed: Invalid username or password/);
    });

    test("mTLS produces and consumes", async () => {
      const ok = await python(
        {
          "security.protocol": "SSL",
          "ssl.ca.location": file("caCert"),
          "ssl.certificate.location": file("clientCert"),
          "ssl.key.location": file("clientKey"),
        },
        mtls(),
      );
      assert.ok(ok.value !== undefined && ok.value !== null, JSON.stringify(ok));
    });
  });

  // SCRAM with librdkafka: kcat and confluent-kafka-python on the librdkafka bundled with
  // confluent-kafka's PyPI wheel (scripts/librdkafka.sh), each first shown to really run on it.
  describe(
    "kcat on a modern librdkafka: SCRAM",
    { skip: kcat === undefined ? "kcat is not installed" : (modernMissing ?? false) },
    () => {
      const bin = kcat ?? "kcat";
      const env = { LD_LIBRARY_PATH: typeof modern === "string" ? "" : modern.libDir };

      before(async () => {
        const { version, scram } = kcatLibrdkafka(await runOk(bin, ["-V"], { env }));
        assert.ok(librdkafkaAtLeast(version, scramFixed), `kcat runs on librdkafka ${version}, not >= 2.6.1`);
        assert.ok(scram, `kcat's librdkafka ${version} has no sasl_scram`);
      });

      for (const mechanism of scramMechanisms) {
        test(`SASL_SSL + ${mechanism}: produce and consume; a wrong password fails`, async () => {
          const topic = uniqueName("sec-kcat-scram");
          const args = ["-b", saslSsl(), ...kcatSaslArgs(mechanism, scramUser.name, scramUser.password)];
          await runOk(bin, [...args, "-P", "-t", topic], { input: "one\ntwo\nthree\n", env });
          const consumed = await runOk(bin, [...args, "-C", "-t", topic, "-o", "beginning", "-c", "3", "-e"], { env });
          assert.deepEqual(consumed.stdout.trim().split("\n"), ["one", "two", "three"]);
          const wrong = ["-b", saslSsl(), ...kcatSaslArgs(mechanism, scramUser.name, wrongPassword)];
          const denied = await run(bin, [...wrong, "-L", "-m", "5"], { env });
          assert.notEqual(denied.code, 0);
          assert.ok(denied.stderr.includes(scramDenied(mechanism)), denied.stderr);
        });
      }
    },
  );

  describe("confluent-kafka-python on a modern librdkafka: SCRAM", { skip: modernMissing ?? false }, () => {
    const interpreter = typeof modern === "string" ? "" : modern.python;

    for (const mechanism of scramMechanisms) {
      test(`SASL_SSL + ${mechanism} produces and consumes; a wrong password is an authentication error`, async () => {
        const ok = await python(pythonSaslConf(mechanism, scramUser.name, scramUser.password), saslSsl(), interpreter);
        assert.ok(librdkafkaAtLeast(ok.librdkafka, scramFixed), `runs on librdkafka ${ok.librdkafka}`);
        assert.ok(ok.value !== undefined && ok.value !== null, JSON.stringify(ok));
        const denied = await python(pythonSaslConf(mechanism, scramUser.name, wrongPassword), saslSsl(), interpreter);
        assert.equal(denied.auth, true, JSON.stringify(denied));
        assert.ok(denied.error?.includes(scramDenied(mechanism)), JSON.stringify(denied));
      });
    }
  });

  // Last (tests run in order): the broker's output after every login above, failed or not.
  test("no password reaches the broker's output", () => {
    const output = target().outputTail();
    for (const secret of [plainUser.password, scramUser.password, wrongPassword, "tool-secret"]) {
      assert.ok(!output.includes(secret), `the broker's output contains a password:\n${output}`);
    }
  });
});
