// The in-memory window store (Kafka's InMemoryWindowStore plus its change-logging layer): values
// by key and window start, one segment per window start so retention drops whole segments as the
// observed stream time (the largest window start put) moves on, optional duplicates per key and
// window (stream-stream joins), every change logged as Kafka's window-store changelog bytes, and
// restore from those bytes. Keys and values are kept serialized, as in Kafka, so a caller can never
// change stored state by mutating an object it read.
import { bytesToLatin1, copyBytes } from "../bytes.ts";
import { deserializesDetached } from "../serdes.ts";
import type { Serde, SerdeContext } from "../serdes.ts";
import type {
  ChangelogRecord,
  ChangelogSink,
  KeyValue,
  StateStore,
  StoreBuilder,
  StoreContext,
  WindowStore,
  Windowed,
} from "./store.ts";
import {
  parseWindowStoreKey,
  prependTimestamp,
  readTimestamp,
  SEQNUM_MAX,
  TIMESTAMP_BYTES,
  valueAndTimestampSerde,
  windowEndMs,
  windowStoreKeyBytes,
  type ValueAndTimestamp,
} from "./window-key-schema.ts";

/** Kafka's `windowstore.changelog.additional.retention.ms` default: changelogs keep one day more than the store. */
export const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 86_400_000;

/** Changelog topic configs of a windowed store with `retentionMs` (Kafka's WindowedChangelogTopicConfig). */
export function windowedChangelogConfigs(
  retentionMs: number,
  overrides: Readonly<Record<string, string>> = {},
): Readonly<Record<string, string>> {
  const retention = Math.min(retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS, Number.MAX_SAFE_INTEGER);
  return {
    "message.timestamp.type": "CreateTime",
    "cleanup.policy": "compact,delete",
    "retention.ms": String(retention),
    ...overrides,
  };
}

/** A window store that can also iterate newest-first (sliding-window aggregation uses it, as Kafka does). */
export interface BackwardFetchWindowStore<K, V> extends WindowStore<K, V> {
  /** Windows of `key` starting in [fromMs, toMs], by start time descending. */
  backwardFetchRange(key: K, fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

export interface InMemoryWindowStoreOptions<K, V> {
  readonly name: string;
  /** Windows starting at or before (observed stream time − retentionMs) are dropped. */
  readonly retentionMs: number;
  /** The size of the windows, to give fetched keys their window end. */
  readonly windowSizeMs: number;
  /** Keep every put of a key and window instead of replacing it (stream-stream join buffers). */
  readonly retainDuplicates?: boolean;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

/** A key's value(s) in one window; flat, as a fetch per record reads it (every hop a likely cache miss). */
interface SegmentEntry {
  readonly keyBytes: Uint8Array;
  /** Without duplicates: the value. */
  value: Uint8Array | undefined;
  /** With duplicates: every value put, in order. */
  readonly duplicates: Uint8Array[] | undefined;
}

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

export class InMemoryWindowStore<K, V> implements BackwardFetchWindowStore<K, V> {
  readonly name: string;
  readonly persistent = false;
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  /** Values read never share the stored bytes, so a put of the same size may overwrite them in place. */
  private readonly overwriteInPlace: boolean;
  /** Window start → key id → entry. */
  private readonly segments = new Map<number, Map<string, SegmentEntry>>();
  /** Window starts of `segments`, ascending. */
  private readonly segmentStarts: number[] = [];
  /** Key id → the window starts it has values in, ascending (so a key's range fetch skips other keys' segments). */
  private readonly startsByKey = new Map<string, number[]>();
  private observedStreamTimeMs = -1;
  /** The observed stream time at which the oldest segment expires (so most calls skip the check). */
  private nextExpiryMs = Number.POSITIVE_INFINITY;
  // One-entry cache of the last primitive key's bytes and id: a windowed aggregation fetches, then
  // puts, the same key (for each of its windows), so the key is serialized once per record.
  private lastKey: unknown = undefined;
  private lastKeyBytes: Uint8Array | undefined;
  private lastKeyId = "";
  private seqnum = 0;
  private changelog: ChangelogSink | undefined;
  protected recordTimestampMs: (() => number) | undefined;
  private serdeContext: SerdeContext;
  private expiredDropped = 0;

  constructor(options: InMemoryWindowStoreOptions<K, V>) {
    if (!Number.isSafeInteger(options.retentionMs) || options.retentionMs < 0) {
      throw new RangeError(`retentionMs must be a non-negative integer, got ${options.retentionMs}`);
    }
    if (!Number.isSafeInteger(options.windowSizeMs) || options.windowSizeMs < 0) {
      throw new RangeError(`windowSizeMs must be a non-negative integer, got ${options.windowSizeMs}`);
    }
    if (options.windowSizeMs > options.retentionMs) {
      throw new RangeError(
        `the retention period (${options.retentionMs} ms) must be no smaller than the window size (${options.windowSizeMs} ms)`,
      );
    }
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates ?? false;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.overwriteInPlace = deserializesDetached(options.valueSerde);
    this.serdeContext = { topic: options.name, headers: [] };
  }

  init(context: StoreContext): void {
    this.changelog = context.changelog;
    this.recordTimestampMs = context.recordTimestampMs;
    // Store serdes see the changelog topic's name, as Kafka's StateSerdes do.
    this.serdeContext = { topic: `${context.applicationId}-${this.name}-changelog`, headers: [] };
  }

  /** Records dropped because their window had already expired when put (Kafka's dropped-records sensor). */
  get expiredRecordsDropped(): number {
    return this.expiredDropped;
  }

  /** The largest window start put so far (-1 before any): what retention is measured from. */
  get observedStreamTime(): number {
    return this.observedStreamTimeMs;
  }

  put(key: K, value: V | undefined, windowStartMs: number): void {
    const keyBytes = this.keyBytesOf(key);
    const id = this.lastKeyBytes === keyBytes ? this.lastKeyId : keyId(keyBytes);
    const valueBytes = value === undefined ? null : this.valueSerde.serialize(value, this.serdeContext);
    // With duplicates every put gets the next sequence number (also in the changelog key); without, 0.
    const seqnum = this.retainDuplicates ? this.nextSeqnum() : 0;
    // Deleting a duplicate is a no-op, as in Kafka; it is still logged, as Kafka's logging layer does
    // with every put (even one the store drops as expired).
    if (!(this.retainDuplicates && valueBytes === null)) this.applyPut(keyBytes, id, valueBytes, windowStartMs);
    if (this.changelog === undefined) return;
    this.changelog({
      key: windowStoreKeyBytes(keyBytes, windowStartMs, seqnum),
      value: this.changelogValue(valueBytes),
      timestampMs: this.changelogTimestampMs(valueBytes, windowStartMs),
    });
  }

  /** The key's bytes, from the one-entry cache when it is the last primitive key (its id is then `lastKeyId`). */
  private keyBytesOf(key: K): Uint8Array {
    if (typeof key !== "object" && key === this.lastKey && this.lastKeyBytes !== undefined) return this.lastKeyBytes;
    const bytes = this.keySerde.serialize(key, this.serdeContext);
    if (typeof key !== "object") {
      this.lastKey = key;
      this.lastKeyBytes = bytes;
      this.lastKeyId = keyId(bytes);
    }
    return bytes;
  }

  private nextSeqnum(): number {
    this.seqnum = (this.seqnum + 1) & SEQNUM_MAX;
    return this.seqnum;
  }

  /** The changelog value of a put (the stored bytes). */
  protected changelogValue(valueBytes: Uint8Array | null): Uint8Array | null {
    return valueBytes;
  }

  /**
   * The changelog timestamp of a put. Kafka stamps the timestamp of the record being processed; a
   * store used outside a task stamps the window start (not 0: the changelog's retention deletes by time).
   */
  protected changelogTimestampMs(_valueBytes: Uint8Array | null, windowStartMs: number): number {
    return this.recordTimestampMs?.() ?? windowStartMs;
  }

  /** The stored bytes of a changelog record's value (inverse of `changelogValue`). */
  protected fromChangelog(record: ChangelogRecord): Uint8Array | null {
    return record.value;
  }

  fetch(key: K, windowStartMs: number): V | undefined {
    this.removeExpiredSegments();
    if (windowStartMs <= this.observedStreamTimeMs - this.retentionMs) return undefined;
    // With duplicates a key has no single value: Kafka's fetch(key, time) finds nothing either.
    if (this.retainDuplicates) return undefined;
    const segment = this.segments.get(windowStartMs);
    if (segment === undefined) return undefined;
    const keyBytes = this.keyBytesOf(key);
    const stored = segment.get(this.lastKeyBytes === keyBytes ? this.lastKeyId : keyId(keyBytes))?.value;
    return stored === undefined ? undefined : this.valueSerde.deserialize(stored, this.serdeContext);
  }

  fetchRange(key: K, fromMs: number, toMs: number): KeyValue<Windowed<K>, V>[] {
    return this.fetchKey(key, fromMs, toMs, true);
  }

  backwardFetchRange(key: K, fromMs: number, toMs: number): KeyValue<Windowed<K>, V>[] {
    return this.fetchKey(key, fromMs, toMs, false);
  }

  /** Every window of every key starting in [fromMs, toMs], by start time, then key bytes. */
  fetchAll(fromMs: number, toMs: number): KeyValue<Windowed<K>, V>[] {
    return this.fetchAllStarts(fromMs, toMs, true);
  }

  backwardFetchAll(fromMs: number, toMs: number): KeyValue<Windowed<K>, V>[] {
    return this.fetchAllStarts(fromMs, toMs, false);
  }

  all(): KeyValue<Windowed<K>, V>[] {
    return this.fetchAllStarts(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  }

  restore(records: readonly ChangelogRecord[]): void {
    for (const record of records) {
      const parsed = parseWindowStoreKey(record.key);
      if (this.retainDuplicates && record.value === null) continue;
      // Duplicates keep their put order; the sequence moves on as it did when they were put.
      if (this.retainDuplicates) this.nextSeqnum();
      this.applyPut(parsed.keyBytes, keyId(parsed.keyBytes), this.fromChangelog(record), parsed.windowStartMs);
    }
  }

  restoredOffset(): number | undefined {
    return undefined;
  }

  checkpoint(_changelogOffset: number): void {}

  flush(): void {}

  close(): void {
    this.segments.clear();
    this.segmentStarts.length = 0;
    this.startsByKey.clear();
    this.nextExpiryMs = Number.POSITIVE_INFINITY;
    this.lastKey = undefined;
    this.lastKeyBytes = undefined;
  }

  /** Applies a put to memory; false when dropped because its window had expired. */
  private applyPut(keyBytes: Uint8Array, id: string, valueBytes: Uint8Array | null, windowStartMs: number): boolean {
    this.removeExpiredSegments();
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, windowStartMs);
    if (windowStartMs <= this.observedStreamTimeMs - this.retentionMs) {
      this.expiredDropped += 1;
      return false;
    }
    if (valueBytes !== null) {
      let segment = this.segments.get(windowStartMs);
      if (segment === undefined) {
        segment = new Map();
        this.segments.set(windowStartMs, segment);
        insertSorted(this.segmentStarts, windowStartMs);
        this.nextExpiryMs = Math.min(this.nextExpiryMs, this.expiryOf(windowStartMs));
      }
      let entry = segment.get(id);
      if (entry === undefined) {
        // Copies (here and below): the store must not share bytes with a caller or a fetch buffer.
        entry = { keyBytes: copyBytes(keyBytes), value: undefined, duplicates: this.retainDuplicates ? [] : undefined };
        segment.set(id, entry);
        let starts = this.startsByKey.get(id);
        if (starts === undefined) {
          starts = [];
          this.startsByKey.set(id, starts);
        }
        insertSorted(starts, windowStartMs);
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
    const segment = this.segments.get(windowStartMs);
    if (segment?.delete(id) === true) {
      if (segment.size === 0) {
        this.segments.delete(windowStartMs);
        removeSorted(this.segmentStarts, windowStartMs);
      }
      const starts = this.startsByKey.get(id);
      if (starts !== undefined) {
        removeSorted(starts, windowStartMs);
        if (starts.length === 0) this.startsByKey.delete(id);
      }
    }
    return true;
  }

  /**
   * The observed stream time from which the segment of windows starting at `startMs` has expired:
   * start + retention, and at once for a negative start (segments below 0 never live).
   */
  private expiryOf(startMs: number): number {
    return startMs < 0 ? Number.NEGATIVE_INFINITY : startMs + this.retentionMs;
  }

  /** Drops every segment whose window start is at or before observed stream time − retention. */
  private removeExpiredSegments(): void {
    if (this.observedStreamTimeMs < this.nextExpiryMs) return;
    const minLiveMs = Math.max(0, this.observedStreamTimeMs - this.retentionMs + 1);
    let expired = 0;
    while (expired < this.segmentStarts.length && (this.segmentStarts[expired] as number) < minLiveMs) {
      const startMs = this.segmentStarts[expired] as number;
      for (const id of this.segments.get(startMs)?.keys() ?? []) {
        const starts = this.startsByKey.get(id);
        if (starts === undefined) continue;
        // This segment is the oldest, so it is the first of each of its keys' starts.
        if (starts[0] === startMs) starts.shift();
        else removeSorted(starts, startMs);
        if (starts.length === 0) this.startsByKey.delete(id);
      }
      this.segments.delete(startMs);
      expired += 1;
    }
    if (expired > 0) this.segmentStarts.splice(0, expired);
    const oldest = this.segmentStarts[0];
    this.nextExpiryMs = oldest === undefined ? Number.POSITIVE_INFINITY : this.expiryOf(oldest);
  }

  private fetchKey(key: K, fromMs: number, toMs: number, forward: boolean): KeyValue<Windowed<K>, V>[] {
    this.removeExpiredSegments();
    // Records expire exactly retentionMs after their window start.
    const minMs = Math.max(fromMs, this.observedStreamTimeMs - this.retentionMs + 1);
    if (toMs < minMs) return [];
    const keyBytes = this.keyBytesOf(key);
    const id = this.lastKeyBytes === keyBytes ? this.lastKeyId : keyId(keyBytes);
    const starts = this.startsByKey.get(id);
    if (starts === undefined) return [];
    const out: KeyValue<Windowed<K>, V>[] = [];
    for (let i = lowerBound(starts, minMs); i < starts.length && (starts[i] as number) <= toMs; i++) {
      const startMs = starts[i] as number;
      const entry = this.segments.get(startMs)?.get(id);
      if (entry !== undefined) this.pushEntry(out, entry, startMs);
    }
    return forward ? out : out.reverse();
  }

  private fetchAllStarts(fromMs: number, toMs: number, forward: boolean): KeyValue<Windowed<K>, V>[] {
    this.removeExpiredSegments();
    const minMs = Math.max(fromMs, this.observedStreamTimeMs - this.retentionMs + 1);
    if (toMs < minMs) return [];
    const out: KeyValue<Windowed<K>, V>[] = [];
    const starts = this.segmentStarts;
    for (let i = lowerBound(starts, minMs); i < starts.length && (starts[i] as number) <= toMs; i++) {
      const startMs = starts[i] as number;
      const segment = this.segments.get(startMs);
      if (segment === undefined) continue;
      const ids = [...segment.keys()].sort();
      for (const id of ids) {
        const entry = segment.get(id);
        if (entry !== undefined) this.pushEntry(out, entry, startMs);
      }
    }
    return forward ? out : out.reverse();
  }

  private pushEntry(out: KeyValue<Windowed<K>, V>[], entry: SegmentEntry, startMs: number): void {
    const key = this.keySerde.deserialize(entry.keyBytes, this.serdeContext);
    const window = { startMs, endMs: windowEndMs(startMs, this.windowSizeMs) };
    for (const stored of entry.duplicates ?? [entry.value as Uint8Array]) {
      out.push({ key: { key, window }, value: this.valueSerde.deserialize(stored, this.serdeContext) });
    }
  }
}

/**
 * Builds a windowed store (window or session) per task, logged to `<appId>-<name>-changelog` with
 * Kafka's windowed changelog configs (compact,delete; retention + 1 day) unless logging is disabled.
 */
export class WindowedStoreBuilder<S extends StateStore> implements StoreBuilder<S> {
  readonly name: string;
  readonly logged: boolean;
  readonly changelogConfigs: Readonly<Record<string, string>>;
  readonly retentionMs: number;
  private readonly create: () => S;

  constructor(
    options: { readonly name: string; readonly retentionMs: number; readonly create: () => S },
    logging: Readonly<Record<string, string>> | false = {},
  ) {
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.create = options.create;
    this.logged = logging !== false;
    this.changelogConfigs = logging === false ? {} : windowedChangelogConfigs(options.retentionMs, logging);
  }

  /** Logs changes, with these changelog-topic config overrides (logging is on by default). */
  withLoggingEnabled(configs: Readonly<Record<string, string>> = {}): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ name: this.name, retentionMs: this.retentionMs, create: this.create }, configs);
  }

  withLoggingDisabled(): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ name: this.name, retentionMs: this.retentionMs, create: this.create }, false);
  }

  build(): S {
    const store = this.create();
    if (store.name !== this.name) throw new Error(`store builder ${this.name} built a store named ${store.name}`);
    return store;
  }
}

/**
 * `Stores.inMemoryWindowStore(...)`: Kafka's `Stores.windowStoreBuilder(Stores.inMemoryWindowStore(
 * name, retention, windowSize, retainDuplicates), keySerde, valueSerde)` in one call.
 */
export function inMemoryWindowStore<K, V>(
  options: InMemoryWindowStoreOptions<K, V>,
): WindowedStoreBuilder<InMemoryWindowStore<K, V>> {
  new InMemoryWindowStore(options); // validates the options when the topology is built
  return new WindowedStoreBuilder({
    name: options.name,
    retentionMs: options.retentionMs,
    create: () => new InMemoryWindowStore(options),
  });
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
  new InMemoryTimestampedWindowStore(options);
  return new WindowedStoreBuilder({
    name: options.name,
    retentionMs: options.retentionMs,
    create: () => new InMemoryTimestampedWindowStore(options),
  });
}

/** A window store of ValueAndTimestamp values (Kafka's TimestampedWindowStore over the in-memory store). */
export class InMemoryTimestampedWindowStore<K, V> extends InMemoryWindowStore<K, ValueAndTimestamp<V>> {
  constructor(options: InMemoryWindowStoreOptions<K, V>) {
    super({ ...options, valueSerde: valueAndTimestampSerde(options.valueSerde) });
  }

  protected override changelogValue(valueBytes: Uint8Array | null): Uint8Array | null {
    return valueBytes === null ? null : valueBytes.subarray(TIMESTAMP_BYTES);
  }

  protected override changelogTimestampMs(valueBytes: Uint8Array | null, windowStartMs: number): number {
    return valueBytes === null ? super.changelogTimestampMs(null, windowStartMs) : readTimestamp(valueBytes);
  }

  protected override fromChangelog(record: ChangelogRecord): Uint8Array | null {
    return record.value === null ? null : prependTimestamp(record.timestampMs, record.value);
  }
}
