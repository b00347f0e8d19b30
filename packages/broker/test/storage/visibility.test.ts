// The high watermark at the moment an append is answered, on both backends and in every durability
// mode, with many appends (and idempotent retries, and transaction markers) in flight at once:
// an acks=all answer (and a marker) must find its records below the high watermark already, so a
// ListOffsets or Fetch that follows the answer sees them; in `fsync` mode the high watermark never
// covers unsynced data, so acks=1/0 records become visible with the group commit their write asked
// for; in `interval` and `os` modes it follows writes, so acks=1 answers find them visible too.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeRecordBatch } from "@samsa/protocol";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { Durability, LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import type { AppendResult, PartitionLog } from "../../src/storage/partition-log.ts";
import { backends, batchOf, ManualClock } from "./support.ts";

// Small segments, so rolls happen while syncs are in flight.
const config: LogConfig = { ...defaultLogConfig, segmentBytes: 16 * 1024, indexIntervalBytes: 512, retentionMs: -1 };
const durabilities: readonly Durability[] = [
  { mode: "fsync" },
  { mode: "interval", intervalMs: 60_000 },
  { mode: "os" },
];
const timestampMs = 1_700_000_000_000;

type Acks = -1 | 0 | 1;

/** Checks, in the same tick as the answer, what the answer promises about visibility. */
function checkAnswer(log: PartitionLog, durability: Durability, acks: Acks, result: AppendResult, what: string): void {
  assert.equal(result.errorCode, 0, what);
  assert.ok("lastOffset" in result);
  const end = result.lastOffset + 1;
  if (durability.mode === "fsync") {
    assert.ok(log.highWatermark <= log.recoveryPoint, `${what}: high watermark past the synced data`);
  }
  // acks=0 promises nothing (the broker answers nothing; the log answers before the write).
  if (acks === -1 || (acks === 1 && durability.mode !== "fsync")) {
    assert.ok(log.highWatermark >= end, `${what}: answered at high watermark ${log.highWatermark} < ${end}`);
  }
}

for (const target of backends) {
  for (const durability of durabilities) {
    describe(`visibility when answered (${target.name}, ${durability.mode})`, () => {
      async function withLog(run: (log: PartitionLog) => Promise<void>): Promise<void> {
        const { backend, dataDir, cleanup } = target.make();
        const { manager } = await LogManager.open({
          backend,
          dataDir,
          clock: new ManualClock(timestampMs),
          defaults: config,
          durability,
        });
        try {
          await manager.createTopic({ name: "v", partitions: 1 });
          const log = manager.log("v", 0);
          assert.ok(log);
          await run(log);
        } finally {
          await manager.close();
          cleanup();
        }
      }

      test("concurrent appends with mixed acks: each answer covers what it promises", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                acks: fc.constantFrom<Acks>(-1, 0, 1),
                count: fc.integer({ min: 1, max: 40 }),
                // Appends start in waves: some while earlier writes and syncs are under way.
                wave: fc.integer({ min: 0, max: 3 }),
              }),
              { minLength: 1, maxLength: 60 },
            ),
            async (appends) => {
              await withLog(async (log) => {
                const checks: Promise<void>[] = [];
                for (let wave = 0; wave <= 3; wave++) {
                  for (const [i, a] of appends.entries()) {
                    if (a.wave !== wave) continue;
                    const batch = batchOf({ count: a.count, prefix: `a${i}`, timestampMs, valueBytes: 64 });
                    const answered = log.append(batch, { requiredAcks: a.acks, leaderEpoch: 0 });
                    checks.push(answered.then((r) => checkAnswer(log, durability, a.acks, r, `append ${i}`)));
                  }
                  // Let the earlier waves' writes start, so later ones meet writes and syncs in flight.
                  await new Promise((resolve) => setImmediate(resolve));
                }
                // Every answer settles before the log closes; then the first failure, if any.
                const settled = await Promise.allSettled(checks);
                for (const s of settled) if (s.status === "rejected") throw s.reason;
                await log.flush();
                const total = appends.reduce((n, a) => n + a.count, 0);
                assert.equal(log.highWatermark, total);
              });
            },
          ),
          { numRuns: target.name === "files" ? 15 : 60, seed: 20_240_611 },
        );
      });

      test("an idempotent retry with acks=all is answered with its records visible", async () => {
        await withLog(async (log) => {
          for (let round = 0; round < 20; round++) {
            const batch = encodeRecordBatch({
              producerId: 7n,
              producerEpoch: 0,
              baseSequence: round * 5,
              records: Array.from({ length: 5 }, (_, i) => ({
                key: null,
                value: new TextEncoder().encode(`r${round}-${i}`),
                timestamp: BigInt(timestampMs),
              })),
            });
            // The original with acks=1 and its retry with acks=all, both in flight at once.
            const original = log.append(Uint8Array.from(batch), { requiredAcks: 1, leaderEpoch: 0 });
            const retry = log.append(Uint8Array.from(batch), { requiredAcks: -1, leaderEpoch: 0 });
            const settled = await Promise.allSettled([
              original.then((r) => {
                checkAnswer(log, durability, 1, r, `original ${round}`);
                return r;
              }),
              retry.then((r) => {
                checkAnswer(log, durability, -1, r, `retry ${round}`);
                return r;
              }),
            ]);
            const [first, second] = settled.map((s) => {
              if (s.status === "rejected") throw s.reason;
              return s.value;
            });
            assert.ok(first !== undefined && "baseOffset" in first && second !== undefined && "baseOffset" in second);
            assert.equal(second.baseOffset, first.baseOffset, "the retry is answered with the original offsets");
          }
        });
      });

      test("a transaction marker is answered with itself below the high watermark and the LSO past it", async () => {
        await withLog(async (log) => {
          for (let round = 0; round < 10; round++) {
            const batch = encodeRecordBatch({
              producerId: 9n,
              producerEpoch: 0,
              baseSequence: round * 3,
              transactional: true,
              records: Array.from({ length: 3 }, () => ({ key: null, value: null, timestamp: BigInt(timestampMs) })),
            });
            const appended = await log.append(batch, { requiredAcks: 1, leaderEpoch: 0, origin: "client" });
            assert.equal(appended.errorCode, 0);
            const marker = await log.appendMarker({
              producerId: 9n,
              producerEpoch: 0,
              coordinatorEpoch: 0,
              commit: round % 2 === 0,
              timestampMs,
            });
            checkAnswer(log, durability, -1, marker, `marker ${round}`);
            assert.ok("lastOffset" in marker);
            assert.equal(log.lastStableOffset, marker.lastOffset + 1, `marker ${round}: LSO`);
          }
        });
      });
    });
  }
}
