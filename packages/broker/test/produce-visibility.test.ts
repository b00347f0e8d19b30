// When acknowledged records become visible: right after a produce is answered, a ListOffsets
// (latest) and a Fetch on another connection must cover everything acknowledged with acks=all (as
// Kafka guarantees). With acks=1/0 in the default `fsync` durability the high watermark only covers
// synced data, so the records appear once the group commit their write already asked for is done —
// without any further produce — and never before they are synced; in `os` mode (and `interval`)
// the high watermark follows writes, so acks=1 is visible at once as on a single-node Kafka.
// The broker runs in-process on a real data directory, so syncs take real time.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, encodeRecordBatch, iterateBatches } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";
import { silentLogger, startBroker } from "../src/index.ts";
import type { RunningBroker } from "../src/index.ts";

const recordsPerProduce = 500;
const valueBytes = 100;
const readUncommitted = 0;
const readCommitted = 1;

function batch(): Uint8Array {
  const now = BigInt(Date.now());
  return encodeRecordBatch({
    records: Array.from({ length: recordsPerProduce }, () => ({
      key: null,
      value: new Uint8Array(valueBytes),
      timestamp: now,
    })),
  });
}

interface Setup {
  broker: RunningBroker;
  /** Produces. */
  producer: WireClient;
  /** Reads (ListOffsets, Fetch) on its own connection, as an admin client or consumer would. */
  reader: WireClient;
  dir: string;
}

async function setUp(durability: "fsync" | "os"): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), `samsa-visibility-${durability}-`));
  const broker = await startBroker({
    dataDir: dir,
    listen: "127.0.0.1:0",
    logger: silentLogger,
    settings: { "samsa.log.durability": durability },
  });
  return {
    broker,
    producer: await WireClient.connect(broker.bootstrap),
    reader: await WireClient.connect(broker.bootstrap),
    dir,
  };
}

async function tearDown(setup: Setup): Promise<void> {
  setup.producer.close();
  setup.reader.close();
  await setup.broker.close();
  rmSync(setup.dir, { recursive: true, force: true });
}

async function createTopic(client: WireClient, topic: string): Promise<void> {
  const response = await client.send(ApiKey.CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(response.topics[0]?.errorCode, 0, `create ${topic}`);
}

/** Produces one batch; returns the offset after its last record (what the ack promises). */
async function produce(client: WireClient, topic: string, acks: -1 | 1): Promise<bigint> {
  const response = await client.send(ApiKey.Produce, 9, {
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch() }] }],
  });
  const p = response.responses[0]?.partitionResponses[0];
  assert.equal(p?.errorCode, 0, "produce");
  return p.baseOffset + BigInt(recordsPerProduce);
}

async function latest(client: WireClient, topic: string, isolationLevel: number): Promise<bigint> {
  const response = await client.send(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n, currentLeaderEpoch: -1 }] }],
  });
  const p = response.topics[0]?.partitions[0];
  assert.equal(p?.errorCode, 0, "list offsets");
  return p.offset;
}

/** Fetches from `fetchOffset`; returns the response's high watermark and the offset after the last record read. */
async function fetchFrom(
  client: WireClient,
  topic: string,
  fetchOffset: bigint,
  wait: { maxWaitMs: number; minBytes: number },
): Promise<{ highWatermark: bigint; lastStableOffset: bigint; readEnd: bigint }> {
  const response = await client.send(
    ApiKey.Fetch,
    12,
    {
      ...wait,
      maxBytes: 8 << 20,
      isolationLevel: readUncommitted,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: "00000000-0000-0000-0000-000000000000",
          partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 8 << 20 }],
        },
      ],
    },
    { timeoutMs: wait.maxWaitMs + 10_000 },
  );
  const p = response.responses[0]?.partitions[0];
  assert.equal(p?.errorCode, 0, "fetch");
  let readEnd = fetchOffset;
  for (const b of iterateBatches(p.records ?? new Uint8Array(0))) readEnd = b.header.lastOffset + 1n;
  return { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, readEnd };
}

/** Everything acknowledged up to `acked` is visible now: ListOffsets (both isolations) and a Fetch that does not wait. */
async function assertCoveredNow(setup: Setup, topic: string, acked: bigint, round: number): Promise<void> {
  const uncommitted = await latest(setup.reader, topic, readUncommitted);
  assert.ok(uncommitted >= acked, `round ${round}: ListOffsets latest ${uncommitted} < acknowledged end ${acked}`);
  const committed = await latest(setup.reader, topic, readCommitted);
  assert.ok(committed >= acked, `round ${round}: ListOffsets latest (read_committed) ${committed} < ${acked}`);
  const fetched = await fetchFrom(setup.reader, topic, acked - BigInt(recordsPerProduce), {
    maxWaitMs: 0,
    minBytes: 0,
  });
  assert.ok(fetched.highWatermark >= acked, `round ${round}: Fetch high watermark ${fetched.highWatermark} < ${acked}`);
  assert.ok(fetched.lastStableOffset >= acked, `round ${round}: Fetch LSO ${fetched.lastStableOffset} < ${acked}`);
  assert.ok(fetched.readEnd >= acked, `round ${round}: Fetch read up to ${fetched.readEnd}, acknowledged ${acked}`);
}

const rounds = 40;

describe("produce visibility with samsa.log.durability=fsync (default)", () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp("fsync");
  });
  after(async () => {
    await tearDown(setup);
  });

  test("acks=all: ListOffsets latest and Fetch cover the records as soon as the produce is answered", async () => {
    const topic = uniqueName("visibility-all");
    await createTopic(setup.producer, topic);
    for (let round = 0; round < rounds; round++) {
      const acked = await produce(setup.producer, topic, -1);
      await assertCoveredNow(setup, topic, acked, round);
    }
  });

  test("acks=all after acks=1: the acks=all answer covers the earlier acks=1 records too", async () => {
    const topic = uniqueName("visibility-mixed");
    await createTopic(setup.producer, topic);
    for (let round = 0; round < rounds / 2; round++) {
      await produce(setup.producer, topic, 1);
      const acked = await produce(setup.producer, topic, -1);
      await assertCoveredNow(setup, topic, acked, round);
    }
  });

  test("acks=1: only synced records are visible, and acknowledged ones appear without further produces", async () => {
    const topic = uniqueName("visibility-one");
    await createTopic(setup.producer, topic);
    const log = setup.broker.logs.log(topic, 0);
    assert.ok(log !== undefined);
    for (let round = 0; round < rounds / 2; round++) {
      const acked = await produce(setup.producer, topic, 1);
      // What consumers can see never runs ahead of what is synced (a power loss cannot take it back).
      assert.ok(log.highWatermark <= log.recoveryPoint, `round ${round}: high watermark past the synced data`);
      assert.ok((await latest(setup.reader, topic, readUncommitted)) <= acked);
      // A consumer's long poll is answered by the group commit the write already asked for.
      const fetched = await fetchFrom(setup.reader, topic, acked - BigInt(recordsPerProduce), {
        maxWaitMs: 10_000,
        minBytes: 1,
      });
      assert.ok(
        fetched.readEnd >= acked,
        `round ${round}: long poll read up to ${fetched.readEnd}, acknowledged ${acked}`,
      );
      assert.ok(fetched.highWatermark >= acked);
      assert.ok((await latest(setup.reader, topic, readUncommitted)) >= acked);
    }
  });

  test("acks=0: the records become visible without a response or a further produce", async () => {
    const topic = uniqueName("visibility-zero");
    await createTopic(setup.producer, topic);
    setup.producer.sendOneWay(ApiKey.Produce, 9, {
      acks: 0,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch() }] }],
    });
    const fetched = await fetchFrom(setup.reader, topic, 0n, { maxWaitMs: 10_000, minBytes: 1 });
    assert.equal(fetched.readEnd, BigInt(recordsPerProduce));
    await waitFor(async () => (await latest(setup.reader, topic, readUncommitted)) === BigInt(recordsPerProduce), {
      timeoutMs: 10_000,
      what: "ListOffsets latest to reach the acks=0 records",
    });
  });
});

describe("produce visibility with samsa.log.durability=os", () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp("os");
  });
  after(async () => {
    await tearDown(setup);
  });

  for (const acks of [-1, 1] as const) {
    test(`acks=${acks === -1 ? "all" : "1"}: covered as soon as the produce is answered, as on a single-node Kafka`, async () => {
      const topic = uniqueName(`visibility-os${acks}`);
      await createTopic(setup.producer, topic);
      for (let round = 0; round < rounds; round++) {
        const acked = await produce(setup.producer, topic, acks);
        await assertCoveredNow(setup, topic, acked, round);
      }
    });
  }
});
