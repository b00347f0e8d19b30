// The server-side partition assignors of consumer groups (KIP-848): `uniform` (Kafka's default)
// and `range`. Both take the members' subscriptions and the topics' partition counts and return
// a target assignment; the group then reconciles every member towards it (consumer-group.ts).

/** Partition numbers by topic id; partition lists are sorted and without duplicates. */
export type Assignment = ReadonlyMap<string, readonly number[]>;

export interface AssignmentMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  /** Ids of the existing topics the member subscribes to (by name or regex). */
  readonly topicIds: ReadonlySet<string>;
  /** The member's previous target assignment (the uniform assignor keeps what it can). */
  readonly previous: Assignment;
}

export interface AssignmentInput {
  readonly members: readonly AssignmentMember[];
  /** Partition counts by topic id, for every topic any member subscribes to. */
  readonly partitionCounts: ReadonlyMap<string, number>;
}

export interface PartitionAssignor {
  readonly name: string;
  assign(input: AssignmentInput): Map<string, Assignment>;
}

export const uniformAssignorName = "uniform";
export const rangeAssignorName = "range";

/** Kafka's class names for its assignors, accepted in group.consumer.assignors. */
export const assignorClassNames: Readonly<Record<string, string>> = {
  "org.apache.kafka.coordinator.group.assignor.UniformAssignor": uniformAssignorName,
  "org.apache.kafka.coordinator.group.assignor.RangeAssignor": rangeAssignorName,
};

function toAssignment(byTopic: Map<string, number[]>): Assignment {
  const out = new Map<string, readonly number[]>();
  for (const [topicId, partitions] of [...byTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (partitions.length > 0)
      out.set(
        topicId,
        [...partitions].sort((a, b) => a - b),
      );
  }
  return out;
}

/**
 * Kafka's RangeAssignor: per topic, the members subscribed to it (static members first by
 * instance id, then the others by member id) each take the next contiguous range; the first
 * `partitions % members` ranges are one partition longer. Not sticky.
 */
export const rangeAssignor: PartitionAssignor = {
  name: rangeAssignorName,
  assign({ members, partitionCounts }) {
    const sorted = [...members].sort((a, b) => {
      if (a.instanceId !== null && b.instanceId !== null) return compare(a.instanceId, b.instanceId);
      if (a.instanceId !== null) return -1;
      if (b.instanceId !== null) return 1;
      return compare(a.memberId, b.memberId);
    });
    const result = new Map<string, Map<string, number[]>>(sorted.map((m) => [m.memberId, new Map()]));
    for (const [topicId, count] of partitionCounts) {
      const subscribers = sorted.filter((m) => m.topicIds.has(topicId));
      if (subscribers.length === 0) continue;
      const quota = Math.floor(count / subscribers.length);
      let extra = count % subscribers.length;
      let next = 0;
      for (const member of subscribers) {
        const size = quota + (extra > 0 ? 1 : 0);
        if (extra > 0) extra--;
        const end = Math.min(next + size, count);
        const partitions: number[] = [];
        for (let p = next; p < end; p++) partitions.push(p);
        next = end;
        if (partitions.length > 0) result.get(member.memberId)?.set(topicId, partitions);
      }
    }
    return new Map([...result].map(([id, byTopic]) => [id, toAssignment(byTopic)]));
  },
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A sticky, balanced assignor in the spirit of Kafka's UniformAssignor: members keep the
 * partitions of their previous target assignment that they still subscribe to, the rest go to
 * the least loaded eligible member, and then partitions move from the most to the least loaded
 * eligible member until no move narrows the gap. With identical subscriptions every member ends
 * with ⌊P/M⌋ or ⌈P/M⌉ partitions. (Kafka's exact choices differ; clients do not depend on them.)
 */
export const uniformAssignor: PartitionAssignor = {
  name: uniformAssignorName,
  assign({ members, partitionCounts }) {
    const sorted = [...members].sort((a, b) => compare(a.memberId, b.memberId));
    const owned = new Map<string, Map<string, number[]>>(sorted.map((m) => [m.memberId, new Map()]));
    const load = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
    const taken = new Set<string>();
    const give = (memberId: string, topicId: string, partition: number): void => {
      const byTopic = owned.get(memberId);
      if (byTopic === undefined) return;
      let list = byTopic.get(topicId);
      if (list === undefined) {
        list = [];
        byTopic.set(topicId, list);
      }
      list.push(partition);
      load.set(memberId, (load.get(memberId) ?? 0) + 1);
      taken.add(`${topicId}:${partition}`);
    };

    // Partitions each member could take, and the fair share of a member with everything in view.
    const eligible = (member: AssignmentMember, topicId: string): boolean =>
      member.topicIds.has(topicId) && partitionCounts.has(topicId);
    const homogeneous = sorted.every((m) => sameSet(m.topicIds, sorted[0]?.topicIds ?? new Set()));
    let total = 0;
    for (const [topicId, count] of partitionCounts) {
      if (sorted.some((m) => m.topicIds.has(topicId))) total += count;
    }
    // With identical subscriptions, no member keeps more than the largest fair share.
    const keepMax = homogeneous && sorted.length > 0 ? Math.ceil(total / sorted.length) : Infinity;
    let extraSlots = homogeneous && sorted.length > 0 ? total % sorted.length : 0;
    const minQuota = homogeneous && sorted.length > 0 ? Math.floor(total / sorted.length) : Infinity;

    // 1. Stickiness: keep what is still valid, within the fair share.
    for (const member of sorted) {
      const kept: [string, number][] = [];
      for (const [topicId, partitions] of member.previous) {
        if (!eligible(member, topicId)) continue;
        const count = partitionCounts.get(topicId) ?? 0;
        for (const p of partitions) if (p < count && !taken.has(`${topicId}:${p}`)) kept.push([topicId, p]);
      }
      let limit = Math.min(kept.length, keepMax);
      if (homogeneous && limit > minQuota) {
        if (extraSlots > 0) extraSlots--;
        else limit = minQuota;
      }
      for (const [topicId, p] of kept.slice(0, limit)) give(member.memberId, topicId, p);
    }

    // 2. The rest, fewest candidates first, each to the least loaded eligible member.
    const unassigned: { topicId: string; partition: number; candidates: AssignmentMember[] }[] = [];
    for (const [topicId, count] of partitionCounts) {
      const candidates = sorted.filter((m) => eligible(m, topicId));
      if (candidates.length === 0) continue;
      for (let p = 0; p < count; p++) {
        if (!taken.has(`${topicId}:${p}`)) unassigned.push({ topicId, partition: p, candidates });
      }
    }
    unassigned.sort(
      (a, b) => a.candidates.length - b.candidates.length || compare(a.topicId, b.topicId) || a.partition - b.partition,
    );
    for (const { topicId, partition, candidates } of unassigned) {
      let best = candidates[0];
      for (const c of candidates) if ((load.get(c.memberId) ?? 0) < (load.get(best?.memberId ?? "") ?? 0)) best = c;
      if (best !== undefined) give(best.memberId, topicId, partition);
    }

    // 3. Balance: move single partitions from a more loaded member to an eligible one with at
    // least two fewer. Each move lowers the sum of squared loads, so this ends; bounded anyway.
    const byId = new Map(sorted.map((m) => [m.memberId, m]));
    for (let moves = 0; moves < total * Math.max(1, sorted.length); moves++) {
      let moved = false;
      const byLoad = [...sorted].sort((a, b) => (load.get(b.memberId) ?? 0) - (load.get(a.memberId) ?? 0));
      outer: for (const from of byLoad) {
        const fromLoad = load.get(from.memberId) ?? 0;
        const fromOwned = owned.get(from.memberId);
        if (fromOwned === undefined) continue;
        for (const to of [...byLoad].reverse()) {
          if ((load.get(to.memberId) ?? 0) + 2 > fromLoad) break;
          for (const [topicId, partitions] of fromOwned) {
            if (partitions.length === 0 || byId.get(to.memberId)?.topicIds.has(topicId) !== true) continue;
            const p = partitions.pop();
            if (p === undefined) continue;
            load.set(from.memberId, fromLoad - 1);
            taken.delete(`${topicId}:${p}`);
            give(to.memberId, topicId, p);
            moved = true;
            break outer;
          }
        }
      }
      if (!moved) break;
    }
    return new Map([...owned].map(([id, byTopic]) => [id, toAssignment(byTopic)]));
  },
};

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

export const assignorsByName: ReadonlyMap<string, PartitionAssignor> = new Map([
  [uniformAssignorName, uniformAssignor],
  [rangeAssignorName, rangeAssignor],
]);
