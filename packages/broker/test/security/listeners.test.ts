// Listener configuration: several listeners, the protocol map, advertised addresses, TLS and
// SASL settings (global and per listener), and the errors that name the offending setting.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, resolveBrokerConfig } from "../../src/config.ts";
import { withPlaintextListener } from "../../src/security/listeners.ts";
import { isSecuritySetting } from "../../src/security/listeners.ts";

const plainJaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
// Not a real key: the parser only needs PEM blocks to be present.
const fakePem =
  "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";

function refused(settings: Record<string, string>, setting: string, message?: RegExp): void {
  assert.throws(
    () => resolveBrokerConfig(settings),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.setting, setting, error.message);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

describe("listener configuration", () => {
  test("defaults: one PLAINTEXT listener", () => {
    const config = resolveBrokerConfig({});
    assert.equal(config.listeners.length, 1);
    assert.equal(config.listeners[0]?.securityProtocol, "PLAINTEXT");
    assert.equal(config.failedAuthenticationDelayMs, 100);
    assert.equal(config.saslReceiveBytesMax, 524288);
  });

  test("several listeners, the protocol map and advertised listeners", () => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-listeners-"));
    const pem = join(dir, "server.pem");
    writeFileSync(pem, fakePem);
    const config = resolveBrokerConfig({
      listeners: "PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9094,CLIENTS://127.0.0.1:9095",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CLIENTS:SASL_PLAINTEXT",
      "advertised.listeners": "SASL_SSL://broker.example.com:19094",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": pem,
      "sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
      "listener.name.clients.sasl.enabled.mechanisms": "PLAIN",
      "listener.name.clients.plain.sasl.jaas.config": plainJaas,
      "connection.failed.authentication.delay.ms": "0",
    });
    const [plain, saslSsl, clients] = config.listeners;
    assert.deepEqual(config.listen, { host: "127.0.0.1", port: 9092 });
    assert.equal(plain?.tls, undefined);
    assert.equal(saslSsl?.securityProtocol, "SASL_SSL");
    assert.deepEqual(saslSsl?.advertised, { host: "broker.example.com", port: 19094 });
    assert.match(saslSsl?.tls?.key ?? "", /PRIVATE KEY/);
    assert.match(saslSsl?.tls?.cert ?? "", /CERTIFICATE/);
    assert.equal(saslSsl?.tls?.clientAuth, "none");
    assert.deepEqual(saslSsl?.sasl?.mechanisms, ["SCRAM-SHA-256", "SCRAM-SHA-512"]);
    assert.equal(clients?.securityProtocol, "SASL_PLAINTEXT");
    assert.deepEqual(clients?.sasl?.mechanisms, ["PLAIN"]);
    assert.equal(clients?.sasl?.plainUsers.get("alice"), "alice-secret");
    assert.equal(config.failedAuthenticationDelayMs, 0);
  });

  test("inline PEM and mTLS settings", () => {
    const config = resolveBrokerConfig({
      listeners: "SSL://127.0.0.1:9093",
      "listener.name.ssl.ssl.keystore.type": "PEM",
      "listener.name.ssl.ssl.keystore.key": fakePem.split("-----BEGIN CERTIFICATE")[0] ?? "",
      "listener.name.ssl.ssl.keystore.certificate.chain":
        "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n",
      "ssl.truststore.type": "PEM",
      "ssl.truststore.certificates": "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n",
      "ssl.client.auth": "required",
    });
    assert.equal(config.listeners[0]?.tls?.clientAuth, "required");
    assert.match(config.listeners[0]?.tls?.ca ?? "", /CCCC/);
  });

  test("refusals name the setting", () => {
    refused({ listeners: "PLAINTEXT://a:1,PLAINTEXT://b:2" }, "listeners", /twice/);
    refused({ listeners: "PLAINTEXT://a:1,SSL://b:1" }, "listeners", /port 1/);
    refused({ listeners: "CLIENTS://a:1" }, "listener.security.protocol.map", /CLIENTS/);
    refused({ "listener.security.protocol.map": "PLAINTEXT:TLS" }, "listener.security.protocol.map");
    refused({ "advertised.listeners": "SSL://x:1" }, "advertised.listeners", /not one of the listeners/);
    refused({ listeners: "SASL_PLAINTEXT://a:1" }, "sasl.enabled.mechanisms", /GSSAPI/);
    refused(
      { listeners: "SASL_PLAINTEXT://a:1", "sasl.enabled.mechanisms": "SCRAM-SHA-1" },
      "sasl.enabled.mechanisms",
      /SCRAM-SHA-1/,
    );
    refused(
      { listeners: "SASL_PLAINTEXT://a:1", "sasl.enabled.mechanisms": "PLAIN" },
      "listener.name.sasl_plaintext.plain.sasl.jaas.config",
    );
    refused(
      {
        listeners: "SASL_PLAINTEXT://a:1",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": "nonsense",
      },
      "listener.name.sasl_plaintext.plain.sasl.jaas.config",
    );
    refused({ listeners: "SSL://a:1" }, "ssl.keystore.location", /ssl.keystore.type=PEM/);
    refused({ listeners: "SSL://a:1", "ssl.keystore.location": "/x.jks" }, "ssl.keystore.type", /JKS/);
    refused(
      { listeners: "SSL://a:1", "ssl.keystore.type": "PEM", "ssl.keystore.location": "/nonexistent/x.pem" },
      "ssl.keystore.location",
      /cannot read/,
    );
    refused(
      {
        listeners: "SSL://a:1",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.key": "k",
        "ssl.keystore.certificate.chain": "c",
        "ssl.client.auth": "required",
      },
      "ssl.client.auth",
      /trust store/,
    );
    refused(
      {
        listeners: "SSL://a:1",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.key": "k",
        "ssl.keystore.certificate.chain": "c",
        "ssl.principal.mapping.rules": "RULE:^CN=(.*$/$1/",
      },
      "ssl.principal.mapping.rules",
      /Unclosed group/,
    );
    refused({ "listener.name.x.ssl.unknown": "1" }, "listener.name.x.ssl.unknown", /unknown setting/);
    refused({ "sasl.server.max.receive.size": "0" }, "sasl.server.max.receive.size");
  });

  test("OAUTHBEARER and connections.max.reauth.ms: options, per listener and per mechanism", () => {
    const config = resolveBrokerConfig({
      listeners: "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9093,OTHER://127.0.0.1:9094",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,OTHER:SASL_PLAINTEXT",
      "sasl.enabled.mechanisms": "OAUTHBEARER,PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": plainJaas,
      "listener.name.other.plain.sasl.jaas.config": plainJaas,
      "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config":
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required " +
        'unsecuredLoginStringClaim_sub="broker" unsecuredValidatorPrincipalClaimName="user" ' +
        'unsecuredValidatorRequiredScope="kafka  admin" unsecuredValidatorAllowableClockSkewMs=" 2500 ";',
      "connections.max.reauth.ms": "60000",
      "listener.name.sasl_plaintext.connections.max.reauth.ms": "30000",
      "listener.name.sasl_plaintext.oauthbearer.connections.max.reauth.ms": "5000",
      "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class":
        "org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler",
    });
    const sasl = config.listeners[1]?.sasl;
    assert.deepEqual(sasl?.mechanisms, ["OAUTHBEARER", "PLAIN"]);
    assert.deepEqual(sasl?.oauthBearer, {
      principalClaimName: "user",
      scopeClaimName: "scope",
      requiredScope: ["kafka", "admin"],
      allowableClockSkewMs: 2500,
    });
    assert.deepEqual(
      [...(sasl?.connectionsMaxReauthMs ?? [])],
      [
        ["OAUTHBEARER", 5000],
        ["PLAIN", 30000],
      ],
    );
    // No OAuthBearerLoginModule entry: the validator's defaults. The broker-wide reauth value.
    const other = config.listeners[2]?.sasl;
    assert.deepEqual(other?.oauthBearer, {
      principalClaimName: "sub",
      scopeClaimName: "scope",
      requiredScope: [],
      allowableClockSkewMs: 0,
    });
    assert.equal(other?.connectionsMaxReauthMs.get("PLAIN"), 60000);
    // Off by default.
    const plain = resolveBrokerConfig({
      listeners: "SASL_PLAINTEXT://a:1",
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.sasl_plaintext.plain.sasl.jaas.config": plainJaas,
    });
    assert.equal(plain.listeners[0]?.sasl?.connectionsMaxReauthMs.get("PLAIN"), 0);
  });

  test("OAUTHBEARER refusals: JWKS validation, Java callback handlers, bad validator options", () => {
    const oauth = { listeners: "SASL_PLAINTEXT://a:1", "sasl.enabled.mechanisms": "OAUTHBEARER" };
    refused(
      { ...oauth, "sasl.oauthbearer.jwks.endpoint.url": "https://idp.example.com/jwks" },
      "sasl.oauthbearer.jwks.endpoint.url",
      /JWKS endpoint is not supported/,
    );
    refused(
      { ...oauth, "listener.name.sasl_plaintext.sasl.oauthbearer.jwks.endpoint.url": "file:///jwks.json" },
      "listener.name.sasl_plaintext.sasl.oauthbearer.jwks.endpoint.url",
      /oauthBearerValidator/,
    );
    refused(
      {
        ...oauth,
        "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class":
          "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
      },
      "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class",
      /cannot load Java classes/,
    );
    const jaas = (options: string): Record<string, string> => ({
      ...oauth,
      "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config": `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ${options};`,
    });
    const jaasName = "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config";
    refused(jaas('unsecuredValidatorAllowableClockSkewMs="-1"'), jaasName, /must not be negative/);
    refused(jaas('unsecuredValidatorAllowableClockSkewMs="1.5"'), jaasName, /not an integer/);
    refused(jaas('unsecuredValidatorRequiredScope="kafka é"'), jaasName, /invalid scope value/);
    refused({ ...oauth, "connections.max.reauth.ms": "soon" }, "connections.max.reauth.ms", /milliseconds/);
    refused(
      { ...oauth, "listener.name.sasl_plaintext.oauthbearer.connections.max.reauth.ms": "1e3" },
      "listener.name.sasl_plaintext.oauthbearer.connections.max.reauth.ms",
    );
    refused({ "sasl.oauthbearer.expected.audience": "x" }, "sasl.oauthbearer.expected.audience", /unknown setting/);
  });

  test("security setting names", () => {
    assert.equal(isSecuritySetting("ssl.keystore.location"), true);
    assert.equal(isSecuritySetting("listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"), true);
    assert.equal(isSecuritySetting("listener.name.sasl_ssl.ssl.client.auth"), true);
    assert.equal(isSecuritySetting("ssl.nonsense"), false);
    assert.equal(isSecuritySetting("connections.max.reauth.ms"), true);
    assert.equal(isSecuritySetting("listener.name.sasl_ssl.connections.max.reauth.ms"), true);
    assert.equal(isSecuritySetting("listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms"), true);
    assert.equal(isSecuritySetting("listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class"), true);
  });

  test("--listen maps onto the PLAINTEXT listener and keeps the others", () => {
    assert.equal(withPlaintextListener(undefined, "127.0.0.1:1"), "PLAINTEXT://127.0.0.1:1");
    assert.equal(withPlaintextListener("PLAINTEXT://0.0.0.0:9092", "127.0.0.1:1"), "PLAINTEXT://127.0.0.1:1");
    assert.equal(
      withPlaintextListener("SASL_SSL://127.0.0.1:9094,PLAINTEXT://x:2", "127.0.0.1:1"),
      "PLAINTEXT://127.0.0.1:1,SASL_SSL://127.0.0.1:9094",
    );
  });
});
