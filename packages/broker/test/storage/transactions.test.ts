// Transactions in storage: transactional batches hold back the last stable offset until a marker
// ends them; aborts are recorded for read_committed fetches; all of it survives restarts and crashes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeControlRecord, encodeRecordBatch, ErrorCode, iterateBatches, iterateRecords } from "@samsa/protocol";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { ProducerStateTable } from "../../src/storage/producer-state.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";
import type { StorageBackend } from "../../src/storage/backend.ts";
import { backends, batchOf, ManualClock } from "./support.ts";

const config: LogConfig = { ...defaultLogConfig, segmentBytes: 1024, indexIntervalBytes: 128, retentionMs: -1 };
const text = new TextEncoder();
const acks = { requiredAcks: -1, leaderEpoch: 0 } as const;

function txnBatch(options: {
  producerId: bigint;
  sequence: number;
  count: number;
  timestampMs: number;
  epoch?: number;
  transactional?: boolean;
}): Uint8Array {
  return encodeRecordBatch({
    producerId: options.producerId,
    producerEpoch: options.epoch ?? 0,
    baseSequence: options.sequence,
    transactional: options.transactional ?? true,
    records: Array.from({ length: options.count }, (_, i) => ({
      key: null,
      value: text.encode(`p${options.producerId}-${options.sequence + i}`),
      timestamp: BigInt(options.timestampMs),
    })),
  });
}

interface Harness {
  log: () => PartitionLog;
  restart: () => Promise<void>;
  crash: () => Promise<void>;
  clock: ManualClock;
}

async function withLog(
  target: (typeof backends)[number],
  run: (h: Harness) => Promise<void>,
  defaults: LogConfig = config,
): Promise<void> {
  const made = target.make();
  let backend: StorageBackend = made.backend;
  const clock = new ManualClock();
  const open = async (): Promise<LogManager> =>
    (await LogManager.open({ backend, dataDir: made.dataDir, clock, defaults })).manager;
  let manager = await open();
  await manager.createTopic({ name: "t", partitions: 1 });
  const log = (): PartitionLog => {
    const l = manager.log("t", 0);
    assert.ok(l);
    return l;
  };
  try {
    await run({
      log,
      clock,
      restart: async () => {
        await manager.close();
        manager = await open();
      },
      crash: async () => {
        await manager.abandon();
        // Power loss on the memory backend (acks=all data is synced); kill -9 on real files.
        if (backend instanceof MemoryFileBackend) backend = backend.afterCrash({ unsyncedKept: 0 });
        manager = await open();
      },
    });
  } finally {
    await manager.close();
    made.cleanup();
  }
}

function ok(result: { errorCode: number }): void {
  assert.equal(
    result.errorCode,
    0,
    JSON.stringify(result, (_, v: unknown) => (typeof v === "bigint" ? `${v}` : v)),
  );
}

/** Every batch of the log: its base offset, whether control, and for markers the control type. */
async function batchesOf(log: PartitionLog): Promise<{ base: number; control: boolean; marker?: string }[]> {
  const out: { base: number; control: boolean; marker?: string }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
    assert.equal(r.errorCode, 0);
    let next = offset;
    for (const batch of iterateBatches(r.records)) {
      const last = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta;
      if (last < offset) continue;
      const entry: { base: number; control: boolean; marker?: string } = {
        base: Number(batch.header.baseOffset),
        control: batch.header.control,
      };
      if (batch.header.control) {
        for (const record of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
          entry.marker = decodeControlRecord(record).type;
        }
      }
      out.push(entry);
      next = last + 1;
    }
    assert.ok(next > offset, "reads make progress");
    offset = next;
  }
  return out;
}

for (const target of backends) {
  describe(`transactions on ${target.name}`, () => {
    test("the LSO holds at the oldest open transaction; markers move it and record aborts; restarts and crashes keep it", async () => {
      await withLog(target, async ({ log, restart, crash, clock }) => {
        ok(await log().append(batchOf({ count: 3, timestampMs: clock.now }), acks)); // 0..2
        assert.equal(log().lastStableOffset, 3);
        ok(await log().append(txnBatch({ producerId: 1n, sequence: 0, count: 2, timestampMs: clock.now }), acks)); // 3..4
        ok(await log().append(batchOf({ count: 2, timestampMs: clock.now }), acks)); // 5..6
        assert.equal(log().highWatermark, 7);
        assert.equal(log().lastStableOffset, 3, "held at producer 1's first offset");
        ok(await log().append(txnBatch({ producerId: 2n, sequence: 0, count: 2, timestampMs: clock.now }), acks)); // 7..8
        ok(await log().append(txnBatch({ producerId: 1n, sequence: 2, count: 1, timestampMs: clock.now }), acks)); // 9
        assert.equal(log().lastStableOffset, 3);
        assert.deepEqual(log().abortedTransactions(0, 100), []);
        // A non-transactional batch during the producer's transaction is refused.
        const mixed = await log().append(
          txnBatch({ producerId: 1n, sequence: 3, count: 1, timestampMs: clock.now, transactional: false }),
          acks,
        );
        assert.equal(mixed.errorCode, ErrorCode.INVALID_TXN_STATE);

        await restart();
        assert.equal(log().lastStableOffset, 3, "ongoing transactions survive a clean restart");
        assert.deepEqual(
          [...log().producerState.ongoingTxns()],
          [
            [1n, 3],
            [2n, 7],
          ],
        );

        let fired = 0;
        const off = log().onHighWatermark(() => fired++);
        const commit = await log().appendMarker({
          producerId: 1n,
          producerEpoch: 0,
          coordinatorEpoch: 5,
          commit: true,
          timestampMs: clock.now,
        });
        ok(commit);
        assert.ok("baseOffset" in commit && commit.baseOffset === 10);
        off();
        assert.ok(fired > 0, "listeners hear of the move");
        assert.equal(log().lastStableOffset, 7, "now held at producer 2's transaction");

        await crash();
        assert.equal(log().lastStableOffset, 7, "producer 2's transaction is still ongoing after a crash");
        assert.equal(
          (
            await log().appendMarker({
              producerId: 2n,
              producerEpoch: -1,
              coordinatorEpoch: 5,
              commit: false,
              timestampMs: clock.now,
            })
          ).errorCode,
          ErrorCode.INVALID_PRODUCER_EPOCH,
        );
        ok(
          await log().appendMarker({
            producerId: 2n,
            producerEpoch: 0,
            coordinatorEpoch: 5,
            commit: false,
            timestampMs: clock.now,
          }),
        ); // 11
        assert.equal(log().highWatermark, 12);
        assert.equal(log().lastStableOffset, 12);
        const expectAborts = (): void => {
          assert.deepEqual(log().abortedTransactions(0, 12), [{ producerId: 2n, firstOffset: 7 }]);
          assert.deepEqual(log().abortedTransactions(0, 7), []);
          assert.deepEqual(log().abortedTransactions(11, 12), [{ producerId: 2n, firstOffset: 7 }]);
          assert.deepEqual(log().abortedTransactions(12, 20), []);
        };
        expectAborts();
        const expectedBatches = [
          { base: 0, control: false },
          { base: 3, control: false },
          { base: 5, control: false },
          { base: 7, control: false },
          { base: 9, control: false },
          { base: 10, control: true, marker: "commit" },
          { base: 11, control: true, marker: "abort" },
        ];
        assert.deepEqual(await batchesOf(log()), expectedBatches);
        await crash();
        expectAborts();
        assert.equal(log().lastStableOffset, 12);
        await restart();
        expectAborts();
        assert.deepEqual(await batchesOf(log()), expectedBatches);
        assert.equal(log().producerState.ongoingTxns().size, 0);
      });
    });

    test("markers keep the coordinator epoch: older coordinators are fenced; restarts and crashes keep it", async () => {
      await withLog(target, async ({ log, restart, crash, clock }) => {
        const marker = (coordinatorEpoch: number, commit = true): Promise<{ errorCode: number }> =>
          log().appendMarker({ producerId: 5n, producerEpoch: 0, coordinatorEpoch, commit, timestampMs: clock.now });
        ok(await log().append(txnBatch({ producerId: 5n, sequence: 0, count: 1, timestampMs: clock.now }), acks));
        assert.equal(log().producerState.entry(5n)?.coordinatorEpoch, -1, "unknown before any marker");
        ok(await marker(3));
        assert.equal(log().producerState.entry(5n)?.coordinatorEpoch, 3);
        const end = log().logEndOffset;
        assert.equal((await marker(2, false)).errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
        assert.equal(log().logEndOffset, end, "nothing written");
        ok(await marker(3));
        let latest = 4;
        ok(await marker(latest));
        // From the snapshot (restart), and replayed from the marker after it (crash).
        for (const next of [restart, crash]) {
          await next();
          assert.equal(log().producerState.entry(5n)?.coordinatorEpoch, latest);
          assert.equal((await marker(latest - 1)).errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
          ok(await marker(++latest));
        }
      });
    });

    test("aborts in rolled segments survive restarts and crashes and go with their segments", async () => {
      await withLog(target, async ({ log, restart, crash, clock }) => {
        const aborts: { producerId: bigint; firstOffset: number }[] = [];
        for (let round = 0; round < 6; round++) {
          const producerId = BigInt(10 + round);
          const first = log().logEndOffset;
          ok(await log().append(txnBatch({ producerId, sequence: 0, count: 3, timestampMs: clock.now }), acks));
          ok(await log().append(batchOf({ count: 4, timestampMs: clock.now, valueBytes: 60 }), acks));
          ok(
            await log().appendMarker({
              producerId,
              producerEpoch: 0,
              coordinatorEpoch: 0,
              commit: false,
              timestampMs: clock.now,
            }),
          );
          aborts.push({ producerId, firstOffset: first });
        }
        assert.ok(log().segmentCount > 2, `rolled: ${log().segmentCount} segments`);
        const end = log().highWatermark;
        assert.deepEqual(log().abortedTransactions(0, end), aborts);
        await restart();
        assert.deepEqual(log().abortedTransactions(0, end), aborts);
        await crash();
        assert.deepEqual(log().abortedTransactions(0, end), aborts);
        // DeleteRecords to the end deletes every segment but the active one, and their aborts.
        ok(await log().deleteRecordsBefore(end));
        const kept = log().abortedTransactions(0, end);
        assert.ok(kept.length < aborts.length);
        assert.deepEqual(kept, aborts.slice(aborts.length - kept.length));
        await restart();
        assert.deepEqual(log().abortedTransactions(0, end), kept);
      });
    });
  });
}

type Op =
  | { kind: "txn"; producer: number; count: number }
  | { kind: "marker"; producer: number; commit: boolean }
  | { kind: "plain"; count: number }
  | { kind: "query"; from: number; to: number }
  | { kind: "restart" }
  | { kind: "crash" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("txn" as const),
      producer: fc.integer({ min: 0, max: 3 }),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("marker" as const),
      producer: fc.integer({ min: 0, max: 3 }),
      commit: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("plain" as const), count: fc.integer({ min: 1, max: 5 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("query" as const),
      from: fc.double({ min: 0, max: 1, noNaN: true }),
      to: fc.double({ min: 0, max: 1.1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
);

test("random interleavings of transactions, markers and plain appends agree with a model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
      await withLog(backends[0] ?? assert.fail("a memory backend"), async ({ log, restart, crash, clock }) => {
        let end = 0;
        const ongoing = new Map<number, number>();
        const sequences = new Map<number, number>();
        const aborted: { producerId: bigint; firstOffset: number; lastOffset: number }[] = [];
        const check = (): void => {
          const lso = Math.min(end, ...ongoing.values());
          assert.equal(log().highWatermark, end);
          assert.equal(log().lastStableOffset, lso);
          assert.deepEqual(
            log().abortedTransactions(0, end),
            aborted.map(({ producerId, firstOffset }) => ({ producerId, firstOffset })),
          );
        };
        for (const o of ops) {
          switch (o.kind) {
            case "txn": {
              const sequence = sequences.get(o.producer) ?? 0;
              const producerId = BigInt(o.producer);
              ok(await log().append(txnBatch({ producerId, sequence, count: o.count, timestampMs: clock.now }), acks));
              sequences.set(o.producer, sequence + o.count);
              if (!ongoing.has(o.producer)) ongoing.set(o.producer, end);
              end += o.count;
              break;
            }
            case "marker": {
              const producerId = BigInt(o.producer);
              ok(
                await log().appendMarker({
                  producerId,
                  producerEpoch: 0,
                  coordinatorEpoch: 0,
                  commit: o.commit,
                  timestampMs: clock.now,
                }),
              );
              const first = ongoing.get(o.producer);
              if (first !== undefined && !o.commit) aborted.push({ producerId, firstOffset: first, lastOffset: end });
              ongoing.delete(o.producer);
              end += 1;
              break;
            }
            case "plain":
              ok(await log().append(batchOf({ count: o.count, timestampMs: clock.now }), acks));
              end += o.count;
              break;
            case "query": {
              const from = Math.floor(o.from * end);
              const to = Math.floor(o.to * end);
              assert.deepEqual(
                log().abortedTransactions(from, to),
                aborted
                  .filter((t) => t.lastOffset >= from && t.firstOffset < to)
                  .map(({ producerId, firstOffset }) => ({ producerId, firstOffset })),
                `aborted in [${from}, ${to})`,
              );
              break;
            }
            case "restart":
              await restart();
              break;
            case "crash":
              await crash();
              break;
          }
          check();
        }
      });
    }),
    { numRuns: 60 },
  );
});

test("producer-state snapshots of version 1 (before transactions) still load, with no ongoing transactions", () => {
  const v1 = {
    version: 1,
    offset: 12,
    producers: [
      {
        producerId: "7",
        epoch: 2,
        batches: [{ firstSeq: 0, lastSeq: 2, firstOffset: 9, lastOffset: 11 }],
        lastTimestampMs: 5,
      },
    ],
  };
  const parsed = ProducerStateTable.parse(text.encode(JSON.stringify(v1)));
  assert.ok(parsed);
  assert.equal(parsed.offset, 12);
  assert.deepEqual(parsed.abortedTxns, []);
  assert.equal(parsed.table.entry(7n)?.epoch, 2);
  assert.equal(parsed.table.entry(7n)?.currentTxnFirstOffset, undefined);
  assert.equal(parsed.table.firstUnstableOffset(), undefined);
  // And version 2 round-trips ongoing transactions and aborted ones.
  const aborted = [{ producerId: 3n, firstOffset: 1, lastOffset: 4, lastStableOffset: 5 }];
  const again = ProducerStateTable.parse(parsed.table.serialize(12, aborted));
  assert.deepEqual(again?.abortedTxns, aborted);
});
