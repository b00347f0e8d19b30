// Per-topic log settings (Kafka's topic config names map onto these) and the broker-wide
// durability mode. Defaults are Kafka's.

export interface LogConfig {
  /** segment.bytes */
  readonly segmentBytes: number;
  /** segment.ms */
  readonly segmentMs: number;
  /** index.interval.bytes */
  readonly indexIntervalBytes: number;
  /** max.message.bytes: the largest record batch accepted. */
  readonly maxMessageBytes: number;
  /** message.timestamp.type */
  readonly timestampType: "CreateTime" | "LogAppendTime";
  /** message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be. */
  readonly timestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be. */
  readonly timestampAfterMaxMs: number;
  /** retention.ms; -1 keeps data forever. */
  readonly retentionMs: number;
  /** retention.bytes; -1 for no size limit. */
  readonly retentionBytes: number;
  /** cleanup.policy */
  readonly cleanupPolicy: { readonly delete: boolean; readonly compact: boolean };
  /** delete.retention.ms: how long tombstones are kept after compaction reaches them. */
  readonly deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio */
  readonly minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms */
  readonly minCompactionLagMs: number;
  /** producer.id.expiration.ms (a broker setting): idle idempotent producers are forgotten after it. */
  readonly producerIdExpirationMs: number;
}

export const defaultLogConfig: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1024 * 1024 + 12,
  timestampType: "CreateTime",
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: { delete: true, compact: false },
  deleteRetentionMs: 24 * 3600 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  producerIdExpirationMs: 24 * 3600 * 1000,
};

/**
 * When appended data is made durable.
 * - `fsync` (default): appends are group-committed — one fdatasync covers every append that
 *   completed before it — and acks=all is answered, and the high watermark advanced, only after.
 * - `interval`: fdatasync every `intervalMs`; acks=all is answered once written to the OS.
 * - `os`: never fsync except when a segment rolls or the log closes; the OS writes back.
 */
export type Durability =
  { readonly mode: "fsync" } | { readonly mode: "interval"; readonly intervalMs: number } | { readonly mode: "os" };

export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
