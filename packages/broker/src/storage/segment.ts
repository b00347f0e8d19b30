// One segment of a partition log: a `.log` file of record batches stored exactly as produced
// (offsets patched in place), named by its base offset, with a sparse offset index and a time
// index kept in memory and saved beside it when the segment is closed. The log cleaner writes a
// compacted copy as `<name>.log.cleaned` and swaps it in (createCleanedCopy, replaceWith).
import { DecodeError, readBatchHeader, validateBatch } from "@samsa/protocol";
import type { RecordBatchHeader } from "@samsa/protocol";
import type { StorageBackend } from "./backend.ts";
import { StorageIoError } from "./backend.ts";
import type { FilePool } from "./file-pool.ts";
import { OffsetIndex, TimeIndex } from "./sparse-index.ts";
import type { EvictableIndexes, IndexCache } from "./sparse-index.ts";

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
/** Suffix of the files of a cleaned copy; PartitionLog.open removes leftovers of an interrupted cleaning. */
const cleanedSuffix = ".cleaned";

export interface SegmentOptions {
  readonly dir: string;
  readonly baseOffset: number;
  readonly pool: FilePool;
  readonly backend: StorageBackend;
  readonly indexIntervalBytes: number;
  readonly indexCache?: IndexCache;
}

export function segmentFileName(baseOffset: number, suffix: ".log" | ".index" | ".timeindex" | ".txnindex"): string {
  return `${String(baseOffset).padStart(20, "0")}${suffix}`;
}

/** Base offset of a segment file name, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export class Segment implements EvictableIndexes {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  /** The aborted transactions whose markers are in this segment; PartitionLog keeps them and writes this file. */
  readonly txnIndexPath: string;
  private readonly dir: string;
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
  /** Whether the indexes are in memory (closed segments may have them unloaded by the cache). */
  private indexesLoaded = true;
  /** The active segment keeps its indexes; closed ones live in the index cache. */
  private pinned = true;
  private readonly indexCache: IndexCache | undefined;
  /**
   * Set when the cleaner starts swapping in a compacted copy: from then on the file at `logPath`
   * may hold other bytes than this object's indexes describe, so its reads fail instead.
   */
  private replaced = false;

  /** `fileSuffix` names a cleaned copy's files (`<name>.log.cleaned`, …). */
  private constructor(options: SegmentOptions, fileSuffix = "") {
    this.baseOffset = options.baseOffset;
    this.logPath = `${options.dir}/${segmentFileName(options.baseOffset, ".log")}${fileSuffix}`;
    this.indexPath = `${options.dir}/${segmentFileName(options.baseOffset, ".index")}${fileSuffix}`;
    this.timeIndexPath = `${options.dir}/${segmentFileName(options.baseOffset, ".timeindex")}${fileSuffix}`;
    this.txnIndexPath = `${options.dir}/${segmentFileName(options.baseOffset, ".txnindex")}${fileSuffix}`;
    this.dir = options.dir;
    this.pool = options.pool;
    this.backend = options.backend;
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.indexCache = options.indexCache;
    this.sizeBytes = 0;
    this.nextOffset = options.baseOffset;
  }

  static async create(options: SegmentOptions, fileSuffix = ""): Promise<Segment> {
    const segment = new Segment(options, fileSuffix);
    await segment.pool.with(segment.logPath, { create: true }, async (file) => {
      if (file.size > 0) await file.truncate(0);
    });
    await options.backend.remove(segment.indexPath);
    await options.backend.remove(segment.timeIndexPath);
    await options.backend.remove(segment.txnIndexPath);
    return segment;
  }

  /**
   * Opens an existing segment. With `validate`, every batch is checked (framing and CRC) and the
   * file is cut at the first torn or corrupt batch; the indexes are rebuilt. Without it the saved
   * indexes are trusted and only the tail after the last index entry is scanned.
   */
  static async open(
    options: SegmentOptions & { validate: boolean },
  ): Promise<{ segment: Segment; truncatedBytes: number }> {
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
    this.checkNotReplaced();
    const bytes = await this.pool.with(this.logPath, { create: false }, (file) => file.read(position, end - position));
    // Checked after the read too: bytes read once the swap began may be the new file's.
    this.checkNotReplaced();
    return bytes;
  }

  /** Reads the file itself, not bounded by what has been indexed (for scans during recovery). */
  private async readFile(position: number, length: number): Promise<Uint8Array> {
    this.checkNotReplaced();
    const bytes = await this.pool.with(this.logPath, { create: false }, (file) => file.read(position, length));
    this.checkNotReplaced();
    return bytes;
  }

  /** Whether a cleaned copy has (begun to) replace this segment's file. */
  get isReplaced(): boolean {
    return this.replaced;
  }

  private checkNotReplaced(): void {
    if (this.replaced) {
      throw new StorageIoError(`${this.logPath} was replaced by its cleaned copy during the read`, { code: "ESTALE" });
    }
  }

  async sync(): Promise<void> {
    await this.pool.with(this.logPath, { create: false }, (file) => file.sync());
  }

  /** Byte position to start scanning from to find `offset`. */
  async positionOf(offset: number): Promise<number> {
    await this.ensureIndexes();
    return this.offsetIndex.lookup(offset);
  }

  /** Offset to start scanning from for the first batch with max timestamp ≥ `timestampMs`. */
  async offsetForTimestampScan(timestampMs: number): Promise<number> {
    await this.ensureIndexes();
    return this.timeIndex.lookup(timestampMs, this.baseOffset);
  }

  /** Hands a segment that no longer takes appends to the index cache (its indexes are saved). */
  release(): void {
    this.pinned = false;
    this.indexCache?.touch(this);
  }

  unloadIndexes(): void {
    if (this.pinned || !this.indexesLoaded) return;
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.indexesLoaded = false;
  }

  /** Loads unloaded indexes from disk (rebuilding them by a scan if the files are unusable). */
  private async ensureIndexes(): Promise<void> {
    if (this.indexesLoaded) {
      if (!this.pinned) this.indexCache?.touch(this);
      return;
    }
    if (!(await this.loadIndexes(this.sizeBytes))) {
      const { sizeBytes, nextOffset } = this;
      this.offsetIndex = new OffsetIndex();
      this.timeIndex = new TimeIndex();
      this.sizeBytes = 0;
      this.bytesSinceIndexEntry = 0;
      await this.scan(0, sizeBytes, false, (batch) => {
        this.index({
          baseOffset: batch.baseOffset,
          lastOffset: batch.lastOffset,
          maxTimestampMs: Number(batch.header.maxTimestamp),
          sizeBytes: batch.bytes.length,
        });
        return true;
      });
      this.sizeBytes = sizeBytes;
      this.nextOffset = nextOffset;
    }
    this.indexesLoaded = true;
    if (!this.pinned) this.indexCache?.touch(this);
  }

  /** Saves the indexes (when the segment is rolled or the log closes cleanly). */
  async saveIndexes(): Promise<void> {
    if (!this.indexesLoaded) return; // unloaded indexes are already on disk
    await this.backend.writeFileAtomic(this.indexPath, this.offsetIndex.serialize(this.baseOffset));
    await this.backend.writeFileAtomic(this.timeIndexPath, this.timeIndex.serialize(this.baseOffset));
  }

  /** Memory held by the indexes, in bytes. */
  get indexBytes(): number {
    return this.offsetIndex.entries * 16 + this.timeIndex.entries * 16;
  }

  get indexesInMemory(): boolean {
    return this.indexesLoaded;
  }

  /**
   * Starts the log cleaner's compacted copy of this closed segment: an empty `<name>.log.cleaned`
   * with its indexes in memory (never in the index cache). Fill it with `append`, `sync` it, then
   * swap it in with `replaceWith` — or `delete` it.
   */
  async createCleanedCopy(): Promise<Segment> {
    const { dir, baseOffset, pool, backend, indexIntervalBytes } = this;
    return Segment.create({ dir, baseOffset, pool, backend, indexIntervalBytes }, cleanedSuffix);
  }

  /**
   * Swaps in `cleaned` (a complete copy from createCleanedCopy) for this closed segment and returns
   * the segment now at `logPath`; this object is retired. Crash-safe: the disk holds this
   * segment's log or the cleaned one, never a mix —
   * 1. the copy is synced, and this segment's index files are removed (durably) first: a crash
   *    after the rename must not find old indexes beside the new log (they would be trusted and
   *    point into the wrong bytes); a log without index files has them rebuilt on open;
   * 2. one atomic rename replaces the log, and the directory is synced;
   * 3. the new indexes are saved (a crash before that only costs a rebuild on open).
   * The caller keeps appends, rolls and closes out meanwhile (PartitionLog's write queue).
   */
  async replaceWith(cleaned: Segment): Promise<Segment> {
    if (cleaned.logPath !== `${this.logPath}${cleanedSuffix}`) {
      throw new Error(`${cleaned.logPath} is not the cleaned copy of ${this.logPath}`);
    }
    await cleaned.sync();
    this.replaced = true;
    this.indexCache?.forget(this);
    await this.backend.remove(this.indexPath);
    await this.backend.remove(this.timeIndexPath);
    await this.backend.syncDir(this.dir);
    await this.pool.close(cleaned.logPath);
    await this.backend.rename(cleaned.logPath, this.logPath);
    await this.backend.syncDir(this.dir);
    // Handles still open on the path read the old file: later reads must open the new one.
    await this.pool.close(this.logPath);
    const { dir, baseOffset, pool, backend, indexIntervalBytes, indexCache } = this;
    const next = new Segment({
      dir,
      baseOffset,
      pool,
      backend,
      indexIntervalBytes,
      ...(indexCache === undefined ? {} : { indexCache }),
    });
    next.offsetIndex = cleaned.offsetIndex;
    next.timeIndex = cleaned.timeIndex;
    next.bytesSinceIndexEntry = cleaned.bytesSinceIndexEntry;
    next.sizeBytes = cleaned.sizeBytes;
    next.nextOffset = cleaned.nextOffset;
    next.maxTimestampMs = cleaned.maxTimestampMs;
    next.firstAppendMs = this.firstAppendMs;
    await next.saveIndexes();
    next.release();
    return next;
  }

  async delete(): Promise<void> {
    this.indexCache?.forget(this);
    await this.pool.close(this.logPath);
    await this.backend.remove(this.logPath);
    await this.backend.remove(this.indexPath);
    await this.backend.remove(this.timeIndexPath);
    await this.backend.remove(this.txnIndexPath);
  }
}
