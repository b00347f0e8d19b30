// The persistent key-value store (Kafka's RocksDBStore plus its change-logging layer, on SQLite):
// serialized keys and values in one table ordered by key bytes, every change logged as raw bytes,
// restore from those bytes, durability and crash rules of PersistentDatabase (persistent-database.ts).
// Reads and writes are synchronous; range scans read in chunks, so they see writes made meanwhile.
import type { StatementSync } from "node:sqlite";
import type { Serde, SerdeContext } from "../serdes.ts";
import type { ChangelogRecord, ChangelogSink, KeyValue, KeyValueStore, StoreBuilder, StoreContext } from "./store.ts";
import { keyValueLogging } from "./in-memory-kv-store.ts";
import type { KeyValueStoreOptions } from "./in-memory-kv-store.ts";
import { bytesColumn, chunkedRows, integerColumn, PersistentDatabase } from "./persistent-database.ts";
import type { Row } from "./persistent-database.ts";
import { prependTimestamp, readTimestamp, TIMESTAMP_BYTES } from "./window-key-schema.ts";

/** Rows a range scan reads per query. */
const SCAN_CHUNK_ROWS = 256;

const SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";

/** The in-memory store's options (name, key and value serdes, logging, timestamped), so `Stores` can pick either. */
export type PersistentKeyValueStoreOptions<K, V> = KeyValueStoreOptions<K, V>;

interface KeyValueStatements {
  readonly get: StatementSync;
  readonly put: StatementSync;
  readonly insertIfAbsent: StatementSync;
  readonly delete: StatementSync;
  readonly count: StatementSync;
  /** [first: k ≥ from | next: k > last] × [with upper bound | without]. */
  readonly fromTo: StatementSync;
  readonly afterTo: StatementSync;
  readonly from: StatementSync;
  readonly after: StatementSync;
}

const EMPTY = new Uint8Array(0);

export class PersistentKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  readonly persistent = true;
  /** Values are Kafka's ValueAndTimestamp bytes; the changelog carries the plain value, stamped with the timestamp. */
  readonly timestamped: boolean;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private serdeContext: SerdeContext;
  private changelog: ChangelogSink | undefined;
  private recordTimestampMs: (() => number) | undefined;
  private database: PersistentDatabase | undefined;
  private statements: KeyValueStatements | undefined;

  constructor(options: PersistentKeyValueStoreOptions<K, V>) {
    this.name = options.name;
    this.keySerde = options.key;
    this.valueSerde = options.value;
    this.timestamped = options.timestamped ?? false;
    this.serdeContext = { topic: options.name, headers: [] };
  }

  init(context: StoreContext): void {
    if (this.database !== undefined && !this.database.isClosed) throw new Error(`store ${this.name} is already open`);
    this.changelog = context.changelog;
    this.recordTimestampMs = context.recordTimestampMs;
    // Store serdes see the changelog topic's name, as Kafka's StateSerdes do.
    this.serdeContext = { topic: `${context.applicationId}-${this.name}-changelog`, headers: [] };
    const database = new PersistentDatabase({
      storeName: this.name,
      stateDir: context.stateDir,
      logged: context.changelog !== undefined,
      schema: SCHEMA,
      tables: ["kv"],
    });
    const db = database.db;
    const scan = "SELECT k, v FROM kv WHERE";
    this.statements = {
      get: db.prepare("SELECT v FROM kv WHERE k = ?"),
      put: db.prepare("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"),
      insertIfAbsent: db.prepare("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING"),
      delete: db.prepare("DELETE FROM kv WHERE k = ? RETURNING v"),
      count: db.prepare("SELECT count(*) AS n FROM kv"),
      fromTo: db.prepare(`${scan} k >= ? AND k <= ? ORDER BY k LIMIT ${SCAN_CHUNK_ROWS}`),
      afterTo: db.prepare(`${scan} k > ? AND k <= ? ORDER BY k LIMIT ${SCAN_CHUNK_ROWS}`),
      from: db.prepare(`${scan} k >= ? ORDER BY k LIMIT ${SCAN_CHUNK_ROWS}`),
      after: db.prepare(`${scan} k > ? ORDER BY k LIMIT ${SCAN_CHUNK_ROWS}`),
    };
    this.database = database;
  }

  get(key: K): V | undefined {
    const bytes = this.getBytes(this.serializeKey(key));
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.serdeContext);
  }

  put(key: K, value: V): void {
    const keyBytes = this.serializeKey(key);
    const valueBytes = this.valueSerde.serialize(value, this.serdeContext);
    this.open().beginWrite();
    this.prepared().put.run(keyBytes, valueBytes);
    this.log(keyBytes, valueBytes);
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const keyBytes = this.serializeKey(key);
    const valueBytes = this.valueSerde.serialize(value, this.serdeContext);
    this.open().beginWrite();
    if (this.prepared().insertIfAbsent.run(keyBytes, valueBytes).changes === 0) {
      const existing = this.getBytes(keyBytes);
      return existing === undefined ? undefined : this.valueSerde.deserialize(existing, this.serdeContext);
    }
    this.log(keyBytes, valueBytes);
    return undefined;
  }

  delete(key: K): V | undefined {
    const keyBytes = this.serializeKey(key);
    this.open().beginWrite();
    const row = this.prepared().delete.get(keyBytes);
    // Logged even when absent, as Kafka's change-logging store does.
    this.log(keyBytes, null);
    return row === undefined ? undefined : this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext);
  }

  range(from?: K, to?: K): Iterable<KeyValue<K, V>> {
    const fromBytes = from === undefined ? EMPTY : this.serializeKey(from);
    const toBytes = to === undefined ? undefined : this.serializeKey(to);
    return this.scan(fromBytes, toBytes);
  }

  all(): Iterable<KeyValue<K, V>> {
    return this.scan(EMPTY, undefined);
  }

  /** Exact, by counting rows (SQLite keeps no count): O(entries), for metrics and queries, not per record. */
  approximateNumEntries(): number {
    const row = this.prepared().count.get();
    return row === undefined ? 0 : integerColumn(row, "n");
  }

  restore(records: readonly ChangelogRecord[]): void {
    const statements = this.prepared();
    const database = this.open();
    database.beginWrite();
    for (const record of records) {
      if (record.value === null) statements.delete.get(record.key);
      else
        statements.put.run(
          record.key,
          this.timestamped ? prependTimestamp(record.timestampMs, record.value) : record.value,
        );
    }
    database.restored();
  }

  restoredOffset(): number | undefined {
    return this.open().restoredOffset();
  }

  checkpoint(changelogOffset: number): void {
    this.open().checkpoint(changelogOffset);
  }

  flush(): void {
    this.open().flush();
  }

  close(): void {
    this.database?.close();
    this.statements = undefined;
  }

  private *scan(fromBytes: Uint8Array, toBytes: Uint8Array | undefined): Generator<KeyValue<K, V>> {
    const statements = this.prepared();
    const rows = chunkedRows(SCAN_CHUNK_ROWS, (after: Row | undefined) => {
      if (after === undefined) {
        return toBytes === undefined ? statements.from.all(fromBytes) : statements.fromTo.all(fromBytes, toBytes);
      }
      const last = bytesColumn(after, "k");
      return toBytes === undefined ? statements.after.all(last) : statements.afterTo.all(last, toBytes);
    });
    for (const row of rows) {
      yield {
        key: this.keySerde.deserialize(bytesColumn(row, "k"), this.serdeContext),
        value: this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext),
      };
    }
  }

  private getBytes(keyBytes: Uint8Array): Uint8Array | undefined {
    const row = this.prepared().get.get(keyBytes);
    return row === undefined ? undefined : bytesColumn(row, "v");
  }

  private serializeKey(key: K): Uint8Array {
    return this.keySerde.serialize(key, this.serdeContext);
  }

  private log(key: Uint8Array, value: Uint8Array | null): void {
    if (this.changelog === undefined) return;
    if (this.timestamped && value !== null) {
      this.changelog({ key, value: value.subarray(TIMESTAMP_BYTES), timestampMs: readTimestamp(value) });
    } else {
      // Kafka stamps the timestamp of the record being processed (0 outside a task).
      this.changelog({ key, value, timestampMs: this.recordTimestampMs?.() ?? 0 });
    }
  }

  private open(): PersistentDatabase {
    if (this.database === undefined || this.database.isClosed) throw new Error(`store ${this.name} is not open`);
    return this.database;
  }

  private prepared(): KeyValueStatements {
    this.open();
    if (this.statements === undefined) throw new Error(`store ${this.name} is not open`);
    return this.statements;
  }
}

/**
 * `Stores.persistentKeyValueStore(...)`: Kafka's `Stores.keyValueStoreBuilder(Stores.
 * persistentKeyValueStore(name), keySerde, valueSerde)` in one call, with the in-memory store's
 * options; SQLite files in the task's state directory. Logged to a compacted changelog unless
 * `logging: false`.
 */
export function persistentKeyValueStore<K, V>(
  options: PersistentKeyValueStoreOptions<K, V>,
): StoreBuilder<PersistentKeyValueStore<K, V>> {
  const { logged, changelogConfigs } = keyValueLogging(options.logging);
  return {
    name: options.name,
    logged,
    changelogConfigs,
    build: () => new PersistentKeyValueStore(options),
  };
}
