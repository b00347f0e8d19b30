// A bounded pool of open files: many partitions × segments must not exhaust file descriptors.
// Files in use are pinned; idle ones are closed least-recently-used first when over the limit.
import type { LogFile, StorageBackend } from "./backend.ts";

interface Entry {
  path: string;
  file: Promise<LogFile>;
  users: number;
}

export class FilePool {
  private readonly backend: StorageBackend;
  private readonly openFilesMax: number;
  /** Insertion order is recency order: the first idle entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: { backend: StorageBackend; openFilesMax: number }) {
    if (options.openFilesMax < 1) throw new RangeError("openFilesMax must be at least 1");
    this.backend = options.backend;
    this.openFilesMax = options.openFilesMax;
  }

  get openCount(): number {
    return this.entries.size;
  }

  /** Runs `use` with the file open, creating it if asked; the file stays pinned meanwhile. */
  async with<T>(path: string, options: { create: boolean }, use: (file: LogFile) => Promise<T>): Promise<T> {
    let entry = this.entries.get(path);
    if (entry === undefined) {
      entry = { path, file: this.backend.open(path, options), users: 0 };
      this.entries.set(path, entry);
      entry.file.catch(() => {
        if (this.entries.get(path) === entry) this.entries.delete(path);
      });
    } else {
      // Touch: move to the most recently used end.
      this.entries.delete(path);
      this.entries.set(path, entry);
    }
    entry.users++;
    try {
      const file = await entry.file;
      return await use(file);
    } finally {
      entry.users--;
      await this.evict();
    }
  }

  /** Closes a file now (before deleting or replacing it). */
  async close(path: string): Promise<void> {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    const file = await entry.file.catch(() => undefined);
    await file?.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => (await e.file.catch(() => undefined))?.close()));
  }

  private async evict(): Promise<void> {
    if (this.entries.size <= this.openFilesMax) return;
    const closing: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      if (this.entries.size - closing.length <= this.openFilesMax) break;
      if (entry.users > 0) continue;
      this.entries.delete(entry.path);
      closing.push(entry.file.then((f) => f.close()).catch(() => undefined));
    }
    await Promise.all(closing);
  }
}
