// The secured target the security interop tests share (security.test.ts, cli-security.test.ts):
// next to the PLAINTEXT bootstrap listener, a SASL_SSL listener (PLAIN users from its JAAS config,
// SCRAM-SHA-256/512 users created through AlterUserScramCredentials) and an SSL listener requiring
// client certificates (mTLS), with certificates made by openssl. The same settings go to Samsa and
// to Apache Kafka.
import assert from "node:assert/strict";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, before } from "node:test";
import { ApiKey } from "@samsa/protocol";
import { generateTestCertificates, opensslMissing, WireClient } from "@samsa/testkit";
import type { Target, TestCertificates } from "@samsa/testkit";
import { useTarget } from "./support.ts";

export const plainUser = { name: "carol", password: "carol-plain-secret" } as const;
export const scramUser = { name: "alice", password: "alice-scram-secret" } as const;
export const scramJaas = "org.apache.kafka.common.security.scram.ScramLoginModule required;";

export interface SecuredTarget {
  readonly target: () => Target;
  /** The SASL_SSL listener's address. */
  readonly saslSsl: () => string;
  /** The mTLS listener's address. */
  readonly mtls: () => string;
}

/** Why the secured target cannot run here (no openssl), or false. */
export const securedTargetSkip: string | false = opensslMissing() ?? false;

export interface CertificateFiles {
  /** A certificate file's path (CA, server and client PEMs). */
  readonly file: (name: keyof TestCertificates) => string;
  /** Their directory, also for the tests' own files (client configs). */
  readonly dir: string;
}

/** Test certificates made with openssl (empty paths when it is missing: the tests skip). */
export function makeCertificates(): CertificateFiles {
  const certs = securedTargetSkip === false ? generateTestCertificates() : undefined;
  return { file: (name) => String(certs?.[name] ?? ""), dir: certs?.dir ?? "" };
}

/**
 * Declares the secured target for the enclosing describe: the broker started before its tests with
 * `certs`, SCRAM credentials for scramUser (both mechanisms) added over the PLAINTEXT listener with
 * plain AlterUserScramCredentials (independent of the clients under test), and the certificates
 * removed after.
 */
export function useSecuredTarget(certs: CertificateFiles): SecuredTarget {
  const { file } = certs;
  const target = useTarget({
    listeners: [
      { name: "SASL_SSL", securityProtocol: "SASL_SSL" },
      { name: "MTLS", securityProtocol: "SSL" },
    ],
    settings: {
      "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
      "listener.name.sasl_ssl.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_${plainUser.name}="${plainUser.password}";`,
      "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": scramJaas,
      "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scramJaas,
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": file("serverPem"),
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": file("caCert"),
      "listener.name.mtls.ssl.client.auth": "required",
    },
  });

  before(async () => {
    const client = await WireClient.connect(target().bootstrap);
    try {
      // One mechanism per request: a user may appear once per request.
      for (const [i, hash] of (["sha256", "sha512"] as const).entries()) {
        const salt = randomBytes(16);
        const upsertion = {
          name: scramUser.name,
          mechanism: i + 1,
          iterations: 4096,
          salt,
          saltedPassword: pbkdf2Sync(scramUser.password, salt, 4096, hash === "sha256" ? 32 : 64, hash),
        };
        const response = await client.send(ApiKey.AlterUserScramCredentials, 0, {
          deletions: [],
          upsertions: [upsertion],
        });
        assert.deepEqual(
          response.results.map((r) => [r.user, r.errorCode]),
          [[scramUser.name, 0]],
        );
      }
    } finally {
      client.close();
    }
  });

  after(() => {
    if (certs.dir !== "") rmSync(certs.dir, { recursive: true, force: true });
  });

  return {
    target,
    saslSsl: () => target().listenerAddresses.get("SASL_SSL") ?? "",
    mtls: () => target().listenerAddresses.get("MTLS") ?? "",
  };
}
