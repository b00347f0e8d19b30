// Log compaction (cleanup.policy=compact): the cleaner keeps each key's latest record in closed
// segments at its original offset, drops tombstones after delete.retention.ms, honours the dirty
// ratio and the compaction lag, keeps its state across restarts and crashes at any step, bounds
// its key map, and never serves wrong data to concurrent readers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers/promises";
import fc from "fast-check";
import { encodeRecordBatch, ErrorCode, iterateBatches } from "@samsa/protocol";
import type { EncodeRecordBatchOptions, RecordBatchHeader } from "@samsa/protocol";
import type { StorageBackend } from "../../src/storage/backend.ts";
import { Throttler } from "../../src/storage/cleaner.ts";
import type { IoTimer, LogCleanerOptions } from "../../src/storage/cleaner.ts";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import type { PartitionLog, ReadResult } from "../../src/storage/partition-log.ts";
import { backends, ManualClock, recordsIn } from "./support.ts";
import type { ReadRecord } from "./support.ts";

/** Small segments (a few batches each), compaction on and due at any dirty ratio. */
const compacted: LogConfig = {
  ...defaultLogConfig,
  segmentBytes: 600,
  indexIntervalBytes: 100,
  retentionMs: -1,
  cleanupPolicy: { delete: false, compact: true },
  minCleanableDirtyRatio: 0,
  deleteRetentionMs: 60_000,
};

interface Rec {
  readonly key: string | null;
  readonly value: string | null;
}

/** What was appended at each offset. */
interface Appended extends Rec {
  readonly offset: number;
  readonly timestampMs: number;
}

const text = new TextEncoder();

/** Record i of n is stamped `timestampMs - (n - 1 - i)`: the last at `timestampMs`, none in the future. */
function stampOf(timestampMs: number, i: number, n: number): number {
  return timestampMs - (n - 1 - i);
}

function batch(
  records: readonly Rec[],
  timestampMs: number,
  extra: Partial<EncodeRecordBatchOptions> = {},
): Uint8Array {
  return encodeRecordBatch({
    ...extra,
    records: records.map((r, i) => ({
      key: r.key === null ? null : text.encode(r.key),
      value: r.value === null ? null : text.encode(r.value),
      timestamp: BigInt(stampOf(timestampMs, i, records.length)),
    })),
  });
}

/** Appends one batch (acks=all) and records it in `model`. */
async function append(
  log: PartitionLog,
  model: Appended[],
  records: readonly Rec[],
  timestampMs: number,
  extra: Partial<EncodeRecordBatchOptions> = {},
): Promise<void> {
  const r = await log.append(batch(records, timestampMs, extra), { requiredAcks: -1, leaderEpoch: 0 });
  assert.ok("baseOffset" in r, `append failed: ${JSON.stringify(r)}`);
  assert.equal(r.baseOffset, model.length);
  records.forEach((rec, i) =>
    model.push({ ...rec, offset: model.length, timestampMs: stampOf(timestampMs, i, records.length) }),
  );
}

/** Reads the whole log like a consumer: from the log start offset to the high watermark. */
async function readAll(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read({ offset, maxBytes: 2048, minOneBatch: true });
    assert.equal(read.errorCode, 0, `read at ${offset}`);
    let lastOffset = -1;
    for (const b of iterateBatches(read.records)) {
      lastOffset = Number(b.header.lastOffset);
      // Transaction markers are not records a consumer sees.
      if (!b.header.control) out.push(...recordsIn(b.bytes).filter((r) => r.offset >= offset));
    }
    assert.ok(lastOffset >= offset, `a read at ${offset} makes progress`);
    // As consumers do: go on after the batch, whose last records compaction may have removed.
    offset = lastOffset + 1;
  }
  return out;
}

/** Each key's latest value (tombstones delete), as a consumer reading these records sees it. */
function latestView(records: readonly Rec[]): Map<string, string> {
  const view = new Map<string, string>();
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) view.delete(r.key);
    else view.set(r.key, r.value);
  }
  return view;
}

/**
 * What must hold of a compacted log: every record read is the one appended at its offset;
 * the latest value per key is the model's; below the cleaner checkpoint each key appears at
 * most once. Returns the records read.
 */
async function checkLog(manager: LogManager, topic: string, model: readonly Appended[]): Promise<ReadRecord[]> {
  const log = manager.log(topic, 0);
  assert.ok(log);
  const all = await readAll(log);
  let previous = -1;
  for (const r of all) {
    assert.ok(r.offset > previous, "offsets increase");
    previous = r.offset;
    const m = model[r.offset];
    assert.deepEqual(
      { offset: r.offset, key: r.key, value: r.value, timestampMs: r.timestampMs },
      { offset: m?.offset, key: m?.key, value: m?.value, timestampMs: m?.timestampMs },
      `record at offset ${r.offset} is what was appended there`,
    );
  }
  assert.deepEqual(latestView(all), latestView(model), "each key's latest value");
  const checkpoint = manager.cleanerCheckpoint(topic, 0) ?? 0;
  const keysBelow = all.filter((r) => r.offset < checkpoint).map((r) => r.key);
  assert.equal(new Set(keysBelow).size, keysBelow.length, `one record per key below the checkpoint ${checkpoint}`);
  return all;
}

/** Stored batches by base offset (their headers and exact bytes). */
async function storedBatches(
  log: PartitionLog,
): Promise<Map<number, { header: RecordBatchHeader; bytes: Uint8Array }>> {
  const out = new Map<number, { header: RecordBatchHeader; bytes: Uint8Array }>();
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
    assert.equal(read.errorCode, 0);
    for (const b of iterateBatches(read.records)) {
      out.set(Number(b.header.baseOffset), { header: b.header, bytes: b.bytes.slice() });
      offset = Number(b.header.lastOffset) + 1;
    }
  }
  return out;
}

const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `k${i}`);

/** Appends `rounds` batches of 1–3 records over `keyCount` keys, values unique. */
async function fill(
  log: PartitionLog,
  model: Appended[],
  options: { rounds: number; keyCount: number; clock: ManualClock; tombstoneEvery?: number },
): Promise<void> {
  const ks = keys(options.keyCount);
  for (let i = 0; i < options.rounds; i++) {
    const records: Rec[] = [];
    for (let j = 0; j < 1 + (i % 3); j++) {
      const n = model.length + j;
      const tombstone = options.tombstoneEvery !== undefined && n % options.tombstoneEvery === 0;
      records.push({ key: ks[(n * 7) % ks.length] ?? "k", value: tombstone ? null : `v${n}` });
    }
    await append(log, model, records, options.clock.now);
  }
}

for (const target of backends) {
  describe(`compaction on ${target.name}`, () => {
    async function withManager(
      run: (ctx: {
        manager: () => LogManager;
        reopen: () => Promise<LogManager>;
        crash: () => Promise<LogManager>;
        clock: ManualClock;
        backend: StorageBackend;
      }) => Promise<void>,
      cleaner: Omit<LogCleanerOptions, "clock"> = {},
    ): Promise<void> {
      const made = target.make();
      let backend = made.backend;
      const { dataDir, cleanup } = made;
      const clock = new ManualClock();
      const open = async (): Promise<LogManager> =>
        (await LogManager.open({ backend, dataDir, clock, defaults: compacted, cleaner })).manager;
      let manager = await open();
      const reopen = async (): Promise<LogManager> => {
        await manager.close();
        manager = await open();
        return manager;
      };
      const crash = async (): Promise<LogManager> => {
        await manager.abandon();
        // Power loss on the memory backend (acks=all data is synced); kill -9 on real files.
        if (backend instanceof MemoryFileBackend) backend = backend.afterCrash({ unsyncedKept: 0 });
        manager = await open();
        return manager;
      };
      try {
        await run({ manager: () => manager, reopen, crash, clock, backend });
      } finally {
        await manager.close();
        cleanup();
      }
    }

    test("each key keeps its latest record at its offset; reads from any offset are right", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({ name: "c", partitions: 1 });
        const log = manager().log("c", 0);
        assert.ok(log);
        const model: Appended[] = [];
        await fill(log, model, { rounds: 60, keyCount: 5, clock });
        const segmentsBefore = log.segmentCount;
        const bytesBefore = log.sizeBytes;
        const before = await readAll(log);
        assert.equal(before.length, model.length);
        const round = await manager().cleanLogs();
        assert.deepEqual(round.failed, []);
        assert.equal(round.cleaned.length, 1);
        const result = round.cleaned[0];
        assert.ok(result !== undefined && result.recordsRemoved > 0);
        assert.ok(log.sizeBytes < bytesBefore, "the log shrank");
        assert.ok(log.segmentCount <= segmentsBefore);
        const checkpoint = manager().cleanerCheckpoint("c", 0) ?? 0;
        assert.equal(checkpoint, result.cleanedUpTo);
        assert.ok(checkpoint > 0 && checkpoint < log.logEndOffset, "cleaned up to the active segment");
        const after = await checkLog(manager(), "c", model);
        // The active segment is untouched: everything from its first record on is still there.
        const activeBase = before.find((r) => r.offset >= checkpoint)?.offset ?? log.logEndOffset;
        assert.deepEqual(
          after.filter((r) => r.offset >= activeBase),
          before.filter((r) => r.offset >= activeBase),
        );
        // A read from every offset returns the retained records from there on, in order.
        for (let offset = 0; offset < log.highWatermark; offset++) {
          const read = await log.read({ offset, maxBytes: 300, minOneBatch: true });
          assert.equal(read.errorCode, 0);
          const got = recordsIn(read.records).filter((r) => r.offset >= offset);
          const expected = after.filter((r) => r.offset >= offset);
          assert.deepEqual(got, expected.slice(0, got.length), `read from ${offset}`);
          assert.ok(read.records.length > 0, `a read from ${offset} returns a batch`);
        }
        // A second pass right away has nothing to do.
        assert.equal((await manager().cleanLogs()).cleaned.length, 0);
      });
    });

    test("rewritten batches keep their identity; untouched batches are copied byte for byte", async () => {
      await withManager(async ({ manager, clock }) => {
        for (const [name, type] of [
          ["create", "CreateTime"],
          ["append", "LogAppendTime"],
        ] as const) {
          await manager().createTopic({ name, partitions: 1, configs: { "message.timestamp.type": type } });
          const log = manager().log(name, 0);
          assert.ok(log);
          const model: Appended[] = [];
          const codecs = ["none", "lz4", "gzip", "snappy", "zstd"] as const;
          for (let i = 0; i < 24; i++) {
            // Batches of unique keys stay as they are; the others lose their "a" and "b" to later batches.
            // Batches of only "a" and "b" go entirely.
            const ks = i % 4 === 3 ? [`u${i}`, `u${i + 100}`] : i % 4 === 1 ? ["a", "b"] : ["a", `u${i}`, "b"];
            await append(
              log,
              model,
              ks.map((key, j) => ({ key, value: `${name}${i}-${j}` })),
              clock.now - 1000 + i * 10,
              {
                compression: codecs[i % codecs.length] ?? "none",
                producerId: BigInt(1000 + i),
                producerEpoch: i % 7,
                baseSequence: i * 3,
                transactional: i % 2 === 0,
              },
            );
          }
          // The transactions end (committed), so that the cleaner may clean their batches.
          for (const i of Array.from({ length: 12 }, (_, j) => j * 2)) {
            const marker = await log.appendMarker({
              producerId: BigInt(1000 + i),
              producerEpoch: i % 7,
              coordinatorEpoch: 0,
              commit: true,
              timestampMs: clock.now,
            });
            assert.equal(marker.errorCode, 0);
            model.push({ key: null, value: null, offset: model.length, timestampMs: clock.now });
          }
          const before = await storedBatches(log);
          const round = await manager().cleanLogs();
          assert.deepEqual(round.failed, []);
          const after = await storedBatches(log);
          let rewritten = 0;
          let copied = 0;
          for (const [base, b] of after) {
            const original = before.get(base);
            assert.ok(original, `batch ${base} existed`);
            const h = b.header;
            const o = original.header;
            assert.deepEqual(
              [h.baseOffset, h.lastOffsetDelta, h.producerId, h.producerEpoch, h.baseSequence],
              [o.baseOffset, o.lastOffsetDelta, o.producerId, o.producerEpoch, o.baseSequence],
            );
            assert.deepEqual(
              [h.compression, h.timestampType, h.transactional, h.partitionLeaderEpoch],
              [o.compression, o.timestampType, o.transactional, o.partitionLeaderEpoch],
            );
            if (h.recordsCount === o.recordsCount) {
              assert.deepEqual(b.bytes, original.bytes, `untouched batch ${base} is byte-identical`);
              copied++;
            } else {
              rewritten++;
              if (type === "LogAppendTime") assert.equal(h.maxTimestamp, o.maxTimestamp);
            }
          }
          assert.ok(rewritten > 0 && copied > 0, `rewritten ${rewritten}, copied ${copied}`);
          assert.ok(after.size < before.size, "emptied batches are dropped");
          // LogAppendTime records read back with the time they were stamped with.
          const records = await checkLog(
            manager(),
            name,
            type === "CreateTime"
              ? model
              : model.map((m) => {
                  const stamped = [...before.values()].find(
                    (b) => m.offset >= Number(b.header.baseOffset) && m.offset <= Number(b.header.lastOffset),
                  );
                  return { ...m, timestampMs: Number(stamped?.header.maxTimestamp ?? -1) };
                }),
          );
          assert.ok(records.length > 0);
        }
      });
    });

    test("tombstones are kept until delete.retention.ms, then removed", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({ name: "t", partitions: 1, configs: { "delete.retention.ms": "60000" } });
        const log = manager().log("t", 0);
        assert.ok(log);
        const model: Appended[] = [];
        await append(
          log,
          model,
          [
            { key: "gone", value: "1" },
            { key: "kept", value: "2" },
          ],
          clock.now,
        );
        await append(log, model, [{ key: "gone", value: null }], clock.now);
        // A tombstone followed by a newer value is simply superseded.
        await append(log, model, [{ key: "back", value: null }], clock.now);
        await append(log, model, [{ key: "back", value: "3" }], clock.now);
        // Enough other records to close the segments holding the above.
        await fill(log, model, { rounds: 20, keyCount: 3, clock });
        const round1 = await manager().cleanLogs();
        assert.equal(round1.cleaned.length, 1);
        let all = await checkLog(manager(), "t", model);
        assert.deepEqual(
          all.filter((r) => ["gone", "kept", "back"].includes(r.key ?? "")).map((r) => [r.key, r.value]),
          [
            ["kept", "2"],
            ["gone", null],
            ["back", "3"],
          ],
          "the tombstone stays (it is the latest for its key); the superseded one goes",
        );
        clock.now += 30_000;
        assert.equal((await manager().cleanLogs()).cleaned.length, 0, "not yet due: nothing dirty, tombstone young");
        clock.now += 30_001;
        const round2 = await manager().cleanLogs();
        assert.equal(round2.cleaned.length, 1, "an expired tombstone makes a pass due by itself");
        all = await checkLog(manager(), "t", model);
        assert.deepEqual(
          all.filter((r) => ["gone", "kept", "back"].includes(r.key ?? "")).map((r) => [r.key, r.value]),
          [
            ["kept", "2"],
            ["back", "3"],
          ],
        );
        assert.equal((await manager().cleanLogs()).cleaned.length, 0, "and then nothing is due");
      });
    });

    test("min.cleanable.dirty.ratio decides when a log is cleaned", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({ name: "r", partitions: 1, configs: { "min.cleanable.dirty.ratio": "0.5" } });
        const log = manager().log("r", 0);
        assert.ok(log);
        const model: Appended[] = [];
        // Many distinct keys: after cleaning, the clean section stays large.
        for (let i = 0; i < 40; i++) await append(log, model, [{ key: `d${i}`, value: `x${i}` }], clock.now);
        assert.equal((await manager().cleanLogs()).cleaned.length, 1, "all dirty: ratio 1");
        const ratio = (): number => {
          const checkpoint = manager().cleanerCheckpoint("r", 0) ?? 0;
          const closed = log.closedSegments();
          const total = closed.reduce((n, s) => n + s.sizeBytes, 0);
          const dirty = closed.filter((s) => s.nextOffset > checkpoint).reduce((n, s) => n + s.sizeBytes, 0);
          return dirty / total;
        };
        let passes = 0;
        let sawSkip = false;
        for (let i = 0; i < 40; i++) {
          await append(log, model, [{ key: `d${i % 4}`, value: `y${i}` }], clock.now);
          const expected = ratio() >= 0.5;
          const round = await manager().cleanLogs();
          assert.equal(round.cleaned.length, expected ? 1 : 0, `ratio ${ratio()}`);
          if (expected) {
            passes++;
            assert.ok((round.cleaned[0]?.dirtyRatio ?? 0) >= 0.5);
          } else if (log.closedSegments().some((s) => s.nextOffset > (manager().cleanerCheckpoint("r", 0) ?? 0))) {
            sawSkip = true;
          }
        }
        assert.ok(passes > 0 && sawSkip, `passes ${passes}, skipped a dirty log: ${sawSkip}`);
        await checkLog(manager(), "r", model);
      });
    });

    test("min.compaction.lag.ms holds back young segments; the active segment is never cleaned", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({ name: "lag", partitions: 1, configs: { "min.compaction.lag.ms": "60000" } });
        await manager().createTopic({ name: "one", partitions: 1 });
        const log = manager().log("lag", 0);
        const one = manager().log("one", 0);
        assert.ok(log && one);
        const model: Appended[] = [];
        const oneModel: Appended[] = [];
        await fill(log, model, { rounds: 20, keyCount: 3, clock });
        for (let i = 0; i < 5; i++) await append(one, oneModel, [{ key: "same", value: `s${i}` }], clock.now);
        assert.equal(one.segmentCount, 1);
        assert.equal((await manager().cleanLogs()).cleaned.length, 0, "every segment is too young");
        clock.now += 30_000;
        const boundary = model.length;
        await fill(log, model, { rounds: 20, keyCount: 3, clock });
        clock.now += 30_000;
        const round = await manager().cleanLogs();
        assert.equal(round.cleaned.length, 1);
        const checkpoint = manager().cleanerCheckpoint("lag", 0) ?? 0;
        assert.ok(checkpoint <= boundary, `cleaned only the old segments (up to ${checkpoint} ≤ ${boundary})`);
        const all = await checkLog(manager(), "lag", model);
        assert.deepEqual(
          all.filter((r) => r.offset >= boundary).map((r) => r.offset),
          model.filter((r) => r.offset >= boundary).map((r) => r.offset),
          "the young records are all there",
        );
        assert.deepEqual(
          (await readAll(one)).map((r) => r.value),
          ["s0", "s1", "s2", "s3", "s4"],
          "a log with only an active segment is not cleaned",
        );
      });
    });

    test("a compacted log survives restarts and crashes; the first segment keeps the log start", async () => {
      await withManager(async ({ manager, reopen, crash, clock }) => {
        await manager().createTopic({ name: "s", partitions: 1 });
        const log = manager().log("s", 0);
        assert.ok(log);
        const model: Appended[] = [];
        // The first segments' keys are all superseded later: compaction empties them.
        for (let i = 0; i < 12; i++) await append(log, model, [{ key: `early${i % 3}`, value: `e${i}` }], clock.now);
        await fill(log, model, { rounds: 30, keyCount: 4, clock, tombstoneEvery: 9 });
        for (let i = 0; i < 3; i++) await append(log, model, [{ key: `early${i}`, value: `late${i}` }], clock.now);
        await fill(log, model, { rounds: 10, keyCount: 4, clock });
        await manager().cleanLogs();
        const compactedRecords = await checkLog(manager(), "s", model);
        const checkpoint = manager().cleanerCheckpoint("s", 0);
        assert.equal(manager().log("s", 0)?.logStartOffset, 0);
        for (const next of [reopen, crash]) {
          const m = await next();
          const l = m.log("s", 0);
          assert.ok(l);
          assert.equal(l.logStartOffset, 0, "the log start offset did not move");
          assert.equal(m.cleanerCheckpoint("s", 0), checkpoint, "the cleaner checkpoint persisted");
          assert.deepEqual(await checkLog(m, "s", model), compactedRecords);
          assert.equal((await m.cleanLogs()).cleaned.length, 0, "nothing more to clean");
        }
        // Appends go on at the right offset.
        await append(manager().log("s", 0) ?? assert.fail(), model, [{ key: "after", value: "restart" }], clock.now);
        await checkLog(manager(), "s", model);
      });
    });

    test("a re-created topic does not inherit the deleted one's cleaner checkpoint after a crash", async () => {
      await withManager(async ({ manager, crash, clock }) => {
        await manager().createTopic({ name: "again", partitions: 1 });
        const first = manager().log("again", 0);
        assert.ok(first);
        await fill(first, [], { rounds: 40, keyCount: 3, clock });
        await manager().cleanLogs();
        assert.ok((manager().cleanerCheckpoint("again", 0) ?? 0) > 0);
        await manager().deleteTopic("again");
        await manager().createTopic({ name: "again", partitions: 1 });
        const log = manager().log("again", 0);
        assert.ok(log);
        const model: Appended[] = [];
        await fill(log, model, { rounds: 60, keyCount: 3, clock, tombstoneEvery: 5 });
        const m = await crash();
        assert.equal(m.cleanerCheckpoint("again", 0), 0);
        assert.equal(m.log("again", 0)?.logStartOffset, 0);
        await m.cleanLogs();
        await checkLog(m, "again", model);
      });
    });

    test("compact,delete: retention applies too, placeholder segments included", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({
          name: "cd",
          partitions: 1,
          configs: { "cleanup.policy": "compact,delete", "retention.ms": "60000" },
        });
        const log = manager().log("cd", 0);
        assert.ok(log);
        const model: Appended[] = [];
        for (let i = 0; i < 12; i++) await append(log, model, [{ key: "x", value: `old${i}` }], clock.now);
        clock.now += 40_000;
        for (let i = 0; i < 20; i++) await append(log, model, [{ key: `mid${i}`, value: `m${i}` }], clock.now);
        clock.now += 40_000;
        await append(log, model, [{ key: "x", value: "newest" }], clock.now);
        await fill(log, model, { rounds: 10, keyCount: 3, clock });
        await manager().cleanLogs();
        assert.equal(log.closedSegments()[0]?.sizeBytes, 0, "the first segment is an empty placeholder");
        assert.equal(await log.applyRetention(), 0, "nothing expired yet");
        clock.now += 30_000;
        assert.ok((await log.applyRetention()) > 0, "the old segments (and the placeholder) expire");
        assert.ok(log.logStartOffset > 0);
        const all = await readAll(log);
        assert.ok(all.some((r) => r.key === "x" && r.value === "newest"));
        // Whole segments expire: the one also holding "newest" keeps some "mid" records.
        assert.ok(!all.some((r) => r.key === "mid0"), "expired segments are gone");
        for (const r of all) assert.equal(model[r.offset]?.value, r.value);
      });
    });

    test("with a tiny key map, compaction converges over several passes", async () => {
      await withManager(
        async ({ manager, clock }) => {
          await manager().createTopic({ name: "m", partitions: 1 });
          const log = manager().log("m", 0);
          assert.ok(log);
          const model: Appended[] = [];
          await fill(log, model, { rounds: 80, keyCount: 12, clock, tombstoneEvery: 11 });
          let passes = 0;
          for (;;) {
            const round = await manager().cleanLogs();
            assert.deepEqual(round.failed, []);
            if (round.cleaned.length === 0) break;
            assert.ok((round.cleaned[0]?.keysMapped ?? 0) <= 3, "the map holds at most 3 keys");
            passes++;
            assert.ok(passes < 200, "converges");
            await checkLog(manager(), "m", model);
          }
          assert.ok(passes > 3, `took several passes (${passes})`);
          const checkpoint = manager().cleanerCheckpoint("m", 0) ?? 0;
          const lastClosed = log.closedSegments().at(-1);
          assert.equal(checkpoint, lastClosed?.nextOffset, "the whole cleanable section was cleaned");
        },
        { keyMapEntriesMax: 3 },
      );
    });

    test("concurrent appends and reads during cleaning never see wrong data", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({ name: "live", partitions: 1 });
        const log = manager().log("live", 0);
        assert.ok(log);
        const model: Appended[] = [];
        await fill(log, model, { rounds: 120, keyCount: 6, clock });
        let cleaning = true;
        let storageErrors = 0;
        let reads = 0;
        const reader = (async () => {
          let offset = 0;
          while (cleaning) {
            const read: ReadResult = await log.read({ offset, maxBytes: 500, minOneBatch: true });
            reads++;
            if (read.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) storageErrors++;
            else {
              assert.equal(read.errorCode, 0);
              for (const r of recordsIn(read.records)) assert.equal(r.value, model[r.offset]?.value);
            }
            offset = (offset + 7) % Math.max(1, log.highWatermark);
            // Clients arrive over the network: each request is its own event-loop task.
            await setImmediate();
          }
        })();
        const writer = (async () => {
          let i = 0;
          while (cleaning) {
            await append(log, model, [{ key: `k${i % 6}`, value: `w${i++}` }], clock.now);
            await setImmediate();
          }
        })();
        const round = await manager().cleanLogs();
        cleaning = false;
        await Promise.all([reader, writer]);
        assert.deepEqual(round.failed, []);
        assert.equal(round.cleaned.length, 1);
        assert.ok(reads > 0);
        // A read that meets a swap reads the compacted copy once the swap is done.
        assert.equal(storageErrors, 0);
        await checkLog(manager(), "live", model);
      });
    });
  });
}

describe("compaction crash safety (memory backend)", () => {
  /** A log with closed segments to compact, its recovery checkpoint written; returns the model. */
  async function prepare(backend: MemoryFileBackend, clock: ManualClock): Promise<Appended[]> {
    const { manager } = await LogManager.open({ backend, dataDir: "/data", clock, defaults: compacted });
    await manager.createTopic({ name: "x", partitions: 1 });
    const log = manager.log("x", 0);
    assert.ok(log);
    const model: Appended[] = [];
    for (let i = 0; i < 8; i++) await append(log, model, [{ key: `first${i % 2}`, value: `f${i}` }], clock.now);
    await fill(log, model, { rounds: 25, keyCount: 4, clock, tombstoneEvery: 7 });
    await append(
      log,
      model,
      [
        { key: "first0", value: "F0" },
        { key: "first1", value: "F1" },
      ],
      clock.now,
    );
    await fill(log, model, { rounds: 6, keyCount: 4, clock });
    clock.now += 120_000; // old enough for tombstones to go
    await manager.close();
    return model;
  }

  async function openOn(backend: MemoryFileBackend, clock: ManualClock): Promise<LogManager> {
    return (await LogManager.open({ backend, dataDir: "/data", clock, defaults: compacted })).manager;
  }

  test("a crash at any step of a cleaning pass leaves a consistent log", async () => {
    const clock = new ManualClock();
    const base = new MemoryFileBackend();
    const model = await prepare(base, clock);
    let changes = 0;
    let sawRename = 0;
    for (let step = 0; ; step++) {
      const disk = base.afterCrash({ unsyncedKept: 1 });
      const manager = await openOn(disk, clock);
      let snapshot: MemoryFileBackend | undefined;
      let seen = 0;
      disk.faults.beforeChange = (change) => {
        if (seen++ === step) {
          // Power loss just before this change: unsynced bytes are lost.
          snapshot = disk.afterCrash({ unsyncedKept: 0 });
          if (change.op === "rename") sawRename++;
        }
      };
      const round = await manager.cleanLogs();
      assert.deepEqual(round.failed, []);
      delete disk.faults.beforeChange;
      changes = Math.max(changes, seen);
      await manager.abandon();
      if (snapshot === undefined) break;
      const recovered = await openOn(snapshot, clock);
      const names = await snapshot.list("/data/x-0");
      assert.ok(!names.some((n) => n.endsWith(".cleaned")), "leftover cleaned copies are removed on open");
      await checkLog(recovered, "x", model);
      // And cleaning picks up from there.
      await recovered.cleanLogs();
      await checkLog(recovered, "x", model);
      await recovered.close();
    }
    assert.ok(changes > 10, `a pass makes many changes (${changes})`);
    assert.ok(sawRename > 0, "crashed right before a swap's rename");
  });

  test("crashes between writing the cleaned copy and the rename, and right after the rename", async () => {
    for (const when of ["before rename", "after rename"] as const) {
      const clock = new ManualClock();
      const disk = new MemoryFileBackend();
      const model = await prepare(disk, clock);
      const manager = await openOn(disk, clock);
      let snapshot: MemoryFileBackend | undefined;
      let renamed = false;
      disk.faults.beforeChange = (change) => {
        if (snapshot !== undefined) return;
        if (when === "before rename" && change.op === "rename") {
          const names = [...new Set([change.path])];
          assert.ok(names[0]?.endsWith(".log.cleaned"));
          snapshot = disk.afterCrash({ unsyncedKept: 0 });
        } else if (renamed) {
          snapshot = disk.afterCrash({ unsyncedKept: 0 });
        }
        if (change.op === "rename") renamed = true;
      };
      await manager.cleanLogs();
      await manager.abandon();
      assert.ok(snapshot, when);
      if (when === "before rename") {
        const names = await snapshot.list("/data/x-0");
        assert.ok(
          names.some((n) => n.endsWith(".log.cleaned")),
          "the snapshot holds a complete cleaned copy",
        );
      }
      const recovered = await openOn(snapshot, clock);
      await checkLog(recovered, "x", model);
      assert.ok((await recovered.cleanLogs()).cleaned.length > 0);
      await checkLog(recovered, "x", model);
      await recovered.close();
    }
  });

  test("a failed rename fails that log (reads stay right, appends are refused) until reopened", async () => {
    const clock = new ManualClock();
    const disk = new MemoryFileBackend();
    const model = await prepare(disk, clock);
    const manager = await openOn(disk, clock);
    disk.faults.beforeChange = (change) => {
      if (change.op === "rename") throw new Error("injected rename failure");
    };
    const round = await manager.cleanLogs();
    delete disk.faults.beforeChange;
    assert.equal(round.failed.length, 1);
    const log = manager.log("x", 0);
    assert.ok(log);
    for (let offset = 0; offset < log.highWatermark; offset++) {
      const read = await log.read({ offset, maxBytes: 300, minOneBatch: true });
      assert.ok(read.errorCode === 0 || read.errorCode === ErrorCode.KAFKA_STORAGE_ERROR);
      for (const r of recordsIn(read.records)) assert.equal(r.value, model[r.offset]?.value);
    }
    const refused = await log.append(batch([{ key: "k", value: "v" }], clock.now), {
      requiredAcks: -1,
      leaderEpoch: 0,
    });
    assert.equal(refused.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    await manager.close();
    const reopened = await openOn(disk, clock);
    await checkLog(reopened, "x", model);
    assert.equal((await reopened.cleanLogs()).failed.length, 0);
    await checkLog(reopened, "x", model);
    await reopened.close();
  });
});

type Op =
  | { kind: "append"; records: { key: number; tombstone: boolean }[]; compressed: boolean }
  | { kind: "clean" }
  | { kind: "tick"; ms: number }
  | { kind: "restart" }
  | { kind: "crash" }
  | { kind: "crashWhileCleaning"; step: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      records: fc.array(fc.record({ key: fc.integer({ min: 0, max: 5 }), tombstone: fc.boolean() }), {
        minLength: 1,
        maxLength: 5,
      }),
      compressed: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "clean" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("crashWhileCleaning" as const), step: fc.integer({ min: 0, max: 60 }) }),
  },
);

test("compaction agrees with a model (appends, tombstones, passes, restarts, crashes)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 20, maxLength: 80, size: "max" }),
      fc.constantFrom(2, 4, 1000),
      fc.constantFrom(0, 0.3),
      async (ops, keyMapEntriesMax, dirtyRatio) => {
        let backend = new MemoryFileBackend();
        const clock = new ManualClock();
        // Segments of one or two batches: many closed segments to clean.
        const defaults: LogConfig = { ...compacted, segmentBytes: 200, deleteRetentionMs: 30_000 };
        defaults satisfies LogConfig;
        const open = async (): Promise<LogManager> =>
          (await LogManager.open({ backend, dataDir: "/data", clock, defaults, cleaner: { keyMapEntriesMax } }))
            .manager;
        let manager = await open();
        await manager.createTopic({
          name: "p",
          partitions: 1,
          configs: { "min.cleanable.dirty.ratio": String(dirtyRatio) },
        });
        const model: Appended[] = [];
        const log = (): PartitionLog => manager.log("p", 0) ?? assert.fail("no log");
        for (const o of ops) {
          switch (o.kind) {
            case "append":
              await append(
                log(),
                model,
                o.records.map((r) => ({ key: `k${r.key}`, value: r.tombstone ? null : `v${model.length}` })),
                clock.now,
                { compression: o.compressed ? "lz4" : "none" },
              );
              break;
            case "clean": {
              const round = await manager.cleanLogs();
              assert.deepEqual(round.failed, []);
              const all = await checkLog(manager, "p", model);
              if (round.cleaned.length > 0) {
                const checkpoint = manager.cleanerCheckpoint("p", 0) ?? 0;
                for (const r of all) {
                  if (r.offset < checkpoint && r.value === null) {
                    assert.ok(clock.now - r.timestampMs <= 30_000, `tombstone at ${r.offset} is past its time`);
                  }
                }
              }
              break;
            }
            case "tick":
              clock.now += o.ms;
              break;
            case "restart":
              await manager.close();
              manager = await open();
              break;
            case "crash":
              await manager.abandon();
              backend = backend.afterCrash({ unsyncedKept: 0 });
              manager = await open();
              break;
            case "crashWhileCleaning": {
              let seen = 0;
              let snapshot: MemoryFileBackend | undefined;
              const disk = backend;
              disk.faults.beforeChange = () => {
                if (seen++ === o.step) snapshot = disk.afterCrash({ unsyncedKept: 0 });
              };
              await manager.cleanLogs();
              delete disk.faults.beforeChange;
              await manager.abandon();
              backend = snapshot ?? disk.afterCrash({ unsyncedKept: 0 });
              manager = await open();
              break;
            }
          }
          assert.equal(log().logEndOffset, model.length);
        }
        await checkLog(manager, "p", model);
        await manager.close();
      },
    ),
    { numRuns: Number(process.env["SAMSA_MODEL_RUNS"] ?? 40) },
  );
});

test("the I/O throttle holds the cleaner to its rate", async () => {
  let now = 0;
  let slept = 0;
  const timer: IoTimer = {
    nowMs: () => now,
    sleep: (ms) => {
      now += ms;
      slept += ms;
      return Promise.resolve();
    },
  };
  const throttler = new Throttler({ bytesPerSecond: 100_000, timer });
  for (let i = 0; i < 50; i++) {
    await throttler.consume(10_000);
    now += 1; // the work itself takes a little time
  }
  // 500 kB at 100 kB/s: about five seconds, minus the time the work took.
  assert.ok(now >= 5000 - 10 && now <= 5000 + 60, `took ${now} ms`);
  assert.ok(slept > 4900);
  const unlimited = new Throttler({ bytesPerSecond: Infinity, timer });
  const before = now;
  await unlimited.consume(1 << 30);
  assert.equal(now, before);
});
