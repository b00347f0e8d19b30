// The in-memory backend: for tests and embedded use. It can also simulate what real disks do
// wrong — a full disk, failing syncs, and power loss (unsynced bytes lost or torn) — so fault
// tests run fast and deterministically.
import type { LogFile, StorageBackend } from "./backend.ts";
import { StorageIoError } from "./backend.ts";

interface FileData {
  bytes: Uint8Array;
  length: number;
  /** Bytes known durable: what survives a simulated power loss. */
  syncedLength: number;
}

/** A change to the simulated disk, as seen by the `beforeChange` hook. */
export interface DiskChange {
  readonly op: "create" | "append" | "sync" | "truncate" | "remove" | "removeDir" | "rename" | "write";
  readonly path: string;
  /** For a rename: the path it renames to. */
  readonly to?: string;
}

export interface MemoryFaults {
  /** Total bytes the "disk" can hold; appends beyond it fail with ENOSPC. */
  capacityBytes?: number;
  /** Every append fails with this code (e.g. "EIO") while set. */
  failAppends?: string;
  /** Every sync fails with EIO while set. */
  failSyncs?: boolean;
  /**
   * Called before each change to the disk takes effect. Throwing fails that call, with no effect.
   * Crash tests use it to fail a step, or to take `afterCrash()` snapshots between any two steps.
   */
  beforeChange?: (change: DiskChange) => void;
}

/** Runs `step`, turning a synchronous exception (such as one from the hook) into a rejection. */
function attempt<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

class MemoryLogFile implements LogFile {
  private readonly backend: MemoryFileBackend;
  private readonly path: string;
  private readonly data: FileData;
  private closed = false;

  constructor(backend: MemoryFileBackend, path: string, data: FileData) {
    this.backend = backend;
    this.path = path;
    this.data = data;
  }

  get size(): number {
    return this.data.length;
  }

  private check(): void {
    if (this.closed) throw new StorageIoError(`${this.path} is closed`, { code: "EBADF" });
  }

  read(position: number, length: number): Promise<Uint8Array> {
    this.check();
    const end = Math.min(this.data.length, position + length);
    return Promise.resolve(this.data.bytes.slice(Math.min(position, end), end));
  }

  append(chunks: readonly Uint8Array[]): Promise<void> {
    return attempt(() => this.appendNow(chunks));
  }

  private appendNow(chunks: readonly Uint8Array[]): void {
    this.check();
    const total = chunks.reduce((n, c) => n + c.length, 0);
    this.backend.change("append", this.path);
    this.backend.reserve(this.path, total);
    const d = this.data;
    if (d.length + total > d.bytes.length) {
      let size = Math.max(1024, d.bytes.length * 2);
      while (size < d.length + total) size *= 2;
      const next = new Uint8Array(size);
      next.set(d.bytes.subarray(0, d.length));
      d.bytes = next;
    }
    for (const c of chunks) {
      d.bytes.set(c, d.length);
      d.length += c.length;
    }
  }

  sync(): Promise<void> {
    return attempt(() => {
      this.check();
      this.backend.change("sync", this.path);
      if (this.backend.faults.failSyncs === true) {
        throw new StorageIoError(`sync ${this.path}: injected failure`, { code: "EIO" });
      }
      this.data.syncedLength = this.data.length;
    });
  }

  truncate(size: number): Promise<void> {
    return attempt(() => {
      this.check();
      this.backend.change("truncate", this.path);
      const d = this.data;
      if (size < d.length) {
        d.length = size;
        d.syncedLength = Math.min(d.syncedLength, size);
      }
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export class MemoryFileBackend implements StorageBackend {
  readonly kind = "memory";
  readonly faults: MemoryFaults;
  private readonly files = new Map<string, FileData>();
  private readonly dirs = new Set<string>(["/"]);
  private readonly locks = new Set<string>();

  constructor(faults: MemoryFaults = {}) {
    this.faults = faults;
  }

  /** Bytes stored in all files. */
  get usedBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.length;
    return n;
  }

  /** Tells the `beforeChange` hook about a change about to happen; its exception fails the change. */
  change(op: DiskChange["op"], path: string, to?: string): void {
    this.faults.beforeChange?.(to === undefined ? { op, path } : { op, path, to });
  }

  /** Called before an append: fails it as a real disk would when out of space or broken. */
  reserve(path: string, bytes: number): void {
    if (this.faults.failAppends !== undefined) {
      throw new StorageIoError(`append to ${path}: injected failure`, { code: this.faults.failAppends });
    }
    const capacity = this.faults.capacityBytes;
    if (capacity !== undefined && this.usedBytes + bytes > capacity) {
      throw new StorageIoError(`append to ${path}: no space left on device`, { code: "ENOSPC" });
    }
  }

  open(path: string, options: { create: boolean }): Promise<LogFile> {
    return attempt(() => {
      let data = this.files.get(path);
      if (data === undefined) {
        if (!options.create) throw new StorageIoError(`open ${path}: no such file`, { code: "ENOENT" });
        if (!this.dirs.has(parentOf(path))) {
          throw new StorageIoError(`open ${path}: no such directory`, { code: "ENOENT" });
        }
        this.change("create", path);
        data = { bytes: new Uint8Array(0), length: 0, syncedLength: 0 };
        this.files.set(path, data);
      }
      return new MemoryLogFile(this, path, data);
    });
  }

  exists(path: string): Promise<boolean> {
    return Promise.resolve(this.files.has(path) || this.dirs.has(path));
  }

  list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p.startsWith(prefix) && p.length > prefix.length) {
        const rest = p.slice(prefix.length);
        names.add(rest.split("/")[0] ?? rest);
      }
    }
    return Promise.resolve([...names].sort());
  }

  mkdir(dir: string): Promise<void> {
    let d = dir;
    while (d !== "/" && d !== "" && !this.dirs.has(d)) {
      this.dirs.add(d);
      d = parentOf(d);
    }
    return Promise.resolve();
  }

  remove(path: string): Promise<void> {
    return attempt(() => {
      if (!this.files.has(path)) return;
      this.change("remove", path);
      this.files.delete(path);
    });
  }

  removeDir(dir: string): Promise<void> {
    return attempt(() => {
      this.change("removeDir", dir);
      const prefix = `${dir}/`;
      for (const p of [...this.files.keys()]) if (p.startsWith(prefix)) this.files.delete(p);
      for (const p of [...this.dirs]) if (p === dir || p.startsWith(prefix)) this.dirs.delete(p);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return attempt(() => {
      const data = this.files.get(from);
      if (data === undefined) throw new StorageIoError(`rename ${from}: no such file`, { code: "ENOENT" });
      this.change("rename", from, to);
      this.files.delete(from);
      this.files.set(to, data);
    });
  }

  readFile(path: string): Promise<Uint8Array | undefined> {
    const data = this.files.get(path);
    return Promise.resolve(data === undefined ? undefined : data.bytes.slice(0, data.length));
  }

  writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    if (!this.dirs.has(parentOf(path))) {
      return Promise.reject(new StorageIoError(`write ${path}: no such directory`, { code: "ENOENT" }));
    }
    const old = this.files.get(path);
    return attempt(() => {
      this.change("write", path);
      this.reserve(path, data.length - (old?.length ?? 0));
      this.files.set(path, { bytes: Uint8Array.from(data), length: data.length, syncedLength: data.length });
    });
  }

  syncDir(): Promise<void> {
    return Promise.resolve();
  }

  lock(path: string): Promise<() => Promise<void>> {
    if (this.locks.has(path)) {
      return Promise.reject(new StorageIoError(`data directory is in use (${path})`, { code: "ELOCKED" }));
    }
    this.locks.add(path);
    return Promise.resolve(() => {
      this.locks.delete(path);
      return Promise.resolve();
    });
  }

  /**
   * The disk as it would be found after a power loss: each file keeps its synced bytes, and of
   * its unsynced tail keeps a prefix chosen by `unsyncedKept` (0 = all lost, 1 = all kept, or a
   * function for torn writes). A kill -9 of the process corresponds to keeping everything.
   */
  afterCrash(options: { unsyncedKept: number | ((path: string, unsyncedBytes: number) => number) }): MemoryFileBackend {
    const next = new MemoryFileBackend({});
    for (const d of this.dirs) next.dirs.add(d);
    for (const [path, f] of this.files) {
      const unsynced = f.length - f.syncedLength;
      const keep =
        typeof options.unsyncedKept === "number"
          ? Math.floor(unsynced * options.unsyncedKept)
          : Math.max(0, Math.min(unsynced, options.unsyncedKept(path, unsynced)));
      const length = f.syncedLength + keep;
      next.files.set(path, { bytes: f.bytes.slice(0, length), length, syncedLength: length });
    }
    return next;
  }
}
