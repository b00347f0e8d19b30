// The log of one partition: a sequence of segments. Append validates batches and assigns offsets
// (patching them in place), writes them in order, and makes them durable per the durability mode;
// reads return whole stored batches as byte slices. Tracks the log start offset, the log end
// offset and the high watermark (the end of what consumers may read), and the transactional
// state: the last stable offset (held back by ongoing transactions) and the aborted transactions
// (Kafka's `.txnindex`, one file per segment) that read_committed fetches need.
import {
  decodeControlRecord,
  DecodeError,
  encodeEndTransactionMarker,
  ErrorCode,
  iterateBatches,
  iterateRecords,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  validateBatch,
} from "@samsa/protocol";
import type { RecordBatchView } from "@samsa/protocol";
import type { StorageBackend } from "./backend.ts";
import { StorageIoError } from "./backend.ts";
import type { FilePool } from "./file-pool.ts";
import type { IndexCache } from "./sparse-index.ts";
import type { Clock, Durability, LogConfig } from "./log-config.ts";
import { parseTxnIndex, ProducerStateTable, serializeTxnIndex } from "./producer-state.ts";
import type { AbortedTxn } from "./producer-state.ts";
import { parseSegmentFileName, Segment } from "./segment.ts";
import type { BatchInfo, ScannedBatch } from "./segment.ts";

export type AppendResult =
  | {
      readonly errorCode: 0;
      /** Offset of the first appended record; -1 when nothing was appended. */
      readonly baseOffset: number;
      readonly lastOffset: number;
      /** The broker's append time for LogAppendTime topics, -1 otherwise. */
      readonly logAppendTimeMs: number;
      readonly logStartOffset: number;
    }
  | {
      readonly errorCode: number;
      readonly errorMessage: string;
      /** Index of the offending batch in the request, when one batch is at fault. */
      readonly batchIndex?: number;
    };

export interface ReadResult {
  readonly errorCode: number;
  /** Whole batches, as stored; empty when there is nothing to read. */
  readonly records: Uint8Array;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface TimestampLookup {
  readonly offset: number;
  readonly timestampMs: number;
}

/** Acks the caller waits for: 0 none, 1 written to the OS, -1 (all) durable per the durability mode. */
export type RequiredAcks = 0 | 1 | -1;

const recordsDecodeBytesMax = 64 * 1024 * 1024;

/** Concurrent fdatasync calls per partition: overlapping syncs keep the disk busy. */
const syncsInFlightMax = 4;

/** Most bytes coalesced into one write. */
const writeGroupBytesMax = 8 * 1024 * 1024;

interface WriteGroup {
  readonly items: { pending: PendingAppend; resolve: () => void; reject: (error: unknown) => void }[];
  bytes: number;
  readonly nowMs: number;
}

interface PendingAppend {
  readonly batches: BatchInfo[];
  readonly chunks: Uint8Array[];
  readonly sizeBytes: number;
  readonly epoch: number;
  /** Reverts the producer-state updates of this append, newest first, if its write fails. */
  readonly undo: readonly (() => void)[];
}

/** Stored bytes failed their CRC or framing check on the way out. */
export class CorruptLogError extends Error {
  override readonly name = "CorruptLogError";
}

function storageError(error: unknown): AppendResult {
  const message = error instanceof Error ? error.message : String(error);
  return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: message };
}

/** What a partition log is made of, whether opened or constructed. */
export interface PartitionLogOptions {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly config: LogConfig;
  readonly durability: Durability;
  readonly pool: FilePool;
  readonly backend: StorageBackend;
  readonly clock: Clock;
  readonly logStartOffset: number;
  readonly indexCache?: IndexCache;
}

export class PartitionLog {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  config: LogConfig;
  private readonly durability: Durability;
  private readonly pool: FilePool;
  private readonly backend: StorageBackend;
  private readonly clock: Clock;
  private readonly indexCache: IndexCache | undefined;
  private segments: Segment[];
  /** Offset the next append gets (assigned synchronously, before the write). */
  private nextOffset: number;
  /** Offset after the last batch whose write completed. */
  private writtenEnd: number;
  /** Offset after the last batch known durable (the recovery point). */
  private syncedEnd: number;
  private highWatermarkOffset: number;
  private logStartOffsetValue: number;
  /** Bumped when a write fails: appends assigned before it are failed too, keeping offsets dense. */
  private appendEpoch = 0;
  private writeQueue: Promise<void> = Promise.resolve();
  /** The queued write group that has not started yet; new appends join it. */
  private openGroup: WriteGroup | undefined;
  private syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private syncsRunning = 0;
  /** Set when a sync failed: data may not be durable, so appends are refused until reopened. */
  private failed: StorageIoError | undefined;
  private readonly listeners = new Set<() => void>();
  /** Idempotent producers' last sequences (rebuilt at open from a snapshot and the log). */
  private producers = new ProducerStateTable();
  /**
   * Aborted transactions whose abort markers are in the log, ordered by marker offset (each
   * segment's share is saved as its `.txnindex` at roll and close). Memory: about 100 bytes per
   * aborted transaction still in the log; each needs a marker batch on disk (~80 bytes), and the
   * entries go with their segments (retention, DeleteRecords), so the bound is the retained log.
   * Aborts are rare in practice; with an abort-heavy workload on a large retained log, move closed
   * segments' entries into the index cache (load `.txnindex` on demand) — not done yet.
   */
  private abortedTxns: AbortedTxn[] = [];
  /**
   * Transactions ended by a marker that is not yet below the high watermark: until the marker is
   * durable they still hold back the last stable offset (as Kafka's unreplicated transactions).
   * At most one per producer that sent a marker since the last sync.
   */
  private unreplicatedTxns: { firstOffset: number; lastOffset: number }[] = [];
  private closed = false;

  private constructor(options: PartitionLogOptions & { segments: Segment[] }) {
    this.dir = options.dir;
    this.topic = options.topic;
    this.partition = options.partition;
    this.config = options.config;
    this.durability = options.durability;
    this.pool = options.pool;
    this.backend = options.backend;
    this.clock = options.clock;
    this.indexCache = options.indexCache;
    this.segments = options.segments;
    const end = this.active.nextOffset;
    this.nextOffset = end;
    this.writtenEnd = end;
    this.syncedEnd = end;
    this.highWatermarkOffset = end;
    this.logStartOffsetValue = Math.max(options.logStartOffset, this.segments[0]?.baseOffset ?? 0);
  }

  /**
   * Opens (or creates) the log in `dir`. Segments from the one holding `recoveryPoint` on are
   * validated batch by batch unless the broker shut down cleanly; the log is cut at the first torn
   * or corrupt batch, and segments after a cut are dropped.
   */
  static async open(
    options: PartitionLogOptions & { recoveryPoint: number; cleanShutdown: boolean },
  ): Promise<{ log: PartitionLog; truncatedBytes: number }> {
    const { dir, backend, pool } = options;
    await backend.mkdir(dir);
    const names = await backend.list(dir);
    const bases = names
      .map(parseSegmentFileName)
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    // Leftovers of an interrupted compaction or deletion.
    for (const name of names) {
      if (name.endsWith(".cleaned") || name.endsWith(".deleted") || name.endsWith(".tmp")) {
        await backend.remove(`${dir}/${name}`);
      }
    }
    const segments: Segment[] = [];
    let truncatedBytes = 0;
    const indexIntervalBytes = options.config.indexIntervalBytes;
    for (let i = 0; i < bases.length; i++) {
      const baseOffset = bases[i] ?? 0;
      const nextBase = bases[i + 1];
      const needsValidation = !options.cleanShutdown && (nextBase === undefined || nextBase > options.recoveryPoint);
      const opened = await Segment.open({
        dir,
        baseOffset,
        pool,
        backend,
        indexIntervalBytes,
        validate: needsValidation,
        ...(options.indexCache === undefined ? {} : { indexCache: options.indexCache }),
      });
      truncatedBytes += opened.truncatedBytes;
      const previous = segments[segments.length - 1];
      if (previous !== undefined && previous.nextOffset > baseOffset) {
        // Overlapping offsets mean this segment is not a continuation: drop it and what follows.
        for (const base of bases.slice(i)) await dropSegmentFiles(backend, pool, dir, base);
        break;
      }
      segments.push(opened.segment);
      if (opened.truncatedBytes > 0) {
        // A cut segment ends the log: anything after it can no longer follow on densely.
        for (const base of bases.slice(i + 1)) await dropSegmentFiles(backend, pool, dir, base);
        break;
      }
    }
    if (segments.length === 0) {
      const base = Math.max(options.logStartOffset, 0);
      segments.push(
        await Segment.create({
          dir,
          baseOffset: base,
          pool,
          backend,
          indexIntervalBytes,
          ...(options.indexCache === undefined ? {} : { indexCache: options.indexCache }),
        }),
      );
    }
    // Closed segments hand their indexes to the cache; only the active one keeps them pinned.
    for (const segment of segments.slice(0, -1)) segment.release();
    const log = new PartitionLog({ ...options, segments, logStartOffset: options.logStartOffset });
    await log.loadProducerState();
    if (!options.cleanShutdown) {
      // What recovery read may have been only in the OS cache: make it durable before exposing it.
      await log.active.sync();
    }
    return { log, truncatedBytes };
  }

  private get producerSnapshotPath(): string {
    return `${this.dir}/producer-state.json`;
  }

  /**
   * Loads the producer-state snapshot and replays the batches after it; without a usable snapshot
   * (or one ahead of the log after a crash cut it) the whole log is replayed.
   */
  private async loadProducerState(): Promise<void> {
    const bytes = await this.backend.readFile(this.producerSnapshotPath);
    const snapshot = bytes === undefined ? undefined : ProducerStateTable.parse(bytes);
    // Aborted transactions by marker offset: the segments' `.txnindex` files, then the snapshot's
    // (markers after the last roll), then the replay; the first found wins.
    const aborted = new Map<number, AbortedTxn>();
    for (const segment of this.segments) {
      const file = await this.backend.readFile(segment.txnIndexPath);
      const entries = file === undefined ? undefined : parseTxnIndex(file);
      for (const t of entries ?? []) {
        if (t.lastOffset >= segment.baseOffset && t.lastOffset < segment.nextOffset) aborted.set(t.lastOffset, t);
      }
    }
    let from = this.logStartOffsetValue;
    if (snapshot !== undefined && snapshot.offset <= this.writtenEnd) {
      this.producers = snapshot.table;
      from = Math.max(from, snapshot.offset);
      for (const t of snapshot.abortedTxns) {
        if (t.lastOffset < snapshot.offset && !aborted.has(t.lastOffset)) aborted.set(t.lastOffset, t);
      }
    }
    if (from < this.writtenEnd) {
      for (const segment of this.segments) {
        if (segment.nextOffset <= from) continue;
        await segment.scan(await segment.positionOf(from), segment.sizeBytes, false, (batch) => {
          if (batch.lastOffset < from || batch.header.producerId < 0n) return true;
          if (!batch.header.control) {
            this.producers.record(batch.header, batch.baseOffset, Number(batch.header.maxTimestamp));
            return true;
          }
          const marker = batch.header.transactional ? markerOf(batch.bytes) : undefined;
          if (marker === undefined) return true;
          const { producerId, producerEpoch } = batch.header;
          const completed = this.producers.completeTxn({
            producerId,
            producerEpoch,
            coordinatorEpoch: marker.coordinatorEpoch,
            timestampMs: Number(batch.header.maxTimestamp),
          });
          if (marker.type === "abort" && completed.firstOffset !== undefined && !aborted.has(batch.baseOffset)) {
            aborted.set(batch.baseOffset, {
              producerId,
              firstOffset: completed.firstOffset,
              lastOffset: batch.baseOffset,
              lastStableOffset: this.producers.firstUnstableOffset() ?? batch.baseOffset + 1,
            });
          }
          return true;
        });
      }
    }
    const firstBase = this.segments[0]?.baseOffset ?? 0;
    this.abortedTxns = [...aborted.values()]
      .filter((t) => t.lastOffset >= firstBase && t.lastOffset < this.writtenEnd)
      .sort((a, b) => a.lastOffset - b.lastOffset);
  }

  /**
   * Saves the producer state as of every offset assigned so far (at roll and close), with the
   * aborted transactions from `txnTailFrom` on (those not in a closed segment's `.txnindex`).
   */
  private async saveProducerSnapshot(txnTailFrom: number): Promise<void> {
    const tail = this.abortedTxns.filter((t) => t.lastOffset >= txnTailFrom);
    await this.backend.writeFileAtomic(this.producerSnapshotPath, this.producers.serialize(this.nextOffset, tail));
  }

  /** Saves the aborted transactions whose markers are in `segment` as its `.txnindex`. */
  private async saveTxnIndex(segment: Segment): Promise<void> {
    const entries = this.abortedTxns.filter(
      (t) => t.lastOffset >= segment.baseOffset && t.lastOffset < segment.nextOffset,
    );
    if (entries.length === 0) await this.backend.remove(segment.txnIndexPath);
    else await this.backend.writeFileAtomic(segment.txnIndexPath, serializeTxnIndex(entries));
  }

  /** Forgets the aborted transactions whose markers were in deleted segments. */
  private dropDeletedAbortedTxns(): void {
    const firstBase = this.segments[0]?.baseOffset ?? 0;
    const keepFrom = this.abortedTxns.findIndex((t) => t.lastOffset >= firstBase);
    this.abortedTxns = keepFrom < 0 ? [] : this.abortedTxns.slice(keepFrom);
  }

  /**
   * The aborted transactions a read_committed fetch of [fromOffset, upToOffset) needs: those
   * overlapping the range, as (producerId, firstOffset), oldest marker first.
   */
  abortedTransactions(fromOffset: number, upToOffset: number): { producerId: bigint; firstOffset: number }[] {
    const out: { producerId: bigint; firstOffset: number }[] = [];
    let lo = 0;
    let hi = this.abortedTxns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.abortedTxns[mid]?.lastOffset ?? 0) < fromOffset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.abortedTxns.length; i++) {
      const t = this.abortedTxns[i];
      if (t === undefined) break;
      if (t.firstOffset < upToOffset) out.push({ producerId: t.producerId, firstOffset: t.firstOffset });
      // Later transactions all began at or after this one's last stable offset.
      if (t.lastStableOffset >= upToOffset) break;
    }
    return out;
  }

  /** The idempotent producers this partition knows (DescribeProducers, tests). */
  get producerState(): ProducerStateTable {
    return this.producers;
  }

  private get active(): Segment {
    const s = this.segments[this.segments.length - 1];
    if (s === undefined) throw new Error("a log always has an active segment");
    return s;
  }

  get logEndOffset(): number {
    return this.writtenEnd;
  }
  get highWatermark(): number {
    return this.highWatermarkOffset;
  }
  get logStartOffset(): number {
    return this.logStartOffsetValue;
  }
  /** Offset up to which data is known durable. */
  get recoveryPoint(): number {
    return this.syncedEnd;
  }
  /**
   * The end of what read_committed consumers may read: the first offset of the oldest transaction
   * not yet ended by a durable marker, else the high watermark (never below the log start offset).
   */
  get lastStableOffset(): number {
    let lso = this.highWatermarkOffset;
    const first = this.producers.firstUnstableOffset();
    if (first !== undefined && first < lso) lso = first;
    for (const t of this.unreplicatedTxns) if (t.firstOffset < lso) lso = t.firstOffset;
    return Math.max(lso, this.logStartOffsetValue);
  }
  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.sizeBytes, 0);
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  get indexBytes(): number {
    return this.segments.reduce((n, s) => n + s.indexBytes, 0);
  }

  /** Calls `listener` whenever the high watermark (or so the last stable offset) advances (for long-poll fetches). */
  onHighWatermark(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private advanceHighWatermark(offset: number): void {
    if (offset <= this.highWatermarkOffset) return;
    this.highWatermarkOffset = offset;
    if (this.unreplicatedTxns.length > 0)
      this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.lastOffset >= offset);
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Validates and appends the batches of a produce request's `records` field. The bytes are
   * patched in place (base offset, leader epoch, append time) and stored as they are.
   */
  async append(
    records: Uint8Array,
    options: {
      requiredAcks: RequiredAcks;
      leaderEpoch: number;
      /** "coordinator": written by a coordinator (no sequence numbers to check, only epochs). */
      origin?: "client" | "coordinator";
    },
  ): Promise<AppendResult> {
    if (this.closed) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: "the log is closed" };
    if (this.failed !== undefined) return storageError(this.failed);
    const nowMs = this.clock.nowMs();
    const validated = this.validate(records, nowMs);
    if ("errorCode" in validated) return validated;
    if (validated.length === 0) {
      return { errorCode: 0, baseOffset: -1, lastOffset: -1, logAppendTimeMs: -1, logStartOffset: this.logStartOffset };
    }
    // Assign offsets now, synchronously, so concurrent appends get dense, ordered offsets.
    const baseOffset = this.nextOffset;
    const batches: BatchInfo[] = [];
    const chunks: Uint8Array[] = [];
    const undo: (() => void)[] = [];
    const logAppendTime = this.config.timestampType === "LogAppendTime";
    let sizeBytes = 0;
    for (const [index, batch] of validated.entries()) {
      const offset = this.nextOffset;
      const count = batch.header.lastOffsetDelta + 1;
      // Idempotent producers: a retried batch gets its original offsets; gaps and stale epochs are refused.
      if (batch.header.producerId >= 0n) {
        const check = this.producers.check(batch.header, options.origin);
        if (check.kind !== "append") {
          for (const u of undo.reverse()) u();
          this.nextOffset = baseOffset;
          if (check.kind === "duplicate" && index === 0) return this.answerDuplicate(check, records, options);
          return check.kind === "error"
            ? { errorCode: check.errorCode, errorMessage: check.message, batchIndex: index }
            : {
                errorCode: ErrorCode.DUPLICATE_SEQUENCE_NUMBER,
                errorMessage: "a duplicate batch after a new one",
                batchIndex: index,
              };
        }
        undo.push(this.producers.record(batch.header, offset, nowMs));
      }
      patchBaseOffset(batch.bytes, BigInt(offset));
      patchPartitionLeaderEpoch(batch.bytes, options.leaderEpoch);
      if (logAppendTime) patchLogAppendTime(batch.bytes, BigInt(nowMs));
      this.nextOffset += count;
      batches.push({
        baseOffset: offset,
        lastOffset: offset + count - 1,
        maxTimestampMs: logAppendTime ? nowMs : Number(batch.header.maxTimestamp),
        sizeBytes: batch.bytes.length,
      });
      chunks.push(batch.bytes);
      sizeBytes += batch.bytes.length;
    }
    const lastOffset = this.nextOffset - 1;
    const pending: PendingAppend = { batches, chunks, sizeBytes, epoch: this.appendEpoch, undo: undo.reverse() };
    const ok: AppendResult = {
      errorCode: 0,
      baseOffset,
      lastOffset,
      logAppendTimeMs: logAppendTime ? nowMs : -1,
      logStartOffset: this.logStartOffset,
    };
    return this.write(pending, nowMs, options.requiredAcks, ok);
  }

  /** Queues `pending` (offsets assigned) and answers `ok` once it is as durable as `requiredAcks` asks. */
  private async write(
    pending: PendingAppend,
    nowMs: number,
    requiredAcks: RequiredAcks,
    ok: AppendResult,
  ): Promise<AppendResult> {
    const written = this.enqueueWrite(pending, nowMs);
    const durable = written.then(() => this.afterWrite());
    try {
      if (requiredAcks === 0) {
        durable.catch(() => undefined);
        return ok;
      }
      if (requiredAcks === 1) {
        durable.catch(() => undefined);
        await written;
      } else {
        await durable;
      }
      return ok;
    } catch (error) {
      return storageError(error);
    }
  }

  /**
   * Writes an end-transaction marker (a control batch) for `producerId`, through the same write
   * path as appends, durable as for acks=all: ends the producer's ongoing transaction on this
   * partition and, for an abort, records the aborted transaction for read_committed fetches. The
   * last stable offset moves once the marker is below the high watermark. A marker with an epoch
   * older than the producer's is refused (INVALID_PRODUCER_EPOCH), as is one from a coordinator
   * older than the one that wrote the producer's last marker (TRANSACTION_COORDINATOR_FENCED).
   */
  async appendMarker(options: {
    producerId: bigint;
    producerEpoch: number;
    coordinatorEpoch: number;
    commit: boolean;
    timestampMs: number;
    leaderEpoch?: number;
  }): Promise<AppendResult> {
    if (options.producerId < 0n) throw new Error(`a transaction marker needs a producer id, got ${options.producerId}`);
    if (this.closed) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: "the log is closed" };
    if (this.failed !== undefined) return storageError(this.failed);
    const { producerId, producerEpoch } = options;
    const entry = this.producers.entry(producerId);
    if (entry !== undefined && producerEpoch < entry.epoch) {
      return {
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        errorMessage: `marker epoch ${producerEpoch} is older than producer ${producerId}'s epoch ${entry.epoch}`,
      };
    }
    if (entry !== undefined && options.coordinatorEpoch < entry.coordinatorEpoch) {
      return {
        errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        errorMessage: `coordinator epoch ${options.coordinatorEpoch} is older than ${entry.coordinatorEpoch}, of producer ${producerId}'s last marker`,
      };
    }
    const nowMs = this.clock.nowMs();
    const bytes = encodeEndTransactionMarker({
      marker: options.commit ? "commit" : "abort",
      producerId,
      producerEpoch,
      coordinatorEpoch: options.coordinatorEpoch,
      timestamp: BigInt(options.timestampMs),
    });
    const offset = this.nextOffset;
    const logAppendTime = this.config.timestampType === "LogAppendTime";
    patchBaseOffset(bytes, BigInt(offset));
    patchPartitionLeaderEpoch(bytes, options.leaderEpoch ?? -1);
    if (logAppendTime) patchLogAppendTime(bytes, BigInt(nowMs));
    this.nextOffset += 1;
    const completed = this.producers.completeTxn({
      producerId,
      producerEpoch,
      coordinatorEpoch: options.coordinatorEpoch,
      timestampMs: nowMs,
    });
    const undo: (() => void)[] = [];
    const firstOffset = completed.firstOffset;
    if (firstOffset !== undefined) {
      const unreplicated = { firstOffset, lastOffset: offset };
      this.unreplicatedTxns.push(unreplicated);
      undo.push(() => {
        this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t !== unreplicated);
      });
      if (!options.commit) {
        const aborted: AbortedTxn = {
          producerId,
          firstOffset,
          lastOffset: offset,
          lastStableOffset: this.producers.firstUnstableOffset() ?? offset + 1,
        };
        this.abortedTxns.push(aborted);
        undo.push(() => {
          this.abortedTxns = this.abortedTxns.filter((t) => t !== aborted);
        });
      }
    }
    undo.push(completed.undo);
    const pending: PendingAppend = {
      batches: [
        {
          baseOffset: offset,
          lastOffset: offset,
          maxTimestampMs: logAppendTime ? nowMs : options.timestampMs,
          sizeBytes: bytes.length,
        },
      ],
      chunks: [bytes],
      sizeBytes: bytes.length,
      epoch: this.appendEpoch,
      undo: undo.reverse(),
    };
    const ok: AppendResult = {
      errorCode: 0,
      baseOffset: offset,
      lastOffset: offset,
      logAppendTimeMs: logAppendTime ? nowMs : -1,
      logStartOffset: this.logStartOffset,
    };
    return this.write(pending, nowMs, -1, ok);
  }

  /**
   * A batch already appended (a producer's retry): once what was queued before it is written (and,
   * for acks=all, durable), answer with the original offsets. If the original write failed in the
   * meantime, the state no longer knows it and the batch is appended anew.
   */
  private async answerDuplicate(
    duplicate: { firstOffset: number; lastOffset: number },
    records: Uint8Array,
    options: { requiredAcks: RequiredAcks; leaderEpoch: number },
  ): Promise<AppendResult> {
    try {
      await this.exclusive(() => Promise.resolve());
      if (options.requiredAcks === -1 && this.durability.mode === "fsync" && this.syncedEnd <= duplicate.lastOffset) {
        await this.requestSync();
      }
    } catch (error) {
      return storageError(error);
    }
    if (duplicate.lastOffset >= this.writtenEnd) return this.append(records, options);
    return {
      errorCode: 0,
      baseOffset: duplicate.firstOffset,
      lastOffset: duplicate.lastOffset,
      logAppendTimeMs: -1,
      logStartOffset: this.logStartOffset,
    };
  }

  /** Checks every batch as Kafka's log validator does; returns them, or the error to answer. */
  private validate(records: Uint8Array, nowMs: number): RecordBatchView[] | AppendResult {
    const batches: RecordBatchView[] = [];
    let index = 0;
    try {
      const iterator = iterateBatches(records);
      for (;;) {
        const next = iterator.next();
        if (next.done === true) {
          if (next.value > 0) {
            return {
              errorCode: ErrorCode.CORRUPT_MESSAGE,
              errorMessage: `${next.value} trailing bytes are not a whole batch`,
            };
          }
          break;
        }
        const batch = next.value;
        if (batch.bytes.length > this.config.maxMessageBytes) {
          return {
            errorCode: ErrorCode.MESSAGE_TOO_LARGE,
            errorMessage: `batch of ${batch.bytes.length} bytes exceeds max.message.bytes ${this.config.maxMessageBytes}`,
            batchIndex: index,
          };
        }
        const header = validateBatch(batch.bytes);
        if (header.control) {
          return {
            errorCode: ErrorCode.INVALID_RECORD,
            errorMessage: "clients may not write control batches",
            batchIndex: index,
          };
        }
        if (header.transactional && header.producerId < 0n) {
          return {
            errorCode: ErrorCode.INVALID_RECORD,
            errorMessage: "a transactional batch needs a producer id",
            batchIndex: index,
          };
        }
        if (header.recordsCount !== header.lastOffsetDelta + 1) {
          return {
            errorCode: ErrorCode.INVALID_RECORD,
            errorMessage: `${header.recordsCount} records but lastOffsetDelta ${header.lastOffsetDelta}`,
            batchIndex: index,
          };
        }
        const recordError = this.validateRecords(batch, nowMs);
        if (recordError !== undefined) return { ...recordError, batchIndex: index };
        batches.push(batch);
        index++;
      }
    } catch (error) {
      if (error instanceof DecodeError) {
        const corrupt = error.path === "crc" || error.path === "batchLength" || error.path === "";
        return {
          errorCode: corrupt ? ErrorCode.CORRUPT_MESSAGE : ErrorCode.INVALID_RECORD,
          errorMessage: error.message,
          batchIndex: index,
        };
      }
      throw error;
    }
    const total = batches.reduce((n, b) => n + b.bytes.length, 0);
    if (total > this.config.segmentBytes) {
      return { errorCode: ErrorCode.RECORD_LIST_TOO_LARGE, errorMessage: `${total} bytes exceed segment.bytes` };
    }
    return batches;
  }

  /** Record-level checks: dense offset deltas, keys on compacted topics, timestamp bounds. */
  private validateRecords(
    batch: RecordBatchView,
    nowMs: number,
  ): { errorCode: number; errorMessage: string } | undefined {
    const checkTimestamps = this.config.timestampType === "CreateTime";
    const needKeys = this.config.cleanupPolicy.compact;
    let expectedDelta = 0;
    for (const record of iterateRecords(batch.bytes, { maxBytes: recordsDecodeBytesMax, verifyCrc: false })) {
      if (record.offsetDelta !== expectedDelta) {
        return {
          errorCode: ErrorCode.INVALID_RECORD,
          errorMessage: `record offset delta ${record.offsetDelta}, expected ${expectedDelta}`,
        };
      }
      expectedDelta++;
      if (needKeys && record.key === null) {
        return {
          errorCode: ErrorCode.INVALID_RECORD,
          errorMessage: "a compacted topic cannot accept a record without a key",
        };
      }
      if (checkTimestamps) {
        const ts = Number(record.timestamp);
        if (ts < nowMs - this.config.timestampBeforeMaxMs || ts > nowMs + this.config.timestampAfterMaxMs) {
          return {
            errorCode: ErrorCode.INVALID_TIMESTAMP,
            errorMessage: `timestamp ${ts} is out of the accepted range`,
          };
        }
      }
    }
    return undefined;
  }

  /**
   * Queues an append. Appends queued while an earlier write is under way are written together,
   * with one vectored write, when their turn comes (write coalescing: fewer syscalls, and one
   * group commit covers them all).
   */
  private enqueueWrite(pending: PendingAppend, nowMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const item = { pending, resolve, reject };
      const open = this.openGroup;
      if (open !== undefined && open.bytes + pending.sizeBytes <= writeGroupBytesMax) {
        open.items.push(item);
        open.bytes += pending.sizeBytes;
        return;
      }
      const group: WriteGroup = { items: [item], bytes: pending.sizeBytes, nowMs };
      this.openGroup = group;
      this.exclusive(async () => {
        if (this.openGroup === group) this.openGroup = undefined;
        await this.writeGroup(group);
      }).catch(() => undefined); // each append's own promise carries its outcome
    });
  }

  private async writeGroup(group: WriteGroup): Promise<void> {
    // Appends assigned before a failed write can no longer be written densely.
    let items = group.items.filter((item) => {
      if (item.pending.epoch === this.appendEpoch) return true;
      for (const u of item.pending.undo) u();
      item.reject(new StorageIoError("an earlier append to this partition failed", { code: "EIO" }));
      return false;
    });
    while (items.length > 0) {
      const head = items[0];
      const first = head?.pending.batches[0];
      if (head === undefined || first === undefined) return;
      if (this.shouldRoll(head.pending.sizeBytes, group.nowMs)) await this.roll(first.baseOffset);
      // As many appends as fit in the active segment go in one write.
      let take = 1;
      let bytes = head.pending.sizeBytes;
      for (; take < items.length; take++) {
        const next = items[take]?.pending.sizeBytes ?? 0;
        if (this.active.sizeBytes + bytes + next > this.config.segmentBytes) break;
        bytes += next;
      }
      const run = items.slice(0, take);
      items = items.slice(take);
      try {
        await this.active.append(
          run.flatMap((item) => item.pending.batches),
          run.flatMap((item) => item.pending.chunks),
          group.nowMs,
        );
      } catch (error) {
        // Hand out offsets again from the end of what was written; fail everything after.
        this.appendEpoch++;
        this.nextOffset = this.writtenEnd;
        const failed = [...run, ...items];
        for (const item of [...failed].reverse()) for (const u of item.pending.undo) u();
        for (const item of failed) item.reject(error);
        return;
      }
      this.writtenEnd = this.active.nextOffset;
      for (const item of run) item.resolve();
    }
  }

  /** Runs `task` in the write queue: after every append assigned before, before any after. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const result = this.writeQueue.then(task);
    this.writeQueue = result.catch(() => undefined);
    return result;
  }

  /** After a completed write: in fsync mode wait for the group commit; otherwise expose it now. */
  private async afterWrite(): Promise<void> {
    if (this.durability.mode === "fsync") {
      await this.requestSync();
    } else {
      this.advanceHighWatermark(this.writtenEnd);
    }
  }

  private shouldRoll(incomingBytes: number, nowMs: number): boolean {
    const active = this.active;
    if (active.sizeBytes === 0) return false;
    if (active.sizeBytes + incomingBytes > this.config.segmentBytes) return true;
    return active.firstAppendMs !== undefined && nowMs - active.firstAppendMs >= this.config.segmentMs;
  }

  /** Closes the active segment (durably, with its indexes saved) and starts a new one. */
  private async roll(baseOffset: number): Promise<void> {
    const old = this.active;
    await old.sync();
    await old.saveIndexes();
    await this.saveTxnIndex(old);
    await this.saveProducerSnapshot(baseOffset);
    const next = await Segment.create({
      dir: this.dir,
      baseOffset,
      pool: this.pool,
      backend: this.backend,
      indexIntervalBytes: this.config.indexIntervalBytes,
      ...(this.indexCache === undefined ? {} : { indexCache: this.indexCache }),
    });
    await this.backend.syncDir(this.dir);
    this.segments.push(next);
    old.release();
    if (old.sizeBytes === 0) {
      this.segments.splice(this.segments.indexOf(old), 1);
      await old.delete();
    }
  }

  /**
   * Group commit: resolves after an fdatasync that started after this call. While one sync runs,
   * every new request waits for the next one, so N concurrent appends cost about two syncs.
   */
  private requestSync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      this.pumpSyncs();
    });
  }

  /**
   * Starts syncs for the waiting appends, up to `syncsInFlightMax` at once: each covers every
   * write completed before it started; appends that arrive while all are busy share the next one.
   */
  private pumpSyncs(): void {
    while (this.syncWaiters.length > 0 && this.syncsRunning < syncsInFlightMax) {
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      const covered = this.writtenEnd;
      this.syncsRunning++;
      this.syncNow()
        .then(
          () => {
            this.syncedEnd = Math.max(this.syncedEnd, covered);
            this.advanceHighWatermark(covered);
            for (const w of waiters) w.resolve();
          },
          (error: unknown) => {
            this.failed = error instanceof StorageIoError ? error : new StorageIoError(String(error), { code: "EIO" });
            for (const w of waiters) w.reject(error);
          },
        )
        .finally(() => {
          this.syncsRunning--;
          this.pumpSyncs();
        });
    }
  }

  private async syncNow(): Promise<void> {
    await this.active.sync();
  }

  /** Makes everything written durable now (interval mode's timer, shutdown). */
  async flush(): Promise<void> {
    await this.writeQueue;
    const covered = this.writtenEnd;
    await this.syncNow();
    this.syncedEnd = Math.max(this.syncedEnd, covered);
    this.advanceHighWatermark(covered);
  }

  private segmentFor(offset: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.segments[mid];
      if (s === undefined) break;
      if (s.baseOffset <= offset) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Reads whole batches from `offset`, at most `maxBytes` (but at least one batch when
   * `minOneBatch`, as Kafka returns an oversized first batch), below `maxOffset` (the high
   * watermark by default). Batches come from one segment per call.
   */
  async read(options: {
    offset: number;
    maxBytes: number;
    maxOffset?: number;
    minOneBatch: boolean;
  }): Promise<ReadResult> {
    const maxOffset = Math.min(options.maxOffset ?? this.highWatermarkOffset, this.writtenEnd);
    const result = (errorCode: number, records: Uint8Array): ReadResult => ({
      errorCode,
      records,
      highWatermark: this.highWatermarkOffset,
      logStartOffset: this.logStartOffsetValue,
      logEndOffset: this.writtenEnd,
    });
    const empty = new Uint8Array(0);
    if (options.offset < this.logStartOffsetValue || options.offset > this.writtenEnd) {
      return result(ErrorCode.OFFSET_OUT_OF_RANGE, empty);
    }
    if (options.offset >= maxOffset) return result(0, empty);
    for (let attempt = 0; ; attempt++) {
      let segment = this.segmentFor(options.offset);
      // An offset between segments (after compaction or an empty roll) reads from the next one.
      if (segment !== undefined && options.offset >= segment.nextOffset) {
        segment = this.segments[this.segments.indexOf(segment) + 1];
      }
      segment ??= this.segments[0];
      if (segment === undefined) return result(0, empty);
      try {
        return result(0, await this.readSegment(segment, options.offset, maxOffset, options));
      } catch (error) {
        if (error instanceof CorruptLogError) return result(ErrorCode.KAFKA_STORAGE_ERROR, empty);
        // The segment was deleted by retention or DeleteRecords while being read.
        if (error instanceof StorageIoError && options.offset < this.logStartOffsetValue) {
          return result(ErrorCode.OFFSET_OUT_OF_RANGE, empty);
        }
        // The cleaner swapped the segment for its compacted copy during the read: once the swap
        // is done (it runs in the write queue), read the copy.
        if (error instanceof StorageIoError && error.code === "ESTALE" && attempt === 0) {
          await this.writeQueue;
          continue;
        }
        if (error instanceof StorageIoError) return result(ErrorCode.KAFKA_STORAGE_ERROR, empty);
        throw error;
      }
    }
  }

  /**
   * Reads from one segment with (usually) a single file read: from the index entry at or before
   * `offset`, enough bytes to skip to it and to fill `maxBytes`. CRCs are checked on the way out
   * (hardware CRC32C is cheap), so corrupt bytes on disk are never served as if valid.
   */
  private async readSegment(
    segment: Segment,
    offset: number,
    maxOffset: number,
    options: { maxBytes: number; minOneBatch: boolean },
  ): Promise<Uint8Array> {
    let position = await segment.positionOf(offset);
    const limit = segment.sizeBytes;
    let want = options.maxBytes + 2 * this.config.indexIntervalBytes;
    for (;;) {
      if (position >= limit) return new Uint8Array(0);
      const chunk = await segment.read(position, Math.min(limit - position, Math.max(want, 64 * 1024)));
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let at = 0;
      let first = -1;
      let end = 0;
      for (;;) {
        if (at + 12 > chunk.length) break;
        const size = 12 + view.getInt32(at + 8);
        if (size < 61) throw new CorruptLogError(`bad batch length in ${segment.logPath} at ${position + at}`);
        if (at + size > chunk.length) {
          if (first >= 0) break; // what we have is the answer
          if (position + at + size > limit) throw new CorruptLogError(`batch overruns ${segment.logPath}`);
          // Still skipping (or the first batch is larger than the chunk): read again from this batch.
          position += at;
          want = Math.max(size, want);
          at = -1;
          break;
        }
        let header;
        try {
          header = validateBatch(chunk, at);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          if (first >= 0) break; // serve the valid batches before the corrupt one
          throw new CorruptLogError(`corrupt batch in ${segment.logPath} at ${position + at}: ${error.message}`);
        }
        const base = Number(header.baseOffset);
        if (base + header.lastOffsetDelta < offset) {
          at += size;
          continue;
        }
        if (base >= maxOffset) break;
        if (first < 0) {
          if (size > options.maxBytes && !options.minOneBatch) break;
          first = at;
        } else if (at + size - first > options.maxBytes) break;
        end = at + size;
        at += size;
      }
      if (at === -1) continue;
      if (first < 0) {
        if (at > 0 && at + 12 > chunk.length && position + at < limit && chunk.length < limit - position) {
          // Skipped a whole chunk without reaching the offset: go on from where it ended.
          position += at;
          continue;
        }
        return new Uint8Array(0);
      }
      return chunk.subarray(first, end);
    }
  }

  /** Visits every batch below the high watermark from `fromOffset` on, segment by segment. */
  private async scanFrom(fromOffset: number, visit: (batch: ScannedBatch) => boolean | "stop"): Promise<void> {
    for (const segment of this.segments) {
      if (segment.nextOffset <= fromOffset) continue;
      let stop = false;
      await segment.scan(await segment.positionOf(fromOffset), segment.sizeBytes, false, (batch) => {
        if (batch.baseOffset >= this.highWatermarkOffset) {
          stop = true;
          return false;
        }
        if (batch.lastOffset < fromOffset) return true;
        const v = visit(batch);
        if (v === "stop") stop = true;
        return v === true;
      });
      if (stop) return;
    }
  }

  /** The first record with timestamp ≥ `timestampMs` (ListOffsets by time), below the high watermark. */
  async offsetForTimestamp(timestampMs: number): Promise<TimestampLookup | undefined> {
    const segment = this.segments.find((s) => s.maxTimestampMs >= timestampMs);
    if (segment === undefined) return undefined;
    const from = Math.max(await segment.offsetForTimestampScan(timestampMs), this.logStartOffsetValue);
    let found: TimestampLookup | undefined;
    await this.scanFrom(from, (batch) => {
      if (Number(batch.header.maxTimestamp) < timestampMs) return true;
      for (const record of iterateRecords(batch.bytes, { maxBytes: recordsDecodeBytesMax, verifyCrc: false })) {
        const offset = Number(record.offset);
        if (offset >= this.logStartOffsetValue && Number(record.timestamp) >= timestampMs) {
          found = { offset, timestampMs: Number(record.timestamp) };
          return "stop";
        }
      }
      return true;
    });
    return found;
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP); the first such on ties. */
  async maxTimestamp(): Promise<TimestampLookup | undefined> {
    let best: TimestampLookup | undefined;
    let bestBatch: ScannedBatch | undefined;
    await this.scanFrom(this.logStartOffsetValue, (batch) => {
      const ts = Number(batch.header.maxTimestamp);
      if (best === undefined || ts > best.timestampMs) {
        best = { offset: batch.baseOffset, timestampMs: ts };
        bestBatch = { ...batch, bytes: batch.bytes.slice() };
      }
      return true;
    });
    if (best === undefined || bestBatch === undefined) return undefined;
    const target = best.timestampMs;
    for (const record of iterateRecords(bestBatch.bytes, { maxBytes: recordsDecodeBytesMax, verifyCrc: false })) {
      if (Number(record.timestamp) === target && Number(record.offset) >= this.logStartOffsetValue) {
        return { offset: Number(record.offset), timestampMs: target };
      }
    }
    return best;
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (at most the high watermark) and
   * deletes the segments wholly below it. Returns the new log start offset, or an error code.
   */
  async deleteRecordsBefore(offset: number): Promise<{ errorCode: number; logStartOffset: number }> {
    if (offset > this.highWatermarkOffset || offset < 0) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: this.logStartOffsetValue };
    }
    if (offset > this.logStartOffsetValue) this.logStartOffsetValue = offset;
    await this.deleteSegmentsBelow(this.logStartOffsetValue);
    return { errorCode: 0, logStartOffset: this.logStartOffsetValue };
  }

  private async deleteSegmentsBelow(offset: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1) {
      const first = this.segments[0];
      const second = this.segments[1];
      if (first === undefined || second === undefined || second.baseOffset > offset) break;
      this.segments.shift();
      this.dropDeletedAbortedTxns();
      await first.delete();
      deleted++;
    }
    return deleted;
  }

  /**
   * Deletes whole segments past retention.ms (by their largest timestamp) or beyond retention.bytes,
   * oldest first; the active segment is rolled first when it alone has expired. Returns segments deleted.
   */
  async applyRetention(): Promise<number> {
    const nowMs = this.clock.nowMs();
    this.producers.expire(nowMs, this.config.producerIdExpirationMs);
    if (!this.config.cleanupPolicy.delete) return 0;
    let deleted = 0;
    await this.writeQueue;
    const { retentionMs, retentionBytes } = this.config;
    let total = this.sizeBytes;
    for (;;) {
      const first = this.segments[0];
      if (first === undefined || (first.sizeBytes === 0 && first === this.active)) break;
      // Compaction may leave the first segment empty (it keeps the log start offset in place):
      // such a placeholder goes when the segment after it does.
      const probe = first.sizeBytes === 0 ? (this.segments[1] ?? first) : first;
      const expired = retentionMs >= 0 && probe.maxTimestampMs >= 0 && nowMs - probe.maxTimestampMs > retentionMs;
      const oversize = retentionBytes >= 0 && total - probe.sizeBytes >= retentionBytes;
      if (!expired && !oversize) break;
      if (first === this.active) {
        if (first.nextOffset > this.highWatermarkOffset) break;
        // Roll inside the write queue, so no append runs against the segment while it closes.
        await this.exclusive(async () => {
          if (first === this.active && first.sizeBytes > 0) await this.roll(first.nextOffset);
        });
        if (first === this.active) break;
      }
      const next = this.segments[1];
      if (next === undefined) break;
      this.segments.shift();
      total -= first.sizeBytes;
      this.logStartOffsetValue = Math.max(this.logStartOffsetValue, next.baseOffset);
      this.dropDeletedAbortedTxns();
      await first.delete();
      deleted++;
    }
    return deleted;
  }

  /** The closed segments, oldest first (a snapshot): what the log cleaner may compact. */
  closedSegments(): Segment[] {
    return this.segments.slice(0, -1);
  }

  /**
   * The log cleaner's swap of closed segment `old` for its compacted copy `cleaned` (complete;
   * see Segment.replaceWith). An empty copy removes the segment instead, unless it is the first,
   * which stays as an empty placeholder so that the log start offset does not move on reopen.
   * Runs in the write queue, so no roll, close or delete interleaves (appends wait for the swap).
   * Says "gone", discarding the copy, when `old` is no longer a closed segment of this log
   * (deleted by retention or DeleteRecords meanwhile), and "closed" when the log is closed or
   * failed. A failed swap leaves the log failed, as a failed sync does: appends are refused until
   * it is reopened, which finds either segment whole.
   *
   * `droppedAbortMarkers`: offsets of abort markers the copy no longer holds (their transactions'
   * records are gone too). Their aborted-transaction entries go first — from memory, then from
   * the segment's `.txnindex` — and only then the markers: an entry without its marker would make
   * read_committed clients drop that producer's later records, while a marker without its entry
   * (after a crash in between) is harmless, as there is nothing left of its transaction to drop.
   */
  async replaceSegment(
    old: Segment,
    cleaned: Segment,
    options: { droppedAbortMarkers?: readonly number[] } = {},
  ): Promise<"replaced" | "removed" | "gone" | "closed"> {
    const dropped = new Set(options.droppedAbortMarkers ?? []);
    let outcome: "replaced" | "removed" | "gone" | "closed" = "closed";
    await this.exclusive(async () => {
      if (this.closed || this.failed !== undefined) {
        await cleaned.delete();
        return;
      }
      if (old === this.active || !this.segments.includes(old)) {
        outcome = "gone";
        await cleaned.delete();
        return;
      }
      try {
        if (dropped.size > 0) {
          this.abortedTxns = this.abortedTxns.filter((t) => !dropped.has(t.lastOffset));
          await this.saveTxnIndex(old);
        }
        if (cleaned.sizeBytes === 0 && old !== this.segments[0]) {
          this.segments.splice(this.segments.indexOf(old), 1);
          outcome = "removed";
          await old.delete();
          await cleaned.delete();
          return;
        }
        const next = await old.replaceWith(cleaned);
        // Retention or DeleteRecords do not wait for the write queue: they may have dropped it meanwhile.
        const at = this.segments.indexOf(old);
        if (at < 0) {
          outcome = "gone";
          await next.delete();
          return;
        }
        this.segments[at] = next;
        outcome = "replaced";
      } catch (error) {
        if (old.isReplaced || !this.segments.includes(old)) {
          this.failed =
            error instanceof StorageIoError ? error : new StorageIoError(String(error), { code: "EIO", cause: error });
        } else {
          await cleaned.delete().catch(() => undefined); // nothing of the log changed (the copy's sync failed)
        }
        throw error;
      }
    });
    return outcome;
  }

  /** Closes the log: waits for writes, makes everything durable and saves the active segment's indexes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeQueue;
    if (this.failed === undefined) {
      await this.flush();
      await this.active.saveIndexes();
      await this.saveTxnIndex(this.active);
      await this.saveProducerSnapshot(this.active.baseOffset);
    }
    for (const s of this.segments) await this.pool.close(s.logPath);
    this.listeners.clear();
  }

  /** Deletes the whole log from disk (DeleteTopics). */
  async delete(): Promise<void> {
    this.closed = true;
    await this.writeQueue;
    for (const s of this.segments) await this.pool.close(s.logPath);
    await this.backend.removeDir(this.dir);
    this.listeners.clear();
  }
}

async function dropSegmentFiles(backend: StorageBackend, pool: FilePool, dir: string, base: number): Promise<void> {
  const name = String(base).padStart(20, "0");
  await pool.close(`${dir}/${name}.log`);
  for (const suffix of [".log", ".index", ".timeindex", ".txnindex"]) await backend.remove(`${dir}/${name}${suffix}`);
}

/** The type and coordinator epoch of an end-transaction marker; undefined for other control batches or unreadable ones. */
function markerOf(bytes: Uint8Array): { type: "commit" | "abort"; coordinatorEpoch: number } | undefined {
  try {
    for (const record of iterateRecords(bytes, { maxBytes: recordsDecodeBytesMax, verifyCrc: false })) {
      const { type, coordinatorEpoch } = decodeControlRecord(record);
      return type === "commit" || type === "abort" ? { type, coordinatorEpoch: coordinatorEpoch ?? -1 } : undefined;
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
  return undefined;
}
