// The in-memory window store: reads in Kafka's order, retention measured from the largest window
// start put (exact boundary), duplicates, changelog records in Kafka's bytes (plain and timestamped
// stores), restore into a fresh store, builder configs — against a reference model too.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Serdes } from "../src/serdes.ts";
import type { Serde } from "../src/serdes.ts";
import type { ChangelogRecord, KeyValue, Windowed } from "../src/state/store.ts";
import {
  InMemoryTimestampedWindowStore,
  InMemoryWindowStore,
  inMemoryTimestampedWindowStore,
  inMemoryWindowStore,
} from "../src/state/in-memory-window-store.ts";
import { windowStoreKeyBytes } from "../src/state/window-key-schema.ts";
import { hex, longSerde, stringSerde } from "./window-harness.ts";

const bytesSerde: Serde<Uint8Array> = { serialize: (v) => v, deserialize: (b) => b.slice() };

function logged<K, V>(
  store: InMemoryWindowStore<K, V>,
  options: { recordTimestampMs?: () => number } = {},
): ChangelogRecord[] {
  const log: ChangelogRecord[] = [];
  store.init({
    applicationId: "app",
    partition: 0,
    stateDir: undefined,
    changelog: (record) => log.push(record),
    ...(options.recordTimestampMs === undefined ? {} : { recordTimestampMs: options.recordTimestampMs }),
  });
  return log;
}

function rows<K, V>(entries: Iterable<KeyValue<Windowed<K>, V>>): [K, number, number, V][] {
  return [...entries].map(({ key, value }) => [key.key, key.window.startMs, key.window.endMs, value]);
}

function store(options: { retentionMs?: number; windowSizeMs?: number; retainDuplicates?: boolean } = {}) {
  return new InMemoryWindowStore({
    name: "w",
    retentionMs: options.retentionMs ?? 100,
    windowSizeMs: options.windowSizeMs ?? 10,
    retainDuplicates: options.retainDuplicates ?? false,
    keySerde: stringSerde,
    valueSerde: longSerde,
  });
}

describe("InMemoryWindowStore reads", () => {
  test("put, fetch, delete; windows carry start + window size as end", () => {
    const s = store();
    logged(s);
    s.put("a", 1, 0);
    s.put("a", 2, 10);
    s.put("b", 3, 10);
    assert.equal(s.fetch("a", 0), 1);
    assert.equal(s.fetch("a", 5), undefined);
    assert.deepEqual(rows(s.fetchRange("a", 0, 10)), [
      ["a", 0, 10, 1],
      ["a", 10, 20, 2],
    ]);
    assert.deepEqual(rows(s.backwardFetchRange("a", 0, 10)), [
      ["a", 10, 20, 2],
      ["a", 0, 10, 1],
    ]);
    s.put("a", undefined, 10);
    assert.equal(s.fetch("a", 10), undefined);
    assert.deepEqual(rows(s.all()), [
      ["a", 0, 10, 1],
      ["b", 10, 20, 3],
    ]);
  });

  test("fetchAll: by window start, then key bytes unsigned and shorter first (Kafka's Bytes order)", () => {
    const s = new InMemoryWindowStore({
      name: "w",
      retentionMs: 100,
      windowSizeMs: 10,
      keySerde: bytesSerde,
      valueSerde: longSerde,
    });
    logged(s);
    const k = (...b: number[]) => new Uint8Array(b);
    s.put(k(0x80), 1, 5);
    s.put(k(0x01, 0x02), 2, 5);
    s.put(k(0x01), 3, 5);
    s.put(k(0xff), 4, 0);
    assert.deepEqual(
      [...s.fetchAll(0, 5)].map((kv) => [hex(kv.key.key), kv.key.window.startMs, kv.value]),
      [
        ["ff", 0, 4],
        ["01", 5, 3],
        ["0102", 5, 2],
        ["80", 5, 1],
      ],
    );
    assert.deepEqual(
      [...s.backwardFetchAll(0, 5)].map((kv) => hex(kv.key.key)),
      ["80", "0102", "01", "ff"],
    );
    assert.deepEqual([...s.fetchAll(1, 4)], []);
  });
});

describe("InMemoryWindowStore retention", () => {
  test("windows starting at or before (largest start put − retention) are gone; puts to them are dropped", () => {
    const s = store({ retentionMs: 20 });
    const log = logged(s);
    s.put("a", 1, 0);
    s.put("a", 2, 19);
    assert.equal(s.fetch("a", 0), 1); // 0 > 19 − 20
    s.put("a", 3, 20); // observed 20: start 0 ≤ 20 − 20 expires
    assert.equal(s.fetch("a", 0), undefined);
    assert.deepEqual(
      rows(s.all()).map((r) => r[1]),
      [19, 20],
    );
    s.put("a", 4, 0); // expired on arrival: dropped, still logged as Kafka's logging layer does
    assert.equal(s.expiredRecordsDropped, 1);
    assert.equal(s.fetch("a", 0), undefined);
    assert.equal(log.length, 4);
    assert.equal(s.observedStreamTime, 20);
    assert.deepEqual(
      rows(s.fetchRange("a", 0, 100)).map((r) => r[1]),
      [19, 20],
    );
  });
});

describe("InMemoryWindowStore duplicates (stream-stream join buffers)", () => {
  test("every put is kept, in order, with its own sequence number in the changelog key", () => {
    const s = store({ retainDuplicates: true });
    const log = logged(s);
    s.put("a", 1, 5);
    s.put("a", 1, 5);
    s.put("a", 2, 5);
    s.put("a", undefined, 5); // a no-op with duplicates, as in Kafka (still logged)
    assert.deepEqual(
      rows(s.fetchRange("a", 0, 10)).map((r) => r[3]),
      [1, 1, 2],
    );
    assert.deepEqual(
      rows(s.backwardFetchRange("a", 0, 10)).map((r) => r[3]),
      [2, 1, 1],
    );
    assert.equal(s.fetch("a", 5), undefined); // no single value, as Kafka's fetch(key, time)
    const a = new TextEncoder().encode("a");
    assert.deepEqual(
      log.map((r) => hex(r.key)),
      [1, 2, 3, 4].map((seq) => hex(windowStoreKeyBytes(a, 5, seq))),
    );
    assert.equal(log[3]?.value, null);
  });
});

describe("InMemoryWindowStore changelog", () => {
  test("Kafka's window-store bytes; stamped with the record being processed, else the window start", () => {
    const s = store();
    let nowMs = 77;
    const log = logged(s, { recordTimestampMs: () => nowMs });
    s.put("a", 1, 10);
    nowMs = 78;
    s.put("a", undefined, 10);
    assert.deepEqual(
      log.map((r) => [hex(r.key), r.value === null ? null : hex(r.value), r.timestampMs]),
      [
        ["61000000000000000a00000000", "0000000000000001", 77],
        ["61000000000000000a00000000", null, 78],
      ],
    );
    const bare = store();
    const bareLog = logged(bare);
    bare.put("a", 1, 10);
    assert.equal(bareLog[0]?.timestampMs, 10);
  });

  test("timestamped store: the changelog holds the plain value with the aggregate's timestamp (Kafka's format)", () => {
    const s = new InMemoryTimestampedWindowStore({
      name: "w",
      retentionMs: 100,
      windowSizeMs: 10,
      keySerde: stringSerde,
      valueSerde: longSerde,
    });
    const log = logged(s, { recordTimestampMs: () => 99 });
    s.put("a", { value: 5, timestampMs: 12 }, 10);
    s.put("a", undefined, 10);
    assert.deepEqual(
      log.map((r) => [r.value === null ? null : hex(r.value), r.timestampMs]),
      [
        ["0000000000000005", 12],
        [null, 99],
      ],
    );
    const fresh = new InMemoryTimestampedWindowStore({
      name: "w",
      retentionMs: 100,
      windowSizeMs: 10,
      keySerde: stringSerde,
      valueSerde: longSerde,
    });
    fresh.restore(log.slice(0, 1));
    assert.deepEqual(fresh.fetch("a", 10), { value: 5, timestampMs: 12 });
  });

  type Op = { key: string; startMs: number; value: number | undefined };
  const ops = fc.array(
    fc.record({
      key: fc.constantFrom("a", "b", "c", "ab", ""),
      startMs: fc.integer({ min: 0, max: 200 }),
      value: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    }),
    { maxLength: 80 },
  );

  for (const retainDuplicates of [false, true]) {
    test(`restore from the changelog gives the same store (${retainDuplicates ? "duplicates" : "plain"}, property)`, () => {
      fc.assert(
        fc.property(ops, fc.integer({ min: 10, max: 150 }), (operations: Op[], retentionMs) => {
          const original = store({ retentionMs, retainDuplicates });
          const log = logged(original);
          for (const op of operations) original.put(op.key, op.value, op.startMs);
          const restored = store({ retentionMs, retainDuplicates });
          // In batches, as the runtime restores.
          for (let i = 0; i < log.length; i += 7) restored.restore(log.slice(i, i + 7));
          assert.deepEqual(rows(restored.all()), rows(original.all()));
          assert.equal(restored.observedStreamTime, original.observedStreamTime);
        }),
      );
    });
  }

  test("reads match a reference model of Kafka's store (property)", () => {
    fc.assert(
      fc.property(
        ops,
        fc.integer({ min: 10, max: 150 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        (operations: Op[], retentionMs, from, to) => {
          const s = store({ retentionMs });
          logged(s);
          const model = new Map<string, number>(); // `${start}\u0000${key}` → value
          let observed = -1;
          for (const op of operations) {
            s.put(op.key, op.value, op.startMs);
            observed = Math.max(observed, op.startMs);
            if (op.startMs <= observed - retentionMs) continue;
            const id = `${op.startMs}\u0000${op.key}`;
            if (op.value === undefined) model.delete(id);
            else model.set(id, op.value);
          }
          const live = [...model]
            .map(([id, value]) => {
              const [start, key] = id.split("\u0000") as [string, string];
              return [key, Number(start), Number(start) + 10, value] as [string, number, number, number];
            })
            .filter(([, start]) => start > observed - retentionMs)
            .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
          assert.deepEqual(rows(s.all()), live);
          assert.deepEqual(
            rows(s.fetchAll(from, to)),
            live.filter(([, start]) => start >= from && start <= to),
          );
          assert.deepEqual(
            rows(s.fetchRange("a", from, to)),
            live.filter(([key, start]) => key === "a" && start >= from && start <= to),
          );
          for (const [key, start, , value] of live) assert.equal(s.fetch(key, start), value);
        },
      ),
    );
  });
});

describe("window store builders", () => {
  test("Kafka's windowed changelog configs: compact,delete and retention + 1 day; overridable; logging off", () => {
    const builder = inMemoryWindowStore({
      name: "w",
      retentionMs: 60_000,
      windowSizeMs: 10_000,
      keySerde: stringSerde,
      valueSerde: longSerde,
    });
    assert.equal(builder.logged, true);
    assert.deepEqual(builder.changelogConfigs, {
      "message.timestamp.type": "CreateTime",
      "cleanup.policy": "compact,delete",
      "retention.ms": "86460000",
    });
    assert.equal(builder.withLoggingEnabled({ "retention.ms": "5" }).changelogConfigs["retention.ms"], "5");
    const off = builder.withLoggingDisabled();
    assert.equal(off.logged, false);
    assert.deepEqual(off.changelogConfigs, {});
    const built = inMemoryTimestampedWindowStore({
      name: "t",
      retentionMs: 10,
      windowSizeMs: 10,
      keySerde: stringSerde,
      valueSerde: longSerde,
    }).build();
    assert.ok(built instanceof InMemoryTimestampedWindowStore);
    assert.notEqual(builder.build(), builder.build()); // a store per task
  });

  test("options are checked when the builder is made", () => {
    assert.throws(
      () =>
        inMemoryWindowStore({
          name: "w",
          retentionMs: 5,
          windowSizeMs: 10,
          keySerde: stringSerde,
          valueSerde: longSerde,
        }),
      RangeError,
    );
    assert.throws(
      () =>
        inMemoryWindowStore({
          name: "w",
          retentionMs: -1,
          windowSizeMs: 0,
          keySerde: stringSerde,
          valueSerde: longSerde,
        }),
      RangeError,
    );
  });
});

describe("InMemoryWindowStore stored bytes", () => {
  test("values read earlier never change: built-in serdes' bytes are overwritten in place, others replaced", () => {
    const counts = new InMemoryTimestampedWindowStore({
      name: "c",
      retentionMs: 100,
      windowSizeMs: 10,
      keySerde: Serdes.string(),
      valueSerde: Serdes.long(),
    });
    logged(counts);
    counts.put("k", { value: 1, timestampMs: 5 }, 0);
    const first = counts.fetch("k", 0);
    counts.put("k", { value: 2, timestampMs: 6 }, 0);
    assert.deepEqual(first, { value: 1, timestampMs: 5 });
    assert.deepEqual(counts.fetch("k", 0), { value: 2, timestampMs: 6 });

    // A serde that hands out views of the stored bytes: a later put of the same size must not show through.
    const views: Serde<Uint8Array> = { serialize: (v) => v, deserialize: (b) => b };
    const s = new InMemoryWindowStore({
      name: "v",
      retentionMs: 100,
      windowSizeMs: 10,
      keySerde: stringSerde,
      valueSerde: views,
    });
    logged(s);
    const input = new Uint8Array([1, 2, 3]);
    s.put("k", input, 0);
    input[0] = 9; // the caller's array is not the store's
    const read = s.fetch("k", 0);
    s.put("k", new Uint8Array([4, 5, 6]), 0);
    assert.deepEqual([...(read ?? [])], [1, 2, 3]);
    assert.deepEqual([...(s.fetch("k", 0) ?? [])], [4, 5, 6]);
  });

  test("only primitive keys' bytes are reused between calls: an object key is serialized every time", () => {
    const s = new InMemoryWindowStore<{ id: number }, number>({
      name: "o",
      retentionMs: 100,
      windowSizeMs: 10,
      keySerde: Serdes.json(),
      valueSerde: Serdes.long(),
    });
    logged(s);
    const key = { id: 1 };
    s.put(key, 10, 0);
    key.id = 2;
    s.put(key, 20, 0);
    assert.equal(s.fetch({ id: 1 }, 0), 10);
    assert.equal(s.fetch({ id: 2 }, 0), 20);
  });
});
