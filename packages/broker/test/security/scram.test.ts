// SCRAM-SHA-256/512 on the broker side: the RFC 7677 test vector, round trips through the
// client half, and every way an exchange must fail (wrong password, replayed or altered nonce,
// channel binding, unknown user, malformed messages).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  credentialFromPassword,
  decodeSaslName,
  ScramClient,
  ScramError,
  scramMechanismByName,
  ScramServer,
} from "../../src/security/scram.ts";
import type { ScramCredential, ScramMechanism } from "../../src/security/scram.ts";

const sha256 = scramMechanismByName("SCRAM-SHA-256") as ScramMechanism;
const sha512 = scramMechanismByName("SCRAM-SHA-512") as ScramMechanism;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("SCRAM", () => {
  test("RFC 7677 test vector (SCRAM-SHA-256, user/pencil)", () => {
    const salt = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
    const credential = credentialFromPassword(sha256, "pencil", salt, 4096);
    const server = new ScramServer({
      mechanism: sha256,
      lookup: (user) => (user === "user" ? credential : undefined),
      serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    });
    const serverFirst = text(server.evaluate(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
    assert.equal(serverFirst, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    const serverFinal = text(
      server.evaluate(
        bytes(
          "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        ),
      ),
    );
    assert.equal(serverFinal, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    assert.equal(server.complete, true);
    assert.equal(server.user, "user");
  });

  test("the client half reproduces the RFC 7677 client proof", () => {
    const client = new ScramClient({
      mechanism: sha256,
      user: "user",
      password: "pencil",
      clientNonce: "rOprNGfwEbeRWgbNEkqO",
    });
    assert.equal(client.first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const final = client.final(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    );
    assert.equal(
      final,
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    assert.equal(client.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), true);
    assert.equal(client.verify("v=AAAA"), false);
  });

  function exchange(options: { mechanism: ScramMechanism; stored: ScramCredential; user: string; password: string }): {
    ok: boolean;
    serverVerified: boolean;
  } {
    const server = new ScramServer({ mechanism: options.mechanism, lookup: () => options.stored });
    const client = new ScramClient({ mechanism: options.mechanism, user: options.user, password: options.password });
    const serverFirst = text(server.evaluate(bytes(client.first())));
    try {
      const serverFinal = text(server.evaluate(bytes(client.final(serverFirst))));
      return { ok: server.complete, serverVerified: client.verify(serverFinal) };
    } catch (error) {
      assert.ok(error instanceof ScramError);
      return { ok: false, serverVerified: false };
    }
  }

  for (const mechanism of [sha256, sha512]) {
    test(`${mechanism.name}: the right password logs in, any other fails (property)`, () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 1 }),
          fc.string({ minLength: 1 }),
          fc.uint8Array({ minLength: 8, maxLength: 32 }),
          (password, other, salt) => {
            const stored = credentialFromPassword(mechanism, password, salt, 4096);
            assert.deepEqual(exchange({ mechanism, stored, user: "u", password }), { ok: true, serverVerified: true });
            if (other.normalize("NFKC") !== password.normalize("NFKC")) {
              assert.equal(exchange({ mechanism, stored, user: "u", password: other }).ok, false);
            }
          },
        ),
        { numRuns: 15, seed: 7 },
      );
    });
  }

  test("a client-final replayed from another exchange fails (the server nonce differs)", () => {
    const stored = credentialFromPassword(sha256, "secret", Buffer.from("salt-salt"), 4096);
    const first = new ScramServer({ mechanism: sha256, lookup: () => stored });
    const client = new ScramClient({ mechanism: sha256, user: "alice", password: "secret", clientNonce: "fixed" });
    const clientFinal = client.final(text(first.evaluate(bytes(client.first()))));
    first.evaluate(bytes(clientFinal));
    assert.equal(first.complete, true);
    const second = new ScramServer({ mechanism: sha256, lookup: () => stored });
    second.evaluate(bytes(client.first()));
    assert.throws(() => second.evaluate(bytes(clientFinal)), /nonce mismatch/);
    assert.equal(second.complete, false);
    // The client nonce repeated in front of the combined one (librdkafka 2.0 does this) is refused.
    const third = new ScramServer({ mechanism: sha256, lookup: () => stored });
    const serverFirst = text(third.evaluate(bytes(client.first())));
    const combined = /r=([^,]+)/.exec(serverFirst)?.[1] ?? "";
    const doubled = client.final(serverFirst).replace(`r=${combined}`, `r=fixed${combined}`);
    assert.throws(() => third.evaluate(bytes(doubled)), /nonce mismatch/);
    // An exchange that ended accepts nothing more.
    assert.throws(() => first.evaluate(bytes(clientFinal)), ScramError);
  });

  test("malformed and hostile messages fail with ScramError", () => {
    const stored = credentialFromPassword(sha256, "secret", Buffer.from("salt"), 4096);
    const fresh = (): ScramServer =>
      new ScramServer({ mechanism: sha256, lookup: (u) => (u === "alice" ? stored : undefined) });
    for (const first of [
      "",
      "garbage",
      "p=tls-unique,,n=alice,r=x",
      "n,,n=,r=abc",
      "n,,n=alice",
      "n,,n=bob,r=abc",
      "n,a=mallory,n=alice,r=abc",
      "n,,n=al=41ice,r=abc",
    ]) {
      assert.throws(() => fresh().evaluate(bytes(first)), ScramError, first);
    }
    const server = fresh();
    const serverFirst = text(server.evaluate(bytes("n,,n=alice,r=abc")));
    const nonce = /r=([^,]+)/.exec(serverFirst)?.[1] ?? "";
    assert.throws(() => server.evaluate(bytes(`c=eSws,r=${nonce},p=AAAA`)), /channel binding/);
    const other = fresh();
    other.evaluate(bytes("n,,n=alice,r=abc"));
    assert.throws(() => other.evaluate(bytes(`c=biws,r=${nonce}`)), ScramError);
  });

  test("saslname decoding", () => {
    assert.equal(decodeSaslName("a=2Cb=3Dc"), "a,b=c");
    assert.throws(() => decodeSaslName("a=2"), ScramError);
  });
});
