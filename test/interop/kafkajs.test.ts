// kafkajs: admin (createTopics, fetchTopicMetadata, describeConfigs), the producer with the codecs
// kafkajs ships (none, gzip; snappy/lz4/zstd need plug-in packages), read back through plain Fetch
// requests; and its group consumer, which waits for consumer groups on targets without them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import kafkajs from "kafkajs";
import type { IHeaders } from "kafkajs";
import { uniqueName, waitFor } from "@samsa/testkit";
import {
  assertProducerCompressed,
  comparable,
  consumerGroupsMissing,
  fetchedAsSample,
  fetchRecords,
  sampleRecords,
  useTarget,
} from "./support.ts";
import type { SampleRecord } from "./support.ts";

const { Kafka, CompressionTypes, ConfigResourceTypes, logLevel } = kafkajs;

/** kafkajs carries repeated headers as an array under one key, in order. */
function headersOf(record: SampleRecord): IHeaders {
  const headers: Record<string, Buffer[]> = {};
  for (const [key, value] of record.headers) {
    if (value === null) throw new Error("kafkajs cannot send a null header value");
    (headers[key] ??= []).push(Buffer.from(value, "base64"));
  }
  return headers;
}

function fromBase64(text: string | null): Buffer | null {
  return text === null ? null : Buffer.from(text, "base64");
}

describe("kafkajs", () => {
  const target = useTarget();
  const client = (): InstanceType<typeof Kafka> =>
    new Kafka({
      clientId: "interop-kafkajs",
      brokers: [target().bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
      connectionTimeout: 5000,
      requestTimeout: 30_000,
    });

  test("admin: createTopics, fetchTopicMetadata, describeConfigs", async () => {
    const admin = client().admin();
    await admin.connect();
    try {
      const topic = uniqueName("kafkajs-admin");
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 3, configEntries: [{ name: "retention.ms", value: "3600000" }] }],
        waitForLeaders: true,
        timeout: 30_000,
      });
      assert.equal(created, true);

      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(topics.length, 1);
      assert.equal(topics[0]?.name, topic);
      assert.deepEqual(topics[0]?.partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
      assert.ok(topics[0]?.partitions.every((p) => p.leader >= 0 && p.isr.includes(p.leader)));

      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
        includeSynonyms: false,
      });
      const entries = described.resources[0]?.configEntries ?? [];
      assert.equal(described.resources[0]?.errorCode, 0);
      assert.equal(entries.find((e) => e.configName === "retention.ms")?.configValue, "3600000");
      assert.ok(
        entries.some((e) => e.configName === "cleanup.policy"),
        "defaults are listed too",
      );

      assert.ok((await admin.listTopics()).includes(topic));
    } finally {
      await admin.disconnect();
    }
  });

  for (const [codec, type] of [
    ["none", CompressionTypes.None],
    ["gzip", CompressionTypes.GZIP],
  ] as const) {
    test(`producer (compression ${codec}, auto-created topic); read back exactly`, async () => {
      const producer = client().producer({ allowAutoTopicCreation: true });
      const topic = uniqueName(`kafkajs-${codec}`);
      await producer.connect();
      try {
        const records = sampleRecords({ count: 25, nullKeys: true, nullValues: true });
        const results = await producer.send({
          topic,
          acks: -1,
          compression: type,
          messages: records.map((r) => ({
            partition: 0,
            key: fromBase64(r.key),
            value: fromBase64(r.value),
            headers: headersOf(r),
            timestamp: String(r.timestamp),
          })),
        });
        assert.deepEqual(
          results.map((r) => [r.partition, r.errorCode, r.baseOffset]),
          [[0, 0, "0"]],
        );
        const fetched = await fetchRecords(target().bootstrap, { topic, partition: 0, count: records.length });
        assert.deepEqual(fetched.map(fetchedAsSample).map(comparable), records.map(comparable));
        assert.deepEqual(
          fetched.map((r) => r.offset),
          records.map((_, i) => BigInt(i)),
        );
        assert.ok(fetched.every((r) => r.timestampType === "CreateTime"));
        // Record 6 carries the large, compressible value (see sampleRecords).
        await assertProducerCompressed(target().bootstrap, {
          topic,
          codec,
          count: records.length,
          compressibleOffset: 6,
        });
      } finally {
        await producer.disconnect();
      }
    });
  }

  test("consumer (consumer group) reads back what the producer sent", async (t) => {
    const pending = await consumerGroupsMissing(target().bootstrap);
    if (pending !== undefined) {
      t.skip(pending);
      return;
    }
    const topic = uniqueName("kafkajs-group");
    const producer = client().producer();
    const consumer = client().consumer({ groupId: uniqueName("kafkajs-group"), sessionTimeout: 10_000 });
    await producer.connect();
    await consumer.connect();
    try {
      const records = sampleRecords({ count: 20, nullKeys: true });
      await producer.send({
        topic,
        messages: records.map((r) => ({
          partition: 0,
          key: fromBase64(r.key),
          value: fromBase64(r.value),
          headers: headersOf(r),
          timestamp: String(r.timestamp),
        })),
      });
      const received: SampleRecord[] = [];
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: ({ partition, message }) => {
          const headers: [string, string | null][] = [];
          for (const [key, value] of Object.entries(message.headers ?? {})) {
            for (const v of Array.isArray(value) ? value : [value]) {
              headers.push([key, v === undefined ? null : Buffer.from(v).toString("base64")]);
            }
          }
          received.push({
            partition,
            key: message.key === null ? null : message.key.toString("base64"),
            value: message.value === null ? null : message.value.toString("base64"),
            headers,
            timestamp: Number(message.timestamp),
          });
          return Promise.resolve();
        },
      });
      await waitFor(() => received.length >= records.length, {
        timeoutMs: 30_000,
        what: "the group consumer to read all",
      });
      // kafkajs groups headers by key, so compare them order-insensitively across keys.
      const normalize = (r: SampleRecord): unknown => ({ ...comparable(r), headers: [...r.headers].sort() });
      assert.deepEqual(received.map(normalize), records.map(normalize));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});
