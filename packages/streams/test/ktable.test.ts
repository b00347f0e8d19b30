// KTable: changelog semantics, tombstones, filter/mapValues/toStream, materialized queryable
// stores, toTable and global tables — through the TopologyTestDriver.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import type { Logger } from "../src/logger.ts";
import { silentLogger } from "../src/logger.ts";
import type { ProcessorContext } from "../src/processor.ts";
import { Serdes } from "../src/serdes.ts";
import type { KeyValueStore } from "../src/state/store.ts";
import type { ValueAndTimestamp } from "../src/state/window-key-schema.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";

const strings = { key: Serdes.string(), value: Serdes.string() };
const builder = (logger: Logger = silentLogger): StreamsBuilder => new StreamsBuilder({ logger });

function capturing(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { log: (level, message) => void lines.push(`${level}: ${message}`) } };
}

describe("KTable", () => {
  test("from a topic: latest value per key, tombstones delete, null keys are skipped; toStream shows every change", () => {
    const { logger, lines } = capturing();
    const b = builder(logger);
    b.table("users", { ...strings, storeName: "users-store" })
      .toStream()
      .to("changes", strings);
    const driver = new TopologyTestDriver(b.build());
    const users = driver.createInputTopic("users", strings);
    users.pipeInput("alice", "v1", 1);
    users.pipeInput("bob", "v1", 2);
    users.pipeInput("alice", "v2", 3);
    users.pipeInput("bob", null, 4);
    users.pipeInput(null, "nobody", 5);
    users.pipeInput("carol", null, 6); // delete of a missing key: still a tombstone downstream
    assert.deepEqual(
      driver
        .createOutputTopic("changes", strings)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestampMs]),
      [
        ["alice", "v1", 1],
        ["bob", "v1", 2],
        ["alice", "v2", 3],
        ["bob", null, 4],
        ["carol", null, 6],
      ],
    );
    const store = driver.getKeyValueStore<string, string>("users-store");
    assert.deepEqual([...store.all()], [{ key: "alice", value: "v2" }]);
    assert.deepEqual(driver.getTimestampedKeyValueStore<string, string>("users-store").get("alice"), {
      value: "v2",
      timestampMs: 3,
    });
    assert.deepEqual(lines, ["warn: Skipping record due to null key"]);
  });

  test("out-of-order updates still win (no versioning) and are reported", () => {
    const { logger, lines } = capturing();
    const b = builder(logger);
    b.table("t", { ...strings, storeName: "s" });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("t", strings);
    input.pipeInput("k", "new", 10);
    input.pipeInput("k", "old", 5);
    assert.deepEqual(driver.getTimestampedKeyValueStore<string, string>("s").get("k"), {
      value: "old",
      timestampMs: 5,
    });
    assert.deepEqual(lines, ["warn: Detected out-of-order KTable update"]);
  });

  test("the store's changelog carries plain values, readable with the value's own serde (as Kafka's)", () => {
    const b = builder();
    b.table("t", { ...strings, storeName: "s" });
    const driver = new TopologyTestDriver(b.build(), { applicationId: "app" });
    driver.createInputTopic("t", strings).pipeInput("k", "v", 7);
    driver.createInputTopic("t", strings).pipeInput("k", null, 8);
    assert.deepEqual(
      driver
        .createOutputTopic("app-s-changelog", strings)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestampMs]),
      [
        ["k", "v", 7],
        ["k", null, 8],
      ],
    );
  });

  test("filter: rows that fail become deletes downstream; a named filter is queryable", () => {
    const b = builder();
    b.table("t", strings)
      .filter((_k, v) => v.length > 2, { storeName: "long-values" })
      .toStream()
      .to("out", strings);
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("t", strings);
    input.pipeInput("a", "long", 1);
    input.pipeInput("b", "no", 2);
    input.pipeInput("a", "ok", 3);
    input.pipeInput("c", "yes", 4);
    assert.deepEqual(
      driver
        .createOutputTopic("out", strings)
        .readKeyValuesToList()
        .map((r) => [r.key, r.value]),
      [
        ["a", "long"],
        ["b", null],
        ["a", null],
        ["c", "yes"],
      ],
    );
    assert.deepEqual([...driver.getKeyValueStore<string, string>("long-values").all()], [{ key: "c", value: "yes" }]);
  });

  test("filterNot and mapValues; a null mapping deletes the row", () => {
    const b = builder();
    b.table("t", strings)
      .filterNot((_k, v) => v === "skip")
      .mapValues((v) => (v === "drop" ? null : v.length), { storeName: "lengths", value: Serdes.long() })
      .toStream()
      .to("out", { key: Serdes.string(), value: Serdes.long() });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic("t", strings);
    input.pipeInput("a", "four", 1);
    input.pipeInput("b", "skip", 2);
    input.pipeInput("c", "drop", 3);
    input.pipeInput("d", "xy", 4);
    assert.deepEqual(
      driver
        .createOutputTopic("out", { key: Serdes.string(), value: Serdes.long() })
        .readKeyValuesToList()
        .map((r) => [r.key, r.value]),
      [
        ["a", 4],
        ["b", null],
        ["c", null],
        ["d", 2],
      ],
    );
    assert.deepEqual(
      [...driver.getKeyValueStore<string, number>("lengths").all()].map((e) => [e.key, e.value]),
      [
        ["a", 4],
        ["d", 2],
      ],
    );
  });

  test("toTable: a stream as a changelog, repartitioned first when its key changed", () => {
    const b = builder();
    b.stream("events", strings)
      .selectKey((_k, v) => (v ?? "").split(":")[0] ?? "")
      .toTable({ storeName: "latest", key: Serdes.string() })
      .toStream()
      .to("out", strings);
    const topology = b.build();
    assert.match(topology.describe().toString(), /KSTREAM-TOTABLE-0000000002-repartition/);
    const driver = new TopologyTestDriver(topology);
    const input = driver.createInputTopic("events", strings);
    input.pipeInput("x", "a:1", 1);
    input.pipeInput("y", "b:1", 2);
    input.pipeInput("z", "a:2", 3);
    assert.deepEqual(
      [...driver.getKeyValueStore<string, string>("latest").all()].map((e) => [e.key, e.value]),
      [
        ["a", "a:2"],
        ["b", "b:1"],
      ],
    );
    assert.equal(driver.createOutputTopic("out", strings).getQueueSize(), 3);
  });

  test("global tables: every partition on every instance; readable from processors", () => {
    const b = builder();
    const countries = b.globalTable("countries", { ...strings, storeName: "countries" });
    assert.equal(countries.queryableStoreName, "countries");
    b.stream("orders", strings)
      .process<string, string>(() => {
        let context: ProcessorContext<string, string>;
        let store: KeyValueStore<string, ValueAndTimestamp<string>>;
        return {
          init(c) {
            context = c;
            store = c.getStateStore("countries");
          },
          process(record) {
            context.forward({
              ...record,
              key: record.key ?? "",
              value: store.get(record.value ?? "")?.value ?? "unknown",
            });
          },
        };
      })
      .to("out", strings);
    const driver = new TopologyTestDriver(b.build(), { partitions: 3 });
    driver.createInputTopic("countries", strings).pipeKeyValueList([
      { key: "fr", value: "France" },
      { key: "it", value: "Italy" },
      { key: "de", value: "Germany" },
    ]);
    const orders = driver.createInputTopic("orders", strings);
    for (const [id, country] of [
      ["1", "fr"],
      ["2", "it"],
      ["3", "de"],
      ["4", "es"],
    ])
      orders.pipeInput(id ?? "", country ?? "");
    assert.deepEqual(
      new Map([...driver.createOutputTopic("out", strings).readKeyValuesToMap()].sort()),
      new Map([
        ["1", "France"],
        ["2", "Italy"],
        ["3", "Germany"],
        ["4", "unknown"],
      ]),
    );
    assert.equal(driver.getKeyValueStore<string, string>("countries").approximateNumEntries(), 3);
    // Global stores are not logged: the topic is their changelog.
    assert.ok(![...driver.producedTopicNames()].some((t) => t.includes("changelog")));
  });
});
