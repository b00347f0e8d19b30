// What the in-memory and persistent window stores share: their options and validation, the
// observed stream time retention is measured from, the one-entry key cache of a windowed
// aggregation's fetch-then-put, duplicates (retainDuplicates: a sequence number per put), the
// changelog bytes of a put (plain or timestamped) and restore from them. A backend keeps only how
// it stores, expires and reads windows (`applyPut`, `fetch`, `fetchKey`, `scan`).
import { deserializesDetached } from "../serdes.ts";
import type { Serde } from "../serdes.ts";
import type { ChangelogRecord, KeyValue, WindowStore, Windowed } from "./store.ts";
import { keyId } from "./time-segments.ts";
import { validateRetention, WindowedStoreCore } from "./windowed-store-core.ts";
import {
  parseWindowStoreKey,
  prependTimestamp,
  readTimestamp,
  SEQNUM_MAX,
  TIMESTAMP_BYTES,
  windowStoreKeyBytes,
} from "./window-key-schema.ts";

/** A window store that can also iterate newest-first (sliding-window aggregation uses it, as Kafka does). */
export interface BackwardFetchWindowStore<K, V> extends WindowStore<K, V> {
  /** Windows of `key` starting in [fromMs, toMs], by start time descending. */
  backwardFetchRange(key: K, fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

export interface WindowStoreOptions<K, V> {
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

export function validateWindowStoreOptions(options: WindowStoreOptions<unknown, unknown>): void {
  validateRetention(options.retentionMs);
  if (!Number.isSafeInteger(options.windowSizeMs) || options.windowSizeMs < 0) {
    throw new RangeError(`windowSizeMs must be a non-negative integer, got ${options.windowSizeMs}`);
  }
  if (options.windowSizeMs > options.retentionMs) {
    throw new RangeError(
      `the retention period (${options.retentionMs} ms) must be no smaller than the window size (${options.windowSizeMs} ms)`,
    );
  }
}

export abstract class WindowStoreBase<K, V> extends WindowedStoreCore<K, V> implements BackwardFetchWindowStore<K, V> {
  abstract readonly persistent: boolean;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  /** Values read never share the stored bytes, so a put of the same size may overwrite them in place. */
  protected readonly overwriteInPlace: boolean;
  /**
   * Values are ValueAndTimestamp bytes (Kafka's timestamped window stores). As in Kafka, the
   * changelog then holds the plain value with that timestamp as the record's, so it is
   * interchangeable with a plain window store's changelog.
   */
  private readonly timestamped: boolean;
  protected seqnum = 0;
  // One-entry cache of the last primitive key's bytes and id: a windowed aggregation fetches, then
  // puts, the same key (for each of its windows), so the key is serialized once per record.
  private lastKey: unknown = undefined;
  private lastKeyBytes: Uint8Array | undefined;
  private lastKeyId = "";

  constructor(options: WindowStoreOptions<K, V>, timestamped: boolean) {
    validateWindowStoreOptions(options);
    super(options);
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates ?? false;
    this.overwriteInPlace = deserializesDetached(options.valueSerde);
    this.timestamped = timestamped;
  }

  put(key: K, value: V | undefined, windowStartMs: number): void {
    const keyBytes = this.keyBytesOf(key);
    const valueBytes = value === undefined ? null : this.valueSerde.serialize(value, this.serdeContext);
    // With duplicates every put gets the next sequence number (also in the changelog key); without, 0.
    const seqnum = this.retainDuplicates ? this.nextSeqnum() : 0;
    // Deleting a duplicate is a no-op, as in Kafka. Every put is logged, as Kafka's logging layer
    // does, even one dropped as expired (a restore drops it again).
    if (!(this.retainDuplicates && valueBytes === null)) this.applyPut(keyBytes, valueBytes, windowStartMs, seqnum);
    if (this.changelog === undefined) return;
    this.changelog({
      key: windowStoreKeyBytes(keyBytes, windowStartMs, seqnum),
      value: this.timestamped && valueBytes !== null ? valueBytes.subarray(TIMESTAMP_BYTES) : valueBytes,
      // Kafka stamps the timestamp of the record being processed (a timestamped store: the value's);
      // a store used outside a task stamps the window start (not 0: the changelog's retention deletes by time).
      timestampMs:
        this.timestamped && valueBytes !== null
          ? readTimestamp(valueBytes)
          : (this.recordTimestampMs?.() ?? windowStartMs),
    });
  }

  /** Windows of `key` starting in [fromMs, toMs], by start time (duplicates in put order). */
  fetchRange(key: K, fromMs: number, toMs: number): KeyValue<Windowed<K>, V>[] {
    return this.fetchKey(key, fromMs, toMs, true);
  }

  backwardFetchRange(key: K, fromMs: number, toMs: number): KeyValue<Windowed<K>, V>[] {
    return this.fetchKey(key, fromMs, toMs, false);
  }

  /** Every window of every key starting in [fromMs, toMs], by start time, then key bytes. */
  fetchAll(fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scan(fromMs, toMs, true);
  }

  backwardFetchAll(fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scan(fromMs, toMs, false);
  }

  all(): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scan(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  }

  /** Applies changelog records (a backend then makes them durable). */
  restore(records: readonly ChangelogRecord[]): void {
    for (const record of records) {
      const parsed = parseWindowStoreKey(record.key);
      if (this.retainDuplicates && record.value === null) continue;
      const value =
        this.timestamped && record.value !== null ? prependTimestamp(record.timestampMs, record.value) : record.value;
      const seqnum = this.retainDuplicates ? this.restoredSeqnum(parsed.seqnum) : 0;
      this.applyPut(parsed.keyBytes, value, parsed.windowStartMs, seqnum);
    }
  }

  abstract fetch(key: K, windowStartMs: number): V | undefined;
  abstract restoredOffset(): number | undefined;
  abstract checkpoint(changelogOffset: number): void;
  abstract flush(): void;
  abstract close(): void;

  /** Applies a put (null: a delete) to the backend; false when dropped because its window had expired. */
  protected abstract applyPut(
    keyBytes: Uint8Array,
    valueBytes: Uint8Array | null,
    windowStartMs: number,
    seqnum: number,
  ): boolean;

  /** Windows of `key` starting in [fromMs, toMs], by start time, or descending. */
  protected abstract fetchKey(key: K, fromMs: number, toMs: number, forward: boolean): KeyValue<Windowed<K>, V>[];

  /** Every window starting in [fromMs, toMs], by start time then key bytes, or both descending. */
  protected abstract scan(fromMs: number, toMs: number, forward: boolean): Iterable<KeyValue<Windowed<K>, V>>;

  /** The sequence number a restored duplicate keeps (the next put's follows it). */
  protected abstract restoredSeqnum(logged: number): number;

  protected nextSeqnum(): number {
    this.seqnum = (this.seqnum + 1) & SEQNUM_MAX;
    return this.seqnum;
  }

  /** The key's bytes, from the one-entry cache when it is the last primitive key (see `keyIdOf`). */
  protected keyBytesOf(key: K): Uint8Array {
    if (typeof key !== "object" && key === this.lastKey && this.lastKeyBytes !== undefined) return this.lastKeyBytes;
    const bytes = this.keySerde.serialize(key, this.serdeContext);
    if (typeof key !== "object") {
      this.lastKey = key;
      this.lastKeyBytes = bytes;
      this.lastKeyId = keyId(bytes);
    }
    return bytes;
  }

  /** The id of key bytes, cached for the bytes `keyBytesOf` gave last. */
  protected keyIdOf(keyBytes: Uint8Array): string {
    return keyBytes === this.lastKeyBytes ? this.lastKeyId : keyId(keyBytes);
  }

  protected forgetLastKey(): void {
    this.lastKey = undefined;
    this.lastKeyBytes = undefined;
  }
}
