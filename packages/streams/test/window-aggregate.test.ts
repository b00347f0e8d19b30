// Tumbling and hopping window aggregation (Kafka's KStreamWindowAggregate) driven through a fake
// ProcessorContext: updates with old values, grace boundaries, late and null records, headers,
// emit-final (once per window, throttled by wall-clock time, nothing lost when stream time jumps,
// resuming from processor metadata), and the final store against a brute-force model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Serde } from "../src/serdes.ts";
import fc from "fast-check";
import type { Headers } from "../src/record.ts";
import { EmitStrategy, TimeWindows } from "../src/dsl/windows.ts";
import { InMemoryTimestampedWindowStore } from "../src/state/in-memory-window-store.ts";
import { defaultWindowRetentionMs, WindowAggregateProcessor } from "../src/processors/window-aggregate.ts";
import {
  aggregateAggregation,
  countAggregation,
  reduceAggregation,
  type Aggregation,
  type DroppedRecord,
} from "../src/processors/window-aggregation.ts";
import type { Windowed } from "../src/state/store.ts";
import type { Change } from "../src/processors/window-aggregation.ts";
import { FakeContext, jsonSerde, longSerde, ProcessorDriver, rows, stringSerde } from "./window-harness.ts";

function setup<V, VAgg>(options: {
  windows: TimeWindows;
  aggregation: Aggregation<string, V, VAgg>;
  valueSerde: Serde<VAgg>;
  emitFinal?: boolean;
  sendOldValues?: boolean;
  emitIntervalMs?: number;
  retentionMs?: number;
  skipNullValues?: boolean;
  drops?: DroppedRecord[];
}) {
  const store = new InMemoryTimestampedWindowStore({
    name: "store",
    retentionMs: options.retentionMs ?? defaultWindowRetentionMs(options.windows),
    windowSizeMs: options.windows.sizeMs,
    keySerde: stringSerde,
    valueSerde: options.valueSerde,
  });
  const processor = new WindowAggregateProcessor<string, V, VAgg>({
    windows: options.windows,
    storeName: "store",
    aggregation: options.aggregation,
    emitStrategy: options.emitFinal === true ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate(),
    sendOldValues: options.sendOldValues ?? false,
    emitIntervalMs: options.emitIntervalMs ?? 0,
    skipNullValues: options.skipNullValues ?? false,
    onDroppedRecord: (drop) => options.drops?.push(drop),
  });
  return { store, processor, driver: new ProcessorDriver(processor, [store]) };
}

const concat = aggregateAggregation<string, string, string>(
  () => "",
  (_key, value, aggregate) => aggregate + value,
);

describe("tumbling and hopping windows, every update", () => {
  test("updates carry the window, the aggregate, the latest timestamp and (when asked) old values", () => {
    const { driver } = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: concat,
      valueSerde: stringSerde,
      sendOldValues: true,
    });
    assert.deepEqual(rows(driver.pipe("a", "x", 3), { withOld: true }), [
      { key: "a", start: 0, end: 10, value: "x", old: "", ts: 3 },
    ]);
    assert.deepEqual(rows(driver.pipe("a", "y", 1), { withOld: true }), [
      { key: "a", start: 0, end: 10, value: "xy", old: "x", ts: 3 },
    ]);
    assert.deepEqual(rows(driver.pipe("a", "z", 10), { withOld: true }), [
      { key: "a", start: 10, end: 20, value: "z", old: "", ts: 10 },
    ]);
  });

  test("reduce sends no old value for a new window; count starts from 0", () => {
    const reduce = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: reduceAggregation<string, string>((a, b) => a + b),
      valueSerde: stringSerde,
      sendOldValues: true,
    });
    assert.deepEqual(rows(reduce.driver.pipe("a", "x", 1), { withOld: true })[0]?.old, undefined);
    const count = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: countAggregation<string, string>(),
      valueSerde: longSerde,
    });
    count.driver.pipe("a", "x", 1);
    assert.deepEqual(
      rows(count.driver.pipe("a", "x", 2)).map((r) => r.value),
      [2],
    );
  });

  test("hopping: a record updates every window it falls into, in start order", () => {
    const { driver } = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10).advanceBy(5),
      aggregation: concat,
      valueSerde: stringSerde,
    });
    assert.deepEqual(
      rows(driver.pipe("a", "x", 7)).map((r) => [r.start, r.value]),
      [
        [0, "x"],
        [5, "x"],
      ],
    );
    assert.deepEqual(
      rows(driver.pipe("a", "y", 12)).map((r) => [r.start, r.value]),
      [
        [5, "xy"],
        [10, "y"],
      ],
    );
  });

  test("grace boundary: a window closes exactly when stream time − grace reaches its end", () => {
    const drops: DroppedRecord[] = [];
    const { driver, processor } = setup({
      windows: TimeWindows.ofSizeAndGrace(10, 5),
      aggregation: concat,
      valueSerde: stringSerde,
      drops,
    });
    driver.pipe("a", "x", 14); // stream time 14: [0,10) open while 14 − 5 < 10
    assert.deepEqual(
      rows(driver.pipe("a", "late-ok", 9)).map((r) => [r.start, r.value]),
      [[0, "late-ok"]],
    );
    driver.pipe("a", "y", 15); // 15 − 5 = 10: [0,10) closed
    assert.deepEqual(driver.pipe("a", "too-late", 9), []);
    assert.equal(processor.droppedRecords, 1);
    assert.deepEqual(drops, [
      {
        reason: "expired-window",
        timestampMs: 9,
        window: "[0,10)",
        expirationMs: 10,
        metadata: { topic: "input", partition: 0, offset: 3 },
        streamTimeMs: 15,
      },
    ]);
  });

  test("hopping with a late record: only the windows still open are updated", () => {
    const { driver, processor } = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10).advanceBy(5),
      aggregation: concat,
      valueSerde: stringSerde,
    });
    driver.pipe("a", "x", 12);
    // 8 is in [0,10) (closed: 10 ≤ 12) and [5,15) (open).
    assert.deepEqual(
      rows(driver.pipe("a", "y", 8)).map((r) => r.start),
      [5],
    );
    assert.equal(processor.droppedRecords, 1);
  });

  test("null keys are skipped; null values reach the aggregation unless skipped (Kafka counts them)", () => {
    const drops: DroppedRecord[] = [];
    const count = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: countAggregation<string | null, string | null>(),
      valueSerde: longSerde,
      drops,
    });
    const driver = count.driver as unknown as ProcessorDriver<string | null, string | null, unknown, unknown>;
    assert.deepEqual(driver.pipe(null, "x", 1), []);
    assert.equal(driver.pipe("a", null, 2).length, 1);
    assert.deepEqual(
      drops.map((d) => d.reason),
      ["null-key"],
    );
    const skipping = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: countAggregation<string, string | null>(),
      valueSerde: longSerde,
      skipNullValues: true,
    });
    assert.deepEqual(skipping.driver.pipe("a", null, 2), []);
    assert.equal(skipping.processor.droppedRecords, 1);
  });

  test("updates keep the input record's headers", () => {
    const { driver } = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: concat,
      valueSerde: stringSerde,
    });
    const headers: Headers = [["h", new Uint8Array([1])]];
    assert.deepEqual(driver.pipe("a", "x", 1, headers)[0]?.headers, headers);
  });
});

describe("tumbling and hopping windows, emit-final", () => {
  test("each window once, when stream time − grace passes its end: by start, then key; latest record's timestamp", () => {
    const { driver } = setup({
      windows: TimeWindows.ofSizeAndGrace(10, 2),
      aggregation: concat,
      valueSerde: stringSerde,
      emitFinal: true,
    });
    assert.deepEqual(driver.pipe("b", "1", 3), []);
    assert.deepEqual(driver.pipe("a", "2", 5), []);
    assert.deepEqual(driver.pipe("a", "3", 11), []);
    assert.deepEqual(driver.pipe("a", "4", 9), []); // within grace
    const headers: Headers = [["trigger", null]];
    const emitted = driver.pipe("c", "5", 12, headers); // 12 − 2 = 10: [0,10) closes
    assert.deepEqual(rows(emitted), [
      { key: "a", start: 0, end: 10, value: "24", ts: 9 },
      { key: "b", start: 0, end: 10, value: "1", ts: 3 },
    ]);
    assert.deepEqual(emitted[0]?.headers, headers);
    assert.deepEqual(driver.pipe("a", "6", 13), []); // nothing new closed
    assert.deepEqual(
      rows(driver.pipe("a", "7", 40)).map((r) => [r.key, r.start, r.value]),
      [
        ["a", 10, "36"],
        ["c", 10, "5"],
      ],
    );
  });

  test("a stream-time jump past end + grace + size still emits (Kafka's store expires such windows first)", () => {
    const { driver } = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: concat,
      valueSerde: stringSerde,
      emitFinal: true,
    });
    driver.pipe("a", "x", 1);
    driver.pipe("b", "y", 8);
    driver.pipe("a", "z", 9);
    // Stream time 100 closes [0,10) — and the put at 100 (retention 10) expires it from the store.
    assert.deepEqual(
      rows(driver.pipe("a", "w", 100)).map((r) => [r.key, r.start, r.value]),
      [
        ["a", 0, "xz"],
        ["b", 0, "y"],
      ],
    );
  });

  test("the throttle: closed windows are looked for at most once per emit interval of wall-clock time", () => {
    const { driver } = setup({
      windows: TimeWindows.ofSizeWithNoGrace(10),
      aggregation: concat,
      valueSerde: stringSerde,
      emitFinal: true,
      emitIntervalMs: 1_000,
      retentionMs: 1_000,
    });
    driver.pipe("a", "x", 1); // takes the first emit slot (nothing closed)
    assert.deepEqual(driver.pipe("a", "y", 15), []); // [0,10) closed, but throttled
    driver.context.systemTimeMs = 999;
    assert.deepEqual(driver.pipe("a", "z", 16), []);
    driver.context.systemTimeMs = 1_000;
    assert.deepEqual(
      rows(driver.pipe("a", "w", 17)).map((r) => r.start),
      [0],
    );
  });

  test("the emit interval comes from the application config (appConfigs())", () => {
    const run = (configs: Record<string, string> | undefined) => {
      const store = new InMemoryTimestampedWindowStore({
        name: "s",
        retentionMs: 1_000,
        windowSizeMs: 10,
        keySerde: stringSerde,
        valueSerde: stringSerde,
      });
      const context = new FakeContext<Windowed<string>, Change<string>>();
      context.addStore(store);
      if (configs !== undefined) context.configs = configs;
      const processor = new WindowAggregateProcessor<string, string, string>({
        windows: TimeWindows.ofSizeWithNoGrace(10),
        storeName: "s",
        aggregation: concat,
        emitStrategy: EmitStrategy.onWindowClose(), // no emitIntervalMs: ask the context
      });
      processor.init(context);
      processor.process({ key: "a", value: "x", timestampMs: 1, headers: [] });
      processor.process({ key: "a", value: "y", timestampMs: 15, headers: [] });
      return context.drain().length;
    };
    assert.equal(run({ "__emit.interval.ms.kstreams.windowed.aggregation__": "0" }), 1);
    assert.equal(run(undefined), 0); // Kafka's default: 1 s of wall-clock time between looks
  });

  test("resumes after the close time saved in processor metadata (no re-emits after a restart)", () => {
    const run = (saved: Map<string, number> | undefined) => {
      const store = new InMemoryTimestampedWindowStore({
        name: "store",
        retentionMs: 100,
        windowSizeMs: 10,
        keySerde: stringSerde,
        valueSerde: stringSerde,
      });
      const context = new FakeContext<Windowed<string>, Change<string>>();
      context.addStore(store);
      if (saved !== undefined) {
        Object.assign(context, {
          processorMetadataForKey: (key: string) => saved.get(key),
          addProcessorMetadataKeyValue: (key: string, value: number) => saved.set(key, value),
        });
      }
      // The restored store still holds [0,10), emitted before the restart (at close time 15).
      store.put("a", { value: "old", timestampMs: 3 }, 0);
      const processor = new WindowAggregateProcessor<string, string, string>({
        windows: TimeWindows.ofSizeAndGrace(10, 5),
        storeName: "store",
        aggregation: concat,
        emitStrategy: EmitStrategy.onWindowClose(),
        emitIntervalMs: 0,
      });
      processor.init(context);
      const pipe = (value: string, timestampMs: number) => {
        processor.process({ key: "a", value, timestampMs, headers: [] });
        return rows(context.drain()).map((r) => [r.start, r.value]);
      };
      return { pipe };
    };
    const saved = new Map([["store", 15]]);
    const resumed = run(saved);
    assert.deepEqual(resumed.pipe("x", 26), []); // [0,10) was emitted before the restart
    assert.equal(saved.get("store"), 21);
    assert.deepEqual(resumed.pipe("y", 40), [[20, "x"]]);
    // Without the metadata (a runner that does not keep it), the restored window is emitted again.
    assert.deepEqual(run(undefined).pipe("x", 26), [[0, "old"]]);
  });
});

describe("against a brute-force model (property)", () => {
  const records = fc.array(
    fc.record({
      key: fc.constantFrom("a", "b", "c"),
      ts: fc.integer({ min: 0, max: 120 }),
      value: fc.integer({ min: 0, max: 99 }),
    }),
    { maxLength: 40 },
  );
  const spec = fc
    .integer({ min: 1, max: 20 })
    .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 1, max: size }), fc.integer({ min: 0, max: 30 })));

  test("every window holds exactly the accepted records that fall into it; late ones are dropped", () => {
    fc.assert(
      fc.property(records, spec, (input, [size, advance, grace]) => {
        const windows = TimeWindows.of({ sizeMs: size, advanceMs: advance, graceMs: grace });
        const list = aggregateAggregation<string, number, number[]>(
          () => [],
          (_key, value, aggregate) => [...aggregate, value],
        );
        const { driver, store } = setup({
          windows,
          aggregation: list,
          valueSerde: jsonSerde<number[]>(),
          retentionMs: 10_000,
        });
        const model = new Map<string, { value: number[]; ts: number }>();
        let streamTime = -1;
        let dropped = 0;
        for (const { key, ts, value } of input) {
          driver.pipe(key, value, ts);
          streamTime = Math.max(streamTime, ts);
          for (const [start, window] of windows.windowsFor(ts)) {
            if (window.endMs <= streamTime - grace) {
              dropped += 1;
              continue;
            }
            const id = `${start}/${key}`;
            const current = model.get(id);
            model.set(id, { value: [...(current?.value ?? []), value], ts: Math.max(current?.ts ?? ts, ts) });
          }
        }
        const expected = [...model]
          .map(([id, { value, ts }]) => {
            const [start, key] = id.split("/") as [string, string];
            return { key, start: Number(start), value, ts };
          })
          .sort((x, y) => x.start - y.start || (x.key < y.key ? -1 : 1));
        assert.deepEqual(
          [...store.all()].map((kv) => ({
            key: kv.key.key,
            start: kv.key.window.startMs,
            value: kv.value.value,
            ts: kv.value.timestampMs,
          })),
          expected,
        );
        assert.equal(
          driver.processor instanceof WindowAggregateProcessor ? driver.processor.droppedRecords : -1,
          dropped,
        );
      }),
    );
  });

  test("emit-final emits each closed window once, with its final aggregate, and nothing still open", () => {
    fc.assert(
      fc.property(records, spec, (input, [size, advance, grace]) => {
        const windows = TimeWindows.of({ sizeMs: size, advanceMs: advance, graceMs: grace });
        const counting = setup({
          windows,
          aggregation: countAggregation<string, number>(),
          valueSerde: longSerde,
          retentionMs: 10_000,
        });
        const final = setup({
          windows,
          aggregation: countAggregation<string, number>(),
          valueSerde: longSerde,
          emitFinal: true,
        });
        const emitted: { key: string; start: number; value: number | undefined }[] = [];
        let streamTime = -1;
        for (const { key, ts, value } of input) {
          counting.driver.pipe(key, value, ts);
          for (const r of rows(final.driver.pipe(key, value, ts)))
            emitted.push({ key: r.key, start: r.start, value: r.value });
          streamTime = Math.max(streamTime, ts);
        }
        const expected = [...counting.store.all()]
          .filter((kv) => kv.key.window.endMs <= streamTime - grace)
          .map((kv) => ({ key: kv.key.key, start: kv.key.window.startMs, value: kv.value.value }));
        const byWindow = (x: { key: string; start: number }, y: { key: string; start: number }) =>
          x.start - y.start || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
        assert.deepEqual([...emitted].sort(byWindow), expected.sort(byWindow));
      }),
    );
  });
});
