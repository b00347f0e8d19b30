// The Python clients — confluent-kafka-python (librdkafka) and kafka-python (its own protocol
// code) — through the scripts in test/interop/python: admin (create, list, describe configs),
// producing with every codec, consuming back by manual assignment (no consumer group), and a
// consumer group member once the target serves groups.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uniqueName } from "@samsa/testkit";
import {
  assertProducerCompressed,
  byPartition,
  codecs,
  comparable,
  consumerGroupsMissing,
  pythonCan,
  pythonModuleMissing,
  runPythonClient,
  sampleRecords,
  useTarget,
} from "./support.ts";
import type { SampleRecord } from "./support.ts";

interface ClientUnderTest {
  readonly name: string;
  readonly script: string;
  readonly skip: string | false;
  readonly nullHeaderValues: boolean;
  /** Why the client cannot use a codec here (undefined when it can). */
  readonly codecMissing: (codec: string) => string | undefined;
}

const clients: readonly ClientUnderTest[] = [
  {
    name: "confluent-kafka-python",
    script: "confluent_client.py",
    skip: pythonModuleMissing("confluent_kafka", "python3-confluent-kafka") ?? false,
    nullHeaderValues: true,
    codecMissing: () => undefined, // librdkafka has all codecs built in
  },
  {
    name: "kafka-python",
    script: "kafka_python_client.py",
    skip: pythonModuleMissing("kafka", "python3-kafka") ?? false,
    nullHeaderValues: false, // KafkaProducer.send asserts header values are bytes
    // kafka-python compresses through optional modules (python3-snappy, python3-lz4, python3-zstandard).
    codecMissing: (codec) =>
      codec === "none" || pythonCan(`from kafka.codec import has_${codec}; assert has_${codec}()`)
        ? undefined
        : `kafka-python lacks the ${codec} codec module (apt-get install python3-${codec === "zstd" ? "zstandard" : codec}; .ci/run installs it)`,
  },
];

interface CreateTopicsAnswer {
  errors: Record<string, string | null>;
}
interface ListTopicsAnswer {
  brokers: { id: number; host: string; port: number }[];
  topics: Record<string, { error: string | null; partitions: number[]; leaders: Record<string, number> }>;
}
interface DescribeConfigsAnswer {
  configs: Record<string, string | null>;
}
interface ProduceAnswer {
  delivered: { partition: number; offset: number }[];
}
interface ConsumeAnswer {
  records: SampleRecord[];
}
interface SubscribeAnswer {
  records: SampleRecord[];
  committed: Record<string, number>;
}

/** Checks that consuming gave back exactly what was produced: per partition, in order, at the delivered offsets. */
function assertSameRecords(
  sent: readonly SampleRecord[],
  delivered: ProduceAnswer["delivered"],
  consumed: readonly SampleRecord[],
): void {
  assert.equal(consumed.length, sent.length, `consumed ${consumed.length} of the ${sent.length} records produced`);
  const sentWithOffsets = sent.map((r, i) => ({ ...r, offset: delivered[i]?.offset ?? -1 }));
  for (const [partition, expected] of byPartition(sentWithOffsets)) {
    const got = consumed.filter((r) => r.partition === partition);
    assert.deepEqual(got.map(comparable), expected.map(comparable), `records of partition ${partition}`);
    assert.deepEqual(
      got.map((r) => r.offset),
      expected.map((r) => r.offset),
      `offsets of partition ${partition} (as the producer's delivery reports said)`,
    );
    assert.ok(
      got.every((r) => r.timestampType === "CreateTime"),
      "timestamp type CreateTime",
    );
  }
}

const target = useTarget();

for (const client of clients) {
  describe(client.name, { skip: client.skip }, () => {
    const call = <T>(command: string, request: unknown, options: { timeoutMs?: number } = {}): Promise<T> =>
      runPythonClient<T>(client.script, target().bootstrap, command, request, options);

    test("admin: create_topics, list_topics, describe_configs", async () => {
      const topic = uniqueName("py-admin");
      const created = await call<CreateTopicsAnswer>("create-topics", {
        topics: [{ name: topic, partitions: 3, configs: { "retention.ms": "3600000", "cleanup.policy": "delete" } }],
      });
      assert.deepEqual(created.errors, { [topic]: null });

      const listed = await call<ListTopicsAnswer>("list-topics", {});
      assert.equal(listed.brokers.length, 1);
      const broker = listed.brokers[0];
      assert.equal(`${broker?.host}:${broker?.port}`, target().bootstrap);
      const described = listed.topics[topic];
      assert.ok(described, `${topic} missing from list_topics: ${JSON.stringify(Object.keys(listed.topics))}`);
      assert.equal(described.error, null);
      assert.deepEqual(described.partitions, [0, 1, 2]);
      assert.deepEqual(Object.values(described.leaders), [broker?.id, broker?.id, broker?.id]);

      const { configs } = await call<DescribeConfigsAnswer>("describe-configs", { topic });
      assert.equal(configs["retention.ms"], "3600000");
      assert.equal(configs["cleanup.policy"], "delete");
      assert.ok("segment.bytes" in configs, "describe_configs lists the defaults too (segment.bytes)");
    });

    test("produce to three partitions of a created topic and consume them back", async () => {
      const topic = uniqueName("py-parts");
      const created = await call<CreateTopicsAnswer>("create-topics", { topics: [{ name: topic, partitions: 3 }] });
      assert.deepEqual(created.errors, { [topic]: null });
      const records = sampleRecords({
        count: 30,
        partitions: 3,
        nullHeaderValues: client.nullHeaderValues,
        nullKeys: true,
        nullValues: true,
      });
      const { delivered } = await call<ProduceAnswer>("produce", { topic, compression: "none", records });
      assert.deepEqual(
        delivered.map((d) => d.partition),
        records.map((r) => r.partition),
      );
      const { records: consumed } = await call<ConsumeAnswer>("consume", {
        topic,
        partitions: [0, 1, 2],
        count: records.length,
        timeoutMs: 30_000,
      });
      assertSameRecords(records, delivered, consumed);
    });

    test("consumer group: subscribe, read back, commit", async (t) => {
      const pending = await consumerGroupsMissing(target().bootstrap);
      if (pending !== undefined) {
        t.skip(pending);
        return;
      }
      const topic = uniqueName("py-group");
      const records = sampleRecords({ count: 20, nullHeaderValues: client.nullHeaderValues, nullKeys: true });
      const { delivered } = await call<ProduceAnswer>("produce", { topic, compression: "none", records });
      // Reading is bounded at 20 s; the whole client at 40 s (kafka-python 2.0.2 can block
      // inside poll() while it has no coordinator).
      const answer = await call<SubscribeAnswer>(
        "subscribe",
        { topic, groupId: uniqueName("py-group"), count: records.length, timeoutMs: 20_000 },
        { timeoutMs: 40_000 },
      );
      assertSameRecords(records, delivered, answer.records);
      assert.deepEqual(answer.committed, { "0": records.length }, "the committed offset is the next to read");
    });

    for (const codec of codecs) {
      const missing = client.skip === false ? client.codecMissing(codec) : undefined;
      test(
        `produce with compression ${codec} (auto-created topic) and consume back exactly`,
        { skip: missing ?? false },
        async () => {
          const topic = uniqueName(`py-${codec}`);
          const records = sampleRecords({
            count: 25,
            nullHeaderValues: client.nullHeaderValues,
            nullKeys: true,
            nullValues: true,
          });
          const { delivered } = await call<ProduceAnswer>("produce", { topic, compression: codec, records });
          const { records: consumed } = await call<ConsumeAnswer>("consume", {
            topic,
            partitions: [0],
            count: records.length,
            timeoutMs: 30_000,
          });
          assertSameRecords(records, delivered, consumed);
          // Record 6 carries the large, compressible value (see sampleRecords).
          await assertProducerCompressed(target().bootstrap, {
            topic,
            codec,
            count: records.length,
            compressibleOffset: 6,
          });
        },
      );
    }
  });
}
