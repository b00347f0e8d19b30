// The output of Kafka's perf tools (kafka-producer-perf-test, kafka-consumer-perf-test), parsed for
// the benchmarks that drive them (broker.bench.ts, security.bench.ts).

export interface ProducerLine {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

const producerLine =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/g;

export function parseProducerPerf(stdout: string): ProducerLine | undefined {
  const last = [...stdout.matchAll(producerLine)].pop();
  if (last === undefined) return undefined;
  const n = (i: number): number => Number(last[i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mbPerSec: n(3),
    avgLatencyMs: n(4),
    maxLatencyMs: n(5),
    p50Ms: n(6),
    p95Ms: n(7),
    p99Ms: n(8),
    p999Ms: n(9),
  };
}

export interface ConsumeResult {
  readonly records: number;
  /** Including the group join (what the tool calls MB.sec). */
  readonly mbPerSec: number;
  readonly recordsPerSec: number;
  /** Fetching only, after the group join. */
  readonly fetchMbPerSec: number;
  readonly fetchRecordsPerSec: number;
  readonly rebalanceMs: number;
  readonly fetchMs: number;
}

export function parseConsumerPerf(stdout: string): ConsumeResult | undefined {
  const lines = stdout.split("\n").map((l) => l.trim());
  const headerAt = lines.findIndex((l) => l.startsWith("start.time"));
  const header = lines[headerAt]?.split(/,\s*/);
  const values = lines[headerAt + 1]?.split(/,\s*/);
  if (header === undefined || values === undefined) return undefined;
  const field = (name: string): number => {
    const at = header.indexOf(name);
    const value = at < 0 ? undefined : values[at];
    if (value === undefined) throw new Error(`consumer-perf-test output lacks ${name}`);
    return Number(value);
  };
  return {
    records: field("data.consumed.in.nMsg"),
    mbPerSec: field("MB.sec"),
    recordsPerSec: field("nMsg.sec"),
    fetchMbPerSec: field("fetch.MB.sec"),
    fetchRecordsPerSec: field("fetch.nMsg.sec"),
    rebalanceMs: field("rebalance.time.ms"),
    fetchMs: field("fetch.time.ms"),
  };
}
