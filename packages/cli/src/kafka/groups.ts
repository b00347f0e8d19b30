// Consumer groups for `samsa group`: listing, describing (classic groups by DescribeGroups, groups of
// the KIP-848 consumer protocol by ConsumerGroupDescribe), committed offsets and lag, and the pure
// parts of `group seek` — resolving a target (earliest, latest, an offset, a time, a shift) into a
// new offset per partition and the plan printed before anything is committed.
import { consumerGroupDescribeV0, FindCoordinatorKeyTypes } from "@platformatic/kafka";
import type { Admin } from "@platformatic/kafka";
import { CliError, describeFailure, kafkaErrorNames, NotFoundError } from "../framework/errors.ts";
import type { Position } from "../framework/positions.ts";

export interface GroupListing {
  readonly group: string;
  /** "classic", "consumer" (KIP-848), ... — empty when the broker does not say (ListGroups < v5). */
  readonly type: string;
  readonly protocolType: string;
  readonly state: string;
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface GroupMemberInfo {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: readonly TopicPartitions[];
}

export interface GroupDescription {
  readonly group: string;
  readonly type: "classic" | "consumer";
  readonly state: string;
  readonly protocolType: string;
  /** The assignor (range, cooperative-sticky, uniform, ...); empty for an empty classic group. */
  readonly protocol: string;
  readonly members: readonly GroupMemberInfo[];
}

const groupNotFoundHint = "'samsa group list' shows the groups";

export async function listGroups(admin: Admin): Promise<GroupListing[]> {
  let groups;
  try {
    groups = await admin.listGroups();
  } catch (error) {
    throw describeFailure(error, "listing groups");
  }
  return [...groups.values()]
    .map((g) => ({ group: g.id, type: g.groupType ?? "", protocolType: g.protocolType, state: g.state }))
    .sort((a, b) => a.group.localeCompare(b.group));
}

/** Describes a group of either protocol; a group that does not exist is a NotFoundError. */
export async function describeGroup(admin: Admin, group: string): Promise<GroupDescription> {
  let classic;
  try {
    classic = (await admin.describeGroups({ groups: [group] })).get(group);
  } catch (error) {
    // Kafka answers DescribeGroups for a KIP-848 group with GROUP_ID_NOT_FOUND ("not a classic group").
    if (!kafkaErrorNames(error).includes("GROUP_ID_NOT_FOUND")) throw describeFailure(error, `describing ${group}`);
  }
  if (classic !== undefined && classic.state !== "Dead") {
    return {
      group,
      type: "classic",
      state: classic.state,
      protocolType: classic.protocolType,
      protocol: classic.protocol,
      members: [...classic.members.values()].map((m) => ({
        memberId: m.id,
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: [...(m.assignments?.values() ?? [])]
          .map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }))
          .sort((a, b) => a.topic.localeCompare(b.topic)),
      })),
    };
  }
  const modern = await describeConsumerGroup(admin, group);
  if (modern !== undefined) return modern;
  // No such group for either protocol; it may still have committed offsets (an "Empty" group
  // that Kafka reports as Dead only when there are none), so the caller decides about that.
  return { group, type: "classic", state: "Dead", protocolType: "", protocol: "", members: [] };
}

/** ConsumerGroupDescribe (KIP-848 groups); undefined when the group is not one or the API is missing. */
async function describeConsumerGroup(admin: Admin, group: string): Promise<GroupDescription | undefined> {
  try {
    const [coordinator] = await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [group] });
    if (coordinator === undefined) return undefined;
    const connection = await admin.connections.get({ host: coordinator.host, port: coordinator.port });
    const response = await consumerGroupDescribeV0.api.async(connection, [group], false);
    const found = response.groups.find((g) => g.groupId === group);
    if (found === undefined || found.errorCode !== 0) return undefined;
    return {
      group,
      type: "consumer",
      state: found.groupState,
      protocolType: "consumer",
      protocol: found.assignorName,
      members: found.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId ?? null,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: m.assignment.topicPartitions
          .map((t) => ({ topic: t.topicName, partitions: [...t.partitions].sort((x, y) => x - y) }))
          .sort((a, b) => a.topic.localeCompare(b.topic)),
      })),
    };
  } catch {
    return undefined; // not supported by the broker, or not a consumer-protocol group
  }
}

/** Committed offsets of a group: topic → partition → offset (partitions without one are left out). */
export async function committedOffsets(admin: Admin, group: string): Promise<Map<string, Map<number, bigint>>> {
  let answer;
  try {
    answer = await admin.listConsumerGroupOffsets({ groups: [group] });
  } catch (error) {
    if (kafkaErrorNames(error).includes("GROUP_ID_NOT_FOUND")) return new Map();
    throw describeFailure(error, `reading the committed offsets of ${group}`);
  }
  const offsets = new Map<string, Map<number, bigint>>();
  for (const g of answer) {
    if (g.groupId !== group) continue;
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.committedOffset < 0n) continue;
        const byPartition = offsets.get(t.name) ?? new Map<number, bigint>();
        byPartition.set(p.partitionIndex, p.committedOffset);
        offsets.set(t.name, byPartition);
      }
    }
  }
  return offsets;
}

/** Commits offsets for a group with no members (OffsetCommit with generation -1, as admin tools do). */
export async function commitGroupOffsets(
  admin: Admin,
  group: string,
  offsets: readonly { topic: string; partition: number; offset: bigint }[],
): Promise<void> {
  const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
  for (const o of offsets)
    byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
  try {
    await admin.alterConsumerGroupOffsets({
      groupId: group,
      topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
    });
  } catch (error) {
    const names = kafkaErrorNames(error);
    if (names.some((n) => n === "UNKNOWN_MEMBER_ID" || n === "ILLEGAL_GENERATION" || n === "REBALANCE_IN_PROGRESS"))
      throw new CliError(`group ${JSON.stringify(group)} has active members now; nothing was committed`, {
        hint: "stop its consumers, then seek again",
        cause: error,
      });
    throw describeFailure(error, `committing offsets of group ${JSON.stringify(group)}`);
  }
}

export function groupNotFound(group: string): NotFoundError {
  return new NotFoundError(`group ${JSON.stringify(group)} does not exist`, groupNotFoundHint);
}

// ---------------------------------------------------------------------------------------------- lag (pure)

export interface Owner {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** null when the group has committed nothing for the partition. */
  readonly committedOffset: bigint | null;
  /** null when unknown (the topic is gone). */
  readonly logEndOffset: bigint | null;
  /** Records between the committed offset and the log end; null without a committed offset or end. */
  readonly lag: bigint | null;
  readonly owner: Owner | null;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Which member owns each partition, by the members' assignments. */
export function ownersOf(members: readonly GroupMemberInfo[]): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const m of members)
    for (const a of m.assignment)
      for (const p of a.partitions)
        owners.set(key(a.topic, p), { memberId: m.memberId, clientId: m.clientId, host: m.host });
  return owners;
}

/**
 * One row per partition the group has committed offsets for or has assigned, sorted by topic and
 * partition. Lag never goes below zero (a committed offset past the end after a truncation).
 */
export function lagRows(input: {
  readonly committed: ReadonlyMap<string, ReadonlyMap<number, bigint>>;
  readonly logEnds: ReadonlyMap<string, ReadonlyMap<number, bigint>>;
  readonly members: readonly GroupMemberInfo[];
}): PartitionLag[] {
  const owners = ownersOf(input.members);
  const partitions = new Map<string, { topic: string; partition: number }>();
  for (const [topic, byPartition] of input.committed)
    for (const partition of byPartition.keys()) partitions.set(key(topic, partition), { topic, partition });
  for (const m of input.members)
    for (const a of m.assignment)
      for (const partition of a.partitions) partitions.set(key(a.topic, partition), { topic: a.topic, partition });
  return [...partitions.values()]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map(({ topic, partition }) => {
      const committedOffset = input.committed.get(topic)?.get(partition) ?? null;
      const logEndOffset = input.logEnds.get(topic)?.get(partition) ?? null;
      const lag =
        committedOffset === null || logEndOffset === null
          ? null
          : logEndOffset > committedOffset
            ? logEndOffset - committedOffset
            : 0n;
      return { topic, partition, committedOffset, logEndOffset, lag, owner: owners.get(key(topic, partition)) ?? null };
    });
}

/** The sum of the known lags. */
export function totalLag(rows: readonly PartitionLag[]): bigint {
  return rows.reduce((sum, r) => sum + (r.lag ?? 0n), 0n);
}

// ---------------------------------------------------------------------------------------------- seek (pure)

/** Where `group seek` moves a group: a position (earliest, latest, offset, time) or a shift. */
export type SeekTarget = Position | { readonly kind: "shift"; readonly by: bigint };

export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset, null when none. */
  readonly current: bigint | null;
  readonly logStart: bigint;
  readonly logEnd: bigint;
  /** ListOffsets by the target's time: the first offset with a timestamp at or after it, -1 when none. */
  readonly byTime?: bigint;
}

export interface SeekPlanRow {
  readonly topic: string;
  readonly partition: number;
  readonly current: bigint | null;
  readonly target: bigint;
  /** target − current; null without a current offset. */
  readonly change: bigint | null;
}

function clamp(offset: bigint, low: bigint, high: bigint): bigint {
  return offset < low ? low : offset > high ? high : offset;
}

/**
 * The new offset of one partition. Offsets and shifts are clamped into [log start, log end], as
 * a consumer would be reset there anyway; a time past the last record gives the log end.
 */
export function resolveSeek(target: SeekTarget, p: PartitionOffsets): bigint {
  switch (target.kind) {
    case "beginning":
      return p.logStart;
    case "end":
      return p.logEnd;
    case "offset":
      return clamp(target.offset, p.logStart, p.logEnd);
    case "timestamp": {
      if (p.byTime === undefined) throw new Error("programmer error: byTime is needed for a timestamp target");
      return p.byTime < 0n ? p.logEnd : clamp(p.byTime, p.logStart, p.logEnd);
    }
    case "shift": {
      if (p.current === null)
        throw new CliError(`${p.topic} partition ${p.partition} has no committed offset to shift from`, {
          hint: "seek it --to an offset, a time, earliest or latest",
        });
      return clamp(p.current + target.by, p.logStart, p.logEnd);
    }
  }
}

export function planSeek(target: SeekTarget, partitions: readonly PartitionOffsets[]): SeekPlanRow[] {
  return [...partitions]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((p) => {
      const next = resolveSeek(target, p);
      return {
        topic: p.topic,
        partition: p.partition,
        current: p.current,
        target: next,
        change: p.current === null ? null : next - p.current,
      };
    });
}

/** "+5", "-3", "0"; "-" when unknown. */
export function formatChange(change: bigint | null): string {
  if (change === null) return "-";
  return change > 0n ? `+${change}` : String(change);
}

/** States in which a group has no members and its offsets may be changed by an admin. */
export function isInactive(description: GroupDescription): boolean {
  return description.members.length === 0 && (description.state === "Empty" || description.state === "Dead");
}
