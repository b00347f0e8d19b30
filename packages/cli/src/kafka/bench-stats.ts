// The arithmetic of `samsa bench`: latency percentiles over weighted samples (each produce request
// counts once per record it carried, so p99 is "99% of records were acknowledged within"), rates,
// and the benchmark payload. Pure, so the numbers are tested without a cluster.

export interface LatencySample {
  readonly latencyMs: number;
  /** How many records the sample stands for. */
  readonly weight: number;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly avg: number;
}

/**
 * The smallest latency such that at least `quantile` of the weight is at or below it (the
 * nearest-rank definition, so a percentile is always a latency that was measured).
 */
export function weightedPercentile(sorted: readonly LatencySample[], total: number, quantile: number): number {
  if (sorted.length === 0 || total <= 0) return 0;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let seen = 0;
  for (const s of sorted) {
    seen += s.weight;
    if (seen >= rank) return s.latencyMs;
  }
  return sorted[sorted.length - 1]?.latencyMs ?? 0;
}

export function summarizeLatency(samples: readonly LatencySample[]): LatencySummary {
  const sorted = [...samples].filter((s) => s.weight > 0).sort((a, b) => a.latencyMs - b.latencyMs);
  const total = sorted.reduce((sum, s) => sum + s.weight, 0);
  if (total === 0) return { p50: 0, p99: 0, max: 0, avg: 0 };
  const weighted = sorted.reduce((sum, s) => sum + s.latencyMs * s.weight, 0);
  return {
    p50: weightedPercentile(sorted, total, 0.5),
    p99: weightedPercentile(sorted, total, 0.99),
    max: sorted[sorted.length - 1]?.latencyMs ?? 0,
    avg: weighted / total,
  };
}

export interface Throughput {
  readonly recordsPerSec: number;
  readonly mibPerSec: number;
}

export function throughput(records: number, bytes: number, elapsedMs: number): Throughput {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return { recordsPerSec: records / seconds, mibPerSec: bytes / (1024 * 1024) / seconds };
}

/** Rounds for display and JSON (three decimals are plenty for milliseconds and MiB/s). */
export function round(value: number, decimals = 3): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** A value of `size` bytes of letters A-Z from a seeded generator (compressible like text, not trivially). */
export function benchPayload(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = 65 + (state % 26);
  }
  return bytes;
}

/** Splits `total` records into batches of at most `batch`: the sizes, in order. */
export function batchSizes(total: number, batch: number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= batch) sizes.push(Math.min(batch, left));
  return sizes;
}
