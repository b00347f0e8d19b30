// Allocation of producer ids, durable across restarts: ids are reserved in blocks recorded in a
// small file, so a restart never hands out an id that was used before.
import type { StorageBackend } from "./storage/backend.ts";

const blockSize = 1000;

export class ProducerIds {
  private readonly backend: StorageBackend;
  private readonly path: string;
  private next: number;
  private reservedEnd: number;
  private reserving: Promise<void> | undefined;

  private constructor(backend: StorageBackend, path: string, next: number) {
    this.backend = backend;
    this.path = path;
    this.next = next;
    this.reservedEnd = next;
  }

  static async open(options: { backend: StorageBackend; dataDir: string }): Promise<ProducerIds> {
    const path = `${options.dataDir}/producer-ids.json`;
    const bytes = await options.backend.readFile(path);
    let next = 0;
    if (bytes !== undefined) {
      let parsed: { reservedEnd?: unknown };
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes)) as { reservedEnd?: unknown };
      } catch {
        throw new Error(`${path} is corrupt`);
      }
      if (
        typeof parsed.reservedEnd !== "number" ||
        !Number.isSafeInteger(parsed.reservedEnd) ||
        parsed.reservedEnd < 0
      ) {
        throw new Error(`${path} is corrupt`);
      }
      next = parsed.reservedEnd; // ids below were (or may have been) handed out
    }
    return new ProducerIds(options.backend, path, next);
  }

  /** A fresh producer id; reserves (durably) a new block when the current one is used up. */
  async allocate(): Promise<number> {
    while (this.next >= this.reservedEnd) {
      this.reserving ??= this.reserve().finally(() => {
        this.reserving = undefined;
      });
      await this.reserving;
    }
    return this.next++;
  }

  private async reserve(): Promise<void> {
    const end = this.reservedEnd + blockSize;
    await this.backend.writeFileAtomic(
      this.path,
      new TextEncoder().encode(JSON.stringify({ reservedEnd: end }) + "\n"),
    );
    this.reservedEnd = end;
  }
}
