// The in-memory windowed stores' index (window store: by window start; session store: by session
// end): one segment per time, holding an entry per key, plus each key's times in order, so retention
// drops whole segments as the observed stream time moves on and a key's range read skips other keys'
// segments. Keys are ids (`keyId`): strings that sort as Kafka sorts key bytes.
import { bytesToLatin1 } from "../bytes.ts";

/**
 * Maps key bytes to a string whose code-unit order is the bytes' unsigned lexicographic order
 * (Kafka's Bytes.compareTo), so keys can be Map keys and sorted as strings.
 */
export function keyId(bytes: Uint8Array): string {
  return bytesToLatin1(bytes);
}

/** Index of the first element ≥ value in an ascending array. */
export function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function insertSorted(sorted: number[], value: number): void {
  const last = sorted[sorted.length - 1];
  if (last === undefined || last < value) {
    sorted.push(value);
    return;
  }
  const at = lowerBound(sorted, value);
  if (sorted[at] !== value) sorted.splice(at, 0, value);
}

export function removeSorted(sorted: number[], value: number): void {
  const at = lowerBound(sorted, value);
  if (sorted[at] === value) sorted.splice(at, 1);
}

/**
 * Adds what an entry at `timeMs` holds to `out`; `arg` is passed through from the read (a bound the
 * caller filters by). Stores bind theirs once, so a read allocates no closure.
 */
export type SegmentReader<E, T> = (out: T[], entry: E, timeMs: number, arg: number) => void;

/** Segments of entries by time and key id, expiring at (observed stream time − retention). */
export class TimeSegments<E> {
  private readonly retentionMs: number;
  /** Time → key id → entry. */
  readonly segments = new Map<number, Map<string, E>>();
  /** Times of `segments`, ascending. */
  readonly times: number[] = [];
  /** Key id → the times it has entries at, ascending. */
  readonly timesByKey = new Map<string, number[]>();
  /** The observed stream time at which the oldest segment expires (so most calls skip the check). */
  private nextExpiryMs = Number.POSITIVE_INFINITY;

  constructor(retentionMs: number) {
    this.retentionMs = retentionMs;
  }

  get(timeMs: number, id: string): E | undefined {
    return this.segments.get(timeMs)?.get(id);
  }

  /** Adds an entry that is not there yet (`get` gave undefined). */
  add(timeMs: number, id: string, entry: E): void {
    let segment = this.segments.get(timeMs);
    if (segment === undefined) {
      segment = new Map();
      this.segments.set(timeMs, segment);
      insertSorted(this.times, timeMs);
      this.nextExpiryMs = Math.min(this.nextExpiryMs, this.expiryOf(timeMs));
    }
    segment.set(id, entry);
    let times = this.timesByKey.get(id);
    if (times === undefined) {
      times = [];
      this.timesByKey.set(id, times);
    }
    insertSorted(times, timeMs);
  }

  delete(timeMs: number, id: string): void {
    const segment = this.segments.get(timeMs);
    if (segment?.delete(id) !== true) return;
    if (segment.size === 0) {
      this.segments.delete(timeMs);
      removeSorted(this.times, timeMs);
    }
    const times = this.timesByKey.get(id);
    if (times !== undefined) {
      removeSorted(times, timeMs);
      if (times.length === 0) this.timesByKey.delete(id);
    }
  }

  /** Drops every segment whose time is at or before `observedStreamTimeMs` − retention (and every one below 0). */
  expire(observedStreamTimeMs: number): void {
    if (observedStreamTimeMs < this.nextExpiryMs) return;
    const minLiveMs = Math.max(0, observedStreamTimeMs - this.retentionMs + 1);
    let expired = 0;
    while (expired < this.times.length && (this.times[expired] as number) < minLiveMs) {
      const timeMs = this.times[expired] as number;
      for (const id of this.segments.get(timeMs)?.keys() ?? []) {
        const times = this.timesByKey.get(id);
        if (times === undefined) continue;
        // This segment is the oldest, so it is the first of each of its keys' times.
        if (times[0] === timeMs) times.shift();
        else removeSorted(times, timeMs);
        if (times.length === 0) this.timesByKey.delete(id);
      }
      this.segments.delete(timeMs);
      expired += 1;
    }
    if (expired > 0) this.times.splice(0, expired);
    const oldest = this.times[0];
    this.nextExpiryMs = oldest === undefined ? Number.POSITIVE_INFINITY : this.expiryOf(oldest);
  }

  /** Every entry with a time in [fromMs, toMs], by time, then key id, given to `push` with `arg`. */
  collect<T>(fromMs: number, toMs: number, out: T[], push: SegmentReader<E, T>, arg: number): T[] {
    const times = this.times;
    for (let i = lowerBound(times, fromMs); i < times.length && (times[i] as number) <= toMs; i++) {
      const timeMs = times[i] as number;
      const segment = this.segments.get(timeMs);
      if (segment === undefined) continue;
      for (const id of [...segment.keys()].sort()) push(out, segment.get(id) as E, timeMs, arg);
    }
    return out;
  }

  /** The entries of key `id` with a time in [fromMs, toMs], by time, given to `push` with `arg`. */
  collectKey<T>(id: string, fromMs: number, toMs: number, out: T[], push: SegmentReader<E, T>, arg: number): T[] {
    const times = this.timesByKey.get(id);
    if (times === undefined) return out;
    for (let i = lowerBound(times, fromMs); i < times.length && (times[i] as number) <= toMs; i++) {
      const timeMs = times[i] as number;
      const entry = this.segments.get(timeMs)?.get(id);
      if (entry !== undefined) push(out, entry, timeMs, arg);
    }
    return out;
  }

  clear(): void {
    this.segments.clear();
    this.times.length = 0;
    this.timesByKey.clear();
    this.nextExpiryMs = Number.POSITIVE_INFINITY;
  }

  /** The observed stream time from which the segment at `timeMs` has expired (at once below 0: those never live). */
  private expiryOf(timeMs: number): number {
    return timeMs < 0 ? Number.NEGATIVE_INFINITY : timeMs + this.retentionMs;
  }
}
