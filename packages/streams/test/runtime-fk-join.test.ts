// A foreign-key join run by the runtime on a broker, across partitions: orders (3 partitions)
// joined with customers (2 partitions) by customer id. The registration topic is created with
// the customers' partition count and the response topic with the orders', subscriptions travel
// between the tasks of different partitions, and the results follow foreign-key changes and
// right-side updates fanned out to every subscribed order.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "fk-join" });
const { KafkaStreams } = harness;

function orderDetails(): StreamsBuilder {
  const builder = new StreamsBuilder({ logger: silentLogger });
  const string = Serdes.string();
  const orders = builder.table("fk-orders", { key: string, value: string });
  const customers = builder.table("fk-customers", { key: string, value: string });
  orders
    .join(
      customers,
      (order) => order.split("|")[0] || null,
      (order, customer) => `${order.split("|")[1]} for ${customer}`,
    )
    .toStream()
    .to("fk-order-details", { key: string, value: string });
  return builder;
}

test("a foreign-key join through the runtime, across partitions", async () => {
  const { cluster } = harness;
  const stateDir = join(harness.stateRoot, "fk");
  const latest = async (): Promise<Map<string, string | null>> => {
    const details = new Map<string, string | null>();
    for (const record of await cluster.readAll("fk-order-details"))
      details.set(str(record.key), record.value === null ? null : str(record.value));
    return details;
  };
  const streams = new KafkaStreams(orderDetails().build(), {
    applicationId: "fk",
    bootstrapServers: harness.bootstrapServers,
    stateDir,
    commitIntervalMs: 100,
  });
  await cluster.createTopic("fk-orders", 3);
  await cluster.createTopic("fk-customers", 2);
  await cluster.createTopic("fk-order-details", 3);
  await cluster.produce("fk-customers", [
    ["c1", "Alice"],
    ["c2", "Bob"],
  ]);
  await cluster.produce("fk-orders", [
    ["o1", "c1|book"],
    ["o2", "c2|pen"],
    ["o3", "c1|cup"],
    ["o4", "c3|mug"],
    ["o5", "c2|ink"],
  ]);
  await streams.start();
  await streams.waitForState("RUNNING");
  assert.equal(await cluster.partitionCount("fk-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic"), 2);
  assert.equal(await cluster.partitionCount("fk-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic"), 3);
  assert.equal(await cluster.partitionCount("fk-KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010-changelog"), 2);
  await eventually(async () => {
    const details = await latest();
    assert.equal(details.get("o1"), "book for Alice");
    assert.equal(details.get("o2"), "pen for Bob");
    assert.equal(details.get("o3"), "cup for Alice");
    assert.equal(details.get("o5"), "ink for Bob");
    assert.equal(details.has("o4"), false);
  });
  // A right-side update fans out; a foreign-key change moves the subscription to another partition.
  await cluster.produce("fk-customers", [
    ["c1", "Alicia"],
    ["c3", "Carol"],
  ]);
  await cluster.produce("fk-orders", [["o2", "c1|pen"]]);
  await eventually(async () => {
    const details = await latest();
    assert.equal(details.get("o1"), "book for Alicia");
    assert.equal(details.get("o3"), "cup for Alicia");
    assert.equal(details.get("o2"), "pen for Alicia");
    assert.equal(details.get("o4"), "mug for Carol");
  });
  await cluster.produce("fk-customers", [["c2", "Bobby"]]);
  await eventually(async () => assert.equal((await latest()).get("o5"), "ink for Bobby"));
  assert.equal((await latest()).get("o2"), "pen for Alicia", "o2 no longer follows c2");
});
