// Compaction and retention with transactions: the cleaner never cleans at or past the last stable
// offset, drops the records of aborted transactions (and never lets them supersede committed
// ones), compacts committed ones like any others, and keeps markers while their transactions
// have records and for delete.retention.ms after, taking an abort's index entry with its marker.
// A read_committed reader sees the same latest value per key before and after, across restarts
// and crashes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeControlRecord, encodeRecordBatch, iterateBatches, iterateRecords } from "@samsa/protocol";
import type { EncodeRecordBatchOptions } from "@samsa/protocol";
import type { StorageBackend } from "../../src/storage/backend.ts";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";
import { parseTxnIndex } from "../../src/storage/producer-state.ts";
import type { AbortedTxn } from "../../src/storage/producer-state.ts";
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

const text = new TextEncoder();

interface Rec {
  readonly key: string;
  readonly value: string | null;
}

/**
 * Writes to one partition and remembers the producers' sequences: plain batches, transactional
 * ones, and markers, each appended durably (acks=all).
 */
class Writer {
  private readonly sequences = new Map<bigint, number>();
  private readonly log: () => PartitionLog;
  private readonly clock: ManualClock;

  constructor(log: () => PartitionLog, clock: ManualClock) {
    this.log = log;
    this.clock = clock;
  }

  async plain(records: readonly Rec[]): Promise<number> {
    return this.append(records, {});
  }

  async txn(producerId: bigint, records: readonly Rec[], producerEpoch = 0): Promise<number> {
    const baseSequence = this.sequences.get(producerId) ?? 0;
    const offset = await this.append(records, { producerId, producerEpoch, baseSequence, transactional: true });
    this.sequences.set(producerId, baseSequence + records.length);
    return offset;
  }

  async marker(producerId: bigint, commit: boolean, producerEpoch = 0): Promise<number> {
    const r = await this.log().appendMarker({
      producerId,
      producerEpoch,
      coordinatorEpoch: 0,
      commit,
      timestampMs: this.clock.now,
    });
    assert.ok(
      "baseOffset" in r,
      `marker refused: ${JSON.stringify(r, (_, v: unknown) => (typeof v === "bigint" ? `${v}` : v))}`,
    );
    // A new epoch starts the producer's sequences again.
    if (producerEpoch > 0) this.sequences.set(producerId, 0);
    return r.baseOffset;
  }

  private async append(records: readonly Rec[], extra: Partial<EncodeRecordBatchOptions>): Promise<number> {
    const batch = encodeRecordBatch({
      ...extra,
      records: records.map((r) => ({
        key: text.encode(r.key),
        value: r.value === null ? null : text.encode(r.value),
        timestamp: BigInt(this.clock.now),
      })),
    });
    const result = await this.log().append(batch, { requiredAcks: -1, leaderEpoch: 0 });
    assert.ok("baseOffset" in result, `append refused: ${JSON.stringify(result)}`);
    return result.baseOffset;
  }
}

/**
 * Reads the log as a read_committed consumer (Java's, librdkafka's): up to the last stable
 * offset, dropping a producer's transactional batches from an aborted transaction's first offset
 * (as the fetch answer lists them) until its abort marker. Markers are not records.
 */
async function readCommitted(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  const lso = log.lastStableOffset;
  let offset = log.logStartOffset;
  while (offset < lso) {
    const read = await log.read({ offset, maxBytes: 700, minOneBatch: true, maxOffset: lso });
    assert.equal(read.errorCode, 0, `read at ${offset}`);
    const batches = [...iterateBatches(read.records)];
    // Compaction may leave a gap before the LSO: nothing is visible there (yet), as in Kafka.
    if (batches.length === 0) break;
    const upTo = Number(batches.at(-1)?.header.lastOffset ?? BigInt(offset - 1)) + 1;
    assert.ok(upTo > offset, `a read at ${offset} makes progress`);
    // What the fetch handler answers for this read.
    const aborted = log.abortedTransactions(offset, upTo).sort((a, b) => a.firstOffset - b.firstOffset);
    const abortedProducers = new Set<bigint>();
    for (const batch of batches) {
      const { header } = batch;
      while (aborted[0] !== undefined && aborted[0].firstOffset <= Number(header.lastOffset)) {
        abortedProducers.add(aborted[0].producerId);
        aborted.shift();
      }
      if (header.control) {
        for (const record of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
          if (decodeControlRecord(record).type === "abort") abortedProducers.delete(header.producerId);
        }
        continue;
      }
      if (header.transactional && abortedProducers.has(header.producerId)) continue;
      out.push(...recordsIn(batch.bytes).filter((r) => r.offset >= offset));
    }
    offset = upTo;
  }
  return out;
}

/** Reads every record (read_uncommitted), markers aside. */
async function readUncommitted(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read({ offset, maxBytes: 700, minOneBatch: true });
    assert.equal(read.errorCode, 0);
    let next = offset;
    for (const batch of iterateBatches(read.records)) {
      next = Number(batch.header.lastOffset) + 1;
      if (!batch.header.control) out.push(...recordsIn(batch.bytes).filter((r) => r.offset >= offset));
    }
    assert.ok(next > offset);
    offset = next;
  }
  return out;
}

/** The offsets and types of the markers in the log. */
async function markersIn(log: PartitionLog): Promise<{ offset: number; producerId: bigint; type: string }[]> {
  const out: { offset: number; producerId: bigint; type: string }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
    let next = offset;
    for (const batch of iterateBatches(read.records)) {
      next = Number(batch.header.lastOffset) + 1;
      if (!batch.header.control) continue;
      for (const record of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
        out.push({
          offset: Number(batch.header.baseOffset),
          producerId: batch.header.producerId,
          type: decodeControlRecord(record).type,
        });
      }
    }
    offset = next;
  }
  return out;
}

/** Each key's latest value (tombstones delete). */
function latestView(records: readonly { key: string | null; value: string | null }[]): Map<string, string> {
  const view = new Map<string, string>();
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) view.delete(r.key);
    else view.set(r.key, r.value);
  }
  return view;
}

/** Every `.txnindex` entry on disk, by marker offset. */
async function txnIndexOnDisk(backend: StorageBackend, log: PartitionLog): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = [];
  for (const name of (await backend.list(log.dir)).sort()) {
    if (!name.endsWith(".txnindex")) continue;
    const bytes = await backend.readFile(`${log.dir}/${name}`);
    const entries = bytes === undefined ? undefined : parseTxnIndex(bytes);
    assert.ok(entries, `${name} parses`);
    out.push(...entries);
  }
  return out;
}

/** `count` plain batches over keys f0..f2 (values unique): closes the segments before them. */
async function filler(w: Writer, count: number, tag: string): Promise<void> {
  for (let i = 0; i < count; i++) await w.plain([{ key: `f${i % 3}`, value: `${tag}${i}` }]);
}

for (const target of backends) {
  describe(`compaction with transactions on ${target.name}`, () => {
    async function withManager(
      run: (ctx: {
        manager: () => LogManager;
        reopen: () => Promise<LogManager>;
        crash: () => Promise<LogManager>;
        clock: ManualClock;
        backend: () => StorageBackend;
      }) => Promise<void>,
      defaults: LogConfig = compacted,
    ): Promise<void> {
      const made = target.make();
      let backend = made.backend;
      const clock = new ManualClock();
      const open = async (): Promise<LogManager> =>
        (await LogManager.open({ backend, dataDir: made.dataDir, clock, defaults })).manager;
      let manager = await open();
      try {
        await run({
          manager: () => manager,
          reopen: async () => {
            await manager.close();
            manager = await open();
            return manager;
          },
          crash: async () => {
            await manager.abandon();
            if (backend instanceof MemoryFileBackend) backend = backend.afterCrash({ unsyncedKept: 0 });
            manager = await open();
            return manager;
          },
          clock,
          backend: () => backend,
        });
      } finally {
        await manager.close();
        made.cleanup();
      }
    }

    test("the cleaner never cleans at or past the last stable offset", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager().createTopic({ name: "lso", partitions: 1 });
        const log = (): PartitionLog => manager().log("lso", 0) ?? assert.fail("no log");
        const w = new Writer(log, clock);
        await filler(w, 12, "a");
        const txnStart = await w.txn(7n, [{ key: "f0", value: "txn" }]);
        await filler(w, 24, "b");
        assert.equal(log().lastStableOffset, txnStart);
        const before = await readUncommitted(log());
        const round = await manager().cleanLogs();
        assert.deepEqual(round.failed, []);
        const checkpoint = manager().cleanerCheckpoint("lso", 0) ?? 0;
        assert.ok(checkpoint > 0 && checkpoint <= txnStart, `cleaned below the LSO only (${checkpoint} ≤ ${txnStart})`);
        const after = await readUncommitted(log());
        assert.ok(after.length < before.length, "the part below the LSO was compacted");
        assert.deepEqual(
          after.filter((r) => r.offset >= txnStart),
          before.filter((r) => r.offset >= txnStart),
          "nothing from the ongoing transaction on was touched",
        );
        // Once the transaction commits, the rest is cleaned — its record included (superseded by b-values).
        const committedView = latestView(await readCommitted(log()));
        await w.marker(7n, true);
        await filler(w, 6, "c");
        const committedBefore = latestView(await readCommitted(log()));
        assert.equal(committedBefore.get("f0") === undefined, false);
        await manager().cleanLogs();
        assert.ok((manager().cleanerCheckpoint("lso", 0) ?? 0) > txnStart);
        assert.deepEqual(latestView(await readCommitted(log())), committedBefore);
        assert.ok(!(await readUncommitted(log())).some((r) => r.value === "txn"), "the superseded txn record went");
        assert.ok(committedView.size > 0);
      });
    });

    test("aborted records go and never supersede committed ones; committed ones compact; markers stay while needed", async () => {
      await withManager(async ({ manager, reopen, crash, clock, backend }) => {
        await manager().createTopic({ name: "tx", partitions: 1 });
        const log = (): PartitionLog => manager().log("tx", 0) ?? assert.fail("no log");
        const w = new Writer(log, clock);
        const committer = 1n;
        const aborter = 2n;
        const fenced = 3n;
        await w.plain([
          { key: "a", value: "a1" },
          { key: "b", value: "b1" },
        ]);
        await w.txn(committer, [{ key: "a", value: "a2" }]);
        await w.txn(aborter, [
          { key: "a", value: "aX" },
          { key: "b", value: "bX" },
        ]);
        await w.plain([{ key: "c", value: "c1" }]);
        await w.txn(committer, [{ key: "c", value: "c2" }]);
        await w.txn(aborter, [{ key: "c", value: null }]);
        await w.txn(fenced, [{ key: "d", value: "dX" }]);
        const commitAt = await w.marker(committer, true);
        const abortAt = await w.marker(aborter, false);
        // Aborted with a bumped epoch (the coordinator fenced the producer): its last marker stays.
        const fencedAt = await w.marker(fenced, false, 1);
        await filler(w, 16, "g");
        const expected = new Map([
          ["a", "a2"],
          ["b", "b1"],
          ["c", "c2"],
        ]);
        const committedView = (): Promise<Map<string, string>> =>
          readCommitted(log()).then((records) => {
            const view = latestView(records);
            for (const k of ["f0", "f1", "f2"]) view.delete(k);
            return view;
          });
        assert.deepEqual(await committedView(), expected);
        assert.equal(log().abortedTransactions(0, log().highWatermark).length, 2);

        const round1 = await manager().cleanLogs();
        assert.deepEqual(round1.failed, []);
        const r1 = round1.cleaned[0];
        assert.ok(r1);
        assert.equal(r1.abortedRecordsRemoved, 4, "aX, bX, the c tombstone and dX");
        assert.equal(r1.markersRemoved, 0);
        assert.deepEqual(await committedView(), expected, "b1 survives: bX was aborted");
        const values = (await readUncommitted(log())).map((r) => r.value);
        for (const gone of ["a1", "aX", "bX", "c1", "dX"]) assert.ok(!values.includes(gone), `${gone} went`);
        for (const kept of ["a2", "b1", "c2"]) assert.ok(values.includes(kept), `${kept} stays`);
        assert.deepEqual(
          (await markersIn(log())).map((m) => m.offset),
          [commitAt, abortAt, fencedAt],
          "markers stay in the pass that drops their records",
        );

        // Supersede the committed transaction's records: the next pass drops them; then no
        // transaction has records left, and the markers wait for delete.retention.ms.
        await w.plain([
          { key: "a", value: "a3" },
          { key: "c", value: "c3" },
        ]);
        await filler(w, 8, "h");
        expected.set("a", "a3").set("c", "c3");
        await manager().cleanLogs();
        assert.deepEqual(await committedView(), expected);
        const markers2 = (await markersIn(log())).map((m) => m.offset);
        assert.deepEqual(markers2, [commitAt, abortAt, fencedAt], "markers wait for delete.retention.ms");
        clock.now += 30_000;
        assert.equal((await manager().cleanLogs()).cleaned.length, 0, "nothing due yet");
        clock.now += 30_001;
        const round3 = await manager().cleanLogs();
        assert.equal(round3.cleaned.length, 1, "a marker past its wait makes a pass due");
        assert.equal(round3.cleaned[0]?.markersRemoved, 1, "the abort marker, found empty a pass earlier");
        assert.deepEqual(
          (await markersIn(log())).map((m) => m.offset),
          [commitAt, fencedAt],
          "the commit marker's transaction was emptied only by the second pass",
        );
        // The abort marker's index entry went with it: from memory and from disk.
        const abortedNow = log().abortedTransactions(0, log().highWatermark);
        assert.deepEqual(abortedNow, [{ producerId: fenced, firstOffset: abortedNow[0]?.firstOffset ?? -1 }]);
        assert.deepEqual(
          (await txnIndexOnDisk(backend(), log())).map((t) => t.lastOffset),
          [fencedAt],
        );
        clock.now += 60_001;
        const round4 = await manager().cleanLogs();
        assert.equal(round4.cleaned[0]?.markersRemoved, 1, "the commit marker");
        assert.deepEqual(
          (await markersIn(log())).map((m) => m.offset),
          [fencedAt],
          "the fenced producer's last marker (epoch 1, no data in it) stays",
        );
        assert.deepEqual(await committedView(), expected);
        for (const next of [reopen, crash]) {
          await next();
          assert.deepEqual(await committedView(), expected);
          assert.deepEqual(
            log()
              .abortedTransactions(0, log().highWatermark)
              .map((t) => t.producerId),
            [fenced],
          );
          assert.deepEqual(
            (await markersIn(log())).map((m) => m.offset),
            [fencedAt],
          );
        }
      });
    });

    test("retention deletes segments with their .txnindex and aborted transactions", async () => {
      await withManager(
        async ({ manager, reopen, clock, backend }) => {
          await manager().createTopic({ name: "ret", partitions: 1 });
          const log = (): PartitionLog => manager().log("ret", 0) ?? assert.fail("no log");
          const w = new Writer(log, clock);
          const abortMarkers: number[] = [];
          for (let round = 0; round < 6; round++) {
            const producerId = BigInt(20 + round);
            await w.txn(producerId, [{ key: "k", value: `x${round}` }]);
            await filler(w, 3, `r${round}-`);
            abortMarkers.push(await w.marker(producerId, false));
            clock.now += 10_000;
          }
          assert.deepEqual(
            (await txnIndexOnDisk(backend(), log())).map((t) => t.lastOffset),
            abortMarkers.filter((o) =>
              log()
                .closedSegments()
                .some((s) => o >= s.baseOffset && o < s.nextOffset),
            ),
            "closed segments hold their aborts in .txnindex",
          );
          clock.now += 35_000; // the first rounds' segments are past retention.ms
          assert.ok((await log().applyRetention()) > 0);
          const start = log().logStartOffset;
          const kept = abortMarkers.filter((o) => o >= start);
          assert.ok(kept.length > 0 && kept.length < abortMarkers.length, `kept ${kept.length}`);
          const keptFromMemory = log().abortedTransactions(0, log().highWatermark);
          assert.ok(keptFromMemory.length <= kept.length);
          const names = await backend().list(log().dir);
          const bases = new Set(
            log()
              .closedSegments()
              .map((s) => String(s.baseOffset).padStart(20, "0")),
          );
          for (const name of names.filter((n) => n.endsWith(".txnindex"))) {
            assert.ok(bases.has(name.slice(0, 20)), `${name} belongs to a live segment`);
          }
          await reopen();
          assert.deepEqual(log().abortedTransactions(0, log().highWatermark), keptFromMemory);
        },
        { ...defaultLogConfig, segmentBytes: 400, indexIntervalBytes: 100, retentionMs: 60_000 },
      );
    });
  });
}

type Op =
  | { kind: "plain"; records: { key: number; tombstone: boolean }[] }
  | { kind: "txn"; producer: number; records: { key: number; tombstone: boolean }[] }
  | { kind: "end"; producer: number; commit: boolean }
  | { kind: "clean" }
  | { kind: "tick"; ms: number }
  | { kind: "restart" }
  | { kind: "crash" };

const recordsArb = fc.array(fc.record({ key: fc.integer({ min: 0, max: 4 }), tombstone: fc.boolean() }), {
  minLength: 1,
  maxLength: 3,
});

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("plain" as const), records: recordsArb }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("txn" as const),
      producer: fc.integer({ min: 0, max: 2 }),
      records: recordsArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("end" as const),
      producer: fc.integer({ min: 0, max: 2 }),
      commit: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: "clean" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
);

test("a read_committed reader sees the same latest value per key before and after compaction", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 20, maxLength: 80, size: "max" }),
      fc.constantFrom(2, 1000),
      async (ops, keyMapEntriesMax) => {
        let backend = new MemoryFileBackend();
        const clock = new ManualClock();
        const defaults: LogConfig = { ...compacted, segmentBytes: 250, deleteRetentionMs: 30_000 };
        const open = async (): Promise<LogManager> =>
          (await LogManager.open({ backend, dataDir: "/data", clock, defaults, cleaner: { keyMapEntriesMax } }))
            .manager;
        let manager = await open();
        await manager.createTopic({ name: "p", partitions: 1 });
        const log = (): PartitionLog => manager.log("p", 0) ?? assert.fail("no log");
        const w = new Writer(log, clock);
        // The model: every record written, at its offset, with its transaction (if any) and how it ended.
        const written: { offset: number; key: string; value: string | null; txn: number | undefined }[] = [];
        const outcomes = new Map<number, boolean>();
        /** Producer → its ongoing transaction (id, first offset). */
        const ongoing = new Map<number, { txn: number; firstOffset: number }>();
        let txns = 0;
        let n = 0;
        const recs = (records: { key: number; tombstone: boolean }[]): Rec[] =>
          records.map((r) => ({ key: `k${r.key}`, value: r.tombstone ? null : `v${n++}` }));
        const modelView = (): Map<string, string> => {
          const lso = Math.min(log().highWatermark, ...[...ongoing.values()].map((t) => t.firstOffset));
          return latestView(
            written.filter((r) => r.offset < lso && (r.txn === undefined || outcomes.get(r.txn) === true)),
          );
        };
        const check = async (what: string): Promise<void> => {
          const read = await readCommitted(log());
          assert.deepEqual(latestView(read), modelView(), `the read_committed view ${what}`);
          for (const r of read) {
            const m = written.find((x) => x.offset === r.offset);
            assert.deepEqual([r.key, r.value], [m?.key, m?.value], `the record at ${r.offset}`);
            assert.ok(m?.txn === undefined || outcomes.get(m.txn) === true, `no aborted record (${r.offset})`);
          }
        };
        for (const o of ops) {
          switch (o.kind) {
            case "plain": {
              const records = recs(o.records);
              const base = await w.plain(records);
              records.forEach((r, i) => written.push({ ...r, offset: base + i, txn: undefined }));
              break;
            }
            case "txn": {
              const records = recs(o.records);
              const base = await w.txn(BigInt(o.producer), records);
              let t = ongoing.get(o.producer);
              if (t === undefined) {
                t = { txn: txns++, firstOffset: base };
                ongoing.set(o.producer, t);
              }
              const txn = t.txn;
              records.forEach((r, i) => written.push({ ...r, offset: base + i, txn }));
              break;
            }
            case "end": {
              await w.marker(BigInt(o.producer), o.commit);
              const t = ongoing.get(o.producer);
              if (t !== undefined) outcomes.set(t.txn, o.commit);
              ongoing.delete(o.producer);
              break;
            }
            case "clean": {
              await check("before a pass");
              const round = await manager.cleanLogs();
              assert.deepEqual(round.failed, []);
              await check("after a pass");
              break;
            }
            case "tick":
              clock.now += o.ms;
              break;
            case "restart":
              await manager.close();
              manager = await open();
              await check("after a restart");
              break;
            case "crash":
              await manager.abandon();
              backend = backend.afterCrash({ unsyncedKept: 0 });
              manager = await open();
              await check("after a crash");
              break;
          }
        }
        // End every transaction, then clean until markers may go: the view holds throughout.
        for (const [producer, t] of ongoing) {
          await w.marker(BigInt(producer), true);
          outcomes.set(t.txn, true);
        }
        ongoing.clear();
        for (let i = 0; i < 3; i++) {
          await manager.cleanLogs();
          await check(`after final pass ${i}`);
          clock.now += 31_000;
        }
        assert.equal(log().lastStableOffset, log().highWatermark);
        await manager.close();
      },
    ),
    { numRuns: Number(process.env["SAMSA_MODEL_RUNS"] ?? 40) },
  );
});

describe("crash safety of dropping markers (memory backend)", () => {
  const producers = [31n, 32n, 33n];

  /** A log whose next passes drop abort and commit markers; returns what read_committed must show. */
  async function prepare(backend: MemoryFileBackend, clock: ManualClock): Promise<Map<string, string>> {
    const { manager } = await LogManager.open({ backend, dataDir: "/data", clock, defaults: compacted });
    await manager.createTopic({ name: "x", partitions: 1 });
    const log = (): PartitionLog => manager.log("x", 0) ?? assert.fail("no log");
    const w = new Writer(log, clock);
    for (const [i, producerId] of producers.entries()) {
      await w.txn(producerId, [{ key: `t${i}`, value: `aborted${i}` }]);
      await w.plain([{ key: `p${i}`, value: `plain${i}` }]);
      await w.marker(producerId, false);
      await w.txn(producerId, [{ key: `c${i}`, value: `committed${i}` }]);
      await w.marker(producerId, true);
      await w.plain([{ key: `c${i}`, value: `superseded${i}` }]);
    }
    await filler(w, 10, "z");
    const view = latestView(await readCommitted(log()));
    for (const key of ["f0", "f1", "f2"]) view.delete(key);
    // The records go now; the markers are found empty by the next pass.
    assert.equal((await manager.cleanLogs()).failed.length, 0);
    await manager.close();
    return view;
  }

  /** Every aborted transaction the log lists still has its abort marker. */
  async function checkConsistent(manager: LogManager, view: Map<string, string>): Promise<void> {
    const log = manager.log("x", 0) ?? assert.fail("no log");
    const seen = latestView(await readCommitted(log));
    for (const key of ["f0", "f1", "f2"]) seen.delete(key); // the filler's keys
    assert.deepEqual(seen, view);
    const markers = await markersIn(log);
    for (const t of log.abortedTransactions(0, log.highWatermark)) {
      assert.ok(
        markers.some((m) => m.producerId === t.producerId && m.type === "abort" && m.offset >= t.firstOffset),
        `the abort of producer ${t.producerId} from ${t.firstOffset} has its marker`,
      );
    }
  }

  test("a crash at any step of a pass that drops markers leaves every index entry with its marker", async () => {
    const clock = new ManualClock();
    const base = new MemoryFileBackend();
    const view = await prepare(base, clock);
    const start = clock.now;
    let sawIndexThenCrash = 0;
    let dropped = 0;
    for (let step = 0; ; step++) {
      clock.now = start;
      const disk = base.afterCrash({ unsyncedKept: 1 });
      const manager = (await LogManager.open({ backend: disk, dataDir: "/data", clock, defaults: compacted })).manager;
      // Marker wait times are kept in memory only: new records make a pass due, which finds them.
      const log = manager.log("x", 0) ?? assert.fail("no log");
      await filler(new Writer(() => log, clock), 6, "y");
      assert.equal((await manager.cleanLogs()).cleaned.length, 1);
      clock.now += compacted.deleteRetentionMs + 1;
      let snapshot: MemoryFileBackend | undefined;
      let seen = 0;
      let indexChanged = false;
      disk.faults.beforeChange = (change) => {
        if (seen++ === step) {
          snapshot = disk.afterCrash({ unsyncedKept: 0 });
          if (indexChanged) sawIndexThenCrash++;
        }
        if (change.path.includes(".txnindex")) indexChanged = true;
      };
      const round = await manager.cleanLogs();
      delete disk.faults.beforeChange;
      assert.deepEqual(round.failed, []);
      dropped = Math.max(dropped, round.cleaned[0]?.markersRemoved ?? 0);
      await checkConsistent(manager, view);
      await manager.abandon();
      if (snapshot === undefined) break;
      const recovered = (await LogManager.open({ backend: snapshot, dataDir: "/data", clock, defaults: compacted }))
        .manager;
      await checkConsistent(recovered, view);
      const again = recovered.log("x", 0) ?? assert.fail("no log");
      await filler(new Writer(() => again, clock), 6, "w");
      await recovered.cleanLogs();
      clock.now += compacted.deleteRetentionMs + 1;
      await recovered.cleanLogs();
      await checkConsistent(recovered, view);
      assert.deepEqual(
        (await markersIn(again)).map((m) => m.producerId),
        [],
        "and the markers go in the end",
      );
      await recovered.close();
    }
    assert.ok(dropped >= producers.length * 2, `the pass dropped the markers (${dropped})`);
    assert.ok(sawIndexThenCrash > 0, "crashed between an index rewrite and a swap");
  });
});
