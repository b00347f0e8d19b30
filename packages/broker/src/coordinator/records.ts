// Samsa's own record format for __consumer_offsets (not Kafka's): committed offsets and group
// metadata as compacted key/value records, a null value being a tombstone. Every key and value
// starts with an int16 version, so a future format can be told apart; strings and bytes are
// length-prefixed with unsigned varints (no 32 KiB limit on group ids).
//
//   offset key  v1: group, topic, partition(int32)
//   offset value v1: offset(int64), leaderEpoch(int32), metadata(nullable string),
//                    commitTimestampMs(int64), expireTimestampMs(int64, -1 for none)
//   group key   v2: group
//   group value v1: protocolType(nullable), generationId(int32), protocolName(nullable),
//                   leader(nullable), stateTimestampMs(int64), members[] (memberId,
//                   groupInstanceId(nullable), clientId, clientHost, rebalanceTimeoutMs(int32),
//                   sessionTimeoutMs(int32), subscription(bytes), assignment(bytes))
import { Reader, Writer } from "@samsa/protocol";

export const offsetKeyVersion = 1;
export const groupKeyVersion = 2;
const offsetValueVersion = 1;
const groupValueVersion = 1;

export interface OffsetValue {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  readonly commitTimestampMs: number;
  /** Set only by OffsetCommit v2-4 with a retention time; -1 otherwise. */
  readonly expireTimestampMs: number;
}

export interface StoredMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** The member's metadata for the group's selected protocol. */
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

export interface GroupMetadataValue {
  readonly protocolType: string | null;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  /** When the group entered its current state (offset expiry counts from when it became Empty). */
  readonly stateTimestampMs: number;
  readonly members: readonly StoredMember[];
}

export type CoordinatorRecord =
  | {
      readonly kind: "offset";
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly value: OffsetValue | null;
    }
  | { readonly kind: "group"; readonly groupId: string; readonly value: GroupMetadataValue | null };

/** A record whose key version this broker does not know (written by a newer one): skipped. */
export class UnknownRecordVersion extends Error {
  override readonly name = "UnknownRecordVersion";
  readonly version: number;
  constructor(version: number) {
    super(`unknown __consumer_offsets key version ${version}`);
    this.version = version;
  }
}

export function encodeRecordKey(record: CoordinatorRecord): Uint8Array {
  const w = new Writer(64);
  if (record.kind === "offset") {
    w.int16(offsetKeyVersion);
    w.string(record.groupId, true);
    w.string(record.topic, true);
    w.int32(record.partition);
  } else {
    w.int16(groupKeyVersion);
    w.string(record.groupId, true);
  }
  return w.toBytes();
}

export function encodeRecordValue(record: CoordinatorRecord): Uint8Array | null {
  if (record.value === null) return null;
  const w = new Writer(128);
  if (record.kind === "offset") {
    const v = record.value;
    w.int16(offsetValueVersion);
    w.int64(v.offset);
    w.int32(v.leaderEpoch);
    w.nullableString(v.metadata, true);
    w.int64(BigInt(v.commitTimestampMs));
    w.int64(BigInt(v.expireTimestampMs));
  } else {
    const v = record.value;
    w.int16(groupValueVersion);
    w.nullableString(v.protocolType, true);
    w.int32(v.generationId);
    w.nullableString(v.protocolName, true);
    w.nullableString(v.leaderId, true);
    w.int64(BigInt(v.stateTimestampMs));
    w.arrayLength(v.members.length, true);
    for (const m of v.members) {
      w.string(m.memberId, true);
      w.nullableString(m.groupInstanceId, true);
      w.string(m.clientId, true);
      w.string(m.clientHost, true);
      w.int32(m.rebalanceTimeoutMs);
      w.int32(m.sessionTimeoutMs);
      w.nullableBytes(m.subscription, true);
      w.nullableBytes(m.assignment, true);
    }
  }
  return w.toBytes();
}

function checkVersion(r: Reader, expected: number, what: string): void {
  const version = r.int16();
  if (version !== expected) throw new Error(`unknown ${what} value version ${version}`);
}

/**
 * Decodes one stored record. Throws UnknownRecordVersion for a key this broker does not know,
 * and ReadError (or Error) for a malformed one. Byte fields are copied out of the log's buffer.
 */
export function decodeRecord(key: Uint8Array, value: Uint8Array | null): CoordinatorRecord {
  const k = new Reader(key);
  const keyVersion = k.int16();
  if (keyVersion === offsetKeyVersion) {
    const groupId = k.string(true);
    const topic = k.string(true);
    const partition = k.int32();
    if (value === null) return { kind: "offset", groupId, topic, partition, value: null };
    const r = new Reader(value);
    checkVersion(r, offsetValueVersion, "offset");
    return {
      kind: "offset",
      groupId,
      topic,
      partition,
      value: {
        offset: r.int64(),
        leaderEpoch: r.int32(),
        metadata: r.nullableString(true),
        commitTimestampMs: Number(r.int64()),
        expireTimestampMs: Number(r.int64()),
      },
    };
  }
  if (keyVersion === groupKeyVersion) {
    const groupId = k.string(true);
    if (value === null) return { kind: "group", groupId, value: null };
    const r = new Reader(value);
    checkVersion(r, groupValueVersion, "group metadata");
    const protocolType = r.nullableString(true);
    const generationId = r.int32();
    const protocolName = r.nullableString(true);
    const leaderId = r.nullableString(true);
    const stateTimestampMs = Number(r.int64());
    // Each member takes at least 14 bytes, so the count is checked against what is left.
    const count = r.arrayLength(true, 14);
    const members: StoredMember[] = [];
    for (let i = 0; i < count; i++) {
      members.push({
        memberId: r.string(true),
        groupInstanceId: r.nullableString(true),
        clientId: r.string(true),
        clientHost: r.string(true),
        rebalanceTimeoutMs: r.int32(),
        sessionTimeoutMs: r.int32(),
        subscription: r.bytesField(true).slice(),
        assignment: r.bytesField(true).slice(),
      });
    }
    return {
      kind: "group",
      groupId,
      value: { protocolType, generationId, protocolName, leaderId, stateTimestampMs, members },
    };
  }
  throw new UnknownRecordVersion(keyVersion);
}
