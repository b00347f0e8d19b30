// Embedded mode: an in-process Samsa broker, started in one line, for development and tests. The
// word count below is the unchanged application of word-count.ts; it talks to the embedded broker
// over the Kafka protocol, as it would to a remote Samsa or Apache Kafka (pass --bootstrap there).
// The demo feeds it a few lines, prints the counts as they arrive, and exits once every word is
// counted (or keeps running with --keep-running, so you can produce more, e.g. with kcat).
//
//   node examples/embedded.ts
import { parseArgs } from "node:util";
import { Consumer, Producer, stringDeserializer, stringSerializers } from "@platformatic/kafka";
import { startEmbeddedBroker } from "@samsa/streams";
import { runApplication, runMain } from "./app.ts";
import { description, wordCountTopology, wordsOf } from "./word-count.ts";

const lines = [
  "Samsa speaks the Kafka protocol",
  "Kafka Streams apps run on Samsa",
  "the same apps run on Apache Kafka",
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "keep-running": { type: "boolean" }, help: { type: "boolean" } } });
  if (values.help === true) {
    process.stdout.write("usage: node examples/embedded.ts [--keep-running]\n");
    return;
  }

  const broker = await startEmbeddedBroker(); // ← embedded mode: the whole broker, in this process

  const app = await runApplication({
    flags: {
      bootstrap: broker.bootstrapServers,
      applicationId: "embedded-word-count",
      stateDir: undefined,
      input: description.input,
      output: description.output,
      commitIntervalMs: 1000,
      sessionTimeoutMs: undefined,
      partitions: 2,
      createTopics: true,
      exactlyOnce: false,
      numStandbyReplicas: undefined,
      queryPort: undefined,
    },
    topology: wordCountTopology(description),
    topics: [{ name: description.input }, { name: description.output }],
    handleSignals: false,
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await app.close();
      await broker.close();
    })();
    return stopping;
  };
  process.once("SIGINT", () => void stop().finally(() => process.exit(0)));
  process.once("SIGTERM", () => void stop().finally(() => process.exit(0)));
  await app.streams.waitForState("RUNNING", 60_000);

  const producer = new Producer({
    clientId: "embedded-demo-producer",
    bootstrapBrokers: [broker.bootstrapServers],
    serializers: stringSerializers,
  });
  await producer.send({
    messages: lines.map((line, i) => ({ topic: description.input, key: `line-${i}`, value: line })),
  });
  await producer.close();

  const expected = new Map<string, number>();
  for (const word of lines.flatMap(wordsOf)) expected.set(word, (expected.get(word) ?? 0) + 1);
  const consumer = new Consumer({
    groupId: "embedded-demo-reader",
    clientId: "embedded-demo-reader",
    bootstrapBrokers: [broker.bootstrapServers],
    deserializers: {
      key: stringDeserializer,
      value: (bytes?: Buffer) => (bytes === undefined || bytes.length !== 8 ? undefined : bytes.readBigInt64BE(0)),
    },
  });
  const counts = new Map<string, number>();
  const stream = await consumer.consume({ topics: [description.output], mode: "earliest", autocommit: false });
  for await (const message of stream) {
    if (message.key === undefined || message.value === undefined) continue;
    counts.set(message.key, Number(message.value));
    process.stdout.write(`${message.key} ${message.value}\n`);
    if (!values["keep-running"] && [...expected].every(([word, count]) => counts.get(word) === count)) break;
  }
  await stream.close();
  await consumer.close(true);
  process.stdout.write(`counted ${counts.size} words\n`);
  await stop();
}

runMain(main);
