// End to end with a real client library: three kafkajs consumers in one group share a
// six-partition topic; when one leaves, its partitions move to the others, which resume from the
// committed offsets without skipping (or repeating) anything.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import type { Consumer, Producer } from "kafkajs";
import { ApiKey } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";
import { startBroker, silentLogger } from "@samsa/broker";
import type { RunningBroker } from "@samsa/broker";

const partitions = 6;
const timeoutMs = 10_000;

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({
    inMemory: true,
    listen: "127.0.0.1:0",
    logger: silentLogger,
    settings: { "group.initial.rebalance.delay.ms": "100", "group.min.session.timeout.ms": "1000" },
  });
});

after(async () => {
  await broker.close();
});

interface Consumed {
  readonly consumer: number;
  readonly partition: number;
  readonly offset: number;
}

test("kafkajs consumer group: partitions split, move on leave, and resume from committed offsets", async () => {
  const topic = uniqueName("e2e");
  const groupId = uniqueName("e2e-group");
  await broker.logs.createTopic({ name: topic, partitions });
  const kafka = new Kafka({
    clientId: "samsa-e2e",
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 50, retries: 10 },
  });
  const producer: Producer = kafka.producer();
  await producer.connect();
  const produce = async (perPartition: number, round: number): Promise<void> => {
    const messages = [];
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) messages.push({ partition: p, value: `r${round}-p${p}-${i}` });
    }
    await producer.send({ topic, messages });
  };
  await produce(10, 1);

  const consumed: Consumed[] = [];
  const assignments = new Map<number, number[]>();
  const consumers: Consumer[] = [];
  const wire = await WireClient.connect(broker.bootstrap);
  try {
    for (let i = 0; i < 3; i++) {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 6_000,
        rebalanceTimeout: 3_000,
        heartbeatInterval: 100,
        maxWaitTimeInMs: 100,
        retry: { initialRetryTime: 50, retries: 10 },
      });
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(i, event.payload.memberAssignment[topic] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommitInterval: 50,
        eachMessage: ({ partition, message }) => {
          consumed.push({ consumer: i, partition, offset: Number(message.offset) });
          return Promise.resolve();
        },
      });
      consumers.push(consumer);
    }

    /** The members' latest assignments cover every partition exactly once. */
    const splitAmong = (members: number[]): boolean => {
      const all = members.flatMap((m) => assignments.get(m) ?? []);
      return (
        members.every((m) => (assignments.get(m)?.length ?? 0) > 0) &&
        all.length === partitions &&
        new Set(all).size === partitions
      );
    };
    const committed = async (): Promise<bigint[]> => {
      const fetched = await wire.send(ApiKey.OffsetFetch, 8, {
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0, 1, 2, 3, 4, 5] }] }],
      });
      return fetched.groups[0]?.topics[0]?.partitions.map((p) => p.committedOffset) ?? [];
    };

    await waitFor(() => splitAmong([0, 1, 2]), { timeoutMs, what: "three members sharing six partitions" });
    await waitFor(async () => (await committed()).every((o) => o === 10n), {
      timeoutMs,
      what: "the first 60 messages committed",
    });
    const beforeLeave = new Map<number, number[]>([0, 1, 2].map((m) => [m, [...(assignments.get(m) ?? [])]]));
    const leftPartitions = beforeLeave.get(0) ?? [];
    assert.equal(leftPartitions.length, 2, "range assigns two partitions each");

    // Consumer 0 leaves (LeaveGroup): the other two take over its partitions.
    assignments.delete(0);
    await consumers[0]?.disconnect();
    await waitFor(() => splitAmong([1, 2]), { timeoutMs, what: "two members sharing six partitions" });

    await produce(5, 2);
    await waitFor(async () => (await committed()).every((o) => o === 15n), {
      timeoutMs,
      what: "all 90 messages consumed and committed",
    });

    for (let p = 0; p < partitions; p++) {
      const offsets = consumed.filter((c) => c.partition === p).map((c) => c.offset);
      for (let o = 0; o < 15; o++) assert.ok(offsets.includes(o), `partition ${p} offset ${o} was consumed`);
      // Committed offsets are where the new owners resume: nothing before them is read again.
      const firstRound = offsets.filter((o) => o < 10);
      assert.equal(firstRound.length, 10, `partition ${p}: the first 10 messages were read exactly once`);
    }
    const afterLeave = consumed.filter((c) => leftPartitions.includes(c.partition) && c.offset >= 10);
    assert.ok(afterLeave.length > 0);
    assert.ok(
      afterLeave.every((c) => c.consumer !== 0),
      "the partitions of the member that left are read by the others",
    );
  } finally {
    wire.close();
    await Promise.all(consumers.slice(1).map((c) => c.disconnect()));
    await producer.disconnect();
  }
});
