// The in-memory window store (Kafka's InMemoryWindowStore plus its change-logging layer): values
// by key and window start, one segment per window start so retention drops whole segments as the
// observed stream time (the largest window start put) moves on, optional duplicates per key and
// window (stream-stream joins), every change logged as Kafka's window-store changelog bytes, and
// restore from those bytes (window-store-base.ts). Keys and values are kept serialized, as in
// Kafka, so a caller can never change stored state by mutating an object it read.
import { copyBytes } from "../bytes.ts";
import type { KeyValue, Windowed } from "./store.ts";
import { TimeSegments } from "./time-segments.ts";
import { WindowStoreBase, type WindowStoreOptions } from "./window-store-base.ts";
import { valueAndTimestampSerde, windowEndMs, type ValueAndTimestamp } from "./window-key-schema.ts";
import { windowedStoreBuilder, type WindowedStoreBuilder } from "./windowed-store-builder.ts";

// Where these lived before the shared files; kept so existing imports keep working.
export { keyId, lowerBound, insertSorted, removeSorted } from "./time-segments.ts";
export type { BackwardFetchWindowStore } from "./window-store-base.ts";
export {
  WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS,
  windowedChangelogConfigs,
  WindowedStoreBuilder,
} from "./windowed-store-builder.ts";

export type InMemoryWindowStoreOptions<K, V> = WindowStoreOptions<K, V>;

/** A key's value(s) in one window; flat, as a fetch per record reads it (every hop a likely cache miss). */
interface SegmentEntry {
  readonly keyBytes: Uint8Array;
  /** Without duplicates: the value. */
  value: Uint8Array | undefined;
  /** With duplicates: every value put, in order. */
  readonly duplicates: Uint8Array[] | undefined;
}

type Fetched<K, V> = KeyValue<Windowed<K>, V>;

export class InMemoryWindowStore<K, V> extends WindowStoreBase<K, V> {
  readonly persistent = false;
  /** Window start → key id → entry; and each key's window starts, ascending. */
  private readonly segments: TimeSegments<SegmentEntry>;
  private readonly pushEntry: (out: Fetched<K, V>[], entry: SegmentEntry, startMs: number) => void;

  constructor(options: InMemoryWindowStoreOptions<K, V>, timestamped = false) {
    super(options, timestamped);
    this.segments = new TimeSegments(options.retentionMs);
    this.pushEntry = (out, entry, startMs) => {
      const key = this.keySerde.deserialize(entry.keyBytes, this.serdeContext);
      const window = { startMs, endMs: windowEndMs(startMs, this.windowSizeMs) };
      for (const stored of entry.duplicates ?? [entry.value as Uint8Array]) {
        out.push({ key: { key, window }, value: this.valueSerde.deserialize(stored, this.serdeContext) });
      }
    };
  }

  fetch(key: K, windowStartMs: number): V | undefined {
    this.segments.expire(this.observedStreamTimeMs);
    if (windowStartMs <= this.observedStreamTimeMs - this.retentionMs) return undefined;
    // With duplicates a key has no single value: Kafka's fetch(key, time) finds nothing either.
    if (this.retainDuplicates) return undefined;
    const segment = this.segments.segments.get(windowStartMs);
    if (segment === undefined) return undefined;
    const stored = segment.get(this.keyIdOf(this.keyBytesOf(key)))?.value;
    return stored === undefined ? undefined : this.valueSerde.deserialize(stored, this.serdeContext);
  }

  override fetchAll(fromMs: number, toMs: number): Fetched<K, V>[] {
    return this.scan(fromMs, toMs, true);
  }

  override backwardFetchAll(fromMs: number, toMs: number): Fetched<K, V>[] {
    return this.scan(fromMs, toMs, false);
  }

  override all(): Fetched<K, V>[] {
    return this.scan(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  }

  restoredOffset(): number | undefined {
    return undefined;
  }

  checkpoint(_changelogOffset: number): void {}

  flush(): void {}

  close(): void {
    this.segments.clear();
    this.forgetLastKey();
  }

  protected restoredSeqnum(_logged: number): number {
    // Duplicates keep their put order; the sequence moves on as it did when they were put.
    return this.nextSeqnum();
  }

  protected applyPut(keyBytes: Uint8Array, valueBytes: Uint8Array | null, windowStartMs: number): boolean {
    const segments = this.segments;
    segments.expire(this.observedStreamTimeMs);
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, windowStartMs);
    if (windowStartMs <= this.observedStreamTimeMs - this.retentionMs) {
      this.expiredDropped += 1;
      return false;
    }
    const id = this.keyIdOf(keyBytes);
    if (valueBytes === null) {
      segments.delete(windowStartMs, id);
      return true;
    }
    let entry = segments.get(windowStartMs, id);
    if (entry === undefined) {
      // Copies (here and below): the store must not share bytes with a caller or a fetch buffer.
      entry = { keyBytes: copyBytes(keyBytes), value: undefined, duplicates: this.retainDuplicates ? [] : undefined };
      segments.add(windowStartMs, id, entry);
    }
    if (entry.duplicates !== undefined) {
      entry.duplicates.push(copyBytes(valueBytes));
    } else if (this.overwriteInPlace && entry.value?.byteLength === valueBytes.byteLength) {
      // An aggregate of fixed size (a count, a sum) updated in place: no allocation per update.
      entry.value.set(valueBytes);
    } else {
      entry.value = copyBytes(valueBytes);
    }
    return true;
  }

  protected fetchKey(key: K, fromMs: number, toMs: number, forward: boolean): Fetched<K, V>[] {
    this.segments.expire(this.observedStreamTimeMs);
    // Records expire exactly retentionMs after their window start.
    const minMs = Math.max(fromMs, this.observedStreamTimeMs - this.retentionMs + 1);
    if (toMs < minMs) return [];
    const out = this.segments.collectKey(this.keyIdOf(this.keyBytesOf(key)), minMs, toMs, [], this.pushEntry, 0);
    return forward ? out : out.reverse();
  }

  protected scan(fromMs: number, toMs: number, forward: boolean): Fetched<K, V>[] {
    this.segments.expire(this.observedStreamTimeMs);
    const minMs = Math.max(fromMs, this.observedStreamTimeMs - this.retentionMs + 1);
    if (toMs < minMs) return [];
    const out = this.segments.collect(minMs, toMs, [], this.pushEntry, 0);
    return forward ? out : out.reverse();
  }
}

/** A window store of ValueAndTimestamp values (Kafka's TimestampedWindowStore over the in-memory store). */
export class InMemoryTimestampedWindowStore<K, V> extends InMemoryWindowStore<K, ValueAndTimestamp<V>> {
  constructor(options: InMemoryWindowStoreOptions<K, V>) {
    super({ ...options, valueSerde: valueAndTimestampSerde(options.valueSerde) }, true);
  }
}

/**
 * `Stores.inMemoryWindowStore(...)`: Kafka's `Stores.windowStoreBuilder(Stores.inMemoryWindowStore(
 * name, retention, windowSize, retainDuplicates), keySerde, valueSerde)` in one call.
 */
export function inMemoryWindowStore<K, V>(
  options: InMemoryWindowStoreOptions<K, V>,
): WindowedStoreBuilder<InMemoryWindowStore<K, V>> {
  return windowedStoreBuilder(options, () => new InMemoryWindowStore(options));
}

/**
 * `Stores.timestampedWindowStoreBuilder(Stores.inMemoryWindowStore(...))`: values carry the
 * timestamp of their latest record (what windowed aggregations store). As in Kafka, the changelog
 * holds the plain value with that timestamp as the record's timestamp, so it is interchangeable
 * with a plain window store's changelog.
 */
export function inMemoryTimestampedWindowStore<K, V>(
  options: InMemoryWindowStoreOptions<K, V>,
): WindowedStoreBuilder<InMemoryTimestampedWindowStore<K, V>> {
  return windowedStoreBuilder(options, () => new InMemoryTimestampedWindowStore(options));
}
