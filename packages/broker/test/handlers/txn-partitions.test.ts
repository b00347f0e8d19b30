// The partition side of transactions over the wire, against an in-process broker: read_committed
// fetches (stop at the last stable offset, list the aborted transactions of what they return),
// DescribeProducers and WriteTxnMarkers (what kafka-transactions.sh uses). Transactional data is
// written straight into the partition logs, so these tests need no transaction coordinator.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiKey,
  decodeControlRecord,
  encodeRecordBatch,
  ErrorCode,
  iterateBatches,
  iterateRecords,
} from "@samsa/protocol";
import type { FetchResponsePartitionData } from "@samsa/protocol";
import { uniqueName, WireClient } from "@samsa/testkit";
import { handlerFor } from "../../src/handlers/index.ts";
import { silentLogger, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";

const text = new TextEncoder();
const utf8 = new TextDecoder();
const readUncommitted = 0;
const readCommitted = 1;

let broker: RunningBroker;
let client: WireClient;

before(async () => {
  broker = await startBroker({ inMemory: true, listen: "127.0.0.1:0", logger: silentLogger });
  client = await WireClient.connect(broker.bootstrap);
});

after(async () => {
  client.close();
  await broker.close();
});

async function createTopic(name: string, partitions = 1): Promise<PartitionLog> {
  await broker.logs.createTopic({ name, partitions });
  return broker.logs.log(name, 0) ?? assert.fail(`no log for ${name}`);
}

/** Writes into a partition log as producers and the coordinator would, durably. */
class Writer {
  private readonly sequences = new Map<bigint, number>();
  private readonly log: PartitionLog;

  constructor(log: PartitionLog) {
    this.log = log;
  }

  async append(
    values: readonly string[],
    producer?: { id: bigint; epoch?: number; transactional: boolean },
  ): Promise<number> {
    const sequence = producer === undefined ? -1 : (this.sequences.get(producer.id) ?? 0);
    const batch = encodeRecordBatch({
      ...(producer === undefined
        ? {}
        : {
            producerId: producer.id,
            producerEpoch: producer.epoch ?? 0,
            baseSequence: sequence,
            transactional: producer.transactional,
          }),
      records: values.map((v) => ({ key: null, value: text.encode(v), timestamp: BigInt(Date.now()) })),
    });
    const result = await this.log.append(batch, { requiredAcks: -1, leaderEpoch: 0 });
    assert.ok("baseOffset" in result, `append: ${result.errorCode}`);
    if (producer !== undefined) this.sequences.set(producer.id, sequence + values.length);
    return result.baseOffset;
  }

  async marker(producerId: bigint, commit: boolean, coordinatorEpoch = 0): Promise<number> {
    const result = await this.log.appendMarker({
      producerId,
      producerEpoch: 0,
      coordinatorEpoch,
      commit,
      timestampMs: Date.now(),
    });
    assert.ok("baseOffset" in result, `marker: ${result.errorCode}`);
    return result.baseOffset;
  }
}

async function fetchPartition(
  topic: string,
  fetchOffset: number,
  options: { isolationLevel: number; version?: number; maxBytes?: number },
): Promise<FetchResponsePartitionData> {
  const version = options.version ?? 12;
  const topicId = broker.logs.topic(topic)?.topicId ?? assert.fail("no topic");
  const response = await client.send(ApiKey.Fetch, version, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: options.maxBytes ?? 1 << 20,
    isolationLevel: options.isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: version >= 13 ? "" : topic,
        topicId,
        partitions: [
          { partition: 0, fetchOffset: BigInt(fetchOffset), partitionMaxBytes: options.maxBytes ?? 1 << 20 },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  });
  assert.equal(response.errorCode, 0);
  const partition = response.responses[0]?.partitions[0];
  assert.ok(partition);
  assert.equal(partition.errorCode, 0);
  return partition;
}

/**
 * What a read_committed client makes of a fetch answer (Java's CompletedFetch): a producer's
 * transactional batches are dropped from an aborted transaction's first offset until its abort
 * marker; control batches are not records.
 */
function clientView(partition: FetchResponsePartitionData, fetchOffset: number): string[] {
  const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) => Number(a.firstOffset - b.firstOffset));
  const abortedProducers = new Set<bigint>();
  const out: string[] = [];
  for (const batch of iterateBatches(partition.records ?? new Uint8Array(0))) {
    const { header } = batch;
    while (aborted[0] !== undefined && aborted[0].firstOffset <= header.lastOffset) {
      abortedProducers.add(aborted[0].producerId);
      aborted.shift();
    }
    if (header.control) {
      for (const r of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
        if (decodeControlRecord(r).type === "abort") abortedProducers.delete(header.producerId);
      }
      continue;
    }
    if (header.transactional && abortedProducers.has(header.producerId)) continue;
    for (const r of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
      if (Number(r.offset) >= fetchOffset) out.push(utf8.decode(r.value ?? new Uint8Array(0)));
    }
  }
  return out;
}

function lastOffsetIn(partition: FetchResponsePartitionData): number {
  let last = -1;
  for (const batch of iterateBatches(partition.records ?? new Uint8Array(0))) last = Number(batch.header.lastOffset);
  return last;
}

describe("Fetch with isolation levels", () => {
  test("read_committed stops at the LSO and lists the aborted transactions of what it returns", async () => {
    const topic = uniqueName("rc");
    const w = new Writer(await createTopic(topic));
    const committer = { id: 101n, transactional: true };
    const aborter = { id: 102n, transactional: true };
    const open = { id: 103n, transactional: true };
    await w.append(["p0", "p1"]); // 0..1
    await w.append(["c0", "c1"], committer); // 2..3
    const abortedFirst = await w.append(["a0"], aborter); // 4
    await w.append(["p2"]); // 5
    await w.append(["a1"], aborter); // 6
    await w.marker(committer.id, true); // 7
    const abortMarker = await w.marker(aborter.id, false); // 8
    const openFirst = await w.append(["o0"], open); // 9
    await w.append(["p3"]); // 10
    assert.deepEqual([abortedFirst, abortMarker, openFirst], [4, 8, 9]);

    for (const version of [4, 12, 17]) {
      const committed = await fetchPartition(topic, 0, { isolationLevel: readCommitted, version });
      assert.equal(committed.highWatermark, 11n, `v${version}`);
      assert.equal(committed.lastStableOffset, 9n);
      assert.equal(lastOffsetIn(committed), 8, "up to the LSO, markers included");
      assert.deepEqual(committed.abortedTransactions, [{ producerId: aborter.id, firstOffset: 4n }]);
      assert.deepEqual(clientView(committed, 0), ["p0", "p1", "c0", "c1", "p2"]);

      const uncommitted = await fetchPartition(topic, 0, { isolationLevel: readUncommitted, version });
      assert.equal(uncommitted.lastStableOffset, 9n);
      assert.equal(lastOffsetIn(uncommitted), 10, "up to the high watermark");
      assert.equal(uncommitted.abortedTransactions, null, "read_uncommitted gets no list (null)");
    }
    // From the middle of the aborted transaction: it is still listed (its marker is ahead).
    const middle = await fetchPartition(topic, 5, { isolationLevel: readCommitted });
    assert.deepEqual(middle.abortedTransactions, [{ producerId: aborter.id, firstOffset: 4n }]);
    assert.deepEqual(clientView(middle, 5), ["p2"]);
    // After its marker: not listed.
    const later = await fetchPartition(topic, 9, { isolationLevel: readCommitted });
    assert.equal(later.records?.length ?? 0, 0, "nothing below the LSO from there");
    assert.deepEqual(later.abortedTransactions, []);
    // A fetch that returns only the first batch lists only what overlaps it.
    const small = await fetchPartition(topic, 0, { isolationLevel: readCommitted, maxBytes: 1 });
    assert.equal(lastOffsetIn(small), 1, "one batch (at least one is always returned)");
    assert.deepEqual(small.abortedTransactions, []);

    // The open transaction aborts: the LSO reaches the high watermark, and it is listed from 9.
    await w.marker(open.id, false); // 11
    const ended = await fetchPartition(topic, 9, { isolationLevel: readCommitted });
    assert.equal(ended.lastStableOffset, 12n);
    assert.deepEqual(ended.abortedTransactions, [{ producerId: open.id, firstOffset: 9n }]);
    assert.deepEqual(clientView(ended, 9), ["p3"]);
    const all = await fetchPartition(topic, 0, { isolationLevel: readCommitted });
    assert.deepEqual(all.abortedTransactions, [
      { producerId: aborter.id, firstOffset: 4n },
      { producerId: open.id, firstOffset: 9n },
    ]);
    assert.deepEqual(clientView(all, 0), ["p0", "p1", "c0", "c1", "p2", "p3"]);
  });
});

const unregistered = (apiKey: number, name: string): string | false =>
  handlerFor(apiKey) === undefined ? `${name} is not registered in handlers/index.ts yet` : false;

describe("DescribeProducers", { skip: unregistered(ApiKey.DescribeProducers, "DescribeProducers") }, () => {
  test("lists each partition's producers; unknown topics and partitions as Kafka answers them", async () => {
    const topic = uniqueName("producers");
    await createTopic(topic, 2);
    const w = new Writer(broker.logs.log(topic, 0) ?? assert.fail());
    await w.append(["i0", "i1", "i2"], { id: 201n, epoch: 4, transactional: false }); // 0..2
    const txnStart = await w.append(["t0"], { id: 202n, transactional: true }); // 3
    await w.append(["t1"], { id: 202n, transactional: true });
    const ended = { id: 203n, transactional: true };
    await w.append(["e0"], ended);
    await w.marker(ended.id, true, 7);
    const response = await client.send(ApiKey.DescribeProducers, 0, {
      topics: [
        { name: topic, partitionIndexes: [0, 1, 5] },
        { name: "no-such-topic", partitionIndexes: [0] },
        { name: "bad name!", partitionIndexes: [0] },
      ],
    });
    const [known, missing, invalid] = response.topics;
    assert.equal(known?.name, topic);
    const [p0, p1, p5] = known.partitions;
    assert.equal(p0?.errorCode, 0);
    const producers = [...(p0?.activeProducers ?? [])].sort((a, b) => Number(a.producerId - b.producerId));
    assert.deepEqual(
      producers.map((p) => ({ ...p, lastTimestamp: p.lastTimestamp > 0n })),
      [
        {
          producerId: 201n,
          producerEpoch: 4,
          lastSequence: 2,
          lastTimestamp: true,
          coordinatorEpoch: -1,
          currentTxnStartOffset: -1n,
        },
        {
          producerId: 202n,
          producerEpoch: 0,
          lastSequence: 1,
          lastTimestamp: true,
          coordinatorEpoch: -1,
          currentTxnStartOffset: BigInt(txnStart),
        },
        {
          producerId: 203n,
          producerEpoch: 0,
          lastSequence: 0,
          lastTimestamp: true,
          coordinatorEpoch: 7,
          currentTxnStartOffset: -1n,
        },
      ],
    );
    assert.deepEqual(p1, { partitionIndex: 1, errorCode: 0, errorMessage: null, activeProducers: [] });
    assert.equal(p5?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(missing?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(invalid?.partitions[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe("WriteTxnMarkers", { skip: unregistered(ApiKey.WriteTxnMarkers, "WriteTxnMarkers") }, () => {
  test("ends transactions (commit and abort), with per-partition errors as Kafka's", async () => {
    const topic = uniqueName("markers");
    await createTopic(topic, 2);
    const p0 = broker.logs.log(topic, 0) ?? assert.fail();
    const p1 = broker.logs.log(topic, 1) ?? assert.fail();
    const w0 = new Writer(p0);
    const w1 = new Writer(p1);
    const producer = { id: 301n, epoch: 2, transactional: true };
    await w0.append(["x0"], producer);
    await w1.append(["y0"], producer);
    assert.equal(p0.lastStableOffset, 0);

    const abort = await client.send(ApiKey.WriteTxnMarkers, 1, {
      markers: [
        {
          producerId: producer.id,
          producerEpoch: producer.epoch,
          transactionResult: false,
          coordinatorEpoch: 5,
          topics: [
            { name: topic, partitionIndexes: [0, 9] },
            { name: "no-such-topic", partitionIndexes: [0] },
          ],
        },
      ],
    });
    assert.deepEqual(abort.markers, [
      {
        producerId: producer.id,
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, errorCode: 0 },
              { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
            ],
          },
          {
            name: "no-such-topic",
            partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
          },
        ],
      },
    ]);
    assert.equal(p0.lastStableOffset, p0.highWatermark, "the abort ended the transaction");
    assert.deepEqual(p0.abortedTransactions(0, p0.highWatermark), [{ producerId: producer.id, firstOffset: 0 }]);
    assert.equal(p0.producerState.entry(producer.id)?.coordinatorEpoch, 5);

    // Stale producer or coordinator epochs are fenced; the same producer twice is one answer.
    const fenced = await client.send(ApiKey.WriteTxnMarkers, 1, {
      markers: [
        {
          producerId: producer.id,
          producerEpoch: producer.epoch - 1,
          transactionResult: true,
          coordinatorEpoch: 5,
          topics: [{ name: topic, partitionIndexes: [1] }],
        },
        {
          producerId: producer.id,
          producerEpoch: producer.epoch,
          transactionResult: true,
          coordinatorEpoch: 4,
          topics: [{ name: topic, partitionIndexes: [0] }],
        },
      ],
    });
    assert.deepEqual(fenced.markers, [
      {
        producerId: producer.id,
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 1, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH },
              { partitionIndex: 0, errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED },
            ],
          },
        ],
      },
    ]);
    assert.equal(p1.lastStableOffset, 0, "still open");

    const commit = await client.send(ApiKey.WriteTxnMarkers, 1, {
      markers: [
        {
          producerId: producer.id,
          producerEpoch: producer.epoch,
          transactionResult: true,
          coordinatorEpoch: 5,
          topics: [{ name: topic, partitionIndexes: [1] }],
        },
      ],
    });
    assert.deepEqual(commit.markers[0]?.topics[0]?.partitions, [{ partitionIndex: 1, errorCode: 0 }]);
    assert.equal(p1.lastStableOffset, p1.highWatermark);
    assert.deepEqual(p1.abortedTransactions(0, p1.highWatermark), []);
    const fetched = await fetchPartition(topic, 0, { isolationLevel: readCommitted });
    assert.deepEqual(clientView(fetched, 0), [], "the aborted record is not read");
  });
});
