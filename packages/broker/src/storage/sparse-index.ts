// Sparse indexes of a segment, kept in memory and saved beside it: offset → file position, and
// timestamp → offset. One entry per `index.interval.bytes` of log, so memory is bounded by segment
// size / interval × 8 (offset) or 12 (time) bytes.

/** Growable parallel arrays of (key, value) pairs with keys ascending. */
class PairArray {
  keys: Float64Array;
  values: Float64Array;
  length = 0;

  constructor(capacity = 16) {
    this.keys = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(key: number, value: number): void {
    if (this.length === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      const values = new Float64Array(this.values.length * 2);
      values.set(this.values);
      this.keys = keys;
      this.values = values;
    }
    this.keys[this.length] = key;
    this.values[this.length] = value;
    this.length++;
  }

  /** Index of the last entry with key ≤ target (or < target when strict), -1 when none. */
  floor(target: number, strict: boolean): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.keys[mid] ?? 0;
      if (strict ? key < target : key <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  truncateFrom(i: number): void {
    this.length = Math.max(0, Math.min(this.length, i));
  }
}

/** Offset index: the base offset of an indexed batch → its byte position in the segment. */
export class OffsetIndex {
  private readonly pairs = new PairArray();

  get entries(): number {
    return this.pairs.length;
  }

  append(baseOffset: number, position: number): void {
    this.pairs.push(baseOffset, position);
  }

  /** Position of the last entry (0 when empty): scanning from it finds the end of the segment. */
  get lastPosition(): number {
    return this.pairs.length === 0 ? 0 : (this.pairs.values[this.pairs.length - 1] ?? 0);
  }

  /** Position to start scanning from for `offset`: the last indexed batch starting at or before it. */
  lookup(offset: number): number {
    const i = this.pairs.floor(offset, false);
    return i < 0 ? 0 : (this.pairs.values[i] ?? 0);
  }

  /** Drops the entries at or after `position` (after a truncation). */
  truncateToPosition(position: number): void {
    let i = this.pairs.length;
    while (i > 0 && (this.pairs.values[i - 1] ?? 0) >= position) i--;
    this.pairs.truncateFrom(i);
  }

  /** Serialized as (int32 offset relative to the segment, int32 position) pairs, like Kafka's. */
  serialize(segmentBaseOffset: number): Uint8Array {
    const out = new Uint8Array(this.pairs.length * 8);
    const view = new DataView(out.buffer);
    for (let i = 0; i < this.pairs.length; i++) {
      view.setInt32(i * 8, (this.pairs.keys[i] ?? 0) - segmentBaseOffset);
      view.setInt32(i * 8 + 4, this.pairs.values[i] ?? 0);
    }
    return out;
  }

  /** Parses a saved index; returns undefined when it is inconsistent (then it is rebuilt). */
  static parse(bytes: Uint8Array, segmentBaseOffset: number, segmentBytes: number): OffsetIndex | undefined {
    if (bytes.length % 8 !== 0) return undefined;
    const index = new OffsetIndex();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let lastOffset = -1;
    let lastPosition = -1;
    for (let at = 0; at < bytes.length; at += 8) {
      const offset = view.getInt32(at);
      const position = view.getInt32(at + 4);
      if (offset <= lastOffset || position <= lastPosition || position >= segmentBytes || offset < 0) return undefined;
      index.append(segmentBaseOffset + offset, position);
      lastOffset = offset;
      lastPosition = position;
    }
    return index;
  }
}

/** Time index: a new maximum timestamp → the base offset of the batch that reached it. */
export class TimeIndex {
  private readonly pairs = new PairArray();

  get entries(): number {
    return this.pairs.length;
  }

  get lastTimestamp(): number {
    return this.pairs.length === 0 ? -Infinity : (this.pairs.keys[this.pairs.length - 1] ?? -Infinity);
  }

  /** Records a batch whose max timestamp exceeds every earlier one. */
  append(maxTimestampMs: number, baseOffset: number): void {
    if (maxTimestampMs <= this.lastTimestamp) return;
    this.pairs.push(maxTimestampMs, baseOffset);
  }

  /**
   * Offset to start scanning from for the first batch with max timestamp ≥ target: every batch
   * before the returned offset has a smaller max timestamp.
   */
  lookup(timestampMs: number, segmentBaseOffset: number): number {
    const i = this.pairs.floor(timestampMs, true);
    return i < 0 ? segmentBaseOffset : (this.pairs.values[i] ?? segmentBaseOffset);
  }

  truncateToOffset(offset: number): void {
    let i = this.pairs.length;
    while (i > 0 && (this.pairs.values[i - 1] ?? 0) >= offset) i--;
    this.pairs.truncateFrom(i);
  }

  /** Serialized as (int64 timestamp, int32 relative offset) entries, like Kafka's. */
  serialize(segmentBaseOffset: number): Uint8Array {
    const out = new Uint8Array(this.pairs.length * 12);
    const view = new DataView(out.buffer);
    for (let i = 0; i < this.pairs.length; i++) {
      view.setBigInt64(i * 12, BigInt(this.pairs.keys[i] ?? 0));
      view.setInt32(i * 12 + 8, (this.pairs.values[i] ?? 0) - segmentBaseOffset);
    }
    return out;
  }

  static parse(bytes: Uint8Array, segmentBaseOffset: number): TimeIndex | undefined {
    if (bytes.length % 12 !== 0) return undefined;
    const index = new TimeIndex();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let lastTs = -Infinity;
    for (let at = 0; at < bytes.length; at += 12) {
      const ts = Number(view.getBigInt64(at));
      const offset = view.getInt32(at + 8);
      if (ts <= lastTs || offset < 0) return undefined;
      index.append(ts, segmentBaseOffset + offset);
      lastTs = ts;
    }
    return index;
  }
}

/** A segment whose indexes can be dropped from memory and reloaded from disk later. */
export interface EvictableIndexes {
  readonly indexBytes: number;
  unloadIndexes(): void;
}

/**
 * Bounds the memory of closed segments' indexes: least recently used ones are unloaded when the
 * total exceeds the budget (they are saved on disk and reload on the next lookup). Active
 * segments are not in the cache: their indexes stay in memory while they take appends.
 */
export class IndexCache {
  readonly budgetBytes: number;
  private readonly entries = new Map<EvictableIndexes, number>();
  private totalBytes = 0;

  constructor(options: { budgetBytes: number }) {
    this.budgetBytes = options.budgetBytes;
  }

  get usedBytes(): number {
    return this.totalBytes;
  }

  /** Records a use of `segment`'s (loaded) indexes, evicting others if over budget. */
  touch(segment: EvictableIndexes): void {
    this.forget(segment);
    const bytes = segment.indexBytes;
    this.entries.set(segment, bytes);
    this.totalBytes += bytes;
    for (const [victim, victimBytes] of this.entries) {
      if (this.totalBytes <= this.budgetBytes || victim === segment) break;
      this.entries.delete(victim);
      this.totalBytes -= victimBytes;
      victim.unloadIndexes();
    }
  }

  forget(segment: EvictableIndexes): void {
    const bytes = this.entries.get(segment);
    if (bytes === undefined) return;
    this.entries.delete(segment);
    this.totalBytes -= bytes;
  }
}
