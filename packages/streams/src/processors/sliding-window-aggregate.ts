// Sliding window aggregation (Kafka's KStreamSlidingWindowAggregate, KIP-450): windows of a fixed
// time difference d with inclusive bounds, created as records arrive. A record at t updates every
// existing window that contains it, creates its left window [t − d, t] (seeded with the aggregate
// of the previous record's left window when that record is within d), creates its right window
// [t + 1, t + 1 + d] when a later record already falls there, and creates the previous record's
// right window when it now has a record. Records before d go to the combined window [0, d].
import type { ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { KeyValue, TimeWindow, Windowed } from "../state/store.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import type { SlidingWindows } from "../dsl/windows.ts";
import type { Aggregation, Change } from "./window-aggregation.ts";
import { isNullish, NO_TIMESTAMP } from "./window-aggregation.ts";
import {
  TimeWindowAggregateProcessor,
  type TimeWindowAggregateOptions,
  type TimestampedWindowStore,
} from "./window-aggregate.ts";
import { WindowedAggregateSupplier } from "./windowed-aggregate-processor.ts";

export interface SlidingWindowAggregateOptions<K, V, VAgg> extends TimeWindowAggregateOptions {
  readonly windows: SlidingWindows;
  readonly aggregation: Aggregation<K, V, VAgg>;
}

/** An aggregate about to be aggregated into: undefined value means "fresh" (reduce's initializer). */
interface Seed<VAgg> {
  readonly value: VAgg | undefined;
  readonly timestampMs: number;
}

type StoredWindow<K, VAgg> = KeyValue<Windowed<K>, ValueAndTimestamp<VAgg>>;

interface BackwardFetch<K, VAgg> {
  backwardFetchRange(key: K, fromMs: number, toMs: number): Iterable<StoredWindow<K, VAgg>>;
}

function backwardFetchOf<K, VAgg>(store: TimestampedWindowStore<K, VAgg>): BackwardFetch<K, VAgg> | undefined {
  const candidate = store as Partial<BackwardFetch<K, VAgg>>;
  return typeof candidate.backwardFetchRange === "function" ? (candidate as BackwardFetch<K, VAgg>) : undefined;
}

function unexpectedWindow(startMs: number, timestampMs: number): Error {
  return new Error(
    `unexpected window with start ${startMs} found when processing a record at ${timestampMs} (sliding windows)`,
  );
}

export class SlidingWindowAggregateProcessor<K, V, VAgg> extends TimeWindowAggregateProcessor<K, V, VAgg> {
  private readonly windows: SlidingWindows;
  private readonly aggregation: Aggregation<K, V, VAgg>;

  constructor(options: SlidingWindowAggregateOptions<K, V, VAgg>) {
    super(options);
    this.windows = options.windows;
    this.aggregation = options.aggregation;
  }

  private get differenceMs(): number {
    return this.windows.timeDifferenceMs;
  }

  private window(startMs: number): TimeWindow {
    return { startMs, endMs: startMs + this.differenceMs };
  }

  process(record: StreamRecord<K, V>): void {
    if (isNullish(record.key) || isNullish(record.value)) {
      this.dropNull(record, "null-key-or-value");
      return;
    }
    const timestampMs = record.timestampMs;
    this.updateObservedStreamTime(timestampMs);
    const windowCloseTimeMs = this.observedStreamTimeMs - this.windows.graceMs;

    const windowEndMs = timestampMs + this.differenceMs;
    if (windowEndMs < windowCloseTimeMs) {
      this.dropExpired(record, `[${timestampMs},${windowEndMs}]`, windowCloseTimeMs);
      return;
    }

    // The newest window this record can put is its right window, starting at t + 1.
    this.emitBeforeExpiry(record, windowCloseTimeMs, timestampMs + 1);

    if (timestampMs < this.differenceMs) {
      this.processEarly(record, windowCloseTimeMs);
      return;
    }

    const backward = backwardFetchOf(this.store);
    if (backward !== undefined) this.processReverse(record, windowCloseTimeMs, backward);
    else this.processInOrder(record, windowCloseTimeMs);

    this.maybeForwardFinalResult(record, windowCloseTimeMs);
  }

  /** For stores that iterate only forward. */
  processInOrder(record: StreamRecord<K, V>, windowCloseTimeMs: number): void {
    const timestampMs = record.timestampMs;
    const windowStartTimes = new Set<number>();
    let leftWinAgg: ValueAndTimestamp<VAgg> | undefined;
    let rightWinAgg: ValueAndTimestamp<VAgg> | undefined;
    let leftWinAlreadyCreated = false;
    let rightWinAlreadyCreated = false;
    let previousRecordTimestampMs: number | undefined;

    // Up to t + 1 to see the record's right window, if it exists, in the same fetch.
    const windows = this.store.fetchRange(
      record.key,
      Math.max(0, timestampMs - 2 * this.differenceMs),
      timestampMs + 1,
    );
    for (const { key, value } of windows) {
      const startMs = key.window.startMs;
      windowStartTimes.add(startMs);
      const endMs = startMs + this.differenceMs;
      const windowMaxRecordTimestampMs = value.timestampMs;
      if (endMs < timestampMs) {
        leftWinAgg = value;
        previousRecordTimestampMs = windowMaxRecordTimestampMs;
      } else if (endMs === timestampMs) {
        leftWinAlreadyCreated = true;
        if (windowMaxRecordTimestampMs < timestampMs) previousRecordTimestampMs = windowMaxRecordTimestampMs;
        this.updateWindowAndForward(this.window(startMs), value, record, windowCloseTimeMs);
      } else if (endMs > timestampMs && startMs <= timestampMs) {
        rightWinAgg = value;
        this.updateWindowAndForward(this.window(startMs), value, record, windowCloseTimeMs);
      } else if (startMs === timestampMs + 1) {
        rightWinAlreadyCreated = true;
      } else {
        throw unexpectedWindow(startMs, timestampMs);
      }
    }
    this.createWindows(record, windowCloseTimeMs, {
      windowStartTimes,
      rightWinAgg,
      leftWinAgg,
      leftWinAlreadyCreated,
      rightWinAlreadyCreated,
      previousRecordTimestampMs,
    });
  }

  /** Kafka's choice when the store iterates backward: newest window first, stopping at the previous record's left window. */
  processReverse(record: StreamRecord<K, V>, windowCloseTimeMs: number, store: BackwardFetch<K, VAgg>): void {
    const timestampMs = record.timestampMs;
    const windowStartTimes = new Set<number>();
    let leftWinAgg: ValueAndTimestamp<VAgg> | undefined;
    let rightWinAgg: ValueAndTimestamp<VAgg> | undefined;
    let leftWinAlreadyCreated = false;
    let rightWinAlreadyCreated = false;
    let previousRecordTimestampMs: number | undefined;

    const windows = store.backwardFetchRange(
      record.key,
      Math.max(0, timestampMs - 2 * this.differenceMs),
      timestampMs + 1,
    );
    for (const { key, value } of windows) {
      const startMs = key.window.startMs;
      windowStartTimes.add(startMs);
      const endMs = startMs + this.differenceMs;
      const windowMaxRecordTimestampMs = value.timestampMs;
      if (startMs === timestampMs + 1) {
        rightWinAlreadyCreated = true;
      } else if (endMs > timestampMs) {
        rightWinAgg ??= value;
        this.updateWindowAndForward(this.window(startMs), value, record, windowCloseTimeMs);
      } else if (endMs === timestampMs) {
        leftWinAlreadyCreated = true;
        this.updateWindowAndForward(this.window(startMs), value, record, windowCloseTimeMs);
        // A record at t exists already: its windows exist, nothing to create.
        if (windowMaxRecordTimestampMs >= timestampMs) return;
        previousRecordTimestampMs = windowMaxRecordTimestampMs;
      } else if (endMs < timestampMs) {
        leftWinAgg = value;
        previousRecordTimestampMs = windowMaxRecordTimestampMs;
        break;
      } else {
        throw unexpectedWindow(startMs, timestampMs);
      }
    }
    this.createWindows(record, windowCloseTimeMs, {
      windowStartTimes,
      rightWinAgg,
      leftWinAgg,
      leftWinAlreadyCreated,
      rightWinAlreadyCreated,
      previousRecordTimestampMs,
    });
  }

  /**
   * Records with 0 ≤ t < d would make windows with negative starts, which are not supported: they
   * go into the combined window [0, d], and their right windows are made as later records arrive.
   */
  private processEarly(record: StreamRecord<K, V>, windowCloseTimeMs: number): void {
    const timestampMs = record.timestampMs;
    if (timestampMs < 0 || timestampMs >= this.differenceMs) {
      throw new RangeError(`early record for sliding windows must have 0 ≤ timestamp < ${this.differenceMs}`);
    }
    let combinedWindow: StoredWindow<K, VAgg> | undefined;
    let rightWinAgg: ValueAndTimestamp<VAgg> | undefined;
    let rightWinAlreadyCreated = false;
    const windowStartTimes = new Set<number>();
    let previousRecordTimestampMs: number | undefined;

    for (const stored of this.store.fetchRange(record.key, 0, timestampMs + 1)) {
      const startMs = stored.key.window.startMs;
      windowStartTimes.add(startMs);
      const windowMaxRecordTimestampMs = stored.value.timestampMs;
      if (startMs === 0) {
        combinedWindow = stored;
        // When the combined window has a record at or after t, the previous record's right window exists already.
        if (windowMaxRecordTimestampMs < timestampMs) previousRecordTimestampMs = windowMaxRecordTimestampMs;
      } else if (startMs <= timestampMs) {
        rightWinAgg = stored.value;
        this.updateWindowAndForward(this.window(startMs), stored.value, record, windowCloseTimeMs);
      } else if (startMs === timestampMs + 1) {
        rightWinAlreadyCreated = true;
      } else {
        throw unexpectedWindow(startMs, timestampMs);
      }
    }

    // Without a right-window aggregate, the combined window's can seed this record's right window:
    // it then holds only records after t (had there been records on both sides, a right window
    // would have been found; with only earlier ones, its timestamp is not after t).
    if (rightWinAgg === undefined && combinedWindow !== undefined && combinedWindow.value.timestampMs > timestampMs) {
      rightWinAgg = combinedWindow.value;
    }
    if (!rightWinAlreadyCreated && this.rightWindowIsNotEmpty(rightWinAgg, timestampMs)) {
      this.createCurrentRecordRightWindow(timestampMs, rightWinAgg, record);
    }
    if (previousRecordTimestampMs !== undefined && !windowStartTimes.has(previousRecordTimestampMs + 1)) {
      this.createPreviousRecordRightWindow(previousRecordTimestampMs + 1, record, windowCloseTimeMs);
    }
    if (combinedWindow === undefined) {
      this.updateWindowAndForward(
        this.window(0),
        { value: this.aggregation.initialize(), timestampMs },
        record,
        windowCloseTimeMs,
      );
    } else {
      this.updateWindowAndForward(
        this.window(combinedWindow.key.window.startMs),
        combinedWindow.value,
        record,
        windowCloseTimeMs,
      );
    }
  }

  private createWindows(
    record: StreamRecord<K, V>,
    windowCloseTimeMs: number,
    found: {
      readonly windowStartTimes: ReadonlySet<number>;
      readonly rightWinAgg: ValueAndTimestamp<VAgg> | undefined;
      readonly leftWinAgg: ValueAndTimestamp<VAgg> | undefined;
      readonly leftWinAlreadyCreated: boolean;
      readonly rightWinAlreadyCreated: boolean;
      readonly previousRecordTimestampMs: number | undefined;
    },
  ): void {
    const timestampMs = record.timestampMs;
    const previousMs = found.previousRecordTimestampMs;
    // The previous record's right window, if it does not exist and this record falls into it.
    if (previousMs !== undefined) {
      const previousRightWinStartMs = previousMs + 1;
      if (
        !found.windowStartTimes.has(previousRightWinStartMs) &&
        previousRightWinStartMs + this.differenceMs >= timestampMs
      ) {
        this.createPreviousRecordRightWindow(previousRightWinStartMs, record, windowCloseTimeMs);
      }
    }

    // This record's left window.
    if (!found.leftWinAlreadyCreated) {
      let seed: Seed<VAgg>;
      // The previous record is in the left window: start from its left window's aggregate.
      if (previousMs !== undefined && timestampMs - this.differenceMs <= previousMs) {
        if (found.leftWinAgg === undefined) throw new Error("sliding windows: previous record without a left window");
        seed = { value: found.leftWinAgg.value, timestampMs };
      } else {
        seed = { value: this.aggregation.initialize(), timestampMs };
      }
      this.updateWindowAndForward(this.window(timestampMs - this.differenceMs), seed, record, windowCloseTimeMs);
    }

    // This record's right window, when a later record is within d.
    if (!found.rightWinAlreadyCreated && this.rightWindowIsNotEmpty(found.rightWinAgg, timestampMs)) {
      this.createCurrentRecordRightWindow(timestampMs, found.rightWinAgg, record);
    }
  }

  private rightWindowIsNotEmpty(
    rightWinAgg: ValueAndTimestamp<VAgg> | undefined,
    timestampMs: number,
  ): rightWinAgg is ValueAndTimestamp<VAgg> {
    return rightWinAgg !== undefined && rightWinAgg.timestampMs > timestampMs;
  }

  private createCurrentRecordRightWindow(
    timestampMs: number,
    rightWinAgg: ValueAndTimestamp<VAgg>,
    record: StreamRecord<K, V>,
  ): void {
    const window = this.window(timestampMs + 1);
    this.store.put(record.key, rightWinAgg, window.startMs);
    this.maybeForwardUpdate(record, window, undefined, rightWinAgg.value, rightWinAgg.timestampMs);
  }

  private createPreviousRecordRightWindow(
    windowStartMs: number,
    record: StreamRecord<K, V>,
    windowCloseTimeMs: number,
  ): void {
    this.updateWindowAndForward(
      this.window(windowStartMs),
      { value: this.aggregation.initialize(), timestampMs: record.timestampMs },
      record,
      windowCloseTimeMs,
    );
  }

  private updateWindowAndForward(
    window: TimeWindow,
    current: Seed<VAgg>,
    record: StreamRecord<K, V>,
    windowCloseTimeMs: number,
  ): void {
    if (window.endMs >= windowCloseTimeMs) {
      const oldAgg = current.value;
      const newAgg = this.aggregation.add(record.key, record.value, oldAgg);
      const newTimestampMs =
        oldAgg === undefined ? record.timestampMs : Math.max(record.timestampMs, current.timestampMs);
      this.store.put(record.key, { value: newAgg, timestampMs: newTimestampMs }, window.startMs);
      this.maybeForwardUpdate(record, window, oldAgg, newAgg, newTimestampMs);
    } else {
      this.dropExpired(record, `[${window.startMs},${window.endMs}]`, windowCloseTimeMs);
    }
  }

  protected emitRangeLowerBound(_windowCloseTimeMs: number): number {
    return this.lastEmitWindowCloseTimeMs === NO_TIMESTAMP
      ? 0
      : Math.max(0, this.lastEmitWindowCloseTimeMs - this.differenceMs);
  }

  protected emitRangeUpperBound(windowCloseTimeMs: number): number {
    // Both bounds of a sliding window are inclusive: a window closes once its end is before the close time.
    return windowCloseTimeMs - this.differenceMs - 1;
  }

  protected shouldRangeFetch(_lowerBoundMs: number, _upperBoundMs: number): boolean {
    return true;
  }
}

/**
 * The window store's retention when none is configured (Kafka's): 2 × time difference + grace, so
 * the windows a new record needs (back to t − 2d, for its left window's aggregate) are still there.
 */
export function defaultSlidingRetentionMs(windows: SlidingWindows): number {
  return 2 * windows.timeDifferenceMs + windows.graceMs;
}

/** Kafka's KStreamSlidingWindowAggregate as a processor supplier. */
export class SlidingWindowAggregate<K, V, VAgg> extends WindowedAggregateSupplier<
  K,
  V,
  VAgg,
  SlidingWindows,
  SlidingWindowAggregateOptions<K, V, VAgg>
> {
  protected create(options: SlidingWindowAggregateOptions<K, V, VAgg>): SlidingWindowAggregateProcessor<K, V, VAgg> {
    return new SlidingWindowAggregateProcessor(options);
  }
}

/** Sliding window aggregation as a processor supplier. */
export function slidingWindowAggregate<K, V, VAgg>(
  options: SlidingWindowAggregateOptions<K, V, VAgg>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VAgg>> {
  return new SlidingWindowAggregate(options).get;
}
