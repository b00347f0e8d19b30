// Session window aggregation (Kafka's KStreamSessionWindowAggregate): a record at t joins every
// session of its key that ends at or after t − gap and starts at or before t + gap, merging them
// (and their aggregates, with the merger) into one session; the merged-away sessions are removed
// and forwarded as deletions, the new one as an update. A session is dropped as late when the merged
// session ends before stream time − gap − grace. With emit-final, each session is forwarded once,
// when stream time passes its end + gap + grace.
import type { ProcessorSupplier } from "../processor.ts";
import type { Headers, StreamRecord } from "../record.ts";
import type { KeyValue, SessionStore, TimeWindow, Windowed } from "../state/store.ts";
import type { EmitStrategy, SessionWindows } from "../dsl/windows.ts";
import type { Change, SessionAggregation } from "./window-aggregation.ts";
import {
  WindowedAggregateProcessor,
  WindowedAggregateSupplier,
  type WindowedAggregateOptions,
} from "./windowed-aggregate-processor.ts";

/** The options of a session aggregation; emit-final needs a store with `findSessionsByEndTime` (both kinds have it). */
export interface SessionWindowAggregateOptions<K, V, VAgg> extends WindowedAggregateOptions {
  readonly windows: SessionWindows;
  readonly aggregation: SessionAggregation<K, V, VAgg>;
}

interface FindByEndTime<K, V> {
  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

function findByEndTimeOf<K, V>(store: SessionStore<K, V>): FindByEndTime<K, V> | undefined {
  const candidate = store as Partial<FindByEndTime<K, V>>;
  return typeof candidate.findSessionsByEndTime === "function" ? (candidate as FindByEndTime<K, V>) : undefined;
}

export class SessionWindowAggregateProcessor<K, V, VAgg> extends WindowedAggregateProcessor<
  K,
  V,
  VAgg,
  SessionStore<K, VAgg>
> {
  private readonly windows: SessionWindows;
  private readonly aggregation: SessionAggregation<K, V, VAgg>;

  constructor(options: SessionWindowAggregateOptions<K, V, VAgg>) {
    super(options);
    this.windows = options.windows;
    this.aggregation = options.aggregation;
  }

  protected override checkEmitFinalStore(store: SessionStore<K, VAgg>): void {
    if (findByEndTimeOf(store) === undefined) {
      throw new Error(
        `emit-final session aggregation needs a session store that finds sessions by end time (store ${this.options.storeName})`,
      );
    }
  }

  process(record: StreamRecord<K, V>): void {
    if (this.skipsNull(record)) return;
    const timestampMs = record.timestampMs;
    this.updateObservedStreamTime(timestampMs);
    const windowCloseTimeMs = this.observedStreamTimeMs - this.windows.graceMs - this.windows.inactivityGapMs;

    const gapMs = this.windows.inactivityGapMs;
    const merged: KeyValue<Windowed<K>, VAgg>[] = [];
    let mergedWindow: TimeWindow = { startMs: timestampMs, endMs: timestampMs };
    let agg = this.aggregation.initialize();
    for (const session of this.store.findSessions(record.key, timestampMs - gapMs, timestampMs + gapMs)) {
      merged.push(session);
      agg = this.aggregation.merge(record.key, agg, session.value);
      mergedWindow = {
        startMs: Math.min(mergedWindow.startMs, session.key.window.startMs),
        endMs: Math.max(mergedWindow.endMs, session.key.window.endMs),
      };
    }

    if (mergedWindow.endMs < windowCloseTimeMs) {
      this.dropExpired(record, `[${mergedWindow.startMs},${mergedWindow.endMs}]`, windowCloseTimeMs);
    } else {
      this.emitBeforeExpiry(record, windowCloseTimeMs, mergedWindow.endMs);
      // Kafka compares with the record's own window [t, t]: only when nothing else was merged (no
      // session found, or just a session [t, t]) is there nothing to remove — a record inside a
      // longer session removes and re-puts it.
      if (mergedWindow.startMs !== timestampMs || mergedWindow.endMs !== timestampMs) {
        for (const session of merged) {
          this.store.remove(session.key);
          this.maybeForwardUpdate(session.key, session.value, undefined);
        }
      }
      const newAgg = this.aggregation.add(record.key, record.value, agg);
      const sessionKey: Windowed<K> = { key: record.key, window: mergedWindow };
      this.store.put(sessionKey, newAgg);
      this.maybeForwardUpdate(sessionKey, undefined, newAgg);
    }

    this.maybeForwardFinalResult(record, windowCloseTimeMs);
  }

  /**
   * Forwards a session change (not with emit-final), timestamped with the session end. Kafka makes
   * these records afresh, so they carry no headers.
   */
  private maybeForwardUpdate(windowedKey: Windowed<K>, oldAgg: VAgg | undefined, newAgg: VAgg | undefined): void {
    if (this.emitFinal) return;
    this.forwardUpdate(windowedKey, oldAgg, newAgg, windowedKey.window.endMs, []);
  }

  // Session bounds are inclusive: a session is closed when its end is before the close time. Emit
  // reads sessions by end time.

  protected emitRangeLowerBound(_windowCloseTimeMs: number): number {
    return Math.max(0, this.lastEmitWindowCloseTimeMs);
  }

  protected emitRangeUpperBound(windowCloseTimeMs: number): number {
    return windowCloseTimeMs - 1;
  }

  protected shouldRangeFetch(lowerBoundMs: number, upperBoundMs: number): boolean {
    // A session can be a single point [t, t], so equal bounds still need a fetch.
    return upperBoundMs >= lowerBoundMs;
  }

  protected forwardClosed(lowerBoundMs: number, upperBoundMs: number, headers: Headers): void {
    const store = findByEndTimeOf(this.store);
    if (store === undefined) throw new Error("emit-final session aggregation needs findSessionsByEndTime");
    for (const { key, value } of store.findSessionsByEndTime(lowerBoundMs, upperBoundMs)) {
      this.forwardFinal(key, value, key.window.endMs, headers);
    }
  }
}

/**
 * The session store's retention when none is configured. Kafka's is gap + grace. With emit-final,
 * that store drops a session whose end is exactly stream time − gap − grace one ms before it closes,
 * and a closed session can still take a record within its gap (any record at or after the close time
 * is accepted) — so with emit-final the store keeps sessions back to close time − gap: 2 × gap +
 * grace + 1. Kafka's results are then those of a Kafka store that never expires anything.
 */
export function defaultSessionRetentionMs(windows: SessionWindows, emitStrategy?: EmitStrategy): number {
  return emitStrategy?.type === "on-window-close"
    ? 2 * windows.inactivityGapMs + windows.graceMs + 1
    : windows.inactivityGapMs + windows.graceMs;
}

/** Kafka's KStreamSessionWindowAggregate as a processor supplier. */
export class SessionWindowAggregate<K, V, VAgg> extends WindowedAggregateSupplier<
  K,
  V,
  VAgg,
  SessionWindows,
  SessionWindowAggregateOptions<K, V, VAgg>
> {
  protected create(options: SessionWindowAggregateOptions<K, V, VAgg>): SessionWindowAggregateProcessor<K, V, VAgg> {
    return new SessionWindowAggregateProcessor(options);
  }
}

/** Session window aggregation as a processor supplier. */
export function sessionWindowAggregate<K, V, VAgg>(
  options: SessionWindowAggregateOptions<K, V, VAgg>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> {
  return new SessionWindowAggregate(options).get;
}
