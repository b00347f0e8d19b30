// The in-memory session store: finding sessions by key and time (Kafka's order: end, then start
// descending), by end time across keys, retention from the largest session end put, changelog
// records in Kafka's bytes, restore into a fresh store — against a reference model too.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ChangelogRecord, KeyValue, Windowed } from "../src/state/store.ts";
import { InMemorySessionStore, inMemorySessionStore } from "../src/state/in-memory-session-store.ts";
import { hex, longSerde, stringSerde } from "./window-harness.ts";

function store(retentionMs = 100): InMemorySessionStore<string, number> {
  return new InMemorySessionStore({ name: "s", retentionMs, keySerde: stringSerde, valueSerde: longSerde });
}

function logged(s: InMemorySessionStore<string, number>, recordTimestampMs?: () => number): ChangelogRecord[] {
  const log: ChangelogRecord[] = [];
  s.init({
    applicationId: "app",
    partition: 0,
    stateDir: undefined,
    changelog: (record) => log.push(record),
    ...(recordTimestampMs === undefined ? {} : { recordTimestampMs }),
  });
  return log;
}

function rows(entries: Iterable<KeyValue<Windowed<string>, number>>): [string, number, number, number][] {
  return [...entries].map(({ key, value }) => [key.key, key.window.startMs, key.window.endMs, value]);
}

const session = (key: string, startMs: number, endMs: number): Windowed<string> => ({
  key,
  window: { startMs, endMs },
});

describe("InMemorySessionStore reads", () => {
  test("findSessions: sessions ending at or after earliest end and starting at or before latest start", () => {
    const s = store();
    logged(s);
    s.put(session("a", 0, 5), 1);
    s.put(session("a", 10, 20), 2);
    s.put(session("a", 30, 30), 3);
    s.put(session("b", 12, 14), 4);
    // A record at 17 with gap 5 looks for sessions ending ≥ 12 and starting ≤ 22.
    assert.deepEqual(rows(s.findSessions("a", 12, 22)), [["a", 10, 20, 2]]);
    assert.deepEqual(rows(s.findSessions("a", 5, 30)), [
      ["a", 0, 5, 1],
      ["a", 10, 20, 2],
      ["a", 30, 30, 3],
    ]);
    assert.deepEqual(
      rows(s.backwardFindSessions("a", 5, 30)).map((r) => r[1]),
      [30, 10, 0],
    );
    assert.equal(s.fetchSession("a", 10, 20), 2);
    assert.equal(s.fetchSession("a", 10, 21), undefined);
    assert.deepEqual(rows(s.fetch("b")), [["b", 12, 14, 4]]);
    s.remove(session("a", 10, 20));
    assert.equal(s.fetchSession("a", 10, 20), undefined);
  });

  test("sessions with the same end: start descending (Kafka's in-memory order); by end time across keys", () => {
    const s = store();
    logged(s);
    s.put(session("a", 1, 10), 1);
    s.put(session("a", 5, 10), 2);
    s.put(session("b", 3, 10), 3);
    s.put(session("a", 0, 4), 4);
    assert.deepEqual(
      rows(s.fetch("a")).map((r) => [r[1], r[2]]),
      [
        [0, 4],
        [5, 10],
        [1, 10],
      ],
    );
    assert.deepEqual(rows(s.findSessionsByEndTime(5, 10)), [
      ["a", 5, 10, 2],
      ["a", 1, 10, 1],
      ["b", 3, 10, 3],
    ]);
    assert.deepEqual(rows(s.findSessionsByEndTime(0, 4)), [["a", 0, 4, 4]]);
  });
});

describe("InMemorySessionStore retention", () => {
  test("sessions ending at or before (largest end put − retention) are gone; puts of them are dropped", () => {
    const s = store(10);
    const log = logged(s);
    s.put(session("a", 0, 5), 1);
    s.put(session("a", 12, 14), 2);
    assert.equal(s.fetchSession("a", 0, 5), 1); // 5 > 14 − 10
    s.put(session("b", 15, 15), 3); // 5 ≤ 15 − 10: expired
    assert.equal(s.fetchSession("a", 0, 5), undefined);
    assert.deepEqual(rows(s.fetch("a")), [["a", 12, 14, 2]]);
    s.put(session("c", 0, 5), 4); // expired on arrival: dropped, still logged
    assert.equal(s.expiredRecordsDropped, 1);
    assert.deepEqual(rows(s.fetch("c")), []);
    assert.equal(log.length, 4);
  });
});

describe("InMemorySessionStore changelog", () => {
  test("Kafka's session-store bytes (key, end, start); removals are tombstones", () => {
    const s = store();
    const log = logged(s, () => 42);
    s.put(session("a", 5, 9), 7);
    s.remove(session("a", 5, 9));
    assert.deepEqual(
      log.map((r) => [hex(r.key), r.value === null ? null : hex(r.value), r.timestampMs]),
      [
        ["6100000000000000090000000000000005", "0000000000000007", 42],
        ["6100000000000000090000000000000005", null, 42],
      ],
    );
  });

  type Op = { remove: boolean; key: string; startMs: number; lengthMs: number; value: number };
  const ops = fc.array(
    fc.record({
      remove: fc.boolean(),
      key: fc.constantFrom("a", "b", "ab"),
      startMs: fc.integer({ min: 0, max: 200 }),
      lengthMs: fc.integer({ min: 0, max: 20 }),
      value: fc.integer({ min: 0, max: 1000 }),
    }),
    { maxLength: 80 },
  );

  test("restore from the changelog gives the same store (property)", () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 5, max: 100 }), (operations: Op[], retentionMs) => {
        const original = store(retentionMs);
        const log = logged(original);
        for (const op of operations) {
          const key = session(op.key, op.startMs, op.startMs + op.lengthMs);
          if (op.remove) original.remove(key);
          else original.put(key, op.value);
        }
        const restored = store(retentionMs);
        for (let i = 0; i < log.length; i += 5) restored.restore(log.slice(i, i + 5));
        assert.deepEqual(rows(restored.all()), rows(original.all()));
      }),
    );
  });

  test("reads match a reference model (property)", () => {
    fc.assert(
      fc.property(
        ops,
        fc.integer({ min: 5, max: 100 }),
        fc.integer({ min: 0, max: 220 }),
        fc.integer({ min: 0, max: 220 }),
        (operations: Op[], retentionMs, earliestEnd, latestStart) => {
          const s = store(retentionMs);
          logged(s);
          const model = new Map<string, [string, number, number, number]>();
          let observed = -1;
          for (const op of operations) {
            const endMs = op.startMs + op.lengthMs;
            const id = `${op.key}/${op.startMs}/${endMs}`;
            if (op.remove) {
              s.remove(session(op.key, op.startMs, endMs));
              model.delete(id);
              continue;
            }
            s.put(session(op.key, op.startMs, endMs), op.value);
            observed = Math.max(observed, endMs);
            if (endMs > observed - retentionMs) model.set(id, [op.key, op.startMs, endMs, op.value]);
          }
          const live = [...model.values()].filter(([, , end]) => end > observed - retentionMs);
          const expected = live
            .filter(([key, start, end]) => key === "a" && end >= earliestEnd && start <= latestStart)
            .sort((x, y) => x[2] - y[2] || y[1] - x[1]);
          assert.deepEqual(rows(s.findSessions("a", earliestEnd, latestStart)), expected);
          for (const [key, start, end, value] of live) assert.equal(s.fetchSession(key, start, end), value);
        },
      ),
    );
  });
});

describe("session store builder", () => {
  test("windowed changelog configs, logging can be turned off", () => {
    const builder = inMemorySessionStore({
      name: "s",
      retentionMs: 1_000,
      keySerde: stringSerde,
      valueSerde: longSerde,
    });
    assert.deepEqual(builder.changelogConfigs, {
      "message.timestamp.type": "CreateTime",
      "cleanup.policy": "compact,delete",
      "retention.ms": String(1_000 + 86_400_000),
    });
    assert.equal(builder.withLoggingDisabled().logged, false);
    assert.ok(builder.build() instanceof InMemorySessionStore);
    assert.throws(
      () => inMemorySessionStore({ name: "s", retentionMs: -1, keySerde: stringSerde, valueSerde: longSerde }),
      RangeError,
    );
  });
});
