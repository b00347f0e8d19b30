// Connecting to secured clusters, without a cluster: the client config file (Java .properties, a
// fast-check round trip and "only ever the typed error" on any input), sasl.jaas.config entries
// and the unsecured OAUTHBEARER token, flag > variable > file precedence, the mapping to the client
// library's `tls` and `sasl` options (with certificates made by openssl), the OAUTHBEARER exchange
// over a fake SaslAuthenticate, how failures become exit codes, and that no secret is ever printed.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { AuthenticationError, NetworkError, ResponseError } from "@platformatic/kafka";
import type { Connection, saslAuthenticateV2 } from "@platformatic/kafka";
import { generateTestCertificates, opensslMissing } from "@samsa/testkit";
import type { TestCertificates } from "@samsa/testkit";
import {
  AuthenticationRefused,
  ClientConfigError,
  describeFailure,
  ExitCode,
  failureLine,
  noteConnectionError,
  redactSecrets,
  rememberSecret,
  UsageError,
} from "../src/framework/errors.ts";
import { jaasLogin, parseJaasConfig, unsecuredToken } from "../src/framework/jaas.ts";
import type { UnsecuredLogin } from "../src/framework/jaas.ts";
import { parseProperties, propertiesEntriesMax, readPropertiesFile } from "../src/framework/properties.ts";
import {
  clientEnvironmentVariables,
  oauthBearerAuthenticator,
  pemBlocks,
  resolveSecurity,
  securityEnv,
} from "../src/framework/security.ts";
import type { SecurityInputs } from "../src/framework/security.ts";

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "samsa-cli-security-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function writeTemp(text: string | Buffer, name = `f${++files}`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const configFile = (lines: readonly string[]): string => writeTemp(lines.join("\n") + "\n", `c${++files}.properties`);

function configError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ClientConfigError, `expected a ClientConfigError, got ${String(e)}`);
    assert.equal(e.exitCode, ExitCode.badInput);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}
function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UsageError && message.test(e.message));
}

// ---------------------------------------------------------------------------------------------- properties

describe("client config files (.properties)", () => {
  test("separators, comments, trimming, escapes, continuations, the last repeated key", () => {
    const parsed = parseProperties(
      [
        "# a comment",
        "  ! another comment",
        "",
        "a=1",
        "b : two  ",
        "c three",
        "  d\t=\t  four\t",
        "e=",
        "f",
        "key\\ with\\ spaces\\=and\\:colons = x=y:z",
        "tab=\\t\\u0041\\n\\\\",
        "long=first \\",
        "     second \\",
        "\tthird",
        "even=ends in two backslashes \\\\",
        "next=line",
        "a=last wins",
        "# comment \\",
        "g=not continued from the comment",
        "h=ends the text \\",
      ].join("\r\n"),
    );
    assert.deepEqual(Object.fromEntries(parsed), {
      a: "last wins",
      b: "two",
      c: "three",
      d: "four",
      e: "",
      f: "",
      "key with spaces=and:colons": "x=y:z",
      tab: "A\n\\",
      long: "first second third",
      even: "ends in two backslashes \\",
      next: "line",
      g: "not continued from the comment",
      h: "ends the text",
    });
  });

  test("malformed escapes, NUL bytes, too many entries and too large files are ClientConfigErrors", () => {
    configError(() => parseProperties("password=ab\\u12zz"), /line 1: malformed \\u escape/);
    configError(() => parseProperties("a=1\nb=\0"), /not a text file/);
    const many = Array.from({ length: propertiesEntriesMax + 1 }, (_, i) => `k${i}=v`).join("\n");
    configError(() => parseProperties(many), /more than 10000 entries/);
    configError(() => readPropertiesFile(join(dir, "missing.properties"), "--command-config"), /ENOENT/);
    mkdirSync(join(dir, "a-directory"));
    configError(() => readPropertiesFile(join(dir, "a-directory"), "--command-config"), /is not a file|EISDIR/);
    configError(
      () => readPropertiesFile(writeTemp(Buffer.alloc(1024 * 1024 + 1, 0x61)), "--command-config"),
      /larger than 1048576 bytes/,
    );
    configError(
      () => readPropertiesFile(writeTemp(Buffer.from([0x61, 0x3d, 0xff, 0xfe])), "--command-config"),
      /not UTF-8 text/,
    );
  });

  test("any text parses or fails with a one-line ClientConfigError, never anything else", () => {
    const alphabet = fc.constantFrom(
      "a",
      "=",
      ":",
      " ",
      "\t",
      "\\",
      "u",
      "0",
      "#",
      "!",
      "\n",
      "\r",
      "\0",
      "é",
      "\u2028",
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 200 }), fc.string({ maxLength: 200 })), (text) => {
        try {
          parseProperties(text);
        } catch (error) {
          return error instanceof ClientConfigError && !/[\r\n]/.test(error.message);
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  test("written with Java's escapes, any keys and (trimmed) values read back as they were", () => {
    // Escapes as java.util.Properties#store writes them, so the parser is checked against the format.
    const escape = (text: string, isKey: boolean): string =>
      // Per UTF-16 code unit, as Java writes \u escapes (a surrogate pair as two escapes).
      Array.from({ length: text.length }, (_, i) => {
        const c = text[i] ?? "";
        if (c === "\\") return "\\\\";
        if (c === "\t") return "\\t";
        if (c === "\n") return "\\n";
        if (c === "\r") return "\\r";
        if (c === "\f") return "\\f";
        if ("=:#!".includes(c)) return `\\${c}`;
        if (c === " " && (isKey || i === 0)) return "\\ ";
        const code = text.charCodeAt(i);
        if (code < 0x20 || code > 0x7e) return `\\u${code.toString(16).padStart(4, "0")}`;
        return c;
      }).join("");
    const unit = fc.oneof(
      fc.constantFrom("\\", "\t", "\n", "\r", "\f", "=", ":", "#", "!", " ", "\0", "é", "\u00a0", "😀"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    const text = (minLength: number, maxLength: number) => fc.string({ unit, minLength, maxLength });
    const trimmed = text(0, 30).filter((s) => s === s.trim());
    fc.assert(
      fc.property(fc.dictionary(text(1, 20), trimmed, { maxKeys: 20 }), (entries) => {
        const text = Object.entries(entries)
          .map(([k, v]) => `${escape(k, true)}=${escape(v, false)}`)
          .join("\n");
        assert.deepEqual(Object.fromEntries(parseProperties(text)), { ...entries });
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------- JAAS

describe("sasl.jaas.config", () => {
  test("PlainLoginModule and ScramLoginModule: user name and password, quoted or bare, with escapes", () => {
    const plain = parseJaasConfig(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p\\"w;d=";',
    );
    assert.equal(plain.flag, "required");
    assert.deepEqual(Object.fromEntries(plain.options), { username: "alice", password: 'p"w;d=' });
    assert.deepEqual(jaasLogin(plain), { kind: "password", module: "plain", username: "alice", password: 'p"w;d=' });
    const scram = parseJaasConfig(
      '  org.apache.kafka.common.security.scram.ScramLoginModule  Required\n  username=bob\n  password = "x y" ;  ',
    );
    assert.deepEqual(jaasLogin(scram), { kind: "password", module: "scram", username: "bob", password: "x y" });
  });

  test("wrong entries are ClientConfigErrors that name options, never values", () => {
    const secret = "s3cr3t-value";
    configError(
      () => parseJaasConfig(`org.x.PlainLoginModule required password="${secret}`),
      /quoted value of option password is not closed/,
    );
    configError(() => parseJaasConfig(`org.x.M required password="${secret}"`), /must end with ';'/);
    configError(() => parseJaasConfig(`org.x.M mandatory password="${secret}";`), /control flag/);
    configError(() => parseJaasConfig(`org.x.M required password ${secret};`), /expected '=' after option password/);
    configError(() => parseJaasConfig(`a.M required; b.M required;`), /more than one login module/);
    configError(() => parseJaasConfig(""), /expected a login module class name/);
    configError(
      () => jaasLogin(parseJaasConfig(`com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;`)),
      /login module com\.sun\.security\.auth\.module\.Krb5LoginModule is not supported/,
    );
    configError(
      () =>
        jaasLogin(
          parseJaasConfig(`org.apache.kafka.common.security.scram.ScramLoginModule required tokenauth="true";`),
        ),
      /delegation tokens/,
    );
    for (const bad of [`org.x.M required password="${secret}`, `org.x.M required password ${secret};`]) {
      assert.throws(
        () => parseJaasConfig(bad),
        (e: unknown) => e instanceof Error && !e.message.includes(secret),
      );
    }
  });

  test("any text parses or fails with a ClientConfigError", () => {
    const alphabet = fc.constantFrom("a", ".", " ", "=", '"', "\\", ";", "required", "\n", "x=", '"v"');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 60 }), fc.string({ maxLength: 100 })), (text) => {
        try {
          jaasLogin(parseJaasConfig(text));
        } catch (error) {
          return error instanceof ClientConfigError && !/[\r\n]/.test(error.message);
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  const decode = (token: string): { header: unknown; claims: Record<string, unknown>; signature: string } => {
    const [header, claims, signature, ...rest] = token.split(".");
    assert.equal(rest.length, 0);
    return {
      header: JSON.parse(Buffer.from(header ?? "", "base64url").toString()) as unknown,
      claims: JSON.parse(Buffer.from(claims ?? "", "base64url").toString()) as Record<string, unknown>,
      signature: signature ?? "",
    };
  };

  test("OAuthBearerLoginModule's unsecured login makes an unsigned JWS: alg none, iat, exp, the claims", () => {
    const login = jaasLogin(
      parseJaasConfig(
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required " +
          'unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",kafka,,admin" ' +
          'unsecuredLoginNumberClaim_level="3" unsecuredLoginStringClaim___proto__="p" ' +
          'unsecuredLoginLifetimeSeconds="60" unsecuredLoginExtension_traceId="abc";',
      ),
    );
    assert.equal(login.kind, "oauthbearer");
    const unsecured = login.kind === "oauthbearer" ? login.unsecured : undefined;
    assert.ok(unsecured !== undefined);
    assert.deepEqual(Object.fromEntries(unsecured.extensions), { traceId: "abc" });
    const token = decode(unsecuredToken(unsecured, 1_700_000_000_999));
    assert.deepEqual(token.header, { alg: "none" });
    assert.equal(token.signature, "");
    assert.deepEqual(token.claims, {
      iat: 1_700_000_000,
      exp: 1_700_000_060,
      sub: "alice",
      scope: ["kafka", "admin"],
      level: 3,
      ["__proto__"]: "p",
    });
    assert.ok(Object.hasOwn(token.claims, "__proto__"));
    // Another principal claim name, and the default lifetime of an hour.
    const other = jaasLogin(
      parseJaasConfig(
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required " +
          'unsecuredLoginPrincipalClaimName="user" unsecuredLoginStringClaim_user="bob";',
      ),
    );
    const otherToken = decode(unsecuredToken((other as { unsecured: UnsecuredLogin }).unsecured, 5000));
    assert.deepEqual(otherToken.claims, { iat: 5, exp: 3605, user: "bob" });
  });

  test("an unsecured login without its principal, with reserved claims or bad options is refused", () => {
    const module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required";
    const login = (options: string): unknown => jaasLogin(parseJaasConfig(`${module} ${options};`));
    configError(
      () => login('unsecuredLoginStringClaim_scope="x"'),
      /needs the principal: unsecuredLoginStringClaim_sub/,
    );
    configError(() => login('unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_exp="1"'), /claim exp/);
    configError(() => login('unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_n="many"'), /not a number/);
    configError(() => login('unsecuredLoginStringClaim_sub="a" unsecuredLoginLifetimeSeconds="-1"'), /positive/);
    configError(() => login('unsecuredLoginStringClaim_sub="a" unsecuredLoginExtension_auth="x"'), /extension name/);
    assert.deepEqual(login("clientId=x"), { kind: "oauthbearer", unsecured: undefined });
  });
});

// ---------------------------------------------------------------------------------------------- resolution

describe("resolving the settings: flag > variable > file", () => {
  const resolve = (flags: SecurityInputs, env: Record<string, string> = {}) =>
    resolveSecurity(flags, securityEnv(env), () => 1_700_000_000_000);
  const scramFile = configFile([
    "security.protocol=SASL_PLAINTEXT",
    "sasl.mechanism=SCRAM-SHA-512",
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="file-user" password="file-pw";',
    "bootstrap.servers=kafka-1:9093,kafka-2:9093",
  ]);

  test("without anything: PLAINTEXT, no TLS, no SASL", () => {
    assert.deepEqual(resolve({}), {
      protocol: "PLAINTEXT",
      tls: undefined,
      sasl: undefined,
      bootstrapServers: undefined,
      warnings: [],
    });
  });

  test("the file alone; each setting overridden by its variable, and that by its flag", () => {
    const fromFile = resolve({ commandConfig: scramFile });
    assert.equal(fromFile.protocol, "SASL_PLAINTEXT");
    assert.deepEqual(fromFile.sasl, { mechanism: "SCRAM-SHA-512", username: "file-user", password: "file-pw" });
    assert.equal(fromFile.bootstrapServers, "kafka-1:9093,kafka-2:9093");
    const env = {
      SAMSA_COMMAND_CONFIG: scramFile,
      SAMSA_SASL_MECHANISM: "scram-sha-256",
      SAMSA_SASL_USERNAME: "env-user",
      SAMSA_SASL_PASSWORD: " env pw ",
    };
    assert.deepEqual(resolve({}, env).sasl, { mechanism: "SCRAM-SHA-256", username: "env-user", password: " env pw " });
    const flagged = resolve({ saslMechanism: "PLAIN", saslUsername: "flag-user", saslPassword: "flag-pw" }, env);
    assert.deepEqual(flagged.sasl, { mechanism: "PLAIN", username: "flag-user", password: "flag-pw" });
    assert.equal(resolve({ securityProtocol: "ssl" }, { SAMSA_SECURITY_PROTOCOL: "SASL_PLAINTEXT" }).protocol, "SSL");
    // librdkafka's names in a file.
    const librdkafka = configFile([
      "security.protocol=sasl_plaintext",
      "sasl.mechanisms=PLAIN",
      "sasl.username=rd-user",
      "sasl.password=rd-pw",
    ]);
    assert.deepEqual(resolve({ commandConfig: librdkafka }).sasl, {
      mechanism: "PLAIN",
      username: "rd-user",
      password: "rd-pw",
    });
  });

  test("without a protocol, TLS and SASL flags or variables choose it; flags that cannot apply are refused", () => {
    assert.equal(resolve({ saslMechanism: "PLAIN", saslUsername: "u", saslPassword: "p" }).protocol, "SASL_PLAINTEXT");
    assert.equal(resolve({ tlsInsecure: true }).protocol, "SSL");
    assert.equal(
      resolve({ saslMechanism: "PLAIN", saslUsername: "u" }, { SAMSA_SASL_PASSWORD: "p", SAMSA_TLS_INSECURE: "1" })
        .protocol,
      "SASL_SSL",
    );
    usageError(
      () => resolve({ securityProtocol: "PLAINTEXT", saslUsername: "u" }),
      /--sasl-username needs a SASL security protocol/,
    );
    usageError(
      () => resolve({ securityProtocol: "SASL_PLAINTEXT", tlsInsecure: true, saslMechanism: "PLAIN" }),
      /--tls-insecure needs a TLS/,
    );
    // A variable may be meant for other clusters: ignored when the protocol says otherwise.
    assert.equal(resolve({ securityProtocol: "PLAINTEXT" }, { SAMSA_SASL_USERNAME: "u" }).sasl, undefined);
    // A file with SASL settings but no protocol is PLAINTEXT, as for Kafka's clients.
    const noProtocol = configFile(["sasl.mechanism=PLAIN", "sasl.jaas.config=nonsense"]);
    assert.equal(resolve({ commandConfig: noProtocol }).protocol, "PLAINTEXT");
  });

  test("wrong values: usage errors for flags and variables, config errors for the file", () => {
    usageError(() => resolve({ securityProtocol: "TLS" }), /--security-protocol: expected one of PLAINTEXT/);
    usageError(() => resolve({}, { SAMSA_SECURITY_PROTOCOL: "TLS" }), /\$SAMSA_SECURITY_PROTOCOL: expected one of/);
    usageError(() => resolve({}, { SAMSA_TLS_INSECURE: "maybe" }), /\$SAMSA_TLS_INSECURE must be true or false/);
    configError(
      () => resolve({ commandConfig: configFile(["security.protocol=SASL_TLS"]) }),
      /security\.protocol in the command config: expected one of/,
    );
    configError(
      () => resolve({ commandConfig: configFile(["security.protocol=SASL_SSL", "sasl.mechanism=GSSAPI"]) }),
      /GSSAPI \(Kerberos\) is not supported/,
    );
    configError(
      () =>
        resolve({
          commandConfig: configFile([
            "security.protocol=SASL_SSL",
            "sasl.mechanism=OAUTHBEARER",
            "sasl.oauthbearer.token.endpoint.url=https://idp.example/token",
          ]),
        }),
      /sasl\.oauthbearer\.token\.endpoint\.url in the command config: is not supported/,
    );
    usageError(() => resolve({ securityProtocol: "SASL_PLAINTEXT" }), /needs a mechanism: --sasl-mechanism/);
    usageError(() => resolve({ saslMechanism: "PLAIN" }), /PLAIN needs a user name/);
    usageError(() => resolve({ saslMechanism: "PLAIN", saslUsername: "u" }), /needs a password: \$SAMSA_SASL_PASSWORD/);
    usageError(() => resolve({ saslMechanism: "OAUTHBEARER" }), /OAUTHBEARER needs a token: \$SAMSA_SASL_TOKEN/);
  });

  test("OAUTHBEARER: $SAMSA_SASL_TOKEN, or the unsecured token the JAAS entry describes", async () => {
    const given = resolve({ saslMechanism: "OAUTHBEARER" }, { SAMSA_SASL_TOKEN: "header.claims.sig" }).sasl;
    assert.equal(given?.mechanism, "OAUTHBEARER");
    assert.equal(given?.token, "header.claims.sig");
    assert.equal(typeof given?.authenticate, "function");
    const file = configFile([
      "security.protocol=SASL_PLAINTEXT",
      "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \\",
      '  unsecuredLoginStringClaim_sub="carol";',
    ]);
    const built = resolve({ commandConfig: file }).sasl;
    assert.equal(built?.mechanism, "OAUTHBEARER", "the mechanism follows from the login module");
    assert.equal(typeof built?.token, "function", "a fresh token for every login");
    const token = typeof built?.token === "function" ? await built.token() : "";
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as unknown;
    assert.equal(redactSecrets(`token ${token}`), "token ***");
    assert.deepEqual(claims, { iat: 1_700_000_000, exp: 1_700_003_600, sub: "carol" });
    configError(
      () => resolve({ commandConfig: file, saslMechanism: "PLAIN" }),
      /PLAIN needs PlainLoginModule or ScramLoginModule/,
    );
  });
});

// ---------------------------------------------------------------------------------------------- TLS

const openssl = opensslMissing();
describe("TLS options from PEM files", { skip: openssl ?? false }, () => {
  const certs: TestCertificates = openssl === undefined ? generateTestCertificates() : ({} as TestCertificates);
  after(() => {
    if (openssl === undefined) rmSync(certs.dir, { recursive: true, force: true });
  });
  const resolve = (flags: SecurityInputs, env: Record<string, string> = {}) =>
    resolveSecurity(flags, securityEnv(env), () => 0);
  const pem = (path: string): string => readFileSync(path, "utf8");

  test("--tls-ca, --tls-cert, --tls-key map to node:tls ca, cert and key; verification stays on", () => {
    const { protocol, tls } = resolve({ tlsCa: certs.caCert, tlsCert: certs.clientCert, tlsKey: certs.clientKey });
    assert.equal(protocol, "SSL");
    assert.equal(tls?.ca, pemBlocks(pem(certs.caCert))[0]?.text);
    assert.equal(tls?.cert, pemBlocks(pem(certs.clientCert))[0]?.text);
    assert.equal(tls?.key, pemBlocks(pem(certs.clientKey))[0]?.text);
    assert.equal(tls?.rejectUnauthorized, undefined, "Node's default: verify");
    assert.equal(tls?.checkServerIdentity, undefined, "Node's default: check the host name");
    // A PEM file holding key and certificate works for --tls-cert alone, and as Kafka's PEM key store.
    assert.equal(resolve({ tlsCert: certs.clientPem }).tls?.key, pemBlocks(pem(certs.clientKey))[0]?.text);
    const store = configFile([
      "security.protocol=SSL",
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${certs.clientPem}`,
      `ssl.truststore.location=${certs.caCert}`, // no type: read as PEM all the same
    ]);
    const fromStore = resolve({ commandConfig: store }).tls;
    assert.equal(fromStore?.cert, pemBlocks(pem(certs.clientCert))[0]?.text);
    assert.equal(fromStore?.ca, pemBlocks(pem(certs.caCert))[0]?.text);
    // The flags override the file's stores.
    const overridden = resolve({ commandConfig: store, tlsCa: certs.serverCert }).tls;
    assert.equal(overridden?.ca, pemBlocks(pem(certs.serverCert))[0]?.text);
    // Inline PEM (ssl.keystore.key, ssl.keystore.certificate.chain, ssl.truststore.certificates) and librdkafka names.
    const oneLine = (path: string): string => pem(path).trim().replaceAll("\n", "\\n\\\n");
    const inline = configFile([
      "security.protocol=SSL",
      `ssl.truststore.certificates=${oneLine(certs.caCert)}`,
      `ssl.keystore.key=${oneLine(certs.clientKey)}`,
      `ssl.keystore.certificate.chain=${oneLine(certs.clientCert)}`,
    ]);
    assert.equal(resolve({ commandConfig: inline }).tls?.cert, pemBlocks(pem(certs.clientCert))[0]?.text);
    const rd = configFile([
      "security.protocol=ssl",
      `ssl.ca.location=${certs.caCert}`,
      `ssl.certificate.location=${certs.clientCert}`,
      `ssl.key.location=${certs.clientKey}`,
    ]);
    assert.equal(resolve({ commandConfig: rd }).tls?.key, pemBlocks(pem(certs.clientKey))[0]?.text);
  });

  test("JKS and PKCS12 stores, non-PEM files, a key of another certificate: clear config errors", () => {
    const store = (lines: string[]): SecurityInputs => ({
      commandConfig: configFile(["security.protocol=SSL", ...lines]),
    });
    configError(
      () => resolve(store(["ssl.truststore.type=JKS", `ssl.truststore.location=${certs.caCert}`])),
      /ssl\.truststore\.type JKS is not supported: convert the trust store to PEM/,
    );
    configError(
      () => resolve(store(["ssl.keystore.type=PKCS12", `ssl.keystore.location=${certs.clientPem}`])),
      /ssl\.keystore\.type PKCS12 is not supported: convert the key store to PEM \(openssl pkcs12/,
    );
    const binary = writeTemp(Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
    configError(() => resolve(store([`ssl.truststore.location=${binary}`])), /not UTF-8 text|holds no PEM data/);
    const text = writeTemp("just text\n");
    configError(
      () => resolve(store([`ssl.truststore.location=${text}`])),
      /holds no PEM data \(a JKS or PKCS12 store\?\)/,
    );
    configError(() => resolve({ tlsCa: join(dir, "missing.pem") }), /cannot read --tls-ca .*missing\.pem \(ENOENT\)/);
    configError(() => resolve({ tlsCa: certs.clientKey }), /holds no PEM certificate/);
    configError(
      () => resolve({ tlsCert: certs.clientCert, tlsKey: certs.strangerKey }),
      /does not belong to the certificate/,
    );
    usageError(() => resolve({ tlsKey: certs.clientKey }), /--tls-key needs --tls-cert/);
    usageError(() => resolve({ tlsCert: certs.clientCert }), /holds no private key: add --tls-key/);
  });

  test("an encrypted key needs its passphrase ($SAMSA_TLS_KEY_PASSWORD or ssl.key.password)", () => {
    const passphrase = "key-passphrase-7c1";
    const encrypted = writeTemp(
      createPrivateKey(pem(certs.clientKey))
        .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase })
        .toString(),
    );
    const flags = { tlsCert: certs.clientCert, tlsKey: encrypted };
    configError(
      () => resolve(flags),
      /cannot be read: is it encrypted\? give its passphrase in \$SAMSA_TLS_KEY_PASSWORD/,
    );
    configError(() => resolve(flags, { SAMSA_TLS_KEY_PASSWORD: "wrong" }), /wrong passphrase/);
    assert.equal(resolve(flags, { SAMSA_TLS_KEY_PASSWORD: passphrase }).tls?.passphrase, passphrase);
    const file = configFile(["security.protocol=SSL", `ssl.key.password=${passphrase}`]);
    assert.equal(resolve({ ...flags, commandConfig: file }).tls?.passphrase, passphrase);
    assert.equal(redactSecrets(`it was ${passphrase}`), "it was ***");
  });

  test("hostname verification off with ssl.endpoint.identification.algorithm=, verification off with --tls-insecure", () => {
    const off = resolve({
      commandConfig: configFile(["security.protocol=SSL", "ssl.endpoint.identification.algorithm="]),
    });
    assert.equal(off.tls?.checkServerIdentity?.("other.example", {} as never), undefined);
    assert.equal(off.tls?.rejectUnauthorized, undefined, "the chain is still verified");
    assert.deepEqual(off.warnings, []);
    configError(
      () =>
        resolve({ commandConfig: configFile(["security.protocol=SSL", "ssl.endpoint.identification.algorithm=ldap"]) }),
      /expected https or empty/,
    );
    const insecure = resolve({ tlsInsecure: true });
    assert.equal(insecure.tls?.rejectUnauthorized, false);
    assert.equal(insecure.warnings.length, 1);
    assert.match(
      insecure.warnings[0] ?? "",
      /^warning: the broker's TLS certificate is not verified \(--tls-insecure\)/,
    );
  });
});

// ---------------------------------------------------------------------------------------------- OAUTHBEARER exchange

describe("the OAUTHBEARER exchange", () => {
  type Response = saslAuthenticateV2.SaslAuthenticateResponse;
  const response = (authBytes: string): Response => ({
    errorCode: 0,
    errorMessage: null,
    authBytes: Buffer.from(authBytes),
    sessionLifetimeMs: 0n,
  });
  /** A fake SaslAuthenticate: records what was sent, answers from a script. */
  function fakeApi(answers: ((sent: Buffer) => Promise<Response>)[]) {
    const sent: string[] = [];
    const call = (): void => {
      throw new Error("the callback form is not used");
    };
    const api = Object.assign(call, {
      key: 36,
      version: 2,
      async: (_connection: Connection, bytes: Buffer): Promise<Response> => {
        sent.push(bytes.toString("latin1"));
        const answer = answers.shift();
        if (answer === undefined) throw new Error("unexpected request");
        return answer(bytes);
      },
    });
    return { api, sent };
  }
  const authenticate = (
    extensions: Record<string, string>,
    api: ReturnType<typeof fakeApi>["api"],
  ): Promise<{ error: Error | null; response?: Response }> =>
    new Promise((resolve) => {
      oauthBearerAuthenticator(extensions)(
        "OAUTHBEARER",
        {} as Connection,
        api,
        undefined,
        undefined,
        "TOKEN",
        (error, response) => resolve({ error, ...(response === undefined ? {} : { response }) }),
      );
    });

  test("sends the initial response (RFC 7628) and succeeds on an empty answer", async () => {
    const { api, sent } = fakeApi([() => Promise.resolve(response(""))]);
    const result = await authenticate({ traceId: "abc" }, api);
    assert.equal(result.error, null);
    assert.deepEqual(sent, ["n,,\x01auth=Bearer TOKEN\x01traceId=abc\x01\x01"]);
  });

  test("answers an error challenge with %x01 and passes on the broker's failure", async () => {
    const failure = new ResponseError(36, 2, { "/": [58, "the broker's words"] }, {});
    const { api, sent } = fakeApi([
      () => Promise.resolve(response('{"status":"invalid_token"}')),
      () => Promise.reject(failure),
    ]);
    const result = await authenticate({}, api);
    assert.equal(result.error, failure);
    assert.deepEqual(sent, ["n,,\x01auth=Bearer TOKEN\x01\x01", "\x01"]);
    // A broker that accepts after an error challenge: refused all the same.
    const lenient = fakeApi([
      () => Promise.resolve(response('{"status":"invalid_token"}')),
      () => Promise.resolve(response("")),
    ]);
    const refused = await authenticate({}, lenient.api);
    assert.ok(refused.error instanceof AuthenticationRefused);
    assert.match(refused.error.message, /the broker refused the OAUTHBEARER token: \{"status":"invalid_token"\}/);
    assert.equal(describeFailure(new NetworkError("x", { cause: refused.error }), "listing").exitCode, ExitCode.denied);
  });
});

// ---------------------------------------------------------------------------------------------- failures

describe("failures: exit code 6 for refused logins and certificates, and no secret in any line", () => {
  test("SASL_AUTHENTICATION_FAILED (as the client library nests it) is exit code 6 with the broker's message", () => {
    const response = new ResponseError(36, 2, { "/": [58, "Authentication failed: Invalid username or password"] }, {});
    const error = new NetworkError("Connection to 127.0.0.1:9093 failed.", {
      cause: new AuthenticationError("SASL authentication failed.", { cause: response }),
    });
    const failure = describeFailure(error, "listing topics");
    assert.equal(failure.exitCode, ExitCode.denied);
    assert.match(
      failureLine("topic list", failure),
      /^samsa topic list: listing topics: Authentication failed: Invalid username or password \(SASL_AUTHENTICATION_FAILED\) — try: check the SASL mechanism/,
    );
    const acl = describeFailure(
      Object.assign(new Error("x"), { errors: [{ apiId: "TOPIC_AUTHORIZATION_FAILED", message: "Not authorized." }] }),
      "reading",
    );
    assert.equal(acl.exitCode, ExitCode.denied);
  });

  test("TLS verification failures are exit code 6 with a hint; an alert seen on the connection explains a close", () => {
    const untrusted = new NetworkError("Connection to 127.0.0.1:9093 failed.", {
      cause: Object.assign(new Error("self-signed certificate in certificate chain"), {
        code: "SELF_SIGNED_CERT_IN_CHAIN",
      }),
    });
    const failure = describeFailure(untrusted, "listing topics");
    assert.equal(failure.exitCode, ExitCode.denied);
    assert.match(
      failure.message,
      /TLS handshake failed: the broker's certificate is not trusted: self-signed .* \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
    assert.match(failure.hint ?? "", /--tls-ca FILE/);
    const hostname = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
    assert.match(describeFailure(hostname, "x").hint ?? "", /ssl\.endpoint\.identification\.algorithm/);
    const closed = new NetworkError("Connection closed");
    assert.equal(describeFailure(closed, "x").exitCode, ExitCode.unreachable);
    noteConnectionError(
      new NetworkError("Connection error", {
        cause: Object.assign(new Error("long openssl text"), {
          code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
          reason: "tlsv13 alert certificate required",
        }),
      }),
    );
    const explained = describeFailure(closed, "listing topics");
    assert.equal(explained.exitCode, ExitCode.denied);
    assert.match(explained.message, /the broker refused the connection: tlsv13 alert certificate required/);
  });

  test("a protocol that does not match the listener: exit code 1 with the protocol to try", () => {
    const tlsOnPlain = new NetworkError("Connection to 127.0.0.1:9092 failed.", {
      cause: Object.assign(
        new Error("Client network socket disconnected before secure TLS connection was established"),
        {
          code: "ECONNRESET",
        },
      ),
    });
    const a = describeFailure(tlsOnPlain, "listing topics");
    assert.equal(a.exitCode, ExitCode.failed);
    assert.match(a.message, /the TLS handshake did not complete .*: does the listener use TLS\?/);
    assert.match(a.hint ?? "", /--security-protocol PLAINTEXT or SASL_PLAINTEXT/);
    const plainOnTls = describeFailure(new NetworkError("x", { cause: new Error("Broker requires TLS.") }), "listing");
    assert.equal(plainOnTls.exitCode, ExitCode.failed);
    assert.match(plainOnTls.hint ?? "", /--security-protocol SSL or SASL_SSL/);
    const saslOnPlain = describeFailure(
      Object.assign(new Error("x"), { errors: [{ apiId: "ILLEGAL_SASL_STATE", message: "Illegal state." }] }),
      "listing",
    );
    assert.equal(saslOnPlain.exitCode, ExitCode.failed);
    assert.match(saslOnPlain.hint ?? "", /does the listener use SASL\?/);
  });

  test("remembered secrets never appear in a failure line", () => {
    rememberSecret("hunter2-secret");
    rememberSecret("hunter2");
    const line = failureLine("produce", describeFailure(new Error("bad password hunter2-secret, or hunter2"), "x"));
    assert.equal(line, "samsa produce: x: bad password ***, or ***");
    rememberSecret("");
    assert.equal(redactSecrets("nothing to hide"), "nothing to hide");
    // A very short secret is masked where it stands alone, not inside every word that holds it.
    rememberSecret("p");
    assert.equal(redactSecrets("samsa produce: the password was p, (p)"), "samsa produce: the password was ***, (***)");
  });

  test("the client variables are listed for `samsa start` to leave alone", () => {
    for (const name of ["SAMSA_BROKERS", "SAMSA_COMMAND_CONFIG", "SAMSA_SASL_PASSWORD", "SAMSA_TLS_INSECURE"])
      assert.ok(clientEnvironmentVariables.includes(name), name);
  });
});

// ---------------------------------------------------------------------------------------------- the command

describe("the samsa command", () => {
  const run = (
    args: readonly string[],
    env: Record<string, string> = {},
  ): { status: number; stdout: string; stderr: string } => {
    try {
      const stdout = execFileSync(process.execPath, [bin, ...args], {
        encoding: "utf8",
        stdio: "pipe",
        env: { ...process.env, SAMSA_BROKERS: "127.0.0.1:1", ...env },
      });
      return { status: 0, stdout, stderr: "" };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { status: e.status, stdout: e.stdout, stderr: e.stderr };
    }
  };

  test("--help lists the security options; no secret from the environment shows", () => {
    const help = run(["topic", "list", "--help"], { SAMSA_SASL_PASSWORD: "env-secret-1" });
    assert.equal(help.status, 0);
    for (const option of [
      "--command-config FILE",
      "--security-protocol",
      "--sasl-mechanism",
      "--sasl-password",
      "--tls-ca",
      "--tls-insecure",
    ])
      assert.ok(help.stdout.includes(option), option);
    assert.ok(!help.stdout.includes("env-secret-1"));
  });

  test("a broken client config exits 5 with one line that does not show the password", () => {
    const secret = "file-secret-42";
    const config = configFile([
      "security.protocol=SASL_SSL",
      "sasl.mechanism=PLAIN",
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${secret};`,
    ]);
    const result = run(["topic", "list", "--command-config", config]);
    assert.equal(result.status, ExitCode.badInput);
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.match(
      result.stderr,
      /^samsa topic list: sasl\.jaas\.config: the quoted value of option password is not closed/,
    );
    assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret));
  });

  test("a flag that contradicts the protocol is a usage error (exit 2)", () => {
    const result = run(["topic", "list", "--security-protocol", "PLAINTEXT", "--tls-ca", "ca.pem"]);
    assert.equal(result.status, ExitCode.usage);
    assert.match(result.stderr, /--tls-ca needs a TLS security protocol/);
  });
});
