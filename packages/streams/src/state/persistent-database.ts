// What every persistent store shares: its SQLite file in the task's state directory (locked for
// this instance), the one write transaction it keeps open between commits, its checkpoint file,
// and the rule that decides when local writes become durable:
//
// - Logged stores commit local writes only in checkpoint(), which the runtime calls once the
//   changelog records up to the checkpointed offset are acknowledged. The local files therefore
//   never hold a change the changelog may not have; uncommitted writes stay in SQLite's open
//   transaction (which spills to the WAL past its cache, so memory stays bounded) and vanish on a
//   crash or close, to come back from the changelog tail.
// - Unlogged stores have nothing to restore from: they commit at flush() (and close()).
//
// Order at a checkpoint: the data and a copy of the offset commit in one SQLite transaction
// (synchronous=FULL: durable), then the checkpoint file is replaced atomically. A crash between
// the two leaves local data ahead of the file's offset, but only with changes the changelog has,
// which restoring the tail from the file's offset applies again, idempotently. Local state that
// cannot be trusted (no checkpoint file, or a database that does not reflect it) is dropped, so
// the runtime restores the whole changelog into an empty store.
import type { DatabaseSync, SQLOutputValue, StatementSync } from "node:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { readCheckpointFile, removeCheckpointFile, writeCheckpointFile } from "./checkpoint.ts";
import { openLockedDatabase } from "./persistent-lock.ts";

/** Kafka's legal store (and so changelog topic) name characters: safe as a file name too. */
const STORE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** SQLite page cache per store; a larger open transaction spills to the WAL instead of growing memory. */
const CACHE_KIB = 8 * 1024;
/** The WAL is truncated back to this size after SQLite checkpoints it. */
const WAL_BYTES_MAX = 64 * 1024 * 1024;

/** Meta row holding a copy of the checkpointed offset, committed with the data it describes. */
const META_CHECKPOINT = "checkpoint_offset";

export interface PersistentDatabaseOptions {
  readonly storeName: string;
  /** The task's state directory; undefined: the database lives in memory (in-memory runs, tests). */
  readonly stateDir: string | undefined;
  /** Logged stores commit at checkpoint(); unlogged ones at flush(). */
  readonly logged: boolean;
  /** Creates the store's tables and indexes when missing (`CREATE … IF NOT EXISTS`). */
  readonly schema: string;
  /** The store's tables, dropped and recreated when the local state cannot be trusted. */
  readonly tables: readonly string[];
}

/** Where a store keeps its files in the task's state directory. */
export function persistentStorePaths(stateDir: string, storeName: string): { database: string; checkpoint: string } {
  return { database: join(stateDir, `${storeName}.sqlite`), checkpoint: join(stateDir, `${storeName}.checkpoint`) };
}

export class PersistentDatabase {
  readonly db: DatabaseSync;
  readonly logged: boolean;
  /** Called inside the open transaction just before it commits (stores save their meta rows there). */
  beforeCommit: (() => void) | undefined;
  private readonly checkpointPath: string | undefined;
  private checkpointedOffset: number | undefined;
  private inTransaction = false;
  private closed = false;
  private readonly readMetaStatement: StatementSync;
  private readonly writeMetaStatement: StatementSync;

  constructor(options: PersistentDatabaseOptions) {
    if (!STORE_NAME.test(options.storeName)) {
      throw new RangeError(`store name ${JSON.stringify(options.storeName)} must match ${STORE_NAME.source}`);
    }
    this.logged = options.logged;
    let databasePath = ":memory:";
    let existed = false;
    if (options.stateDir !== undefined) {
      mkdirSync(options.stateDir, { recursive: true });
      const paths = persistentStorePaths(options.stateDir, options.storeName);
      databasePath = paths.database;
      this.checkpointPath = paths.checkpoint;
      existed = existsSync(databasePath);
    }
    this.db = openLockedDatabase(databasePath);
    try {
      this.db.exec(
        `PRAGMA synchronous = FULL; PRAGMA cache_size = -${CACHE_KIB}; PRAGMA journal_size_limit = ${WAL_BYTES_MAX}`,
      );
      this.db.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID");
      this.db.exec(options.schema);
      this.readMetaStatement = this.db.prepare("SELECT value FROM meta WHERE name = ?");
      this.writeMetaStatement = this.db.prepare(
        "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      );
      const fileOffset = this.checkpointPath === undefined ? undefined : readCheckpointFile(this.checkpointPath);
      const committedOffset = this.readMeta(META_CHECKPOINT);
      // The data must reflect at least the file's offset (it commits first); anything else means
      // the database was lost, replaced or never checkpointed.
      const trusted =
        fileOffset !== undefined && existed && committedOffset !== undefined && committedOffset >= fileOffset;
      if (trusted) this.checkpointedOffset = fileOffset;
      else if (this.logged || !existed) this.dropLocalState(options);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Opens the write transaction if none is open: called before every write. */
  beginWrite(): void {
    this.assertOpen();
    if (this.inTransaction) return;
    this.db.exec("BEGIN");
    this.inTransaction = true;
  }

  /** Commits the open transaction, if any (durably: synchronous=FULL). */
  commit(): void {
    this.assertOpen();
    if (!this.inTransaction) return;
    this.beforeCommit?.();
    this.db.exec("COMMIT");
    this.inTransaction = false;
  }

  /** Drops the writes of the open transaction, if any. */
  rollback(): void {
    if (!this.inTransaction) return;
    this.db.exec("ROLLBACK");
    this.inTransaction = false;
  }

  readMeta(name: string): number | undefined {
    const row = this.readMetaStatement.get(name);
    return row === undefined ? undefined : integerColumn(row, "value");
  }

  /** Writes a meta row in the open transaction. */
  writeMeta(name: string, value: number): void {
    this.beginWrite();
    this.writeMetaStatement.run(name, value);
  }

  /** Restored records are on the changelog by definition: commit them (a crash keeps them, and restore re-applies the tail). */
  restored(): void {
    this.commit();
  }

  restoredOffset(): number | undefined {
    return this.checkpointedOffset;
  }

  checkpoint(changelogOffset: number): void {
    this.assertOpen();
    if (!Number.isSafeInteger(changelogOffset) || changelogOffset < 0) {
      throw new RangeError(`bad changelog offset ${changelogOffset}`);
    }
    if (!this.inTransaction && changelogOffset === this.checkpointedOffset) return;
    this.writeMeta(META_CHECKPOINT, changelogOffset);
    this.commit();
    if (this.checkpointPath !== undefined) writeCheckpointFile(this.checkpointPath, changelogOffset);
    this.checkpointedOffset = changelogOffset;
  }

  flush(): void {
    if (!this.logged) this.commit();
  }

  close(): void {
    if (this.closed) return;
    try {
      // A logged store's uncheckpointed writes may not be on the changelog: they come back from its tail.
      if (this.logged) this.rollback();
      else this.commit();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the store is closed");
  }

  private dropLocalState(options: PersistentDatabaseOptions): void {
    this.checkpointedOffset = undefined;
    if (this.checkpointPath !== undefined) removeCheckpointFile(this.checkpointPath);
    this.db.exec("BEGIN");
    for (const table of options.tables) this.db.exec(`DROP TABLE IF EXISTS ${table}`);
    this.db.exec("DELETE FROM meta");
    this.db.exec(options.schema);
    this.db.exec("COMMIT");
  }
}

// ---- reading rows (node:sqlite gives each row as a record of column values) ----

export type Row = Record<string, SQLOutputValue>;

export function bytesColumn(row: Row, column: string): Uint8Array {
  const value = row[column];
  if (!(value instanceof Uint8Array)) throw new TypeError(`column ${column} is not a blob`);
  return value;
}

export function integerColumn(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw new TypeError(`column ${column} is not an integer`);
  return value;
}

/** Rows read in chunks of `chunkRows`, each chunk starting after the last row of the one before. */
export function* chunkedRows(chunkRows: number, readChunk: (after: Row | undefined) => Row[]): Generator<Row> {
  let after: Row | undefined;
  for (;;) {
    const rows = readChunk(after);
    yield* rows;
    if (rows.length < chunkRows) return;
    after = rows[rows.length - 1];
  }
}
