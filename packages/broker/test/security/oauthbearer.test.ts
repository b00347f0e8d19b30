// SASL/OAUTHBEARER pieces on their own: the client's first message (RFC 7628: valid forms,
// extensions, every malformed shape, hostile sizes, and a fast-check property that random bytes
// only ever fail with the typed error), Kafka's unsecured JWS validator (exp, clock skew, iat,
// scope as string or list, the principal claim option, alg and signature, bounds on size and
// nesting) and the server exchange (RFC 7628's error challenge, then the client's ^A; retries;
// authorization ids; validators that throw or hang).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeClientFirst,
  errorChallenge,
  OAuthBearerError,
  OAuthBearerServer,
  OAuthBearerValidationError,
  parseClientFirst,
} from "../../src/security/oauthbearer.ts";
import type { OAuthBearerValidator } from "../../src/security/oauthbearer.ts";
import {
  checkUnsecuredJws,
  parseUnsecuredJws,
  unsecuredJsonDepthMax,
  unsecuredJwsValidator,
  unsecuredTokenCharsMax,
  unsecuredValidatorOptions,
  UnsecuredValidatorOptionError,
} from "../../src/security/unsecured-jws.ts";

const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");
const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const jws = (claims: unknown, header: unknown = { alg: "none" }): string => `${b64(header)}.${b64(claims)}.`;
const nowMs = 1_800_000_000_000;
const nowS = nowMs / 1000;
const defaults = unsecuredValidatorOptions(new Map());
const names = { principalClaimName: "sub", scopeClaimName: "scope" };

/** The validation error a token gets, or undefined when it passes. */
function refusal(token: string, options = defaults, at = nowMs): OAuthBearerValidationError | undefined {
  try {
    checkUnsecuredJws(parseUnsecuredJws(token, options), options, at);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof OAuthBearerValidationError, String(error));
    return error;
  }
}

describe("OAUTHBEARER client first message", () => {
  test("token, authorization id and extensions", () => {
    assert.deepEqual(parseClientFirst(bytes("n,,\x01auth=Bearer abc.def.\x01\x01")), {
      token: "abc.def.",
      authorizationId: "",
      extensions: new Map(),
    });
    const full = parseClientFirst(bytes("n,a=alice,\x01auth=bearer  a-b_c~d+e/f=\x01traceId=x=y z\x01other=1\x01\x01"));
    assert.equal(full.token, "a-b_c~d+e/f=");
    assert.equal(full.authorizationId, "alice");
    assert.deepEqual(
      [...full.extensions],
      [
        ["traceId", "x=y z"],
        ["other", "1"],
      ],
    );
    // The last of repeated keys wins, auth included.
    const repeated = parseClientFirst(bytes("n,,\x01auth=Bearer one\x01k=1\x01auth=Bearer two\x01k=2\x01\x01"));
    assert.equal(repeated.token, "two");
    assert.deepEqual([...repeated.extensions], [["k", "2"]]);
    // The encoder writes what the parser reads.
    const encoded = encodeClientFirst({ token: "t.u.", authorizationId: "bob", extensions: new Map([["a", "b"]]) });
    assert.equal(text(encoded), "n,a=bob,\x01auth=Bearer t.u.\x01a=b\x01\x01");
    assert.deepEqual(parseClientFirst(encoded), {
      token: "t.u.",
      authorizationId: "bob",
      extensions: new Map([["a", "b"]]),
    });
  });

  test("malformed messages fail with OAuthBearerError", () => {
    for (const message of [
      "",
      "\x01",
      "n,,",
      "y,,\x01auth=Bearer t\x01\x01", // channel binding flags other than n
      "p=tls-unique,,\x01auth=Bearer t\x01\x01",
      "n,,\x01auth=Bearer t\x01", // missing the final ^A
      "n,,\x01auth=Bearer t\x01\x01\x01",
      "n,,\x01\x01", // no auth
      "n,,\x01k=v\x01\x01",
      "n,,\x01auth=Bearer\x01\x01", // no token
      "n,,\x01auth=Bearer t t\x01\x01",
      "n,,\x01auth=Bearer t?\x01\x01",
      "n,,\x01auth=Basic dXNlcjpwdw==\x01\x01", // another scheme
      "n,,\x01auth=Bearer t\x01k1=v\x01\x01", // keys are alphabetic
      "n,,\x01auth=Bearer t\x01k=\x01\x01", // values are not empty
      "n,,\x01auth=Bearer t\x01k=\u00e9\x01\x01", // values are ASCII
      "n,a=a,b,\x01auth=Bearer t\x01\x01",
      "n,a=,\x01auth=Bearer t\x01\x01",
    ]) {
      assert.throws(() => parseClientFirst(Buffer.from(message, "utf8")), OAuthBearerError, JSON.stringify(message));
    }
  });

  test("hostile sizes: a huge token or many extensions parse in linear time or fail typed", () => {
    const token = "a".repeat(400_000);
    assert.equal(parseClientFirst(bytes(`n,,\x01auth=Bearer ${token}\x01\x01`)).token.length, token.length);
    const many = Array.from({ length: 20_000 }, (_, i) => `k=${i}\x01`).join("");
    assert.equal(parseClientFirst(bytes(`n,,\x01auth=Bearer t\x01${many}\x01`)).extensions.size, 1);
    assert.throws(() => parseClientFirst(bytes(`n,a=${"x".repeat(300_000)}`)), OAuthBearerError);
    assert.throws(() => parseClientFirst(bytes(`n,,\x01auth=Bearer t\x01${"k=v".repeat(100_000)}`)), OAuthBearerError);
  });

  test("property: any bytes either parse or fail with OAuthBearerError", () => {
    const pieces = fc.constantFrom("n", ",", "a=", "\x01", "auth=", "Bearer ", "bearer", "=", "k", "v", " ", "\x00");
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(pieces, { maxLength: 40 }).map((parts) => bytes(parts.join(""))),
    );
    fc.assert(
      fc.property(message, (m) => {
        try {
          const parsed = parseClientFirst(m);
          assert.ok(parsed.token.length > 0);
          assert.ok(!parsed.extensions.has("auth"));
        } catch (error) {
          if (!(error instanceof OAuthBearerError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[-_~+/.a-zA-Z0-9]{1,40}=*$/),
        fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,8}$/), fc.stringMatching(/^[\x21-\x7e \t]{1,20}$/), {
          maxKeys: 4,
        }),
        (token, extensions) => {
          const map = new Map(Object.entries(extensions).filter(([k]) => k !== "auth"));
          const parsed = parseClientFirst(encodeClientFirst({ token, extensions: map }));
          assert.equal(parsed.token, token);
          assert.deepEqual(parsed.extensions, map);
        },
      ),
    );
  });
});

describe("unsecured JWS validator (Kafka's default)", () => {
  test("a valid token: principal, expiry, scope as a list or one string", () => {
    const jwt = parseUnsecuredJws(jws({ sub: "alice", exp: nowS + 60, iat: nowS, scope: [" a ", "b", ""] }), names);
    assert.equal(jwt.principalName, "alice");
    assert.equal(jwt.lifetimeMs, nowMs + 60_000);
    assert.deepEqual([...jwt.scope], ["a", "b"]);
    // A string scope is one item, spaces and all (as Kafka reads it).
    assert.deepEqual([...parseUnsecuredJws(jws({ sub: "a", exp: nowS + 1, scope: " x y " }), names).scope], ["x y"]);
    // Fractional seconds round to milliseconds.
    assert.equal(parseUnsecuredJws(jws({ sub: "a", exp: nowS + 0.0006 }), names).lifetimeMs, nowMs + 1);
    assert.equal(refusal(jws({ sub: "alice", exp: nowS + 60 })), undefined);
  });

  test("exp is required, must be a number and not passed; the clock skew allowance", () => {
    assert.match(refusal(jws({ sub: "a" }))?.message ?? "", /No expiration time/);
    assert.match(
      refusal(jws({ sub: "a", exp: String(nowS + 60) }))?.message ?? "",
      /'exp' claim was not of type number/,
    );
    assert.match(refusal(jws({ sub: "a", exp: nowS }))?.message ?? "", /on or after the Expiration Time/);
    assert.ok(refusal(jws({ sub: "a", exp: nowS - 1 })) !== undefined);
    const skew = unsecuredValidatorOptions(new Map([["unsecuredValidatorAllowableClockSkewMs", "1500"]]));
    assert.equal(refusal(jws({ sub: "a", exp: nowS - 1 }), skew), undefined);
    assert.ok(refusal(jws({ sub: "a", exp: nowS - 1.5 }), skew) !== undefined);
    const error = refusal(jws({ sub: "a", exp: nowS - 10 }));
    assert.equal(error?.status, "invalid_token");
    assert.equal(errorChallenge(error), '{"status":"invalid_token"}');
  });

  test("iat: a number, not in the future (beyond the skew), before exp", () => {
    assert.match(refusal(jws({ sub: "a", exp: nowS + 60, iat: "now" }))?.message ?? "", /'iat'/);
    assert.match(refusal(jws({ sub: "a", exp: nowS + 60, iat: nowS + 1 }))?.message ?? "", /Issued At/);
    const skew = unsecuredValidatorOptions(new Map([["unsecuredValidatorAllowableClockSkewMs", "2000"]]));
    assert.equal(refusal(jws({ sub: "a", exp: nowS + 60, iat: nowS + 1 }), skew), undefined);
    assert.match(refusal(jws({ sub: "a", exp: nowS + 1, iat: nowS + 1 }), skew)?.message ?? "", /not after/);
  });

  test("the principal claim: sub by default, or unsecuredValidatorPrincipalClaimName; never blank", () => {
    assert.match(refusal(jws({ exp: nowS + 60 }))?.message ?? "", /No principal name in JWT claim: sub/);
    assert.ok(refusal(jws({ sub: "  ", exp: nowS + 60 })) !== undefined);
    assert.match(refusal(jws({ sub: 7, exp: nowS + 60 }))?.message ?? "", /'sub' claim was not of type string/);
    const byEmail = unsecuredValidatorOptions(new Map([["unsecuredValidatorPrincipalClaimName", " email "]]));
    assert.equal(byEmail.principalClaimName, "email");
    const token = jws({ sub: "ignored", email: "carol@example.com", exp: nowS + 60 });
    assert.equal(parseUnsecuredJws(token, byEmail).principalName, "carol@example.com");
    assert.ok(refusal(jws({ sub: "x", exp: nowS + 60 }), byEmail) !== undefined);
    // Non-string JSON values become text, as Jackson's asText: true → "true".
    assert.equal(parseUnsecuredJws(jws({ sub: true, exp: nowS + 1 }), names).principalName, "true");
  });

  test("unsecuredValidatorRequiredScope: every item, else insufficient_scope naming the list", () => {
    const options = unsecuredValidatorOptions(
      new Map([
        ["unsecuredValidatorRequiredScope", "kafka  write"],
        ["unsecuredValidatorScopeClaimName", "scp"],
      ]),
    );
    assert.deepEqual(options.requiredScope, ["kafka", "write"]);
    assert.equal(refusal(jws({ sub: "a", exp: nowS + 60, scp: ["write", "kafka", "x"] }), options), undefined);
    const missing = refusal(jws({ sub: "a", exp: nowS + 60, scp: ["kafka"] }), options);
    assert.equal(missing?.status, "insufficient_scope");
    assert.equal(missing?.scope, "[kafka, write]");
    assert.equal(errorChallenge(missing), '{"status":"insufficient_scope", "scope":"[kafka, write]"}');
    assert.ok(refusal(jws({ sub: "a", exp: nowS + 60, scope: ["kafka", "write"] }), options) !== undefined);
    assert.ok(refusal(jws({ sub: "a", exp: nowS + 60, scp: "kafka write" }), options) !== undefined);
    assert.match(refusal(jws({ sub: "a", exp: nowS + 60, scp: 3 }), options)?.message ?? "", /'scp' claim/);
  });

  test("shape: alg none, no signature, three parts, base64url, JSON objects", () => {
    const claims = { sub: "a", exp: nowS + 60 };
    for (const [token, reason] of [
      [jws(claims, { alg: "HS256" }), /'none'/],
      [jws(claims, { typ: "JWT" }), /'none'/],
      [`${jws(claims)}c2ln`, /digital signature/],
      [jws(claims).slice(0, -1), /3 dot-separated/],
      [`${jws(claims)}.`, /'\.\.'/],
      [`x.${jws(claims)}`, /3 dot-separated/],
      [`${b64({ alg: "none" })}.${b64(claims)}+.`, /Base64/],
      [`${b64({ alg: "none" })}.a.`, /Base64/],
      [`${b64({ alg: "none" })}.${Buffer.from("{").toString("base64url")}.`, /malformed JSON/],
      [`${b64({ alg: "none" })}.${b64([1, 2])}.`, /not a JSON object/],
      [`${b64({ alg: "none" })}.${Buffer.from([0xff, 0xfe]).toString("base64url")}.`, /malformed JSON/],
    ] as const) {
      assert.match(refusal(token)?.message ?? "(accepted)", reason, token);
    }
  });

  test("hostile input: size and nesting bounds", () => {
    const big = jws({ sub: "a", exp: nowS + 60, pad: "x".repeat(unsecuredTokenCharsMax) });
    assert.match(refusal(big)?.message ?? "", /longer than/);
    let nested: unknown = 1;
    for (let i = 0; i < unsecuredJsonDepthMax + 5; i++) nested = [nested];
    assert.match(refusal(jws({ sub: "a", exp: nowS + 60, nested }))?.message ?? "", /nested deeper/);
    // Brackets inside strings do not count.
    assert.equal(refusal(jws({ sub: "[".repeat(100), exp: nowS + 60 })), undefined);
  });

  test("property: any token string is accepted or refused with OAuthBearerValidationError", () => {
    const part = fc.oneof(
      fc.stringMatching(/^[-_A-Za-z0-9]{0,30}$/),
      fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j).toString("base64url")),
      fc
        .record({ sub: fc.oneof(fc.string(), fc.integer()), exp: fc.oneof(fc.double(), fc.string()) })
        .map((c) => b64(c)),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), fc.string(), (parts, noise) => {
        for (const token of [parts.join("."), `${parts.join(".")}.`, noise]) {
          try {
            const jwt = parseUnsecuredJws(token, names);
            checkUnsecuredJws(jwt, defaults, nowMs);
          } catch (error) {
            if (!(error instanceof OAuthBearerValidationError)) throw error;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("options are checked when the broker starts", () => {
    const options = (entries: [string, string][]) => unsecuredValidatorOptions(new Map(entries));
    assert.deepEqual(options([["unsecuredLoginStringClaim_sub", "broker"]]), defaults);
    for (const [name, value] of [
      ["unsecuredValidatorAllowableClockSkewMs", "-5"],
      ["unsecuredValidatorAllowableClockSkewMs", "soon"],
      ["unsecuredValidatorAllowableClockSkewMs", "99999999999"],
      ["unsecuredValidatorRequiredScope", 'a "b"'],
    ] as const) {
      assert.throws(
        () => options([[name, value]]),
        (error: unknown) => error instanceof UnsecuredValidatorOptionError && error.option === name,
      );
    }
  });
});

describe("OAUTHBEARER server exchange", () => {
  const never = new AbortController().signal;
  const validator = unsecuredJwsValidator(
    unsecuredValidatorOptions(new Map([["unsecuredValidatorRequiredScope", "kafka"]])),
    () => nowMs,
  );
  const good = jws({ sub: "alice", exp: nowS + 30, scope: ["kafka"] });
  const server = (v: OAuthBearerValidator = validator): OAuthBearerServer =>
    new OAuthBearerServer({ validator: v, listener: "SASL_PLAINTEXT" });

  test("a good token completes with an empty answer, the principal and the token's expiry", async () => {
    assert.deepEqual(await server().evaluate(encodeClientFirst({ token: good }), never), {
      complete: true,
      principalName: "alice",
      lifetimeMs: nowMs + 30_000,
    });
    const sameId = await server().evaluate(encodeClientFirst({ token: good, authorizationId: "alice" }), never);
    assert.equal(sameId.complete, true);
  });

  test("a refused token gets the JSON error; the client's ^A then fails with it", async () => {
    const s = server();
    const step = await s.evaluate(encodeClientFirst({ token: jws({ sub: "alice", exp: nowS + 30 }) }), never);
    assert.equal(step.complete, false);
    assert.equal(step.complete ? "" : text(step.challenge), '{"status":"insufficient_scope", "scope":"[kafka]"}');
    await assert.rejects(s.evaluate(Uint8Array.of(1), never), (error: unknown) => {
      assert.ok(error instanceof OAuthBearerError);
      assert.equal(error.clientMessage, '{"status":"insufficient_scope", "scope":"[kafka]"}');
      assert.match(error.message, /insufficient_scope: The provided scope/);
      assert.ok(!error.message.includes(good.slice(0, 20)));
      return true;
    });
  });

  test("as Kafka, a new first message after an error challenge is evaluated again", async () => {
    const s = server();
    const expired = await s.evaluate(encodeClientFirst({ token: jws({ sub: "a", exp: nowS - 1 }) }), never);
    assert.equal(expired.complete, false);
    assert.equal((await s.evaluate(encodeClientFirst({ token: good }), never)).complete, true);
    // A ^A without an error before it is just malformed.
    await assert.rejects(server().evaluate(Uint8Array.of(1), never), OAuthBearerError);
  });

  test("an authorization id other than the principal fails with Kafka's message", async () => {
    await assert.rejects(
      server().evaluate(encodeClientFirst({ token: good, authorizationId: "bob" }), never),
      (error: unknown) =>
        error instanceof OAuthBearerError &&
        error.clientMessage ===
          "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)",
    );
  });

  test("a validator's own statuses, internal errors, bad results and hangs", async () => {
    const refusing: OAuthBearerValidator = () => {
      throw new OAuthBearerValidationError("revoked", {
        status: "invalid_request",
        openidConfiguration: "https://idp.example.com/.well-known/openid-configuration",
      });
    };
    const step = await server(refusing).evaluate(encodeClientFirst({ token: "opaque" }), never);
    assert.equal(
      step.complete ? "" : text(step.challenge),
      '{"status":"invalid_request", "openid-configuration":"https://idp.example.com/.well-known/openid-configuration"}',
    );
    const broken: OAuthBearerValidator = () => Promise.reject(new Error("database down"));
    await assert.rejects(
      server(broken).evaluate(encodeClientFirst({ token: "opaque" }), never),
      (error: unknown) => error instanceof OAuthBearerError && error.clientMessage === undefined,
    );
    const blank: OAuthBearerValidator = () => Promise.resolve({ principalName: " " });
    await assert.rejects(server(blank).evaluate(encodeClientFirst({ token: "opaque" }), never), OAuthBearerError);
    const nan: OAuthBearerValidator = () => Promise.resolve({ principalName: "a", lifetimeMs: Number.NaN });
    await assert.rejects(server(nan).evaluate(encodeClientFirst({ token: "opaque" }), never), OAuthBearerError);
    const hanging: OAuthBearerValidator = (_token, _extensions, context) =>
      new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(new Error("aborted"))));
    const controller = new AbortController();
    const pending = server(hanging).evaluate(encodeClientFirst({ token: "opaque" }), controller.signal);
    controller.abort();
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof OAuthBearerError && /time|abort/.test(error.message),
    );
    const seen: { token: string; extensions: [string, string][]; listener: string }[] = [];
    const recording: OAuthBearerValidator = (token, extensions, context) => {
      seen.push({ token, extensions: [...extensions], listener: context.listener });
      return Promise.resolve({ principalName: "svc", lifetimeMs: undefined });
    };
    const done = await server(recording).evaluate(
      encodeClientFirst({ token: "opaque", extensions: new Map([["traceId", "42"]]) }),
      never,
    );
    assert.deepEqual(done, { complete: true, principalName: "svc", lifetimeMs: undefined });
    assert.deepEqual(seen, [{ token: "opaque", extensions: [["traceId", "42"]], listener: "SASL_PLAINTEXT" }]);
  });
});
