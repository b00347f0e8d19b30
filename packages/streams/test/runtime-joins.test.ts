// A stream–table join run by the runtime on a broker: orders re-keyed by customer go through a
// repartition topic and join the customers table (co-partitioned, 2 partitions); orders of unknown
// customers are dropped, and a table update is seen by the orders that come after it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "joins" });
const { KafkaStreams } = harness;

function enrichment(): StreamsBuilder {
  const builder = new StreamsBuilder({ logger: silentLogger });
  const strings = { key: Serdes.string(), value: Serdes.string() };
  const customers = builder.table("rj-customers", { ...strings, storeName: "rj-customers-store" });
  builder
    .stream("rj-orders", strings)
    // value "<customer>:<item>" → key customer, value "<order>:<item>"
    .map((orderId, value) => {
      const [customer = "", item = ""] = (value ?? "").split(":");
      return { key: customer, value: `${orderId}:${item}` };
    })
    .join(customers, (order, name) => `${order} for ${name}`, { ...strings, name: "rj-enrich" })
    .to("rj-enriched", strings);
  return builder;
}

test("stream–table join through the runtime: repartitioned stream, co-partitioned table, lookups at arrival", async () => {
  const { cluster } = harness;
  const stateDir = join(harness.stateRoot, "rj");
  const enriched = async (): Promise<string[]> =>
    (await cluster.readAll("rj-enriched")).map((record) => `${str(record.key)}=${str(record.value)}`).sort();
  const app = new KafkaStreams(enrichment().build(), {
    applicationId: "rj",
    bootstrapServers: harness.bootstrapServers,
    stateDir,
    commitIntervalMs: 100,
  });
  await cluster.createTopic("rj-customers", 2);
  await cluster.createTopic("rj-orders", 2);
  await cluster.createTopic("rj-enriched", 2);
  await cluster.produce("rj-customers", [
    ["c1", "Ada"],
    ["c2", "Grace"],
  ]);
  await app.start();
  await app.waitForState("RUNNING");
  assert.equal(await cluster.partitionCount("rj-rj-enrich-repartition"), 2);
  // The table has both customers once its store has logged them.
  await eventually(async () => assert.equal((await cluster.readAll("rj-rj-customers-store-changelog")).length, 2));
  await cluster.produce("rj-orders", [
    ["o1", "c1:book"],
    ["o2", "c2:pen"],
    ["o3", "c9:ink"],
  ]);
  await eventually(async () => assert.deepEqual(await enriched(), ["c1=o1:book for Ada", "c2=o2:pen for Grace"]));

  await cluster.produce("rj-customers", [["c1", "Ada L."]]);
  await eventually(async () => assert.equal((await cluster.readAll("rj-rj-customers-store-changelog")).length, 3));
  await cluster.produce("rj-orders", [["o4", "c1:lamp"]]);
  await eventually(async () =>
    assert.deepEqual(await enriched(), ["c1=o1:book for Ada", "c1=o4:lamp for Ada L.", "c2=o2:pen for Grace"]),
  );
});
