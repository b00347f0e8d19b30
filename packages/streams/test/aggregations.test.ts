// count, reduce and aggregate on grouped streams and re-grouped tables (adder and subtractor),
// with out-of-order records, nulls, tombstones and repartitioning — through the test driver.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger, type Logger } from "../src/logger.ts";
import { changeSerde } from "../src/processors/change.ts";
import { Serdes } from "../src/serdes.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";

const strings = { key: Serdes.string(), value: Serdes.string() };
const longs = { key: Serdes.string(), value: Serdes.long() };

describe("KGroupedStream", () => {
  test("count, reduce and aggregate by key; result time is the largest input time (out-of-order records)", () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    const grouped = b.stream("in", strings).groupByKey();
    grouped.count({ storeName: "counts" }).toStream().to("counts", longs);
    grouped
      .reduce((a, v) => `${a}+${v}`, { storeName: "joined" })
      .toStream()
      .to("joined", strings);
    grouped
      .aggregate(
        () => 0,
        (_k, v, sum) => sum + v.length,
        { storeName: "lengths", value: Serdes.long() },
      )
      .toStream()
      .to("lengths", longs);
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", strings);
    input.pipeInput("a", "x", 10);
    input.pipeInput("a", "yy", 5); // late: counted, result keeps time 10
    input.pipeInput("b", "zzz", 7);
    input.pipeInput("a", "w", 20);
    assert.deepEqual(
      driver
        .createOutputTopic("counts", longs)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestampMs]),
      [
        ["a", 1, 10],
        ["a", 2, 10],
        ["b", 1, 7],
        ["a", 3, 20],
      ],
    );
    assert.deepEqual(driver.createOutputTopic("joined", strings).readValuesToList(), ["x", "x+yy", "zzz", "x+yy+w"]);
    assert.deepEqual(driver.createOutputTopic("lengths", longs).readValuesToList(), [1, 3, 3, 4]);
    assert.deepEqual(driver.getTimestampedKeyValueStore<string, number>("counts").get("a"), {
      value: 3,
      timestampMs: 20,
    });
  });

  test("records with a null key or value are skipped, with a warning", () => {
    const lines: string[] = [];
    const logger: Logger = { log: (level, message) => void lines.push(`${level}: ${message}`) };
    const b = new StreamsBuilder({ logger });
    b.stream("in", strings).groupByKey().count({ storeName: "counts" });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("in", strings);
    input.pipeInput(null, "x");
    input.pipeInput("a", null);
    input.pipeInput("a", "x");
    assert.deepEqual([...driver.getKeyValueStore<string, number>("counts").all()], [{ key: "a", value: 1 }]);
    assert.deepEqual(lines, [
      "warn: Skipping record due to null key or value",
      "warn: Skipping record due to null key or value",
    ]);
  });

  test("groupBy repartitions by the new key: with 4 partitions each key is counted in one task", () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    b.stream("words", strings)
      .groupBy((_k, word) => word, strings)
      .count({ storeName: "counts" })
      .toStream()
      .to("out", longs);
    const driver = new TopologyTestDriver(b.build(), { partitions: 4 });
    const input = driver.createInputTopic("words", strings);
    const words = ["a", "b", "c", "a", "d", "b", "a", "e", "f", "a"];
    words.forEach((word, i) => input.pipeInput(`line-${i}`, word, i));
    const finalCounts = driver.createOutputTopic("out", longs).readKeyValuesToMap();
    assert.deepEqual(
      new Map([...finalCounts].sort()),
      new Map([
        ["a", 4],
        ["b", 2],
        ["c", 1],
        ["d", 1],
        ["e", 1],
        ["f", 1],
      ]),
    );
    // The store has an instance per partition; the driver's view reads them all.
    const store = driver.getKeyValueStore<string, number>("counts");
    assert.equal(store.get("a"), 4);
    assert.equal(store.approximateNumEntries(), 6);
    assert.throws(() => store.put("a", 1), /read-only/);
    const repartition = driver
      .createOutputTopic("topology-test-driver-counts-repartition", strings)
      .readRecordsToList();
    assert.deepEqual(
      repartition.map((r) => r.key),
      words,
    );
  });
});

describe("KGroupedTable (adder and subtractor)", () => {
  const setup = () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    // user → region:score
    const users = b.table("users", strings);
    const byRegion = users.groupBy((_user, value) => {
      const [region, score] = value.split(":");
      return { key: region ?? "", value: Number(score) };
    }, longs);
    byRegion.count({ storeName: "users-per-region" }).toStream().to("counts", longs);
    byRegion
      .reduce(
        (a, v) => a + v,
        (a, v) => a - v,
        { storeName: "score-per-region" },
      )
      .toStream()
      .to("sums", longs);
    byRegion
      .aggregate(
        () => "",
        (_region, score, list) => `${list}+${score}`,
        (_region, score, list) => `${list}-${score}`,
        { storeName: "history", value: Serdes.string() },
      )
      .toStream()
      .to("history", strings);
    const driver = new TopologyTestDriver(b.build());
    return { driver, users: driver.createInputTopic("users", strings) };
  };

  test("a row moving to another group is subtracted from the old one, then added to the new one", () => {
    const { driver, users } = setup();
    users.pipeInput("alice", "eu:10", 1);
    users.pipeInput("bob", "eu:5", 2);
    users.pipeInput("alice", "us:10", 3); // moves
    users.pipeInput("bob", "eu:7", 4); // same group, new value
    users.pipeInput("bob", null, 5); // tombstone: leaves its group
    const counts = driver
      .createOutputTopic("counts", longs)
      .readRecordsToList()
      .map((r) => [r.key, r.value, r.timestampMs]);
    assert.deepEqual(counts, [
      ["eu", 1, 1],
      ["eu", 2, 2],
      ["eu", 1, 3],
      ["us", 1, 3],
      ["eu", 1, 4],
      ["eu", 0, 5],
    ]);
    assert.deepEqual(
      driver
        .createOutputTopic("sums", longs)
        .readKeyValuesToList()
        .map((r) => [r.key, r.value]),
      [
        ["eu", 10],
        ["eu", 15],
        ["eu", 5],
        ["us", 10],
        ["eu", 7],
        ["eu", 0],
      ],
    );
    assert.deepEqual(driver.createOutputTopic("history", strings).readValuesToList(), [
      "+10",
      "+10+5",
      "+10+5-10",
      "+10",
      "+10+5-10-5+7",
      "+10+5-10-5+7-7",
    ]);
    const perRegion = driver.getKeyValueStore<string, number>("users-per-region");
    assert.deepEqual(
      [...perRegion.all()].map((e) => [e.key, e.value]),
      [
        ["eu", 0],
        ["us", 1],
      ],
    );
  });

  test("the repartition topic carries Kafka's Change encoding; a reduce's first value starts the aggregate", () => {
    const { driver, users } = setup();
    users.pipeInput("alice", "eu:10", 1);
    users.pipeInput("alice", "eu:11", 2);
    const topic = "topology-test-driver-users-per-region-repartition";
    const records = driver
      .createOutputTopic(topic, { key: Serdes.string(), value: changeSerde(Serdes.long()) })
      .readRecordsToList();
    assert.deepEqual(
      records.map((r) => [r.key, r.value]),
      [
        ["eu", { newValue: 10, oldValue: undefined }],
        ["eu", { newValue: 11, oldValue: 10 }],
      ],
    );
    assert.equal(driver.getKeyValueStore<string, number>("score-per-region").get("eu"), 11);
  });

  test("old values flow through unmaterialized filter and mapValues to the subtractor", () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    b.table("users", strings)
      .filter((_user, region) => region !== "banned")
      .mapValues((region) => region.toUpperCase())
      .groupBy((_user, region) => ({ key: region, value: 1 }), longs)
      .count({ storeName: "per-region" });
    const driver = new TopologyTestDriver(b.build());
    const users = driver.createInputTopic("users", strings);
    users.pipeInput("alice", "eu");
    users.pipeInput("bob", "eu");
    users.pipeInput("alice", "banned"); // filtered out: leaves EU
    users.pipeInput("bob", "us");
    users.pipeInput("alice", "us");
    const store = driver.getKeyValueStore<string, number>("per-region");
    assert.deepEqual(
      [...store.all()].map((e) => [e.key, e.value]),
      [
        ["EU", 0],
        ["US", 2],
      ],
    );
  });

  test("an aggregation's table sends old values to a downstream re-grouping", () => {
    const b = new StreamsBuilder({ logger: silentLogger });
    b.stream("clicks", strings)
      .groupByKey()
      .count({ storeName: "clicks-per-user" })
      .groupBy((_user, clicks) => ({ key: clicks >= 2 ? "active" : "casual", value: 1 }), longs)
      .count({ storeName: "users-per-kind" });
    const driver = new TopologyTestDriver(b.build());
    const clicks = driver.createInputTopic("clicks", strings);
    clicks.pipeInput("u1", "x");
    clicks.pipeInput("u2", "x");
    clicks.pipeInput("u1", "x");
    const store = driver.getKeyValueStore<string, number>("users-per-kind");
    assert.deepEqual(
      [...store.all()].map((e) => [e.key, e.value]),
      [
        ["active", 1],
        ["casual", 1],
      ],
    );
  });
});

describe("changeSerde (Kafka's ChangedSerializer layout)", () => {
  const serde = changeSerde(Serdes.string());
  const context = { topic: "t", headers: [] };
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

  test("flags 0 (old only), 1 (new only), 2 (varint length, new, old)", () => {
    assert.equal(hex(serde.serialize({ newValue: undefined, oldValue: "a" }, context)), "6100");
    assert.equal(hex(serde.serialize({ newValue: "a", oldValue: undefined }, context)), "6101");
    assert.equal(hex(serde.serialize({ newValue: "ab", oldValue: "c" }, context)), "04616263" + "02");
    for (const change of [
      { newValue: "ab", oldValue: "c" },
      { newValue: undefined, oldValue: "x" },
      { newValue: "y", oldValue: undefined },
      { newValue: "x".repeat(300), oldValue: "" },
    ]) {
      assert.deepEqual(serde.deserialize(serde.serialize(change, context), context), change);
    }
    assert.throws(
      () => serde.serialize({ newValue: undefined, oldValue: undefined }, context),
      /both old and new values are missing/,
    );
    assert.throws(() => serde.deserialize(new Uint8Array([1, 9]), context), /unknown encoding flag 9/);
  });
});
