import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { silentLogger } from "../src/logger.ts";
import type { Processor, ProcessorContext } from "../src/processor.ts";
import { Serdes } from "../src/serdes.ts";
import { Stores } from "../src/state/stores.ts";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { TopologyError } from "../src/topology/errors.ts";
import { resolvePartitions } from "../src/topology/partitions.ts";
import { Topology } from "../src/topology/topology.ts";

const passThrough = (): Processor<unknown, unknown, unknown, unknown> => {
  let context: ProcessorContext<unknown, unknown>;
  return {
    init: (c) => (context = c),
    process: (record) => context.forward(record),
  };
};

describe("Topology (processor API)", () => {
  test("rejects wrong wiring with clear errors", () => {
    const topology = new Topology().addSource({ name: "src", topics: "in" });
    assert.throws(() => topology.addSource({ name: "src", topics: "other" }), /src is already added/);
    assert.throws(
      () => topology.addSource({ name: "src2", topics: "in" }),
      /topic in has already been registered by source src/,
    );
    assert.throws(
      () => topology.addProcessor({ name: "p", processor: passThrough, parents: ["nope"] }),
      /parent processor nope is not added yet for p/,
    );
    assert.throws(
      () => topology.addProcessor({ name: "p", processor: passThrough, parents: [] }),
      /must have at least one parent/,
    );
    topology.addSink({ name: "sink", topic: "out", parents: ["src"] });
    assert.throws(
      () => topology.addProcessor({ name: "p", processor: passThrough, parents: ["sink"] }),
      /sink sink cannot be used as a parent/,
    );
    assert.throws(
      () =>
        topology.addStateStore(
          Stores.inMemoryKeyValueStore({ name: "s", key: Serdes.string(), value: Serdes.string() }),
          ["nope"],
        ),
      /nope is not added yet/,
    );
    assert.throws(() => topology.connectProcessorAndStateStores("src", ["s"]), TopologyError);
    assert.throws(
      () =>
        topology.addGlobalStore({
          store: Stores.inMemoryKeyValueStore({ name: "g", key: Serdes.string(), value: Serdes.string() }),
          sourceName: "gs",
          topic: "global",
          processorName: "gp",
          processor: passThrough,
        }),
      /global store g must not be logged/,
    );
  });

  test("describe: nodes, stores and sub-topologies split where processors do not connect (Kafka's node order: larger sub-tree first, then name)", () => {
    const topology = new Topology()
      .addSource({ name: "source-a", topics: ["a"] })
      .addSource({ name: "source-b", topics: ["b"] })
      .addProcessor({ name: "p1", processor: passThrough, parents: ["source-a"] })
      .addProcessor({ name: "p2", processor: passThrough, parents: ["source-b"] })
      .addStateStore(Stores.inMemoryKeyValueStore({ name: "shared", key: Serdes.string(), value: Serdes.string() }), [
        "p1",
      ])
      .addSink({ name: "sink-1", topic: "out", parents: ["p1"] })
      .addSource({ name: "source-c", topics: ["c", "d"] })
      .addSink({ name: "sink-2", topic: "out2", parents: ["source-c"] });
    const before = topology.describe();
    assert.equal(before.subtopologies.length, 3);
    // A store shared by p1 and p2 joins their sub-topologies.
    topology.connectProcessorAndStateStores("p2", ["shared"]);
    const after = topology.describe();
    assert.equal(after.subtopologies.length, 2);
    assert.equal(
      after.toString(),
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: source-a (topics: [a])\n" +
        "      --> p1\n" +
        "    Processor: p1 (stores: [shared])\n" +
        "      --> sink-1\n" +
        "      <-- source-a\n" +
        "    Source: source-b (topics: [b])\n" +
        "      --> p2\n" +
        "    Processor: p2 (stores: [shared])\n" +
        "      --> none\n" +
        "      <-- source-b\n" +
        "    Sink: sink-1 (topic: out)\n" +
        "      <-- p1\n" +
        "\n" +
        "  Sub-topology: 1\n" +
        "    Source: source-c (topics: [c, d])\n" +
        "      --> sink-2\n" +
        "    Sink: sink-2 (topic: out2)\n" +
        "      <-- source-c\n" +
        "\n",
    );
    const [first] = after.subtopologies;
    assert.deepEqual(
      first?.nodes.map((node) => node.name),
      ["source-a", "p1", "source-b", "p2", "sink-1"],
    );
  });

  test("describe: a dynamic sink and a global store, in Kafka's text", () => {
    const topology = new Topology()
      .addGlobalStore({
        store: Stores.inMemoryKeyValueStore({
          name: "global-store",
          key: Serdes.string(),
          value: Serdes.string(),
          logging: false,
        }),
        sourceName: "global-source",
        topic: "global-topic",
        processorName: "global-processor",
        processor: () => ({ process: () => undefined }),
      })
      .addSource({ name: "KSTREAM-SOURCE-0000000000", topics: "input-topic" })
      .addSink({
        name: "KSTREAM-SINK-0000000001",
        topic: function byKey() {
          return "x";
        },
        parents: ["KSTREAM-SOURCE-0000000000"],
      });
    assert.equal(
      topology.describe().toString(),
      "Topologies:\n" +
        "   Sub-topology: 0 for global store (will not generate tasks)\n" +
        "    Source: global-source (topics: [global-topic])\n" +
        "      --> global-processor\n" +
        "    Processor: global-processor (stores: [global-store])\n" +
        "      --> none\n" +
        "      <-- global-source\n" +
        "  Sub-topology: 1\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n" +
        "      --> KSTREAM-SINK-0000000001\n" +
        "    Sink: KSTREAM-SINK-0000000001 (extractor class: byKey)\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n" +
        "\n",
    );
  });

  test("plan: internal topic names and partitions, changelogs, global stores", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder.globalTable("countries", { key: Serdes.string(), value: Serdes.string(), storeName: "countries-store" });
    builder
      .stream("orders", { key: Serdes.string(), value: Serdes.string() })
      .selectKey((_key, value) => value)
      .groupByKey({ key: Serdes.string() })
      .count({ storeName: "per-customer" });
    const plan = builder.build().plan("shop");
    assert.deepEqual(plan.subtopologies, [
      { id: 1, sourceTopics: ["orders"], copartitionGroups: [] },
      { id: 2, sourceTopics: ["shop-per-customer-repartition"], copartitionGroups: [] },
    ]);
    assert.deepEqual(plan.internalTopics, [
      { name: "shop-per-customer-repartition", kind: "repartition", partitions: { sameAsSubtopology: 1 }, configs: {} },
      {
        name: "shop-per-customer-changelog",
        kind: "changelog",
        partitions: { sameAsSubtopology: 2 },
        configs: { "cleanup.policy": "compact" },
      },
    ]);
    assert.deepEqual(plan.globalStores, [{ topic: "countries", storeName: "countries-store" }]);
    const layout = resolvePartitions(
      plan,
      new Map([
        ["orders", 6],
        ["countries", 2],
      ]),
    );
    assert.deepEqual(
      [...layout.subtopologyPartitions],
      [
        [1, 6],
        [2, 6],
      ],
    );
    assert.equal(layout.topicPartitions.get("shop-per-customer-repartition"), 6);
    assert.equal(layout.topicPartitions.get("shop-per-customer-changelog"), 6);
    assert.throws(() => resolvePartitions(plan, new Map([["orders", 6]])), /source topics are missing: countries/);
  });

  test("co-partitioned topics that disagree fail with a clear error naming them and their counts", () => {
    const topology = new Topology()
      .addSource({ name: "left", topics: "clicks" })
      .addSource({ name: "right", topics: "users" })
      .addProcessor({ name: "join", processor: passThrough, parents: ["left", "right"] })
      .copartitionSources(["left", "right"]);
    const plan = topology.plan("app");
    assert.deepEqual(plan.subtopologies[0]?.copartitionGroups, [["clicks", "users"]]);
    assert.throws(
      () =>
        resolvePartitions(
          plan,
          new Map([
            ["clicks", 4],
            ["users", 3],
          ]),
        ),
      (error: unknown) =>
        error instanceof TopologyError &&
        /topics not co-partitioned: clicks \(4 partitions\), users \(3 partitions\)/.test(error.message) &&
        /repartition one side/.test(error.message),
    );
    assert.deepEqual(
      [
        ...resolvePartitions(
          plan,
          new Map([
            ["clicks", 4],
            ["users", 4],
          ]),
        ).subtopologyPartitions,
      ],
      [[0, 4]],
    );
  });

  test("a repartition topic in a co-partition group follows the group's user topics", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const rekeyed = builder
      .stream("a", { key: Serdes.string(), value: Serdes.string() })
      .selectKey((k) => k)
      .repartition({ name: "rk", key: Serdes.string() });
    rekeyed.merge(builder.stream("b", { key: Serdes.string(), value: Serdes.string() }));
    const topology = builder.build();
    const sourceOf = (topic: string): string =>
      [...topology.internalBuilder.nodes.values()].find((n) => n.kind === "source" && n.topics.includes(topic))?.name ??
      "";
    assert.equal(sourceOf("rk-repartition"), "rk-repartition-source");
    topology.copartitionSources([sourceOf("rk-repartition"), sourceOf("b")]);
    const plan = topology.plan("app");
    const layout = resolvePartitions(
      plan,
      new Map([
        ["a", 2],
        ["b", 5],
      ]),
    );
    assert.equal(layout.topicPartitions.get("app-rk-repartition"), 5);
  });

  test("a fixed partition count for repartition() is kept", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder.stream("a", { key: Serdes.string(), value: Serdes.string() }).repartition({ partitions: 3 }).to("out");
    const plan = builder.build().plan("app");
    assert.deepEqual(plan.internalTopics, [
      { name: "app-KSTREAM-REPARTITION-0000000001-repartition", kind: "repartition", partitions: 3, configs: {} },
    ]);
  });
});
