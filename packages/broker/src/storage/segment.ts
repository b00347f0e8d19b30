// One segment of a partition log: a `.log` file of record batches stored exactly as produced
// (offsets patched in place), named by its base offset, with a sparse offset index and a time
// index kept in memory and saved beside it when the segment is closed.
import { DecodeError, readBatchHeader, validateBatch } from "@samsa/protocol";
import type { RecordBatchHeader } from "@samsa/protocol";
import type { StorageBackend } from "./backend.ts";
import type { FilePool } from "./file-pool.ts";
import { OffsetIndex, TimeIndex } from "./sparse-index.ts";

/** What the log needs to know of each batch it appends. */
export interface BatchInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestampMs: number;
  readonly sizeBytes: number;
}

/** A batch found while scanning a segment. */
export interface ScannedBatch {
  readonly position: number;
  readonly bytes: Uint8Array;
  readonly header: RecordBatchHeader;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

const scanChunkBytes = 1024 * 1024;
const batchLengthMin = 49;

export function segmentFileName(baseOffset: number, suffix: ".log" | ".index" | ".timeindex"): string {
  return `${String(baseOffset).padStart(20, "0")}${suffix}`;
}

/** Base offset of a segment file name, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  private readonly pool: FilePool;
  private readonly backend: StorageBackend;
  private readonly indexIntervalBytes: number;
  /** Bytes of whole batches in the file. */
  sizeBytes: number;
  /** Offset after the last batch. */
  nextOffset: number;
  /** Largest batch max timestamp in the segment, -1 when empty. */
  maxTimestampMs = -1;
  /** When the first batch was appended (for segment.ms rolling); undefined while empty. */
  firstAppendMs: number | undefined;
  private offsetIndex = new OffsetIndex();
  private timeIndex = new TimeIndex();
  private bytesSinceIndexEntry = 0;

  private constructor(options: {
    dir: string;
    baseOffset: number;
    pool: FilePool;
    backend: StorageBackend;
    indexIntervalBytes: number;
  }) {
    this.baseOffset = options.baseOffset;
    this.logPath = `${options.dir}/${segmentFileName(options.baseOffset, ".log")}`;
    this.indexPath = `${options.dir}/${segmentFileName(options.baseOffset, ".index")}`;
    this.timeIndexPath = `${options.dir}/${segmentFileName(options.baseOffset, ".timeindex")}`;
    this.pool = options.pool;
    this.backend = options.backend;
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.sizeBytes = 0;
    this.nextOffset = options.baseOffset;
  }

  static async create(options: {
    dir: string;
    baseOffset: number;
    pool: FilePool;
    backend: StorageBackend;
    indexIntervalBytes: number;
  }): Promise<Segment> {
    const segment = new Segment(options);
    await segment.pool.with(segment.logPath, { create: true }, async (file) => {
      if (file.size > 0) await file.truncate(0);
    });
    await options.backend.remove(segment.indexPath);
    await options.backend.remove(segment.timeIndexPath);
    return segment;
  }

  /**
   * Opens an existing segment. With `validate`, every batch is checked (framing and CRC) and the
   * file is cut at the first torn or corrupt batch; the indexes are rebuilt. Without it the saved
   * indexes are trusted and only the tail after the last index entry is scanned.
   */
  static async open(options: {
    dir: string;
    baseOffset: number;
    pool: FilePool;
    backend: StorageBackend;
    indexIntervalBytes: number;
    validate: boolean;
  }): Promise<{ segment: Segment; truncatedBytes: number }> {
    const segment = new Segment(options);
    const fileBytes = await segment.pool.with(segment.logPath, { create: false }, (file) => Promise.resolve(file.size));
    if (!options.validate && (await segment.loadIndexes(fileBytes))) {
      const truncatedBytes = await segment.rebuildFrom(segment.offsetIndex.lastPosition, fileBytes, false);
      return { segment, truncatedBytes };
    }
    segment.offsetIndex = new OffsetIndex();
    segment.timeIndex = new TimeIndex();
    const truncatedBytes = await segment.rebuildFrom(0, fileBytes, true);
    return { segment, truncatedBytes };
  }

  private async loadIndexes(fileBytes: number): Promise<boolean> {
    const [offsetBytes, timeBytes] = await Promise.all([
      this.backend.readFile(this.indexPath),
      this.backend.readFile(this.timeIndexPath),
    ]);
    if (offsetBytes === undefined || timeBytes === undefined) return false;
    const offsetIndex = OffsetIndex.parse(offsetBytes, this.baseOffset, fileBytes);
    const timeIndex = TimeIndex.parse(timeBytes, this.baseOffset);
    if (offsetIndex === undefined || timeIndex === undefined) return false;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.maxTimestampMs = timeIndex.entries > 0 ? timeIndex.lastTimestamp : -1;
    return true;
  }

  /**
   * Scans batches from `position` to the end of the file, indexing them; stops at the first
   * batch that is torn (or, with `checkCrc`, corrupt) and truncates the file there.
   */
  private async rebuildFrom(position: number, fileBytes: number, checkCrc: boolean): Promise<number> {
    this.offsetIndex.truncateToPosition(position + 1); // keep the entry of the batch at `position`
    this.sizeBytes = position;
    this.bytesSinceIndexEntry = 0;
    let validEnd = position;
    await this.scan(position, fileBytes, checkCrc, (batch) => {
      if (batch.baseOffset < this.nextOffset && batch.position > 0) return false; // offsets must grow
      this.index({
        baseOffset: batch.baseOffset,
        lastOffset: batch.lastOffset,
        maxTimestampMs: Number(batch.header.maxTimestamp),
        sizeBytes: batch.bytes.length,
      });
      validEnd = batch.position + batch.bytes.length;
      return true;
    });
    const truncatedBytes = fileBytes - validEnd;
    if (truncatedBytes > 0) {
      await this.pool.with(this.logPath, { create: false }, (file) => file.truncate(validEnd));
    }
    this.sizeBytes = validEnd;
    return truncatedBytes;
  }

  /**
   * Visits the batches from `position` until `end`; stops at a torn batch, at a corrupt one when
   * `checkCrc`, or when `visit` returns false. Says why it stopped.
   */
  async scan(
    position: number,
    end: number,
    checkCrc: boolean,
    visit: (batch: ScannedBatch) => boolean,
  ): Promise<"end" | "stopped" | "invalid"> {
    let at = position;
    let chunk: Uint8Array = new Uint8Array(0);
    let chunkStart = position;
    while (at < end) {
      let local = at - chunkStart;
      if (local + 12 > chunk.length) {
        chunk = await this.readFile(at, Math.min(scanChunkBytes, end - at));
        chunkStart = at;
        local = 0;
        if (chunk.length < 12) return "invalid";
      }
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const batchLength = view.getInt32(local + 8);
      if (batchLength < batchLengthMin || at + 12 + batchLength > end) return "invalid";
      const size = 12 + batchLength;
      if (local + size > chunk.length) {
        chunk = await this.readFile(at, Math.max(size, Math.min(scanChunkBytes, end - at)));
        chunkStart = at;
        local = 0;
        if (chunk.length < size) return "invalid";
      }
      const bytes = chunk.subarray(local, local + size);
      let header: RecordBatchHeader;
      try {
        header = checkCrc ? validateBatch(bytes) : readBatchHeader(bytes);
      } catch (error) {
        if (error instanceof DecodeError) return "invalid";
        throw error;
      }
      const baseOffset = Number(header.baseOffset);
      if (!visit({ position: at, bytes, header, baseOffset, lastOffset: baseOffset + header.lastOffsetDelta })) {
        return "stopped";
      }
      at += size;
    }
    return "end";
  }

  /** Adds appended (or recovered) batches to the indexes and counters. */
  private index(batch: BatchInfo): void {
    if (this.sizeBytes === 0 || this.bytesSinceIndexEntry >= this.indexIntervalBytes) {
      this.offsetIndex.append(batch.baseOffset, this.sizeBytes);
      this.bytesSinceIndexEntry = 0;
    }
    if (batch.maxTimestampMs > this.maxTimestampMs) {
      this.timeIndex.append(batch.maxTimestampMs, batch.baseOffset);
      this.maxTimestampMs = batch.maxTimestampMs;
    }
    this.sizeBytes += batch.sizeBytes;
    this.bytesSinceIndexEntry += batch.sizeBytes;
    this.nextOffset = batch.lastOffset + 1;
  }

  /** Appends whole batches; on failure nothing is appended and the segment is unchanged. */
  async append(batches: readonly BatchInfo[], chunks: readonly Uint8Array[], nowMs: number): Promise<void> {
    await this.pool.with(this.logPath, { create: false }, (file) => file.append(chunks));
    this.firstAppendMs ??= nowMs;
    for (const b of batches) this.index(b);
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.sizeBytes, position + length);
    if (end <= position) return new Uint8Array(0);
    return this.pool.with(this.logPath, { create: false }, (file) => file.read(position, end - position));
  }

  /** Reads the file itself, not bounded by what has been indexed (for scans during recovery). */
  private readFile(position: number, length: number): Promise<Uint8Array> {
    return this.pool.with(this.logPath, { create: false }, (file) => file.read(position, length));
  }

  async sync(): Promise<void> {
    await this.pool.with(this.logPath, { create: false }, (file) => file.sync());
  }

  /** Byte position to start scanning from to find `offset`. */
  positionOf(offset: number): number {
    return this.offsetIndex.lookup(offset);
  }

  /** Offset to start scanning from for the first batch with max timestamp ≥ `timestampMs`. */
  offsetForTimestampScan(timestampMs: number): number {
    return this.timeIndex.lookup(timestampMs, this.baseOffset);
  }

  /** Saves the indexes (when the segment is rolled or the log closes cleanly). */
  async saveIndexes(): Promise<void> {
    await this.backend.writeFileAtomic(this.indexPath, this.offsetIndex.serialize(this.baseOffset));
    await this.backend.writeFileAtomic(this.timeIndexPath, this.timeIndex.serialize(this.baseOffset));
  }

  /** Memory held by the indexes, in bytes. */
  get indexBytes(): number {
    return this.offsetIndex.entries * 16 + this.timeIndex.entries * 16;
  }

  async delete(): Promise<void> {
    await this.pool.close(this.logPath);
    await this.backend.remove(this.logPath);
    await this.backend.remove(this.indexPath);
    await this.backend.remove(this.timeIndexPath);
  }
}
