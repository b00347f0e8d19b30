// The base of every windowed aggregation processor (time, sliding and session windows; Kafka's
// AbstractKStreamTimeWindowAggregateProcessor and the parallel code of its session processor): the
// store and context, the observed stream time, dropped-record accounting, forwarding updates, and
// the emit-final machinery (throttled range reads of closed windows, the close time saved in the
// processor metadata). Subclasses say where a window closes and how to read the closed ones.
import type { Processor, ProcessorSupplier } from "../processor.ts";
import type { Headers, StreamRecord } from "../record.ts";
import type { StateStore, Windowed } from "../state/store.ts";
import type { EmitStrategy } from "../dsl/windows.ts";
import {
  EmitThrottle,
  isNullish,
  NO_TIMESTAMP,
  processorMetadataOf,
  resolveEmitIntervalMs,
  type Change,
  type DroppedRecord,
  type DroppedRecordHandler,
  type ProcessorMetadataContext,
  type WindowedChangeContext,
} from "./window-aggregation.ts";

/** Options every windowed (tumbling, hopping, sliding, session) aggregation takes. */
export interface WindowedAggregateOptions {
  /** The window or session store connected to the processor. */
  readonly storeName: string;
  /** Default: on every window update. */
  readonly emitStrategy?: EmitStrategy;
  /** Forward old values with new ones (a downstream table operation asked for them). Default false. */
  readonly sendOldValues?: boolean;
  /**
   * Emit-final throttle in wall-clock ms (0: look for closed windows on every record). Default: the
   * application config `__emit.interval.ms.kstreams.windowed.aggregation__` when the context offers
   * `appConfigs()`, else Kafka's 1000.
   */
  readonly emitIntervalMs?: number;
  /**
   * Skip records with a null value (reason "null-key-or-value"). Kafka's time and session window
   * aggregations pass them to the aggregator (its count() counts them); the DSL's aggregate and
   * reduce skip them, as their functions take non-null values.
   */
  readonly skipNullValues?: boolean;
  /** Told about every dropped record (null key, expired window); default: ignored (the count is kept). */
  readonly onDroppedRecord?: DroppedRecordHandler;
}

/** A store a windowed aggregation can keep its windows in: it knows how long it keeps them. */
export interface RetainingStore extends StateStore {
  readonly retentionMs: number;
}

export abstract class WindowedAggregateProcessor<K, V, VAgg, S extends RetainingStore> implements Processor<
  K,
  V,
  Windowed<K>,
  Change<VAgg>
> {
  protected readonly options: WindowedAggregateOptions;
  protected readonly emitFinal: boolean;
  private throttle: EmitThrottle | undefined;
  private contextOrUndefined: WindowedChangeContext<K, VAgg> | undefined;
  private storeOrUndefined: S | undefined;
  private metadata: ProcessorMetadataContext | undefined;
  protected lastEmitWindowCloseTimeMs = NO_TIMESTAMP;
  protected observedStreamTimeMs = NO_TIMESTAMP;
  /** Records skipped (null key or value, expired window): Kafka's dropped-records sensor. */
  droppedRecords = 0;
  /** Final results forwarded (Kafka's emitted-records sensor). */
  emittedRecords = 0;

  constructor(options: WindowedAggregateOptions) {
    this.options = options;
    this.emitFinal = options.emitStrategy?.type === "on-window-close";
  }

  init(context: WindowedChangeContext<K, VAgg>): void {
    this.contextOrUndefined = context;
    this.storeOrUndefined = context.getStateStore<S>(this.options.storeName);
    if (this.emitFinal) {
      this.checkEmitFinalStore(this.storeOrUndefined);
      this.metadata = processorMetadataOf(context);
      const saved = this.metadata?.processorMetadataForKey(this.options.storeName);
      if (saved !== undefined) this.lastEmitWindowCloseTimeMs = saved;
    }
  }

  abstract process(record: StreamRecord<K, V>): void;

  protected get context(): WindowedChangeContext<K, VAgg> {
    if (this.contextOrUndefined === undefined) throw new Error("processor used before init()");
    return this.contextOrUndefined;
  }

  protected get store(): S {
    if (this.storeOrUndefined === undefined) throw new Error("processor used before init()");
    return this.storeOrUndefined;
  }

  protected updateObservedStreamTime(timestampMs: number): void {
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, timestampMs);
  }

  protected drop(drop: Omit<DroppedRecord, "metadata" | "streamTimeMs">): void {
    this.droppedRecords += 1;
    this.options.onDroppedRecord?.({
      ...drop,
      metadata: this.contextOrUndefined?.recordMetadata,
      streamTimeMs: this.observedStreamTimeMs,
    });
  }

  protected dropNull(record: StreamRecord<K, V>, reason: "null-key" | "null-key-or-value"): void {
    this.drop({ reason, timestampMs: record.timestampMs });
  }

  protected dropExpired(record: StreamRecord<K, V>, window: string, windowCloseTimeMs: number): void {
    this.drop({ reason: "expired-window", timestampMs: record.timestampMs, window, expirationMs: windowCloseTimeMs });
  }

  /** True for a record the aggregation skips (null key; null value when the options say so), counted as dropped. */
  protected skipsNull(record: StreamRecord<K, V>): boolean {
    if (isNullish(record.key)) {
      this.dropNull(record, "null-key");
      return true;
    }
    if (this.options.skipNullValues === true && isNullish(record.value)) {
      this.dropNull(record, "null-key-or-value");
      return true;
    }
    return false;
  }

  /** Forwards a window's update (the caller checked that it is not emit-final), with the old value when asked for. */
  protected forwardUpdate(
    key: Windowed<K>,
    oldAgg: VAgg | undefined,
    newAgg: VAgg | undefined,
    timestampMs: number,
    headers: Headers,
  ): void {
    this.context.forward({
      key,
      value: { newValue: newAgg, oldValue: this.options.sendOldValues === true ? oldAgg : undefined },
      timestampMs,
      headers,
    });
  }

  /** With emit-final: forwards every window that closed since the last emit (Kafka's maybeForwardFinalResult). */
  protected maybeForwardFinalResult(record: StreamRecord<K, V>, windowCloseTimeMs: number): void {
    if (!this.shouldEmitFinal(windowCloseTimeMs)) return;
    const upperBoundMs = this.emitRangeUpperBound(windowCloseTimeMs);
    // Below 0 no window has ever closed.
    if (upperBoundMs < 0) return;
    const lowerBoundMs = this.emitRangeLowerBound(windowCloseTimeMs);
    if (!this.shouldRangeFetch(lowerBoundMs, upperBoundMs)) return;
    this.fetchAndEmit(record, windowCloseTimeMs, lowerBoundMs, upperBoundMs);
  }

  /**
   * With emit-final, before the record's puts: emits the closed windows those puts are about to
   * expire from the store (windows with a start — a session end for sessions — at or before the
   * newest one put − retention), even when the emit throttle would wait. Kafka emits only after the
   * puts, so when stream time jumps past a window's close and its retention at once, its store has
   * dropped the window and its final result is lost; emitting first gives the same output when
   * nothing is lost (the puts never touch closed windows) and the final result when something would be.
   */
  protected emitBeforeExpiry(record: StreamRecord<K, V>, windowCloseTimeMs: number, newestPutMs: number): void {
    if (!this.emitFinal) return;
    if (this.lastEmitWindowCloseTimeMs !== NO_TIMESTAMP && this.lastEmitWindowCloseTimeMs >= windowCloseTimeMs) return;
    const upperBoundMs = this.emitRangeUpperBound(windowCloseTimeMs);
    if (upperBoundMs < 0) return;
    const lowerBoundMs = this.emitRangeLowerBound(windowCloseTimeMs);
    if (newestPutMs - this.store.retentionMs < lowerBoundMs) return;
    if (!this.shouldRangeFetch(lowerBoundMs, upperBoundMs)) return;
    this.fetchAndEmit(record, windowCloseTimeMs, lowerBoundMs, upperBoundMs);
  }

  /** Forwards one closed window's final result. */
  protected forwardFinal(key: Windowed<K>, value: VAgg, timestampMs: number, headers: Headers): void {
    this.emittedRecords += 1;
    this.context.forward({ key, value: { newValue: value, oldValue: undefined }, timestampMs, headers });
  }

  private fetchAndEmit(
    record: StreamRecord<K, V>,
    windowCloseTimeMs: number,
    lowerBoundMs: number,
    upperBoundMs: number,
  ): void {
    this.forwardClosed(lowerBoundMs, upperBoundMs, record.headers);
    this.lastEmitWindowCloseTimeMs = windowCloseTimeMs;
    this.metadata?.addProcessorMetadataKeyValue(this.options.storeName, windowCloseTimeMs);
  }

  private shouldEmitFinal(windowCloseTimeMs: number): boolean {
    if (!this.emitFinal) return false;
    this.throttle ??= new EmitThrottle(resolveEmitIntervalMs(this.options.emitIntervalMs, this.context));
    if (!this.throttle.tryAcquire(this.context.currentSystemTimeMs())) return false;
    // Only when the close time moved on.
    return this.lastEmitWindowCloseTimeMs === NO_TIMESTAMP || this.lastEmitWindowCloseTimeMs < windowCloseTimeMs;
  }

  /** With emit-final, at init: throws when the store cannot read closed windows. */
  protected checkEmitFinalStore(_store: S): void {}

  /** Inclusive bounds on the windows to emit (starts; session ends); may be negative (then nothing is read). */
  protected abstract emitRangeLowerBound(windowCloseTimeMs: number): number;
  protected abstract emitRangeUpperBound(windowCloseTimeMs: number): number;
  protected abstract shouldRangeFetch(lowerBoundMs: number, upperBoundMs: number): boolean;
  /** Forwards (`forwardFinal`) each window of the store within the bounds. */
  protected abstract forwardClosed(lowerBoundMs: number, upperBoundMs: number, headers: Headers): void;
}

/**
 * A windowed aggregation as a processor supplier (Kafka's KStream*WindowAggregate).
 * `enableSendingOldValues` is called by a downstream table operation that needs old values, before
 * the topology is built.
 */
export abstract class WindowedAggregateSupplier<
  K,
  V,
  VAgg,
  W,
  O extends WindowedAggregateOptions & { readonly windows: W },
> {
  private readonly options: O;
  private sendOldValues: boolean;

  constructor(options: O) {
    this.options = options;
    this.sendOldValues = options.sendOldValues ?? false;
  }

  get windows(): W {
    return this.options.windows;
  }

  get storeName(): string {
    return this.options.storeName;
  }

  enableSendingOldValues(): void {
    this.sendOldValues = true;
  }

  readonly get: ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> = () =>
    this.create({ ...this.options, sendOldValues: this.sendOldValues });

  protected abstract create(options: O): Processor<K, V, Windowed<K>, Change<VAgg>>;
}
