// Task assignment (a small StreamsPartitionAssignor): the group leader turns sub-topologies into
// tasks — one per partition number, owning partition p of every source topic of the sub-topology,
// so co-partitioned topics stay together — and spreads them evenly over the members, keeping each
// task where it ran before when that stays balanced (its state is warm there).
import type { ClusterMetadata, GroupPartitionsAssigner, GroupPartitionsAssignments } from "@platformatic/kafka";
import type { TaskId } from "../processor.ts";
import type { SubtopologyPlan } from "../runtime-contract.ts";

export const assignmentProtocol = { name: "samsa-streams", version: 1 } as const;

export function taskKey(task: TaskId): string {
  return `${task.subtopology}_${task.partition}`;
}

export function parseTaskKey(key: string): TaskId | undefined {
  const match = /^(\d+)_(\d+)$/.exec(key);
  if (match === null) return undefined;
  return { subtopology: Number(match[1]), partition: Number(match[2]) };
}

export function compareTasks(a: TaskId, b: TaskId): number {
  return a.subtopology - b.subtopology || a.partition - b.partition;
}

/** What each member tells the leader in its JoinGroup metadata (Kafka's SubscriptionInfo, as JSON). */
export interface SubscriptionInfo {
  readonly version: 1;
  /** Tasks this member ran before the rebalance (kept there when the balance allows). */
  readonly previousTasks: readonly string[];
}

export function encodeSubscriptionInfo(info: SubscriptionInfo): Buffer {
  return Buffer.from(JSON.stringify(info));
}

export function decodeSubscriptionInfo(bytes: Buffer | undefined): SubscriptionInfo {
  if (bytes === undefined || bytes.length === 0) return { version: 1, previousTasks: [] };
  try {
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "previousTasks" in parsed &&
      Array.isArray(parsed.previousTasks)
    )
      return {
        version: 1,
        previousTasks: parsed.previousTasks.filter((key): key is string => typeof key === "string"),
      };
  } catch {
    // A member with unreadable metadata simply has no previous tasks.
  }
  return { version: 1, previousTasks: [] };
}

/**
 * Balanced and sticky: every member ends with ⌊n/m⌋ or ⌈n/m⌉ tasks; a task stays with its previous
 * owner while that owner is under its quota, the rest go to the least loaded member (ties: member id).
 */
export function assignTasks(
  tasks: readonly TaskId[],
  members: readonly { readonly memberId: string; readonly previousTasks: ReadonlySet<string> }[],
): Map<string, TaskId[]> {
  const ordered = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, TaskId[]>(ordered.map((member) => [member.memberId, []]));
  if (ordered.length === 0) return result;
  const sorted = [...tasks].sort(compareTasks);
  const base = Math.floor(sorted.length / ordered.length);
  let withExtra = sorted.length % ordered.length;
  const quota = new Map(ordered.map((member) => [member.memberId, base]));
  const unassigned: TaskId[] = [];
  for (const task of sorted) {
    const key = taskKey(task);
    const owner = ordered.find((member) => member.previousTasks.has(key));
    const assigned = owner === undefined ? undefined : result.get(owner.memberId);
    if (owner !== undefined && assigned !== undefined) {
      const limit = quota.get(owner.memberId) ?? 0;
      if (assigned.length < limit) {
        assigned.push(task);
        continue;
      }
      if (assigned.length === limit && withExtra > 0) {
        withExtra--;
        quota.set(owner.memberId, limit + 1);
        assigned.push(task);
        continue;
      }
    }
    unassigned.push(task);
  }
  for (const task of unassigned) {
    let target: string | undefined;
    let targetLoad = Number.POSITIVE_INFINITY;
    for (const member of ordered) {
      const load = result.get(member.memberId)?.length ?? 0;
      const limit = quota.get(member.memberId) ?? 0;
      const room = load < limit || (load === limit && withExtra > 0);
      if (room && load < targetLoad) {
        target = member.memberId;
        targetLoad = load;
      }
    }
    if (target === undefined) target = ordered[0]?.memberId ?? "";
    const assigned = result.get(target) ?? [];
    if (assigned.length === (quota.get(target) ?? 0)) {
      withExtra--;
      quota.set(target, assigned.length + 1);
    }
    assigned.push(task);
  }
  return result;
}

/** Task count of each sub-topology from the cluster's metadata: its largest source topic. */
export function taskCounts(
  subtopologies: readonly SubtopologyPlan[],
  partitionsOf: (topic: string) => number,
): Map<number, number> {
  return new Map(
    subtopologies.map((subtopology) => [subtopology.id, Math.max(0, ...subtopology.sourceTopics.map(partitionsOf))]),
  );
}

/** The partitions that make up a set of tasks: partition p of each source topic that has one. */
export function tasksToPartitions(
  tasks: readonly TaskId[],
  subtopologies: ReadonlyMap<number, SubtopologyPlan>,
  partitionsOf: (topic: string) => number,
): Map<string, number[]> {
  const byTopic = new Map<string, number[]>();
  for (const task of tasks) {
    for (const topic of subtopologies.get(task.subtopology)?.sourceTopics ?? []) {
      if (task.partition >= partitionsOf(topic)) continue;
      let partitions = byTopic.get(topic);
      if (partitions === undefined) byTopic.set(topic, (partitions = []));
      partitions.push(task.partition);
    }
  }
  for (const partitions of byTopic.values()) partitions.sort((a, b) => a - b);
  return byTopic;
}

/** The tasks a member owns, from the topic-partitions the group gave it. */
export function partitionsToTasks(
  assignments: readonly { readonly topic: string; readonly partitions: readonly number[] }[],
  subtopologies: readonly SubtopologyPlan[],
): TaskId[] {
  const subtopologyOf = new Map<string, number>();
  for (const subtopology of subtopologies)
    for (const topic of subtopology.sourceTopics) subtopologyOf.set(topic, subtopology.id);
  const tasks = new Map<string, TaskId>();
  for (const { topic, partitions } of assignments) {
    const subtopology = subtopologyOf.get(topic);
    if (subtopology === undefined) continue;
    for (const partition of partitions) {
      const task = { subtopology, partition };
      tasks.set(taskKey(task), task);
    }
  }
  return [...tasks.values()].sort(compareTasks);
}

/** The client library's assigner hook, run by whichever member the group coordinator makes leader. */
export function createPartitionAssigner(subtopologies: readonly SubtopologyPlan[]): GroupPartitionsAssigner {
  const byId = new Map(subtopologies.map((subtopology) => [subtopology.id, subtopology]));
  return (_current, members, _topics, metadata: ClusterMetadata): GroupPartitionsAssignments[] => {
    const partitionsOf = (topic: string): number => metadata.topics.get(topic)?.partitionsCount ?? 0;
    const tasks: TaskId[] = [];
    for (const [subtopology, count] of taskCounts(subtopologies, partitionsOf))
      for (let partition = 0; partition < count; partition++) tasks.push({ subtopology, partition });
    const assignment = assignTasks(
      tasks,
      [...members.entries()].map(([memberId, subscription]) => ({
        memberId,
        previousTasks: new Set(
          decodeSubscriptionInfo(subscription.metadata === undefined ? undefined : Buffer.from(subscription.metadata))
            .previousTasks,
        ),
      })),
    );
    return [...assignment.entries()].map(([memberId, memberTasks]) => ({
      memberId,
      assignments: new Map(
        [...tasksToPartitions(memberTasks, byId, partitionsOf)].map(([topic, partitions]) => [
          topic,
          { topic, partitions },
        ]),
      ),
    }));
  };
}
