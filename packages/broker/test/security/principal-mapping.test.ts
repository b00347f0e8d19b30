// ssl.principal.mapping.rules: Kafka's documented examples, the case flags, what happens when no
// rule applies, how the list is split and read (commas inside patterns, escaped slashes,
// whitespace, Kafka's rewriting of `$n` naming no group), the refusals (bad rules, bad Java regexes,
// constructs Samsa cannot run exactly), Java's regex semantics where JavaScript's differ, the DN
// bound, the DN itself (Java's RFC 2253 form of the certificate subject), per-listener settings,
// and an in-process broker mapping real client certificates. The same answers as Kafka's own code
// are checked in principal-mapping-kafka.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import type { TLSSocket } from "node:tls";
import fc from "fast-check";
import { ApiKey, decodeResponseFrame, encodeRequestFrame, FrameSplitter } from "@samsa/protocol";
import { generateTestCertificates, opensslMissing, waitFor } from "@samsa/testkit";
import type { TestCertificates } from "@samsa/testkit";
import { ConfigError, createLogger, resolveBrokerConfig, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";
import {
  certificateDistinguishedName,
  DistinguishedNameError,
  nameToDistinguishedName,
} from "../../src/security/distinguished-name.ts";
import { compileJavaRegex, JavaRegexError } from "../../src/security/java-regex.ts";
import {
  distinguishedNameCharsMax,
  parsePrincipalMappingRules,
  PrincipalMappingRulesError,
} from "../../src/security/principal-mapping.ts";

/** The principal name the rules give a DN, or undefined when no rule applies. */
function mapped(rules: string, dn: string): string | undefined {
  const result = parsePrincipalMappingRules(rules).map(dn);
  return result.ok ? result.name : undefined;
}

function refusedRules(rules: string, message: RegExp): void {
  assert.throws(
    () => parsePrincipalMappingRules(rules),
    (error: unknown) => {
      assert.ok(error instanceof PrincipalMappingRulesError, String(error));
      assert.match(error.message, message);
      return true;
    },
  );
}

const kafkaDocsRules =
  "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/," +
  "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L," +
  "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L," +
  "DEFAULT";

describe("ssl.principal.mapping.rules", () => {
  test("Kafka's documented examples", () => {
    assert.equal(
      mapped(kafkaDocsRules, "CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown"),
      "serviceuser",
    );
    assert.equal(
      mapped(kafkaDocsRules, "CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown"),
      "adminuser@admin",
    );
    assert.equal(mapped(kafkaDocsRules, "CN=Duke,OU=JavaSoft,O=Sun Microsystems"), "duke");
    assert.equal(mapped(kafkaDocsRules, "cN=Duke.Two,OU=x"), "duke.two");
    // No RULE matches: DEFAULT keeps the DN as it is.
    assert.equal(mapped(kafkaDocsRules, "OU=JavaSoft,O=Sun Microsystems,C=US"), "OU=JavaSoft,O=Sun Microsystems,C=US");
    assert.equal(mapped("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/U, DEFAULT", "CN=svc,OU=ServiceUsers,O=x"), "SVC");
    assert.equal(mapped("DEFAULT", "CN=alice,OU=eng,O=Samsa,C=US"), "CN=alice,OU=eng,O=Samsa,C=US");
  });

  test("the case flags: L lower-cases, U upper-cases, none keeps the case", () => {
    const dn = "CN=Alice.Smith,O=Example";
    assert.equal(mapped("RULE:^CN=([^,]+).*$/$1/", dn), "Alice.Smith");
    assert.equal(mapped("RULE:^CN=([^,]+).*$/$1/L", dn), "alice.smith");
    assert.equal(mapped("RULE:^CN=([^,]+).*$/$1/U", dn), "ALICE.SMITH");
    assert.equal(mapped("RULE:^CN=([^,]+).*$/Ünïcödé-$1/U", dn), "ÜNÏCÖDÉ-ALICE.SMITH");
  });

  test("rules apply in order; the first whose pattern matches the whole DN wins; none: no principal", () => {
    const rules = "RULE:^CN=([^,]*),OU=eng.*$/eng-$1/,RULE:^CN=([^,]*).*$/other-$1/";
    assert.equal(mapped(rules, "CN=alice,OU=eng,O=x"), "eng-alice");
    assert.equal(mapped(rules, "CN=bob,OU=ops,O=x"), "other-bob");
    // The pattern must match the whole DN, not a part of it.
    assert.equal(mapped("RULE:CN=alice/x/", "CN=alice,O=x"), undefined);
    assert.equal(mapped("RULE:CN=alice.*/x/", "CN=alice,O=x"), "x");
    const none = parsePrincipalMappingRules("RULE:^CN=([^,]*),OU=nobody.*$/$1/").map("CN=alice,OU=eng");
    assert.equal(none.ok, false);
    assert.match(none.ok ? "" : none.reason, /no ssl\.principal\.mapping\.rules rule applies to "CN=alice,OU=eng"/);
    // An empty list has no rule at all, as in Kafka: every certificate is refused.
    assert.equal(parsePrincipalMappingRules("").rules.length, 0);
    assert.equal(mapped("", "CN=alice"), undefined);
  });

  test("the replacement works on every match, as Java's replaceAll does", () => {
    assert.equal(mapped("RULE:.*/x/", "CN=a"), "xx"); // the whole DN, then the empty match at its end
    assert.equal(mapped("RULE:a|CN.*/<$0>/", "CN=a"), "<CN=a>");
    // Whole-DN match first (backtracking as needed); replaceAll then takes the lazy matches one by one.
    assert.equal(mapped("RULE:[A-Z]+=[a-z]+?(?:,[A-Z]+=[a-z]+?)*?/<$0>/", "CN=ab,O=c"), "<CN=a>b,<O=c>");
  });

  test("how the list is split: commas inside patterns, escaped slashes, whitespace, empty items", () => {
    assert.equal(mapped("RULE:^CN=([^,]+),O=(.*)$/$2\\/$1/", "CN=alice,O=acme"), "acme/alice");
    // An unescaped slash ends the pattern, even inside a class.
    refusedRules("RULE:^CN=([^,/]+).*$/$1/", /invalid rule/);
    assert.equal(mapped("RULE:^CN=a\\/b,(.*)$/$1/", "CN=a/b,O=x"), "O=x");
    assert.equal(mapped("   RULE:^CN=([^,]+),.*$/$1/L  ,   DEFAULT   ", "CN=Bob,O=x"), "bob");
    assert.equal(mapped(" , ,RULE:^CN=([^,]+).*$/$1/,,", "CN=bob"), "bob");
    assert.equal(parsePrincipalMappingRules("DEFAULT,,DEFAULT").rules.length, 2);
    // A comma in the replacement stays there.
    assert.equal(mapped("RULE:^CN=([^,]+),O=([^,]+)$/$1,$2/", "CN=a,O=b"), "a,b");
    // Kafka splits on a line break only where it ends a rule; here the first rule is lost, as in Kafka.
    assert.equal(parsePrincipalMappingRules("RULE:x/y/\nDEFAULT").rules.length, 1);
  });

  test("group references: $n, ${name}, \\$, digits beyond the group count, Kafka's literal $n", () => {
    const dn = "CN=alice,O=acme";
    const two = "RULE:^CN=([^,]+),O=(.+)$";
    assert.equal(mapped(`${two}/$2:$1/`, dn), "acme:alice");
    assert.equal(mapped(`${two}/$12/`, dn), "alice2"); // $1 then 2: there is no group 12
    assert.equal(mapped(`${two}/$0/`, dn), dn);
    assert.equal(mapped(`${two}/\\$1/`, dn), "$1");
    // Kafka turns a $n naming no group into a literal (for $3, and for $31: 31 → 3 → literal).
    assert.equal(mapped(`${two}/$1$3/`, dn), "alice$3");
    assert.equal(mapped(`${two}/$31/`, dn), "$31");
    assert.equal(mapped("RULE:^CN=(?<user>[^,]+).*$/${user}!/", dn), "alice!");
  });

  test("refused at startup, naming the rule: what Kafka refuses", () => {
    refusedRules("DEFAULTX", /invalid rule `DEFAULTX`, unmatched substring: `X`/);
    refusedRules("RULE:a", /invalid rule `RULE:a`, unmatched substring: `RULE:a`/);
    refusedRules("RULE:a/b", /invalid rule `RULE:a\/b`/);
    refusedRules("RULE:a/b/l", /unmatched substring: `l`/);
    refusedRules("RULE:a/b/LU", /unmatched substring: `U`/);
    refusedRules("RULE:a/b/ L", /unmatched substring: ` L`/);
    refusedRules("DEFAULT,junk", /invalid rule `junk`/);
    refusedRules(
      "RULE:^CN=(.*$/$1/",
      /rule `RULE:\^CN=\(\.\*\$\/\$1\/`: the pattern is not a valid Java regex: Unclosed group/,
    );
    refusedRules("RULE:[z-a]/x/", /Illegal character range/);
    refusedRules("RULE:a**/x/", /Dangling meta character '\*'/);
    refusedRules("RULE:\\y/x/", /Illegal\/unsupported escape sequence/);
    refusedRules("RULE:a{2,1}/x/", /Illegal repetition range/);
    refusedRules("RULE:(?<1a>x)/x/", /capturing group name does not start with a Latin letter/);
    refusedRules("RULE:(?<=(?:ab)*)x/x/", /look-behind needs an obvious maximum length/);
  });

  test("refused at startup: replacements Kafka accepts but fails on for every DN the rule matches", () => {
    refusedRules("RULE:^CN=alice.*$/$1/", /the replacement fails: No group 1/);
    refusedRules("RULE:^CN=(.*)$/${nobody}/", /No group with name \{nobody\}/);
    refusedRules("RULE:^CN=(.*)$/$/", /group index is missing/);
    refusedRules("RULE:^CN=(.*)$/$x/", /Illegal group reference/);
    // Kafka's rewriting inserts the second backslash at the wrong place: $6 stays a reference.
    refusedRules("RULE:^CN=(.*)$/$5x$6/", /No group 6/);
  });

  test("refused at startup: valid Java that Samsa cannot run with the same meaning", () => {
    refusedRules("RULE:^CN=([a-z]++).*$/$1/", /possessive quantifiers/);
    refusedRules("RULE:^(?>CN)=.*$/x/", /atomic groups/);
    refusedRules("RULE:^CN=(a)\\1.*$/x/", /back references/);
    refusedRules("RULE:^CN=(?<n>a)\\k<n>.*$/x/", /back references/);
    refusedRules("RULE:(?x)a b/x/", /inline flag \(\?x\)/);
    refusedRules("RULE:(?u)a/x/", /inline flag \(\?u\)/);
    refusedRules("RULE:[a-z&&[^b]]/x/", /class intersections/);
    refusedRules("RULE:\\p{InGreek}/x/", /Unicode blocks/);
    refusedRules("RULE:\\p{javaLowerCase}/x/", /not supported/);
    refusedRules("RULE:\\G.*/x/", /\\G is not supported/);
    refusedRules("RULE:(a?)*/x/", /optional repetition of something that can match the empty string/);
    refusedRules("RULE:(?:(a)|b)+/$1/", /capturing group inside a repetition must take part in every repetition/);
    refusedRules("RULE:(?=(a))a/$1/", /capturing groups inside look-arounds/);
  });

  test("Java's regex semantics where JavaScript's differ", () => {
    const matches = (pattern: string, input: string): boolean => compileJavaRegex(pattern).whole.test(input);
    // `.` stops at every Java line terminator, including U+0085.
    assert.equal(matches("a.b", "a\u0085b"), false);
    assert.equal(matches("(?s)a.b", "a\u0085b"), true);
    // `$` also matches before a line terminator that ends the input.
    assert.equal(matches("a$\\n", "a\n"), true);
    assert.equal(matches("a$\\r\\n", "a\r\n"), true);
    assert.equal(matches("a\\z\\n", "a\n"), false);
    // \s and POSIX classes are ASCII; (?i) folds ASCII letters only.
    assert.equal(matches("a\\sb", "a\u00a0b"), false);
    assert.equal(matches("a\\hb", "a\u00a0b"), true);
    assert.equal(matches("\\p{Alpha}", "é"), false);
    assert.equal(matches("\\p{L}", "é"), true);
    assert.equal(matches("(?i)cn=x", "CN=X"), true);
    assert.equal(matches("(?i)é", "É"), false);
    assert.equal(matches("(?i)[a-c]", "B"), true);
    assert.equal(matches("(?i)k", "\u212a"), false); // the Kelvin sign folds to k in JavaScript's Unicode mode
    assert.equal(matches("(?i)\\p{Lower}", "A"), true);
    assert.equal(matches("a(?i)b|c", "C"), true); // (?i) holds for the rest of the group, later alternatives too
    assert.equal(matches("a|(?i)b|c", "A"), false);
    // Quoting, octal, hex, control and paired surrogate escapes; ] and } as literals.
    assert.equal(matches("\\Qa.b\\E", "a.b"), true);
    assert.equal(matches("\\Qa.b\\E", "axb"), false);
    assert.equal(matches("\\0101\\x42\\u0043\\x{44}\\cJ", "ABCD\n"), true);
    assert.equal(matches("\\uD83D\\uDE00", "😀"), true);
    assert.equal(matches("[]a]+}", "]a]}"), true);
    // Nested classes are unions; ^ negates the whole class.
    assert.equal(matches("[^a[^b]]", "b"), true);
    assert.equal(matches("[^a[^b]]", "c"), false);
    // \b (Java 19+): ASCII word characters.
    assert.equal(matches("a\\bé", "aé"), true);
    assert.equal(matches("CN=\\w+\\b.*", "CN=bob,O=x"), true);
  });

  test("a DN longer than the bound is not matched against RULEs; DEFAULT still takes it", () => {
    const long = `CN=${"x".repeat(distinguishedNameCharsMax)}`;
    const refused = parsePrincipalMappingRules("RULE:^CN=(.*)$/$1/").map(long);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? "" : refused.reason, /longer than 4096 characters/);
    assert.equal(mapped("DEFAULT,RULE:^CN=(.*)$/$1/", long), long);
  });

  test("property: parsing any text either gives rules or throws PrincipalMappingRulesError", () => {
    const token = fc.constantFrom(
      "RULE:", "DEFAULT", "/", "\\", ",", " ", "\n", "L", "U", "$1", "${n}", "(", ")", "[", "]", "{2}", "*", "+", "?",
      "(?<n>", "(?i)", "(?<=", "\\p{L}", "\\Q", "\\E", "^", "$", ".", "a", "CN=", "|", "&&", "\\u", "\\x{", "-",
    ); // prettier-ignore
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(token, { maxLength: 24 }).map((t) => t.join("")),
    );
    fc.assert(
      fc.property(text, fc.string({ maxLength: 30 }), (rules, dn) => {
        let mapper;
        try {
          mapper = parsePrincipalMappingRules(rules);
        } catch (error) {
          assert.ok(error instanceof PrincipalMappingRulesError, `${String(error)} for ${JSON.stringify(rules)}`);
          return;
        }
        // Mapping never throws either: a name or a reason.
        const result = mapper.map(dn);
        assert.equal(typeof (result.ok ? result.name : result.reason), "string");
      }),
      { numRuns: 3000 },
    );
  });

  test("property: compiling any pattern either succeeds or throws JavaRegexError", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (pattern) => {
        try {
          compileJavaRegex(pattern);
        } catch (error) {
          assert.ok(error instanceof JavaRegexError, `${String(error)} for ${JSON.stringify(pattern)}`);
        }
      }),
      { numRuns: 3000 },
    );
    // Deep nesting is bounded rather than exhausting the stack.
    assert.throws(() => compileJavaRegex("(".repeat(5000) + ")".repeat(5000)), JavaRegexError);
    assert.throws(() => compileJavaRegex("[".repeat(5000)), JavaRegexError);
  });
});

describe("the DN the rules see: the certificate subject as Java's X500Principal names it", () => {
  const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag, content.length]), content]);
  const ava = (oid: number[], tag: number, value: Buffer): Buffer =>
    tlv(0x30, Buffer.concat([tlv(0x06, Buffer.from(oid)), tlv(tag, value)]));
  const cn = [0x55, 0x04, 0x03];
  const ou = [0x55, 0x04, 0x0b];
  const email = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
  const name = (...rdns: Buffer[][]): Buffer =>
    tlv(0x30, Buffer.concat(rdns.map((avas) => tlv(0x31, Buffer.concat(avas)))));

  test("RDNs last first; a multi-valued RDN joined by +; RFC 2253 escaping as Java does it", () => {
    const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");
    assert.equal(
      nameToDistinguishedName(
        name([ava(ou, 0x0c, utf8("eng"))], [ava(cn, 0x0c, utf8("bob")), ava(cn, 0x13, utf8("x"))]),
      ),
      "CN=bob+CN=x,OU=eng",
    );
    // , = + < > # ; " \ are escaped anywhere, NUL as \00, spaces (and CR) at either end.
    assert.equal(
      nameToDistinguishedName(name([ava(cn, 0x0c, utf8(' a,b=c+d<e>f#g;h"i\\j\0k é '))])),
      'CN=\\ a\\,b\\=c\\+d\\<e\\>f\\#g\\;h\\"i\\\\j\\00k é\\ ',
    );
    // A type without an RFC 2253 keyword, or a value that is not a string: OID / #hex of the value's DER.
    assert.equal(nameToDistinguishedName(name([ava(email, 0x16, utf8("a@b"))])), "1.2.840.113549.1.9.1=#1603614062");
    assert.equal(nameToDistinguishedName(name([ava(cn, 0x04, Buffer.from([1, 2]))])), "CN=#04020102");
    // BMPString is UTF-16; the 8-bit string types are ISO-8859-1.
    assert.equal(nameToDistinguishedName(name([ava(cn, 0x1e, Buffer.from("中é", "utf16le").swap16())])), "CN=中é");
    assert.equal(nameToDistinguishedName(name([ava(cn, 0x14, Buffer.from([0x61, 0xe9]))])), "CN=aé");
    assert.equal(nameToDistinguishedName(name()), "");
  });

  test("malformed DER is a DistinguishedNameError", () => {
    for (const bytes of [
      [],
      [0x30],
      [0x30, 0x05, 0x31],
      [0x31, 0x00],
      [0x30, 0x02, 0x31, 0x00],
      [0x30, 0x84, 1, 0, 0, 0],
    ]) {
      assert.throws(() => nameToDistinguishedName(Buffer.from(bytes)), DistinguishedNameError);
    }
    assert.throws(() => certificateDistinguishedName(Buffer.from([0x30, 0x00])), DistinguishedNameError);
  });

  test(
    "a certificate made by openssl (multi-valued RDN, emailAddress, title): Java's DN",
    { skip: opensslMissing() ?? false },
    () => {
      const dir = mkdtempSync(join(tmpdir(), "samsa-dn-"));
      try {
        execFileSync(
          "openssl",
          [
          "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
          "-subj", "/C=US/ST=CA/L=Palo Alto/O=Acme, Inc./OU=eng/CN=bob+UID=7/emailAddress=bob@example.com/title=boss",
          "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"),
        ], // prettier-ignore
          { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 },
        );
        const certificate = new X509Certificate(readFileSync(join(dir, "c.pem")));
        // What X500Principal.getName() gives for this certificate (checked with Java 17 and 25).
        assert.equal(
          certificateDistinguishedName(certificate.raw),
          "2.5.4.12=#0c04626f7373,1.2.840.113549.1.9.1=#160f626f62406578616d706c652e636f6d,CN=bob+UID=7,OU=eng," +
            "O=Acme\\, Inc.,L=Palo Alto,ST=CA,C=US",
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("ssl.principal.mapping.rules in the listener settings", () => {
  const tls = {
    "ssl.keystore.type": "PEM",
    "ssl.keystore.key": "k",
    "ssl.keystore.certificate.chain": "c",
  };

  test("broker-wide, overridden per listener; read on SSL listeners only", () => {
    const config = resolveBrokerConfig({
      listeners: "ONE://127.0.0.1:9093,TWO://127.0.0.1:9094,SASL_SSL://127.0.0.1:9095",
      "listener.security.protocol.map": "ONE:SSL,TWO:SSL,SASL_SSL:SASL_SSL",
      ...tls,
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.sasl_ssl.plain.sasl.jaas.config":
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";',
      "ssl.principal.mapping.rules": "RULE:^CN=([^,]+).*$/$1/",
      "listener.name.two.ssl.principal.mapping.rules": "RULE:^CN=([^,]+).*$/$1/U",
    });
    const byName = new Map(config.listeners.map((l) => [l.name, l]));
    assert.deepEqual(byName.get("ONE")?.tls?.principalMapper?.map("CN=ann,O=x"), { ok: true, name: "ann" });
    assert.deepEqual(byName.get("TWO")?.tls?.principalMapper?.map("CN=ann,O=x"), { ok: true, name: "ANN" });
    // SASL_SSL: the principal comes from the SASL login; Kafka does not read the rules there.
    assert.equal(byName.get("SASL_SSL")?.tls?.principalMapper, undefined);
  });

  test("a bad rule fails startup with an error naming the setting", () => {
    for (const [setting, settings] of [
      ["ssl.principal.mapping.rules", { "ssl.principal.mapping.rules": "RULE:(/x/" }],
      ["listener.name.ssl.ssl.principal.mapping.rules", { "listener.name.ssl.ssl.principal.mapping.rules": "NOPE" }],
    ] as const) {
      assert.throws(
        () => resolveBrokerConfig({ listeners: "SSL://127.0.0.1:9093", ...tls, ...settings }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.equal(error.setting, setting);
          return true;
        },
      );
    }
    // Kafka only reads the rules for SSL listeners: elsewhere a bad value does not matter.
    resolveBrokerConfig({ listeners: "PLAINTEXT://127.0.0.1:9092", "ssl.principal.mapping.rules": "NOPE" });
  });
});

const skipTls = opensslMissing();

describe("a broker maps client certificates with the rules", { skip: skipTls ?? false }, () => {
  let certs: TestCertificates;
  let broker: RunningBroker;
  const logLines: string[] = [];

  before(async () => {
    certs = generateTestCertificates();
    broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: createLogger({ level: "debug", sink: (line) => logLines.push(line) }),
      settings: {
        listeners: "PLAINTEXT://127.0.0.1:0,MAPPED://127.0.0.1:0,UNMAPPED://127.0.0.1:0",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,MAPPED:SSL,UNMAPPED:SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": certs.serverPem,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": certs.caCert,
        "ssl.client.auth": "required",
        "ssl.principal.mapping.rules": "RULE:^CN=([a-z]+),OU=([a-z]+),.*$/$1@$2/U,DEFAULT",
        "listener.name.unmapped.ssl.principal.mapping.rules": "RULE:^CN=nobody,.*$/nobody/",
      },
    });
  });

  after(async () => {
    await broker.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  function tlsConnect(address: string): Promise<TLSSocket> {
    const at = address.lastIndexOf(":");
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: address.slice(0, at),
        port: Number(address.slice(at + 1)),
        ca: readFileSync(certs.caCert),
        servername: "localhost",
        key: readFileSync(certs.clientKey),
        cert: readFileSync(certs.clientCert),
      });
      socket.once("secureConnect", () => resolve(socket));
      socket.once("error", reject);
    });
  }

  /** ApiVersions over TLS: the number of APIs answered, or "closed" when the broker closes the connection instead. */
  function apiVersions(socket: TLSSocket): Promise<number | "closed"> {
    return new Promise((resolve, reject) => {
      const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
      socket.on("data", (chunk: Buffer) => {
        for (const frame of splitter.push(chunk)) {
          resolve(decodeResponseFrame(ApiKey.ApiVersions, 3, frame).body.apiKeys.length);
        }
      });
      socket.once("close", () => resolve("closed"));
      socket.once("error", (error) => (socket.destroyed ? resolve("closed") : reject(error)));
      socket.write(
        encodeRequestFrame({
          apiKey: ApiKey.ApiVersions,
          apiVersion: 3,
          correlationId: 1,
          clientId: "mapping-test",
          body: { clientSoftwareName: "t", clientSoftwareVersion: "1" },
        }),
      );
    });
  }

  test("a certificate a rule maps has the rule's principal", async () => {
    const socket = await tlsConnect(broker.listeners.get("MAPPED") ?? "");
    const answered = await apiVersions(socket);
    socket.destroy();
    assert.ok(typeof answered === "number" && answered > 10);
    const line = await waitFor(() => logLines.find((l) => l.includes("TLS client authenticated")), {
      timeoutMs: 3000,
      what: "the TLS principal log line",
    });
    assert.match(line, /"principal":"User:ALICE@ENG"/);
  });

  test("no rule applies: the handshake completes, then the first request closes the connection unanswered", async () => {
    const socket = await tlsConnect(broker.listeners.get("UNMAPPED") ?? "");
    assert.equal(await apiVersions(socket), "closed");
    const line = await waitFor(() => logLines.find((l) => l.includes("client certificate not mapped")), {
      timeoutMs: 3000,
      what: "the refusal log line",
    });
    assert.ok(
      line.includes(`no ssl.principal.mapping.rules rule applies to \\"${certs.clientDistinguishedName}\\"`),
      line,
    );
  });
});
