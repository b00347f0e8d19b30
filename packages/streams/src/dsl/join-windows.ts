// The window of a stream–stream join (Kafka's JoinWindows): a record at time t joins the other
// side's records with the same key from t − before to t + after (both inclusive), and records may
// arrive out of order until `graceMs` after the window's end. Times are integer milliseconds, as in
// the other window specifications (dsl/windows.ts).

function assertInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer number of ms, got ${value}`);
}

export class JoinWindows {
  /** How far back in time the other side's records join (may be negative if `afterMs` makes up for it). */
  readonly beforeMs: number;
  /** How far forward in time the other side's records join. */
  readonly afterMs: number;
  readonly graceMs: number;

  private constructor(beforeMs: number, afterMs: number, graceMs: number) {
    assertInteger(beforeMs, "join window before");
    assertInteger(afterMs, "join window after");
    assertInteger(graceMs, "join window grace period");
    if (beforeMs + afterMs < 0) {
      throw new RangeError(
        `join window interval (before + after) must not be negative, got before ${beforeMs} ms and after ${afterMs} ms`,
      );
    }
    if (graceMs < 0) throw new RangeError(`join window grace period must not be negative, got ${graceMs} ms`);
    this.beforeMs = beforeMs;
    this.afterMs = afterMs;
    this.graceMs = graceMs;
  }

  /** Records at most `timeDifferenceMs` apart join; a record arriving after the window closed is dropped. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, 0);
  }

  /** Records at most `timeDifferenceMs` apart join; out-of-order records are accepted until `afterWindowEndMs` after the window's end. */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, afterWindowEndMs: number): JoinWindows {
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, afterWindowEndMs);
  }

  /** Idiomatic form: `JoinWindows.of({ timeDifferenceMs: 5_000, graceMs: 1_000 })`. */
  static of(options: { readonly timeDifferenceMs: number; readonly graceMs?: number }): JoinWindows {
    return new JoinWindows(options.timeDifferenceMs, options.timeDifferenceMs, options.graceMs ?? 0);
  }

  /** The same windows, but joining other-side records up to `timeDifferenceMs` earlier. */
  before(timeDifferenceMs: number): JoinWindows {
    return new JoinWindows(timeDifferenceMs, this.afterMs, this.graceMs);
  }

  /** The same windows, but joining other-side records up to `timeDifferenceMs` later. */
  after(timeDifferenceMs: number): JoinWindows {
    return new JoinWindows(this.beforeMs, timeDifferenceMs, this.graceMs);
  }

  /** Kafka's `size()`: before + after (the window size of the join stores). */
  size(): number {
    return this.beforeMs + this.afterMs;
  }

  /** Kafka's `gracePeriodMs()`. */
  gracePeriodMs(): number {
    return this.graceMs;
  }

  equals(other: unknown): boolean {
    return (
      other instanceof JoinWindows &&
      other.beforeMs === this.beforeMs &&
      other.afterMs === this.afterMs &&
      other.graceMs === this.graceMs
    );
  }

  toString(): string {
    return `JoinWindows{beforeMs=${this.beforeMs}, afterMs=${this.afterMs}, graceMs=${this.graceMs}}`;
  }
}
