// Faults: full disks, failing writes and syncs, power loss with torn writes, corruption on disk,
// and bounded file handles. The log must stay readable and consistent and never lose what it
// acknowledged as durable.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCode } from "@samsa/protocol";
import { StorageIoError } from "../../src/storage/backend.ts";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { Durability, LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { NodeFileBackend } from "../../src/storage/node-files.ts";
import { batchOf, ManualClock, recordsIn } from "./support.ts";
import type { ReadRecord } from "./support.ts";

const config: LogConfig = { ...defaultLogConfig, segmentBytes: 2048, indexIntervalBytes: 200, retentionMs: -1 };

async function open(backend: MemoryFileBackend, durability: Durability = { mode: "fsync" }): Promise<LogManager> {
  return (await LogManager.open({ backend, dataDir: "/data", clock: new ManualClock(), defaults: config, durability }))
    .manager;
}

async function readAll(manager: LogManager, topic: string): Promise<ReadRecord[]> {
  const log = manager.log(topic, 0);
  assert.ok(log);
  const out: ReadRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
    assert.equal(read.errorCode, 0);
    const recs = recordsIn(read.records).filter((r) => r.offset >= offset);
    if (recs.length === 0) break;
    out.push(...recs);
    offset = (recs.at(-1)?.offset ?? offset) + 1;
  }
  return out;
}

describe("disk full and I/O errors", () => {
  test("a full disk fails the append with KAFKA_STORAGE_ERROR; the log stays readable and recovers", async () => {
    const backend = new MemoryFileBackend();
    const manager = await open(backend);
    await manager.createTopic({ name: "full", partitions: 1 });
    const log = manager.log("full", 0);
    assert.ok(log);
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (
          await log.append(batchOf({ count: 2, prefix: `ok${i}`, timestampMs: 1_700_000_000_000 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          })
        ).errorCode,
        0,
      );
    }
    backend.faults.capacityBytes = backend.usedBytes + 10;
    const results = await Promise.all(
      [0, 1, 2].map((i) =>
        log.append(batchOf({ count: 2, prefix: `no${i}`, timestampMs: 1_700_000_000_000 }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        }),
      ),
    );
    for (const r of results) assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(log.logEndOffset, 10);
    assert.deepEqual(
      (await readAll(manager, "full")).map((r) => r.value),
      Array.from({ length: 10 }, (_, i) => `ok${Math.floor(i / 2)}-${i % 2}`),
    );
    delete backend.faults.capacityBytes;
    const after = await log.append(batchOf({ count: 1, prefix: "later", timestampMs: 1_700_000_000_000 }), {
      requiredAcks: -1,
      leaderEpoch: 0,
    });
    assert.ok("baseOffset" in after && after.baseOffset === 10, "offsets stay dense after the failure");
    await manager.close();
  });

  test("a failed sync refuses further appends but keeps serving reads", async () => {
    const backend = new MemoryFileBackend();
    const manager = await open(backend);
    await manager.createTopic({ name: "eio", partitions: 1 });
    const log = manager.log("eio", 0);
    assert.ok(log);
    await log.append(batchOf({ count: 3, timestampMs: 1_700_000_000_000 }), { requiredAcks: -1, leaderEpoch: 0 });
    backend.faults.failSyncs = true;
    assert.equal(
      (await log.append(batchOf({ count: 1, timestampMs: 1_700_000_000_000 }), { requiredAcks: -1, leaderEpoch: 0 }))
        .errorCode,
      ErrorCode.KAFKA_STORAGE_ERROR,
    );
    backend.faults.failSyncs = false;
    assert.equal(
      (await log.append(batchOf({ count: 1, timestampMs: 1_700_000_000_000 }), { requiredAcks: -1, leaderEpoch: 0 }))
        .errorCode,
      ErrorCode.KAFKA_STORAGE_ERROR,
    );
    assert.equal(log.highWatermark, 3);
    assert.equal((await readAll(manager, "eio")).length, 3);
    await manager.abandon();
  });

  test("the file backend maps ENOSPC to a StorageIoError and leaves the size unchanged", async (t) => {
    const backend = new NodeFileBackend();
    if (!(await backend.exists("/dev/full"))) return t.skip("no /dev/full on this machine");
    const file = await backend.open("/dev/full", { create: false });
    await assert.rejects(
      file.append([new Uint8Array(100)]),
      (e: unknown) => e instanceof StorageIoError && e.code === "ENOSPC",
    );
    assert.equal(file.size, 0);
    await file.close();
  });
});

describe("crashes", () => {
  test("power loss: acks=all data survives, unsynced tails are cut at whole batches", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 6 }), acks: fc.constantFrom(-1 as const, 1 as const) }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom<Durability>({ mode: "fsync" }, { mode: "os" }),
        async (appends, kept, durability) => {
          const backend = new MemoryFileBackend();
          const manager = await open(backend, durability);
          await manager.createTopic({ name: "p", partitions: 1 });
          const log = manager.log("p", 0);
          assert.ok(log);
          const expected: string[] = [];
          let durableCount = 0;
          for (const [i, a] of appends.entries()) {
            const r = await log.append(batchOf({ count: a.count, prefix: `b${i}`, timestampMs: 1_700_000_000_000 }), {
              requiredAcks: a.acks,
              leaderEpoch: 0,
            });
            assert.equal(r.errorCode, 0);
            for (let j = 0; j < a.count; j++) expected.push(`b${i}-${j}`);
            if (a.acks === -1 && durability.mode === "fsync") durableCount = expected.length;
          }
          // Crash: keep a random fraction of each file's unsynced bytes (a torn write).
          await manager.abandon();
          const after = backend.afterCrash({ unsyncedKept: kept });
          const recovered = await open(after, durability);
          const values = (await readAll(recovered, "p")).map((r) => r.value);
          assert.ok(values.length >= durableCount, `lost acknowledged records: ${values.length} < ${durableCount}`);
          assert.deepEqual(values, expected.slice(0, values.length), "a prefix of what was appended, in order");
          const rlog = recovered.log("p", 0);
          assert.equal(rlog?.logEndOffset, values.length);
          // Appending goes on densely after recovery.
          const next = await rlog?.append(batchOf({ count: 1, timestampMs: 1_700_000_000_000 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
          assert.ok(next && "baseOffset" in next && next.baseOffset === values.length);
          await recovered.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  test("corrupt bytes on disk are never served as valid", async () => {
    const backend = new MemoryFileBackend();
    const manager = await open(backend);
    await manager.createTopic({ name: "rot", partitions: 1 });
    const log = manager.log("rot", 0);
    assert.ok(log);
    for (let i = 0; i < 40; i++)
      await log.append(batchOf({ count: 2, prefix: `x${i}`, timestampMs: 1_700_000_000_000, valueBytes: 30 }), {
        requiredAcks: -1,
        leaderEpoch: 0,
      });
    await manager.close();
    // Flip one byte inside the first (closed, trusted) segment's records.
    const path = "/data/rot-0/00000000000000000000.log";
    const bytes = await backend.readFile(path);
    assert.ok(bytes);
    bytes.set([(bytes[300] ?? 0) ^ 0x55], 300);
    await backend.writeFileAtomic(path, bytes);
    const reopened = await open(backend);
    const rlog = reopened.log("rot", 0);
    assert.ok(rlog);
    for (let offset = 0; offset < rlog.highWatermark; offset++) {
      const read = await rlog.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
      // Whatever is returned must be intact: recordsIn validates every CRC.
      assert.doesNotThrow(() => recordsIn(read.records));
      assert.ok(read.errorCode === 0 || read.errorCode === ErrorCode.KAFKA_STORAGE_ERROR);
    }
    await reopened.close();
  });
});

test("open files stay bounded with many partitions", async () => {
  const backend = new MemoryFileBackend();
  const manager = (
    await LogManager.open({ backend, dataDir: "/data", clock: new ManualClock(), defaults: config, openFilesMax: 4 })
  ).manager;
  await manager.createTopic({ name: "many", partitions: 20 });
  for (let round = 0; round < 3; round++) {
    for (let p = 0; p < 20; p++) {
      const log = manager.log("many", p);
      assert.ok(log);
      assert.equal(
        (await log.append(batchOf({ count: 2, timestampMs: 1_700_000_000_000 }), { requiredAcks: -1, leaderEpoch: 0 }))
          .errorCode,
        0,
      );
      assert.ok((manager as unknown as { pool: { openCount: number } }).pool.openCount <= 4);
    }
  }
  for (let p = 0; p < 20; p++) assert.equal((await readAll(manager, "many")).length >= 0, true);
  await manager.close();
});
