// Transactions end to end, in-process, with kafkajs (transaction protocol version 1): committed
// records reach read_committed consumers and aborted ones never do; offsets sent in a transaction
// become visible only when it commits; a second producer with the same transactional id fences
// the first; decided and ongoing transactions survive a restart, and a stuck one is aborted by
// its timeout.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import type { Producer } from "kafkajs";
import { uniqueName, waitFor } from "@samsa/testkit";
import { silentLogger, startBroker } from "../src/index.ts";
import type { RunningBroker } from "../src/index.ts";

const settings = {
  "num.partitions": "1",
  "group.initial.rebalance.delay.ms": "0",
  "transaction.abort.timed.out.transaction.cleanup.interval.ms": "200",
};

describe("transactions (kafkajs)", () => {
  let dataDir: string;
  let broker: RunningBroker;
  const open: { disconnect(): Promise<void> }[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "samsa-txn-"));
    broker = await startBroker({ dataDir, listen: "127.0.0.1:0", settings, logger: silentLogger });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.disconnect().catch(() => undefined)));
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const kafka = (): Kafka =>
    new Kafka({
      clientId: "txn-test",
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 },
    });

  async function producer(transactionalId: string, transactionTimeout = 60_000): Promise<Producer> {
    const p = kafka().producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout });
    await p.connect();
    open.push(p);
    return p;
  }

  /** Every value of `topic` a consumer with this isolation sees, once `done` says it has enough. */
  async function consume(
    topic: string,
    readUncommitted: boolean,
    done: (values: readonly string[]) => boolean,
  ): Promise<string[]> {
    const consumer = kafka().consumer({ groupId: uniqueName("txn-reader"), readUncommitted, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      const values: string[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          values.push(message.value?.toString() ?? "");
          return Promise.resolve();
        },
      });
      await waitFor(() => done(values), { timeoutMs: 20_000, what: `consuming ${topic}: saw ${values.join(",")}` });
      return values;
    } finally {
      await consumer.disconnect();
    }
  }

  test("committed records are visible to read_committed consumers, aborted ones never", async () => {
    const topic = uniqueName("txn-visible");
    const p = await producer(uniqueName("txn-id"));
    const aborted = await p.transaction();
    await aborted.send({ topic, messages: [{ value: "a1" }, { value: "a2" }] });
    await aborted.abort();
    const committed = await p.transaction();
    await committed.send({ topic, messages: [{ value: "c1" }, { value: "c2" }] });
    await committed.commit();
    const seenCommitted = await consume(topic, false, (v) => v.includes("c2"));
    assert.deepEqual(seenCommitted, ["c1", "c2"]);
    const seenAll = await consume(topic, true, (v) => v.includes("c2"));
    assert.deepEqual(seenAll, ["a1", "a2", "c1", "c2"]);
  });

  test("a read_committed consumer stops at an open transaction and sees it once it commits", async () => {
    const topic = uniqueName("txn-lso");
    const p = await producer(uniqueName("txn-id"));
    const plain = kafka().producer({ idempotent: true });
    await plain.connect();
    open.push(plain);
    await plain.send({ topic, acks: -1, messages: [{ value: "before" }] });
    const txn = await p.transaction();
    await txn.send({ topic, messages: [{ value: "inside" }] });
    await plain.send({ topic, acks: -1, messages: [{ value: "after" }] });
    const log = broker.logs.log(topic, 0);
    assert.ok(log !== undefined);
    assert.equal(log.lastStableOffset, 1, "the open transaction holds the last stable offset back");
    assert.equal(log.highWatermark, 3);
    await txn.commit();
    await waitFor(() => log.lastStableOffset === log.highWatermark, {
      timeoutMs: 5000,
      what: "the last stable offset reaching the high watermark",
    });
    assert.deepEqual(await consume(topic, false, (v) => v.length >= 3), ["before", "inside", "after"]);
  });

  test("offsets sent in a transaction become visible only when it commits", async () => {
    const topic = uniqueName("txn-offsets");
    const group = uniqueName("txn-group");
    const p = await producer(uniqueName("txn-id"));
    const admin = kafka().admin();
    await admin.connect();
    open.push(admin);
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const committedOffsets = async (): Promise<string[]> =>
      (await admin.fetchOffsets({ groupId: group, topics: [topic] }))
        .flatMap((t) => t.partitions)
        .sort((a, b) => a.partition - b.partition)
        .map((x) => x.offset);

    const aborted = await p.transaction();
    await aborted.send({ topic, messages: [{ value: "x", partition: 0 }] });
    await aborted.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic, partitions: [{ partition: 0, offset: "5" }] }],
    });
    await aborted.abort();
    assert.deepEqual(await committedOffsets(), ["-1", "-1"]);

    const txn = await p.transaction();
    await txn.send({ topic, messages: [{ value: "y", partition: 1 }] });
    await txn.sendOffsets({
      consumerGroupId: group,
      topics: [
        {
          topic,
          partitions: [
            { partition: 0, offset: "7" },
            { partition: 1, offset: "3" },
          ],
        },
      ],
    });
    assert.deepEqual(await committedOffsets(), ["-1", "-1"], "not visible before the commit");
    await txn.commit();
    await waitFor(async () => (await committedOffsets()).join() === "7,3", {
      timeoutMs: 5000,
      what: "the transaction's offsets",
    });
  });

  test("a second producer with the same transactional id fences the first", async () => {
    const topic = uniqueName("txn-zombie");
    const id = uniqueName("txn-id");
    const zombie = await producer(id);
    const zombieTxn = await zombie.transaction();
    await zombieTxn.send({ topic, messages: [{ value: "zombie" }] });
    const successor = await producer(id);
    const txn = await successor.transaction();
    await txn.send({ topic, messages: [{ value: "successor" }] });
    await txn.commit();
    await assert.rejects(zombieTxn.commit(), (error: Error) =>
      /fenced|epoch|ProducerFenced|INVALID_PRODUCER_EPOCH/i.test(`${error.name} ${error.message}`),
    );
    assert.deepEqual(await consume(topic, false, (v) => v.includes("successor")), ["successor"]);
  });

  test("a transaction left open is aborted by its timeout; decisions survive a restart", async () => {
    const topic = uniqueName("txn-restart");
    const committedId = uniqueName("txn-id");
    const p = await producer(committedId);
    const done = await p.transaction();
    await done.send({ topic, messages: [{ value: "kept" }] });
    await done.commit();
    const stuck = await producer(uniqueName("txn-id"), 1000);
    const open1 = await stuck.transaction();
    await open1.send({ topic, messages: [{ value: "stuck" }] });
    const log = (): ReturnType<RunningBroker["logs"]["log"]> => broker.logs.log(topic, 0);
    assert.equal(log()?.lastStableOffset, 2, "the open transaction holds the last stable offset back");

    await broker.close();
    broker = await startBroker({ dataDir, listen: "127.0.0.1:0", settings, logger: silentLogger });
    // After the restart the transaction is still open, until its timeout aborts it.
    await waitFor(() => log()?.lastStableOffset === log()?.highWatermark, {
      timeoutMs: 10_000,
      what: "the timed-out transaction to be aborted",
    });
    const again = await producer(committedId);
    const last = await again.transaction();
    await last.send({ topic, messages: [{ value: "last" }] });
    await last.commit();
    assert.deepEqual(await consume(topic, false, (v) => v.includes("last")), ["kept", "last"]);
    assert.deepEqual(await consume(topic, true, (v) => v.includes("last")), ["kept", "stuck", "last"]);
  });
});
