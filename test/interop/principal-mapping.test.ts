// ssl.principal.mapping.rules with real clients, against Samsa and Apache Kafka alike: two SSL
// listeners requiring client certificates and Kafka's StandardAuthorizer. On MAPPED a rule turns
// the test client certificate's DN (CN=alice,OU=eng,O=Samsa,C=US) into `alice`, the principal an
// ACL grants a topic: kcat and Kafka's console tools with that certificate produce and consume
// there, and are refused on a topic without the ACL. On UNMAPPED no rule applies: the TLS
// handshake completes and the first request closes the connection unanswered, on both brokers.
// The rules hold no backslashes: Kafka reads them from server.properties, where `\` is an escape.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { ApiKey, decodeResponseFrame, encodeRequestFrame, FrameSplitter } from "@samsa/protocol";
import type { Input, RequestByKey, ResponseByKey } from "@samsa/protocol";
import { generateTestCertificates, opensslMissing, uniqueName, waitFor, WireClient } from "@samsa/testkit";
import type { TestCertificates } from "@samsa/testkit";
import { consoleConsume, kafkaTool, kafkaToolOk, kafkaToolsMissing, run, runOk, useTarget, which } from "./support.ts";

const skipAll = opensslMissing() ?? false;
const certs: TestCertificates | undefined = skipAll === false ? generateTestCertificates() : undefined;
const file = (name: keyof TestCertificates): string => String(certs?.[name] ?? "");
const kcat = which("kcat") ?? which("kafkacat");
const javaMissing = kafkaToolsMissing();

// Kafka's wire codes (security/acl.ts).
const TOPIC = 2;
const PREFIXED = 4;
const ALLOW = 3;
const op = { READ: 3, WRITE: 4, DESCRIBE: 8 } as const;
const TOPIC_AUTHORIZATION_FAILED = 29;

/** One request over TLS with the client certificate: the response, or "closed" if the broker closes the connection instead. */
function tlsRequest<K extends ApiKey>(
  address: string,
  apiKey: K,
  apiVersion: number,
  body: Input<RequestByKey[K]>,
): Promise<ResponseByKey[K] | "closed"> {
  const at = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: address.slice(0, at),
      port: Number(address.slice(at + 1)),
      ca: readFileSync(file("caCert")),
      servername: "localhost",
      key: readFileSync(file("clientKey")),
      cert: readFileSync(file("clientCert")),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${address} within 15 s`));
    }, 15_000);
    const done = (answer: ResponseByKey[K] | "closed"): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 24 });
    socket.on("data", (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) done(decodeResponseFrame(apiKey, apiVersion, frame).body);
    });
    socket.once("close", () => done("closed"));
    socket.on("error", () => undefined); // a reset after the close: "closed" either way
    socket.once("secureConnect", () =>
      socket.write(encodeRequestFrame({ apiKey, apiVersion, correlationId: 1, clientId: "mapping-interop", body })),
    );
  });
}

describe(
  "ssl.principal.mapping.rules: a mapped client certificate is the principal ACLs name",
  { skip: skipAll },
  () => {
    const target = useTarget({
      listeners: [
        { name: "MAPPED", securityProtocol: "SSL" },
        { name: "UNMAPPED", securityProtocol: "SSL" },
      ],
      settings: {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": file("serverPem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": file("caCert"),
        "listener.name.mapped.ssl.client.auth": "required",
        "listener.name.unmapped.ssl.client.auth": "required",
        "listener.name.mapped.ssl.principal.mapping.rules": "RULE:^CN=([a-z]+),OU=eng,O=Samsa,C=US$/$1/L,DEFAULT",
        "listener.name.unmapped.ssl.principal.mapping.rules": "RULE:^CN=nobody,.*$/nobody/",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        // ANONYMOUS: the PLAINTEXT bootstrap (used here to set up) and Kafka's controller listener.
        "super.users": "User:ANONYMOUS",
      },
    });
    const mapped = (): string => target().listenerAddresses.get("MAPPED") ?? "";
    const unmapped = (): string => target().listenerAddresses.get("UNMAPPED") ?? "";
    const prefix = uniqueName("pm");
    // alice is granted every topic named `<prefix>-allowed...`: one for each client.
    const allowed = `${prefix}-allowed`;
    const allowedKcat = `${allowed}-kcat`;
    const allowedJava = `${allowed}-java`;
    const denied = `${prefix}-denied`;
    const topics = [allowed, allowedKcat, allowedJava, denied];

    before(async () => {
      const setup = await WireClient.connect(target().bootstrap, { clientId: "mapping-setup" });
      try {
        const created = await setup.send(ApiKey.CreateTopics, 7, {
          topics: topics.map((name) => ({
            name,
            numPartitions: 1,
            replicationFactor: 1,
            assignments: [],
            configs: [],
          })),
          timeoutMs: 30_000,
          validateOnly: false,
        });
        assert.deepEqual(
          created.topics.map((t) => t.errorCode),
          topics.map(() => 0),
        );
        const acls = await setup.send(ApiKey.CreateAcls, 3, {
          creations: [op.READ, op.WRITE, op.DESCRIBE].map((operation) => ({
            resourceType: TOPIC,
            resourceName: allowed,
            resourcePatternType: PREFIXED,
            principal: "User:alice",
            host: "*",
            operation,
            permissionType: ALLOW,
          })),
        });
        assert.deepEqual(
          acls.results.map((r) => r.errorCode),
          [0, 0, 0],
        );
      } finally {
        setup.close();
      }
      // Kafka applies ACLs through its metadata log: wait until alice, over MAPPED, sees the topic's leader.
      await waitFor(
        async () => {
          const m = await tlsRequest(mapped(), ApiKey.Metadata, 12, {
            topics: [allowed, allowedKcat, allowedJava].map((name) => ({ name })),
            allowAutoTopicCreation: false,
          });
          return (
            m !== "closed" && m.topics.every((t) => t.errorCode === 0 && t.partitions.every((p) => p.leaderId >= 0))
          );
        },
        { timeoutMs: 60_000, intervalMs: 200, what: "the ACLs to take effect for User:alice" },
      );
    });

    after(() => {
      if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
    });

    test("over the wire: alice may describe the granted topic, not the other", async () => {
      const m = await tlsRequest(mapped(), ApiKey.Metadata, 12, {
        topics: [{ name: allowed }, { name: denied }],
        allowAutoTopicCreation: false,
      });
      assert.notEqual(m, "closed");
      if (m === "closed") return;
      assert.deepEqual(
        m.topics.map((t) => [t.name, t.errorCode]),
        [
          [allowed, 0],
          [denied, TOPIC_AUTHORIZATION_FAILED],
        ],
      );
    });

    test("no rule applies: the TLS handshake completes, the first request closes the connection unanswered", async () => {
      const answer = await tlsRequest(unmapped(), ApiKey.ApiVersions, 3, {
        clientSoftwareName: "mapping-interop",
        clientSoftwareVersion: "1",
      });
      assert.equal(answer, "closed");
      // The same certificate is fine where a rule maps it.
      const mappedAnswer = await tlsRequest(mapped(), ApiKey.ApiVersions, 3, {
        clientSoftwareName: "mapping-interop",
        clientSoftwareVersion: "1",
      });
      assert.notEqual(mappedAnswer, "closed");
    });

    describe("kcat (librdkafka)", { skip: kcat === undefined ? "kcat is not installed" : false }, () => {
      const bin = kcat ?? "kcat";
      const tls = (): string[] => [
        "-X",
        "security.protocol=SSL",
        "-X",
        `ssl.ca.location=${file("caCert")}`,
        "-X",
        `ssl.certificate.location=${file("clientCert")}`,
        "-X",
        `ssl.key.location=${file("clientKey")}`,
      ];

      test("produces to and consumes from the granted topic; the other topic is refused", async () => {
        const args = ["-b", mapped(), ...tls()];
        await runOk(bin, [...args, "-P", "-t", allowedKcat], { input: "one\ntwo\nthree\n" });
        const consumed = await runOk(bin, [...args, "-C", "-t", allowedKcat, "-o", "beginning", "-c", "3", "-e"]);
        assert.deepEqual(consumed.stdout.trim().split("\n"), ["one", "two", "three"]);
        const refused = await run(bin, [...args, "-P", "-t", denied], { input: "nope\n", timeoutMs: 60_000 });
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /Topic authorization failed/i);
      });

      test("no rule maps the certificate: kcat cannot even list the cluster", async () => {
        const refused = await run(bin, ["-b", unmapped(), ...tls(), "-L", "-m", "5"], { timeoutMs: 60_000 });
        assert.notEqual(refused.code, 0);
      });
    });

    describe("Kafka's console tools with a PEM key store", { skip: javaMissing ?? false }, () => {
      const properties = (): string => {
        const path = join(certs?.dir ?? "", "mapped-client.properties");
        writeFileSync(
          path,
          [
            "security.protocol=SSL",
            "ssl.keystore.type=PEM",
            `ssl.keystore.location=${file("clientPem")}`,
            "ssl.truststore.type=PEM",
            `ssl.truststore.location=${file("caCert")}`,
          ].join("\n") + "\n",
        );
        return path;
      };

      test("console producer and consumer on the granted topic; the other topic is refused", async () => {
        const config = properties();
        await kafkaToolOk(
          "console-producer",
          ["--bootstrap-server", mapped(), "--topic", allowedJava, "--command-config", config],
          { input: "alpha\nbeta\n" },
        );
        assert.deepEqual(
          await consoleConsume(mapped(), allowedJava, 2, config, ["--partition", "0", "--offset", "earliest"]),
          ["alpha", "beta"],
        );
        const refused = await kafkaTool(
          "console-producer",
          ["--bootstrap-server", mapped(), "--topic", denied, "--command-config", config],
          { input: "nope\n" },
        );
        assert.match(refused.stdout + refused.stderr, /TopicAuthorizationException|Not authorized to access topics/);
      });
    });
  },
);
