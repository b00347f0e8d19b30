// Tumbling and hopping window aggregation (Kafka's KStreamWindowAggregate): each record updates
// every window it falls into that has not closed (window end > stream time − grace), in a
// timestamped window store, and either forwards each update as a table change of the windowed key
// or — with EmitStrategy.onWindowClose — forwards each window once, when stream time closes it.
// Also what the sliding-window aggregation shares with it (a timestamped window store).
import type { ProcessorSupplier } from "../processor.ts";
import type { Headers, StreamRecord } from "../record.ts";
import type { TimeWindow, WindowStore, Windowed } from "../state/store.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import type { TimeWindows } from "../dsl/windows.ts";
import { NO_TIMESTAMP, type Aggregation, type Change } from "./window-aggregation.ts";
import {
  WindowedAggregateProcessor,
  WindowedAggregateSupplier,
  type WindowedAggregateOptions,
} from "./windowed-aggregate-processor.ts";

/** Options every time-windowed (tumbling, hopping, sliding) aggregation takes; the store is a timestamped window store. */
export type TimeWindowAggregateOptions = WindowedAggregateOptions;

export interface WindowAggregateOptions<K, V, VAgg> extends TimeWindowAggregateOptions {
  readonly windows: TimeWindows;
  readonly aggregation: Aggregation<K, V, VAgg>;
}

export type TimestampedWindowStore<K, V> = WindowStore<K, ValueAndTimestamp<V>>;

/** What time and sliding windows share: a timestamped window store, updates of the record's windows. */
export abstract class TimeWindowAggregateProcessor<K, V, VAgg> extends WindowedAggregateProcessor<
  K,
  V,
  VAgg,
  TimestampedWindowStore<K, VAgg>
> {
  /** Forwards an update (not with emit-final): the new aggregate and, when asked for, the old one. */
  protected maybeForwardUpdate(
    record: StreamRecord<K, V>,
    window: TimeWindow,
    oldAgg: VAgg | undefined,
    newAgg: VAgg,
    newTimestampMs: number,
  ): void {
    if (this.emitFinal) return;
    // Windows are immutable values, so the caller's can travel with the record.
    this.forwardUpdate({ key: record.key, window }, oldAgg, newAgg, newTimestampMs, record.headers);
  }

  protected forwardClosed(lowerBoundMs: number, upperBoundMs: number, headers: Headers): void {
    for (const { key, value } of this.store.fetchAll(lowerBoundMs, upperBoundMs)) {
      this.forwardFinal(key, value.value, value.timestampMs, headers);
    }
  }
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
    if (this.skipsNull(record)) return;
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

/** Kafka's KStreamWindowAggregate as a processor supplier. */
export class WindowAggregate<K, V, VAgg> extends WindowedAggregateSupplier<
  K,
  V,
  VAgg,
  TimeWindows,
  WindowAggregateOptions<K, V, VAgg>
> {
  protected create(options: WindowAggregateOptions<K, V, VAgg>): WindowAggregateProcessor<K, V, VAgg> {
    return new WindowAggregateProcessor(options);
  }
}

/** Tumbling or hopping window aggregation as a processor supplier. */
export function windowAggregate<K, V, VAgg>(
  options: WindowAggregateOptions<K, V, VAgg>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> {
  return new WindowAggregate(options).get;
}
