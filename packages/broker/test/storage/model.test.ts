// Model-based property test: random appends, reads, DeleteRecords, retention, timestamp lookups,
// clean restarts and crashes on the storage engine agree with a simple in-memory model.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCode } from "@samsa/protocol";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { LogConfig } from "../../src/storage/log-config.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { batchOf, ManualClock, recordsIn } from "./support.ts";

const config: LogConfig = { ...defaultLogConfig, segmentBytes: 1500, indexIntervalBytes: 150, retentionMs: -1 };

type Op =
  | { kind: "append"; count: number; compressed: boolean; tsStep: number }
  | { kind: "read"; at: number; maxBytes: number }
  | { kind: "deleteRecords"; at: number }
  | { kind: "retentionBytes"; bytes: number }
  | { kind: "byTime"; at: number }
  | { kind: "restart" }
  | { kind: "crash"; kept: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      count: fc.integer({ min: 1, max: 8 }),
      compressed: fc.boolean(),
      tsStep: fc.integer({ min: -5, max: 50 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      at: fc.double({ min: -0.1, max: 1.1, noNaN: true }),
      maxBytes: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("deleteRecords" as const),
      at: fc.double({ min: 0, max: 1.2, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("retentionBytes" as const), bytes: fc.integer({ min: 500, max: 6000 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("byTime" as const), at: fc.double({ min: -0.1, max: 1.1, noNaN: true }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("crash" as const), kept: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
);

interface ModelRecord {
  offset: number;
  timestampMs: number;
  value: string;
}

test("the storage engine agrees with a model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      let backend = new MemoryFileBackend();
      const clock = new ManualClock();
      const openManager = async (): Promise<LogManager> =>
        (await LogManager.open({ backend, dataDir: "/data", clock, defaults: config })).manager;
      let manager = await openManager();
      await manager.createTopic({ name: "m", partitions: 1 });
      const model: ModelRecord[] = [];
      let logStart = 0;
      let ts = clock.now - 10_000;
      const log = () => {
        const l = manager.log("m", 0);
        assert.ok(l);
        return l;
      };
      for (const o of ops) {
        const end = model.length;
        switch (o.kind) {
          case "append": {
            ts = Math.max(0, ts + o.tsStep);
            const r = await log().append(
              batchOf({
                count: o.count,
                prefix: `o${end}`,
                timestampMs: ts,
                compression: o.compressed ? "lz4" : "none",
              }),
              { requiredAcks: -1, leaderEpoch: 0 },
            );
            assert.ok("baseOffset" in r && r.baseOffset === end);
            for (let i = 0; i < o.count; i++)
              model.push({ offset: end + i, timestampMs: ts + i, value: `o${end}-${i}` });
            break;
          }
          case "read": {
            const offset = Math.round(logStart - 2 + o.at * (end - logStart + 4));
            const r = await log().read({ offset, maxBytes: o.maxBytes, minOneBatch: true });
            if (offset < logStart || offset > end) {
              assert.equal(r.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
              break;
            }
            assert.equal(r.errorCode, 0);
            const got = recordsIn(r.records).filter((x) => x.offset >= offset);
            if (offset < end) assert.ok(got.length > 0, "at least one record when data is there");
            got.forEach((x, i) => {
              const m = model[offset + i];
              assert.deepEqual([x.offset, x.value, x.timestampMs], [m?.offset, m?.value, m?.timestampMs]);
            });
            break;
          }
          case "deleteRecords": {
            const at = Math.floor(o.at * end);
            const r = await manager.deleteRecords("m", 0, at);
            if (at > end) assert.equal(r.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
            else {
              logStart = Math.max(logStart, at);
              assert.deepEqual(r, { errorCode: 0, logStartOffset: logStart });
            }
            break;
          }
          case "retentionBytes": {
            await manager.setTopicConfigs("m", { "retention.bytes": String(o.bytes), "retention.ms": "-1" });
            await log().applyRetention();
            const newStart = log().logStartOffset;
            assert.ok(newStart >= logStart && newStart <= end);
            logStart = newStart;
            await manager.setTopicConfigs("m", { "retention.ms": "-1" });
            break;
          }
          case "byTime": {
            const live = model.slice(logStart);
            const minTs = Math.min(...live.map((m) => m.timestampMs), ts);
            const target = Math.round(minTs - 5 + o.at * (ts + 20 - minTs));
            const expected = live.find((m) => m.timestampMs >= target);
            const got = await log().offsetForTimestamp(target);
            assert.deepEqual(
              got,
              expected === undefined ? undefined : { offset: expected.offset, timestampMs: expected.timestampMs },
            );
            break;
          }
          case "restart":
            await manager.close();
            manager = await openManager();
            break;
          case "crash":
            // Everything was acknowledged with acks=all in fsync mode: a power loss loses nothing.
            await manager.abandon();
            backend = backend.afterCrash({ unsyncedKept: o.kept });
            manager = await openManager();
            break;
        }
        assert.equal(log().logEndOffset, model.length);
        assert.equal(log().highWatermark, model.length);
        assert.equal(log().logStartOffset, logStart);
      }
      await manager.close();
    }),
    { numRuns: Number(process.env["SAMSA_MODEL_RUNS"] ?? 40) },
  );
});
