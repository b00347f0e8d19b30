// Idempotent-producer state of one partition: for each producer id, its epoch and the sequence
// ranges (with offsets) of its last five batches, so a retried batch is answered with its
// original offsets instead of being written twice, and a gap is refused. Saved as a snapshot when
// a segment rolls or the log closes, and rebuilt by replaying batch headers after the snapshot.
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

interface SnapshotFile {
  readonly version: 1;
  /** Every batch below this offset is reflected in the snapshot. */
  readonly offset: number;
  readonly producers: readonly {
    readonly producerId: string;
    readonly epoch: number;
    readonly batches: readonly ProducerBatch[];
    readonly lastTimestampMs: number;
  }[];
}

export class ProducerStateTable {
  private readonly entries = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.entries.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** Decides what to do with a batch of an idempotent producer (producerId ≥ 0), as Kafka's ProducerStateManager. */
  check(header: RecordBatchHeader): SequenceCheck {
    const entry = this.entries.get(header.producerId);
    if (entry === undefined) return { kind: "append" }; // unknown producer (or its state expired): accept
    if (header.producerEpoch < entry.epoch) {
      return {
        kind: "error",
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${header.producerId} epoch ${header.producerEpoch} is older than ${entry.epoch}`,
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
    this.entries.set(id, { producerId: id, epoch: header.producerEpoch, batches, lastTimestampMs: timestampMs });
    return () => {
      if (before === undefined) this.entries.delete(id);
      else this.entries.set(id, before);
    };
  }

  /** Forgets producers idle for longer than `producer.id.expiration.ms`. */
  expire(nowMs: number, expirationMs: number): number {
    let expired = 0;
    for (const [id, e] of this.entries) {
      if (nowMs - e.lastTimestampMs > expirationMs) {
        this.entries.delete(id);
        expired++;
      }
    }
    return expired;
  }

  serialize(offset: number): Uint8Array {
    const file: SnapshotFile = {
      version: 1,
      offset,
      producers: [...this.entries.values()].map((e) => ({
        producerId: e.producerId.toString(),
        epoch: e.epoch,
        batches: e.batches,
        lastTimestampMs: e.lastTimestampMs,
      })),
    };
    return new TextEncoder().encode(JSON.stringify(file));
  }

  /** Parses a snapshot (hostile input: every field checked); undefined when unusable (then the state is rebuilt). */
  static parse(bytes: Uint8Array): { table: ProducerStateTable; offset: number } | undefined {
    let file: unknown;
    try {
      file = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    if (typeof file !== "object" || file === null) return undefined;
    const { version, offset, producers } = file as Record<string, unknown>;
    if (version !== 1 || !isCount(offset) || !Array.isArray(producers)) return undefined;
    const table = new ProducerStateTable();
    for (const p of producers as unknown[]) {
      if (typeof p !== "object" || p === null) return undefined;
      const { producerId, epoch, batches, lastTimestampMs } = p as Record<string, unknown>;
      if (typeof producerId !== "string" || !/^\d{1,19}$/.test(producerId)) return undefined;
      if (!isCount(epoch) || typeof lastTimestampMs !== "number" || !Array.isArray(batches)) return undefined;
      const parsed: ProducerBatch[] = [];
      for (const b of (batches as unknown[]).slice(-batchesRemembered)) {
        if (typeof b !== "object" || b === null) return undefined;
        const { firstSeq, lastSeq, firstOffset, lastOffset } = b as Record<string, unknown>;
        if (!isCount(firstSeq) || !isCount(lastSeq) || !isCount(firstOffset) || !isCount(lastOffset)) return undefined;
        parsed.push({ firstSeq, lastSeq, firstOffset, lastOffset });
      }
      const id = BigInt(producerId);
      table.entries.set(id, { producerId: id, epoch, batches: parsed, lastTimestampMs });
    }
    return { table, offset };
  }
}
