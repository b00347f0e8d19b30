// The word count (Kafka Streams' WordCountDemo) in TypeScript, run with the test driver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";

function wordCount(): StreamsBuilder {
  const builder = new StreamsBuilder({ logger: silentLogger });
  builder
    .stream("streams-plaintext-input", { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((line) =>
      (line ?? "")
        .toLowerCase()
        .split(/\W+/)
        .filter((word) => word.length > 0),
    )
    .groupBy((_key, word) => word, { key: Serdes.string(), value: Serdes.string() })
    .count({ storeName: "counts-store" })
    .toStream()
    .to("streams-wordcount-output", { key: Serdes.string(), value: Serdes.long() });
  return builder;
}

test("word count: every update, final counts, the queryable store and its changelog", () => {
  const driver = new TopologyTestDriver(wordCount().build(), { applicationId: "wordcount" });
  const lines = driver.createInputTopic("streams-plaintext-input", { key: Serdes.string(), value: Serdes.string() });
  const counts = driver.createOutputTopic("streams-wordcount-output", { key: Serdes.string(), value: Serdes.long() });

  lines.pipeInput(null, "Hello Kafka Streams", 1000);
  lines.pipeInput(null, "All streams lead to Kafka", 2000);
  assert.deepEqual(counts.readKeyValuesToList(), [
    { key: "hello", value: 1 },
    { key: "kafka", value: 1 },
    { key: "streams", value: 1 },
    { key: "all", value: 1 },
    { key: "streams", value: 2 },
    { key: "lead", value: 1 },
    { key: "to", value: 1 },
    { key: "kafka", value: 2 },
  ]);

  lines.pipeInput(null, "Join Kafka Summit", 500); // out of order: counted, result keeps the later time
  const kafka = counts.readRecordsToList().find((record) => record.key === "kafka");
  assert.deepEqual(kafka && [kafka.value, kafka.timestampMs], [3, 2000]);

  const store = driver.getKeyValueStore<string, number>("counts-store");
  assert.deepEqual(
    [...store.all()].map(({ key, value }) => `${key}=${value}`),
    ["all=1", "hello=1", "join=1", "kafka=3", "lead=1", "streams=2", "summit=1", "to=1"],
  );
  const changelog = driver.createOutputTopic("wordcount-counts-store-changelog", {
    key: Serdes.string(),
    value: Serdes.long(),
  });
  assert.deepEqual(changelog.readKeyValuesToMap().get("kafka"), 3);
  driver.close();
});
