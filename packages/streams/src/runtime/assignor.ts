// Task assignment (a small StreamsPartitionAssignor): the group leader turns sub-topologies into
// tasks — one per partition number, owning partition p of every source topic of the sub-topology,
// so co-partitioned topics stay together — and spreads them evenly over the members, keeping each
// task where its state is warm (its previous owner, else a standby of it, else a member with its
// state on disk) when that stays balanced. Stateful tasks also get `numStandbyReplicas` standby
// copies on other members. What the members report (SubscriptionInfo) and what the leader sends
// back beyond topic-partitions (AssignmentInfo: standby tasks, tasks by application server) are
// versioned JSON; old or unreadable bytes decode as "nothing known".
import type { ClusterMetadata, GroupPartitionsAssigner, GroupPartitionsAssignments } from "@platformatic/kafka";
import type { TaskId } from "../processor.ts";
import type { InternalTopicSpec, SubtopologyPlan } from "../runtime-contract.ts";

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

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- what members send (Kafka's SubscriptionInfo) ----

export const subscriptionInfoVersion = 2;

/** What each member tells the leader in its JoinGroup metadata (Kafka's SubscriptionInfo, as JSON). */
export interface SubscriptionInfo {
  /** 1: previous tasks only; 2: standbys, local state and the application server too. */
  readonly version: number;
  /** Tasks this member ran active before the rebalance (kept there when the balance allows). */
  readonly previousTasks: readonly string[];
  /** Tasks this member kept as standbys before the rebalance (their state is nearly caught up). */
  readonly standbyTasks?: readonly string[];
  /** Tasks whose state directory exists on this member (persistent stores: warm from their checkpoint). */
  readonly stateTasks?: readonly string[];
  /** This instance's `host:port` for interactive queries (Kafka's application.server). */
  readonly applicationServer?: string;
}

export function encodeSubscriptionInfo(info: SubscriptionInfo): Buffer {
  return Buffer.from(JSON.stringify(info));
}

function stringsOf(value: unknown, max = 100_000): string[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, max).filter((item): item is string => typeof item === "string" && item.length <= 256);
}

function field(parsed: object, name: string): unknown {
  return (parsed as Record<string, unknown>)[name];
}

export function decodeSubscriptionInfo(bytes: Buffer | undefined): SubscriptionInfo {
  const empty: SubscriptionInfo = { version: 1, previousTasks: [] };
  if (bytes === undefined || bytes.length === 0) return empty;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    // A member with unreadable metadata simply has no previous tasks.
    return empty;
  }
  if (typeof parsed !== "object" || parsed === null || !Array.isArray(field(parsed, "previousTasks"))) return empty;
  const version = field(parsed, "version");
  const server = field(parsed, "applicationServer");
  return {
    version: typeof version === "number" && Number.isSafeInteger(version) && version > 0 ? version : 1,
    previousTasks: stringsOf(field(parsed, "previousTasks")),
    standbyTasks: stringsOf(field(parsed, "standbyTasks")),
    stateTasks: stringsOf(field(parsed, "stateTasks")),
    ...(typeof server === "string" && parseHostInfo(server) !== undefined ? { applicationServer: server } : {}),
  };
}

/** `host:port` (an IPv6 host in brackets) → its parts; undefined when it is not one. */
export function parseHostInfo(text: string): { readonly host: string; readonly port: number } | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < 0 || port > 65_535) return undefined;
  return { host: match[1] ?? "", port };
}

// ---- what the leader sends back (Kafka's AssignmentInfo) ----

export const assignmentInfoVersion = 1;

/** The tasks of one application server (Kafka's partitionsByHost and standbyPartitionByHost, by task). */
export interface HostTasks {
  readonly host: string;
  readonly activeTasks: readonly string[];
  readonly standbyTasks: readonly string[];
}

/** What a member learns beyond its topic-partitions. */
export interface AssignmentInfo {
  readonly version: number;
  /** This member's standby tasks. */
  readonly standbyTasks: readonly string[];
  /** Every member with an application server, and its tasks. */
  readonly hosts: readonly HostTasks[];
}

/**
 * The client library neither lets the assigner give each member its own user data nor hands
 * assignment user data to members, so AssignmentInfo travels as reserved entries of the
 * assignment's topic list (opaque to the broker; the consumer ignores topics it does not read):
 * base64url chunks of the JSON as "topic names", each with its chunk number as the one partition.
 */
export const assignmentInfoTopicPrefix = "__samsa_streams_assignment_info.";
const infoChunkChars = 16_000;
const infoChunksMax = 1_000;

export function encodeAssignmentInfo(info: AssignmentInfo): { topic: string; partitions: number[] }[] {
  const text = Buffer.from(JSON.stringify(info)).toString("base64url");
  const entries: { topic: string; partitions: number[] }[] = [];
  for (let index = 0; index * infoChunkChars < text.length || index === 0; index++)
    entries.push({
      topic: assignmentInfoTopicPrefix + text.slice(index * infoChunkChars, (index + 1) * infoChunkChars),
      partitions: [index],
    });
  return entries;
}

/** The AssignmentInfo inside a member's assignment; undefined when there is none (an older leader, a lone member) or it is unreadable. */
export function decodeAssignmentInfo(
  assignments: readonly { readonly topic: string; readonly partitions: readonly number[] }[],
): AssignmentInfo | undefined {
  const chunks = assignments
    .filter((entry) => entry.topic.startsWith(assignmentInfoTopicPrefix))
    .map((entry) => ({ index: entry.partitions[0] ?? -1, text: entry.topic.slice(assignmentInfoTopicPrefix.length) }))
    .sort((a, b) => a.index - b.index);
  if (chunks.length === 0 || chunks.length > infoChunksMax) return undefined;
  if (chunks.some((chunk, index) => chunk.index !== index)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(chunks.map((chunk) => chunk.text).join(""), "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const version = field(parsed, "version");
  const hosts = field(parsed, "hosts");
  return {
    version: typeof version === "number" ? version : 1,
    standbyTasks: stringsOf(field(parsed, "standbyTasks")),
    hosts: (Array.isArray(hosts) ? hosts : []).flatMap((entry: unknown): HostTasks[] => {
      if (typeof entry !== "object" || entry === null) return [];
      const host = field(entry, "host");
      if (typeof host !== "string" || parseHostInfo(host) === undefined) return [];
      return [
        {
          host,
          activeTasks: stringsOf(field(entry, "activeTasks")),
          standbyTasks: stringsOf(field(entry, "standbyTasks")),
        },
      ];
    }),
  };
}

/** Drops the reserved AssignmentInfo entries from an assignment (what is left are real topic-partitions). */
export function withoutAssignmentInfo<T extends { readonly topic: string }>(assignments: readonly T[]): T[] {
  return assignments.filter((entry) => !entry.topic.startsWith(assignmentInfoTopicPrefix));
}

// ---- the assignment ----

/** One member as the assignor sees it. */
export interface MemberTasks {
  readonly memberId: string;
  /** Tasks it ran active before. */
  readonly previousTasks: ReadonlySet<string>;
  /** Tasks it kept as standbys before. */
  readonly standbyTasks?: ReadonlySet<string>;
  /** Tasks with state on its disk. */
  readonly stateTasks?: ReadonlySet<string>;
}

/** How warm a member is for a task: 0 its previous owner, 1 a previous standby, 2 state on disk, 3 cold. */
function warmth(member: MemberTasks, key: string): number {
  if (member.previousTasks.has(key)) return 0;
  if (member.standbyTasks?.has(key) === true) return 1;
  if (member.stateTasks?.has(key) === true) return 2;
  return 3;
}

/**
 * Balanced and sticky: every member ends with ⌊n/m⌋ or ⌈n/m⌉ tasks. A task goes to the warmest
 * member (previous owner, then a previous standby — so the active moves to a caught-up standby
 * when its owner leaves —, then local state) while that member is under its quota; the rest go to
 * the least loaded member (ties: member id).
 */
export function assignTasks(tasks: readonly TaskId[], members: readonly MemberTasks[]): Map<string, TaskId[]> {
  const ordered = [...members].sort((a, b) => byId(a.memberId, b.memberId));
  const result = new Map<string, TaskId[]>(ordered.map((member) => [member.memberId, []]));
  if (ordered.length === 0) return result;
  const sorted = [...tasks].sort(compareTasks);
  const base = Math.floor(sorted.length / ordered.length);
  let withExtra = sorted.length % ordered.length;
  const loadOf = (memberId: string): number => result.get(memberId)?.length ?? 0;
  const hasRoom = (memberId: string): boolean =>
    loadOf(memberId) < base || (loadOf(memberId) === base && withExtra > 0);
  const place = (memberId: string, task: TaskId): void => {
    const assigned = result.get(memberId) ?? [];
    if (assigned.length === base) withExtra--;
    assigned.push(task);
  };
  let unassigned = sorted;
  for (let rank = 0; rank < 3; rank++) {
    const left: TaskId[] = [];
    for (const task of unassigned) {
      const key = taskKey(task);
      let target: string | undefined;
      for (const member of ordered) {
        if (warmth(member, key) !== rank || !hasRoom(member.memberId)) continue;
        if (target === undefined || loadOf(member.memberId) < loadOf(target)) target = member.memberId;
      }
      if (target === undefined) left.push(task);
      else place(target, task);
    }
    unassigned = left;
  }
  for (const task of unassigned) {
    let target: string | undefined;
    for (const member of ordered) {
      if (!hasRoom(member.memberId)) continue;
      if (target === undefined || loadOf(member.memberId) < loadOf(target)) target = member.memberId;
    }
    place(target ?? ordered[0]?.memberId ?? "", task);
  }
  for (const assigned of result.values()) assigned.sort(compareTasks);
  return result;
}

/**
 * Standby replicas (Kafka's num.standby.replicas): each stateful task gets min(replicas, members − 1)
 * copies, never on the member running it active and at most one per member. Warm members (a
 * previous standby or owner of the task, or with its state on disk) keep or get the copy while
 * under ⌈copies/members⌉; the rest go to the member with the fewest standbys; then standbys move
 * from the most to the least loaded member until their counts differ by at most one (or no move can
 * help).
 */
export function assignStandbyTasks(options: {
  readonly statefulTasks: readonly TaskId[];
  readonly active: ReadonlyMap<string, readonly TaskId[]>;
  readonly members: readonly MemberTasks[];
  readonly numStandbyReplicas: number;
}): Map<string, TaskId[]> {
  const ordered = [...options.members].sort((a, b) => byId(a.memberId, b.memberId));
  const standbys = new Map<string, TaskId[]>(ordered.map((member) => [member.memberId, []]));
  const copies = Math.min(Math.max(0, options.numStandbyReplicas), ordered.length - 1);
  if (copies <= 0) return standbys;
  const holders = new Map<string, Set<string>>();
  for (const [memberId, tasks] of options.active)
    for (const task of tasks) {
      const key = taskKey(task);
      let set = holders.get(key);
      if (set === undefined) holders.set(key, (set = new Set()));
      set.add(memberId);
    }
  const tasks = [...options.statefulTasks].sort(compareTasks);
  const quota = Math.ceil((tasks.length * copies) / ordered.length);
  const loadOf = (memberId: string): number => standbys.get(memberId)?.length ?? 0;
  const holds = (memberId: string, key: string): boolean => holders.get(key)?.has(memberId) === true;
  const place = (memberId: string, task: TaskId): void => {
    const key = taskKey(task);
    standbys.get(memberId)?.push(task);
    let set = holders.get(key);
    if (set === undefined) holders.set(key, (set = new Set()));
    set.add(memberId);
  };
  const missing = new Map(tasks.map((task) => [taskKey(task), copies]));
  for (let rank = 0; rank < 3; rank++)
    for (const task of tasks) {
      const key = taskKey(task);
      for (const member of ordered) {
        if ((missing.get(key) ?? 0) === 0) break;
        if (warmth(member, key) !== rank || holds(member.memberId, key) || loadOf(member.memberId) >= quota) continue;
        place(member.memberId, task);
        missing.set(key, (missing.get(key) ?? 0) - 1);
      }
    }
  for (const task of tasks) {
    const key = taskKey(task);
    for (let copy = missing.get(key) ?? 0; copy > 0; copy--) {
      let target: string | undefined;
      for (const member of ordered) {
        if (holds(member.memberId, key)) continue;
        if (target === undefined || loadOf(member.memberId) < loadOf(target)) target = member.memberId;
      }
      if (target === undefined) break;
      place(target, task);
    }
  }
  // Even out: move standbys from a most loaded member towards one with at least two fewer. When no
  // copy can go there directly (it already runs or keeps each of them), a chain of moves through
  // other members does it (each keeps its count): the shortest such chain, found breadth first.
  const movable = (from: MemberTasks, to: MemberTasks): { task: TaskId; index: number; key: string } | undefined =>
    (standbys.get(from.memberId) ?? [])
      .map((task, index) => ({ task, index, key: taskKey(task) }))
      .filter(({ key }) => !holds(to.memberId, key))
      // Prefer moving a copy the giving member is not warm for, to a member warm for it.
      .sort((a, b) => warmth(from, b.key) - warmth(from, a.key) || warmth(to, a.key) - warmth(to, b.key))[0];
  for (let moves = 0; moves < tasks.length * copies; moves++) {
    const byLoad = [...ordered].sort((a, b) => loadOf(b.memberId) - loadOf(a.memberId) || byId(a.memberId, b.memberId));
    const most = byLoad[0];
    if (most === undefined) break;
    const target = loadOf(most.memberId) - 2;
    const sources = byLoad.filter((member) => loadOf(member.memberId) === loadOf(most.memberId));
    const previous = new Map<string, MemberTasks | undefined>(sources.map((member) => [member.memberId, undefined]));
    const queue = [...sources];
    let end: MemberTasks | undefined;
    for (let head = 0; head < queue.length && end === undefined; head++) {
      const from = queue[head] as MemberTasks;
      for (const to of [...byLoad].reverse()) {
        if (previous.has(to.memberId) || movable(from, to) === undefined) continue;
        previous.set(to.memberId, from);
        if (loadOf(to.memberId) <= target) {
          end = to;
          break;
        }
        queue.push(to);
      }
    }
    if (end === undefined) break;
    const path: MemberTasks[] = [];
    for (let at: MemberTasks | undefined = end; at !== undefined; at = previous.get(at.memberId)) path.unshift(at);
    // Chosen up front: a copy moved into a member is never the one that member passes on.
    const steps = path.slice(1).map((to, i) => {
      const from = path[i] as MemberTasks;
      return { from, to, pick: movable(from, to) };
    });
    for (const { from, to, pick } of steps) {
      if (pick === undefined) break;
      const list = standbys.get(from.memberId) ?? [];
      list.splice(list.indexOf(pick.task), 1);
      holders.get(pick.key)?.delete(from.memberId);
      place(to.memberId, pick.task);
    }
  }
  for (const list of standbys.values()) list.sort(compareTasks);
  return standbys;
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

/** Sub-topologies with a logged store (their tasks have changelogs a standby can follow). */
export function statefulSubtopologies(internalTopics: readonly InternalTopicSpec[]): Set<number> {
  const ids = new Set<number>();
  for (const spec of internalTopics)
    if (spec.kind === "changelog" && typeof spec.partitions === "object") ids.add(spec.partitions.sameAsSubtopology);
  return ids;
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

export interface PartitionAssignerOptions {
  readonly numStandbyReplicas?: number;
  /** Sub-topologies whose tasks get standbys (see statefulSubtopologies). */
  readonly statefulSubtopologies?: ReadonlySet<number>;
}

/** The client library's assigner hook, run by whichever member the group coordinator makes leader. */
export function createPartitionAssigner(
  subtopologies: readonly SubtopologyPlan[],
  options: PartitionAssignerOptions = {},
): GroupPartitionsAssigner {
  const byId = new Map(subtopologies.map((subtopology) => [subtopology.id, subtopology]));
  const stateful = options.statefulSubtopologies ?? new Set<number>();
  return (_current, members, _topics, metadata: ClusterMetadata): GroupPartitionsAssignments[] => {
    const partitionsOf = (topic: string): number => metadata.topics.get(topic)?.partitionsCount ?? 0;
    const tasks: TaskId[] = [];
    for (const [subtopology, count] of taskCounts(subtopologies, partitionsOf))
      for (let partition = 0; partition < count; partition++) tasks.push({ subtopology, partition });
    const infos = new Map(
      [...members.entries()].map(([memberId, subscription]) => [
        memberId,
        decodeSubscriptionInfo(subscription.metadata === undefined ? undefined : Buffer.from(subscription.metadata)),
      ]),
    );
    const memberTasks: MemberTasks[] = [...infos].map(([memberId, info]) => ({
      memberId,
      previousTasks: new Set(info.previousTasks),
      standbyTasks: new Set(info.standbyTasks),
      stateTasks: new Set(info.stateTasks),
    }));
    const active = assignTasks(tasks, memberTasks);
    const standby = assignStandbyTasks({
      statefulTasks: tasks.filter((task) => stateful.has(task.subtopology)),
      active,
      members: memberTasks,
      numStandbyReplicas: options.numStandbyReplicas ?? 0,
    });
    const hostTasks = new Map<string, { active: string[]; standby: string[] }>();
    for (const [memberId, info] of infos) {
      if (info.applicationServer === undefined) continue;
      let entry = hostTasks.get(info.applicationServer);
      if (entry === undefined) hostTasks.set(info.applicationServer, (entry = { active: [], standby: [] }));
      entry.active.push(...(active.get(memberId) ?? []).map(taskKey));
      entry.standby.push(...(standby.get(memberId) ?? []).map(taskKey));
    }
    const hosts: HostTasks[] = [...hostTasks].map(([host, entry]) => ({
      host,
      activeTasks: entry.active,
      standbyTasks: entry.standby,
    }));
    return [...active.entries()].map(([memberId, memberActive]) => {
      const entries = [
        ...[...tasksToPartitions(memberActive, byId, partitionsOf)].map(([topic, partitions]) => ({
          topic,
          partitions,
        })),
        ...encodeAssignmentInfo({
          version: assignmentInfoVersion,
          standbyTasks: (standby.get(memberId) ?? []).map(taskKey),
          hosts,
        }),
      ];
      return { memberId, assignments: new Map(entries.map((entry) => [entry.topic, entry])) };
    });
  };
}
