// Tumbling and hopping window aggregation (Kafka's KStreamWindowAggregate): each record updates
// every window it falls into that has not closed (window end > stream time − grace), in a
// timestamped window store, and either forwards each update as a table change of the windowed key
// or — with EmitStrategy.onWindowClose — forwards each window once, when stream time closes it.
// Also the emit-final base the sliding-window aggregation shares (AbstractKStreamTimeWindowAggregateProcessor).
import type { Processor, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { TimeWindow, WindowStore, Windowed } from "../state/store.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import type { EmitStrategy, TimeWindows } from "../dsl/windows.ts";
import {
  EmitThrottle,
  NO_TIMESTAMP,
  isNullish,
  processorMetadataOf,
  resolveEmitIntervalMs,
  type Aggregation,
  type Change,
  type DroppedRecord,
  type DroppedRecordHandler,
  type ProcessorMetadataContext,
  type WindowedChangeContext,
} from "./window-aggregation.ts";

/** Options every time-windowed (tumbling, hopping, sliding) aggregation takes. */
export interface TimeWindowAggregateOptions {
  /** The timestamped window store (values: ValueAndTimestamp of the aggregate) connected to the processor. */
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

export interface WindowAggregateOptions<K, V, VAgg> extends TimeWindowAggregateOptions {
  readonly windows: TimeWindows;
  readonly aggregation: Aggregation<K, V, VAgg>;
}

export type TimestampedWindowStore<K, V> = WindowStore<K, ValueAndTimestamp<V>>;

/** The emit-final machinery and dropped-record accounting shared by time and sliding windows. */
export abstract class TimeWindowAggregateProcessor<K, V, VAgg> implements Processor<K, V, Windowed<K>, Change<VAgg>> {
  protected readonly options: TimeWindowAggregateOptions;
  protected readonly emitFinal: boolean;
  private throttle: EmitThrottle | undefined;
  private contextOrUndefined: WindowedChangeContext<K, VAgg> | undefined;
  private storeOrUndefined: TimestampedWindowStore<K, VAgg> | undefined;
  private metadata: ProcessorMetadataContext | undefined;
  protected lastEmitWindowCloseTimeMs = NO_TIMESTAMP;
  protected observedStreamTimeMs = NO_TIMESTAMP;
  /** Records skipped (null key or value, expired window): Kafka's dropped-records sensor. */
  droppedRecords = 0;
  /** Final results forwarded (Kafka's emitted-records sensor). */
  emittedRecords = 0;

  constructor(options: TimeWindowAggregateOptions) {
    this.options = options;
    this.emitFinal = options.emitStrategy?.type === "on-window-close";
  }

  init(context: WindowedChangeContext<K, VAgg>): void {
    this.contextOrUndefined = context;
    this.storeOrUndefined = context.getStateStore<TimestampedWindowStore<K, VAgg>>(this.options.storeName);
    if (this.emitFinal) {
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

  protected get store(): TimestampedWindowStore<K, VAgg> {
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

  /** Forwards an update (not with emit-final): the new aggregate and, when asked for, the old one. */
  protected maybeForwardUpdate(
    record: StreamRecord<K, V>,
    window: TimeWindow,
    oldAgg: VAgg | undefined,
    newAgg: VAgg,
    newTimestampMs: number,
  ): void {
    if (this.emitFinal) return;
    this.context.forward({
      // Windows are immutable values, so the caller's can travel with the record.
      key: { key: record.key, window },
      value: { newValue: newAgg, oldValue: this.options.sendOldValues === true ? oldAgg : undefined },
      timestampMs: newTimestampMs,
      headers: record.headers,
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
   * expire from the store (windows starting at or before the newest start put − retention), even when
   * the emit throttle would wait. Kafka emits only after the puts, so when stream time jumps past
   * a window's end + grace + its size at once, its store has dropped the window and its final result
   * is lost; emitting first gives the same output when nothing is lost (the puts never touch closed
   * windows) and the final result when something would be.
   */
  protected emitBeforeExpiry(record: StreamRecord<K, V>, windowCloseTimeMs: number, newestPutStartMs: number): void {
    if (!this.emitFinal) return;
    if (this.lastEmitWindowCloseTimeMs !== NO_TIMESTAMP && this.lastEmitWindowCloseTimeMs >= windowCloseTimeMs) return;
    const upperBoundMs = this.emitRangeUpperBound(windowCloseTimeMs);
    if (upperBoundMs < 0) return;
    const lowerBoundMs = this.emitRangeLowerBound(windowCloseTimeMs);
    if (newestPutStartMs - this.store.retentionMs < lowerBoundMs) return;
    if (!this.shouldRangeFetch(lowerBoundMs, upperBoundMs)) return;
    this.fetchAndEmit(record, windowCloseTimeMs, lowerBoundMs, upperBoundMs);
  }

  private fetchAndEmit(
    record: StreamRecord<K, V>,
    windowCloseTimeMs: number,
    lowerBoundMs: number,
    upperBoundMs: number,
  ): void {
    for (const { key, value } of this.store.fetchAll(lowerBoundMs, upperBoundMs)) {
      this.emittedRecords += 1;
      this.context.forward({
        key,
        value: { newValue: value.value, oldValue: undefined },
        timestampMs: value.timestampMs,
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
    // Only when the close time moved on.
    return this.lastEmitWindowCloseTimeMs === NO_TIMESTAMP || this.lastEmitWindowCloseTimeMs < windowCloseTimeMs;
  }

  /** Inclusive bounds on the window starts to emit; may be negative (then nothing is fetched). */
  protected abstract emitRangeLowerBound(windowCloseTimeMs: number): number;
  protected abstract emitRangeUpperBound(windowCloseTimeMs: number): number;
  protected abstract shouldRangeFetch(lowerBoundMs: number, upperBoundMs: number): boolean;
}

function sameWindowStarts(a: Map<number, TimeWindow>, b: Map<number, TimeWindow>): boolean {
  if (a.size !== b.size) return false;
  for (const start of a.keys()) if (!b.has(start)) return false;
  return true;
}

export class WindowAggregateProcessor<K, V, VAgg> extends TimeWindowAggregateProcessor<K, V, VAgg> {
  private readonly windows: TimeWindows;
  private readonly aggregation: Aggregation<K, V, VAgg>;

  constructor(options: WindowAggregateOptions<K, V, VAgg>) {
    super(options);
    this.windows = options.windows;
    this.aggregation = options.aggregation;
  }

  process(record: StreamRecord<K, V>): void {
    if (isNullish(record.key)) {
      this.dropNull(record, "null-key");
      return;
    }
    if (this.options.skipNullValues === true && isNullish(record.value)) {
      this.dropNull(record, "null-key-or-value");
      return;
    }
    const timestampMs = record.timestampMs;
    this.updateObservedStreamTime(timestampMs);
    const windowCloseTimeMs = this.observedStreamTimeMs - this.windows.graceMs;

    const windows = this.windows.windowsFor(timestampMs);
    if (this.emitFinal) {
      const newestStartMs = [...windows.keys()].pop();
      if (newestStartMs !== undefined) this.emitBeforeExpiry(record, windowCloseTimeMs, newestStartMs);
    }

    // Update each window the record falls into that is still open; create the missing ones.
    for (const [windowStartMs, window] of windows) {
      if (window.endMs > windowCloseTimeMs) {
        const old = this.store.fetch(record.key, windowStartMs);
        let oldAgg: VAgg | undefined;
        let newTimestampMs: number;
        if (old === undefined) {
          oldAgg = this.aggregation.initialize();
          newTimestampMs = timestampMs;
        } else {
          oldAgg = old.value;
          newTimestampMs = Math.max(timestampMs, old.timestampMs);
        }
        const newAgg = this.aggregation.add(record.key, record.value, oldAgg);
        this.store.put(record.key, { value: newAgg, timestampMs: newTimestampMs }, windowStartMs);
        this.maybeForwardUpdate(record, window, oldAgg, newAgg, newTimestampMs);
      } else {
        this.dropExpired(record, `[${windowStartMs},${window.endMs})`, windowCloseTimeMs);
      }
    }

    this.maybeForwardFinalResult(record, windowCloseTimeMs);
  }

  protected emitRangeLowerBound(_windowCloseTimeMs: number): number {
    // Window ends are exclusive, hence + 1; the first emit fetches from 0.
    return this.lastEmitWindowCloseTimeMs === NO_TIMESTAMP
      ? 0
      : Math.max(0, this.lastEmitWindowCloseTimeMs - this.windows.sizeMs) + 1;
  }

  protected emitRangeUpperBound(windowCloseTimeMs: number): number {
    return windowCloseTimeMs - this.windows.sizeMs;
  }

  protected shouldRangeFetch(lowerBoundMs: number, upperBoundMs: number): boolean {
    // Skip the fetch when the close time did not move past another window's end.
    if (this.lastEmitWindowCloseTimeMs !== NO_TIMESTAMP) {
      const closing = this.windows.windowsFor(upperBoundMs);
      const emitted = this.windows.windowsFor(lowerBoundMs - 1);
      if (sameWindowStarts(closing, emitted)) return false;
    }
    return true;
  }
}

/** The window store's retention when none is configured (Kafka's): window size + grace. */
export function defaultWindowRetentionMs(windows: TimeWindows): number {
  return windows.sizeMs + windows.graceMs;
}

/**
 * Kafka's KStreamWindowAggregate as a processor supplier. `enableSendingOldValues` is called by a
 * downstream table operation that needs old values, before the topology is built.
 */
export class WindowAggregate<K, V, VAgg> {
  private readonly options: WindowAggregateOptions<K, V, VAgg>;
  private sendOldValues: boolean;

  constructor(options: WindowAggregateOptions<K, V, VAgg>) {
    this.options = options;
    this.sendOldValues = options.sendOldValues ?? false;
  }

  get windows(): TimeWindows {
    return this.options.windows;
  }

  get storeName(): string {
    return this.options.storeName;
  }

  enableSendingOldValues(): void {
    this.sendOldValues = true;
  }

  readonly get: ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> = () =>
    new WindowAggregateProcessor({ ...this.options, sendOldValues: this.sendOldValues });
}

/** Tumbling or hopping window aggregation as a processor supplier. */
export function windowAggregate<K, V, VAgg>(
  options: WindowAggregateOptions<K, V, VAgg>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> {
  return new WindowAggregate(options).get;
}
