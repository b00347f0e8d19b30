// Windowed aggregations through the DSL and the TopologyTestDriver: topology names as Kafka gives
// them (window-golden/topologies.txt, printed by Kafka Streams), a windowed word count with
// emit-final, clickstream sessions, windowed output keys in Kafka's bytes, store access, changelog
// topics and their configs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { EmitStrategy, SessionWindows, SlidingWindows, TimeWindows } from "../src/dsl/windows.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";
import type { Windowed } from "../src/state/store.ts";
import { sessionWindowedSerde, timeWindowedSerde } from "../src/state/window-key-schema.ts";
import { TopologyError } from "../src/topology/errors.ts";
import { hex } from "./window-harness.ts";

function kafkaDescription(name: string): string {
  const text = readFileSync(join(import.meta.dirname, "window-golden", "topologies.txt"), "utf8");
  const start = text.indexOf(`topology ${name}\n`);
  assert.ok(start >= 0, name);
  const body = text.slice(start + `topology ${name}\n`.length);
  return body.slice(0, body.indexOf("end\n"));
}

function wordCount(builder: StreamsBuilder): void {
  builder
    .stream("text", { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((line) => (line ?? "").toLowerCase().split(/\W+/))
    .groupBy((_key, word) => word, { key: Serdes.string(), value: Serdes.string() })
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count()
    .toStream()
    .to("word-counts");
}

function sessions(builder: StreamsBuilder): void {
  builder
    .stream("clicks", { key: Serdes.string(), value: Serdes.string() })
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(30_000, 10_000))
    .count({ storeName: "sessions" })
    .toStream()
    .to("sessions");
}

describe("windowed DSL: topologies as Kafka names them", () => {
  test("windowed word count (repartition named after the store, emit-final)", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    wordCount(builder);
    assert.equal(builder.build().describe().toString(), kafkaDescription("word-count"));
  });

  test("clickstream sessions under a store name", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    sessions(builder);
    assert.equal(builder.build().describe().toString(), kafkaDescription("sessions"));
  });

  test("hopping reduce after selectKey, sliding aggregate after groupBy, unnamed Materialized counts", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    // Each chain has its own source: the order of a node's successors is not what this checks.
    const stream = (topic: string) => builder.stream(topic, { key: Serdes.string(), value: Serdes.string() });
    stream("in1")
      .selectKey((_k, v) => v)
      .groupByKey({ key: Serdes.string(), value: Serdes.string() })
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5))
      .reduce((a, v) => a + v)
      .toStream()
      .to("out1");
    stream("in2")
      .groupBy((_k, v) => v, { key: Serdes.string(), value: Serdes.string() })
      .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10))
      .aggregate(
        () => "",
        (_k, v, a) => a + v,
        { key: Serdes.string(), value: Serdes.string() },
      )
      .toStream()
      .to("out2");
    stream("in3")
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count({ key: Serdes.string(), value: Serdes.long() })
      .toStream()
      .to("out3");
    stream("in4")
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
      .count({ key: Serdes.string(), value: Serdes.long() })
      .toStream()
      .to("out4");
    stream("in5")
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10))
      .count({ key: Serdes.string(), value: Serdes.long() })
      .toStream()
      .to("out5");
    assert.equal(builder.build().describe().toString(), kafkaDescription("mixed"));
  });

  test("a windowed aggregation after groupBy with a Grouped name", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream("in", { key: Serdes.string(), value: Serdes.string() })
      .groupBy((_k, v) => v, { name: "by-value", key: Serdes.string(), value: Serdes.string() })
      .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10))
      .aggregate(
        () => "",
        (_k, v, a) => a + v,
        { key: Serdes.string(), value: Serdes.string() },
      )
      .toStream()
      .to("out");
    assert.equal(builder.build().describe().toString(), kafkaDescription("named-grouped"));
  });

  test("a retention shorter than window size + grace is refused, as Kafka does", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const grouped = builder.stream("in", { key: Serdes.string(), value: Serdes.string() }).groupByKey();
    assert.throws(
      () => grouped.windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count({ retentionMs: 14 }),
      TopologyError,
    );
    assert.throws(
      () => grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 5)).count({ retentionMs: 24 }),
      TopologyError,
    );
    assert.throws(
      () => grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 5)).count({ retentionMs: 14 }),
      TopologyError,
    );
    grouped.windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count({ retentionMs: 15 });
  });
});

describe("windowed DSL: end to end through the TopologyTestDriver", () => {
  test("windowed word count with emit-final: one final count per word and minute, when the minute closes", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    wordCount(builder);
    const driver = new TopologyTestDriver(builder.build(), { applicationId: "wc" });
    const input = driver.createInputTopic("text", { key: Serdes.string(), value: Serdes.string() });
    const output = driver.createOutputTopic("word-counts", {
      key: timeWindowedSerde(Serdes.string(), 60_000),
      value: Serdes.long(),
    });
    const minute = 60_000;
    input.pipeInput(null, "the quick brown fox", 1_000);
    input.pipeInput(null, "the lazy dog", 30_000);
    input.pipeInput(null, "The end", minute + 1_000); // late for nothing: [0, 60 s) is open until 65 s
    // Kafka looks for closed windows at most once per second of wall-clock time.
    driver.advanceWallClockTime(1_000);
    input.pipeInput(null, "fox", minute + 4_999); // stream time 64.999 s: [0, 60 s) still open (grace 5 s)
    assert.deepEqual(output.readRecordsToList(), []);
    driver.advanceWallClockTime(1_000);
    input.pipeInput(null, "dog", minute + 5_000); // closes [0, 60 s)
    const first = output.readRecordsToList().map((r) => [r.key?.key, r.key?.window.startMs, r.value, r.timestampMs]);
    assert.deepEqual(first, [
      // By window start, then key bytes; timestamped with each count's latest record.
      ["brown", 0, 1, 1_000],
      ["dog", 0, 1, 30_000],
      ["fox", 0, 1, 1_000],
      ["lazy", 0, 1, 30_000],
      ["quick", 0, 1, 1_000],
      ["the", 0, 2, 30_000],
    ]);
    driver.advanceWallClockTime(1_000);
    input.pipeInput(null, "late fox", 59_000); // [0, 60 s) has closed: dropped
    input.pipeInput(null, "tick", 3 * minute + 5_000); // closes [60 s, 120 s) and [120 s, 180 s)
    const second = output.readRecordsToList().map((r) => [r.key?.key, r.key?.window.startMs, r.value]);
    assert.deepEqual(second, [
      ["dog", minute, 1],
      ["end", minute, 1],
      ["fox", minute, 1],
      ["the", minute, 1],
    ]);
    // The store keeps counts by window; the test driver unwraps the timestamps.
    const store = driver.getWindowStore<string, number>("KSTREAM-AGGREGATE-STATE-STORE-0000000003");
    assert.equal(store.fetch("tick", 3 * minute), 1);
    driver.close();
  });

  test("windowed keys on the output topic are Kafka's TimeWindowedSerializer bytes", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream("in", { key: Serdes.string(), value: Serdes.string() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(1_000))
      .count()
      .toStream()
      .to("out", { key: timeWindowedSerde(Serdes.string(), 1_000), value: Serdes.long() });
    const driver = new TopologyTestDriver(builder.build());
    driver.createInputTopic("in", { key: Serdes.string(), value: Serdes.string() }).pipeInput("key", "v", 1_500);
    const raw = driver.createOutputTopic("out", { key: Serdes.bytes(), value: Serdes.bytes() }).readRecord();
    assert.equal(hex(raw.key ?? new Uint8Array()), "6b657900000000000003e8"); // "key" + start 1000
    assert.equal(hex(raw.value ?? new Uint8Array()), "0000000000000001");
    driver.close();
  });

  test("clickstream sessions: sessions per user, merged when a click bridges two, old ones deleted", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    sessions(builder);
    const driver = new TopologyTestDriver(builder.build(), { applicationId: "clicks" });
    const input = driver.createInputTopic("clicks", { key: Serdes.string(), value: Serdes.string() });
    const output = driver.createOutputTopic("sessions", {
      key: sessionWindowedSerde(Serdes.string()),
      value: Serdes.long(),
    });
    const s = 1_000;
    input.pipeInput("alice", "/home", 0);
    input.pipeInput("bob", "/home", 10 * s);
    input.pipeInput("alice", "/cart", 20 * s); // within 30 s of alice's last click
    input.pipeInput("alice", "/home", 55 * s); // more than 30 s later: a new session
    input.pipeInput("alice", "/pay", 40 * s); // out of order, within 30 s of both: bridges them
    const rows = output
      .readRecordsToList()
      .map((r) => [r.key?.key, r.key?.window.startMs, r.key?.window.endMs, r.value, r.timestampMs]);
    assert.deepEqual(rows, [
      ["alice", 0, 0, 1, 0],
      ["bob", 10 * s, 10 * s, 1, 10 * s],
      ["alice", 0, 0, null, 0], // replaced by the longer session
      ["alice", 0, 20 * s, 2, 20 * s],
      ["alice", 55 * s, 55 * s, 1, 55 * s],
      ["alice", 0, 20 * s, null, 20 * s], // both merged into one
      ["alice", 55 * s, 55 * s, null, 55 * s],
      ["alice", 0, 55 * s, 4, 55 * s],
    ]);
    const store = driver.getSessionStore<string, number>("sessions");
    assert.deepEqual(
      [...store.fetch("alice")].map((kv) => [kv.key.window.startMs, kv.key.window.endMs, kv.value]),
      [[0, 55 * s, 4]],
    );
    // The changelog: Kafka's session keys (key, end, start) and its windowed-store topic configs.
    const changelog = driver.plan.internalTopics.find((t) => t.name === "clicks-sessions-changelog");
    assert.deepEqual(changelog?.configs, {
      "message.timestamp.type": "CreateTime",
      "cleanup.policy": "compact,delete",
      "retention.ms": String(40_000 + 86_400_000),
    });
    const logged = driver
      .createOutputTopic("clicks-sessions-changelog", { key: Serdes.bytes(), value: Serdes.bytes() })
      .readRecordsToList();
    assert.equal(hex(logged[0]?.key ?? new Uint8Array()), hex(new TextEncoder().encode("alice")) + "0".repeat(32));
    assert.equal(logged.at(-1)?.timestampMs, 40 * s); // stamped with the record being processed, as Kafka does
    driver.close();
  });

  test("sliding windows count, every update, with the windows Kafka creates", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream("in", { key: Serdes.string(), value: Serdes.string() })
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
      .count({ storeName: "sliding" })
      .toStream()
      .to("out", { key: timeWindowedSerde(Serdes.string(), 10), value: Serdes.long() });
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic("in", { key: Serdes.string(), value: Serdes.string() });
    input.pipeInput("a", "x", 20);
    input.pipeInput("a", "y", 25);
    const out = driver.createOutputTopic("out", { key: timeWindowedSerde(Serdes.string(), 10), value: Serdes.long() });
    const rows = out
      .readRecordsToList()
      .map((r) => [r.key?.window.startMs, r.key?.window.endMs, r.value, r.timestampMs]);
    assert.deepEqual(rows, [
      [10, 20, 1, 20], // left window of 20
      [21, 31, 1, 25], // right window of 20, made when 25 arrived
      [15, 25, 2, 25], // left window of 25
    ]);
    driver.close();
  });

  test("records with a null key are skipped; count counts null values in time windows, aggregate skips them", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const grouped = builder.stream("in", { key: Serdes.string(), value: Serdes.string() }).groupByKey();
    const windows = TimeWindows.ofSizeWithNoGrace(10);
    grouped
      .windowedBy(windows)
      .count()
      .toStream()
      .to("counts", { key: timeWindowedSerde(Serdes.string(), 10), value: Serdes.long() });
    grouped
      .windowedBy(windows)
      .aggregate(
        () => "",
        (_k, v, a) => a + v,
        { value: Serdes.string() },
      )
      .toStream()
      .to("aggs", { key: timeWindowedSerde(Serdes.string(), 10), value: Serdes.string() });
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic("in", { key: Serdes.string(), value: Serdes.string() });
    input.pipeInput("a", "x", 1);
    input.pipeInput("a", null, 2);
    input.pipeInput(null, "y", 3);
    const counts = driver.createOutputTopic("counts", {
      key: timeWindowedSerde(Serdes.string(), 10),
      value: Serdes.long(),
    });
    const aggs = driver.createOutputTopic("aggs", {
      key: timeWindowedSerde(Serdes.string(), 10),
      value: Serdes.string(),
    });
    assert.deepEqual(counts.readValuesToList(), [1, 2]);
    assert.deepEqual(aggs.readValuesToList(), ["x"]);
    driver.close();
  });

  test("old values reach a downstream table aggregation (groupBy on the windowed table)", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream("in", { key: Serdes.string(), value: Serdes.string() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      // Total over all windows per key: adds new counts, subtracts the old ones they replace.
      .groupBy((windowed: Windowed<string>, count) => ({ key: windowed.key, value: count }), {
        key: Serdes.string(),
        value: Serdes.long(),
      })
      .reduce(
        (a, b) => a + b,
        (a, b) => a - b,
        { storeName: "totals" },
      )
      .toStream()
      .to("totals", { key: Serdes.string(), value: Serdes.long() });
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic("in", { key: Serdes.string(), value: Serdes.string() });
    for (const ts of [1, 2, 15, 16, 17]) input.pipeInput("a", "x", ts);
    const totals = driver.createOutputTopic("totals", { key: Serdes.string(), value: Serdes.long() });
    assert.equal(totals.readValuesToList().at(-1), 5);
    driver.close();
  });
});
