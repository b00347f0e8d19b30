// The persistent session store (Kafka's RocksDBSessionStore plus its change-logging layer, on
// SQLite): session aggregates by key bytes, session end and start (Kafka's session key), with an
// index by session end for scans across keys and for retention. Semantics are the in-memory session
// store's: retention measured from the observed stream time (the largest session end put), sessions
// of a key by end then start descending, the same changelog bytes. Expired sessions are hidden from
// reads at once and deleted in bulk as stream time moves on (one DELETE per purge interval).
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { KeyValue, ChangelogRecord, StoreContext, Windowed } from "./store.ts";
import { SessionStoreBase, type SessionStoreOptions } from "./session-store-base.ts";
import { windowedStoreBuilder, type WindowedStoreBuilder } from "./windowed-store-builder.ts";
import { bytesColumn, chunkedRows, integerColumn } from "./persistent-database.ts";
import type { Row } from "./persistent-database.ts";
import { META_OBSERVED_STREAM_TIME, SCAN_CHUNK_ROWS, WindowedDatabase } from "./persistent-windowed.ts";

// Start descending within a key and end: the order Kafka's session stores return.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (
    k BLOB NOT NULL, end_ms INTEGER NOT NULL, start_ms INTEGER NOT NULL, v BLOB NOT NULL,
    PRIMARY KEY (k, end_ms, start_ms DESC)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS sessions_by_end ON sessions (end_ms, k, start_ms DESC);`;

/** The in-memory session store's options, so `Stores` can pick either kind with the same ones. */
export type PersistentSessionStoreOptions<K, V> = SessionStoreOptions<K, V>;

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

export class PersistentSessionStore<K, V> extends SessionStoreBase<K, V> {
  readonly persistent = true;
  private readonly store: WindowedDatabase<SessionStatements>;

  constructor(options: PersistentSessionStoreOptions<K, V>) {
    super(options);
    this.store = new WindowedDatabase(options.name, options.retentionMs);
  }

  override init(context: StoreContext): void {
    const database = this.store.open(context, { schema: SCHEMA, table: "sessions", prepare: prepareStatements });
    super.init(context);
    this.observedStreamTimeMs = database.readMeta(META_OBSERVED_STREAM_TIME) ?? -1;
    database.beforeCommit = () => database.writeMeta(META_OBSERVED_STREAM_TIME, this.observedStreamTimeMs);
  }

  fetchSession(key: K, startMs: number, endMs: number): V | undefined {
    const statements = this.store.statements;
    if (endMs < this.minLiveMs()) return undefined;
    const row = statements.get.get(this.keySerde.serialize(key, this.serdeContext), endMs, startMs);
    return row === undefined ? undefined : this.valueSerde.deserialize(bytesColumn(row, "v"), this.serdeContext);
  }

  override restore(records: readonly ChangelogRecord[]): void {
    const database = this.store.db;
    super.restore(records);
    database.restored();
  }

  restoredOffset(): number | undefined {
    return this.store.db.restoredOffset();
  }

  checkpoint(changelogOffset: number): void {
    this.store.db.checkpoint(changelogOffset);
  }

  flush(): void {
    this.store.db.flush();
  }

  close(): void {
    this.store.close();
  }

  private minLiveMs(): number {
    return this.observedStreamTimeMs - this.retentionMs + 1;
  }

  protected applyPut(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array): boolean {
    const statements = this.store.statements;
    const database = this.store.db;
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, endMs);
    const minLiveMs = this.minLiveMs();
    if (endMs < minLiveMs) {
      this.expiredDropped += 1;
      return false;
    }
    database.beginWrite();
    if (this.store.purgeDue(minLiveMs)) {
      statements.purge.run(minLiveMs);
      this.store.purged(minLiveMs);
    }
    statements.put.run(keyBytes, endMs, startMs, valueBytes);
    return true;
  }

  protected applyRemove(keyBytes: Uint8Array, startMs: number, endMs: number): void {
    const statements = this.store.statements;
    this.store.db.beginWrite();
    statements.delete.run(keyBytes, endMs, startMs);
  }

  protected findKeySessions(
    key: K,
    earliestEndMs: number,
    latestStartMs: number,
    forward: boolean,
  ): KeyValue<Windowed<K>, V>[] {
    const statements = this.store.statements;
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

  protected *scanByEnd(earliestEndMs: number, latestEndMs: number): Generator<KeyValue<Windowed<K>, V>> {
    const statements = this.store.statements;
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
}

function prepareStatements(db: DatabaseSync): SessionStatements {
  const columns = "SELECT k, end_ms, start_ms, v FROM sessions WHERE";
  const order = `ORDER BY end_ms, k, start_ms DESC LIMIT ${SCAN_CHUNK_ROWS}`;
  return {
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
}

/**
 * `Stores.persistentSessionStore(...)`: Kafka's `Stores.sessionStoreBuilder(Stores.
 * persistentSessionStore(name, retention), keySerde, valueSerde)`, with the in-memory session
 * store's options; logged unless `.withLoggingDisabled()`.
 */
export function persistentSessionStore<K, V>(
  options: PersistentSessionStoreOptions<K, V>,
): WindowedStoreBuilder<PersistentSessionStore<K, V>> {
  return windowedStoreBuilder(options, () => new PersistentSessionStore(options));
}
