// The TopologyTestDriver itself: input and output topics, simulated time, partitions, routing of
// internal topics, determinism.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { partitionForKey } from "../src/murmur2.ts";
import type { ProcessorContext } from "../src/processor.ts";
import { Serdes } from "../src/serdes.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";
import { Topology } from "../src/topology/topology.ts";

const strings = { key: Serdes.string(), value: Serdes.string() };
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

const copy = (): Topology => {
  const b = new StreamsBuilder({ logger: silentLogger });
  b.stream("in", strings).to("out", strings);
  return b.build();
};

describe("TopologyTestDriver", () => {
  test("input topics: explicit timestamps, auto-advancing time, headers, lists", () => {
    const driver = new TopologyTestDriver(copy());
    const input = driver.createInputTopic("in", { ...strings, startTimestampMs: 100, autoAdvanceMs: 10 });
    const output = driver.createOutputTopic("out", strings);
    input.pipeInput("a", "1");
    input.pipeInput("b", "2");
    input.pipeInput("c", "3", 5);
    input.advanceTime(100);
    input.pipeInput("d", "4", { headers: [["trace", encode("t1")]] });
    input.pipeValueList(["5"]);
    input.pipeRecordList([{ key: "f", value: "6", timestampMs: 1 }]);
    input.pipeKeyValueList([{ key: "g", value: null }]);
    const records = output.readRecordsToList();
    assert.deepEqual(
      records.map((r) => [r.key, r.value, r.timestampMs]),
      [
        ["a", "1", 100],
        ["b", "2", 110],
        ["c", "3", 5],
        ["d", "4", 220],
        [null, "5", 230],
        ["f", "6", 1],
        ["g", null, 240],
      ],
    );
    assert.deepEqual(
      records[3]?.headers.map(([k, v]) => [k, v && new TextDecoder().decode(v)]),
      [["trace", "t1"]],
    );
    assert.throws(() => driver.createInputTopic("nope", strings).pipeInput("a", "b"), /unknown topic: nope/);
    assert.throws(() => input.pipeInput("a", "b", -1), /timestamps must be ≥ 0/);
  });

  test("output topics: read one at a time, lists, maps, queue size", () => {
    const driver = new TopologyTestDriver(copy());
    const input = driver.createInputTopic("in", strings);
    const output = driver.createOutputTopic("out", strings);
    assert.ok(output.isEmpty());
    assert.throws(() => output.readRecord(), /empty topic: out/);
    input.pipeKeyValueList([
      { key: "a", value: "1" },
      { key: "b", value: "2" },
      { key: "a", value: "3" },
      { key: "c", value: null },
    ]);
    assert.equal(output.getQueueSize(), 4);
    assert.equal(output.readValue(), "1");
    assert.deepEqual(output.readKeyValue(), { key: "b", value: "2" });
    assert.deepEqual(
      output.readKeyValuesToMap(),
      new Map([
        ["a", "3"],
        ["c", null],
      ]),
    );
    input.pipeInput(null, "x");
    assert.throws(() => output.readKeyValuesToMap(), /null key/);
  });

  test("wall-clock time moves only when advanced; punctuator output flows downstream, through repartition topics", () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    b.stream("ticks", strings)
      .process<string, string>(() => {
        let context: ProcessorContext<string, string>;
        return {
          init(c) {
            context = c;
            c.schedule(1000, "wall-clock-time", (nowMs) =>
              context.forward({
                key: `tick-${nowMs}`,
                value: String(c.currentSystemTimeMs()),
                timestampMs: nowMs,
                headers: [],
              }),
            );
          },
          process: () => undefined,
        };
      })
      .groupByKey({ key: Serdes.string(), value: Serdes.string() })
      .count({ storeName: "ticks" });
    const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 5000 });
    assert.equal(driver.wallClockTimeMs, 5000);
    driver.advanceWallClockTime(999);
    assert.equal(driver.getKeyValueStore("ticks").approximateNumEntries(), 0);
    driver.advanceWallClockTime(1);
    driver.advanceWallClockTime(2500);
    assert.deepEqual(
      [...driver.getKeyValueStore<string, number>("ticks").all()].map((e) => e.key),
      ["tick-6000", "tick-8500"],
    );
  });

  test("stream-time punctuators follow the piped records' timestamps", () => {
    const fired: number[] = [];
    const topology = new Topology().addSource({ name: "src", topics: "in" }).addProcessor({
      name: "p",
      processor: () => ({
        init: (c: ProcessorContext<unknown, unknown>) =>
          void c.schedule(60_000, "stream-time", (t) => void fired.push(t)),
        process: () => undefined,
      }),
      parents: ["src"],
    });
    const driver = new TopologyTestDriver(topology);
    const input = driver.createInputTopic("in");
    for (const t of [1_000, 30_000, 59_999, 60_000, 10_000, 200_000]) input.pipeInput(null, new Uint8Array(), t);
    driver.advanceWallClockTime(1_000_000); // wall-clock time does not drive stream time
    assert.deepEqual(fired, [1_000, 60_000, 200_000]);
  });

  test("one task per partition: records go to the partition Kafka's default partitioner picks", () => {
    const seen: [string | null, number][] = [];
    const topology = new Topology()
      .addSource({ name: "src", topics: "in", key: Serdes.string(), value: Serdes.string() })
      .addProcessor<string | null, string | null>({
        name: "p",
        processor: () => {
          let context: ProcessorContext<never, never>;
          return {
            init: (c) => (context = c),
            process(record) {
              assert.equal(context.taskId.partition, context.recordMetadata?.partition);
              seen.push([record.key, context.recordMetadata?.partition ?? -1]);
            },
          };
        },
        parents: ["src"],
      });
    const driver = new TopologyTestDriver(topology, { partitions: { in: 5 } });
    assert.equal(driver.plan.subtopologies.length, 1);
    const input = driver.createInputTopic("in", strings);
    const keys = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
    for (const key of keys) input.pipeInput(key, "v");
    input.pipeInput(null, "v");
    input.pipeInput(null, "v");
    assert.deepEqual(
      seen.slice(0, keys.length),
      keys.map((key) => [key, partitionForKey(encode(key), 5)]),
    );
    // Null keys: round robin.
    assert.deepEqual(
      seen.slice(keys.length).map(([, p]) => p),
      [0, 1],
    );
  });

  test("runs are deterministic: the same input gives the same output, whatever the partition count", () => {
    const build = (): Topology => {
      const b = new StreamsBuilder({ logger: silentLogger });
      b.stream("in", strings)
        .selectKey((_k, v) => v)
        .groupByKey({ key: Serdes.string(), value: Serdes.string() })
        .count({ storeName: "c" })
        .toStream()
        .to("out", { key: Serdes.string(), value: Serdes.long() });
      return b.build();
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d"), fc.nat({ max: 1000 })), { maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        (records, partitions) => {
          const runOnce = (): string => {
            const driver = new TopologyTestDriver(build(), { partitions });
            const input = driver.createInputTopic("in", strings);
            for (const [value, t] of records) input.pipeInput("k", value, t);
            const out = driver
              .createOutputTopic("out", { key: Serdes.string(), value: Serdes.long() })
              .readRecordsToList();
            driver.close();
            return JSON.stringify(out.map((r) => [r.key, r.value, r.timestampMs]));
          };
          const first = runOnce();
          assert.equal(runOnce(), first);
          // Per key, the counts are 1..n whatever the partitioning.
          const perKey = new Map<string, number[]>();
          for (const [key, value] of JSON.parse(first) as [string, number][])
            perKey.set(key, [...(perKey.get(key) ?? []), value]);
          for (const counts of perKey.values())
            assert.deepEqual(
              counts,
              counts.map((_, i) => i + 1),
            );
        },
      ),
      { numRuns: 50 },
    );
  });

  test("a topic written and read by the topology (through) is fed back in order; close closes the stores", () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    const first = b.stream("in", strings).through("middle");
    first.mapValues((v) => `${v}!`).to("out", strings);
    first.toTable({ storeName: "latest" });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", strings);
    input.pipeInput("a", "1");
    input.pipeInput("a", "2");
    assert.deepEqual(driver.createOutputTopic("out", strings).readValuesToList(), ["1!", "2!"]);
    assert.deepEqual(driver.producedTopicNames(), new Set(["middle", "out", "topology-test-driver-latest-changelog"]));
    const store = driver.getKeyValueStore<string, string>("latest");
    assert.equal(store.get("a"), "2");
    driver.close();
    assert.throws(() => store.get("a"), /not open/);
    assert.throws(() => input.pipeInput("a", "3"), /closed/);
  });
});
