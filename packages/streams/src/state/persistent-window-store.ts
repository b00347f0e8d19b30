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
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { copyBytes } from "../bytes.ts";
import type { ChangelogRecord, KeyValue, StoreContext, Windowed } from "./store.ts";
import { WindowStoreBase, type WindowStoreOptions } from "./window-store-base.ts";
import { valueAndTimestampSerde, windowEndMs, type ValueAndTimestamp } from "./window-key-schema.ts";
import { windowedStoreBuilder, type WindowedStoreBuilder } from "./windowed-store-builder.ts";
import { bytesColumn, chunkedRows, integerColumn } from "./persistent-database.ts";
import type { Row } from "./persistent-database.ts";
import { META_OBSERVED_STREAM_TIME, SCAN_CHUNK_ROWS, WindowedDatabase } from "./persistent-windowed.ts";

/** Writes held in memory before they go to SQLite: at most this many, of at most this many bytes. */
const PENDING_WRITES_MAX = 10_000;
const PENDING_BYTES_MAX = 4 * 1024 * 1024;

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

const META_SEQNUM = "seqnum";

/** The in-memory window store's options, so `Stores` can pick either kind with the same ones. */
export type PersistentWindowStoreOptions<K, V> = WindowStoreOptions<K, V>;

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

export class PersistentWindowStore<K, V> extends WindowStoreBase<K, V> {
  readonly persistent = true;
  private readonly store: WindowedDatabase<WindowStatements>;
  /** Writes not yet in SQLite: window start → key id → write (never with duplicates). */
  private readonly pending = new Map<number, Map<string, PendingWrite>>();
  private pendingCount = 0;
  private pendingBytes = 0;

  constructor(options: PersistentWindowStoreOptions<K, V>, timestamped = false) {
    super(options, timestamped);
    this.store = new WindowedDatabase(options.name, options.retentionMs);
  }

  override init(context: StoreContext): void {
    const database = this.store.open(context, { schema: SCHEMA, table: "windows", prepare: prepareStatements });
    super.init(context);
    this.observedStreamTimeMs = database.readMeta(META_OBSERVED_STREAM_TIME) ?? -1;
    this.seqnum = database.readMeta(META_SEQNUM) ?? 0;
    this.clearPending();
    database.beforeCommit = () => {
      database.writeMeta(META_OBSERVED_STREAM_TIME, this.observedStreamTimeMs);
      if (this.retainDuplicates) database.writeMeta(META_SEQNUM, this.seqnum);
    };
  }

  fetch(key: K, windowStartMs: number): V | undefined {
    const statements = this.store.statements;
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

  override restore(records: readonly ChangelogRecord[]): void {
    const database = this.store.db;
    super.restore(records);
    this.writePending();
    database.restored();
  }

  restoredOffset(): number | undefined {
    return this.store.db.restoredOffset();
  }

  checkpoint(changelogOffset: number): void {
    this.writePending();
    this.store.db.checkpoint(changelogOffset);
  }

  flush(): void {
    this.writePending();
    this.store.db.flush();
  }

  close(): void {
    // An unlogged store commits what it has; a logged one drops writes its changelog restores.
    if (this.store.logged === false && this.store.isOpen) this.writePending();
    this.clearPending();
    this.store.close();
    this.forgetLastKey();
  }

  protected restoredSeqnum(logged: number): number {
    // New puts continue the restored sequence, so they never overwrite a restored duplicate.
    this.seqnum = logged;
    return logged;
  }

  /** Windows starting before this have expired. */
  private minLiveMs(): number {
    return this.observedStreamTimeMs - this.retentionMs + 1;
  }

  protected applyPut(
    keyBytes: Uint8Array,
    valueBytes: Uint8Array | null,
    windowStartMs: number,
    seqnum: number,
  ): boolean {
    const statements = this.store.statements;
    const database = this.store.db;
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
    const statements = this.store.statements;
    this.store.db.beginWrite();
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
    if (!this.store.purgeDue(minLiveMs)) return;
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
    this.store.purged(minLiveMs);
  }

  protected fetchKey(key: K, fromMs: number, toMs: number, forward: boolean): KeyValue<Windowed<K>, V>[] {
    const statements = this.store.statements;
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

  protected *scan(fromMs: number, toMs: number, forward: boolean): Generator<KeyValue<Windowed<K>, V>> {
    const statements = this.store.statements;
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
}

function prepareStatements(db: DatabaseSync): WindowStatements {
  const columns = "SELECT k, start_ms, seq, v FROM windows WHERE";
  const forward = `ORDER BY start_ms, k, seq LIMIT ${SCAN_CHUNK_ROWS}`;
  const backward = `ORDER BY start_ms DESC, k DESC, seq DESC LIMIT ${SCAN_CHUNK_ROWS}`;
  return {
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
}

/**
 * `Stores.persistentWindowStore(...)`: Kafka's `Stores.windowStoreBuilder(Stores.
 * persistentWindowStore(name, retention, windowSize, retainDuplicates), keySerde, valueSerde)`,
 * with the in-memory window store's options; logged unless `.withLoggingDisabled()`.
 */
export function persistentWindowStore<K, V>(
  options: PersistentWindowStoreOptions<K, V>,
): WindowedStoreBuilder<PersistentWindowStore<K, V>> {
  return windowedStoreBuilder(options, () => new PersistentWindowStore(options));
}

/** A persistent window store of ValueAndTimestamp values (Kafka's timestamped RocksDB window store). */
export class PersistentTimestampedWindowStore<K, V> extends PersistentWindowStore<K, ValueAndTimestamp<V>> {
  constructor(options: PersistentWindowStoreOptions<K, V>) {
    super({ ...options, valueSerde: valueAndTimestampSerde(options.valueSerde) }, true);
  }
}

/** `Stores.timestampedWindowStoreBuilder(Stores.persistentTimestampedWindowStore(...))`. */
export function persistentTimestampedWindowStore<K, V>(
  options: PersistentWindowStoreOptions<K, V>,
): WindowedStoreBuilder<PersistentTimestampedWindowStore<K, V>> {
  return windowedStoreBuilder(options, () => new PersistentTimestampedWindowStore(options));
}
