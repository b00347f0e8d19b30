// max.task.idle.ms through the runtime on a broker: a stream–table join whose table rows are in
// the topic before the application starts must find them, however the first fetches go. The race
// is made deterministic with a tiny per-partition fetch size: the broker gives the first partition
// of a fetch with data (the stream, which the task lists first) one whole batch and the table
// nothing, so the first fetch brings the whole stream backlog and an empty table answer (lag > 0).
// With the default (0) the task waits for the table; with -1 (Kafka's "never wait") it joins the
// whole backlog against an empty table, which shows the set-up does produce the race.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { Producer } from "@platformatic/kafka";
import { uniqueName } from "@samsa/testkit";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "task-idle" });
const { KafkaStreams } = harness;

let producer: Producer | undefined;
after(async () => {
  await producer?.close();
});

const customers = 20;
const orders = 200;

/** Writes `[key, value, timestamp]` records to partition 0 of `topic`, in one batch. */
async function produce(topic: string, records: readonly (readonly [string, string, number])[]): Promise<void> {
  producer ??= new Producer({ clientId: "task-idle-producer", bootstrapBrokers: [harness.bootstrapServers] });
  await producer.send({
    messages: records.map(([key, value, timestampMs]) => ({
      topic,
      partition: 0,
      key: Buffer.from(key),
      value: Buffer.from(value),
      timestamp: BigInt(timestampMs),
    })),
  });
}

/** Orders (the stream, created first so it is first in each fetch) left-joined with customers. */
function topology(names: { orders: string; customers: string; output: string }): StreamsBuilder {
  const builder = new StreamsBuilder({ logger: silentLogger });
  const strings = { key: Serdes.string(), value: Serdes.string() };
  const orderStream = builder.stream(names.orders, strings);
  const table = builder.table(names.customers, { ...strings, storeName: "customers" });
  orderStream
    .leftJoin(table, (order, name) => `${order} for ${name ?? "<none>"}`, { ...strings, name: "enrich" })
    .to(names.output, strings);
  return builder;
}

/** Runs the join over rows and orders written before the start; returns the joined values. */
async function joinBacklog(maxTaskIdleMs: number): Promise<string[]> {
  const prefix = uniqueName("idle");
  const names = { orders: `${prefix}-a-orders`, customers: `${prefix}-b-customers`, output: `${prefix}-out` };
  for (const topic of Object.values(names)) await harness.cluster.createTopic(topic, 1);
  // Every row is older than every order: processed in timestamp order, every order finds its customer.
  await produce(
    names.customers,
    Array.from({ length: customers }, (_, i) => [`c${i}`, `name${i}`, 1000] as const),
  );
  await produce(
    names.orders,
    Array.from({ length: orders }, (_, i) => [`c${i % customers}`, `o${i}`, 2000 + i] as const),
  );
  const app = new KafkaStreams(topology(names).build(), {
    applicationId: prefix,
    bootstrapServers: harness.bootstrapServers,
    stateDir: join(harness.stateRoot, prefix),
    commitIntervalMs: 100,
    maxTaskIdleMs,
    // One batch for the first partition with data, nothing for the next (KIP-74's rule).
    consumer: { maxBytesPerPartition: 64 },
    // The order backlog (one batch of 200) fills its partition's buffer: it is not fetched again
    // until it drains, so the table's partition gets the next fetch to itself.
    bufferedRecordsPerPartition: 50,
    logger: silentLogger,
  });
  await app.start();
  let joined: string[] = [];
  await eventually(async () => {
    joined = (await harness.cluster.readAll(names.output)).map((record) => str(record.value));
    assert.equal(joined.length, orders);
  }, 30_000);
  return joined;
}

test("max.task.idle.ms 0 (default): a join waits for the table rows already in the topic", async () => {
  const joined = await joinBacklog(0);
  const unmatched = joined.filter((value) => value.endsWith("<none>"));
  assert.deepEqual(unmatched, [], "every order finds its customer");
  assert.deepEqual(joined.slice(0, 3), ["o0 for name0", "o1 for name1", "o2 for name2"]);
});

test("max.task.idle.ms -1 (never wait): the same backlog is joined before the table is fetched", async () => {
  const joined = await joinBacklog(-1);
  const unmatched = joined.filter((value) => value.endsWith("<none>"));
  // The first fetch brought every order and no row; all were processed before the next fetch.
  assert.equal(unmatched.length, orders);
});
