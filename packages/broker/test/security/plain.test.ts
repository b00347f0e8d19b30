// SASL/PLAIN: JAAS option parsing (Kafka's PlainLoginModule user_<name> entries) and token checks.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  JaasConfigError,
  parseJaasConfig,
  parsePlainToken,
  PlainError,
  plainUsers,
  verifyPlain,
} from "../../src/security/plain.ts";

const token = (...parts: string[]): Uint8Array => new TextEncoder().encode(parts.join("\u0000"));

describe("PLAIN", () => {
  test("parses a PlainLoginModule entry with users", () => {
    const entry = parseJaasConfig(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="a \\"quoted\\" secret;" user_bob=bare;',
    );
    assert.equal(entry.loginModule, "org.apache.kafka.common.security.plain.PlainLoginModule");
    assert.equal(entry.flag, "required");
    assert.deepEqual(
      [...plainUsers(entry)],
      [
        ["admin", "admin-secret"],
        ["alice", 'a "quoted" secret;'],
        ["bob", "bare"],
      ],
    );
  });

  test("refuses malformed JAAS text", () => {
    for (const bad of [
      "",
      "Module",
      "Module maybe;",
      'Module required user_a="x"',
      'Module required user_a="x;',
      "Module required = ;",
      'Module required a="1"; Other required;',
    ]) {
      assert.throws(() => parseJaasConfig(bad), JaasConfigError, bad);
    }
  });

  test("tokens: authzid NUL user NUL password", () => {
    assert.deepEqual(parsePlainToken(token("", "alice", "pw")), { authzid: "", user: "alice", password: "pw" });
    assert.deepEqual(parsePlainToken(token("alice", "alice", "pw")).user, "alice");
    for (const bad of [
      token("alice", "pw"),
      token("", "", "pw"),
      token("", "alice", ""),
      token("bob", "alice", "pw"),
      token("", "a", "b", "c"),
    ]) {
      assert.throws(() => parsePlainToken(bad), PlainError);
    }
  });

  test("verification against the configured users", () => {
    const users = new Map([["alice", "alice-secret"]]);
    assert.equal(verifyPlain(token("", "alice", "alice-secret"), users), "alice");
    assert.throws(() => verifyPlain(token("", "alice", "wrong"), users), PlainError);
    assert.throws(() => verifyPlain(token("", "mallory", "alice-secret"), users), PlainError);
    try {
      verifyPlain(token("", "alice", "wrong-secret"), users);
    } catch (error) {
      assert.ok(error instanceof PlainError);
      assert.doesNotMatch(error.message, /secret/);
    }
  });
});
