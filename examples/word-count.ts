// Word count, the "hello world" of stream processing: lines of text in, the running count of every
// word out. Words are re-keyed through a repartition topic and counted in an in-memory store that
// is logged to a compacted changelog, so a restarted instance restores its counts from Kafka.
//
//   node examples/word-count.ts                              # embedded broker (prints its address)
//   node examples/word-count.ts --bootstrap 127.0.0.1:9092 --input text-lines --output word-counts
import { Serdes, StreamsBuilder } from "@samsa/streams";
import type { Topology } from "@samsa/streams";
import { parseFlags, runApplication, runMain } from "./app.ts";
import type { ExampleDescription } from "./app.ts";

export const description: ExampleDescription = {
  command: "node examples/word-count.ts",
  summary: "Counts the words of the lines in --input and writes word → count (a long) to --output.",
  applicationId: "word-count",
  input: "text-lines",
  output: "word-counts",
};

/** The name of the count store (its changelog is `<application id>-word-counts-changelog`). */
export const countStoreName = "word-counts";

/** Lower-cased words: runs of letters and digits (any script). */
export function wordsOf(line: string): string[] {
  return line
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

export function wordCountTopology(topics: { readonly input: string; readonly output: string }): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(topics.input, { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((line) => (line === null ? [] : wordsOf(line)))
    // A new key: the next aggregation goes through <application id>-word-counts-repartition.
    .groupBy((_key, word) => word, { key: Serdes.string(), value: Serdes.string() })
    // In memory (the DSL's default store type here); the changelog makes it recoverable.
    .count({ storeName: countStoreName, storeType: "in-memory" })
    .toStream()
    .to(topics.output, { key: Serdes.string(), value: Serdes.long() });
  return builder.build();
}

async function main(): Promise<void> {
  const { common: flags } = parseFlags(description);
  await runApplication({
    flags,
    topology: wordCountTopology(flags),
    topics: [{ name: flags.input }, { name: flags.output }],
  });
}

if (import.meta.main) runMain(main);
