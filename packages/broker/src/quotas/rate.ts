// A byte rate measured over sampled windows, the way Kafka's quota sensors measure it: a ring of
// `samples` windows of `windowMs` each; a window is retired when it has run its length, windows
// older than the whole ring are forgotten, and the rate divides the bytes still held by the time
// they span — never less than samples − 1 whole windows, so a burst right after a quiet spell is
// not measured over a tiny interval. Pure arithmetic on an injected time, for unit tests.

export interface RateConfig {
  /** quota.window.num */
  readonly samples: number;
  /** quota.window.size.seconds, in ms */
  readonly windowMs: number;
}

interface Sample {
  startMs: number;
  value: number;
}

export class SampledRate {
  private readonly config: RateConfig;
  private readonly samples: Sample[] = [];
  private current = 0;
  /** When this rate last recorded anything (idle sensors are dropped). */
  lastRecordMs = 0;

  constructor(config: RateConfig) {
    this.config = config;
  }

  /** Adds `value` (negative to take back a recorded amount) to the window open at `nowMs`. */
  record(value: number, nowMs: number): void {
    this.lastRecordMs = nowMs;
    this.currentSample(nowMs).value += value;
  }

  /** Bytes per second over the retained windows. */
  measure(nowMs: number): number {
    this.purge(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (this.windowSizeMs(nowMs) / 1000);
  }

  /** The time the rate is measured over: from the oldest retained window, at least samples − 1 windows, at least 1 ms. */
  windowSizeMs(nowMs: number): number {
    this.purge(nowMs);
    const { samples, windowMs } = this.config;
    let oldest = this.samples[0]?.startMs ?? nowMs;
    for (const s of this.samples) oldest = Math.min(oldest, s.startMs);
    let elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / windowMs);
    if (fullWindows < samples - 1) elapsed += (samples - 1 - fullWindows) * windowMs;
    return Math.max(elapsed, 1);
  }

  private currentSample(nowMs: number): Sample {
    const { samples, windowMs } = this.config;
    let sample = this.samples[this.current];
    if (sample === undefined) {
      sample = { startMs: nowMs, value: 0 };
      this.samples[this.current] = sample;
      return sample;
    }
    if (nowMs >= sample.startMs + windowMs) {
      this.current = (this.current + 1) % samples;
      sample = this.samples[this.current];
      if (sample === undefined) {
        sample = { startMs: nowMs, value: 0 };
        this.samples[this.current] = sample;
      } else {
        sample.startMs = nowMs;
        sample.value = 0;
      }
    }
    return sample;
  }

  /** Forgets windows that started a whole ring ago or more. */
  private purge(nowMs: number): void {
    const expireMs = this.config.samples * this.config.windowMs;
    for (const s of this.samples) {
      if (nowMs - s.startMs >= expireMs) {
        s.startMs = nowMs;
        s.value = 0;
      }
    }
  }
}

/**
 * How long a client over its quota must wait for its rate to come back down to the quota: the
 * excess as a fraction of the quota, times the window the rate is measured over. 0 within quota.
 */
export function throttleTimeMs(rate: SampledRate, quota: number, nowMs: number): number {
  const observed = rate.measure(nowMs);
  if (observed <= quota) return 0;
  return Math.round(((observed - quota) / quota) * rate.windowSizeMs(nowMs));
}
