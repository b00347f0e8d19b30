// Window specifications of windowed aggregations, as Kafka Streams' TimeWindows (tumbling and
// hopping), SlidingWindows and SessionWindows, and the EmitStrategy that says whether a windowed
// aggregation emits every update or only a window's final result. Times are integer milliseconds;
// the Kafka names (`ofSizeWithNoGrace`, `advanceBy`, `ofInactivityGapAndGrace`, …) take them directly.
import type { TimeWindow } from "../state/store.ts";
import type { GroupedStreamInternals, WindowDefinition } from "./internal.ts";
// A cycle (windowed-streams.ts imports this file), harmless: each side uses the other only at call time.
import { SessionWindowedKStream, TimeWindowedKStream } from "./windowed-streams.ts";

function assertMs(value: number, what: string, { min }: { min: number }): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer number of ms ≥ ${min}, got ${value}`);
  }
}

/**
 * Fixed-size windows aligned to the epoch: tumbling (advance = size) or hopping (advance < size,
 * so windows overlap and a record falls into size/advance of them). A window [start, start+size)
 * closes at end + grace; records for a closed window are dropped.
 */
export class TimeWindows implements WindowDefinition<"time"> {
  readonly windowKind = "time";
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;

  private constructor(sizeMs: number, advanceMs: number, graceMs: number) {
    assertMs(sizeMs, "window size (sizeMs)", { min: 1 });
    if (!Number.isSafeInteger(advanceMs) || advanceMs <= 0 || advanceMs > sizeMs) {
      throw new RangeError(
        `window advance must be more than zero and at most the window size ${sizeMs} ms, got ${advanceMs} ms`,
      );
    }
    assertMs(graceMs, "grace period (graceMs)", { min: 0 });
    this.sizeMs = sizeMs;
    this.advanceMs = advanceMs;
    this.graceMs = graceMs;
  }

  /** Idiomatic form: `TimeWindows.of({ sizeMs: 60_000, graceMs: 10_000, advanceMs: 15_000 })`. */
  static of(options: { readonly sizeMs: number; readonly graceMs?: number; readonly advanceMs?: number }): TimeWindows {
    return new TimeWindows(options.sizeMs, options.advanceMs ?? options.sizeMs, options.graceMs ?? 0);
  }

  /** Tumbling windows of `sizeMs` with no grace: a record after its window's end is dropped. */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, 0);
  }

  /** Tumbling windows of `sizeMs` that accept out-of-order records until `afterWindowEndMs` after their end. */
  static ofSizeAndGrace(sizeMs: number, afterWindowEndMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, afterWindowEndMs);
  }

  /** Hopping windows: a new window starts every `advanceMs` (0 < advanceMs ≤ sizeMs). */
  advanceBy(advanceMs: number): TimeWindows {
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** Kafka's `size()`. */
  size(): number {
    return this.sizeMs;
  }

  /** For KGroupedStream.windowedBy. */
  windowedStream<K, V>(grouped: GroupedStreamInternals<K, V>): TimeWindowedKStream<K, V> {
    return new TimeWindowedKStream(grouped, this);
  }

  /** Kafka's `gracePeriodMs()`. */
  gracePeriodMs(): number {
    return this.graceMs;
  }

  /** The windows a record at `timestampMs` falls into, by start (ascending); none start before 0. */
  windowsFor(timestampMs: number): Map<number, TimeWindow> {
    let startMs = Math.floor(Math.max(0, timestampMs - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs;
    const windows = new Map<number, TimeWindow>();
    while (startMs <= timestampMs) {
      windows.set(startMs, { startMs, endMs: startMs + this.sizeMs });
      startMs += this.advanceMs;
    }
    return windows;
  }

  equals(other: unknown): boolean {
    return (
      other instanceof TimeWindows &&
      other.sizeMs === this.sizeMs &&
      other.advanceMs === this.advanceMs &&
      other.graceMs === this.graceMs
    );
  }

  toString(): string {
    return `TimeWindows{sizeMs=${this.sizeMs}, advanceMs=${this.advanceMs}, graceMs=${this.graceMs}}`;
  }
}

/**
 * Sliding windows (KIP-450): windows of a fixed time difference whose bounds are both inclusive,
 * created as records arrive — a record at t makes its left window [t − d, t] and, when a later
 * record is within d, its right window [t + 1, t + 1 + d] — so every distinct set of records that
 * lie within d of each other has exactly one window. Output keys carry [start, start + d].
 */
export class SlidingWindows implements WindowDefinition<"sliding"> {
  readonly windowKind = "sliding";
  readonly timeDifferenceMs: number;
  readonly graceMs: number;

  private constructor(timeDifferenceMs: number, graceMs: number) {
    // Kafka accepts 0 but then fails on the first record (a window [t, t] is not a valid TimeWindow).
    assertMs(timeDifferenceMs, "window time difference", { min: 1 });
    assertMs(graceMs, "window grace period", { min: 0 });
    this.timeDifferenceMs = timeDifferenceMs;
    this.graceMs = graceMs;
  }

  static of(options: { readonly timeDifferenceMs: number; readonly graceMs?: number }): SlidingWindows {
    return new SlidingWindows(options.timeDifferenceMs, options.graceMs ?? 0);
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return new SlidingWindows(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, afterWindowEndMs: number): SlidingWindows {
    return new SlidingWindows(timeDifferenceMs, afterWindowEndMs);
  }

  gracePeriodMs(): number {
    return this.graceMs;
  }

  /** For KGroupedStream.windowedBy. */
  windowedStream<K, V>(grouped: GroupedStreamInternals<K, V>): TimeWindowedKStream<K, V> {
    return new TimeWindowedKStream(grouped, this);
  }

  equals(other: unknown): boolean {
    return (
      other instanceof SlidingWindows &&
      other.timeDifferenceMs === this.timeDifferenceMs &&
      other.graceMs === this.graceMs
    );
  }

  toString(): string {
    return `SlidingWindows{timeDifferenceMs=${this.timeDifferenceMs}, graceMs=${this.graceMs}}`;
  }
}

/**
 * Session windows: a key's records that are no more than the inactivity gap apart form one
 * session [first, last] (both inclusive); a record that bridges two sessions merges them. A
 * session closes at end + gap + grace.
 */
export class SessionWindows implements WindowDefinition<"session"> {
  readonly windowKind = "session";
  readonly inactivityGapMs: number;
  readonly graceMs: number;

  private constructor(inactivityGapMs: number, graceMs: number) {
    assertMs(inactivityGapMs, "inactivity gap", { min: 1 });
    assertMs(graceMs, "grace period", { min: 0 });
    this.inactivityGapMs = inactivityGapMs;
    this.graceMs = graceMs;
  }

  static of(options: { readonly inactivityGapMs: number; readonly graceMs?: number }): SessionWindows {
    return new SessionWindows(options.inactivityGapMs, options.graceMs ?? 0);
  }

  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return new SessionWindows(inactivityGapMs, 0);
  }

  static ofInactivityGapAndGrace(inactivityGapMs: number, afterWindowEndMs: number): SessionWindows {
    return new SessionWindows(inactivityGapMs, afterWindowEndMs);
  }

  /** Kafka's `inactivityGap()`. */
  inactivityGap(): number {
    return this.inactivityGapMs;
  }

  gracePeriodMs(): number {
    return this.graceMs;
  }

  /** For KGroupedStream.windowedBy. */
  windowedStream<K, V>(grouped: GroupedStreamInternals<K, V>): SessionWindowedKStream<K, V> {
    return new SessionWindowedKStream(grouped, this);
  }

  equals(other: unknown): boolean {
    return (
      other instanceof SessionWindows &&
      other.inactivityGapMs === this.inactivityGapMs &&
      other.graceMs === this.graceMs
    );
  }

  toString(): string {
    return `SessionWindows{inactivityGapMs=${this.inactivityGapMs}, graceMs=${this.graceMs}}`;
  }
}

/**
 * When a windowed aggregation emits: on every update of a window (Kafka's default), or once per
 * window with its final result when the window closes (end + grace passed by stream time; Kafka's
 * emit-final, KIP-825 — the same results `suppress(untilWindowCloses)` gives).
 */
export type EmitStrategy = { readonly type: "on-window-update" } | { readonly type: "on-window-close" };

export const EmitStrategy = {
  onWindowUpdate(): EmitStrategy {
    return { type: "on-window-update" };
  },
  onWindowClose(): EmitStrategy {
    return { type: "on-window-close" };
  },
} as const;
