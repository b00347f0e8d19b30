// The ACL model: Kafka's decision rules (DENY wins, implied DESCRIBE/DESCRIBE_CONFIGS, ALL,
// wildcard principal/host/name, PREFIXED patterns, super users, allow.everyone.if.no.acl.found),
// checked by example and by a fast-check property against a naive reference model; the
// Describe/DeleteAcls filters (ANY, MATCH, exact); and the durable store across a crash.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  authorize,
  authorizeAny,
  filterMatches,
  invalidBinding,
  invalidFilter,
  Operation,
  PatternType,
  Permission,
  ResourceType,
} from "../../src/security/acl.ts";
import type { AclBinding, AclFilter, AuthorizerSettings } from "../../src/security/acl.ts";
import { AclStore, AclStoreError } from "../../src/security/acl-store.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { resolveBrokerConfig as parseConfig } from "../../src/config.ts";

const { TOPIC, GROUP, CLUSTER } = ResourceType;
const { LITERAL, PREFIXED } = PatternType;
const { ALLOW, DENY } = Permission;

function acl(partial: Partial<AclBinding> & Pick<AclBinding, "resourceName" | "operation">): AclBinding {
  return {
    resourceType: TOPIC,
    patternType: LITERAL,
    principal: "User:alice",
    host: "*",
    permission: ALLOW,
    ...partial,
  };
}

const strict: AuthorizerSettings = { superUsers: new Set(["User:admin"]), allowEveryoneIfNoAclFound: false };
const alice = { principal: "User:alice", host: "10.0.0.1" };
const bob = { principal: "User:bob", host: "10.0.0.2" };

describe("authorize", () => {
  test("no ACL denies unless allow.everyone.if.no.acl.found; super users always pass", () => {
    assert.equal(authorize([], strict, alice, Operation.READ, TOPIC, "t"), false);
    assert.equal(
      authorize([], { ...strict, allowEveryoneIfNoAclFound: true }, alice, Operation.READ, TOPIC, "t"),
      true,
    );
    const deny = [acl({ resourceName: "*", operation: Operation.ALL, permission: DENY, principal: "User:*" })];
    assert.equal(
      authorize(deny, strict, { principal: "User:admin", host: "1.2.3.4" }, Operation.WRITE, TOPIC, "t"),
      true,
    );
  });

  test("an ACL for another principal still counts as an ACL for the resource", () => {
    const acls = [acl({ resourceName: "t", operation: Operation.READ, principal: "User:bob" })];
    const open = { ...strict, allowEveryoneIfNoAclFound: true };
    assert.equal(authorize(acls, open, alice, Operation.READ, TOPIC, "t"), false);
    assert.equal(authorize(acls, open, alice, Operation.READ, TOPIC, "other"), true);
  });

  test("READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL implies all", () => {
    for (const op of [Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER, Operation.ALL]) {
      assert.equal(
        authorize([acl({ resourceName: "t", operation: op })], strict, alice, Operation.DESCRIBE, TOPIC, "t"),
        true,
      );
    }
    assert.equal(
      authorize(
        [acl({ resourceName: "t", operation: Operation.CREATE })],
        strict,
        alice,
        Operation.DESCRIBE,
        TOPIC,
        "t",
      ),
      false,
    );
    assert.equal(
      authorize(
        [acl({ resourceName: "t", operation: Operation.ALTER_CONFIGS })],
        strict,
        alice,
        Operation.DESCRIBE_CONFIGS,
        TOPIC,
        "t",
      ),
      true,
    );
    assert.equal(
      authorize([acl({ resourceName: "t", operation: Operation.DESCRIBE })], strict, alice, Operation.READ, TOPIC, "t"),
      false,
    );
  });

  test("DENY wins over ALLOW, and a DENY is not widened by implication", () => {
    const acls = [
      acl({ resourceName: "orders-", patternType: PREFIXED, operation: Operation.ALL }),
      acl({ resourceName: "orders-secret", operation: Operation.READ, permission: DENY }),
    ];
    assert.equal(authorize(acls, strict, alice, Operation.READ, TOPIC, "orders-eu"), true);
    assert.equal(authorize(acls, strict, alice, Operation.READ, TOPIC, "orders-secret"), false);
    assert.equal(authorize(acls, strict, alice, Operation.DESCRIBE, TOPIC, "orders-secret"), true);
    assert.equal(authorize(acls, strict, alice, Operation.READ, TOPIC, "order"), false);
  });

  test("wildcard principal, host and resource name; a host-specific ACL only from that host", () => {
    const acls = [
      acl({ resourceName: "*", operation: Operation.READ, principal: "User:*" }),
      acl({ resourceName: "g", resourceType: GROUP, operation: Operation.READ, host: "10.0.0.1" }),
    ];
    assert.equal(authorize(acls, strict, bob, Operation.READ, TOPIC, "anything"), true);
    assert.equal(authorize(acls, strict, bob, Operation.WRITE, TOPIC, "anything"), false);
    assert.equal(authorize(acls, strict, alice, Operation.READ, GROUP, "g"), true);
    assert.equal(authorize(acls, strict, { ...alice, host: "10.0.0.9" }, Operation.READ, GROUP, "g"), false);
    assert.equal(authorize(acls, strict, alice, Operation.READ, CLUSTER, "kafka-cluster"), false);
  });

  test("authorizeAny: some ALLOW pattern of the type not covered by a DENY", () => {
    const write = Operation.WRITE;
    assert.equal(authorizeAny([acl({ resourceName: "t", operation: write })], strict, alice, write, TOPIC), true);
    assert.equal(authorizeAny([acl({ resourceName: "t", operation: write })], strict, bob, write, TOPIC), false);
    const denied = [
      acl({ resourceName: "t-", patternType: PREFIXED, operation: write }),
      acl({ resourceName: "t", patternType: PREFIXED, operation: write, permission: DENY }),
    ];
    assert.equal(authorizeAny(denied, strict, alice, write, TOPIC), false);
    const wildcardDeny = [
      acl({ resourceName: "x", operation: write }),
      acl({ resourceName: "*", operation: Operation.ALL, permission: DENY }),
    ];
    assert.equal(authorizeAny(wildcardDeny, strict, alice, write, TOPIC), false);
    assert.equal(authorizeAny([], strict, { principal: "User:admin", host: "h" }, write, TOPIC), true);
  });
});

// A deliberately naive restatement of the rules, to check the authorizer against.
function reference(
  bindings: readonly AclBinding[],
  settings: AuthorizerSettings,
  who: { principal: string; host: string },
  op: number,
  type: number,
  name: string,
): boolean {
  if (settings.superUsers.has(who.principal)) return true;
  const forResource = bindings.filter(
    (b) =>
      b.resourceType === type &&
      ((b.patternType === LITERAL && (b.resourceName === name || b.resourceName === "*")) ||
        (b.patternType === PREFIXED && name.slice(0, b.resourceName.length) === b.resourceName)),
  );
  if (forResource.length === 0) return settings.allowEveryoneIfNoAclFound;
  const mine = forResource.filter(
    (b) => [who.principal, "User:*"].includes(b.principal) && ["*", who.host].includes(b.host),
  );
  if (mine.some((b) => b.permission === DENY && [op, Operation.ALL].includes(b.operation))) return false;
  const granting =
    op === Operation.DESCRIBE
      ? [op, Operation.ALL, Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER]
      : op === Operation.DESCRIBE_CONFIGS
        ? [op, Operation.ALL, Operation.ALTER_CONFIGS]
        : [op, Operation.ALL];
  return mine.some((b) => b.permission === ALLOW && granting.includes(b.operation));
}

const names = fc.constantFrom("a", "ab", "abc", "b", "*", "");
const arbBinding: fc.Arbitrary<AclBinding> = fc.record({
  resourceType: fc.constantFrom(TOPIC, GROUP),
  resourceName: names.filter((n) => n !== ""),
  patternType: fc.constantFrom(LITERAL, PREFIXED),
  principal: fc.constantFrom("User:alice", "User:bob", "User:*"),
  host: fc.constantFrom("*", "10.0.0.1", "10.0.0.2"),
  operation: fc.integer({ min: 2, max: 12 }),
  permission: fc.constantFrom(ALLOW, DENY),
});

test("property: authorize agrees with the reference model", () => {
  fc.assert(
    fc.property(
      fc.array(arbBinding, { maxLength: 8 }),
      fc.boolean(),
      fc.constantFrom("User:alice", "User:bob", "User:admin"),
      fc.constantFrom("10.0.0.1", "10.0.0.2"),
      fc.integer({ min: 3, max: 12 }),
      fc.constantFrom(TOPIC, GROUP),
      names.filter((n) => n !== "*"),
      (bindings, open, principal, host, op, type, name) => {
        const settings = { superUsers: new Set(["User:admin"]), allowEveryoneIfNoAclFound: open };
        const who = { principal, host };
        assert.equal(
          authorize(bindings, settings, who, op, type, name),
          reference(bindings, settings, who, op, type, name),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

describe("filters", () => {
  const literal = acl({ resourceName: "orders", operation: Operation.READ });
  const wildcard = acl({ resourceName: "*", operation: Operation.WRITE, principal: "User:bob" });
  const prefixed = acl({ resourceName: "ord", patternType: PREFIXED, operation: Operation.READ, permission: DENY });
  const group = acl({ resourceType: GROUP, resourceName: "orders", operation: Operation.READ });
  const all = [literal, wildcard, prefixed, group];
  const any: AclFilter = {
    resourceType: ResourceType.ANY,
    resourceName: null,
    patternType: PatternType.ANY,
    principal: null,
    host: null,
    operation: Operation.ANY,
    permission: Permission.ANY,
  };
  const select = (f: Partial<AclFilter>) => all.filter((b) => filterMatches({ ...any, ...f }, b));

  test("ANY selects everything; fields narrow it", () => {
    assert.deepEqual(select({}), all);
    assert.deepEqual(select({ resourceType: TOPIC }), [literal, wildcard, prefixed]);
    assert.deepEqual(select({ principal: "User:bob" }), [wildcard]);
    assert.deepEqual(select({ permission: DENY }), [prefixed]);
    assert.deepEqual(select({ operation: Operation.READ, resourceType: TOPIC }), [literal, prefixed]);
  });

  test("LITERAL and PREFIXED select exactly that pattern; ANY any pattern with that name", () => {
    assert.deepEqual(select({ resourceType: TOPIC, patternType: LITERAL, resourceName: "orders" }), [literal]);
    assert.deepEqual(select({ resourceType: TOPIC, patternType: LITERAL, resourceName: "*" }), [wildcard]);
    assert.deepEqual(select({ patternType: PREFIXED }), [prefixed]);
    assert.deepEqual(select({ resourceName: "orders" }), [literal, group]);
  });

  test("MATCH selects every pattern covering the name", () => {
    assert.deepEqual(select({ resourceType: TOPIC, patternType: PatternType.MATCH, resourceName: "orders" }), [
      literal,
      wildcard,
      prefixed,
    ]);
    assert.deepEqual(select({ resourceType: TOPIC, patternType: PatternType.MATCH, resourceName: "x" }), [wildcard]);
  });

  test("invalid bindings and filters are named", () => {
    assert.equal(invalidBinding(literal), undefined);
    assert.match(invalidBinding({ ...literal, patternType: PatternType.MATCH }) ?? "", /pattern type/);
    assert.match(invalidBinding({ ...literal, resourceType: CLUSTER }) ?? "", /kafka-cluster/);
    assert.match(invalidBinding({ ...literal, principal: "alice" }) ?? "", /principal/);
    assert.match(invalidBinding({ ...literal, operation: Operation.ANY }) ?? "", /operation/);
    assert.equal(invalidFilter(any), undefined);
    assert.match(invalidFilter({ ...any, resourceType: ResourceType.UNKNOWN }) ?? "", /resource type/);
    assert.match(invalidFilter({ ...any, operation: Operation.UNKNOWN }) ?? "", /operation/);
  });
});

describe("AclStore", () => {
  test("additions and deletions survive a crash; a corrupt file stops opening", async () => {
    const backend = new MemoryFileBackend();
    await backend.mkdir("/d");
    const store = await AclStore.open({ backend, dataDir: "/d" });
    const a = acl({ resourceName: "t", operation: Operation.READ });
    const b = acl({ resourceName: "u", operation: Operation.WRITE, permission: DENY });
    await store.add([a, b, a]);
    assert.equal(store.size, 2);
    const removed = await store.remove([
      {
        resourceType: TOPIC,
        resourceName: "u",
        patternType: PatternType.ANY,
        principal: null,
        host: null,
        operation: Operation.ANY,
        permission: Permission.ANY,
      },
    ]);
    assert.deepEqual(removed, [[b]]);
    const reopened = await AclStore.open({ backend: backend.afterCrash({ unsyncedKept: 0 }), dataDir: "/d" });
    assert.deepEqual(reopened.list(), [a]);
    await backend.writeFileAtomic("/d/acls.json", new TextEncoder().encode("{not json"));
    await assert.rejects(AclStore.open({ backend, dataDir: "/d" }), AclStoreError);
  });
});

describe("config", () => {
  test("authorizer.class.name turns the authorizer on; super.users and allow.everyone.if.no.acl.found parse", () => {
    assert.equal(parseConfig({}).authorizer.enabled, false);
    const on = parseConfig({
      "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users": "User:admin; User:ops",
      "allow.everyone.if.no.acl.found": "true",
    }).authorizer;
    assert.equal(on.enabled, true);
    assert.deepEqual([...on.superUsers], ["User:admin", "User:ops"]);
    assert.equal(on.allowEveryoneIfNoAclFound, true);
    assert.throws(() => parseConfig({ "authorizer.class.name": "com.example.Mine" }), /authorizer\.class\.name/);
  });
});
