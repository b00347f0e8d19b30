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
//
// Consumer groups (KIP-848, the "consumer" rebalance protocol) are kept as one record for the
// group and one per member; a member's record holds its subscription, its current assignment
// and its target assignment together (Kafka keeps those three apart; one record is simpler and
// costs the same number of records when a new target assignment is written).
//
//   consumer group key   v3: group
//   consumer group value v1: groupEpoch(int32), assignmentEpoch(int32),
//                            subscriptionMetadata[] (topicName, topicId(uuid), partitions(int32))
//   consumer member key  v4: group, memberId
//   consumer member value v1: instanceId, rackId (nullable), clientId, clientHost,
//                            rebalanceTimeoutMs(int32), subscribedTopicNames[] (string),
//                            subscribedTopicRegex(nullable), serverAssignor(nullable),
//                            memberEpoch(int32), previousMemberEpoch(int32), state(int8),
//                            assigned, pendingRevocation, target: each [] (topicId(uuid),
//                            partitions[] (int32))
import { Reader, Writer } from "@samsa/protocol";

export const offsetKeyVersion = 1;
export const groupKeyVersion = 2;
export const consumerGroupKeyVersion = 3;
export const consumerMemberKeyVersion = 4;
const offsetValueVersion = 1;
const groupValueVersion = 1;
const consumerGroupValueVersion = 1;
const consumerMemberValueVersion = 1;

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

/** Partitions by topic id, as the consumer protocol names them. */
export type TopicPartitionsValue = readonly { readonly topicId: string; readonly partitions: readonly number[] }[];

/** A topic a consumer group subscribes to, as it was when the target assignment was computed. */
export interface SubscribedTopicValue {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
}

export interface ConsumerGroupValue {
  readonly groupEpoch: number;
  /** The epoch of the target assignment. */
  readonly assignmentEpoch: number;
  readonly subscriptionMetadata: readonly SubscribedTopicValue[];
}

/** Where a member's reconciliation stands (Kafka's MemberState). */
export type ConsumerMemberState = "stable" | "unrevokedPartitions" | "unreleasedPartitions";
const memberStateCodes: readonly ConsumerMemberState[] = ["stable", "unrevokedPartitions", "unreleasedPartitions"];

export interface ConsumerMemberValue {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: ConsumerMemberState;
  readonly assigned: TopicPartitionsValue;
  readonly pendingRevocation: TopicPartitionsValue;
  readonly target: TopicPartitionsValue;
}

export type CoordinatorRecord =
  | {
      readonly kind: "offset";
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly value: OffsetValue | null;
    }
  | { readonly kind: "group"; readonly groupId: string; readonly value: GroupMetadataValue | null }
  | { readonly kind: "consumerGroup"; readonly groupId: string; readonly value: ConsumerGroupValue | null }
  | {
      readonly kind: "consumerMember";
      readonly groupId: string;
      readonly memberId: string;
      readonly value: ConsumerMemberValue | null;
    };

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
  switch (record.kind) {
    case "offset":
      w.int16(offsetKeyVersion);
      w.string(record.groupId, true);
      w.string(record.topic, true);
      w.int32(record.partition);
      break;
    case "group":
      w.int16(groupKeyVersion);
      w.string(record.groupId, true);
      break;
    case "consumerGroup":
      w.int16(consumerGroupKeyVersion);
      w.string(record.groupId, true);
      break;
    case "consumerMember":
      w.int16(consumerMemberKeyVersion);
      w.string(record.groupId, true);
      w.string(record.memberId, true);
      break;
  }
  return w.toBytes();
}

function writeTopicPartitions(w: Writer, value: TopicPartitionsValue): void {
  w.arrayLength(value.length, true);
  for (const t of value) {
    w.uuid(t.topicId);
    w.arrayLength(t.partitions.length, true);
    for (const p of t.partitions) w.int32(p);
  }
}

function readTopicPartitions(r: Reader): TopicPartitionsValue {
  // A topic takes at least 17 bytes (uuid, count), a partition 4.
  const count = r.arrayLength(true, 17);
  const out: { topicId: string; partitions: number[] }[] = [];
  for (let i = 0; i < count; i++) {
    const topicId = r.uuid();
    const n = r.arrayLength(true, 4);
    const partitions: number[] = [];
    for (let j = 0; j < n; j++) partitions.push(r.int32());
    out.push({ topicId, partitions });
  }
  return out;
}

function encodeConsumerGroupValue(w: Writer, v: ConsumerGroupValue): void {
  w.int16(consumerGroupValueVersion);
  w.int32(v.groupEpoch);
  w.int32(v.assignmentEpoch);
  w.arrayLength(v.subscriptionMetadata.length, true);
  for (const t of v.subscriptionMetadata) {
    w.string(t.name, true);
    w.uuid(t.topicId);
    w.int32(t.partitions);
  }
}

function decodeConsumerGroupValue(r: Reader): ConsumerGroupValue {
  checkVersion(r, consumerGroupValueVersion, "consumer group");
  const groupEpoch = r.int32();
  const assignmentEpoch = r.int32();
  const count = r.arrayLength(true, 21);
  const subscriptionMetadata: SubscribedTopicValue[] = [];
  for (let i = 0; i < count; i++) {
    subscriptionMetadata.push({ name: r.string(true), topicId: r.uuid(), partitions: r.int32() });
  }
  return { groupEpoch, assignmentEpoch, subscriptionMetadata };
}

function encodeConsumerMemberValue(w: Writer, v: ConsumerMemberValue): void {
  w.int16(consumerMemberValueVersion);
  w.nullableString(v.instanceId, true);
  w.nullableString(v.rackId, true);
  w.string(v.clientId, true);
  w.string(v.clientHost, true);
  w.int32(v.rebalanceTimeoutMs);
  w.arrayLength(v.subscribedTopicNames.length, true);
  for (const name of v.subscribedTopicNames) w.string(name, true);
  w.nullableString(v.subscribedTopicRegex, true);
  w.nullableString(v.serverAssignor, true);
  w.int32(v.memberEpoch);
  w.int32(v.previousMemberEpoch);
  w.int8(memberStateCodes.indexOf(v.state));
  writeTopicPartitions(w, v.assigned);
  writeTopicPartitions(w, v.pendingRevocation);
  writeTopicPartitions(w, v.target);
}

function decodeConsumerMemberValue(r: Reader): ConsumerMemberValue {
  checkVersion(r, consumerMemberValueVersion, "consumer member");
  const instanceId = r.nullableString(true);
  const rackId = r.nullableString(true);
  const clientId = r.string(true);
  const clientHost = r.string(true);
  const rebalanceTimeoutMs = r.int32();
  const count = r.arrayLength(true, 1);
  const subscribedTopicNames: string[] = [];
  for (let i = 0; i < count; i++) subscribedTopicNames.push(r.string(true));
  const subscribedTopicRegex = r.nullableString(true);
  const serverAssignor = r.nullableString(true);
  const memberEpoch = r.int32();
  const previousMemberEpoch = r.int32();
  const stateCode = r.int8();
  const state = memberStateCodes[stateCode];
  if (state === undefined) throw new Error(`unknown consumer member state ${stateCode}`);
  return {
    instanceId,
    rackId,
    clientId,
    clientHost,
    rebalanceTimeoutMs,
    subscribedTopicNames,
    subscribedTopicRegex,
    serverAssignor,
    memberEpoch,
    previousMemberEpoch,
    state,
    assigned: readTopicPartitions(r),
    pendingRevocation: readTopicPartitions(r),
    target: readTopicPartitions(r),
  };
}

export function encodeRecordValue(record: CoordinatorRecord): Uint8Array | null {
  if (record.value === null) return null;
  const w = new Writer(128);
  if (record.kind === "consumerGroup") {
    encodeConsumerGroupValue(w, record.value);
    return w.toBytes();
  }
  if (record.kind === "consumerMember") {
    encodeConsumerMemberValue(w, record.value);
    return w.toBytes();
  }
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
  if (keyVersion === consumerGroupKeyVersion) {
    const groupId = k.string(true);
    if (value === null) return { kind: "consumerGroup", groupId, value: null };
    return { kind: "consumerGroup", groupId, value: decodeConsumerGroupValue(new Reader(value)) };
  }
  if (keyVersion === consumerMemberKeyVersion) {
    const groupId = k.string(true);
    const memberId = k.string(true);
    if (value === null) return { kind: "consumerMember", groupId, memberId, value: null };
    return { kind: "consumerMember", groupId, memberId, value: decodeConsumerMemberValue(new Reader(value)) };
  }
  throw new UnknownRecordVersion(keyVersion);
}
