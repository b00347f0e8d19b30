import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Serdes } from "../src/serdes.ts";
import { compareBytes, InMemoryKeyValueStore, inMemoryKeyValueStore } from "../src/state/in-memory-kv-store.ts";
import type { ChangelogRecord, StoreContext } from "../src/state/store.ts";
import { Stores } from "../src/state/stores.ts";
import { valueAndTimestampSerde, type ValueAndTimestamp } from "../src/state/window-key-schema.ts";

function context(changelog?: ChangelogRecord[], timestampMs = 0): StoreContext {
  return {
    applicationId: "app",
    partition: 0,
    stateDir: undefined,
    changelog: changelog === undefined ? undefined : (record) => changelog.push(record),
    recordTimestampMs: () => timestampMs,
  };
}

function stringStore(name = "s"): InMemoryKeyValueStore<string, string> {
  const store = new InMemoryKeyValueStore({ name, key: Serdes.string(), value: Serdes.string() });
  store.init(context());
  return store;
}

const decode = (bytes: Uint8Array | null): string | null => (bytes === null ? null : new TextDecoder().decode(bytes));

describe("InMemoryKeyValueStore", () => {
  test("get, put, putIfAbsent, delete", () => {
    const store = stringStore();
    assert.equal(store.get("a"), undefined);
    store.put("a", "1");
    assert.equal(store.get("a"), "1");
    assert.equal(store.putIfAbsent("a", "2"), "1");
    assert.equal(store.get("a"), "1");
    assert.equal(store.putIfAbsent("b", "2"), undefined);
    assert.equal(store.get("b"), "2");
    assert.equal(store.delete("a"), "1");
    assert.equal(store.delete("a"), undefined);
    assert.equal(store.approximateNumEntries(), 1);
  });

  test("iterates in key-byte order (unsigned, shorter prefix first), not in insertion or string order", () => {
    const store = new InMemoryKeyValueStore({ name: "n", key: Serdes.int32(), value: Serdes.string() });
    store.init(context());
    for (const key of [5, -1, 0, 256, 1]) store.put(key, String(key));
    // int32 big-endian bytes: 0, 1, 5, 256 and then -1 (0xffffffff).
    assert.deepEqual(
      [...store.all()].map((entry) => entry.key),
      [0, 1, 5, 256, -1],
    );
    assert.deepEqual(
      [...store.range(1, 256)].map((entry) => entry.key),
      [1, 5, 256],
    );
    assert.deepEqual(
      [...store.range(6)].map((entry) => entry.key),
      [256, -1],
    );
    assert.deepEqual(
      [...store.range(undefined, 1)].map((entry) => entry.key),
      [0, 1],
    );
    assert.deepEqual([...store.range(256, 1)], []);
    const strings = stringStore();
    for (const key of ["b", "ab", "a", "é", "z"]) strings.put(key, key);
    assert.deepEqual(
      [...strings.all()].map((entry) => entry.key),
      ["a", "ab", "b", "z", "é"],
    );
  });

  test("iterators see a snapshot: writes during iteration do not disturb them", () => {
    const store = stringStore();
    for (const key of ["a", "b", "c"]) store.put(key, key);
    const seen: string[] = [];
    for (const { key } of store.all()) {
      seen.push(key);
      store.delete("c");
      store.put("d", "d");
    }
    assert.deepEqual(seen, ["a", "b", "c"]);
    assert.deepEqual(
      [...store.all()].map((entry) => entry.key),
      ["a", "b", "d"],
    );
  });

  test("every change goes to the changelog, deletes as null values, stamped with the record time", () => {
    const changelog: ChangelogRecord[] = [];
    const store = new InMemoryKeyValueStore({ name: "s", key: Serdes.string(), value: Serdes.string() });
    store.init(context(changelog, 42));
    store.put("a", "1");
    store.delete("a");
    store.delete("missing");
    assert.deepEqual(
      changelog.map((r) => [decode(r.key), decode(r.value), r.timestampMs]),
      [
        ["a", "1", 42],
        ["a", null, 42],
        ["missing", null, 42],
      ],
    );
  });

  test("timestamped stores log the plain value with its timestamp, as Kafka's timestamped stores", () => {
    const changelog: ChangelogRecord[] = [];
    const store = new InMemoryKeyValueStore<string, ValueAndTimestamp<number>>({
      name: "t",
      key: Serdes.string(),
      value: valueAndTimestampSerde(Serdes.long()),
      timestamped: true,
    });
    store.init(context(changelog, 5));
    store.put("k", { value: 7, timestampMs: 1234 });
    store.delete("k");
    const [put, del] = changelog;
    assert.deepEqual(put && [decode(put.key), Buffer.from(put.value ?? []).toString("hex"), put.timestampMs], [
      "k",
      "0000000000000007",
      1234,
    ]);
    assert.deepEqual(del && [del.value, del.timestampMs], [null, 5]);

    // And restore puts the timestamp back.
    const restored = new InMemoryKeyValueStore<string, ValueAndTimestamp<number>>({
      name: "t",
      key: Serdes.string(),
      value: valueAndTimestampSerde(Serdes.long()),
      timestamped: true,
    });
    restored.init(context());
    restored.restore(changelog.slice(0, 1));
    assert.deepEqual(restored.get("k"), { value: 7, timestampMs: 1234 });
  });

  test("restore replays changelog records (tombstones delete) without logging them", () => {
    const changelog: ChangelogRecord[] = [];
    const source = new InMemoryKeyValueStore({ name: "s", key: Serdes.string(), value: Serdes.string() });
    source.init(context(changelog));
    source.put("a", "1");
    source.put("b", "2");
    source.put("a", "3");
    source.delete("b");
    source.put("c", "4");
    const restoredLog: ChangelogRecord[] = [];
    const restored = new InMemoryKeyValueStore({ name: "s", key: Serdes.string(), value: Serdes.string() });
    restored.init(context(restoredLog));
    restored.restore(changelog.slice(0, 2));
    restored.restore(changelog.slice(2));
    assert.deepEqual(
      [...restored.all()],
      [
        { key: "a", value: "3" },
        { key: "c", value: "4" },
      ],
    );
    assert.equal(restoredLog.length, 0);
    assert.equal(restored.restoredOffset(), undefined);
  });

  test("a model check against a sorted Map (random operations, restore from the changelog)", () => {
    const operation = fc.oneof(
      fc.record({ type: fc.constant("put" as const), key: fc.string({ maxLength: 3 }), value: fc.string() }),
      fc.record({ type: fc.constant("delete" as const), key: fc.string({ maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 60 }),
        fc.string({ maxLength: 3 }),
        fc.string({ maxLength: 3 }),
        (ops, a, b) => {
          const changelog: ChangelogRecord[] = [];
          const store = new InMemoryKeyValueStore({ name: "m", key: Serdes.string(), value: Serdes.string() });
          store.init(context(changelog));
          const model = new Map<string, string>();
          for (const op of ops) {
            if (op.type === "put") {
              store.put(op.key, op.value);
              model.set(op.key, op.value);
            } else {
              assert.equal(store.delete(op.key), model.get(op.key));
              model.delete(op.key);
            }
          }
          const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
          const sorted = [...model.entries()].sort(([x], [y]) => compareBytes(encode(x), encode(y)));
          assert.deepEqual(
            [...store.all()].map((e) => [e.key, e.value]),
            sorted,
          );
          const [from, to] = compareBytes(encode(a), encode(b)) <= 0 ? [a, b] : [b, a];
          const inRange = sorted.filter(
            ([key]) => compareBytes(encode(key), encode(from)) >= 0 && compareBytes(encode(key), encode(to)) <= 0,
          );
          assert.deepEqual(
            [...store.range(from, to)].map((e) => [e.key, e.value]),
            inRange,
          );
          const restored = new InMemoryKeyValueStore({ name: "m", key: Serdes.string(), value: Serdes.string() });
          restored.init(context());
          restored.restore(changelog);
          assert.deepEqual(
            [...restored.all()].map((e) => [e.key, e.value]),
            sorted,
          );
        },
      ),
    );
  });

  test("closed or uninitialised stores refuse access", () => {
    const store = new InMemoryKeyValueStore({ name: "s", key: Serdes.string(), value: Serdes.string() });
    assert.throws(() => store.get("a"), /not open/);
    store.init(context());
    store.put("a", "1");
    store.close();
    assert.throws(() => store.put("a", "1"), /not open/);
  });

  test("builders: logged with compact changelogs unless disabled; config overrides", () => {
    const logged = inMemoryKeyValueStore({ name: "a", key: Serdes.string(), value: Serdes.string() });
    assert.equal(logged.logged, true);
    assert.deepEqual(logged.changelogConfigs, { "cleanup.policy": "compact" });
    assert.equal(logged.build().name, "a");
    assert.notEqual(logged.build(), logged.build());
    const unlogged = Stores.inMemoryKeyValueStore({
      name: "b",
      key: Serdes.string(),
      value: Serdes.string(),
      logging: false,
    });
    assert.equal(unlogged.logged, false);
    const configured = Stores.keyValueStore("in-memory", {
      name: "c",
      key: Serdes.string(),
      value: Serdes.string(),
      logging: { configs: { "min.compaction.lag.ms": "100" } },
    });
    assert.deepEqual(configured.changelogConfigs, { "cleanup.policy": "compact", "min.compaction.lag.ms": "100" });
  });
});
