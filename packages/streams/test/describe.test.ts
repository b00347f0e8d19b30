// Topology descriptions compared with the text Kafka Streams prints for the same DSL programs (the
// expected strings are those of Kafka's TopologyTest), plus the word count and its Mermaid diagram.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";

const builder = (): StreamsBuilder => new StreamsBuilder({ logger: silentLogger });
const bytes = { key: Serdes.bytes(), value: Serdes.bytes() };

describe("describe() matches Kafka's TopologyDescription text", () => {
  test("groupByKey().count()", () => {
    const b = builder();
    b.stream("input-topic").groupByKey().count();
    assert.equal(
      b.build().describe().toString(),
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n" +
        "      --> KSTREAM-AGGREGATE-0000000002\n" +
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n" +
        "      --> none\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n\n",
    );
  });

  test("count with a named store, and with unnamed Materialized options (Kafka burns an index)", () => {
    const named = builder();
    named.stream("input-topic").groupByKey().count({ storeName: "count-store", storeType: "in-memory" });
    assert.equal(
      named.build().describe().toString(),
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n" +
        "      --> KSTREAM-AGGREGATE-0000000001\n" +
        "    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [count-store])\n" +
        "      --> none\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n\n",
    );
    const anonymous = builder();
    anonymous.stream("input-topic").groupByKey().count({ value: Serdes.long() });
    assert.equal(
      anonymous.build().describe().toString(),
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n" +
        "      --> KSTREAM-AGGREGATE-0000000003\n" +
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n" +
        "      --> none\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n\n",
    );
  });

  test("table().groupBy().count(): the source table is materialized for old values, the repartition topic named after the store", () => {
    const b = builder();
    b.table("input-topic")
      .groupBy((key, value) => ({ key, value }), bytes)
      .count();
    assert.equal(
      b.build().describe().toString(),
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n" +
        "      --> KTABLE-SOURCE-0000000002\n" +
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n" +
        "      --> KTABLE-SELECT-0000000003\n" +
        "      <-- KSTREAM-SOURCE-0000000001\n" +
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n" +
        "      --> KSTREAM-SINK-0000000005\n" +
        "      <-- KTABLE-SOURCE-0000000002\n" +
        "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n" +
        "      <-- KTABLE-SELECT-0000000003\n" +
        "\n" +
        "  Sub-topology: 1\n" +
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n" +
        "      --> KTABLE-AGGREGATE-0000000007\n" +
        "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n" +
        "      --> none\n" +
        "      <-- KSTREAM-SOURCE-0000000006\n" +
        "\n",
    );
    const named = builder();
    named
      .table("input-topic")
      .groupBy((key, value) => ({ key, value }), bytes)
      .count({ storeName: "count-store" });
    assert.match(
      named.build().describe().toString(),
      /Sink: KSTREAM-SINK-0000000004 \(topic: count-store-repartition\)/,
    );
  });

  test("KTable filter and mapValues: not materialized, unnamed options (index burnt), named store", () => {
    const cases: [(b: StreamsBuilder) => void, string, string][] = [
      [(b) => b.table("input-topic").mapValues(() => null), "KTABLE-MAPVALUES-0000000003", "[]"],
      [
        (b) => b.table("input-topic").mapValues(() => null, { storeType: "in-memory" }),
        "KTABLE-MAPVALUES-0000000004",
        "[]",
      ],
      [
        (b) => b.table("input-topic").mapValues(() => null, { storeName: "store-name", value: Serdes.bytes() }),
        "KTABLE-MAPVALUES-0000000003",
        "[store-name]",
      ],
      [(b) => b.table("input-topic").filter(() => false), "KTABLE-FILTER-0000000003", "[]"],
      [(b) => b.table("input-topic").filter(() => false, { storeType: "in-memory" }), "KTABLE-FILTER-0000000004", "[]"],
      [
        (b) => b.table("input-topic").filter(() => false, { storeName: "store-name" }),
        "KTABLE-FILTER-0000000003",
        "[store-name]",
      ],
    ];
    for (const [build, node, stores] of cases) {
      const b = builder();
      build(b);
      assert.equal(
        b.build().describe().toString(),
        "Topologies:\n" +
          "   Sub-topology: 0\n" +
          "    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n" +
          "      --> KTABLE-SOURCE-0000000002\n" +
          "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
          `      --> ${node}\n` +
          "      <-- KSTREAM-SOURCE-0000000001\n" +
          `    Processor: ${node} (stores: ${stores})\n` +
          "      --> none\n" +
          "      <-- KTABLE-SOURCE-0000000002\n\n",
      );
    }
  });

  test("two groupings with the same name fail; one grouping reuses its named repartition topic", () => {
    const b = builder();
    b.stream("topic", { key: Serdes.string(), value: Serdes.string() })
      .selectKey((k) => k)
      .groupByKey({ name: "grouping", key: Serdes.string() })
      .count();
    assert.throws(
      () =>
        b
          .stream("topicII", { key: Serdes.string(), value: Serdes.string() })
          .selectKey((k) => k)
          .groupByKey({ name: "grouping", key: Serdes.string() })
          .count(),
      /grouping-repartition is already used/,
    );
    const shared = builder();
    const grouped = shared
      .stream("topic", { key: Serdes.string(), value: Serdes.string() })
      .selectKey((k) => k)
      .groupByKey({ name: "grouping", key: Serdes.string() });
    grouped.count().toStream().to("output-one");
    grouped
      .reduce((a, v) => a + v)
      .toStream()
      .to("output-two");
    const text = shared.build().describe().toString();
    assert.equal(text.match(/Sink: grouping-repartition-sink/g)?.length, 1);
    assert.match(
      text,
      /Source: grouping-repartition-source \(topics: \[grouping-repartition\]\)\n {6}--> KSTREAM-AGGREGATE-\d+, KSTREAM-REDUCE-\d+/,
    );
  });
});

const wordCount = (): StreamsBuilder => {
  const b = builder();
  b.stream("streams-plaintext-input", { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((value) => (value ?? "").toLowerCase().split(/\W+/))
    .groupBy((_key, word) => word, { key: Serdes.string(), value: Serdes.string() })
    .count({ storeName: "counts-store" })
    .toStream()
    .to("streams-wordcount-output", { value: Serdes.long() });
  return b;
};

describe("the word count topology", () => {
  test("as Kafka's text", () => {
    assert.equal(
      wordCount().build().describe().toString(),
      "Topologies:\n" +
        "   Sub-topology: 0\n" +
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n" +
        "      --> KSTREAM-FLATMAPVALUES-0000000001\n" +
        "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n" +
        "      --> KSTREAM-KEY-SELECT-0000000002\n" +
        "      <-- KSTREAM-SOURCE-0000000000\n" +
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n" +
        "      --> counts-store-repartition-filter\n" +
        "      <-- KSTREAM-FLATMAPVALUES-0000000001\n" +
        "    Processor: counts-store-repartition-filter (stores: [])\n" +
        "      --> counts-store-repartition-sink\n" +
        "      <-- KSTREAM-KEY-SELECT-0000000002\n" +
        "    Sink: counts-store-repartition-sink (topic: counts-store-repartition)\n" +
        "      <-- counts-store-repartition-filter\n" +
        "\n" +
        "  Sub-topology: 1\n" +
        "    Source: counts-store-repartition-source (topics: [counts-store-repartition])\n" +
        "      --> KSTREAM-AGGREGATE-0000000003\n" +
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])\n" +
        "      --> KTABLE-TOSTREAM-0000000007\n" +
        "      <-- counts-store-repartition-source\n" +
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n" +
        "      --> KSTREAM-SINK-0000000008\n" +
        "      <-- KSTREAM-AGGREGATE-0000000003\n" +
        "    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)\n" +
        "      <-- KTABLE-TOSTREAM-0000000007\n" +
        "\n",
    );
  });

  test("as data: nodes with predecessors, successors and stores", () => {
    const description = wordCount().build().describe();
    const aggregate = description.subtopologies[1]?.nodes.find((node) => node.name === "KSTREAM-AGGREGATE-0000000003");
    assert.deepEqual(aggregate, {
      type: "processor",
      name: "KSTREAM-AGGREGATE-0000000003",
      stores: ["counts-store"],
      predecessors: ["counts-store-repartition-source"],
      successors: ["KTABLE-TOSTREAM-0000000007"],
    });
    assert.deepEqual(description.globalStores, []);
  });

  test("as a Mermaid diagram", () => {
    assert.equal(
      wordCount().build().describe().toMermaid(),
      [
        "flowchart TD",
        '  subgraph sub0["Sub-topology: 0"]',
        '    n0(["Source: KSTREAM-SOURCE-0000000000"])',
        '    n1["Processor: KSTREAM-FLATMAPVALUES-0000000001"]',
        '    n2["Processor: KSTREAM-KEY-SELECT-0000000002"]',
        '    n3["Processor: counts-store-repartition-filter"]',
        '    n4(["Sink: counts-store-repartition-sink"])',
        "  end",
        '  subgraph sub1["Sub-topology: 1"]',
        '    n5(["Source: counts-store-repartition-source"])',
        '    n6["Processor: KSTREAM-AGGREGATE-0000000003"]',
        '    s0[("counts-store")]',
        '    n7["Processor: KTABLE-TOSTREAM-0000000007"]',
        '    n8(["Sink: KSTREAM-SINK-0000000008"])',
        "  end",
        '  t0[/"streams-plaintext-input"/]',
        '  t1[/"counts-store-repartition"/]',
        '  t2[/"streams-wordcount-output"/]',
        "  t0 --> n0",
        "  n4 --> t1",
        "  n0 --> n1",
        "  n1 --> n2",
        "  n2 --> n3",
        "  n3 --> n4",
        "  t1 --> n5",
        "  n6 -.- s0",
        "  n8 --> t2",
        "  n5 --> n6",
        "  n6 --> n7",
        "  n7 --> n8",
        "",
      ].join("\n"),
    );
  });
});
