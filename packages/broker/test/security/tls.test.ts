// TLS listeners against an in-process broker, with certificates made by openssl: an SSL listener
// serves Kafka requests over TLS; with ssl.client.auth=required a trusted client certificate's
// subject becomes the principal (Kafka's default principal builder) and a stranger's is refused;
// with `requested` a client without a certificate stays ANONYMOUS.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { connect } from "node:tls";
import type { TLSSocket } from "node:tls";
import { ApiKey, decodeResponseFrame, encodeRequestFrame, FrameSplitter } from "@samsa/protocol";
import { generateTestCertificates, opensslMissing, waitFor } from "@samsa/testkit";
import type { TestCertificates } from "@samsa/testkit";
import { createLogger, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";
import { subjectToDistinguishedName } from "../../src/security/principal.ts";

const skip = opensslMissing();
let certs: TestCertificates;
let broker: RunningBroker;
const logLines: string[] = [];

before(async () => {
  if (skip !== undefined) return;
  certs = generateTestCertificates();
  broker = await startBroker({
    inMemory: true,
    listen: "127.0.0.1:0",
    logger: createLogger({ level: "debug", sink: (line) => logLines.push(line) }),
    settings: {
      listeners: "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": certs.serverPem,
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": certs.caCert,
      "ssl.client.auth": "requested",
      "listener.name.mtls.ssl.client.auth": "required",
    },
  });
});

after(async () => {
  if (skip !== undefined) return;
  await broker.close();
  rmSync(certs.dir, { recursive: true, force: true });
});

function tlsConnect(address: string, client?: { key: string; cert: string }): Promise<TLSSocket> {
  const at = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: address.slice(0, at),
      port: Number(address.slice(at + 1)),
      ca: readFileSync(certs.caCert),
      servername: "localhost",
      ...(client === undefined ? {} : { key: readFileSync(client.key), cert: readFileSync(client.cert) }),
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** ApiVersions over a TLS socket; rejects if the server closes the connection instead. */
function apiVersions(socket: TLSSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
    socket.on("data", (chunk: Buffer) => {
      for (const frame of splitter.push(chunk))
        resolve(decodeResponseFrame(ApiKey.ApiVersions, 3, frame).body.apiKeys.length);
    });
    socket.once("close", () => reject(new Error("connection closed")));
    socket.once("error", reject);
    socket.write(
      encodeRequestFrame({
        apiKey: ApiKey.ApiVersions,
        apiVersion: 3,
        correlationId: 1,
        clientId: "tls-test",
        body: { clientSoftwareName: "t", clientSoftwareVersion: "1" },
      }),
    );
  });
}

describe("TLS listeners", { skip }, () => {
  test("an SSL listener serves requests over TLS; the client without a certificate is anonymous", async () => {
    const socket = await tlsConnect(broker.listeners.get("SSL") ?? "");
    assert.ok((await apiVersions(socket)) > 10);
    socket.destroy();
  });

  test("mTLS: a trusted client certificate is the principal User:<subject DN>", async () => {
    const socket = await tlsConnect(broker.listeners.get("MTLS") ?? "", {
      key: certs.clientKey,
      cert: certs.clientCert,
    });
    assert.ok((await apiVersions(socket)) > 10);
    socket.destroy();
    const line = await waitFor(() => logLines.find((l) => l.includes("TLS client authenticated")), {
      timeoutMs: 3000,
      what: "the TLS principal log line",
    });
    assert.match(line, new RegExp(`"principal":"User:${certs.clientDistinguishedName}"`));
  });

  test("mTLS: no certificate, or one from another CA, is refused", async () => {
    for (const client of [undefined, { key: certs.strangerKey, cert: certs.strangerCert }]) {
      const attempt = tlsConnect(broker.listeners.get("MTLS") ?? "", client).then(apiVersions);
      await assert.rejects(attempt);
    }
    // `requested`: a certificate that does not verify is refused too.
    const requested = tlsConnect(broker.listeners.get("SSL") ?? "", {
      key: certs.strangerKey,
      cert: certs.strangerCert,
    }).then(apiVersions);
    await assert.rejects(requested);
  });

  test("subject DNs in RFC 2253 order with escaping", () => {
    assert.equal(subjectToDistinguishedName("C=US\nO=Samsa\nOU=eng\nCN=alice"), "CN=alice,OU=eng,O=Samsa,C=US");
    assert.equal(subjectToDistinguishedName("O=A, Inc.\nCN=x+y"), "CN=x\\+y,O=A\\, Inc.");
  });
});
