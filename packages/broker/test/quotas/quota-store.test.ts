// Client quota entities (quotas/quota-store.ts): Kafka's precedence from (user, client id) down to
// the default client id, per quota key; which requests share a measured rate; durability across a
// reopen; and the cheap "any quota at all" check.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClientQuotaStore, QuotaStoreError } from "../../src/quotas/quota-store.ts";
import type { QuotaEntity } from "../../src/quotas/quota-store.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";

/** Every level, most specific first, for user alice and client id app. */
const levels: QuotaEntity[] = [
  { user: "alice", clientId: "app" },
  { user: "alice", clientId: null },
  { user: "alice" },
  { user: null, clientId: "app" },
  { user: null, clientId: null },
  { user: null },
  { clientId: "app" },
  { clientId: null },
];

describe("ClientQuotaStore", () => {
  test("resolves by Kafka's precedence, most specific first", async () => {
    const store = new ClientQuotaStore();
    await store.apply(levels.map((entity, i) => ({ entity, key: "producer_byte_rate", value: 1000 + i })));
    for (let i = 0; i < levels.length; i++) {
      assert.equal(store.resolve("producer_byte_rate", "alice", "app")?.bound, 1000 + i, `level ${i}`);
      const level = levels[i];
      assert.ok(level !== undefined);
      await store.apply([{ entity: level, key: "producer_byte_rate", value: null }]);
    }
    assert.equal(store.resolve("producer_byte_rate", "alice", "app"), undefined);
    assert.equal(store.has("producer_byte_rate"), false);
    assert.deepEqual(store.list(), []);
  });

  test("each key resolves on its own", async () => {
    const store = new ClientQuotaStore();
    await store.apply([
      { entity: { user: "alice" }, key: "producer_byte_rate", value: 10 },
      { entity: { clientId: null }, key: "consumer_byte_rate", value: 20 },
    ]);
    assert.equal(store.resolve("producer_byte_rate", "alice", "app")?.bound, 10);
    assert.equal(store.resolve("consumer_byte_rate", "alice", "app")?.bound, 20);
    assert.equal(store.resolve("producer_byte_rate", "bob", "app"), undefined);
    assert.equal(store.resolve("consumer_byte_rate", "bob", "x")?.bound, 20);
  });

  test("a default entity gives each name its own rate; a named user's quota is shared by its client ids", async () => {
    const store = new ClientQuotaStore();
    await store.apply([
      { entity: { user: "alice" }, key: "producer_byte_rate", value: 10 },
      { entity: { user: null }, key: "producer_byte_rate", value: 20 },
      { entity: { clientId: null }, key: "consumer_byte_rate", value: 30 },
    ]);
    const key = (user: string, clientId: string, k: "producer_byte_rate" | "consumer_byte_rate") =>
      store.resolve(k, user, clientId)?.sensorKey;
    assert.equal(key("alice", "a", "producer_byte_rate"), key("alice", "b", "producer_byte_rate"));
    assert.notEqual(key("bob", "a", "producer_byte_rate"), key("carol", "a", "producer_byte_rate"));
    assert.equal(key("bob", "a", "producer_byte_rate"), key("bob", "b", "producer_byte_rate"));
    assert.notEqual(key("bob", "a", "consumer_byte_rate"), key("bob", "b", "consumer_byte_rate"));
    assert.equal(key("bob", "a", "consumer_byte_rate"), key("carol", "a", "consumer_byte_rate"));
    // Changing quotas takes effect at once (the resolution cache is dropped).
    await store.apply([{ entity: { user: "bob" }, key: "producer_byte_rate", value: 5 }]);
    assert.equal(store.resolve("producer_byte_rate", "bob", "a")?.bound, 5);
  });

  test("survives a reopen from the data directory", async () => {
    const backend = new MemoryFileBackend();
    await backend.mkdir("/data");
    const store = await ClientQuotaStore.open({ backend, dataDir: "/data" });
    await store.apply([
      { entity: { user: "alice", clientId: null }, key: "producer_byte_rate", value: 1024 },
      { entity: { clientId: null }, key: "consumer_byte_rate", value: 2048 },
      { entity: { user: null }, key: "producer_byte_rate", value: 4096 },
    ]);
    await store.apply([{ entity: { user: null }, key: "producer_byte_rate", value: null }]);
    const reopened = await ClientQuotaStore.open({ backend, dataDir: "/data" });
    assert.deepEqual(reopened.list(), store.list());
    assert.equal(reopened.get({ user: "alice", clientId: null })?.get("producer_byte_rate"), 1024);
    assert.equal(reopened.get({ user: null }), undefined);
    assert.equal(reopened.has("consumer_byte_rate"), true);
    await backend.writeFileAtomic("/data/client-quotas.json", new TextEncoder().encode("{not json"));
    await assert.rejects(ClientQuotaStore.open({ backend, dataDir: "/data" }), QuotaStoreError);
  });
});
