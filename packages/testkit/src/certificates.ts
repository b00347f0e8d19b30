// Throwaway TLS material for security tests, made with the openssl CLI (Node cannot issue X.509
// certificates): a CA, a server certificate for 127.0.0.1/localhost, a client certificate it
// trusts (for mTLS) and one from an unrelated CA (which must be refused).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  readonly dir: string;
  /** The CA certificate (PEM): the trust store of both sides. */
  readonly caCert: string;
  /** Private key then certificate (PEM), as `ssl.keystore.location` with `ssl.keystore.type=PEM` reads it. */
  readonly serverPem: string;
  readonly serverKey: string;
  readonly serverCert: string;
  /** A client certificate signed by the CA; its subject DN as Kafka names it. */
  readonly clientKey: string;
  readonly clientCert: string;
  /** The client's key then certificate in one PEM file (a Java client's PEM key store). */
  readonly clientPem: string;
  readonly clientDistinguishedName: string;
  /** A client certificate from another CA. */
  readonly strangerKey: string;
  readonly strangerCert: string;
}

/** Why certificates cannot be made here (undefined when they can). */
export function opensslMissing(): string | undefined {
  return spawnSync("openssl", ["version"]).status === 0
    ? undefined
    : "openssl is not installed (apt-get install openssl)";
}

/** Generates the certificates into a new temporary directory (file paths; PEM files). */
export function generateTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "samsa-certs-"));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  };
  const ca = (name: string, subject: string): void =>
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      subject,
      "-keyout",
      path(`${name}.key`),
      "-out",
      path(`${name}.crt`),
    );
  const issue = (name: string, subject: string, signer: string, extensions: string): void => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      subject,
      "-keyout",
      path(`${name}.key`),
      "-out",
      path(`${name}.csr`),
    );
    writeFileSync(path(`${name}.ext`), extensions);
    openssl(
      "x509",
      "-req",
      "-in",
      path(`${name}.csr`),
      "-CA",
      path(`${signer}.crt`),
      "-CAkey",
      path(`${signer}.key`),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      path(`${name}.ext`),
      "-out",
      path(`${name}.crt`),
    );
  };
  ca("ca", "/CN=Samsa Test CA");
  ca("other-ca", "/CN=Unrelated CA");
  issue("server", "/CN=localhost", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  issue("client", "/C=US/O=Samsa/OU=eng/CN=alice", "ca", "extendedKeyUsage=clientAuth\n");
  issue("stranger", "/CN=mallory", "other-ca", "extendedKeyUsage=clientAuth\n");
  writeFileSync(
    path("server.pem"),
    readFileSync(path("server.key"), "utf8") + readFileSync(path("server.crt"), "utf8"),
  );
  writeFileSync(
    path("client.pem"),
    readFileSync(path("client.key"), "utf8") + readFileSync(path("client.crt"), "utf8"),
  );
  return {
    dir,
    clientPem: path("client.pem"),
    caCert: path("ca.crt"),
    serverPem: path("server.pem"),
    serverKey: path("server.key"),
    serverCert: path("server.crt"),
    clientKey: path("client.key"),
    clientCert: path("client.crt"),
    clientDistinguishedName: "CN=alice,OU=eng,O=Samsa,C=US",
    strangerKey: path("stranger.key"),
    strangerCert: path("stranger.crt"),
  };
}
