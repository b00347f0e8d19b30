// Idempotent producers: retries are answered with their original offsets and written once; gaps
// and stale epochs are refused; the state survives restarts and crashes and is undone when a
// write fails.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeRecordBatch, ErrorCode } from "@samsa/protocol";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { backends, ManualClock, recordsIn } from "./support.ts";

const config: LogConfig = { ...defaultLogConfig, segmentBytes: 1024, indexIntervalBytes: 128, retentionMs: -1 };
const text = new TextEncoder();

function idempotentBatch(options: {
  producerId: bigint;
  epoch: number;
  sequence: number;
  count: number;
  tag: string;
  timestampMs: number;
}): Uint8Array {
  return encodeRecordBatch({
    producerId: options.producerId,
    producerEpoch: options.epoch,
    baseSequence: options.sequence,
    records: Array.from({ length: options.count }, (_, i) => ({
      key: null,
      value: text.encode(`${options.tag}-${i}`),
      timestamp: BigInt(options.timestampMs),
    })),
  });
}

for (const target of backends) {
  describe(`idempotent producers on ${target.name}`, () => {
    test("a retried batch gets its original offsets and is stored once; gaps and old epochs are refused", async () => {
      const { backend, dataDir, cleanup } = target.make();
      const clock = new ManualClock();
      let manager = (await LogManager.open({ backend, dataDir, clock, defaults: config })).manager;
      try {
        await manager.createTopic({ name: "idem", partitions: 1 });
        let log = manager.log("idem", 0);
        assert.ok(log);
        const send = (sequence: number, count: number, tag: string, epoch = 0, producerId = 7n) =>
          log!.append(idempotentBatch({ producerId, epoch, sequence, count, tag, timestampMs: clock.now }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
        const a = await send(0, 3, "a");
        const b = await send(3, 2, "b");
        assert.ok("baseOffset" in a && "baseOffset" in b);
        assert.equal(b.baseOffset, 3);
        // Retry of b (e.g. after a lost response): same offsets, nothing new written.
        const retry = await send(3, 2, "b");
        assert.ok("baseOffset" in retry && retry.baseOffset === 3 && retry.lastOffset === 4);
        assert.equal(log.logEndOffset, 5);
        // A gap.
        assert.equal((await send(9, 1, "gap")).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        // A new epoch must start at 0; then the old epoch is fenced.
        assert.equal((await send(5, 1, "x", 1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        const e1 = await send(0, 1, "e1", 1);
        assert.ok("baseOffset" in e1 && e1.baseOffset === 5);
        assert.equal((await send(5, 1, "old", 0)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
        // Other producers are independent.
        assert.equal((await send(0, 1, "other", 0, 8n)).errorCode, 0);
        // The state survives a clean restart (snapshot) …
        await manager.close();
        manager = (await LogManager.open({ backend, dataDir, clock, defaults: config })).manager;
        log = manager.log("idem", 0);
        assert.ok(log);
        const again = await send(0, 1, "e1", 1);
        assert.ok("baseOffset" in again && again.baseOffset === 5, "duplicate after restart");
        assert.equal((await send(1, 1, "e1b", 1)).errorCode, 0);
        // … and a crash (replayed from the log).
        await manager.abandon();
        manager = (await LogManager.open({ backend, dataDir, clock, defaults: config })).manager;
        log = manager.log("idem", 0);
        assert.ok(log);
        const afterCrash = await send(1, 1, "e1b", 1);
        assert.ok("baseOffset" in afterCrash && afterCrash.baseOffset === 7, "duplicate after crash");
        const read = await log.read({ offset: 0, maxBytes: 1 << 20, minOneBatch: true });
        const values = [];
        let offset = 0;
        while (offset < log.highWatermark) {
          const r = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
          const recs = recordsIn(r.records).filter((x) => x.offset >= offset);
          values.push(...recs.map((x) => x.value));
          offset = (recs.at(-1)?.offset ?? offset) + 1;
        }
        assert.ok(read.records.length > 0);
        assert.deepEqual(values, ["a-0", "a-1", "a-2", "b-0", "b-1", "e1-0", "other-0", "e1b-0"]);
      } finally {
        await manager.close();
        cleanup();
      }
    });
  });
}

test("a failed write forgets the producer state it recorded, so the retry is appended", async () => {
  const backend = new MemoryFileBackend();
  const manager = (await LogManager.open({ backend, dataDir: "/d", clock: new ManualClock(), defaults: config }))
    .manager;
  await manager.createTopic({ name: "full", partitions: 1 });
  const log = manager.log("full", 0);
  assert.ok(log);
  const batch = (sequence: number) =>
    idempotentBatch({
      producerId: 1n,
      epoch: 0,
      sequence,
      count: 2,
      tag: `s${sequence}`,
      timestampMs: 1_700_000_000_000,
    });
  assert.equal((await log.append(batch(0), { requiredAcks: -1, leaderEpoch: 0 })).errorCode, 0);
  backend.faults.failAppends = "ENOSPC";
  assert.equal(
    (await log.append(batch(2), { requiredAcks: -1, leaderEpoch: 0 })).errorCode,
    ErrorCode.KAFKA_STORAGE_ERROR,
  );
  delete backend.faults.failAppends;
  const retry = await log.append(batch(2), { requiredAcks: -1, leaderEpoch: 0 });
  assert.ok("baseOffset" in retry && retry.baseOffset === 2, JSON.stringify(retry));
  assert.equal(log.logEndOffset, 4);
  await manager.close();
});

test("idle producers expire after producer.id.expiration.ms", async () => {
  const clock = new ManualClock();
  const manager = (
    await LogManager.open({
      backend: new MemoryFileBackend(),
      dataDir: "/d",
      clock,
      defaults: { ...config, producerIdExpirationMs: 1000 },
    })
  ).manager;
  await manager.createTopic({ name: "exp", partitions: 1 });
  const log = manager.log("exp", 0);
  assert.ok(log);
  await log.append(
    idempotentBatch({ producerId: 3n, epoch: 0, sequence: 0, count: 1, tag: "x", timestampMs: clock.now }),
    { requiredAcks: -1, leaderEpoch: 0 },
  );
  assert.equal(log.producerState.size, 1);
  clock.now += 2000;
  await log.applyRetention();
  assert.equal(log.producerState.size, 0);
  await manager.close();
});
