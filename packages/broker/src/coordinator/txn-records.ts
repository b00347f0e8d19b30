// Samsa's own record format for __transaction_state (not Kafka's): one compacted key/value record
// per transactional id holding its latest transaction metadata, a null value being a tombstone
// (the id expired). Key and value start with an int16 version; strings and arrays are
// length-prefixed with unsigned varints.
//
//   key   v0: transactionalId
//   value v0: producerId(int64), previousProducerId(int64), producerEpoch(int16),
//             lastProducerEpoch(int16), timeoutMs(int32), state(int8),
//             partitions[] (topic, partitions[] (int32)), startTimestampMs(int64),
//             lastUpdateTimestampMs(int64)
import { Reader, Writer } from "@samsa/protocol";

const keyVersion = 0;
const valueVersion = 0;

/** Kafka's transaction states, by the names DescribeTransactions and ListTransactions use. */
export const txnStates = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
  "Dead",
  "PrepareEpochFence",
] as const;
export type TxnState = (typeof txnStates)[number];

export interface TxnMetadataValue {
  readonly producerId: bigint;
  /** The producer id before the last rotation (epoch exhausted); -1 when none. */
  readonly previousProducerId: bigint;
  readonly producerEpoch: number;
  /** The epoch before the last bump by InitProducerId (to recognise a retry); -1 when none. */
  readonly lastProducerEpoch: number;
  readonly timeoutMs: number;
  readonly state: TxnState;
  /** Partitions in the transaction, by topic (sorted), while it is ongoing or being ended. */
  readonly partitions: ReadonlyMap<string, readonly number[]>;
  /** When the ongoing transaction began; -1 when there is none. */
  readonly startTimestampMs: number;
  readonly lastUpdateTimestampMs: number;
}

export interface TxnRecord {
  readonly transactionalId: string;
  /** null: a tombstone. */
  readonly value: TxnMetadataValue | null;
}

/** A record whose version this broker does not know (written by a newer one): skipped. */
export class UnknownTxnRecordVersion extends Error {
  override readonly name = "UnknownTxnRecordVersion";
  constructor(version: number) {
    super(`unknown __transaction_state record version ${version}`);
  }
}

export function encodeTxnKey(transactionalId: string): Uint8Array {
  const w = new Writer(32 + transactionalId.length);
  w.int16(keyVersion);
  w.string(transactionalId, true);
  return w.toBytes();
}

export function encodeTxnValue(value: TxnMetadataValue): Uint8Array {
  const w = new Writer(64);
  w.int16(valueVersion);
  w.int64(value.producerId);
  w.int64(value.previousProducerId);
  w.int16(value.producerEpoch);
  w.int16(value.lastProducerEpoch);
  w.int32(value.timeoutMs);
  w.int8(txnStates.indexOf(value.state));
  w.arrayLength(value.partitions.size, true);
  for (const [topic, partitions] of value.partitions) {
    w.string(topic, true);
    w.arrayLength(partitions.length, true);
    for (const p of partitions) w.int32(p);
  }
  w.int64(BigInt(value.startTimestampMs));
  w.int64(BigInt(value.lastUpdateTimestampMs));
  return w.toBytes();
}

/** Decodes a stored record (hostile input: every length is bounded by the bytes present). */
export function decodeTxnRecord(key: Uint8Array, value: Uint8Array | null): TxnRecord {
  const k = new Reader(key);
  const kv = k.int16();
  if (kv !== keyVersion) throw new UnknownTxnRecordVersion(kv);
  const transactionalId = k.string(true);
  if (value === null) return { transactionalId, value: null };
  const r = new Reader(value);
  const vv = r.int16();
  if (vv !== valueVersion) throw new UnknownTxnRecordVersion(vv);
  const producerId = r.int64();
  const previousProducerId = r.int64();
  const producerEpoch = r.int16();
  const lastProducerEpoch = r.int16();
  const timeoutMs = r.int32();
  const stateIndex = r.int8();
  const state = txnStates[stateIndex] ?? r.fail(`unknown transaction state ${stateIndex}`);
  const partitions = new Map<string, number[]>();
  const topics = r.arrayLength(true, 2); // a topic takes at least a name length and a count
  for (let i = 0; i < topics; i++) {
    const topic = r.string(true);
    const n = r.arrayLength(true, 4);
    const list: number[] = [];
    for (let j = 0; j < n; j++) list.push(r.int32());
    partitions.set(topic, list);
  }
  const startTimestampMs = Number(r.int64());
  const lastUpdateTimestampMs = Number(r.int64());
  return {
    transactionalId,
    value: {
      producerId,
      previousProducerId,
      producerEpoch,
      lastProducerEpoch,
      timeoutMs,
      state,
      partitions,
      startTimestampMs,
      lastUpdateTimestampMs,
    },
  };
}
