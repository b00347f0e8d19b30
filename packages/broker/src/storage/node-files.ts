// The real-file backend over node:fs/promises. Appends use positional writes at the tracked end,
// so a failed write (e.g. ENOSPC) is rolled back by truncating to the size before it.
import { constants } from "node:fs";
import { open, mkdir, readdir, rename, rm, readFile, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { LogFile, StorageBackend } from "./backend.ts";
import { StorageIoError } from "./backend.ts";

function ioError(what: string, error: unknown): StorageIoError {
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : "EIO";
  return new StorageIoError(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
    code,
    cause: error,
  });
}

class NodeLogFile implements LogFile {
  private readonly handle: FileHandle;
  private readonly path: string;
  size: number;

  constructor(handle: FileHandle, path: string, size: number) {
    this.handle = handle;
    this.path = path;
    this.size = size;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    try {
      while (done < n) {
        const { bytesRead } = await this.handle.read(buf, done, n - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw ioError(`read ${this.path}`, error);
    }
    return done === n ? buf : buf.subarray(0, done);
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    const start = this.size;
    let position = start;
    try {
      const total = chunks.reduce((n, c) => n + c.length, 0);
      let written = 0;
      let pending = chunks.filter((c) => c.length > 0);
      while (written < total) {
        const { bytesWritten } = await this.handle.writev(pending, position);
        written += bytesWritten;
        position += bytesWritten;
        if (written < total) pending = skipBytes(pending, bytesWritten);
      }
      this.size = position;
    } catch (error) {
      // Leave no partial append behind: the log must stay a sequence of whole batches.
      await this.handle.truncate(start).catch(() => undefined);
      throw ioError(`append to ${this.path}`, error);
    }
  }

  async sync(): Promise<void> {
    try {
      await this.handle.datasync();
    } catch (error) {
      throw ioError(`sync ${this.path}`, error);
    }
  }

  async truncate(size: number): Promise<void> {
    try {
      await this.handle.truncate(size);
      this.size = size;
    } catch (error) {
      throw ioError(`truncate ${this.path}`, error);
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM";
  }
}

function skipBytes(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

export class NodeFileBackend implements StorageBackend {
  readonly kind = "files";

  async open(path: string, options: { create: boolean }): Promise<LogFile> {
    try {
      // Not O_APPEND: positional writes at the tracked end let a failed append be rolled back.
      const flags = constants.O_RDWR | (options.create ? constants.O_CREAT : 0);
      const handle = await open(path, flags, 0o644);
      const { size } = await handle.stat();
      return new NodeLogFile(handle, path, size);
    } catch (error) {
      throw ioError(`open ${path}`, error);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (error) {
      if (typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT") return [];
      throw ioError(`list ${dir}`, error);
    }
  }

  async mkdir(dir: string): Promise<void> {
    // Component by component: Node's recursive mkdir never settles for some paths (e.g. under /proc).
    const parts = resolve(dir).split("/").filter(Boolean);
    let path = "";
    for (const part of parts) {
      path += `/${part}`;
      try {
        await mkdir(path);
      } catch (error) {
        const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
        if (code === "EEXIST") {
          const info = await stat(path).catch(() => undefined);
          if (info?.isDirectory() === true) continue;
        }
        throw ioError(`mkdir ${dir}`, error);
      }
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await rm(path, { force: true });
    } catch (error) {
      throw ioError(`remove ${path}`, error);
    }
  }

  async removeDir(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      throw ioError(`remove ${dir}`, error);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await rename(from, to);
    } catch (error) {
      throw ioError(`rename ${from}`, error);
    }
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(path);
    } catch (error) {
      if (typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT") return undefined;
      throw ioError(`read ${path}`, error);
    }
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const temp = join(dirname(path), `.${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.tmp`);
    try {
      const handle = await open(temp, "w");
      try {
        await handle.writeFile(data);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw ioError(`write ${path}`, error);
    }
    await this.syncDir(dirname(path));
  }

  async lock(path: string): Promise<() => Promise<void>> {
    const mine = `${process.pid}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, "wx");
        await handle.writeFile(mine);
        await handle.close();
        return async () => {
          const now = await readFile(path, "utf8").catch(() => "");
          if (now === mine) await rm(path, { force: true });
        };
      } catch (error) {
        const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
        if (code !== "EEXIST") throw ioError(`lock ${path}`, error);
        const holder = Number((await readFile(path, "utf8").catch(() => "")).trim());
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
          throw new StorageIoError(`data directory is in use by process ${holder} (${path})`, { code: "ELOCKED" });
        }
        await rm(path, { force: true }); // a stale lock left by a process that died
      }
    }
    throw new StorageIoError(`cannot lock ${path}`, { code: "ELOCKED" });
  }

  async syncDir(dir: string): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(dir, "r");
      await handle.sync();
    } catch (error) {
      throw ioError(`sync directory ${dir}`, error);
    } finally {
      await handle?.close();
    }
  }
}
