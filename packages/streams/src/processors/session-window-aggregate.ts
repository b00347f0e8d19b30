// Session window aggregation (Kafka's KStreamSessionWindowAggregate): a record at t joins every
// session of its key that ends at or after t − gap and starts at or before t + gap, merging them
// (and their aggregates, with the merger) into one session; the merged-away sessions are removed
// and forwarded as deletions, the new one as an update. A session is dropped as late when the merged
// session ends before stream time − gap − grace. With emit-final, each session is forwarded once,
// when stream time passes its end + gap + grace.
import type { Processor, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { KeyValue, SessionStore, TimeWindow, Windowed } from "../state/store.ts";
import type { EmitStrategy, SessionWindows } from "../dsl/windows.ts";
import {
  EmitThrottle,
  NO_TIMESTAMP,
  isNullish,
  processorMetadataOf,
  resolveEmitIntervalMs,
  type Change,
  type DroppedRecord,
  type DroppedRecordHandler,
  type ProcessorMetadataContext,
  type SessionAggregation,
  type WindowedChangeContext,
} from "./window-aggregation.ts";

export interface SessionWindowAggregateOptions<K, V, VAgg> {
  readonly windows: SessionWindows;
  /** The session store connected to the processor; emit-final needs `findSessionsByEndTime` (the in-memory store has it). */
  readonly storeName: string;
  readonly aggregation: SessionAggregation<K, V, VAgg>;
  /** Default: on every session update. */
  readonly emitStrategy?: EmitStrategy;
  readonly sendOldValues?: boolean;
  /**
   * Emit-final throttle in wall-clock ms (0: look for closed windows on every record). Default: the
   * application config `__emit.interval.ms.kstreams.windowed.aggregation__` when the context offers
   * `appConfigs()`, else Kafka's 1000.
   */
  readonly emitIntervalMs?: number;
  /**
   * Skip records with a null value (reason "null-key-or-value"). Kafka passes them to the
   * aggregator (its count() counts them); the DSL's aggregate and reduce skip them, as their
   * functions take non-null values.
   */
  readonly skipNullValues?: boolean;
  /** Told about every dropped record (null key, expired session); default: ignored (the count is kept). */
  readonly onDroppedRecord?: DroppedRecordHandler;
}

interface FindByEndTime<K, V> {
  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

function findByEndTimeOf<K, V>(store: SessionStore<K, V>): FindByEndTime<K, V> | undefined {
  const candidate = store as Partial<FindByEndTime<K, V>>;
  return typeof candidate.findSessionsByEndTime === "function" ? (candidate as FindByEndTime<K, V>) : undefined;
}

export class SessionWindowAggregateProcessor<K, V, VAgg> implements Processor<K, V, Windowed<K>, Change<VAgg>> {
  private readonly options: SessionWindowAggregateOptions<K, V, VAgg>;
  private readonly windows: SessionWindows;
  private readonly aggregation: SessionAggregation<K, V, VAgg>;
  private readonly emitFinal: boolean;
  private throttle: EmitThrottle | undefined;
  private contextOrUndefined: WindowedChangeContext<K, VAgg> | undefined;
  private storeOrUndefined: SessionStore<K, VAgg> | undefined;
  private metadata: ProcessorMetadataContext | undefined;
  private lastEmitWindowCloseTimeMs = NO_TIMESTAMP;
  private observedStreamTimeMs = NO_TIMESTAMP;
  /** Records skipped (null key, expired session): Kafka's dropped-records sensor. */
  droppedRecords = 0;
  /** Final results forwarded (Kafka's emitted-records sensor). */
  emittedRecords = 0;

  constructor(options: SessionWindowAggregateOptions<K, V, VAgg>) {
    this.options = options;
    this.windows = options.windows;
    this.aggregation = options.aggregation;
    this.emitFinal = options.emitStrategy?.type === "on-window-close";
  }

  init(context: WindowedChangeContext<K, VAgg>): void {
    this.contextOrUndefined = context;
    this.storeOrUndefined = context.getStateStore<SessionStore<K, VAgg>>(this.options.storeName);
    if (this.emitFinal) {
      if (findByEndTimeOf(this.storeOrUndefined) === undefined) {
        throw new Error(
          `emit-final session aggregation needs a session store that finds sessions by end time (store ${this.options.storeName})`,
        );
      }
      this.metadata = processorMetadataOf(context);
      const saved = this.metadata?.processorMetadataForKey(this.options.storeName);
      if (saved !== undefined) this.lastEmitWindowCloseTimeMs = saved;
    }
  }

  private get context(): WindowedChangeContext<K, VAgg> {
    if (this.contextOrUndefined === undefined) throw new Error("processor used before init()");
    return this.contextOrUndefined;
  }

  private get store(): SessionStore<K, VAgg> {
    if (this.storeOrUndefined === undefined) throw new Error("processor used before init()");
    return this.storeOrUndefined;
  }

  process(record: StreamRecord<K, V>): void {
    if (isNullish(record.key)) {
      this.drop({ reason: "null-key", timestampMs: record.timestampMs });
      return;
    }
    if (this.options.skipNullValues === true && isNullish(record.value)) {
      this.drop({ reason: "null-key-or-value", timestampMs: record.timestampMs });
      return;
    }
    const timestampMs = record.timestampMs;
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, timestampMs);
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
      this.drop({
        reason: "expired-window",
        timestampMs,
        window: `[${mergedWindow.startMs},${mergedWindow.endMs}]`,
        expirationMs: windowCloseTimeMs,
      });
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
    this.context.forward({
      key: windowedKey,
      value: { newValue: newAgg, oldValue: this.options.sendOldValues === true ? oldAgg : undefined },
      timestampMs: windowedKey.window.endMs,
      headers: [],
    });
  }

  private maybeForwardFinalResult(record: StreamRecord<K, V>, windowCloseTimeMs: number): void {
    if (!this.shouldEmitFinal(windowCloseTimeMs)) return;
    // Session bounds are inclusive: a session is closed when its end is before the close time.
    const upperBoundMs = windowCloseTimeMs - 1;
    if (upperBoundMs < 0) return;
    const lowerBoundMs = Math.max(0, this.lastEmitWindowCloseTimeMs);
    // A session can be a single point [t, t], so equal bounds still need a fetch.
    if (upperBoundMs < lowerBoundMs) return;
    this.fetchAndEmit(record, windowCloseTimeMs, lowerBoundMs, upperBoundMs);
  }

  /**
   * With emit-final, before the record's put: emits the closed sessions the put is about to expire
   * from the store (ending at or before the new session's end − retention), even when the emit
   * throttle would wait. Kafka emits only after the put, so with an in-memory store (retention gap +
   * grace) an in-order record that closes a session also expires it, and its final result is lost.
   */
  private emitBeforeExpiry(record: StreamRecord<K, V>, windowCloseTimeMs: number, newestEndMs: number): void {
    if (!this.emitFinal) return;
    if (this.lastEmitWindowCloseTimeMs !== NO_TIMESTAMP && this.lastEmitWindowCloseTimeMs >= windowCloseTimeMs) return;
    const upperBoundMs = windowCloseTimeMs - 1;
    const lowerBoundMs = Math.max(0, this.lastEmitWindowCloseTimeMs);
    if (upperBoundMs < 0 || upperBoundMs < lowerBoundMs) return;
    if (newestEndMs - this.store.retentionMs < lowerBoundMs) return;
    this.fetchAndEmit(record, windowCloseTimeMs, lowerBoundMs, upperBoundMs);
  }

  private fetchAndEmit(
    record: StreamRecord<K, V>,
    windowCloseTimeMs: number,
    lowerBoundMs: number,
    upperBoundMs: number,
  ): void {
    const store = findByEndTimeOf(this.store);
    if (store === undefined) throw new Error("emit-final session aggregation needs findSessionsByEndTime");
    for (const { key, value } of store.findSessionsByEndTime(lowerBoundMs, upperBoundMs)) {
      this.emittedRecords += 1;
      this.context.forward({
        key,
        value: { newValue: value, oldValue: undefined },
        timestampMs: key.window.endMs,
        headers: record.headers,
      });
    }
    this.lastEmitWindowCloseTimeMs = windowCloseTimeMs;
    this.metadata?.addProcessorMetadataKeyValue(this.options.storeName, windowCloseTimeMs);
  }

  private shouldEmitFinal(windowCloseTimeMs: number): boolean {
    if (!this.emitFinal) return false;
    this.throttle ??= new EmitThrottle(resolveEmitIntervalMs(this.options.emitIntervalMs, this.context));
    if (!this.throttle.tryAcquire(this.context.currentSystemTimeMs())) return false;
    return this.lastEmitWindowCloseTimeMs === NO_TIMESTAMP || this.lastEmitWindowCloseTimeMs < windowCloseTimeMs;
  }

  private drop(drop: Omit<DroppedRecord, "metadata" | "streamTimeMs">): void {
    this.droppedRecords += 1;
    this.options.onDroppedRecord?.({
      ...drop,
      metadata: this.contextOrUndefined?.recordMetadata,
      streamTimeMs: this.observedStreamTimeMs,
    });
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
export class SessionWindowAggregate<K, V, VAgg> {
  private readonly options: SessionWindowAggregateOptions<K, V, VAgg>;
  private sendOldValues: boolean;

  constructor(options: SessionWindowAggregateOptions<K, V, VAgg>) {
    this.options = options;
    this.sendOldValues = options.sendOldValues ?? false;
  }

  get windows(): SessionWindows {
    return this.options.windows;
  }

  get storeName(): string {
    return this.options.storeName;
  }

  enableSendingOldValues(): void {
    this.sendOldValues = true;
  }

  readonly get: ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> = () =>
    new SessionWindowAggregateProcessor({ ...this.options, sendOldValues: this.sendOldValues });
}

/** Session window aggregation as a processor supplier. */
export function sessionWindowAggregate<K, V, VAgg>(
  options: SessionWindowAggregateOptions<K, V, VAgg>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> {
  return new SessionWindowAggregate(options).get;
}
