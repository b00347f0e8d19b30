// One behaviour suite for the partition log and the log manager, run against both backends.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "@samsa/protocol";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import type { LogConfig } from "../../src/storage/log-config.ts";
import { LogManager, TopicError } from "../../src/storage/log-manager.ts";
import { backends, batchOf, ManualClock, recordsIn } from "./support.ts";

const smallSegments: LogConfig = { ...defaultLogConfig, segmentBytes: 4096, indexIntervalBytes: 256 };

for (const target of backends) {
  describe(`storage on ${target.name}`, () => {
    async function withManager(
      run: (ctx: { manager: LogManager; reopen: () => Promise<LogManager>; clock: ManualClock }) => Promise<void>,
      defaults: LogConfig = smallSegments,
    ): Promise<void> {
      const { backend, dataDir, cleanup } = target.make();
      const clock = new ManualClock();
      let manager = (await LogManager.open({ backend, dataDir, clock, defaults })).manager;
      const reopen = async (): Promise<LogManager> => {
        await manager.close();
        manager = (await LogManager.open({ backend, dataDir, clock, defaults })).manager;
        return manager;
      };
      try {
        await run({ manager, reopen, clock });
      } finally {
        await manager.close();
        cleanup();
      }
    }

    test("append assigns dense offsets and read returns the stored batches", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "t", partitions: 1 });
        const log = manager.log("t", 0);
        assert.ok(log);
        const a = await log.append(batchOf({ count: 3, prefix: "a", timestampMs: clock.now }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        });
        const b = await log.append(batchOf({ count: 2, prefix: "b", timestampMs: clock.now }), {
          requiredAcks: 1,
          leaderEpoch: 0,
        });
        assert.equal(a.errorCode, 0);
        assert.ok("baseOffset" in a && "baseOffset" in b);
        assert.equal(a.baseOffset, 0);
        assert.equal(a.lastOffset, 2);
        assert.equal(b.baseOffset, 3);
        await log.flush();
        assert.equal(log.logEndOffset, 5);
        assert.equal(log.highWatermark, 5);
        const read = await log.read({ offset: 0, maxBytes: 1 << 20, minOneBatch: true });
        assert.deepEqual(
          recordsIn(read.records).map((r) => [r.offset, r.value]),
          [
            [0, "a-0"],
            [1, "a-1"],
            [2, "a-2"],
            [3, "b-0"],
            [4, "b-1"],
          ],
        );
        const fromMiddle = await log.read({ offset: 4, maxBytes: 1 << 20, minOneBatch: true });
        assert.deepEqual(
          recordsIn(fromMiddle.records).map((r) => r.offset),
          [3, 4],
          "whole batch containing offset 4",
        );
      });
    });

    test("concurrent appends get dense, ordered offsets", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "c", partitions: 1 });
        const log = manager.log("c", 0);
        assert.ok(log);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            log.append(batchOf({ count: 2, prefix: `p${i}`, timestampMs: clock.now }), {
              requiredAcks: -1,
              leaderEpoch: 0,
            }),
          ),
        );
        results.forEach((r, i) => assert.ok("baseOffset" in r && r.baseOffset === i * 2));
        const all = [];
        let offset = 0;
        while (offset < log.highWatermark) {
          const read = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
          const recs = recordsIn(read.records);
          all.push(...recs);
          offset = (recs.at(-1)?.offset ?? offset) + 1;
        }
        assert.deepEqual(
          all.map((r) => r.offset),
          Array.from({ length: 100 }, (_, i) => i),
        );
      });
    });

    test("segments roll by size, reads cross them, and everything survives a clean restart", async () => {
      await withManager(async ({ manager, reopen, clock }) => {
        await manager.createTopic({ name: "roll", partitions: 2, configs: { "retention.ms": "-1" } });
        for (let i = 0; i < 40; i++) {
          const log = manager.log("roll", i % 2);
          assert.ok(log);
          await log.append(batchOf({ count: 5, prefix: `r${i}`, timestampMs: clock.now + i, valueBytes: 40 }), {
            requiredAcks: 1,
            leaderEpoch: 0,
          });
        }
        const before = manager.log("roll", 0);
        assert.ok(before && before.segmentCount > 1, "rolled into several segments");
        const reopened = await reopen();
        const log = reopened.log("roll", 0);
        assert.ok(log);
        assert.equal(log.logEndOffset, 100);
        assert.equal(log.highWatermark, 100);
        const seen: number[] = [];
        let offset = 0;
        while (offset < log.highWatermark) {
          const read = await log.read({ offset, maxBytes: 1000, minOneBatch: true });
          const recs = recordsIn(read.records).filter((r) => r.offset >= offset);
          assert.ok(recs.length > 0);
          seen.push(...recs.map((r) => r.offset));
          offset = (recs.at(-1)?.offset ?? 0) + 1;
        }
        assert.deepEqual(
          seen,
          Array.from({ length: 100 }, (_, i) => i),
        );
        // Appends continue after the restart at the right offset.
        const more = await log.append(batchOf({ count: 1, timestampMs: clock.now }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        });
        assert.ok("baseOffset" in more && more.baseOffset === 100);
      });
    });

    test("read respects maxBytes but returns one oversized batch when asked", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "m", partitions: 1 });
        const log = manager.log("m", 0);
        assert.ok(log);
        for (let i = 0; i < 5; i++) {
          await log.append(batchOf({ count: 4, timestampMs: clock.now, valueBytes: 100 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
        }
        const one = await log.read({ offset: 0, maxBytes: 10, minOneBatch: true });
        assert.equal(recordsIn(one.records).length, 4);
        const none = await log.read({ offset: 0, maxBytes: 10, minOneBatch: false });
        assert.equal(none.records.length, 0);
        const two = await log.read({ offset: 0, maxBytes: one.records.length * 2 + 1, minOneBatch: true });
        assert.equal(recordsIn(two.records).length, 8);
        const out = await log.read({ offset: 99, maxBytes: 10, minOneBatch: true });
        assert.equal(out.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
        const atEnd = await log.read({ offset: 20, maxBytes: 10, minOneBatch: true });
        assert.equal(atEnd.errorCode, 0);
        assert.equal(atEnd.records.length, 0);
      });
    });

    test("bad batches are refused with Kafka's error codes and nothing is appended", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "bad", partitions: 1, configs: { "max.message.bytes": "300" } });
        const log = manager.log("bad", 0);
        assert.ok(log);
        const corrupt = batchOf({ count: 2, timestampMs: clock.now });
        corrupt.set([(corrupt.at(-1) ?? 0) ^ 0xff], corrupt.length - 1);
        const r1 = await log.append(corrupt, { requiredAcks: -1, leaderEpoch: 0 });
        assert.equal(r1.errorCode, ErrorCode.CORRUPT_MESSAGE);
        const big = await log.append(batchOf({ count: 5, timestampMs: clock.now, valueBytes: 100 }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        });
        assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
        const torn = batchOf({ count: 1, timestampMs: clock.now }).subarray(0, 30);
        assert.equal(
          (await log.append(torn, { requiredAcks: -1, leaderEpoch: 0 })).errorCode,
          ErrorCode.CORRUPT_MESSAGE,
        );
        const future = await log.append(batchOf({ count: 1, timestampMs: clock.now + 2 * 3600_000 }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        });
        assert.equal(future.errorCode, ErrorCode.INVALID_TIMESTAMP);
        assert.equal(log.logEndOffset, 0);
      });
    });

    test("compacted topics refuse records without keys", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "cmp", partitions: 1, configs: { "cleanup.policy": "compact" } });
        const log = manager.log("cmp", 0);
        assert.ok(log);
        const r = await log.append(batchOf({ count: 1, timestampMs: clock.now }), { requiredAcks: -1, leaderEpoch: 0 });
        assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
        const ok = await log.append(batchOf({ count: 1, keys: 1, timestampMs: clock.now }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        });
        assert.equal(ok.errorCode, 0);
      });
    });

    test("LogAppendTime stamps the broker's time", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({
          name: "lat",
          partitions: 1,
          configs: { "message.timestamp.type": "LogAppendTime" },
        });
        const log = manager.log("lat", 0);
        assert.ok(log);
        const r = await log.append(batchOf({ count: 2, timestampMs: 5 }), { requiredAcks: -1, leaderEpoch: 0 });
        assert.ok("logAppendTimeMs" in r && r.logAppendTimeMs === clock.now);
        const read = await log.read({ offset: 0, maxBytes: 1 << 20, minOneBatch: true });
        assert.deepEqual(
          recordsIn(read.records).map((x) => x.timestampMs),
          [clock.now, clock.now],
        );
      });
    });

    test("offsets by timestamp and the max timestamp", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "ts", partitions: 1 });
        const log = manager.log("ts", 0);
        assert.ok(log);
        const t0 = clock.now - 100_000;
        for (let i = 0; i < 30; i++) {
          // 3 records per batch at t0 + i*1000 + {0,1,2}; batch 10 has a late, larger timestamp.
          const base = i === 10 ? t0 + 50_000 : t0 + i * 1000;
          await log.append(batchOf({ count: 3, timestampMs: base, valueBytes: 50 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
        }
        assert.deepEqual(await log.offsetForTimestamp(t0), { offset: 0, timestampMs: t0 });
        assert.deepEqual(await log.offsetForTimestamp(t0 + 5001), { offset: 16, timestampMs: t0 + 5001 });
        assert.deepEqual(await log.offsetForTimestamp(t0 + 10_000), { offset: 30, timestampMs: t0 + 50_000 });
        assert.equal(await log.offsetForTimestamp(t0 + 60_000), undefined);
        assert.deepEqual(await log.maxTimestamp(), { offset: 32, timestampMs: t0 + 50_002 });
      });
    });

    test("DeleteRecords advances the log start offset durably", async () => {
      await withManager(async ({ manager, reopen, clock }) => {
        await manager.createTopic({ name: "del", partitions: 1 });
        const log = manager.log("del", 0);
        assert.ok(log);
        for (let i = 0; i < 30; i++) {
          await log.append(batchOf({ count: 2, timestampMs: clock.now, valueBytes: 60 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
        }
        const segmentsBefore = log.segmentCount;
        assert.deepEqual(await manager.deleteRecords("del", 0, 41), { errorCode: 0, logStartOffset: 41 });
        assert.ok(log.segmentCount < segmentsBefore, "whole segments below were deleted");
        assert.equal(
          (await log.read({ offset: 40, maxBytes: 100, minOneBatch: true })).errorCode,
          ErrorCode.OFFSET_OUT_OF_RANGE,
        );
        assert.equal((await manager.deleteRecords("del", 0, 61)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
        const again = (await reopen()).log("del", 0);
        assert.equal(again?.logStartOffset, 41);
      });
    });

    test("retention by time and by size deletes whole old segments", async () => {
      await withManager(async ({ manager, clock }) => {
        await manager.createTopic({ name: "ret", partitions: 1, configs: { "retention.ms": "60000" } });
        await manager.createTopic({
          name: "size",
          partitions: 1,
          configs: { "retention.bytes": "8000", "retention.ms": "-1" },
        });
        const ret = manager.log("ret", 0);
        const size = manager.log("size", 0);
        assert.ok(ret && size);
        for (let i = 0; i < 80; i++) {
          if (i < 40) {
            await ret.append(batchOf({ count: 2, timestampMs: clock.now, valueBytes: 60 }), {
              requiredAcks: -1,
              leaderEpoch: 0,
            });
          }
          await size.append(batchOf({ count: 2, timestampMs: clock.now, valueBytes: 60 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
        }
        assert.equal(await ret.applyRetention(), 0, "nothing expired yet");
        const sizeDeleted = await size.applyRetention();
        assert.ok(sizeDeleted > 0);
        assert.ok(size.sizeBytes >= 8000 && size.sizeBytes <= 8000 + 4096, `size ${size.sizeBytes}`);
        assert.ok(size.logStartOffset > 0);
        clock.now += 61_000;
        await ret.applyRetention();
        assert.equal(ret.logStartOffset, 80, "everything expired, including the rolled active segment");
        assert.equal(ret.sizeBytes, 0);
        const next = await ret.append(batchOf({ count: 1, timestampMs: clock.now }), {
          requiredAcks: -1,
          leaderEpoch: 0,
        });
        assert.ok("baseOffset" in next && next.baseOffset === 80);
      });
    });

    test("closed segments' indexes stay within the index cache budget and reload on demand", async () => {
      const { backend, dataDir, cleanup } = target.make();
      const clock = new ManualClock();
      const budget = 200;
      let manager = (
        await LogManager.open({ backend, dataDir, clock, defaults: smallSegments, indexCacheBytesMax: budget })
      ).manager;
      try {
        await manager.createTopic({ name: "idx", partitions: 1, configs: { "retention.ms": "-1" } });
        let log = manager.log("idx", 0);
        assert.ok(log);
        for (let i = 0; i < 120; i++) {
          await log.append(batchOf({ count: 2, prefix: `i${i}`, timestampMs: clock.now + i, valueBytes: 50 }), {
            requiredAcks: -1,
            leaderEpoch: 0,
          });
        }
        assert.ok(log.segmentCount > 5);
        for (const reopen of [false, true]) {
          if (reopen) {
            await manager.close();
            manager = (
              await LogManager.open({ backend, dataDir, clock, defaults: smallSegments, indexCacheBytesMax: budget })
            ).manager;
            log = manager.log("idx", 0);
            assert.ok(log);
          }
          for (let offset = 239; offset >= 0; offset -= 17) {
            const read = await log.read({ offset, maxBytes: 100, minOneBatch: true });
            const recs = recordsIn(read.records);
            assert.ok(
              recs.some(
                (r) => r.offset === offset && r.value?.startsWith(`i${Math.floor(offset / 2)}-${offset % 2}-`) === true,
              ),
              `offset ${offset}`,
            );
            assert.ok(manager.indexCache.usedBytes <= budget + 512, `cache holds ${manager.indexCache.usedBytes}`);
          }
          assert.deepEqual(await log.offsetForTimestamp(clock.now + 60), { offset: 119, timestampMs: clock.now + 60 });
        }
      } finally {
        await manager.close();
        cleanup();
      }
    });

    test("topics, ids and configs persist; admin errors are typed", async () => {
      await withManager(async ({ manager, reopen }) => {
        const t = await manager.createTopic({ name: "meta", partitions: 3, configs: { "retention.ms": "1234" } });
        await assert.rejects(
          manager.createTopic({ name: "meta", partitions: 1 }),
          (e: unknown) => e instanceof TopicError && e.errorName === "TOPIC_ALREADY_EXISTS",
        );
        await assert.rejects(
          manager.createTopic({ name: "bad/name", partitions: 1 }),
          (e: unknown) => e instanceof TopicError && e.errorName === "INVALID_TOPIC_EXCEPTION",
        );
        await assert.rejects(
          manager.createTopic({ name: "cfg", partitions: 1, configs: { "retention.ms": "soon" } }),
          (e: unknown) => e instanceof TopicError && e.errorName === "INVALID_CONFIG",
        );
        await manager.createPartitions("meta", 5);
        await manager.setTopicConfigs("meta", { "retention.ms": "999", "cleanup.policy": "compact,delete" });
        const clusterId = manager.clusterId;
        const again = await reopen();
        assert.equal(again.clusterId, clusterId);
        const meta = again.topic("meta");
        assert.deepEqual(meta, {
          name: "meta",
          topicId: t.topicId,
          partitions: 5,
          configs: { "retention.ms": "999", "cleanup.policy": "compact,delete" },
        });
        assert.ok(again.log("meta", 4));
        assert.equal(again.topicConfig("meta")?.retentionMs, 999);
        await again.deleteTopic("meta");
        assert.equal(again.log("meta", 0), undefined);
        const third = await reopen();
        assert.equal(third.topic("meta"), undefined);
      });
    });
  });
}
