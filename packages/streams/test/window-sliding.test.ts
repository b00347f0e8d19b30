// Sliding window aggregation (Kafka's KStreamSlidingWindowAggregate): left and right windows made
// as records arrive, early records in [0, d], grace boundaries, emit-final, the forward-only path
// (stores without backward iteration) giving the same windows, and the windows' contents against
// a brute-force model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Serde } from "../src/serdes.ts";
import fc from "fast-check";
import { EmitStrategy, SlidingWindows } from "../src/dsl/windows.ts";
import { InMemoryTimestampedWindowStore } from "../src/state/in-memory-window-store.ts";
import type { WindowStore } from "../src/state/store.ts";
import type { ValueAndTimestamp } from "../src/state/window-key-schema.ts";
import {
  SlidingWindowAggregateProcessor,
  defaultSlidingRetentionMs,
} from "../src/processors/sliding-window-aggregate.ts";
import { aggregateAggregation, countAggregation, type Aggregation } from "../src/processors/window-aggregation.ts";
import { jsonSerde, longSerde, ProcessorDriver, rows, stringSerde } from "./window-harness.ts";

function setup<VAgg>(options: {
  windows: SlidingWindows;
  aggregation: Aggregation<string, number, VAgg>;
  valueSerde: Serde<VAgg>;
  emitFinal?: boolean;
  retentionMs?: number;
  forwardOnly?: boolean;
}) {
  const inner = new InMemoryTimestampedWindowStore({
    name: "store",
    retentionMs: options.retentionMs ?? defaultSlidingRetentionMs(options.windows),
    windowSizeMs: options.windows.timeDifferenceMs,
    keySerde: stringSerde,
    valueSerde: options.valueSerde,
  });
  // A store that cannot iterate backward: the processor takes Kafka's in-order path.
  const store: WindowStore<string, ValueAndTimestamp<VAgg>> = options.forwardOnly === true
    ? {
        name: inner.name,
        persistent: false,
        retentionMs: inner.retentionMs,
        init: (c) => inner.init(c),
        restore: (r) => inner.restore(r),
        restoredOffset: () => undefined,
        checkpoint: () => undefined,
        flush: () => undefined,
        close: () => inner.close(),
        put: (k, v, s) => inner.put(k, v, s),
        fetch: (k, s) => inner.fetch(k, s),
        fetchRange: (k, f, t) => inner.fetchRange(k, f, t),
        fetchAll: (f, t) => inner.fetchAll(f, t),
        all: () => inner.all(),
      }
    : inner;
  const processor = new SlidingWindowAggregateProcessor<string, number, VAgg>({
    windows: options.windows,
    storeName: "store",
    aggregation: options.aggregation,
    emitStrategy: options.emitFinal === true ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate(),
    emitIntervalMs: 0,
  });
  return { store: inner, processor, driver: new ProcessorDriver(processor, [store]) };
}

const timestamps = aggregateAggregation<string, number, number[]>(
  () => [],
  (_key, value, aggregate) => [...aggregate, value].sort((a, b) => a - b),
);

function windowsOf(store: InMemoryTimestampedWindowStore<string, number[]>): [number, number[]][] {
  return [...store.all()].map((kv) => [kv.key.window.startMs, kv.value.value]);
}

describe("sliding windows", () => {
  test("in order: each record's left window, and the previous record's right window once a record is in it", () => {
    const { driver, store } = setup({
      windows: SlidingWindows.ofTimeDifferenceWithNoGrace(10),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
      retentionMs: 1_000,
    });
    assert.deepEqual(
      rows(driver.pipe("a", 10, 10)).map((r) => [r.start, r.end, r.value]),
      [[0, 10, [10]]],
    );
    assert.deepEqual(
      rows(driver.pipe("a", 15, 15)).map((r) => [r.start, r.end, r.value]),
      [
        [11, 21, [15]], // right window of 10
        [5, 15, [10, 15]], // left window of 15, seeded with 10's
      ],
    );
    driver.pipe("a", 30, 30); // more than d after 15: its left window holds it alone
    assert.deepEqual(windowsOf(store), [
      [0, [10]],
      [5, [10, 15]],
      [11, [15]],
      [20, [30]],
    ]);
  });

  test("out of order: a record updates the windows it falls into and gets its own left and right windows", () => {
    const { driver, store } = setup({
      windows: SlidingWindows.ofTimeDifferenceAndGrace(10, 50),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
    });
    driver.pipe("a", 20, 20);
    driver.pipe("a", 25, 25);
    driver.pipe("a", 22, 22);
    assert.deepEqual(windowsOf(store), [
      [10, [20]],
      [12, [20, 22]], // left window of 22
      [15, [20, 22, 25]],
      [21, [22, 25]], // right window of 20, updated with 22
      [23, [25]], // right window of 22
    ]);
  });

  test("early records (t < d) go to the combined window [0, d]", () => {
    const { driver, store } = setup({
      windows: SlidingWindows.ofTimeDifferenceAndGrace(10, 20),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
    });
    driver.pipe("a", 5, 5);
    driver.pipe("a", 2, 2);
    assert.deepEqual(windowsOf(store), [
      [0, [2, 5]],
      [3, [5]], // right window of 2
    ]);
  });

  test("grace: windows ending before stream time − grace are closed; a record after t + d is too is dropped", () => {
    const { driver, processor } = setup({
      windows: SlidingWindows.ofTimeDifferenceAndGrace(5, 3),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
      retentionMs: 1_000,
    });
    driver.pipe("a", 18, 18); // close time 15
    // Its left window [10,15] ends at the close time: still open.
    assert.deepEqual(
      rows(driver.pipe("a", 15, 15)).map((r) => [r.start, r.end, r.value]),
      [
        [13, 18, [15, 18]],
        [10, 15, [15]],
        [16, 21, [18]], // its right window
      ],
    );
    // 14: its left window [9,14] has closed (dropped, counted), but the open windows holding 14 take
    // it, and its right window is made.
    assert.deepEqual(
      rows(driver.pipe("a", 14, 14)).map((r) => [r.start, r.end, r.value]),
      [
        [13, 18, [14, 15, 18]],
        [10, 15, [14, 15]],
        [15, 20, [15, 18]],
      ],
    );
    assert.equal(processor.droppedRecords, 1);
    assert.deepEqual(driver.pipe("a", 9, 9), []); // 9 + 5 < 15: dropped before anything
    assert.equal(processor.droppedRecords, 2);
  });

  test("emit-final: a window once, when its end is before stream time − grace", () => {
    const { driver } = setup({
      windows: SlidingWindows.ofTimeDifferenceAndGrace(5, 2),
      aggregation: timestamps,
      valueSerde: jsonSerde<number[]>(),
      emitFinal: true,
    });
    assert.deepEqual(driver.pipe("a", 10, 10), []);
    assert.deepEqual(driver.pipe("a", 12, 12), []);
    // Close time 16: windows ending before it.
    assert.deepEqual(
      rows(driver.pipe("a", 18, 18)).map((r) => [r.start, r.end, r.value]),
      [
        [5, 10, [10]],
        [7, 12, [10, 12]],
      ],
    );
    assert.deepEqual(
      rows(driver.pipe("a", 30, 30)).map((r) => [r.start, r.end, r.value]),
      [
        [11, 16, [12]], // the right window of 10
        [13, 18, [18]], // the left window of 18 (and right window of 12)
      ],
    );
  });

  test("records with a null value are skipped (Kafka's sliding windows do)", () => {
    const { driver, processor } = setup({
      windows: SlidingWindows.ofTimeDifferenceWithNoGrace(5),
      aggregation: countAggregation<string, number>(),
      valueSerde: longSerde,
    });
    (driver as unknown as ProcessorDriver<string, number | null, unknown, unknown>).pipe("a", null, 1);
    assert.equal(processor.droppedRecords, 1);
  });
});

describe("sliding windows against a brute-force model (property)", () => {
  const records = fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 30 });

  test("every window holds exactly the records within it; the windows are Kafka's left and right windows", () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 15 }), (input, difference) => {
        // Grace and retention large enough that nothing is dropped or expires.
        const windows = SlidingWindows.ofTimeDifferenceAndGrace(difference, 1_000);
        const { driver, store } = setup({
          windows,
          aggregation: timestamps,
          valueSerde: jsonSerde<number[]>(),
          retentionMs: 10_000,
        });
        for (const ts of input) driver.pipe("a", ts, ts);
        const stored = windowsOf(store);
        for (const [start, contents] of stored) {
          const expected = input.filter((ts) => ts >= start && ts <= start + difference).sort((a, b) => a - b);
          assert.deepEqual(contents, expected, `window [${start}, ${start + difference}]`);
        }
        const expectedStarts = new Set<number>();
        for (const t of input) {
          expectedStarts.add(Math.max(0, t - difference)); // left window (the combined [0, d] for early records)
          if (input.some((other) => other > t && other <= t + 1 + difference)) expectedStarts.add(t + 1); // right window
        }
        assert.deepEqual(
          stored.map(([start]) => start),
          [...expectedStarts].sort((a, b) => a - b),
        );
      }),
    );
  });

  // Not with early records (t < d) nor with late ones: after the combined window [0, d], or after a
  // record whose left window was dropped, Kafka's backward path can skip a right window the in-order
  // path makes (golden cases sliding-early-right-window and sliding-late-right-window).
  test("the forward-only path (stores without backward iteration) makes the same windows", () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 15 }), (times, difference) => {
        const grace = 1_000;
        const input = times.map((ts) => ts + difference);
        const windows = SlidingWindows.ofTimeDifferenceAndGrace(difference, grace);
        const reverse = setup({ windows, aggregation: timestamps, valueSerde: jsonSerde<number[]>() });
        const forward = setup({
          windows,
          aggregation: timestamps,
          valueSerde: jsonSerde<number[]>(),
          forwardOnly: true,
        });
        for (const ts of input) {
          reverse.driver.pipe("a", ts, ts);
          forward.driver.pipe("a", ts, ts);
        }
        assert.deepEqual(windowsOf(forward.store), windowsOf(reverse.store));
        assert.equal(forward.processor.droppedRecords, reverse.processor.droppedRecords);
      }),
    );
  });
});
