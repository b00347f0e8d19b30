// The storage backend: the few file operations the log needs. Two implementations — real files
// (node-files.ts) and memory (memory-files.ts) — so one log implementation, one test suite, and
// simulated faults (full disk, I/O errors, power loss) in tests.

/** An I/O failure of the backend (disk full, EIO, …); the log reports it as KAFKA_STORAGE_ERROR. */
export class StorageIoError extends Error {
  override readonly name = "StorageIoError";
  readonly code: string;
  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

/** One open file, written only at its end. */
export interface LogFile {
  /** Current size in bytes, including appends not yet synced. */
  readonly size: number;
  /** Reads up to `length` bytes at `position`; shorter at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Appends the chunks at the end of the file, in order. On failure the size is unchanged. */
  append(chunks: readonly Uint8Array[]): Promise<void>;
  /** Makes everything appended so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file to `size` bytes. */
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export interface StorageBackend {
  /** A short name for logs and benchmark tables ("files", "memory"). */
  readonly kind: string;
  /** Opens (creating when asked) a file for reading and appending. */
  open(path: string, options: { create: boolean }): Promise<LogFile>;
  exists(path: string): Promise<boolean>;
  /** Names (not paths) of the entries of a directory; empty when it does not exist. */
  list(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  remove(path: string): Promise<void>;
  removeDir(dir: string): Promise<void>;
  /** Renames atomically, replacing `to`. */
  rename(from: string, to: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Replaces a file's content atomically and durably (temp file, sync, rename, sync directory). */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  /** Makes directory entries (creations, renames, removals) durable. */
  syncDir(dir: string): Promise<void>;
  /**
   * Takes an exclusive lock on a data directory (one broker per directory); fails with code
   * ELOCKED when another live process holds it. Returns the release function.
   */
  lock(path: string): Promise<() => Promise<void>>;
}
