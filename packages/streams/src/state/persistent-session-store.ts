// The persistent session store (Kafka's RocksDBSessionStore plus its change-logging layer, on
// SQLite): session aggregates by key bytes, session end and start (Kafka's session key), with an
// index by session end for scans across keys and for retention. Semantics are the in-memory session
// store's: retention measured from the observed stream time (the largest session end put), sessions
// of a key by end then start descending, the same changelog bytes. Expired sessions are hidden from
// reads at once and deleted in bulk as stream time moves on (one DELETE per purge interval).
import type { StatementSync } from "node:sqlite";
import type { Serde, SerdeContext } from "../serdes.ts";
import type { ChangelogRecord, ChangelogSink, KeyValue, StoreContext, Windowed } from "./store.ts";
import type { InMemorySessionStoreOptions, TimeOrderedSessionStore } from "./in-memory-session-store.ts";
import { WindowedStoreBuilder } from "./in-memory-window-store.ts";
import { parseSessionKey, sessionKeyBytes } from "./window-key-schema.ts";
import { bytesColumn, chunkedRows, integerColumn, PersistentDatabase } from "./persistent-database.ts";
import type { Row } from "./persistent-database.ts";

const SCAN_CHUNK_ROWS = 256;
const PURGE_INTERVAL_MS_MIN = 1;
const PURGE_INTERVAL_MS_MAX = 60_000;

// Start descending within a key and end: the order Kafka's session stores return.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (
    k BLOB NOT NULL, end_ms INTEGER NOT NULL, start_ms INTEGER NOT NULL, v BLOB NOT NULL,
    PRIMARY KEY (k, end_ms, start_ms DESC)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS sessions_by_end ON sessions (end_ms, k, start_ms DESC);`;

const META_OBSERVED_STREAM_TIME = "observed_stream_time_ms";

/** The in-memory session store's options, so `Stores` can pick either kind with the same ones. */
export type PersistentSessionStoreOptions<K, V> = InMemorySessionStoreOptions<K, V>;

interface SessionStatements {
  readonly get: StatementSync;
  readonly put: StatementSync;
  readonly delete: StatementSync;
  readonly purge: StatementSync;
  readonly findKey: StatementSync;
  readonly backwardFindKey: StatementSync;
  readonly byEndFirst: StatementSync;
  readonly byEndNext: StatementSync;
}

function validate(options: PersistentSessionStoreOptions<unknown, unknown>): void {
  if (!Number.isSafeInteger(options.retentionMs) || options.retentionMs < 0) {
    throw new RangeError(`retentionMs must be a non-negative integer, got ${options.retentionMs}`);
  }
}

export class PersistentSessionStore<K, V> implements TimeOrderedSessionStore<K, V> {
  readonly name: string;
  readonly persistent = true;
  readonly retentionMs: number;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly purgeIntervalMs: number;
  private serdeContext: SerdeContext;
  private changelog: ChangelogSink | undefined;
  private recordTimestampMs: (() => number) | undefined;
  private database: PersistentDatabase | undefined;
  private statements: SessionStatements | undefined;
  private observedStreamTimeMs = -1;
  private purgedBeforeMs = Number.MIN_SAFE_INTEGER;
  private expiredDropped = 0;

  constructor(options: PersistentSessionStoreOptions<K, V>) {
    validate(options);
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
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
      tables: ["sessions"],
    });
    const db = database.db;
    const columns = "SELECT k, end_ms, start_ms, v FROM sessions WHERE";
    const order = `ORDER BY end_ms, k, start_ms DESC LIMIT ${SCAN_CHUNK_ROWS}`;
    this.statements = {
      get: db.prepare("SELECT v FROM sessions WHERE k = ? AND end_ms = ? AND start_ms = ?"),
      put: db.prepare(
        "INSERT INTO sessions (k, end_ms, start_ms, v) VALUES (?, ?, ?, ?) ON CONFLICT (k, end_ms, start_ms) DO UPDATE SET v = excluded.v",
      ),
      delete: db.prepare("DELETE FROM sessions WHERE k = ? AND end_ms = ? AND start_ms = ?"),
      purge: db.prepare("DELETE FROM sessions WHERE end_ms < ?"),
      findKey: db.prepare(
        "SELECT end_ms, start_ms, v FROM sessions WHERE k = ? AND end_ms >= ? AND start_ms <= ? ORDER BY end_ms, start_ms DESC",
      ),
      backwardFindKey: db.prepare(
        "SELECT end_ms, start_ms, v FROM sessions WHERE k = ? AND end_ms >= ? AND start_ms <= ? ORDER BY end_ms DESC, start_ms",
      ),
      byEndFirst: db.prepare(`${columns} end_ms >= ? AND end_ms <= ? ${order}`),
      // After the cursor row (end, key, start) in (end, key, start descending) order.
      byEndNext: db.prepare(
        `${columns} (end_ms, k) >= (?, ?) AND NOT (end_ms = ? AND k = ? AND start_ms >= ?) AND end_ms <= ? ${order}`,
      ),
    };
    this.database = database;
    this.observedStreamTimeMs = database.readMeta(META_OBSERVED_STREAM_TIME) ?? -1;
    this.purgedBeforeMs = Number.MIN_SAFE_INTEGER;
    database.beforeCommit = () => database.writeMeta(META_OBSERVED_STREAM_TIME, this.observedStreamTimeMs);
  }

  /** Sessions dropped because they had already expired when put (Kafka's dropped-records sensor). */
  get expiredRecordsDropped(): number {
    return this.expiredDropped;
  }

  /** The largest session end put so far (-1 before any): what retention is measured from; kept across restarts. */
  get observedStreamTime(): number {
    return this.observedStreamTimeMs;
  }

  put(session: Windowed<K>, value: V): void {
    const keyBytes = this.keySerde.serialize(session.key, this.serdeContext);
    const valueBytes = this.valueSerde.serialize(value, this.serdeContext);
    const { startMs, endMs } = session.window;
    // Logged even when dropped as expired, as Kafka's logging layer does (a restore drops it again).
    this.applyPut(keyBytes, startMs, endMs, valueBytes);
    this.log(keyBytes, startMs, endMs, valueBytes);
  }

  remove(session: Windowed<K>): void {
    const keyBytes = this.keySerde.serialize(session.key, this.serdeContext);
    this.applyRemove(keyBytes, session.window.startMs, session.window.endMs);
    this.log(keyBytes, session.window.startMs, session.window.endMs, null);
  }

  fetchSession(key: K, startMs: number, endMs: number): V | undefined {
    const statements = this.prepared();
    if (endMs < this.minLiveMs()) return undefined;
    const row = statements.get.get(this.keySerde.serialize(key, this.serdeContext), endMs, startMs);
    return row === undefined ? undefined : this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext);
  }

  /** Sessions of `key` ending at or after `earliestEndMs` and starting at or before `latestStartMs`: by end, then start descending. */
  findSessions(key: K, earliestEndMs: number, latestStartMs: number): KeyValue<Windowed<K>, V>[] {
    return this.findKeySessions(key, earliestEndMs, latestStartMs, true);
  }

  backwardFindSessions(key: K, earliestEndMs: number, latestStartMs: number): KeyValue<Windowed<K>, V>[] {
    return this.findKeySessions(key, earliestEndMs, latestStartMs, false);
  }

  /** Every session of `key`. */
  fetch(key: K): KeyValue<Windowed<K>, V>[] {
    return this.findKeySessions(key, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  }

  /** Sessions of every key ending in [earliestEndMs, latestEndMs]: by end, then key bytes, then start descending. */
  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scanByEnd(earliestEndMs, latestEndMs);
  }

  /** Every session, by end, then key bytes, then start descending. */
  all(): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scanByEnd(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  restore(records: readonly ChangelogRecord[]): void {
    const database = this.open();
    for (const record of records) {
      const parsed = parseSessionKey(record.key);
      if (record.value === null) this.applyRemove(parsed.keyBytes, parsed.startMs, parsed.endMs);
      else this.applyPut(parsed.keyBytes, parsed.startMs, parsed.endMs, record.value);
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

  private minLiveMs(): number {
    return this.observedStreamTimeMs - this.retentionMs + 1;
  }

  private log(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array | null): void {
    if (this.changelog === undefined) return;
    this.changelog({
      key: sessionKeyBytes(keyBytes, startMs, endMs),
      value: valueBytes,
      // Kafka stamps the timestamp of the record being processed; outside a task, the session end.
      timestampMs: this.recordTimestampMs?.() ?? endMs,
    });
  }

  /** Applies a put; false when dropped because the session had expired. */
  private applyPut(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array): boolean {
    const statements = this.prepared();
    const database = this.open();
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, endMs);
    if (endMs < this.minLiveMs()) {
      this.expiredDropped += 1;
      return false;
    }
    database.beginWrite();
    this.purgeExpired(statements);
    statements.put.run(keyBytes, endMs, startMs, valueBytes);
    return true;
  }

  private applyRemove(keyBytes: Uint8Array, startMs: number, endMs: number): void {
    const statements = this.prepared();
    this.open().beginWrite();
    statements.delete.run(keyBytes, endMs, startMs);
  }

  private purgeExpired(statements: SessionStatements): void {
    const minLiveMs = this.minLiveMs();
    if (minLiveMs - this.purgedBeforeMs < this.purgeIntervalMs) return;
    statements.purge.run(minLiveMs);
    this.purgedBeforeMs = minLiveMs;
  }

  private findKeySessions(
    key: K,
    earliestEndMs: number,
    latestStartMs: number,
    forward: boolean,
  ): KeyValue<Windowed<K>, V>[] {
    const statements = this.prepared();
    const keyBytes = this.keySerde.serialize(key, this.serdeContext);
    const statement = forward ? statements.findKey : statements.backwardFindKey;
    const rows = statement.all(keyBytes, Math.max(earliestEndMs, this.minLiveMs()), latestStartMs);
    if (rows.length === 0) return [];
    // Every row has the same key bytes: deserialize them once (a fresh key, never the caller's object).
    const storedKey = this.keySerde.deserialize(keyBytes, this.serdeContext);
    return rows.map((row) => ({
      key: { key: storedKey, window: { startMs: integerColumn(row, "start_ms"), endMs: integerColumn(row, "end_ms") } },
      value: this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext),
    }));
  }

  private *scanByEnd(earliestEndMs: number, latestEndMs: number): Generator<KeyValue<Windowed<K>, V>> {
    const statements = this.prepared();
    const minMs = Math.max(earliestEndMs, this.minLiveMs());
    if (latestEndMs < minMs) return;
    const rows = chunkedRows(SCAN_CHUNK_ROWS, (after: Row | undefined) => {
      if (after === undefined) return statements.byEndFirst.all(minMs, latestEndMs);
      const endMs = integerColumn(after, "end_ms");
      const keyBytes = bytesColumn(after, "k");
      return statements.byEndNext.all(endMs, keyBytes, endMs, keyBytes, integerColumn(after, "start_ms"), latestEndMs);
    });
    for (const row of rows) {
      yield {
        key: {
          key: this.keySerde.deserialize(bytesColumn(row, "k"), this.serdeContext),
          window: { startMs: integerColumn(row, "start_ms"), endMs: integerColumn(row, "end_ms") },
        },
        value: this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext),
      };
    }
  }

  private open(): PersistentDatabase {
    if (this.database === undefined || this.database.isClosed) throw new Error(`store ${this.name} is not open`);
    return this.database;
  }

  private prepared(): SessionStatements {
    this.open();
    if (this.statements === undefined) throw new Error(`store ${this.name} is not open`);
    return this.statements;
  }
}

/**
 * `Stores.persistentSessionStore(...)`: Kafka's `Stores.sessionStoreBuilder(Stores.
 * persistentSessionStore(name, retention), keySerde, valueSerde)`, with the in-memory session
 * store's options; logged unless `.withLoggingDisabled()`.
 */
export function persistentSessionStore<K, V>(
  options: PersistentSessionStoreOptions<K, V>,
): WindowedStoreBuilder<PersistentSessionStore<K, V>> {
  validate(options); // when the topology is built
  return new WindowedStoreBuilder({
    name: options.name,
    retentionMs: options.retentionMs,
    create: () => new PersistentSessionStore(options),
  });
}
