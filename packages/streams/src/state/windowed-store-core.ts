// What every windowed store (window or session, in memory or persistent) holds: its name and
// retention, its serdes and the context they see (the changelog topic's name, as Kafka's
// StateSerdes), where its changes are logged, and the observed stream time retention is measured
// from, with the count of puts dropped as already expired.
import type { Serde, SerdeContext } from "../serdes.ts";
import type { ChangelogSink, StoreContext } from "./store.ts";

/** Throws unless `retentionMs` is a non-negative integer. */
export function validateRetention(retentionMs: number): void {
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) {
    throw new RangeError(`retentionMs must be a non-negative integer, got ${retentionMs}`);
  }
}

export abstract class WindowedStoreCore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  protected readonly keySerde: Serde<K>;
  protected readonly valueSerde: Serde<V>;
  protected serdeContext: SerdeContext;
  protected changelog: ChangelogSink | undefined;
  protected recordTimestampMs: (() => number) | undefined;
  /** The largest window start (session end) put so far; -1 before any. */
  protected observedStreamTimeMs = -1;
  protected expiredDropped = 0;

  constructor(options: {
    readonly name: string;
    readonly retentionMs: number;
    readonly keySerde: Serde<K>;
    readonly valueSerde: Serde<V>;
  }) {
    validateRetention(options.retentionMs);
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.serdeContext = { topic: options.name, headers: [] };
  }

  init(context: StoreContext): void {
    this.changelog = context.changelog;
    this.recordTimestampMs = context.recordTimestampMs;
    // Store serdes see the changelog topic's name, as Kafka's StateSerdes do.
    this.serdeContext = { topic: `${context.applicationId}-${this.name}-changelog`, headers: [] };
  }

  /** Records dropped because their window (session) had already expired when put (Kafka's dropped-records sensor). */
  get expiredRecordsDropped(): number {
    return this.expiredDropped;
  }

  /** The largest window start (session end) put so far (-1 before any): what retention is measured from. */
  get observedStreamTime(): number {
    return this.observedStreamTimeMs;
  }
}
