// Exclusive locks for persistent state: each store's SQLite file is opened in SQLite's EXCLUSIVE
// locking mode, and a task directory can be locked as a whole through a `.lock` file of its own.
// SQLite's locks are the operating system's (POSIX advisory locks, plus SQLite's own per-process
// table so two connections in one process exclude each other too): the kernel drops them when the
// process dies, so a crashed instance never leaves a stale lock behind and no pid guessing is needed.
import type * as NodeSqlite from "node:sqlite";
import type { DatabaseSync } from "node:sqlite";
import { join } from "node:path";

/** Another instance (in this process or another) holds the store or task directory. */
export class StateDirectoryLockedError extends Error {
  readonly code = "STATE_DIRECTORY_LOCKED";
  /** The holder may release it soon (a rebalance in progress): try again later. */
  readonly retriable = true;
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(`${path} is locked by another instance`, { cause });
    this.name = "StateDirectoryLockedError";
    this.path = path;
  }
}

type SqliteModule = typeof NodeSqlite;
let sqliteModule: SqliteModule | undefined;

/**
 * node:sqlite, loaded on first use rather than at import, so applications that use no persistent
 * store never load it (Node 22 prints an ExperimentalWarning when it loads; Node 26 does not).
 */
export function sqlite(): SqliteModule {
  sqliteModule ??= process.getBuiltinModule("node:sqlite");
  return sqliteModule;
}

function isBusy(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const errcode = (error as { errcode?: unknown }).errcode;
  // SQLITE_BUSY (5), SQLITE_LOCKED (6); older node:sqlite versions only say it in the message.
  return (
    errcode === 5 || errcode === 6 || (error instanceof Error && /database (table )?is locked/.test(error.message))
  );
}

/**
 * Opens `path` (":memory:" for none) as a SQLite database in WAL mode with EXCLUSIVE locking, and
 * takes the exclusive lock at once (an empty write transaction) instead of at the first write.
 */
export function openLockedDatabase(path: string): DatabaseSync {
  const db = new (sqlite().DatabaseSync)(path);
  try {
    // No busy timeout: a held lock fails at once, and the caller (the runtime) decides when to retry.
    db.exec("PRAGMA busy_timeout = 0");
    // EXCLUSIVE locking first: WAL then keeps its index in heap memory (no -shm file) and the lock
    // is held from the first transaction until close.
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("COMMIT");
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new StateDirectoryLockedError(path, error);
    throw error;
  }
  return db;
}

export interface StateDirectoryLock {
  readonly dir: string;
  release(): void;
}

/**
 * Locks a task's state directory for this instance (Kafka's StateDirectory.lock): throws
 * StateDirectoryLockedError while another instance holds it. The lock file `.lock` stays in the
 * directory; only the lock on it matters.
 */
export function lockStateDirectory(dir: string): StateDirectoryLock {
  const db = openLockedDatabase(join(dir, ".lock"));
  let released = false;
  return {
    dir,
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
