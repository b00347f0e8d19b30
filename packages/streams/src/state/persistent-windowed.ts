// What the persistent window and session stores share: their SQLite database and prepared
// statements (opened at init, checked on every use), the observed stream time kept across restarts,
// and TTL-style retention (expired rows hidden at once, deleted in bulk once per purge interval of
// stream time).
import type { DatabaseSync } from "node:sqlite";
import type { StoreContext } from "./store.ts";
import { PersistentDatabase } from "./persistent-database.ts";

/** Rows read per statement of a scan (a scan sees writes made while it runs, chunk by chunk). */
export const SCAN_CHUNK_ROWS = 256;
export const META_OBSERVED_STREAM_TIME = "observed_stream_time_ms";
/** Stream time between two purges of expired rows is half the retention, within these bounds. */
const PURGE_INTERVAL_MS_MIN = 1;
const PURGE_INTERVAL_MS_MAX = 60_000;

/** An open store's database and statements. */
export class WindowedDatabase<S> {
  private readonly storeName: string;
  private readonly purgeIntervalMs: number;
  private database: PersistentDatabase | undefined;
  private statementsOrUndefined: S | undefined;
  /** Rows expiring before this have been deleted. */
  private purgedBeforeMs = Number.MIN_SAFE_INTEGER;

  constructor(storeName: string, retentionMs: number) {
    this.storeName = storeName;
    this.purgeIntervalMs = Math.min(
      PURGE_INTERVAL_MS_MAX,
      Math.max(PURGE_INTERVAL_MS_MIN, Math.floor(retentionMs / 2)),
    );
  }

  /** Opens the store's database (the one table `table`, made by `schema`) and prepares its statements. */
  open(
    context: StoreContext,
    options: { readonly schema: string; readonly table: string; readonly prepare: (db: DatabaseSync) => S },
  ): PersistentDatabase {
    if (this.database !== undefined && !this.database.isClosed) {
      throw new Error(`store ${this.storeName} is already open`);
    }
    const database = new PersistentDatabase({
      storeName: this.storeName,
      stateDir: context.stateDir,
      logged: context.changelog !== undefined,
      schema: options.schema,
      tables: [options.table],
    });
    this.statementsOrUndefined = options.prepare(database.db);
    this.database = database;
    this.purgedBeforeMs = Number.MIN_SAFE_INTEGER;
    return database;
  }

  /** The database, open. */
  get db(): PersistentDatabase {
    if (this.database === undefined || this.database.isClosed) throw new Error(`store ${this.storeName} is not open`);
    return this.database;
  }

  /** The prepared statements of the open database. */
  get statements(): S {
    const statements = this.statementsOrUndefined;
    if (statements === undefined || this.database === undefined || this.database.isClosed) {
      throw new Error(`store ${this.storeName} is not open`);
    }
    return statements;
  }

  /** True when open and logged: the changelog restores writes not committed. */
  get logged(): boolean | undefined {
    return this.database?.logged;
  }

  get isOpen(): boolean {
    return this.database !== undefined && !this.database.isClosed;
  }

  /** True when stream time has moved a purge interval past the last purge (rows before `minLiveMs` have expired). */
  purgeDue(minLiveMs: number): boolean {
    return minLiveMs - this.purgedBeforeMs >= this.purgeIntervalMs;
  }

  purged(minLiveMs: number): void {
    this.purgedBeforeMs = minLiveMs;
  }

  close(): void {
    this.database?.close();
    this.statementsOrUndefined = undefined;
  }
}
