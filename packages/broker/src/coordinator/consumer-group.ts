// One group on the consumer rebalance protocol (KIP-848, as Kafka 4's GroupMetadataManager runs
// it): members heartbeat with their subscription and the partitions they own; the group keeps a
// group epoch, a target assignment computed by a server-side assignor for that epoch, and moves
// each member towards its target one heartbeat at a time (Kafka's CurrentAssignmentBuilder). A
// partition is never handed to a member while another member still owns it: the owner is first
// asked to revoke it and must confirm (its next heartbeat no longer lists it). Time and timers are
// injected (runtime), as for classic groups; every change is written durably before answering.
import { ErrorCode } from "@samsa/protocol";
import type { GroupCoordinatorConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import { assignorsByName, uniformAssignor } from "./assignors.ts";
import type { Assignment } from "./assignors.ts";
import type { CommittedOffset, LeaveResult, LeavingMember } from "./classic-group.ts";
import type {
  ConsumerGroupValue,
  ConsumerMemberState,
  ConsumerMemberValue,
  CoordinatorRecord,
  TopicPartitionsValue,
} from "./records.ts";
import type { ScheduledTask, Scheduler } from "./scheduler.ts";

export type ConsumerGroupState = "Empty" | "Assigning" | "Reconciling" | "Stable" | "Dead";

/** A member leaving for good (ConsumerGroupHeartbeat memberEpoch). */
export const leaveGroupMemberEpoch = -1;
/** A static member leaving for now: it keeps its place (and partitions) until its session ends. */
export const leaveGroupStaticMemberEpoch = -2;

export interface TopicInfo {
  readonly name: string;
  /** Lowercase 8-4-4-4-12 UUID. */
  readonly topicId: string;
  readonly partitions: number;
}

/** The topics a consumer group can subscribe to (the broker's LogManager fits this). */
export interface TopicsView {
  topic(name: string): TopicInfo | undefined;
  topics(): readonly TopicInfo[];
}

export const noTopics: TopicsView = { topic: () => undefined, topics: () => [] };

export interface OwnedTopicPartitions {
  readonly topicId: string;
  readonly partitions: readonly number[];
}

export interface ConsumerGroupHeartbeatParams {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1: unchanged since the last heartbeat. */
  readonly rebalanceTimeoutMs: number;
  /** null: unchanged since the last heartbeat. */
  readonly subscribedTopicNames: readonly string[] | null;
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  /** The partitions the member owns; null: unchanged since the last heartbeat. */
  readonly topicPartitions: readonly OwnedTopicPartitions[] | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** v0: the coordinator names a member that joins without an id; v1+: the client must. */
  readonly apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** null: unchanged (the member keeps what it has). */
  readonly assignment: { readonly topicPartitions: OwnedTopicPartitions[] } | null;
}

export interface DescribedTopicPartitions {
  readonly topicId: string;
  readonly topicName: string;
  readonly partitions: number[];
}

export interface DescribedConsumerMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: string[];
  readonly subscribedTopicRegex: string;
  readonly assignment: { readonly topicPartitions: DescribedTopicPartitions[] };
  readonly targetAssignment: { readonly topicPartitions: DescribedTopicPartitions[] };
}

export interface DescribedConsumerGroup {
  readonly groupState: ConsumerGroupState;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: DescribedConsumerMember[];
}

/** What a consumer group needs from its coordinator: time, timers, settings, topics, storage. */
export interface ConsumerGroupRuntime {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly config: GroupCoordinatorConfig;
  readonly logger: Logger;
  readonly topics: TopicsView;
  /** Writes the group's records durably; resolves with 0 or the error code to answer. */
  write(groupId: string, records: CoordinatorRecord[]): Promise<number>;
  /** A member id for a v0 member that joins without one (Kafka: a random base64 UUID). */
  newMemberId(): string;
}

interface Member {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  /** Sorted, without duplicates. */
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: ConsumerMemberState;
  /** What the member may use now. */
  readonly assigned: Assignment;
  /** What the member was asked to give up and has not confirmed yet. */
  readonly pendingRevocation: Assignment;
}

const emptyAssignment: Assignment = new Map();

export function heartbeatError(errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

// ------------------------------------------------------------------------------ assignments

function sortedUnique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function assignmentOf(value: TopicPartitionsValue): Assignment {
  const out = new Map<string, readonly number[]>();
  for (const t of value) {
    const partitions = sortedUnique([...(out.get(t.topicId) ?? []), ...t.partitions]);
    if (partitions.length > 0) out.set(t.topicId, partitions);
  }
  return out;
}

function assignmentValue(assignment: Assignment): { topicId: string; partitions: number[] }[] {
  return [...assignment]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [topicId, partitions] of a) {
    const other = b.get(topicId);
    if (other === undefined || other.length !== partitions.length) return false;
    for (let i = 0; i < partitions.length; i++) if (partitions[i] !== other[i]) return false;
  }
  return true;
}

function partitionKeys(assignment: Assignment): string[] {
  const keys: string[] = [];
  for (const [topicId, partitions] of assignment) for (const p of partitions) keys.push(`${topicId}:${p}`);
  return keys;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether every partition the member reports is one it is assigned (null: not reported). */
function isSubset(owned: readonly OwnedTopicPartitions[] | null, assigned: Assignment): boolean {
  if (owned === null) return false;
  for (const t of owned) {
    const mine = assigned.get(t.topicId);
    if (mine === undefined) {
      if (t.partitions.length > 0) return false;
      continue;
    }
    for (const p of t.partitions) if (!mine.includes(p)) return false;
  }
  return true;
}

/** Whether the member still reports owning any of `revoking` (null: not reported, so assume it does). */
function ownsAnyOf(owned: readonly OwnedTopicPartitions[] | null, revoking: Assignment): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const pending = revoking.get(t.topicId);
    if (pending !== undefined && t.partitions.some((p) => pending.includes(p))) return true;
  }
  return false;
}

// ------------------------------------------------------------------------- regular expressions

const regexCacheMax = 1024;
const regexCache = new Map<string, RegExp>();
const posixClasses: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/**
 * Compiles a subscribedTopicRegex. Kafka uses RE2/J and requires a full match; this is an
 * approximation on JavaScript's RegExp: `(?P<name>` becomes `(?<name>`, `\Q…\E` is quoted,
 * `\A` and `\z` become anchors, POSIX classes (`[[:alpha:]]`) are expanded, inline flags
 * `(?i)` apply to the rest of their group, `\p{…}` turns on Unicode mode; what RE2 refuses and
 * JavaScript would accept (backreferences, lookaround, possessive `U` flag) is refused. Returns
 * the error description, RE2/J-style, when the pattern is invalid.
 */
export function compileTopicRegex(pattern: string): RegExp | string {
  const cached = regexCache.get(pattern);
  if (cached !== undefined) return cached;
  let out = "";
  let unicode = false;
  const closers: number[] = [0];
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i] ?? "";
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) return "trailing backslash at end of expression";
      if (next >= "1" && next <= "9") return `invalid escape sequence: \`\\${next}\``;
      if (next === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? n : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (next === "A") out += "^";
      else if (next === "z") out += "$";
      else {
        if (next === "p" || next === "P") unicode = true;
        out += c + next;
      }
      i += 2;
      continue;
    }
    if (c === "[") {
      // Copy the class, expanding [:name:] and keeping escapes as they are.
      let j = i + 1;
      let body = "[";
      if (pattern[j] === "^") body += pattern[j++];
      if (pattern[j] === "]") body += pattern[j++];
      let closed = false;
      while (j < n) {
        const d = pattern[j] ?? "";
        if (d === "\\") {
          body += d + (pattern[j + 1] ?? "");
          j += 2;
          continue;
        }
        if (d === "[" && pattern[j + 1] === ":") {
          const end = pattern.indexOf(":]", j + 2);
          const name = end < 0 ? "" : pattern.slice(j + 2, end);
          const negated = name.startsWith("^");
          const expansion = posixClasses[negated ? name.slice(1) : name];
          if (expansion === undefined || negated) return `invalid character class range: \`[:${name}:]\``;
          body += expansion;
          j = end + 2;
          continue;
        }
        body += d;
        j++;
        if (d === "]") {
          closed = true;
          break;
        }
      }
      if (!closed) return "missing closing ]";
      out += body;
      i = j;
      continue;
    }
    if (c === "(") {
      if (pattern.startsWith("(?P<", i)) {
        out += "(?<";
        closers.push(0);
        i += 4;
        continue;
      }
      if (/^\(\?(=|!|<=|<!)/.test(pattern.slice(i, i + 4))) {
        return `invalid or unsupported Perl syntax: \`${pattern.slice(i, i + 3)}\``;
      }
      const flags = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(pattern.slice(i));
      if (flags !== null) {
        const [whole, on = "", off = ""] = flags;
        if (/[^ims]/.test(on + off)) return `invalid or unsupported Perl syntax: \`${whole}\``;
        if (on + off !== "") {
          // (?i) holds to the end of the enclosing group: open a modifier group closed there.
          out += `(?${on}${off === "" ? "" : `-${off}`}:`;
          closers[closers.length - 1] = (closers[closers.length - 1] ?? 0) + 1;
        }
        i += whole.length;
        continue;
      }
      closers.push(0);
      out += c;
      i++;
      continue;
    }
    if (c === ")") {
      const pending = closers.length > 1 ? (closers.pop() ?? 0) : 0;
      out += ")".repeat(pending) + ")";
      i++;
      continue;
    }
    out += c;
    i++;
  }
  out += ")".repeat(closers[0] ?? 0);
  try {
    const regex = new RegExp(`^(?:${out})$`, unicode ? "u" : "");
    if (regexCache.size >= regexCacheMax) regexCache.clear();
    regexCache.set(pattern, regex);
    return regex;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "");
  }
}

// ------------------------------------------------------------------------------- validation

/** Kafka's throwIfEmptyString: null passes; empty or blank does not. */
function blank(value: string | null): boolean {
  return value !== null && value.trim() === "";
}

/**
 * Checks a ConsumerGroupHeartbeat as Kafka 4 does before looking at the group: the error to
 * answer with its message, or undefined. `assignors` are the names the broker serves.
 */
export function validateHeartbeat(
  request: ConsumerGroupHeartbeatParams,
  assignors: readonly string[],
): { errorCode: number; errorMessage: string } | undefined {
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  const epoch = request.memberEpoch;
  if (blank(request.groupId)) return invalid("GroupId can't be empty.");
  if (
    (request.apiVersion >= 1 || epoch > 0 || epoch === leaveGroupMemberEpoch) &&
    (request.memberId === "" || blank(request.memberId))
  ) {
    return invalid("MemberId can't be empty.");
  }
  if (blank(request.instanceId)) return invalid("InstanceId can't be empty.");
  if (blank(request.rackId)) return invalid("RackId can't be empty.");
  if (epoch === 0) {
    if (request.rebalanceTimeoutMs === -1) return invalid("RebalanceTimeoutMs must be provided in first request.");
    if (request.topicPartitions === null || request.topicPartitions.length > 0) {
      return invalid("TopicPartitions must be empty when (re-)joining.");
    }
    if (request.subscribedTopicNames === null && request.subscribedTopicRegex === null) {
      return invalid("Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.");
    }
  } else if (epoch === leaveGroupStaticMemberEpoch) {
    if (request.instanceId === null) return invalid("InstanceId can't be null.");
    if (request.memberId === "") return invalid("MemberId can't be empty.");
  } else if (epoch < leaveGroupStaticMemberEpoch) {
    return invalid("MemberEpoch is invalid.");
  }
  if (request.serverAssignor !== null && !assignors.includes(request.serverAssignor)) {
    return {
      errorCode: ErrorCode.UNSUPPORTED_ASSIGNOR,
      errorMessage: `ServerAssignor ${request.serverAssignor} is not supported. Supported assignors: ${assignors.join(", ")}.`,
    };
  }
  const regex = request.subscribedTopicRegex;
  if (regex !== null && regex !== "" && epoch >= 0) {
    const compiled = compileTopicRegex(regex);
    if (typeof compiled === "string") {
      return {
        errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION,
        errorMessage: `SubscribedTopicRegex \`${regex}\` is not a valid regular expression: ${compiled}.`,
      };
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------- group

export class ConsumerGroup {
  readonly groupId: string;
  private readonly runtime: ConsumerGroupRuntime;
  private groupEpochValue = 0;
  private assignmentEpochValue = 0;
  private dead = false;
  /** Members in join order. */
  private readonly members = new Map<string, Member>();
  /** instance id → member id of static members. */
  private readonly staticMembers = new Map<string, string>();
  /** The target assignment, by member id. */
  private readonly targets = new Map<string, Assignment>();
  /** "topicId:partition" → the member that owns it (assigned or pending revocation). */
  private readonly owners = new Map<string, string>();
  /** The subscribed topics as they were when the group epoch was last bumped, by name. */
  private subscriptionMetadata: ReadonlyMap<string, TopicInfo> = new Map();
  private readonly sessionTimers = new Map<string, ScheduledTask>();
  private readonly rebalanceTimers = new Map<string, ScheduledTask>();
  /** Committed offsets: topic → partition → offset. Managed by the coordinator. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Whether a group record was ever written (DeleteGroups then writes tombstones). */
  persisted = false;
  // What the next write must carry.
  private groupDirty = false;
  private readonly dirtyMembers = new Set<string>();
  private readonly removedMembers = new Set<string>();
  /** Members that may have a record on disk (a tombstone is due when they are gone). */
  private readonly onDisk = new Set<string>();
  /** After a failed write the next one rewrites everything: the failed delta is not on disk. */
  private fullWriteNeeded = false;
  /** The group was a classic group whose metadata record must be deleted. */
  private classicTombstoneDue = false;

  constructor(groupId: string, runtime: ConsumerGroupRuntime, options: { replacesClassicGroup?: boolean } = {}) {
    this.groupId = groupId;
    this.runtime = runtime;
    this.classicTombstoneDue = options.replacesClassicGroup === true;
  }

  /**
   * Rebuilds a group from its records. Every member gets a full session to come back (and a
   * rebalance timeout when it was revoking partitions), as Kafka does after loading.
   */
  static load(
    groupId: string,
    value: ConsumerGroupValue,
    members: ReadonlyMap<string, ConsumerMemberValue>,
    runtime: ConsumerGroupRuntime,
  ): ConsumerGroup {
    const group = new ConsumerGroup(groupId, runtime);
    group.persisted = true;
    group.groupEpochValue = value.groupEpoch;
    group.assignmentEpochValue = value.assignmentEpoch;
    group.subscriptionMetadata = new Map(
      value.subscriptionMetadata.map((t) => [t.name, { name: t.name, topicId: t.topicId, partitions: t.partitions }]),
    );
    let dropped = 0;
    for (const [memberId, v] of members) {
      group.onDisk.add(memberId);
      const member: Member = {
        memberId,
        instanceId: v.instanceId,
        rackId: v.rackId,
        clientId: v.clientId,
        clientHost: v.clientHost,
        rebalanceTimeoutMs: v.rebalanceTimeoutMs,
        subscribedTopicNames: [...new Set(v.subscribedTopicNames)].sort(),
        subscribedTopicRegex: v.subscribedTopicRegex,
        serverAssignor: v.serverAssignor,
        memberEpoch: v.memberEpoch,
        previousMemberEpoch: v.previousMemberEpoch,
        state: v.state,
        assigned: assignmentOf(v.assigned),
        pendingRevocation: assignmentOf(v.pendingRevocation),
      };
      const claimed = [...partitionKeys(member.assigned), ...partitionKeys(member.pendingRevocation)];
      const staticTaken = member.instanceId !== null && group.staticMembers.has(member.instanceId);
      if (staticTaken || claimed.some((key) => group.owners.has(key))) {
        // Only a damaged log could hold this: drop the member rather than let two own a partition.
        runtime.logger.log("warn", "dropped a stored consumer group member in conflict with another", {
          group: groupId,
          member: memberId,
        });
        group.removedMembers.add(memberId);
        dropped++;
        continue;
      }
      group.putMember(member);
      group.targets.set(memberId, assignmentOf(v.target));
    }
    group.dirtyMembers.clear();
    if (dropped > 0) {
      group.groupEpochValue++;
      group.groupDirty = true;
    }
    for (const member of group.members.values()) {
      group.scheduleSession(member.memberId);
      group.updateRebalanceTimer(member);
    }
    return group;
  }

  // ------------------------------------------------------------------------------ reading

  get groupEpoch(): number {
    return this.groupEpochValue;
  }
  get assignmentEpoch(): number {
    return this.assignmentEpochValue;
  }
  get memberCount(): number {
    return this.members.size;
  }
  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }
  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  /** Kafka's consumer group states: Empty, Assigning, Reconciling, Stable (and Dead once deleted). */
  get state(): ConsumerGroupState {
    if (this.dead) return "Dead";
    if (this.members.size === 0) return "Empty";
    if (this.groupEpochValue > this.assignmentEpochValue) return "Assigning";
    for (const member of this.members.values()) {
      if (member.state !== "stable" || member.memberEpoch !== this.assignmentEpochValue) return "Reconciling";
    }
    return "Stable";
  }

  /** A member's view for tests and describe: epochs, assigned and pending partitions, target. */
  memberView(memberId: string):
    | {
        memberEpoch: number;
        previousMemberEpoch: number;
        state: ConsumerMemberState;
        instanceId: string | null;
        assigned: Assignment;
        pendingRevocation: Assignment;
        target: Assignment;
      }
    | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    return {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: m.state,
      instanceId: m.instanceId,
      assigned: m.assigned,
      pendingRevocation: m.pendingRevocation,
      target: this.targets.get(memberId) ?? emptyAssignment,
    };
  }

  /** Whether a member subscribes to `topic`, by name or by regex (offsets of such topics stay). */
  isSubscribedToTopic(topic: string): boolean {
    for (const member of this.members.values()) {
      if (member.subscribedTopicNames.includes(topic)) return true;
      if (member.subscribedTopicRegex !== null) {
        const regex = compileTopicRegex(member.subscribedTopicRegex);
        if (typeof regex !== "string" && regex.test(topic)) return true;
      }
    }
    return false;
  }

  /** The assignor the members asked for most, else the broker's default. */
  private preferredAssignor(): string {
    const configured = this.runtime.config.consumerAssignors;
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const name of configured) {
      const count = counts.get(name) ?? 0;
      if (count > bestCount) {
        best = name;
        bestCount = count;
      }
    }
    return best ?? configured[0] ?? uniformAssignor.name;
  }

  /** ConsumerGroupDescribe's view; partitions of topics missing from `topicNames` (deleted) are left out. */
  describe(topicNames: ReadonlyMap<string, string>): DescribedConsumerGroup {
    const describeAssignment = (a: Assignment) => ({
      topicPartitions: assignmentValue(a).flatMap((t) => {
        const topicName = topicNames.get(t.topicId);
        return topicName === undefined ? [] : [{ topicId: t.topicId, topicName, partitions: t.partitions }];
      }),
    });
    return {
      groupState: this.state,
      groupEpoch: this.groupEpochValue,
      assignmentEpoch: this.assignmentEpochValue,
      assignorName: this.preferredAssignor(),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex ?? "",
        // Partitions being revoked are still the member's until it confirms.
        assignment: describeAssignment(unionAssignments(m.assigned, m.pendingRevocation)),
        targetAssignment: describeAssignment(this.targets.get(m.memberId) ?? emptyAssignment),
      })),
    };
  }

  // ---------------------------------------------------------------------------- heartbeat

  /**
   * A heartbeat with memberEpoch ≥ 0 (0 joins or rejoins). The request was validated
   * (validateHeartbeat). Resolves once the resulting state is durable.
   */
  heartbeat(request: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    if (this.dead) return Promise.resolve(heartbeatError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const fail = (errorCode: number, message: string) => Promise.resolve(heartbeatError(errorCode, message));
    const sizeMax = this.runtime.config.consumerGroupSizeMax;
    if (this.members.size >= sizeMax && (request.memberId === "" || !this.members.has(request.memberId))) {
      return fail(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${sizeMax} members.`,
      );
    }
    const memberId = request.memberId === "" ? this.runtime.newMemberId() : request.memberId;
    const joining = request.memberEpoch === 0;
    let member: Member | undefined;
    let replaced: Member | undefined;
    if (request.instanceId === null) {
      member = this.members.get(memberId);
      if (member === undefined) {
        if (!joining)
          return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${this.groupId}.`);
      } else if (!joining) {
        const fenced = this.epochError(member, request);
        if (fenced !== undefined) return fail(ErrorCode.FENCED_MEMBER_EPOCH, fenced);
      }
    } else {
      const instanceId = request.instanceId;
      const existing = this.staticMember(instanceId);
      if (joining) {
        if (existing === undefined) member = this.members.get(memberId);
        else if (existing.memberId === memberId) member = existing;
        else if (existing.memberEpoch !== leaveGroupStaticMemberEpoch) {
          return fail(
            ErrorCode.UNRELEASED_INSTANCE_ID,
            `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${existing.memberId} member.`,
          );
        } else {
          // The instance came back with a new member id: it takes the old member's place and partitions.
          replaced = existing;
          member = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
        }
      } else {
        if (existing === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
        if (existing.memberId !== memberId) {
          return fail(
            ErrorCode.FENCED_INSTANCE_ID,
            `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`,
          );
        }
        member = existing;
        const fenced = this.epochError(member, request);
        if (fenced !== undefined) return fail(ErrorCode.FENCED_MEMBER_EPOCH, fenced);
      }
    }
    const isNew = member === undefined || replaced !== undefined;
    const before: Member = member ?? {
      memberId,
      instanceId: null,
      rackId: null,
      clientId: "",
      clientHost: "",
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: [],
      subscribedTopicRegex: null,
      serverAssignor: null,
      memberEpoch: 0,
      previousMemberEpoch: 0,
      state: "stable",
      assigned: emptyAssignment,
      pendingRevocation: emptyAssignment,
    };
    const names =
      request.subscribedTopicNames === null
        ? before.subscribedTopicNames
        : [...new Set(request.subscribedTopicNames)].sort();
    const regex =
      request.subscribedTopicRegex === null
        ? before.subscribedTopicRegex
        : request.subscribedTopicRegex === ""
          ? null
          : request.subscribedTopicRegex;
    const updated: Member = {
      ...before,
      instanceId: request.instanceId ?? before.instanceId,
      rackId: request.rackId ?? before.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs === -1 ? before.rebalanceTimeoutMs : request.rebalanceTimeoutMs,
      serverAssignor: request.serverAssignor ?? before.serverAssignor,
      subscribedTopicNames: names,
      subscribedTopicRegex: regex,
      clientId: request.clientId,
      clientHost: request.clientHost,
    };
    const subscriptionChanged =
      !sameStrings(names, before.subscribedTopicNames) || regex !== before.subscribedTopicRegex;

    // 1. The member, and the group epoch when the subscriptions or the topics changed.
    if (replaced !== undefined) {
      const target = this.targets.get(replaced.memberId) ?? emptyAssignment;
      this.removeMember(replaced);
      this.targets.set(updated.memberId, target);
      this.runtime.logger.log("info", "static member rejoined the consumer group", {
        group: this.groupId,
        member: updated.memberId,
        replaced: replaced.memberId,
        instance: updated.instanceId,
      });
    } else if (isNew) {
      this.runtime.logger.log("info", "member joined the consumer group", {
        group: this.groupId,
        member: updated.memberId,
      });
    }
    if (isNew || !sameMember(updated, before)) this.putMember(updated);
    const metadata = this.computeSubscriptionMetadata();
    const metadataChanged = !sameMetadata(metadata, this.subscriptionMetadata);
    if ((isNew && replaced === undefined) || subscriptionChanged || metadataChanged) {
      this.subscriptionMetadata = metadata;
      this.groupEpochValue++;
      this.groupDirty = true;
      this.runtime.logger.log("info", "bumped the consumer group epoch", {
        group: this.groupId,
        groupEpoch: this.groupEpochValue,
        reason: isNew ? "member joined" : subscriptionChanged ? "subscription changed" : "topic metadata changed",
      });
    }

    // 2. A new target assignment when the group epoch is ahead of it.
    if (this.groupEpochValue > this.assignmentEpochValue) this.computeTargetAssignment();

    // 3. Reconcile the member towards its target.
    const current = this.members.get(updated.memberId) ?? updated;
    const reconciled = this.reconcile(current, joining ? [] : request.topicPartitions);
    if (reconciled !== current) this.putMember(reconciled);
    this.updateRebalanceTimer(reconciled);
    this.scheduleSession(reconciled.memberId);

    const fullRequest =
      joining ||
      (request.rebalanceTimeoutMs !== -1 &&
        (request.subscribedTopicNames !== null || request.subscribedTopicRegex !== null) &&
        request.topicPartitions !== null);
    // Also when the member was behind (it answered with its previous epoch): the response that
    // carried its assignment was probably lost. Kafka relies on the client's full request then.
    const sendAssignment =
      fullRequest ||
      request.memberEpoch !== before.memberEpoch ||
      !sameAssignment(before.assigned, reconciled.assigned);
    return this.flush().then((errorCode) => {
      if (errorCode !== 0) return heartbeatError(errorCode);
      return {
        errorCode: 0,
        errorMessage: null,
        memberId: reconciled.memberId,
        memberEpoch: reconciled.memberEpoch,
        heartbeatIntervalMs: this.runtime.config.consumerHeartbeatIntervalMs,
        assignment: sendAssignment ? { topicPartitions: assignmentValue(reconciled.assigned) } : null,
      };
    });
  }

  /** FENCED_MEMBER_EPOCH's message when the member's epoch is not one the coordinator accepts. */
  private epochError(member: Member, request: ConsumerGroupHeartbeatParams): string | undefined {
    const received = request.memberEpoch;
    if (received > member.memberEpoch) {
      return `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`;
    }
    // The previous epoch with a subset of the assignment: the response that bumped it was lost.
    if (
      received < member.memberEpoch &&
      (received !== member.previousMemberEpoch || !isSubset(request.topicPartitions, member.assigned))
    ) {
      return `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`;
    }
    return undefined;
  }

  private staticMember(instanceId: string): Member | undefined {
    const memberId = this.staticMembers.get(instanceId);
    return memberId === undefined ? undefined : this.members.get(memberId);
  }

  /** ConsumerGroupHeartbeat with memberEpoch -1 (leave) or -2 (a static member leaving for now). */
  leave(request: {
    memberId: string;
    instanceId: string | null;
    memberEpoch: number;
  }): Promise<ConsumerGroupHeartbeatResult> {
    if (this.dead) return Promise.resolve(heartbeatError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const fail = (errorCode: number, message: string) => Promise.resolve(heartbeatError(errorCode, message));
    let member: Member | undefined;
    if (request.instanceId === null) {
      member = this.members.get(request.memberId);
      if (member === undefined) {
        return fail(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${request.memberId} is not a member of group ${this.groupId}.`,
        );
      }
    } else {
      member = this.staticMember(request.instanceId);
      if (member === undefined)
        return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${request.instanceId} is unknown.`);
      if (member.memberId !== request.memberId) {
        return fail(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${request.memberId} with instance id ${request.instanceId} was fenced by member ${member.memberId}.`,
        );
      }
    }
    const answer = (memberEpoch: number): ConsumerGroupHeartbeatResult => ({
      errorCode: 0,
      errorMessage: null,
      memberId: request.memberId,
      memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    if (request.memberEpoch === leaveGroupStaticMemberEpoch && request.instanceId !== null) {
      // It keeps its partitions (and its session timer runs on): a restart within the session
      // gets them back without a rebalance. What it was revoking is released now.
      this.runtime.logger.log("info", "static member left the consumer group for now", {
        group: this.groupId,
        member: member.memberId,
        instance: request.instanceId,
      });
      this.putMember({ ...member, memberEpoch: leaveGroupStaticMemberEpoch, pendingRevocation: emptyAssignment });
      this.cancelRebalanceTimer(member.memberId);
      return this.flush().then((errorCode) =>
        errorCode === 0 ? answer(leaveGroupStaticMemberEpoch) : heartbeatError(errorCode),
      );
    }
    this.fence(member, "the member left the group");
    return this.flush().then((errorCode) =>
      errorCode === 0 ? answer(leaveGroupMemberEpoch) : heartbeatError(errorCode),
    );
  }

  /**
   * LeaveGroup (the classic API) on a consumer group: removes the named members, as Kafka 4.4
   * does (Admin.removeMembersFromConsumerGroup). Answers at once; the write follows.
   */
  leaveMembers(leaving: readonly LeavingMember[]): { errorCode: number; members: LeaveResult[] } {
    if (this.dead) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: LeaveResult[] = [];
    let removed = 0;
    for (const m of leaving) {
      let member: Member | undefined;
      let errorCode = 0;
      if (m.groupInstanceId === null) {
        member = this.members.get(m.memberId);
        if (member === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      } else {
        member = this.staticMember(m.groupInstanceId);
        if (member === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else if (m.memberId !== "" && m.memberId !== member.memberId) errorCode = ErrorCode.FENCED_INSTANCE_ID;
      }
      if (member === undefined || errorCode !== 0) {
        results.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
        continue;
      }
      this.runtime.logger.log("info", "member removed from the consumer group by LeaveGroup", {
        group: this.groupId,
        member: member.memberId,
        reason: m.reason ?? null,
      });
      this.removeMember(member);
      removed++;
      results.push({ memberId: member.memberId, groupInstanceId: m.groupInstanceId, errorCode: 0 });
    }
    if (removed > 0) {
      this.bumpAndAssign();
      void this.flush();
    }
    return { errorCode: 0, members: results };
  }

  // ------------------------------------------------------------------------------ offsets

  /**
   * OffsetCommit's checks (Kafka's ConsumerGroup.validateOffsetCommit): epoch -1 commits only
   * to a group without members; members commit with OffsetCommit v9+ and their current epoch.
   * TxnOffsetCommit (`transactional`, any version) skips the checks when it names no member
   * (epoch -1, no member id, no instance id), as Kafka 4 does.
   */
  validateOffsetCommit(request: {
    memberId: string;
    memberEpoch: number;
    apiVersion: number;
    groupInstanceId?: string | null;
    transactional?: boolean;
  }): number {
    const transactional = request.transactional === true;
    if (this.dead) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (request.memberEpoch < 0 && this.members.size === 0) return 0;
    const anonymous =
      request.memberEpoch === -1 && request.memberId === "" && (request.groupInstanceId ?? null) === null;
    if (transactional && anonymous) return 0;
    const member = this.members.get(request.memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (!transactional && request.apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    return request.memberEpoch === member.memberEpoch ? 0 : ErrorCode.STALE_MEMBER_EPOCH;
  }

  /** OffsetFetch v9's checks: no member id and epoch -1 (admin) pass; a member's epoch must match. */
  validateOffsetFetch(request: { memberId: string | null; memberEpoch: number }): number {
    if (request.memberId === null && request.memberEpoch < 0) return 0;
    const member = this.members.get(request.memberId ?? "");
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return request.memberEpoch === member.memberEpoch ? 0 : ErrorCode.STALE_MEMBER_EPOCH;
  }

  // ------------------------------------------------------------------------- assignment

  /** The subscribed topics that exist now, by name: names and regex matches of every member. */
  private computeSubscriptionMetadata(): Map<string, TopicInfo> {
    const out = new Map<string, TopicInfo>();
    let all: readonly TopicInfo[] | undefined;
    for (const member of this.members.values()) {
      for (const name of member.subscribedTopicNames) {
        if (out.has(name)) continue;
        const topic = this.runtime.topics.topic(name);
        if (topic !== undefined) out.set(name, { name, topicId: topic.topicId, partitions: topic.partitions });
      }
      if (member.subscribedTopicRegex === null) continue;
      const regex = compileTopicRegex(member.subscribedTopicRegex);
      if (typeof regex === "string") continue;
      all ??= this.runtime.topics.topics();
      for (const topic of all) {
        if (!out.has(topic.name) && regex.test(topic.name)) {
          out.set(topic.name, { name: topic.name, topicId: topic.topicId, partitions: topic.partitions });
        }
      }
    }
    return out;
  }

  /** The topic ids a member subscribes to among the group's subscription metadata. */
  private memberTopicIds(member: Member): Set<string> {
    const ids = new Set<string>();
    for (const name of member.subscribedTopicNames) {
      const topic = this.subscriptionMetadata.get(name);
      if (topic !== undefined) ids.add(topic.topicId);
    }
    if (member.subscribedTopicRegex !== null) {
      const regex = compileTopicRegex(member.subscribedTopicRegex);
      if (typeof regex !== "string") {
        for (const topic of this.subscriptionMetadata.values()) if (regex.test(topic.name)) ids.add(topic.topicId);
      }
    }
    return ids;
  }

  /** A new target assignment for the current group epoch; members whose target moved are written. */
  private computeTargetAssignment(): void {
    const name = this.preferredAssignor();
    const assignor = assignorsByName.get(name) ?? uniformAssignor;
    const partitionCounts = new Map<string, number>();
    for (const topic of this.subscriptionMetadata.values()) partitionCounts.set(topic.topicId, topic.partitions);
    const result = assignor.assign({
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        topicIds: this.memberTopicIds(m),
        previous: this.targets.get(m.memberId) ?? emptyAssignment,
      })),
      partitionCounts,
    });
    for (const member of this.members.values()) {
      const next = result.get(member.memberId) ?? emptyAssignment;
      if (!sameAssignment(next, this.targets.get(member.memberId) ?? emptyAssignment)) {
        this.targets.set(member.memberId, next);
        this.dirtyMembers.add(member.memberId);
      }
    }
    this.assignmentEpochValue = this.groupEpochValue;
    this.groupDirty = true;
    this.runtime.logger.log("info", "computed a new target assignment", {
      group: this.groupId,
      assignmentEpoch: this.assignmentEpochValue,
      assignor: assignor.name,
      members: this.members.size,
    });
  }

  /**
   * One step of a member towards its target (Kafka's CurrentAssignmentBuilder): keeps what is
   * still in the target; asks it to revoke the rest and waits until its heartbeat no longer
   * lists them; only then moves it to the target epoch and gives it the target's partitions that
   * no other member still owns (the others follow once released).
   */
  private reconcile(member: Member, owned: readonly OwnedTopicPartitions[] | null): Member {
    if (member.state === "stable" && member.memberEpoch === this.assignmentEpochValue) return member;
    let next: Member;
    switch (member.state) {
      case "stable":
        next = this.nextAssignment(member, member.memberEpoch, owned);
        break;
      case "unrevokedPartitions":
        if (ownsAnyOf(owned, member.pendingRevocation)) return member;
        next = this.nextAssignment(member, member.memberEpoch + 1, owned);
        break;
      case "unreleasedPartitions":
        next = this.nextAssignment(member, member.memberEpoch, owned);
        break;
    }
    const unchanged =
      next.state === member.state &&
      next.memberEpoch === member.memberEpoch &&
      next.previousMemberEpoch === member.previousMemberEpoch &&
      sameAssignment(next.assigned, member.assigned) &&
      sameAssignment(next.pendingRevocation, member.pendingRevocation);
    return unchanged ? member : next;
  }

  private nextAssignment(member: Member, memberEpoch: number, owned: readonly OwnedTopicPartitions[] | null): Member {
    const target = this.targets.get(member.memberId) ?? emptyAssignment;
    const assigned = new Map<string, readonly number[]>();
    const revoking = new Map<string, readonly number[]>();
    const adding = new Map<string, number[]>();
    let unreleased = false;
    for (const topicId of new Set([...target.keys(), ...member.assigned.keys()])) {
      const wanted = target.get(topicId) ?? [];
      const current = member.assigned.get(topicId) ?? [];
      const keep = current.filter((p) => wanted.includes(p));
      const revoke = current.filter((p) => !wanted.includes(p));
      const add: number[] = [];
      for (const p of wanted) {
        if (keep.includes(p)) continue;
        const owner = this.owners.get(`${topicId}:${p}`);
        // Its own partitions pending revocation were confirmed revoked to get here.
        if (owner !== undefined && owner !== member.memberId) unreleased = true;
        else add.push(p);
      }
      if (keep.length > 0) assigned.set(topicId, keep);
      if (revoke.length > 0) revoking.set(topicId, revoke);
      if (add.length > 0) adding.set(topicId, add);
    }
    const withEpoch = (epoch: number, state: ConsumerMemberState, next: Assignment, pending: Assignment): Member => ({
      ...member,
      state,
      memberEpoch: epoch,
      previousMemberEpoch: epoch === member.memberEpoch ? member.previousMemberEpoch : member.memberEpoch,
      assigned: next,
      pendingRevocation: pending,
    });
    if (revoking.size > 0 && ownsAnyOf(owned, revoking)) {
      // Revoke first, staying in the current epoch until the member confirms.
      return withEpoch(memberEpoch, "unrevokedPartitions", sortedAssignment(assigned), sortedAssignment(revoking));
    }
    for (const [topicId, partitions] of adding)
      assigned.set(topicId, [...(assigned.get(topicId) ?? []), ...partitions]);
    return withEpoch(
      this.assignmentEpochValue,
      unreleased ? "unreleasedPartitions" : "stable",
      sortedAssignment(assigned),
      emptyAssignment,
    );
  }

  // ----------------------------------------------------------------- members and timers

  private putMember(next: Member): void {
    const previous = this.members.get(next.memberId);
    if (previous !== undefined) this.release(previous);
    for (const key of [...partitionKeys(next.assigned), ...partitionKeys(next.pendingRevocation)]) {
      const owner = this.owners.get(key);
      if (owner !== undefined && owner !== next.memberId) {
        throw new Error(`consumer group ${this.groupId}: ${key} given to ${next.memberId} but owned by ${owner}`);
      }
      this.owners.set(key, next.memberId);
    }
    this.members.set(next.memberId, next);
    if (next.instanceId !== null) this.staticMembers.set(next.instanceId, next.memberId);
    this.dirtyMembers.add(next.memberId);
    this.removedMembers.delete(next.memberId);
  }

  private release(member: Member): void {
    for (const key of [...partitionKeys(member.assigned), ...partitionKeys(member.pendingRevocation)]) {
      if (this.owners.get(key) === member.memberId) this.owners.delete(key);
    }
  }

  private removeMember(member: Member): void {
    this.release(member);
    this.members.delete(member.memberId);
    this.targets.delete(member.memberId);
    if (member.instanceId !== null && this.staticMembers.get(member.instanceId) === member.memberId) {
      this.staticMembers.delete(member.instanceId);
    }
    this.sessionTimers.get(member.memberId)?.cancel();
    this.sessionTimers.delete(member.memberId);
    this.cancelRebalanceTimer(member.memberId);
    this.dirtyMembers.delete(member.memberId);
    this.removedMembers.add(member.memberId);
  }

  /** Removes a member and starts the next epoch: its partitions go to the others. */
  private fence(member: Member, reason: string): void {
    this.runtime.logger.log("info", "member removed from the consumer group", {
      group: this.groupId,
      member: member.memberId,
      reason,
    });
    this.removeMember(member);
    this.bumpAndAssign();
  }

  /** After members left: the next group epoch with its target assignment, at once. */
  private bumpAndAssign(): void {
    this.groupEpochValue++;
    this.groupDirty = true;
    this.subscriptionMetadata = this.computeSubscriptionMetadata();
    this.computeTargetAssignment();
  }

  private scheduleSession(memberId: string): void {
    this.sessionTimers.get(memberId)?.cancel();
    this.sessionTimers.set(
      memberId,
      this.runtime.scheduler.schedule(this.runtime.config.consumerSessionTimeoutMs, () => {
        this.sessionTimers.delete(memberId);
        const member = this.members.get(memberId);
        if (member === undefined || this.dead) return;
        this.fence(member, "its session expired");
        void this.flush();
      }),
    );
  }

  /** A member revoking partitions must confirm within its rebalance timeout, or it is removed. */
  private updateRebalanceTimer(member: Member): void {
    if (member.state !== "unrevokedPartitions") {
      this.cancelRebalanceTimer(member.memberId);
      return;
    }
    if (this.rebalanceTimers.has(member.memberId)) {
      // Already counting for this epoch (a revocation does not restart the clock).
      return;
    }
    const epoch = member.memberEpoch;
    const { memberId } = member;
    this.rebalanceTimers.set(
      memberId,
      this.runtime.scheduler.schedule(Math.max(0, member.rebalanceTimeoutMs), () => {
        this.rebalanceTimers.delete(memberId);
        const current = this.members.get(memberId);
        if (current === undefined || this.dead || current.memberEpoch !== epoch) return;
        this.fence(current, `it did not revoke its partitions within ${current.rebalanceTimeoutMs} ms`);
        void this.flush();
      }),
    );
  }

  private cancelRebalanceTimer(memberId: string): void {
    this.rebalanceTimers.get(memberId)?.cancel();
    this.rebalanceTimers.delete(memberId);
  }

  // ---------------------------------------------------------------------------- storage

  private groupRecord(): CoordinatorRecord {
    return {
      kind: "consumerGroup",
      groupId: this.groupId,
      value: {
        groupEpoch: this.groupEpochValue,
        assignmentEpoch: this.assignmentEpochValue,
        subscriptionMetadata: [...this.subscriptionMetadata.values()].map((t) => ({
          name: t.name,
          topicId: t.topicId,
          partitions: t.partitions,
        })),
      },
    };
  }

  private memberRecord(member: Member): CoordinatorRecord {
    return {
      kind: "consumerMember",
      groupId: this.groupId,
      memberId: member.memberId,
      value: {
        instanceId: member.instanceId,
        rackId: member.rackId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        subscribedTopicNames: member.subscribedTopicNames,
        subscribedTopicRegex: member.subscribedTopicRegex,
        serverAssignor: member.serverAssignor,
        memberEpoch: member.memberEpoch,
        previousMemberEpoch: member.previousMemberEpoch,
        state: member.state,
        assigned: assignmentValue(member.assigned),
        pendingRevocation: assignmentValue(member.pendingRevocation),
        target: assignmentValue(this.targets.get(member.memberId) ?? emptyAssignment),
      },
    };
  }

  /** Writes what changed since the last write (everything after a failed one). */
  private flush(): Promise<number> {
    if (this.dead) return Promise.resolve(0);
    const records: CoordinatorRecord[] = [];
    const classicTombstone = this.classicTombstoneDue;
    if (classicTombstone) records.push({ kind: "group", groupId: this.groupId, value: null });
    const full = this.fullWriteNeeded;
    if (full || this.groupDirty) records.push(this.groupRecord());
    const gone = new Set(this.removedMembers);
    if (full) for (const id of this.onDisk) if (!this.members.has(id)) gone.add(id);
    for (const memberId of gone) records.push({ kind: "consumerMember", groupId: this.groupId, memberId, value: null });
    const written = full ? [...this.members.keys()] : [...this.dirtyMembers].filter((id) => this.members.has(id));
    for (const id of written) {
      const member = this.members.get(id);
      if (member === undefined) continue;
      records.push(this.memberRecord(member));
      this.onDisk.add(id);
    }
    this.classicTombstoneDue = false;
    this.fullWriteNeeded = false;
    this.groupDirty = false;
    this.dirtyMembers.clear();
    this.removedMembers.clear();
    if (records.length === 0) return Promise.resolve(0);
    return this.runtime.write(this.groupId, records).then((errorCode) => {
      if (errorCode === 0) {
        this.persisted = true;
        for (const id of gone) if (!this.members.has(id)) this.onDisk.delete(id);
      } else {
        this.fullWriteNeeded = true;
        if (classicTombstone) this.classicTombstoneDue = true;
        this.runtime.logger.log("warn", "writing consumer group state failed", { group: this.groupId, errorCode });
      }
      return errorCode;
    });
  }

  /** The records that delete the group from __consumer_offsets (its offsets aside). */
  tombstones(): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const memberId of new Set([...this.onDisk, ...this.members.keys()])) {
      records.push({ kind: "consumerMember", groupId: this.groupId, memberId, value: null });
    }
    if (this.classicTombstoneDue) records.push({ kind: "group", groupId: this.groupId, value: null });
    records.push({ kind: "consumerGroup", groupId: this.groupId, value: null });
    return records;
  }

  /** Marks the group deleted (DeleteGroups, expiry, conversion); it must have no members. */
  markDead(): void {
    if (this.members.size > 0) throw new Error(`consumer group ${this.groupId} still has members`);
    this.dead = true;
    this.unload();
  }

  /** Stops every timer (coordinator shutdown). */
  unload(): void {
    for (const timer of this.sessionTimers.values()) timer.cancel();
    for (const timer of this.rebalanceTimers.values()) timer.cancel();
    this.sessionTimers.clear();
    this.rebalanceTimers.clear();
  }
}

function sameMember(a: Member, b: Member): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    sameStrings(a.subscribedTopicNames, b.subscribedTopicNames) &&
    a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.serverAssignor === b.serverAssignor
  );
}

function sameMetadata(a: ReadonlyMap<string, TopicInfo>, b: ReadonlyMap<string, TopicInfo>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const other = b.get(name);
    if (other === undefined || other.topicId !== t.topicId || other.partitions !== t.partitions) return false;
  }
  return true;
}

function sortedAssignment(a: ReadonlyMap<string, readonly number[]>): Assignment {
  const out = new Map<string, readonly number[]>();
  for (const [topicId, partitions] of [...a].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (partitions.length > 0) out.set(topicId, sortedUnique(partitions));
  }
  return out;
}

function unionAssignments(a: Assignment, b: Assignment): Assignment {
  const out = new Map<string, readonly number[]>(a);
  for (const [topicId, partitions] of b) out.set(topicId, sortedUnique([...(out.get(topicId) ?? []), ...partitions]));
  return sortedAssignment(out);
}
