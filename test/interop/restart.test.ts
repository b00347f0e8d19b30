// Restart: topics, their configs and their records survive a clean stop and start of the target,
// and producing continues at the next offset.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import kafkajs from "kafkajs";
import { uniqueName } from "@samsa/testkit";
import { byPartition, comparable, fetchedAsSample, fetchRecords, sampleRecords, useTarget } from "./support.ts";
import type { SampleRecord } from "./support.ts";

const { Kafka, CompressionTypes, ConfigResourceTypes, logLevel } = kafkajs;

const fromBase64 = (text: string | null): Buffer | null => (text === null ? null : Buffer.from(text, "base64"));

describe("restart", () => {
  const target = useTarget();
  const client = (): InstanceType<typeof Kafka> =>
    new Kafka({
      clientId: "interop-restart",
      brokers: [target().bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
      connectionTimeout: 5000,
      requestTimeout: 30_000,
    });

  async function produce(topic: string, records: readonly SampleRecord[]): Promise<void> {
    const producer = client().producer({ allowAutoTopicCreation: true, idempotent: true });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: records.map((r) => ({
          partition: r.partition,
          key: fromBase64(r.key),
          value: fromBase64(r.value),
          headers: Object.fromEntries(r.headers.map(([k, v]) => [k, fromBase64(v) ?? Buffer.alloc(0)])),
          timestamp: String(r.timestamp),
        })),
      });
    } finally {
      await producer.disconnect();
    }
  }

  async function assertStored(topic: string, records: readonly SampleRecord[]): Promise<void> {
    for (const [partition, expected] of byPartition(records)) {
      const fetched = await fetchRecords(target().bootstrap, { topic, partition, count: expected.length });
      assert.deepEqual(fetched.map(fetchedAsSample).map(comparable), expected.map(comparable), `${topic}-${partition}`);
      assert.deepEqual(
        fetched.map((r) => r.offset),
        expected.map((_, i) => BigInt(i)),
      );
    }
  }

  test("topics, configs and records survive a restart; offsets continue", async () => {
    const created = uniqueName("restart-created");
    const autoCreated = uniqueName("restart-auto");
    // Headers without repeated keys: kafkajs takes headers as an object here.
    const records = sampleRecords({ count: 20, partitions: 2, nullKeys: true, nullValues: true }).map((r) => ({
      ...r,
      headers: r.headers.filter(([k]) => k !== "dup"),
    }));
    const admin = client().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          {
            topic: created,
            numPartitions: 2,
            configEntries: [
              { name: "retention.ms", value: "3600000" },
              { name: "max.message.bytes", value: "2000000" },
            ],
          },
        ],
        waitForLeaders: true,
        timeout: 30_000,
      });
    } finally {
      await admin.disconnect();
    }
    await produce(created, records);
    const single = records.map((r) => ({ ...r, partition: 0 }));
    await produce(autoCreated, single);
    await assertStored(created, records);

    await target().restart();

    const after = client().admin();
    await after.connect();
    try {
      const topics = await after.listTopics();
      assert.ok(topics.includes(created) && topics.includes(autoCreated), `topics after restart: ${topics.join(", ")}`);
      const { topics: metadata } = await after.fetchTopicMetadata({ topics: [created, autoCreated] });
      assert.deepEqual(
        metadata.map((t) => [t.name, t.partitions.length]).sort(),
        [
          [autoCreated, 1],
          [created, 2],
        ].sort(),
      );
      const described = await after.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: created }],
        includeSynonyms: false,
      });
      const entries = described.resources[0]?.configEntries ?? [];
      assert.equal(entries.find((e) => e.configName === "retention.ms")?.configValue, "3600000");
      assert.equal(entries.find((e) => e.configName === "max.message.bytes")?.configValue, "2000000");
    } finally {
      await after.disconnect();
    }
    await assertStored(created, records);
    await assertStored(autoCreated, single);

    // Producing after the restart continues at the next offsets.
    const more = sampleRecords({ count: 6, partitions: 2 }).map((r) => ({ ...r, headers: [] }));
    await produce(created, more);
    await assertStored(created, [...records, ...more]);
  });
});
