// Idempotent-producer state of one partition: for each producer id, its epoch and the sequence
// ranges (with offsets) of its last five batches, so a retried batch is answered with its
// original offsets instead of being written twice, and a gap is refused. Saved as a snapshot when
// a segment rolls or the log closes, and rebuilt by replaying batch headers after the snapshot.
// Also the transactional part: each producer's ongoing transaction (its first offset), which
// holds back the last stable offset, and the encoding of aborted transactions (`.txnindex`).
import { ErrorCode } from "@samsa/protocol";
import type { RecordBatchHeader } from "@samsa/protocol";

/** Batches remembered per producer (Kafka's max.in.flight.requests.per.connection bound). */
export const batchesRemembered = 5;
const int32Max = 2 ** 31 - 1;

export interface ProducerBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export interface ProducerEntry {
  readonly producerId: bigint;
  readonly epoch: number;
  /** Oldest first, at most `batchesRemembered`. */
  readonly batches: readonly ProducerBatch[];
  readonly lastTimestampMs: number;
  /** First offset of the producer's ongoing transaction on this partition; undefined when none. */
  readonly currentTxnFirstOffset: number | undefined;
  /** The transaction coordinator's epoch in the producer's last marker here; -1 before any. */
  readonly coordinatorEpoch: number;
}

/** A transaction ended by an abort marker: its records in [firstOffset, lastOffset] (the marker) are aborted. */
export interface AbortedTxn {
  readonly producerId: bigint;
  readonly firstOffset: number;
  /** The offset of the abort marker. */
  readonly lastOffset: number;
  /** The last stable offset once this transaction completed (lets lookups stop early, as Kafka's). */
  readonly lastStableOffset: number;
}

/** What an end-transaction marker did to the producer's state. */
export interface CompletedTxn {
  /** First offset of the transaction it ended; undefined when the producer had none ongoing. */
  readonly firstOffset: number | undefined;
  readonly undo: () => void;
}

export type SequenceCheck =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: "error"; readonly errorCode: number; readonly message: string };

/** The sequence number after `seq`, wrapping at int32 max as Kafka's producers do. */
export function nextSequence(seq: number): number {
  return seq === int32Max ? 0 : seq + 1;
}

function lastSequenceOf(header: RecordBatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > int32Max ? last - int32Max - 1 : last;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isInt32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= -(2 ** 31) && v <= int32Max;
}

interface SnapshotFile {
  /** 2 adds `currentTxnFirstOffset` and `abortedTxns`; version 1 files still load (no transactions). */
  readonly version: 2;
  /** Every batch below this offset is reflected in the snapshot. */
  readonly offset: number;
  readonly producers: readonly {
    readonly producerId: string;
    readonly epoch: number;
    readonly batches: readonly ProducerBatch[];
    readonly lastTimestampMs: number;
    readonly currentTxnFirstOffset?: number;
    /** Absent when -1 (and in files written before it was kept). */
    readonly coordinatorEpoch?: number;
  }[];
  /** Aborted transactions not yet saved in a closed segment's `.txnindex` (see PartitionLog). */
  readonly abortedTxns?: readonly {
    readonly producerId: string;
    readonly firstOffset: number;
    readonly lastOffset: number;
    readonly lastStableOffset: number;
  }[];
}

export class ProducerStateTable {
  private readonly entries = new Map<bigint, ProducerEntry>();
  /** Producer id → first offset of its ongoing transaction (the producers with one; kept in step with `entries`). */
  private readonly ongoing = new Map<bigint, number>();

  get size(): number {
    return this.entries.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** The producers this partition knows, not expired (DescribeProducers' active producers). */
  activeProducers(): IterableIterator<ProducerEntry> {
    return this.entries.values();
  }

  /**
   * Decides what to do with a batch of an idempotent producer (producerId ≥ 0), as Kafka's
   * ProducerStateManager. Batches a coordinator writes (transactional offset commits) carry no
   * sequence numbers: only their epoch is checked.
   */
  check(header: RecordBatchHeader, origin: "client" | "coordinator" = "client"): SequenceCheck {
    const entry = this.entries.get(header.producerId);
    if (entry === undefined) return { kind: "append" }; // unknown producer (or its state expired): accept
    if (header.producerEpoch < entry.epoch) {
      return {
        kind: "error",
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${header.producerId} epoch ${header.producerEpoch} is older than ${entry.epoch}`,
      };
    }
    if (origin === "coordinator") return { kind: "append" };
    if (!header.transactional && entry.currentTxnFirstOffset !== undefined) {
      return {
        kind: "error",
        errorCode: ErrorCode.INVALID_TXN_STATE,
        message: `producer ${header.producerId} sent a non-transactional batch during its transaction`,
      };
    }
    const lastSeq = lastSequenceOf(header);
    if (header.producerEpoch > entry.epoch) {
      if (header.baseSequence !== 0) {
        return {
          kind: "error",
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `a new epoch must start at sequence 0, got ${header.baseSequence}`,
        };
      }
      return { kind: "append" };
    }
    for (const b of entry.batches) {
      if (b.firstSeq === header.baseSequence && b.lastSeq === lastSeq) {
        return { kind: "duplicate", firstOffset: b.firstOffset, lastOffset: b.lastOffset };
      }
    }
    const latest = entry.batches.at(-1);
    if (latest !== undefined && header.baseSequence !== nextSequence(latest.lastSeq)) {
      return {
        kind: "error",
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${header.producerId}: expected sequence ${nextSequence(latest.lastSeq)}, got ${header.baseSequence}`,
      };
    }
    return { kind: "append" };
  }

  /**
   * Records an appended batch; returns how to undo it (when the write fails after offsets were
   * assigned).
   */
  record(header: RecordBatchHeader, firstOffset: number, timestampMs: number): () => void {
    const id = header.producerId;
    const before = this.entries.get(id);
    const batch: ProducerBatch = {
      firstSeq: header.baseSequence,
      lastSeq: lastSequenceOf(header),
      firstOffset,
      lastOffset: firstOffset + header.lastOffsetDelta,
    };
    const sameEpoch = before !== undefined && before.epoch === header.producerEpoch;
    const batches = sameEpoch ? [...before.batches, batch].slice(-batchesRemembered) : [batch];
    // A transactional batch opens a transaction unless one is ongoing (kept across an epoch bump, as Kafka's).
    const currentTxnFirstOffset = before?.currentTxnFirstOffset ?? (header.transactional ? firstOffset : undefined);
    this.set({
      producerId: id,
      epoch: header.producerEpoch,
      batches,
      lastTimestampMs: timestampMs,
      currentTxnFirstOffset,
      coordinatorEpoch: before?.coordinatorEpoch ?? -1,
    });
    return () => this.restore(id, before);
  }

  /**
   * Records an end-transaction marker (at `offset`) of `producerId`: ends its ongoing transaction.
   * The caller has checked the epochs (a marker's producer and coordinator epochs are at least
   * the producer's).
   */
  completeTxn(options: {
    producerId: bigint;
    producerEpoch: number;
    coordinatorEpoch: number;
    timestampMs: number;
  }): CompletedTxn {
    const id = options.producerId;
    const before = this.entries.get(id);
    const sameEpoch = before !== undefined && before.epoch === options.producerEpoch;
    this.set({
      producerId: id,
      epoch: options.producerEpoch,
      batches: sameEpoch ? before.batches : [],
      lastTimestampMs: options.timestampMs,
      currentTxnFirstOffset: undefined,
      coordinatorEpoch: options.coordinatorEpoch,
    });
    return { firstOffset: before?.currentTxnFirstOffset, undo: () => this.restore(id, before) };
  }

  /** The smallest first offset of the ongoing transactions, undefined when there are none. */
  firstUnstableOffset(): number | undefined {
    let first: number | undefined;
    for (const offset of this.ongoing.values()) if (first === undefined || offset < first) first = offset;
    return first;
  }

  /** The ongoing transactions: producer id → first offset. */
  ongoingTxns(): ReadonlyMap<bigint, number> {
    return this.ongoing;
  }

  private set(entry: ProducerEntry): void {
    this.entries.set(entry.producerId, entry);
    if (entry.currentTxnFirstOffset === undefined) this.ongoing.delete(entry.producerId);
    else this.ongoing.set(entry.producerId, entry.currentTxnFirstOffset);
  }

  private restore(id: bigint, before: ProducerEntry | undefined): void {
    if (before === undefined) {
      this.entries.delete(id);
      this.ongoing.delete(id);
    } else this.set(before);
  }

  /**
   * Forgets producers idle for longer than `producer.id.expiration.ms`, except those with an
   * ongoing transaction (the transaction coordinator aborts those after transaction.timeout.ms).
   */
  expire(nowMs: number, expirationMs: number): number {
    let expired = 0;
    for (const [id, e] of this.entries) {
      if (e.currentTxnFirstOffset === undefined && nowMs - e.lastTimestampMs > expirationMs) {
        this.entries.delete(id);
        expired++;
      }
    }
    return expired;
  }

  serialize(offset: number, abortedTxns: readonly AbortedTxn[] = []): Uint8Array {
    const file: SnapshotFile = {
      version: 2,
      offset,
      producers: [...this.entries.values()].map((e) => ({
        producerId: e.producerId.toString(),
        epoch: e.epoch,
        batches: e.batches,
        lastTimestampMs: e.lastTimestampMs,
        ...(e.currentTxnFirstOffset === undefined ? {} : { currentTxnFirstOffset: e.currentTxnFirstOffset }),
        ...(e.coordinatorEpoch === -1 ? {} : { coordinatorEpoch: e.coordinatorEpoch }),
      })),
      abortedTxns: abortedTxns.map((t) => ({ ...t, producerId: t.producerId.toString() })),
    };
    return new TextEncoder().encode(JSON.stringify(file));
  }

  /** Parses a snapshot (hostile input: every field checked); undefined when unusable (then the state is rebuilt). */
  static parse(
    bytes: Uint8Array,
  ): { table: ProducerStateTable; offset: number; abortedTxns: AbortedTxn[] } | undefined {
    let file: unknown;
    try {
      file = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    if (typeof file !== "object" || file === null) return undefined;
    const { version, offset, producers, abortedTxns } = file as Record<string, unknown>;
    if ((version !== 1 && version !== 2) || !isCount(offset) || !Array.isArray(producers)) return undefined;
    const table = new ProducerStateTable();
    for (const p of producers as unknown[]) {
      if (typeof p !== "object" || p === null) return undefined;
      const { producerId, epoch, batches, lastTimestampMs, currentTxnFirstOffset, coordinatorEpoch } = p as Record<
        string,
        unknown
      >;
      if (typeof producerId !== "string" || !/^\d{1,19}$/.test(producerId)) return undefined;
      if (currentTxnFirstOffset !== undefined && !isCount(currentTxnFirstOffset)) return undefined;
      if (coordinatorEpoch !== undefined && !isInt32(coordinatorEpoch)) return undefined;
      if (!isCount(epoch) || typeof lastTimestampMs !== "number" || !Array.isArray(batches)) return undefined;
      const parsed: ProducerBatch[] = [];
      for (const b of (batches as unknown[]).slice(-batchesRemembered)) {
        if (typeof b !== "object" || b === null) return undefined;
        const { firstSeq, lastSeq, firstOffset, lastOffset } = b as Record<string, unknown>;
        if (!isCount(firstSeq) || !isCount(lastSeq) || !isCount(firstOffset) || !isCount(lastOffset)) return undefined;
        parsed.push({ firstSeq, lastSeq, firstOffset, lastOffset });
      }
      const id = BigInt(producerId);
      table.set({
        producerId: id,
        epoch,
        batches: parsed,
        lastTimestampMs,
        currentTxnFirstOffset,
        coordinatorEpoch: coordinatorEpoch ?? -1,
      });
    }
    const aborted: AbortedTxn[] = [];
    if (abortedTxns !== undefined) {
      if (!Array.isArray(abortedTxns)) return undefined;
      for (const t of abortedTxns as unknown[]) {
        if (typeof t !== "object" || t === null) return undefined;
        const { producerId, firstOffset, lastOffset, lastStableOffset } = t as Record<string, unknown>;
        if (typeof producerId !== "string" || !/^\d{1,19}$/.test(producerId)) return undefined;
        if (!isCount(firstOffset) || !isCount(lastOffset) || !isCount(lastStableOffset)) return undefined;
        if (firstOffset > lastOffset) return undefined;
        aborted.push({ producerId: BigInt(producerId), firstOffset, lastOffset, lastStableOffset });
      }
    }
    return { table, offset, abortedTxns: aborted };
  }
}

/** Bytes of one `.txnindex` entry, Kafka's layout: version int16 (0), producerId, firstOffset, lastOffset, lastStableOffset (int64s). */
const txnIndexEntryBytes = 34;

/** Encodes a segment's aborted transactions as a `.txnindex` file. */
export function serializeTxnIndex(entries: readonly AbortedTxn[]): Uint8Array {
  const out = new Uint8Array(entries.length * txnIndexEntryBytes);
  const view = new DataView(out.buffer);
  entries.forEach((t, i) => {
    const at = i * txnIndexEntryBytes;
    view.setInt16(at, 0);
    view.setBigInt64(at + 2, t.producerId);
    view.setBigInt64(at + 10, BigInt(t.firstOffset));
    view.setBigInt64(at + 18, BigInt(t.lastOffset));
    view.setBigInt64(at + 26, BigInt(t.lastStableOffset));
  });
  return out;
}

/** Parses a `.txnindex` file (hostile input); undefined when unusable. */
export function parseTxnIndex(bytes: Uint8Array): AbortedTxn[] | undefined {
  if (bytes.length % txnIndexEntryBytes !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: AbortedTxn[] = [];
  const offsetMax = BigInt(Number.MAX_SAFE_INTEGER);
  for (let at = 0; at < bytes.length; at += txnIndexEntryBytes) {
    if (view.getInt16(at) !== 0) return undefined;
    const producerId = view.getBigInt64(at + 2);
    const offsets = [10, 18, 26].map((o) => view.getBigInt64(at + o));
    if (producerId < 0n || offsets.some((o) => o < 0n || o > offsetMax)) return undefined;
    const [firstOffset = 0, lastOffset = 0, lastStableOffset = 0] = offsets.map(Number);
    if (firstOffset > lastOffset) return undefined;
    out.push({ producerId, firstOffset, lastOffset, lastStableOffset });
  }
  return out;
}
