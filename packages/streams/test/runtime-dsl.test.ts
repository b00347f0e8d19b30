// A DSL topology (the word count: a repartition topic and a logged count store) run by the runtime
// on a broker, across a restart that wipes the local state (the counts come back from the changelog).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "dsl" });
const { KafkaStreams } = harness;

function wordCount(): StreamsBuilder {
  const builder = new StreamsBuilder({ logger: silentLogger });
  builder
    .stream("wc-lines", { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((line) =>
      (line ?? "")
        .toLowerCase()
        .split(/\W+/)
        .filter((word) => word.length > 0),
    )
    .groupBy((_key, word) => word, { key: Serdes.string(), value: Serdes.string() })
    .count({ storeName: "counts-store" })
    .toStream()
    .to("wc-counts", { key: Serdes.string(), value: Serdes.long() });
  return builder;
}

test("word count through the runtime: repartition and changelog topics, restart from the changelog", async () => {
  const { cluster } = harness;
  const stateDir = join(harness.stateRoot, "wc");
  const longs = Serdes.long();
  const latest = async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const record of await cluster.readAll("wc-counts"))
      if (record.value !== null)
        counts.set(str(record.key), longs.deserialize(record.value, { topic: "wc-counts", headers: [] }));
    return counts;
  };
  const run = () =>
    new KafkaStreams(wordCount().build(), {
      applicationId: "wc",
      bootstrapServers: harness.bootstrapServers,
      stateDir,
      commitIntervalMs: 100,
    });
  await cluster.createTopic("wc-lines", 2);
  await cluster.createTopic("wc-counts", 2);
  await cluster.produce("wc-lines", [
    ["a", "Hello Kafka Streams"],
    ["b", "All streams lead to Kafka"],
  ]);
  const first = run();
  await first.start();
  await first.waitForState("RUNNING");
  assert.equal(await cluster.partitionCount("wc-counts-store-repartition"), 2);
  assert.equal(await cluster.topicConfig("wc-counts-store-changelog", "cleanup.policy"), "compact");
  await eventually(async () => assert.equal((await latest()).get("kafka"), 2));
  await first.close();
  await first.cleanUp();

  const second = run();
  await second.start();
  await cluster.produce("wc-lines", [["c", "Join Kafka Summit"]]);
  await eventually(async () => {
    const counts = await latest();
    assert.equal(counts.get("kafka"), 3);
    assert.equal(counts.get("streams"), 2);
    assert.equal(counts.get("summit"), 1);
  });
  await second.close();
});
