// @platformatic/kafka: Admin (createTopics, metadata, describeConfigs), the Producer with every
// codec it supports, and reading back with Consumer.fetch — a plain Fetch to the partition leader
// that needs no consumer group — plus its group consumer once the target serves groups.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Admin, ConfigResourceTypes, Consumer, Producer } from "@platformatic/kafka";
import type { fetchV17, MessageToProduce, ProduceResult } from "@platformatic/kafka";
import { uniqueName, waitFor } from "@samsa/testkit";
import {
  assertProducerCompressed,
  byPartition,
  codecs,
  comparable,
  consumerGroupsMissing,
  sampleRecords,
  useTarget,
} from "./support.ts";
import type { SampleRecord } from "./support.ts";

const b64 = (bytes: Buffer | null | undefined): string | null =>
  bytes === null || bytes === undefined ? null : bytes.toString("base64");

/** The message @platformatic/kafka should send for a sample record (a null key or value is left out). */
function messageOf(topic: string, partition: number, record: SampleRecord): MessageToProduce {
  return {
    topic,
    partition,
    ...(record.key === null ? {} : { key: Buffer.from(record.key, "base64") }),
    ...(record.value === null ? {} : { value: Buffer.from(record.value, "base64") }),
    headers: headersOf(record),
    timestamp: BigInt(record.timestamp),
  };
}

/** Headers as a Map keyed by distinct Buffer objects, so a repeated header name stays repeated. */
function headersOf(record: SampleRecord): Map<Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  for (const [key, value] of record.headers) {
    if (value === null) throw new Error("@platformatic/kafka cannot send a null header value");
    headers.set(Buffer.from(key), Buffer.from(value, "base64"));
  }
  return headers;
}

describe("@platformatic/kafka", () => {
  const target = useTarget();
  const base = (): { clientId: string; bootstrapBrokers: string[]; retries: number; timeout: number } => ({
    clientId: "interop-platformatic",
    bootstrapBrokers: [target().bootstrap],
    retries: 3,
    timeout: 30_000,
  });

  /** Reads partitions from offset 0 with Consumer.fetch until `count` records came back (bounded). */
  async function readBack(topic: string, partitions: readonly number[], count: number): Promise<SampleRecord[]> {
    const consumer = new Consumer({ ...base(), groupId: uniqueName("platformatic-unused") });
    try {
      const metadata = await consumer.metadata({ topics: [topic] });
      const described = metadata.topics.get(topic);
      assert.ok(described, `metadata lacks ${topic}`);
      const records: SampleRecord[] = [];
      const next = new Map(partitions.map((p) => [p, 0n]));
      await waitFor(
        async () => {
          for (const partition of partitions) {
            const leader: number = described.partitions[partition]?.leader ?? -1;
            const response: fetchV17.FetchResponse = await consumer.fetch({
              node: leader,
              maxWaitTime: 200,
              topics: [
                {
                  topicId: described.id,
                  partitions: [
                    {
                      partition,
                      fetchOffset: next.get(partition) ?? 0n,
                      partitionMaxBytes: 16 * 1024 * 1024,
                      currentLeaderEpoch: -1,
                      lastFetchedEpoch: -1,
                    },
                  ],
                },
              ],
            });
            const data: fetchV17.FetchResponsePartition | undefined = response.responses[0]?.partitions[0];
            assert.equal(data?.errorCode, 0, `fetch error on partition ${partition}`);
            for (const batch of data?.records ?? []) {
              for (const r of batch.records) {
                const offset = batch.firstOffset + BigInt(r.offsetDelta);
                if (offset < (next.get(partition) ?? 0n)) continue;
                records.push({
                  partition,
                  offset: Number(offset),
                  key: b64(r.key),
                  value: b64(r.value),
                  headers: r.headers.map(([k, v]) => [k?.toString("utf8") ?? "", b64(v)] as const),
                  timestamp: Number(batch.firstTimestamp + r.timestampDelta),
                });
                next.set(partition, offset + 1n);
              }
            }
          }
          return records.length >= count;
        },
        { timeoutMs: 30_000, what: `${count} records from ${topic}` },
      );
      return records;
    } finally {
      await consumer.close(true);
    }
  }

  test("Admin: createTopics, metadata, describeConfigs", async () => {
    const admin = new Admin(base());
    try {
      const topic = uniqueName("platformatic-admin");
      const created = await admin.createTopics({
        topics: [topic],
        partitions: 3,
        replicas: 1,
        configs: [{ name: "retention.ms", value: "3600000" }],
      });
      assert.equal(created[0]?.name, topic);
      assert.equal(created[0]?.partitions, 3);

      const metadata = await admin.metadata({ topics: [topic] });
      assert.equal(metadata.brokers.size, 1);
      const [brokerId, broker] = [...metadata.brokers.entries()][0] ?? [];
      assert.equal(`${broker?.host}:${broker?.port}`, target().bootstrap);
      const described = metadata.topics.get(topic);
      assert.equal(described?.partitionsCount, 3);
      assert.deepEqual(
        described?.partitions.map((p) => p.leader),
        [brokerId, brokerId, brokerId],
      );
      assert.ok((await admin.listTopics()).includes(topic));

      const [configs] = await admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
      });
      assert.equal(configs?.configs.find((c) => c.name === "retention.ms")?.value, "3600000");
      assert.ok(
        configs?.configs.some((c) => c.name === "cleanup.policy"),
        "defaults are listed too",
      );
    } finally {
      await admin.close();
    }
  });

  for (const codec of codecs) {
    test(`Producer (compression ${codec}) to three partitions; Consumer.fetch reads back exactly`, async () => {
      const admin = new Admin(base());
      // Idempotent: right after CreateTopics Kafka may answer NOT_LEADER_OR_FOLLOWER for some
      // partitions, and @platformatic/kafka then resends the whole request — without sequence
      // numbers the partitions that had succeeded would get their records twice.
      const producer = new Producer({ ...base(), autocreateTopics: false, idempotent: true });
      try {
        const topic = uniqueName(`platformatic-${codec}`);
        await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
        const records = sampleRecords({ count: 30, partitions: 3, nullKeys: true, nullValues: true });
        const result: ProduceResult = await producer.send({
          compression: codec,
          acks: -1,
          messages: records.map((r) => messageOf(topic, r.partition, r)),
        });
        assert.deepEqual(result.offsets?.map((o) => [o.partition, o.offset]).sort(), [
          [0, 0n],
          [1, 0n],
          [2, 0n],
        ]);
        const consumed = await readBack(topic, [0, 1, 2], records.length);
        for (const [partition, expected] of byPartition(records)) {
          const got = consumed.filter((r) => r.partition === partition);
          assert.deepEqual(got.map(comparable), expected.map(comparable), `partition ${partition}`);
          assert.deepEqual(
            got.map((r) => r.offset),
            expected.map((_, i) => i),
          );
        }
        // Partition 0 holds records 0, 3, 6, ...: record 6 (the large one) is its third, offset 2.
        await assertProducerCompressed(target().bootstrap, { topic, codec, count: 10, compressibleOffset: 2 });
      } finally {
        await producer.close();
        await admin.close();
      }
    });
  }

  test("Consumer.consume (consumer group) reads back what the Producer sent", async (t) => {
    const pending = await consumerGroupsMissing(target().bootstrap);
    if (pending !== undefined) {
      t.skip(pending);
      return;
    }
    const topic = uniqueName("platformatic-group");
    const producer = new Producer({ ...base(), autocreateTopics: true, idempotent: true });
    const consumer = new Consumer({ ...base(), groupId: uniqueName("platformatic-group") });
    try {
      const records = sampleRecords({ count: 20, nullKeys: true });
      await producer.send({
        messages: records.map((r) => messageOf(topic, 0, r)),
      });
      const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
      const received: SampleRecord[] = [];
      stream.on("data", (message) => {
        received.push({
          partition: message.partition,
          key: b64(message.key),
          value: b64(message.value),
          headers: [...message.headers.entries()].map(([k, v]) => [k.toString("utf8"), b64(v)] as const),
          timestamp: Number(message.timestamp),
        });
      });
      await waitFor(() => received.length >= records.length, {
        timeoutMs: 30_000,
        what: "the group consumer to read all",
      });
      await stream.close();
      assert.deepEqual(received.map(comparable), records.map(comparable));
    } finally {
      await consumer.close(true);
      await producer.close();
    }
  });
});
