// The arithmetic of `samsa bench`: weighted nearest-rank percentiles (checked against expanding
// every sample into its records), rates, batch splitting and the deterministic payload.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { batchSizes, benchPayload, summarizeLatency, throughput } from "../src/kafka/bench-stats.ts";

test("percentiles weight each request by its records (small example)", () => {
  const summary = summarizeLatency([
    { latencyMs: 10, weight: 98 },
    { latencyMs: 50, weight: 1 },
    { latencyMs: 90, weight: 1 },
  ]);
  assert.deepEqual(summary, { p50: 10, p99: 50, max: 90, avg: (980 + 50 + 90) / 100 });
  assert.deepEqual(summarizeLatency([]), { p50: 0, p99: 0, max: 0, avg: 0 });
});

test("weighted percentiles equal nearest-rank percentiles of the records expanded (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ latencyMs: fc.integer({ min: 0, max: 1000 }), weight: fc.integer({ min: 1, max: 20 }) }), {
        minLength: 1,
        maxLength: 40,
      }),
      (samples) => {
        const expanded = samples
          .flatMap((s) => Array.from({ length: s.weight }, () => s.latencyMs))
          .sort((a, b) => a - b);
        const rank = (q: number): number => expanded[Math.max(1, Math.ceil(q * expanded.length)) - 1] ?? -1;
        const summary = summarizeLatency(samples);
        assert.equal(summary.p50, rank(0.5));
        assert.equal(summary.p99, rank(0.99));
        assert.equal(summary.max, expanded.at(-1));
        assert.ok(summary.p50 <= summary.p99 && summary.p99 <= summary.max);
      },
    ),
  );
});

test("throughput in records/s and MiB/s", () => {
  assert.deepEqual(throughput(1000, 2 * 1024 * 1024, 500), { recordsPerSec: 2000, mibPerSec: 4 });
});

test("batches cover the records exactly", () => {
  assert.deepEqual(batchSizes(1050, 500), [500, 500, 50]);
  assert.deepEqual(batchSizes(0, 500), []);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 700 }), (total, batch) => {
      const sizes = batchSizes(total, batch);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        total,
      );
      assert.ok(sizes.every((s) => s >= 1 && s <= batch));
    }),
  );
});

test("the payload has the asked size, letters only, and is the same for the same seed", () => {
  const a = benchPayload(1000);
  assert.equal(a.length, 1000);
  assert.ok([...a].every((b) => b >= 65 && b <= 90));
  assert.deepEqual(benchPayload(1000), a);
  assert.notDeepEqual(benchPayload(1000, 2), a);
  assert.ok(new Set(a).size > 20, "not a constant run");
});
