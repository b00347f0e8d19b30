// The log cleaner: compaction of `cleanup.policy=compact` logs as Kafka's LogCleaner does — closed
// segments keep the latest record per key, at its original offset, and old tombstones go — and
// its scheduler, which cleans one partition at a time, yields to the event loop between batches
// and honours an I/O rate limit, so that produce and fetch are never starved.
//
// The rules, per log:
// - Cleanable segments: the closed segments from the start of the log up to (not including) the
//   first one that reaches past the last stable offset (so past the high watermark, and into no
//   ongoing transaction: Kafka's first uncleanable offset is at most the LSO) or holds a record
//   younger than min.compaction.lag.ms (now − its max timestamp < the lag). The active segment is
//   never cleaned.
// - The cleaner checkpoint (Kafka's first dirty offset): offsets below it have been cleaned. Kept
//   per log, persisted by LogManager in checkpoint.json (absent = 0). The dirty section is
//   [checkpoint, end of the cleanable segments).
// - Dirty ratio = bytes of the cleanable segments holding offsets ≥ checkpoint / bytes of all
//   cleanable segments. A log is cleaned when it has dirty bytes and the ratio is at least
//   min.cleanable.dirty.ratio — or when a tombstone or a marker kept by an earlier pass is now
//   past delete.retention.ms (known in memory only: after a restart, the next regular pass finds it).
// - A pass maps key → latest offset over the dirty section, at most `keyMapEntriesMax` keys. When
//   the map is full the pass covers the dirty section only up to the record whose key did not fit
//   (`mapEnd`); the next pass goes on from there. It then rewrites every cleanable segment with
//   offsets below mapEnd, oldest first, and moves the checkpoint to mapEnd.
// - A record at offset o < mapEnd is dropped when it has no key (as Kafka does), or when a later
//   offset of its key is mapped. A tombstone (null value) that is the latest record of its key is
//   dropped once now − its timestamp > delete.retention.ms. Records at or after mapEnd are kept
//   (unless aborted, below), markers as below. Why dropping a latest tombstone never resurrects an
//   older value: below the checkpoint each key has at most one record (every completed pass leaves
//   one per key below its mapEnd), so nothing older than the tombstone remains; and segments are
//   rewritten oldest first, each swap atomic, so a crash between two swaps cannot have dropped a
//   tombstone while an older value of its key (in an earlier segment) survives.
// - Kept batches are copied byte for byte; a batch losing some records is re-encoded with the
//   same base offset, lastOffsetDelta, producer id/epoch/base sequence, timestamp type,
//   compression and transactional flag; a batch losing all of them is dropped; a segment with
//   nothing to remove is not rewritten at all.
// - Transactions (as Kafka's CleanedTransactionMetadata): everything cleaned is below the LSO, so
//   every transactional batch there belongs to a transaction ended by a marker, and the log's
//   aborted-transaction index says which were aborted — a transactional batch of producer P at or
//   after an aborted transaction's first offset, before P's abort marker. Such batches are never
//   mapped (an aborted record must not supersede a committed one) and are dropped whole. Committed
//   transactional records are compacted like any others.
// - Markers (control batches) stay while their transaction has records in the log. A pass that
//   meets a marker whose transaction has none left (every record compacted away or aborted and
//   dropped in an earlier pass) notes the time; a pass more than delete.retention.ms later drops
//   it, as Kafka's delete horizon does, so that a consumer that read the transaction's records
//   before they went still finds its marker. The times are kept in memory only (after a restart
//   the wait starts over: markers are only ever kept longer), for at most
//   `discardableMarkersMax` markers (the others wait for a later pass). An abort marker's index
//   entry goes with it (PartitionLog.replaceSegment). The last marker of a producer the log still
//   tracks with no data batch in that epoch is kept: it carries the producer's epoch, should the
//   producer state ever be rebuilt from the log (Kafka keeps it for the same reason).
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { setImmediate, setTimeout } from "node:timers/promises";
import { decodeControlRecord, DecodeError, encodeRecordBatch, iterateRecords, readBatchHeader } from "@samsa/protocol";
import type { DecodedRecord, RecordBatchHeader } from "@samsa/protocol";
import type { Clock } from "./log-config.ts";
import { CorruptLogError } from "./partition-log.ts";
import type { PartitionLog } from "./partition-log.ts";
import type { BatchInfo, ScannedBatch, Segment } from "./segment.ts";

/** Real (monotonic) time for the I/O throttle; tests inject a fake one. */
export interface IoTimer {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const realIoTimer: IoTimer = {
  nowMs: () => performance.now(),
  sleep: async (ms) => {
    await setTimeout(ms);
  },
};

export interface LogCleanerOptions {
  /** The broker's clock: min.compaction.lag.ms and delete.retention.ms are measured with it. */
  readonly clock: Clock;
  /**
   * Most distinct keys one pass maps (Kafka bounds the same map by bytes,
   * log.cleaner.dedupe.buffer.size). Each entry holds the key, or its SHA-256 when longer than
   * 32 bytes, and an offset: about 100 bytes. Default 1,000,000.
   */
  readonly keyMapEntriesMax?: number;
  /** log.cleaner.io.max.bytes.per.second: bytes read plus written. Unlimited by default. */
  readonly ioBytesPerSecondMax?: number;
  readonly ioTimer?: IoTimer;
}

/** What one cleaning pass of one log did. */
export interface LogCleanResult {
  readonly topic: string;
  readonly partition: number;
  /** The dirty ratio that made the pass due. */
  readonly dirtyRatio: number;
  /** The pass cleaned the log below `cleanedUpTo`, mapping keys from `firstDirtyOffset` on. */
  readonly firstDirtyOffset: number;
  readonly cleanedUpTo: number;
  /** Distinct keys mapped. */
  readonly keysMapped: number;
  readonly segmentsRewritten: number;
  /** Segments left empty, and so deleted. */
  readonly segmentsRemoved: number;
  readonly recordsRemoved: number;
  /** Of which records of aborted transactions. */
  readonly abortedRecordsRemoved: number;
  /** Transaction markers dropped (their transactions had no records left, for delete.retention.ms). */
  readonly markersRemoved: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export interface CleanerRound {
  readonly cleaned: readonly LogCleanResult[];
  /** Logs whose pass failed; they are tried again next round (unless corrupt: see `uncleanable`). */
  readonly failed: readonly { readonly topic: string; readonly partition: number; readonly error: Error }[];
}

export const keyMapEntriesMaxDefault = 1_000_000;
/** Keys up to this length are mapped as they are; longer ones by their SHA-256. */
const keyBytesInMapMax = 32;
/** The scans read about this much before the records are looked at (and the throttle consulted). */
const readChunkBytes = 256 * 1024;
/** The cleaned copy is appended in writes of about this size. */
const writeChunkBytes = 256 * 1024;
/** Largest decompressed records of one batch (as the log's own record checks). */
const recordsDecodeBytesMax = 64 * 1024 * 1024;
/** Most markers per log whose wait for delete.retention.ms is timed (about 80 bytes each). */
const discardableMarkersMax = 100_000;

interface CleanerState {
  /** Offsets below this have been cleaned. */
  checkpoint: number;
  /** Smallest timestamp of the tombstones the last pass kept (latest of their key, too recent); undefined for none. */
  oldestTombstoneMs: number | undefined;
  /** Markers whose transactions have no records left: offset → when a pass first found so. */
  discardableMarkers: Map<number, number>;
  /** The earliest of those times; undefined for none. */
  oldestDiscardableMarkerMs: number | undefined;
  /** Why the log is not cleaned any more (a corrupt batch): until the broker restarts. */
  uncleanable: string | undefined;
}

interface CleaningPlan {
  readonly segments: readonly Segment[];
  readonly firstDirty: number;
  /** Offsets below this lie in the cleanable segments. */
  readonly cleanableEnd: number;
  readonly dirtyRatio: number;
  readonly nowMs: number;
}

/** The working state of one pass. */
interface Pass {
  readonly log: PartitionLog;
  readonly map: Map<string, number>;
  readonly mapEnd: number;
  readonly nowMs: number;
  readonly deleteRetentionMs: number;
  oldestTombstoneMs: number | undefined;
  /** Which transactional batches met so far are aborted, and which markers' transactions are empty. */
  readonly txns: TxnTracker;
  /** The markers found without records by earlier passes (CleanerState), and by this one. */
  readonly discardableBefore: ReadonlyMap<number, number>;
  readonly discardableNow: Map<number, number>;
  /** Offsets of the abort markers dropped from the segment being cleaned. */
  droppedAbortMarkers: number[];
  /** The end of the batches this pass has visited. */
  visitedEnd: number;
  recordsRemoved: number;
  abortedRecordsRemoved: number;
  markersRemoved: number;
  segmentsRewritten: number;
  segmentsRemoved: number;
  bytesRead: number;
  bytesWritten: number;
}

/**
 * Follows transactions through the batches of a log in offset order, as a read_committed reader
 * does (and Kafka's CleanedTransactionMetadata): from an aborted transaction's first offset until
 * its abort marker, the producer's transactional batches are aborted.
 */
class TxnTracker {
  /** The aborted transactions not yet reached, by first offset. */
  private readonly pending: readonly { readonly producerId: bigint; readonly firstOffset: number }[];
  private next = 0;
  /** Producers inside an aborted transaction → whether any of its batches was met. */
  private readonly aborted = new Map<bigint, { observed: boolean }>();
  /** Producers inside a (committed) transaction with a batch met. */
  private readonly committed = new Set<bigint>();

  constructor(aborted: readonly { readonly producerId: bigint; readonly firstOffset: number }[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private reach(offset: number): void {
    for (; this.next < this.pending.length; this.next++) {
      const t = this.pending[this.next];
      if (t === undefined || t.firstOffset > offset) break;
      if (!this.aborted.has(t.producerId)) this.aborted.set(t.producerId, { observed: false });
    }
  }

  /** A data batch: whether it belongs to an aborted transaction. */
  onData(header: RecordBatchHeader): boolean {
    this.reach(Number(header.lastOffset));
    if (!header.transactional) return false;
    const aborted = this.aborted.get(header.producerId);
    if (aborted !== undefined) {
      aborted.observed = true;
      return true;
    }
    this.committed.add(header.producerId);
    return false;
  }

  /** An end-transaction marker: whether its transaction had no batch left (met since the tracker began). */
  onMarker(header: RecordBatchHeader, type: "commit" | "abort"): boolean {
    this.reach(Number(header.lastOffset));
    const id = header.producerId;
    const aborted = this.aborted.get(id);
    this.aborted.delete(id);
    // Either set says whether the transaction's batches were met (the committed one, too, for an
    // abort whose index entry is missing: then its batches were taken for committed and kept).
    const committed = this.committed.delete(id);
    return type === "abort" ? aborted?.observed !== true && !committed : !committed;
  }
}

/** The type of an end-transaction marker batch; undefined for other control batches. */
function markerTypeOf(batch: ScannedBatch): "commit" | "abort" | undefined {
  for (const record of recordsOf(batch)) {
    const type = decodeControlRecord(record).type;
    return type === "commit" || type === "abort" ? type : undefined;
  }
  return undefined;
}

/** Thrown inside a pass when the cleaner is stopped: the pass ends without moving the checkpoint. */
class CleanerStoppedError extends Error {
  override readonly name = "CleanerStoppedError";
}

/** Thrown inside a pass when its log is closed or deleted meanwhile: the pass is abandoned. */
class LogClosedError extends Error {
  override readonly name = "LogClosedError";
}

/**
 * Holds I/O to a rate: after each chunk, sleeps until the bytes so far in the current window fit
 * the rate. Windows restart every second, so an idle spell does not bank a burst.
 */
export class Throttler {
  private readonly bytesPerSecond: number;
  private readonly timer: IoTimer;
  private windowStartMs: number;
  private windowBytes = 0;

  constructor(options: { bytesPerSecond: number; timer: IoTimer }) {
    if (!(options.bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond ${options.bytesPerSecond} must be > 0`);
    this.bytesPerSecond = options.bytesPerSecond;
    this.timer = options.timer;
    this.windowStartMs = options.timer.nowMs();
  }

  async consume(bytes: number): Promise<void> {
    if (this.bytesPerSecond === Infinity) return;
    this.windowBytes += bytes;
    const dueMs = (this.windowBytes * 1000) / this.bytesPerSecond;
    const elapsedMs = this.timer.nowMs() - this.windowStartMs;
    if (dueMs > elapsedMs) await this.timer.sleep(dueMs - elapsedMs);
    const nowMs = this.timer.nowMs();
    if (nowMs - this.windowStartMs >= 1000) {
      this.windowStartMs = nowMs;
      this.windowBytes = 0;
    }
  }
}

/** The map's name for a key: the bytes themselves (as latin1, one char per byte), or a digest. */
function mapKey(key: Uint8Array): string {
  if (key.length <= keyBytesInMapMax) {
    return "=" + Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
  }
  return "#" + createHash("sha256").update(key).digest("latin1");
}

function recordsOf(batch: ScannedBatch): Iterable<DecodedRecord> {
  // The scan checked the CRC already.
  return iterateRecords(batch.bytes, { maxBytes: recordsDecodeBytesMax, verifyCrc: false });
}

function infoOf(header: RecordBatchHeader): BatchInfo {
  const baseOffset = Number(header.baseOffset);
  return {
    baseOffset,
    lastOffset: baseOffset + header.lastOffsetDelta,
    maxTimestampMs: Number(header.maxTimestamp),
    sizeBytes: header.sizeBytes,
  };
}

/** Re-encodes a batch with only `records`, keeping everything that identifies the batch. */
function rewriteBatch(header: RecordBatchHeader, records: readonly DecodedRecord[]): Uint8Array {
  return encodeRecordBatch({
    records: records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
      offsetDelta: r.offsetDelta,
    })),
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression: header.compression,
    timestampType: header.timestampType,
    transactional: header.transactional,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    // The offset range stays, even when the last records are gone.
    lastOffsetDelta: header.lastOffsetDelta,
    // LogAppendTime: every record's timestamp is the batch's, which stays. CreateTime: the max
    // timestamp is that of the records kept, as Kafka's cleaner writes it.
    ...(header.timestampType === "LogAppendTime" ? { maxTimestamp: header.maxTimestamp } : {}),
  });
}

/** Appends batches to a cleaned copy in chunks of about writeChunkBytes, throttled. */
class CopyWriter {
  private readonly copy: Segment;
  private readonly throttler: Throttler;
  private readonly pass: Pass;
  private infos: BatchInfo[] = [];
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(options: { copy: Segment; throttler: Throttler; pass: Pass }) {
    this.copy = options.copy;
    this.throttler = options.throttler;
    this.pass = options.pass;
  }

  async add(bytes: Uint8Array, info: BatchInfo): Promise<void> {
    this.infos.push(info);
    this.chunks.push(bytes);
    this.bytes += bytes.length;
    if (this.bytes >= writeChunkBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const { infos, chunks, bytes } = this;
    this.infos = [];
    this.chunks = [];
    this.bytes = 0;
    await this.copy.append(infos, chunks, this.pass.nowMs);
    this.pass.bytesWritten += bytes;
    await this.throttler.consume(bytes);
  }
}

export class LogCleaner {
  private readonly clock: Clock;
  private readonly keyMapEntriesMax: number;
  private readonly throttler: Throttler;
  /** Per-log state; dies with the log (DeleteTopics). */
  private readonly states = new WeakMap<PartitionLog, CleanerState>();
  /** The round in progress: rounds never overlap, so one log is never cleaned twice at once. */
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(options: LogCleanerOptions) {
    const keyMapEntriesMax = options.keyMapEntriesMax ?? keyMapEntriesMaxDefault;
    if (!Number.isSafeInteger(keyMapEntriesMax) || keyMapEntriesMax < 1) {
      throw new RangeError(`keyMapEntriesMax ${keyMapEntriesMax} must be a positive integer`);
    }
    this.clock = options.clock;
    this.keyMapEntriesMax = keyMapEntriesMax;
    this.throttler = new Throttler({
      bytesPerSecond: options.ioBytesPerSecondMax ?? Infinity,
      timer: options.ioTimer ?? realIoTimer,
    });
  }

  private stateOf(log: PartitionLog): CleanerState {
    let state = this.states.get(log);
    if (state === undefined) {
      state = {
        checkpoint: 0,
        oldestTombstoneMs: undefined,
        discardableMarkers: new Map(),
        oldestDiscardableMarkerMs: undefined,
        uncleanable: undefined,
      };
      this.states.set(log, state);
    }
    return state;
  }

  /** Sets a log's cleaner checkpoint (from checkpoint.json, when the log is opened). */
  setCheckpoint(log: PartitionLog, offset: number): void {
    this.stateOf(log).checkpoint = offset;
  }

  /** The offset below which `log` has been cleaned (0 when never). */
  checkpointOf(log: PartitionLog): number {
    return this.states.get(log)?.checkpoint ?? 0;
  }

  /** Why `log` is no longer cleaned, if it is not. */
  uncleanable(log: PartitionLog): string | undefined {
    return this.states.get(log)?.uncleanable;
  }

  /**
   * Runs one round: cleans each due log once, dirtiest first, one log at a time. Waits for the
   * round in progress, if any. A log's failure is reported in the result, not thrown.
   */
  cleanLogs(logs: Iterable<PartitionLog>): Promise<CleanerRound> {
    const list = [...logs];
    const round = this.running.then(() => this.round(list));
    this.running = round.catch(() => undefined);
    return round;
  }

  /** Stops cleaning: the pass in progress ends at its next batch, and no round starts again. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async round(logs: readonly PartitionLog[]): Promise<CleanerRound> {
    const cleaned: LogCleanResult[] = [];
    const failed: { topic: string; partition: number; error: Error }[] = [];
    const due = logs
      .map((log) => ({ log, plan: this.plan(log) }))
      .filter((d) => d.plan !== undefined)
      .sort((a, b) => (b.plan?.dirtyRatio ?? 0) - (a.plan?.dirtyRatio ?? 0));
    for (const { log } of due) {
      if (this.stopped) break;
      try {
        const result = await this.cleanLog(log);
        if (result !== undefined) cleaned.push(result);
      } catch (error) {
        if (error instanceof CleanerStoppedError) break;
        if (error instanceof LogClosedError) continue;
        const e = error instanceof Error ? error : new Error(String(error));
        // A corrupt batch would fail every pass: leave the log alone (Kafka marks it uncleanable).
        if (error instanceof CorruptLogError || error instanceof DecodeError) this.stateOf(log).uncleanable = e.message;
        failed.push({ topic: log.topic, partition: log.partition, error: e });
      }
    }
    return { cleaned, failed };
  }

  /** What a pass over `log` would cover now, or undefined when none is due. */
  private plan(log: PartitionLog): CleaningPlan | undefined {
    const config = log.config;
    if (this.stopped || !config.cleanupPolicy.compact) return undefined;
    const state = this.stateOf(log);
    if (state.uncleanable !== undefined) return undefined;
    const nowMs = this.clock.nowMs();
    const segments: Segment[] = [];
    // Never at or past the LSO: an ongoing transaction's records are not known aborted or committed.
    const lastStableOffset = log.lastStableOffset;
    for (const segment of log.closedSegments()) {
      if (segment.nextOffset > lastStableOffset) break;
      if (segment.maxTimestampMs >= 0 && nowMs - segment.maxTimestampMs < config.minCompactionLagMs) break;
      segments.push(segment);
    }
    const last = segments.at(-1);
    if (last === undefined) return undefined;
    const cleanableEnd = last.nextOffset;
    // Below the log start offset nothing is visible; beyond the log end (after a recovery cut the
    // log) the checkpoint is stale: start over, as Kafka does.
    const firstDirty =
      state.checkpoint > log.logEndOffset ? log.logStartOffset : Math.max(state.checkpoint, log.logStartOffset);
    let totalBytes = 0;
    let dirtyBytes = 0;
    for (const segment of segments) {
      totalBytes += segment.sizeBytes;
      if (segment.nextOffset > firstDirty) dirtyBytes += segment.sizeBytes;
    }
    if (totalBytes === 0) return undefined;
    const dirtyRatio = dirtyBytes / totalBytes;
    const dirtyDue = dirtyBytes > 0 && dirtyRatio >= config.minCleanableDirtyRatio;
    const tombstonesDue =
      state.oldestTombstoneMs !== undefined && nowMs - state.oldestTombstoneMs > config.deleteRetentionMs;
    const markersDue =
      state.oldestDiscardableMarkerMs !== undefined &&
      nowMs - state.oldestDiscardableMarkerMs > config.deleteRetentionMs;
    if (!dirtyDue && !tombstonesDue && !markersDue) return undefined;
    return { segments, firstDirty, cleanableEnd, dirtyRatio, nowMs };
  }

  private async cleanLog(log: PartitionLog): Promise<LogCleanResult | undefined> {
    const plan = this.plan(log);
    if (plan === undefined) return undefined;
    const state = this.stateOf(log);
    const partial: Omit<Pass, "map" | "mapEnd"> = {
      log,
      nowMs: plan.nowMs,
      deleteRetentionMs: log.config.deleteRetentionMs,
      oldestTombstoneMs: undefined,
      // Every cleaned batch is below the cleanable end: these are all the aborts it can meet.
      txns: new TxnTracker(log.abortedTransactions(plan.segments[0]?.baseOffset ?? plan.firstDirty, plan.cleanableEnd)),
      discardableBefore: state.discardableMarkers,
      discardableNow: new Map(),
      droppedAbortMarkers: [],
      visitedEnd: 0,
      recordsRemoved: 0,
      abortedRecordsRemoved: 0,
      markersRemoved: 0,
      segmentsRewritten: 0,
      segmentsRemoved: 0,
      bytesRead: 0,
      bytesWritten: 0,
    };
    const { map, mapEnd } = await this.buildKeyMap(log, plan, partial);
    const pass: Pass = { ...partial, map, mapEnd };
    for (const segment of plan.segments) {
      if (segment.baseOffset >= mapEnd) break;
      await this.cleanSegment(log, segment, pass);
    }
    state.checkpoint = mapEnd;
    state.oldestTombstoneMs = pass.oldestTombstoneMs;
    // Markers this pass did not reach keep their times.
    for (const [offset, sinceMs] of state.discardableMarkers) {
      if (offset >= pass.visitedEnd && pass.discardableNow.size < discardableMarkersMax) {
        pass.discardableNow.set(offset, sinceMs);
      }
    }
    state.discardableMarkers = pass.discardableNow;
    state.oldestDiscardableMarkerMs = undefined;
    for (const sinceMs of pass.discardableNow.values()) {
      state.oldestDiscardableMarkerMs = Math.min(state.oldestDiscardableMarkerMs ?? sinceMs, sinceMs);
    }
    return {
      topic: log.topic,
      partition: log.partition,
      dirtyRatio: plan.dirtyRatio,
      firstDirtyOffset: plan.firstDirty,
      cleanedUpTo: mapEnd,
      keysMapped: map.size,
      segmentsRewritten: pass.segmentsRewritten,
      segmentsRemoved: pass.segmentsRemoved,
      recordsRemoved: pass.recordsRemoved,
      abortedRecordsRemoved: pass.abortedRecordsRemoved,
      markersRemoved: pass.markersRemoved,
      bytesRead: pass.bytesRead,
      bytesWritten: pass.bytesWritten,
    };
  }

  /** Maps each key of the dirty section to its latest offset (aborted records aside), until the map is full. */
  private async buildKeyMap(
    log: PartitionLog,
    plan: CleaningPlan,
    io: { bytesRead: number },
  ): Promise<{ map: Map<string, number>; mapEnd: number }> {
    const map = new Map<string, number>();
    const txns = new TxnTracker(log.abortedTransactions(plan.firstDirty, plan.cleanableEnd));
    for (const segment of plan.segments) {
      if (segment.nextOffset <= plan.firstDirty) continue;
      for await (const batch of this.batchesOf(segment, io)) {
        if (batch.lastOffset < plan.firstDirty) continue;
        if (batch.header.control) {
          const type = markerTypeOf(batch);
          if (type !== undefined) txns.onMarker(batch.header, type);
          continue;
        }
        if (txns.onData(batch.header)) continue;
        for (const record of recordsOf(batch)) {
          const offset = Number(record.offset);
          if (offset < plan.firstDirty || record.key === null) continue;
          const key = mapKey(record.key);
          if (map.size >= this.keyMapEntriesMax && !map.has(key)) return { map, mapEnd: offset };
          map.set(key, offset);
        }
      }
    }
    // Never behind the checkpoint (the last cleanable segment may have lost its last batches).
    return { map, mapEnd: Math.max(plan.cleanableEnd, plan.firstDirty) };
  }

  /**
   * Cleans one segment: its batches are filtered, and as soon as one changes a cleaned copy is
   * started (with the unchanged batches before it copied as they are) and swapped in at the end.
   */
  private async cleanSegment(log: PartitionLog, segment: Segment, pass: Pass): Promise<void> {
    // Retention or DeleteRecords may have deleted it since the plan.
    if (!log.closedSegments().includes(segment)) return;
    pass.droppedAbortMarkers = [];
    let copy: Segment | undefined;
    try {
      let writer: CopyWriter | undefined;
      for await (const batch of this.batchesOf(segment, pass)) {
        const filtered = this.filter(batch, pass);
        if (writer === undefined) {
          if (filtered === "keep") continue;
          copy = await segment.createCleanedCopy();
          writer = new CopyWriter({ copy, throttler: this.throttler, pass });
          for await (const earlier of this.batchesOf(segment, pass)) {
            if (earlier.position >= batch.position) break;
            await writer.add(earlier.bytes, infoOf(earlier.header));
          }
        }
        if (filtered === "keep") await writer.add(batch.bytes, infoOf(batch.header));
        else if (filtered !== "drop") await writer.add(filtered, infoOf(readBatchHeader(filtered)));
      }
      if (copy === undefined || writer === undefined) return; // nothing to remove here
      await writer.flush();
      await copy.sync(); // here, not inside the swap, which holds up appends
      if (this.stopped) throw new CleanerStoppedError("the cleaner was stopped");
      const handed = copy;
      copy = undefined; // replaceSegment owns it now, whatever happens
      const outcome = await log.replaceSegment(segment, handed, { droppedAbortMarkers: pass.droppedAbortMarkers });
      switch (outcome) {
        case "replaced":
          pass.segmentsRewritten++;
          break;
        case "removed":
          pass.segmentsRemoved++;
          break;
        case "gone":
          break;
        case "closed":
          // The checkpoint must not pass segments left uncleaned.
          throw new LogClosedError(`${log.topic}-${log.partition} was closed`);
      }
    } finally {
      if (copy !== undefined) await copy.delete().catch(() => undefined);
    }
  }

  /** Keeps, drops or rewrites one batch by the record and transaction rules (see the top of this file). */
  private filter(batch: ScannedBatch, pass: Pass): "keep" | "drop" | Uint8Array {
    pass.visitedEnd = Math.max(pass.visitedEnd, batch.lastOffset + 1);
    if (batch.header.control) return this.filterMarker(batch, pass);
    if (pass.txns.onData(batch.header)) {
      pass.recordsRemoved += batch.header.recordsCount;
      pass.abortedRecordsRemoved += batch.header.recordsCount;
      return "drop";
    }
    if (batch.baseOffset >= pass.mapEnd) return "keep";
    const kept: DecodedRecord[] = [];
    let removed = 0;
    for (const record of recordsOf(batch)) {
      if (this.retains(record, pass)) kept.push(record);
      else removed++;
    }
    if (removed === 0) return "keep";
    pass.recordsRemoved += removed;
    return kept.length === 0 ? "drop" : rewriteBatch(batch.header, kept);
  }

  /** Keeps a marker while its transaction has records, and for delete.retention.ms after. */
  private filterMarker(batch: ScannedBatch, pass: Pass): "keep" | "drop" {
    const type = markerTypeOf(batch);
    if (type === undefined || !pass.txns.onMarker(batch.header, type)) return "keep";
    const { producerId, producerEpoch } = batch.header;
    const producer = pass.log.producerState.entry(producerId);
    if (producer !== undefined && producer.epoch === producerEpoch && producer.batches.length === 0) return "keep";
    const sinceMs = pass.discardableBefore.get(batch.baseOffset) ?? pass.nowMs;
    if (pass.nowMs - sinceMs > pass.deleteRetentionMs) {
      pass.markersRemoved++;
      if (type === "abort") pass.droppedAbortMarkers.push(batch.baseOffset);
      return "drop";
    }
    if (pass.discardableNow.size < discardableMarkersMax) pass.discardableNow.set(batch.baseOffset, sinceMs);
    return "keep";
  }

  private retains(record: DecodedRecord, pass: Pass): boolean {
    const offset = Number(record.offset);
    if (offset >= pass.mapEnd) return true;
    if (record.key === null) return false;
    const latest = pass.map.get(mapKey(record.key));
    if (latest !== undefined && offset < latest) return false;
    if (record.value === null) {
      const timestampMs = Number(record.timestamp);
      if (pass.nowMs - timestampMs > pass.deleteRetentionMs) return false;
      pass.oldestTombstoneMs = Math.min(pass.oldestTombstoneMs ?? timestampMs, timestampMs);
    }
    return true;
  }

  /**
   * The batches of a closed segment, CRC-checked (a corrupt one stops the pass: compaction must
   * not hide it under a fresh CRC). Reads in chunks, throttled, and yields to the event loop
   * after every batch.
   */
  private async *batchesOf(segment: Segment, io: { bytesRead: number }): AsyncGenerator<ScannedBatch, void, undefined> {
    const end = segment.sizeBytes;
    let position = 0;
    while (position < end) {
      const found: ScannedBatch[] = [];
      let bytes = 0;
      await segment.scan(position, end, true, (batch) => {
        found.push(batch);
        bytes += batch.bytes.length;
        return bytes < readChunkBytes;
      });
      const last = found.at(-1);
      if (last === undefined)
        throw new CorruptLogError(`corrupt or torn batch in ${segment.logPath} at byte ${position}`);
      io.bytesRead += bytes;
      await this.throttler.consume(bytes);
      for (const batch of found) {
        if (this.stopped) throw new CleanerStoppedError("the cleaner was stopped");
        yield batch;
        await setImmediate();
      }
      position = last.position + last.bytes.length;
    }
  }
}
