// Session window aggregation (Kafka's KStreamSessionWindowAggregate): sessions made, extended and
// merged as records arrive (exactly-gap boundaries), merged-away sessions deleted downstream, late
// records, emit-final, and the sessions against a brute-force model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Serde } from "../src/serdes.ts";
import fc from "fast-check";
import { EmitStrategy, SessionWindows } from "../src/dsl/windows.ts";
import { InMemorySessionStore } from "../src/state/in-memory-session-store.ts";
import {
  defaultSessionRetentionMs,
  SessionWindowAggregateProcessor,
} from "../src/processors/session-window-aggregate.ts";
import {
  sessionAggregateAggregation,
  sessionCountAggregation,
  type DroppedRecord,
  type SessionAggregation,
} from "../src/processors/window-aggregation.ts";
import { jsonSerde, longSerde, ProcessorDriver, rows, stringSerde } from "./window-harness.ts";

function setup<VAgg>(options: {
  windows: SessionWindows;
  aggregation: SessionAggregation<string, number, VAgg>;
  valueSerde: Serde<VAgg>;
  emitFinal?: boolean;
  sendOldValues?: boolean;
  retentionMs?: number;
  drops?: DroppedRecord[];
}) {
  const emitStrategy = options.emitFinal === true ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate();
  const store = new InMemorySessionStore({
    name: "store",
    retentionMs: options.retentionMs ?? defaultSessionRetentionMs(options.windows, emitStrategy),
    keySerde: stringSerde,
    valueSerde: options.valueSerde,
  });
  const processor = new SessionWindowAggregateProcessor<string, number, VAgg>({
    windows: options.windows,
    storeName: "store",
    aggregation: options.aggregation,
    emitStrategy,
    sendOldValues: options.sendOldValues ?? false,
    emitIntervalMs: 0,
    onDroppedRecord: (drop) => options.drops?.push(drop),
  });
  return { store, processor, driver: new ProcessorDriver(processor, [store]) };
}

/** The sorted timestamps of a session's records; merging concatenates. */
const timestamps = sessionAggregateAggregation<string, number, number[]>(
  () => [],
  (_key, value, aggregate) => [...aggregate, value].sort((a, b) => a - b),
  (_key, a, b) => [...a, ...b].sort((x, y) => x - y),
);

function sessionsOf(store: InMemorySessionStore<string, number[]>, key = "a"): [number, number, number[]][] {
  return [...store.fetch(key)].map((kv) => [kv.key.window.startMs, kv.key.window.endMs, kv.value]);
}

describe("session windows", () => {
  test("a record within the gap (inclusive) extends the session; one more ms starts a new one", () => {
    const { driver, store } = setup({
      windows: SessionWindows.ofInactivityGapWithNoGrace(5),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
      retentionMs: 1_000,
    });
    driver.pipe("a", 0, 0);
    driver.pipe("a", 5, 5); // exactly the gap: same session
    driver.pipe("a", 11, 11); // gap + 1: a new session
    assert.deepEqual(sessionsOf(store), [
      [0, 5, [0, 5]],
      [11, 11, [11]],
    ]);
  });

  test("a record inside a session: Kafka deletes and re-adds it; at a single-point session's time, just an update", () => {
    const { driver } = setup({
      windows: SessionWindows.ofInactivityGapWithNoGrace(5),
      aggregation: sessionCountAggregation<string, number>(),
      valueSerde: longSerde,
      sendOldValues: true,
    });
    driver.pipe("a", 0, 0);
    driver.pipe("a", 0, 4);
    assert.deepEqual(rows(driver.pipe("a", 0, 2), { withOld: true }), [
      { key: "a", start: 0, end: 4, value: undefined, old: 2, ts: 4 },
      { key: "a", start: 0, end: 4, value: 3, old: undefined, ts: 4 },
    ]);
    driver.pipe("b", 0, 7);
    assert.deepEqual(rows(driver.pipe("b", 0, 7), { withOld: true }), [
      { key: "b", start: 7, end: 7, value: 2, old: undefined, ts: 7 },
    ]);
  });

  test("a record bridging two sessions merges them (merger), deleting both downstream; updates carry no headers", () => {
    const { driver, store } = setup({
      windows: SessionWindows.ofInactivityGapAndGrace(5, 100),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
      sendOldValues: true,
    });
    driver.pipe("a", 0, 0);
    driver.pipe("a", 10, 10);
    driver.pipe("a", 20, 20);
    const out = driver.pipe("a", 15, 15, [["h", null]]); // within 5 of 10 and 20
    assert.deepEqual(rows(out, { withOld: true }), [
      { key: "a", start: 10, end: 10, value: undefined, old: [10], ts: 10 },
      { key: "a", start: 20, end: 20, value: undefined, old: [20], ts: 20 },
      { key: "a", start: 10, end: 20, value: [10, 15, 20], old: undefined, ts: 20 },
    ]);
    assert.deepEqual(out[2]?.headers, []);
    driver.pipe("a", 5, 5); // bridges [0,0] and [10,20]
    assert.deepEqual(sessionsOf(store), [[0, 20, [0, 5, 10, 15, 20]]]);
  });

  test("late: dropped when the merged session ends before stream time − gap − grace", () => {
    const drops: DroppedRecord[] = [];
    const { driver, processor } = setup({
      windows: SessionWindows.ofInactivityGapAndGrace(5, 3),
      aggregation: sessionCountAggregation<string, number>(),
      valueSerde: longSerde,
      retentionMs: 1_000, // Kafka's gap + grace would expire [12,12] at once (its end is stream time − 8)
      drops,
    });
    driver.pipe("a", 0, 20); // close time 12
    assert.equal(driver.pipe("b", 0, 12).length, 1); // [12,12]: 12 is not before 12, kept
    assert.equal(driver.pipe("b", 0, 11).length, 2); // 11 alone would be late, but merged into [11,12] it is not
    assert.equal(processor.droppedRecords, 0);
    driver.pipe("a", 0, 21); // close time 13
    assert.deepEqual(driver.pipe("c", 0, 12), []);
    assert.deepEqual(
      drops.map((d) => [d.reason, d.window, d.expirationMs]),
      [["expired-window", "[12,12]", 13]],
    );
  });

  test("emit-final: each session once, when stream time − gap − grace passes its end, timestamped with its end", () => {
    const { driver } = setup({
      windows: SessionWindows.ofInactivityGapAndGrace(5, 2),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
      emitFinal: true,
    });
    driver.pipe("a", 0, 0);
    driver.pipe("a", 3, 3);
    driver.pipe("b", 4, 4);
    assert.deepEqual(driver.pipe("a", 10, 10), []); // close time 3: [0,3] not yet (3 is not before 3)
    const out = driver.pipe("a", 11, 11, [["h", null]]); // close time 4: [0,3] closes
    assert.deepEqual(rows(out), [{ key: "a", start: 0, end: 3, value: [0, 3], ts: 3 }]);
    assert.deepEqual(out[0]?.headers, [["h", null]]);
    // A jump: [4,4] of b and [10,11] of a close, and the put expires them (Kafka loses both).
    assert.deepEqual(
      rows(driver.pipe("a", 100, 100)).map((r) => [r.key, r.start, r.end]),
      [
        ["b", 4, 4],
        ["a", 10, 11],
      ],
    );
  });
});

describe("session windows against a brute-force model (property)", () => {
  const records = fc.array(fc.record({ key: fc.constantFrom("a", "b"), ts: fc.integer({ min: 0, max: 100 }) }), {
    maxLength: 30,
  });

  test("sessions are the runs of each key's timestamps no more than the gap apart", () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 10 }), (input, gap) => {
        const { driver, store } = setup({
          windows: SessionWindows.ofInactivityGapAndGrace(gap, 1_000),
          aggregation: timestamps,
          valueSerde: jsonSerde<number[]>(),
          retentionMs: 10_000,
        });
        for (const { key, ts } of input) driver.pipe(key, ts, ts);
        for (const key of ["a", "b"]) {
          const sorted = input
            .filter((r) => r.key === key)
            .map((r) => r.ts)
            .sort((x, y) => x - y);
          const expected: [number, number, number[]][] = [];
          for (const ts of sorted) {
            const last = expected[expected.length - 1];
            if (last !== undefined && ts - last[1] <= gap) {
              last[1] = ts;
              last[2].push(ts);
            } else {
              expected.push([ts, ts, [ts]]);
            }
          }
          assert.deepEqual(sessionsOf(store, key), expected);
        }
      }),
    );
  });

  test("emit-final emits exactly the sessions that closed, each once, with their final aggregates", () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 10 }), (input, gap, grace) => {
        const windows = SessionWindows.ofInactivityGapAndGrace(gap, grace);
        // Every update, with the same store: the processor stores the same sessions in both modes.
        const retentionMs = defaultSessionRetentionMs(windows, EmitStrategy.onWindowClose());
        const updates = setup({ windows, aggregation: timestamps, valueSerde: jsonSerde<number[]>(), retentionMs });
        const final = setup({ windows, aggregation: timestamps, valueSerde: jsonSerde<number[]>(), emitFinal: true });
        const emitted: string[] = [];
        let streamTime = -1;
        for (const { key, ts } of input) {
          updates.driver.pipe(key, ts, ts);
          for (const r of rows(final.driver.pipe(key, ts, ts)))
            emitted.push(JSON.stringify([r.key, r.start, r.end, r.value]));
          streamTime = Math.max(streamTime, ts);
        }
        const closeTime = streamTime - gap - grace;
        // A closed session that a later record (within its gap, not late) reopened is emitted again
        // with its extension, as Kafka does: every session still stored and closed was emitted.
        const stored = [...updates.store.all()].map(
          (kv) => [kv.key.key, kv.key.window.startMs, kv.key.window.endMs, kv.value] as const,
        );
        const expected = stored.filter(([, , end]) => end < closeTime).map((s) => JSON.stringify(s));
        for (const session of expected)
          assert.ok(emitted.includes(session), `missing ${session} in ${emitted.join(" ")}`);
        assert.equal(new Set(emitted).size, emitted.length);
      }),
    );
  });
});
