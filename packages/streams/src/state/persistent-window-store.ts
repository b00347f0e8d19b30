// The persistent window store (Kafka's RocksDBWindowStore plus its change-logging layer, on
// SQLite): values by key bytes, window start and sequence number (Kafka's window-store key), with
// an index by window start for scans across keys and for retention. Semantics are the in-memory
// window store's: retention measured from the observed stream time (the largest window start put),
// optional duplicates, the same changelog bytes. Expired windows are hidden from reads at once and
// deleted in bulk as stream time moves on (TTL-style: one DELETE per purge interval of stream time).
//
// Writes (without duplicates) collect in a bounded map in memory, as RocksDB's memtable, and go to
// SQLite's open transaction before every scan, flush, checkpoint and purge, or when the map is
// full: a windowed aggregation reads and rewrites the same few windows of a key many times between
// commits, and each statement costs microseconds. Reads look in the map first. Nothing commits
// earlier or later than before (only checkpoint and flush commit), so durability is unchanged.
import type { StatementSync } from "node:sqlite";
import { copyBytes } from "../bytes.ts";
import { deserializesDetached } from "../serdes.ts";
import type { Serde, SerdeContext } from "../serdes.ts";
import type { ChangelogRecord, ChangelogSink, KeyValue, StoreContext, Windowed } from "./store.ts";
import type { BackwardFetchWindowStore, InMemoryWindowStoreOptions } from "./in-memory-window-store.ts";
import { WindowedStoreBuilder } from "./in-memory-window-store.ts";
import {
  parseWindowStoreKey,
  prependTimestamp,
  readTimestamp,
  SEQNUM_MAX,
  TIMESTAMP_BYTES,
  valueAndTimestampSerde,
  windowEndMs,
  windowStoreKeyBytes,
} from "./window-key-schema.ts";
import type { ValueAndTimestamp } from "./window-key-schema.ts";
import { keyId } from "./in-memory-window-store.ts";
import { bytesColumn, chunkedRows, integerColumn, PersistentDatabase } from "./persistent-database.ts";
import type { Row } from "./persistent-database.ts";

const SCAN_CHUNK_ROWS = 256;
/** Writes held in memory before they go to SQLite: at most this many, of at most this many bytes. */
const PENDING_WRITES_MAX = 10_000;
const PENDING_BYTES_MAX = 4 * 1024 * 1024;
/** Stream time between two purges of expired windows is half the retention, within these bounds. */
const PURGE_INTERVAL_MS_MIN = 1;
const PURGE_INTERVAL_MS_MAX = 60_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS windows (
    k BLOB NOT NULL, start_ms INTEGER NOT NULL, seq INTEGER NOT NULL, v BLOB NOT NULL,
    PRIMARY KEY (k, start_ms, seq)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS windows_by_start ON windows (start_ms, k, seq);`;

/** A write not yet in SQLite: the value, or null for a delete. */
interface PendingWrite {
  readonly keyBytes: Uint8Array;
  valueBytes: Uint8Array | null;
}

const META_OBSERVED_STREAM_TIME = "observed_stream_time_ms";
const META_SEQNUM = "seqnum";

/** The in-memory window store's options, so `Stores` can pick either kind with the same ones. */
export type PersistentWindowStoreOptions<K, V> = InMemoryWindowStoreOptions<K, V>;

interface WindowStatements {
  readonly get: StatementSync;
  readonly put: StatementSync;
  readonly delete: StatementSync;
  readonly purge: StatementSync;
  readonly fetchKey: StatementSync;
  readonly backwardFetchKey: StatementSync;
  readonly fetchAllFirst: StatementSync;
  readonly fetchAllNext: StatementSync;
  readonly backwardFetchAllFirst: StatementSync;
  readonly backwardFetchAllNext: StatementSync;
}

function validate(options: PersistentWindowStoreOptions<unknown, unknown>): void {
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
}

export class PersistentWindowStore<K, V> implements BackwardFetchWindowStore<K, V> {
  readonly name: string;
  readonly persistent = true;
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  /** Values read never share the stored bytes, so a pending write of the same size is overwritten in place. */
  private readonly overwriteInPlace: boolean;
  private readonly purgeIntervalMs: number;
  private serdeContext: SerdeContext;
  private changelog: ChangelogSink | undefined;
  protected recordTimestampMs: (() => number) | undefined;
  private database: PersistentDatabase | undefined;
  private statements: WindowStatements | undefined;
  private observedStreamTimeMs = -1;
  private seqnum = 0;
  /** Windows starting before this have been deleted from the table. */
  private purgedBeforeMs = Number.MIN_SAFE_INTEGER;
  private expiredDropped = 0;
  /** Writes not yet in SQLite: window start → key id → write (never with duplicates). */
  private readonly pending = new Map<number, Map<string, PendingWrite>>();
  private pendingCount = 0;
  private pendingBytes = 0;
  // One-entry cache of the last primitive key's bytes and id (fetch, then put, of the same key).
  private lastKey: unknown = undefined;
  private lastKeyBytes: Uint8Array | undefined;
  private lastKeyId = "";

  constructor(options: PersistentWindowStoreOptions<K, V>) {
    validate(options);
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates ?? false;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.overwriteInPlace = deserializesDetached(options.valueSerde);
    this.purgeIntervalMs = Math.min(
      PURGE_INTERVAL_MS_MAX,
      Math.max(PURGE_INTERVAL_MS_MIN, Math.floor(options.retentionMs / 2)),
    );
    this.serdeContext = { topic: options.name, headers: [] };
  }

  init(context: StoreContext): void {
    if (this.database !== undefined && !this.database.isClosed) throw new Error(`store ${this.name} is already open`);
    this.changelog = context.changelog;
    this.recordTimestampMs = context.recordTimestampMs;
    this.serdeContext = { topic: `${context.applicationId}-${this.name}-changelog`, headers: [] };
    const database = new PersistentDatabase({
      storeName: this.name,
      stateDir: context.stateDir,
      logged: context.changelog !== undefined,
      schema: SCHEMA,
      tables: ["windows"],
    });
    const db = database.db;
    const columns = "SELECT k, start_ms, seq, v FROM windows WHERE";
    const forward = `ORDER BY start_ms, k, seq LIMIT ${SCAN_CHUNK_ROWS}`;
    const backward = `ORDER BY start_ms DESC, k DESC, seq DESC LIMIT ${SCAN_CHUNK_ROWS}`;
    this.statements = {
      get: db.prepare("SELECT v FROM windows WHERE k = ? AND start_ms = ? AND seq = 0"),
      put: db.prepare(
        "INSERT INTO windows (k, start_ms, seq, v) VALUES (?, ?, ?, ?) ON CONFLICT (k, start_ms, seq) DO UPDATE SET v = excluded.v",
      ),
      delete: db.prepare("DELETE FROM windows WHERE k = ? AND start_ms = ? AND seq = 0"),
      purge: db.prepare("DELETE FROM windows WHERE start_ms < ?"),
      fetchKey: db.prepare(
        "SELECT start_ms, v FROM windows WHERE k = ? AND start_ms >= ? AND start_ms <= ? ORDER BY start_ms, seq",
      ),
      backwardFetchKey: db.prepare(
        "SELECT start_ms, v FROM windows WHERE k = ? AND start_ms >= ? AND start_ms <= ? ORDER BY start_ms DESC, seq DESC",
      ),
      fetchAllFirst: db.prepare(`${columns} start_ms >= ? AND start_ms <= ? ${forward}`),
      fetchAllNext: db.prepare(`${columns} (start_ms, k, seq) > (?, ?, ?) AND start_ms <= ? ${forward}`),
      backwardFetchAllFirst: db.prepare(`${columns} start_ms >= ? AND start_ms <= ? ${backward}`),
      backwardFetchAllNext: db.prepare(`${columns} start_ms >= ? AND (start_ms, k, seq) < (?, ?, ?) ${backward}`),
    };
    this.database = database;
    this.observedStreamTimeMs = database.readMeta(META_OBSERVED_STREAM_TIME) ?? -1;
    this.seqnum = database.readMeta(META_SEQNUM) ?? 0;
    this.purgedBeforeMs = Number.MIN_SAFE_INTEGER;
    this.clearPending();
    database.beforeCommit = () => {
      database.writeMeta(META_OBSERVED_STREAM_TIME, this.observedStreamTimeMs);
      if (this.retainDuplicates) database.writeMeta(META_SEQNUM, this.seqnum);
    };
  }

  /** Records dropped because their window had already expired when put (Kafka's dropped-records sensor). */
  get expiredRecordsDropped(): number {
    return this.expiredDropped;
  }

  /** The largest window start put so far (-1 before any): what retention is measured from; kept across restarts. */
  get observedStreamTime(): number {
    return this.observedStreamTimeMs;
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
      value: this.changelogValue(valueBytes),
      timestampMs: this.changelogTimestampMs(valueBytes, windowStartMs),
    });
  }

  /** The changelog value of a put (the stored bytes). */
  protected changelogValue(valueBytes: Uint8Array | null): Uint8Array | null {
    return valueBytes;
  }

  /**
   * The changelog timestamp of a put: Kafka stamps the timestamp of the record being processed;
   * outside a task, the window start (the changelog's retention deletes by time).
   */
  protected changelogTimestampMs(_valueBytes: Uint8Array | null, windowStartMs: number): number {
    return this.recordTimestampMs?.() ?? windowStartMs;
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

  private keyIdOf(keyBytes: Uint8Array): string {
    return keyBytes === this.lastKeyBytes ? this.lastKeyId : keyId(keyBytes);
  }

  /** The stored bytes of a changelog record's value (inverse of `changelogValue`). */
  protected fromChangelog(record: ChangelogRecord): Uint8Array | null {
    return record.value;
  }

  fetch(key: K, windowStartMs: number): V | undefined {
    const statements = this.prepared();
    if (windowStartMs < this.minLiveMs()) return undefined;
    // With duplicates a key has no single value: Kafka's fetch(key, time) finds nothing either.
    if (this.retainDuplicates) return undefined;
    const keyBytes = this.keyBytesOf(key);
    const pending = this.pending.get(windowStartMs)?.get(this.keyIdOf(keyBytes));
    if (pending !== undefined) {
      return pending.valueBytes === null
        ? undefined
        : this.valueSerde.deserialize(pending.valueBytes, this.serdeContext);
    }
    const row = statements.get.get(keyBytes, windowStartMs);
    return row === undefined ? undefined : this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext);
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

  restore(records: readonly ChangelogRecord[]): void {
    const database = this.open();
    for (const record of records) {
      const parsed = parseWindowStoreKey(record.key);
      if (this.retainDuplicates && record.value === null) continue;
      this.applyPut(
        parsed.keyBytes,
        this.fromChangelog(record),
        parsed.windowStartMs,
        this.retainDuplicates ? parsed.seqnum : 0,
      );
      // New puts continue the restored sequence, so they never overwrite a restored duplicate.
      if (this.retainDuplicates) this.seqnum = parsed.seqnum;
    }
    this.writePending();
    database.restored();
  }

  restoredOffset(): number | undefined {
    return this.open().restoredOffset();
  }

  checkpoint(changelogOffset: number): void {
    this.writePending();
    this.open().checkpoint(changelogOffset);
  }

  flush(): void {
    this.writePending();
    this.open().flush();
  }

  close(): void {
    // An unlogged store commits what it has; a logged one drops writes its changelog restores.
    if (this.database?.logged === false && !this.database.isClosed) this.writePending();
    this.clearPending();
    this.database?.close();
    this.statements = undefined;
    this.lastKey = undefined;
    this.lastKeyBytes = undefined;
  }

  /** Windows starting before this have expired. */
  private minLiveMs(): number {
    return this.observedStreamTimeMs - this.retentionMs + 1;
  }

  private nextSeqnum(): number {
    this.seqnum = (this.seqnum + 1) & SEQNUM_MAX;
    return this.seqnum;
  }

  /** Applies a put (null: a delete); false when dropped because its window had expired. */
  private applyPut(
    keyBytes: Uint8Array,
    valueBytes: Uint8Array | null,
    windowStartMs: number,
    seqnum: number,
  ): boolean {
    const statements = this.prepared();
    const database = this.open();
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, windowStartMs);
    if (windowStartMs < this.minLiveMs()) {
      this.expiredDropped += 1;
      return false;
    }
    database.beginWrite();
    this.purgeExpired(statements);
    if (this.retainDuplicates) {
      statements.put.run(keyBytes, windowStartMs, seqnum, valueBytes);
      return true;
    }
    this.bufferWrite(keyBytes, valueBytes, windowStartMs);
    return true;
  }

  /** Holds a write (without duplicates) in memory; the bytes are copied, as a store must. */
  private bufferWrite(keyBytes: Uint8Array, valueBytes: Uint8Array | null, windowStartMs: number): void {
    let segment = this.pending.get(windowStartMs);
    if (segment === undefined) this.pending.set(windowStartMs, (segment = new Map<string, PendingWrite>()));
    const id = this.keyIdOf(keyBytes);
    const write = segment.get(id);
    const valueLength = valueBytes?.byteLength ?? 0;
    if (write === undefined) {
      segment.set(id, {
        keyBytes: copyBytes(keyBytes),
        valueBytes: valueBytes === null ? null : copyBytes(valueBytes),
      });
      this.pendingCount += 1;
      this.pendingBytes += keyBytes.byteLength + valueLength;
    } else {
      this.pendingBytes += valueLength - (write.valueBytes?.byteLength ?? 0);
      if (valueBytes === null) write.valueBytes = null;
      else if (this.overwriteInPlace && write.valueBytes?.byteLength === valueLength) write.valueBytes.set(valueBytes);
      else write.valueBytes = copyBytes(valueBytes);
    }
    if (this.pendingCount >= PENDING_WRITES_MAX || this.pendingBytes >= PENDING_BYTES_MAX) this.writePending();
  }

  /** Sends the writes held in memory to SQLite's open transaction. */
  private writePending(): void {
    if (this.pendingCount === 0) return;
    const statements = this.prepared();
    this.open().beginWrite();
    for (const [windowStartMs, segment] of this.pending) {
      for (const { keyBytes, valueBytes } of segment.values()) {
        if (valueBytes === null) statements.delete.run(keyBytes, windowStartMs);
        else statements.put.run(keyBytes, windowStartMs, 0, valueBytes);
      }
    }
    this.clearPending();
  }

  private clearPending(): void {
    this.pending.clear();
    this.pendingCount = 0;
    this.pendingBytes = 0;
  }

  /** Deletes expired windows once stream time has moved a purge interval past the last purge. */
  private purgeExpired(statements: WindowStatements): void {
    const minLiveMs = this.minLiveMs();
    if (minLiveMs - this.purgedBeforeMs < this.purgeIntervalMs) return;
    // Writes held for expired windows would only be deleted again.
    for (const [windowStartMs, segment] of this.pending) {
      if (windowStartMs >= minLiveMs) continue;
      for (const write of segment.values()) {
        this.pendingCount -= 1;
        this.pendingBytes -= write.keyBytes.byteLength + (write.valueBytes?.byteLength ?? 0);
      }
      this.pending.delete(windowStartMs);
    }
    statements.purge.run(minLiveMs);
    this.purgedBeforeMs = minLiveMs;
  }

  private fetchKey(key: K, fromMs: number, toMs: number, forward: boolean): KeyValue<Windowed<K>, V>[] {
    const statements = this.prepared();
    const minMs = Math.max(fromMs, this.minLiveMs());
    if (toMs < minMs) return [];
    this.writePending();
    const statement = forward ? statements.fetchKey : statements.backwardFetchKey;
    const keyBytes = this.keyBytesOf(key);
    const rows = statement.all(keyBytes, minMs, toMs);
    if (rows.length === 0) return [];
    // Every row has the same key bytes: deserialize them once (a fresh key, never the caller's object).
    const storedKey = this.keySerde.deserialize(keyBytes, this.serdeContext);
    return rows.map((row) => {
      const startMs = integerColumn(row, "start_ms");
      return {
        key: { key: storedKey, window: { startMs, endMs: windowEndMs(startMs, this.windowSizeMs) } },
        value: this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext),
      };
    });
  }

  private *scan(fromMs: number, toMs: number, forward: boolean): Generator<KeyValue<Windowed<K>, V>> {
    const statements = this.prepared();
    const minMs = Math.max(fromMs, this.minLiveMs());
    if (toMs < minMs) return;
    const rows = chunkedRows(SCAN_CHUNK_ROWS, (after: Row | undefined) => {
      // Each chunk sees the writes made so far, also those made while iterating.
      this.writePending();
      if (after === undefined) {
        return (forward ? statements.fetchAllFirst : statements.backwardFetchAllFirst).all(minMs, toMs);
      }
      const cursor = [integerColumn(after, "start_ms"), bytesColumn(after, "k"), integerColumn(after, "seq")] as const;
      return forward
        ? statements.fetchAllNext.all(...cursor, toMs)
        : statements.backwardFetchAllNext.all(minMs, ...cursor);
    });
    for (const row of rows) {
      const startMs = integerColumn(row, "start_ms");
      yield {
        key: {
          key: this.keySerde.deserialize(bytesColumn(row, "k"), this.serdeContext),
          window: { startMs, endMs: windowEndMs(startMs, this.windowSizeMs) },
        },
        value: this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext),
      };
    }
  }

  private open(): PersistentDatabase {
    if (this.database === undefined || this.database.isClosed) throw new Error(`store ${this.name} is not open`);
    return this.database;
  }

  private prepared(): WindowStatements {
    this.open();
    if (this.statements === undefined) throw new Error(`store ${this.name} is not open`);
    return this.statements;
  }
}

/**
 * `Stores.persistentWindowStore(...)`: Kafka's `Stores.windowStoreBuilder(Stores.
 * persistentWindowStore(name, retention, windowSize, retainDuplicates), keySerde, valueSerde)`,
 * with the in-memory window store's options; logged unless `.withLoggingDisabled()`.
 */
export function persistentWindowStore<K, V>(
  options: PersistentWindowStoreOptions<K, V>,
): WindowedStoreBuilder<PersistentWindowStore<K, V>> {
  validate(options); // when the topology is built
  return new WindowedStoreBuilder({
    name: options.name,
    retentionMs: options.retentionMs,
    create: () => new PersistentWindowStore(options),
  });
}

/** A persistent window store of ValueAndTimestamp values (Kafka's timestamped RocksDB window store). */
export class PersistentTimestampedWindowStore<K, V> extends PersistentWindowStore<K, ValueAndTimestamp<V>> {
  constructor(options: PersistentWindowStoreOptions<K, V>) {
    super({ ...options, valueSerde: valueAndTimestampSerde(options.valueSerde) });
  }

  // As in Kafka, the changelog holds the plain value with its timestamp as the record's, so it is
  // interchangeable with a plain window store's changelog.
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

/** `Stores.timestampedWindowStoreBuilder(Stores.persistentTimestampedWindowStore(...))`. */
export function persistentTimestampedWindowStore<K, V>(
  options: PersistentWindowStoreOptions<K, V>,
): WindowedStoreBuilder<PersistentTimestampedWindowStore<K, V>> {
  validate(options);
  return new WindowedStoreBuilder({
    name: options.name,
    retentionMs: options.retentionMs,
    create: () => new PersistentTimestampedWindowStore(options),
  });
}
