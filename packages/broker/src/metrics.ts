// Broker metrics in Prometheus' text format: bytes in/out, requests and latency by API,
// connections, and (sampled at scrape time) partition sizes and offsets.
import { apiSpecOf } from "@samsa/protocol";

/** Latency histogram buckets, in seconds. */
const latencyBucketsSec = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface ApiStats {
  count: number;
  errors: number;
  sumSec: number;
  buckets: number[];
}

export interface PartitionGauge {
  readonly topic: string;
  readonly partition: number;
  readonly sizeBytes: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

export class Metrics {
  bytesIn = 0;
  bytesOut = 0;
  connectionsOpen = 0;
  connectionsTotal = 0;
  connectionsRejected = 0;
  protocolErrors = 0;
  private readonly apis = new Map<number, ApiStats>();
  private readonly startedMs = Date.now();

  recordRequest(apiKey: number, durationSec: number, failed: boolean): void {
    let stats = this.apis.get(apiKey);
    if (stats === undefined) {
      stats = { count: 0, errors: 0, sumSec: 0, buckets: latencyBucketsSec.map(() => 0) };
      this.apis.set(apiKey, stats);
    }
    stats.count++;
    if (failed) stats.errors++;
    stats.sumSec += durationSec;
    for (let i = 0; i < latencyBucketsSec.length; i++) {
      if (durationSec <= (latencyBucketsSec[i] ?? Infinity)) stats.buckets[i] = (stats.buckets[i] ?? 0) + 1;
    }
  }

  requestCount(apiKey: number): number {
    return this.apis.get(apiKey)?.count ?? 0;
  }

  /** The Prometheus exposition text; partition gauges are passed in by the caller at scrape time. */
  render(partitions: readonly PartitionGauge[]): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, lines: string[]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    metric("samsa_bytes_in_total", "counter", "Bytes received from clients.", [`samsa_bytes_in_total ${this.bytesIn}`]);
    metric("samsa_bytes_out_total", "counter", "Bytes sent to clients.", [`samsa_bytes_out_total ${this.bytesOut}`]);
    metric("samsa_connections", "gauge", "Open client connections.", [`samsa_connections ${this.connectionsOpen}`]);
    metric("samsa_connections_total", "counter", "Client connections accepted.", [
      `samsa_connections_total ${this.connectionsTotal}`,
    ]);
    metric("samsa_connections_rejected_total", "counter", "Connections refused by connection limits.", [
      `samsa_connections_rejected_total ${this.connectionsRejected}`,
    ]);
    metric("samsa_protocol_errors_total", "counter", "Connections closed for malformed or oversized requests.", [
      `samsa_protocol_errors_total ${this.protocolErrors}`,
    ]);
    const requests: string[] = [];
    const errors: string[] = [];
    const latency: string[] = [];
    for (const [key, s] of [...this.apis.entries()].sort((a, b) => a[0] - b[0])) {
      const api = escapeLabel(apiSpecOf(key)?.name ?? String(key));
      requests.push(`samsa_requests_total{api="${api}"} ${s.count}`);
      errors.push(`samsa_request_errors_total{api="${api}"} ${s.errors}`);
      latencyBucketsSec.forEach((le, i) =>
        latency.push(`samsa_request_duration_seconds_bucket{api="${api}",le="${le}"} ${s.buckets[i] ?? 0}`),
      );
      latency.push(`samsa_request_duration_seconds_bucket{api="${api}",le="+Inf"} ${s.count}`);
      latency.push(`samsa_request_duration_seconds_sum{api="${api}"} ${s.sumSec}`);
      latency.push(`samsa_request_duration_seconds_count{api="${api}"} ${s.count}`);
    }
    metric("samsa_requests_total", "counter", "Requests handled, by API.", requests);
    metric("samsa_request_errors_total", "counter", "Requests that failed as a whole, by API.", errors);
    metric(
      "samsa_request_duration_seconds",
      "histogram",
      "Time from a request's arrival to its response being queued.",
      latency,
    );
    const label = (p: PartitionGauge): string => `topic="${escapeLabel(p.topic)}",partition="${p.partition}"`;
    metric(
      "samsa_partition_size_bytes",
      "gauge",
      "Bytes stored per partition.",
      partitions.map((p) => `samsa_partition_size_bytes{${label(p)}} ${p.sizeBytes}`),
    );
    metric(
      "samsa_partition_log_end_offset",
      "gauge",
      "Log end offset per partition.",
      partitions.map((p) => `samsa_partition_log_end_offset{${label(p)}} ${p.logEndOffset}`),
    );
    metric(
      "samsa_partition_high_watermark",
      "gauge",
      "High watermark per partition.",
      partitions.map((p) => `samsa_partition_high_watermark{${label(p)}} ${p.highWatermark}`),
    );
    metric(
      "samsa_partition_log_start_offset",
      "gauge",
      "Log start offset per partition.",
      partitions.map((p) => `samsa_partition_log_start_offset{${label(p)}} ${p.logStartOffset}`),
    );
    const memory = process.memoryUsage();
    metric("samsa_process_resident_memory_bytes", "gauge", "Resident set size of the broker process.", [
      `samsa_process_resident_memory_bytes ${memory.rss}`,
    ]);
    metric("samsa_uptime_seconds", "gauge", "Seconds since the broker started.", [
      `samsa_uptime_seconds ${(Date.now() - this.startedMs) / 1000}`,
    ]);
    return out.join("\n") + "\n";
  }
}
