// One classic consumer group (Kafka's GroupCoordinator semantics): the state machine Empty →
// PreparingRebalance → CompletingRebalance → Stable (and Dead), its members, and the JoinGroup,
// SyncGroup, Heartbeat and LeaveGroup protocol with its session, rebalance and sync timeouts.
// Time and timers are injected (GroupRuntime), so tests drive every timeout by hand.
import { decodeConsumerProtocolSubscription, ErrorCode, Reader } from "@samsa/protocol";
import type { GroupCoordinatorConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import type { GroupMetadataValue, StoredMember } from "./records.ts";
import type { ScheduledTask, Scheduler } from "./scheduler.ts";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** The states a group may come from, per state (Kafka's validPreviousStates). */
const validPreviousStates: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

/** A JoinGroup from a member that has not completed its first join times out after this long. */
export const newMemberJoinTimeoutMs = 5 * 60 * 1000;
export const consumerProtocolType = "consumer";
const noBytes = new Uint8Array(0);

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinGroupParams {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  readonly sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means the session timeout. */
  readonly rebalanceTimeoutMs: number;
  readonly clientId: string;
  readonly clientHost: string;
  /** v4+ requires a known member id (MEMBER_ID_REQUIRED handshake); v9+ may skip assignment. */
  readonly apiVersion: number;
  readonly reason: string | null;
}

export interface JoinedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  readonly skipAssignment: boolean;
  /** Every member's metadata for the selected protocol: for the leader only. */
  readonly members: readonly JoinedMember[];
}

export interface SyncGroupParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+: checked against the group's when given. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Uint8Array }[];
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Uint8Array;
}

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason?: string | null;
}

export interface LeaveResult {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly errorCode: number;
}

export interface CommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  readonly expireTimestampMs: number;
  /** Where the commit sits in __consumer_offsets: a later record wins, whatever order writes finish in. */
  readonly recordOffset: number;
}

export interface DescribedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly metadata: Uint8Array;
  readonly assignment: Uint8Array;
}

/** What a group needs from its coordinator: time, timers, limits and durable storage. */
export interface GroupRuntime {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly config: GroupCoordinatorConfig;
  readonly logger: Logger;
  /** Writes the group's metadata durably; resolves with 0 or the error code to answer. */
  storeGroup(groupId: string, value: GroupMetadataValue): Promise<number>;
  newMemberId(prefix: string): string;
}

type JoinCallback = (result: JoinGroupResult) => void;
type SyncCallback = (result: SyncGroupResult) => void;

class Member {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  readonly protocolType: string;
  protocols: readonly GroupProtocol[];
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  assignment: Uint8Array = noBytes;
  awaitingJoin: JoinCallback | undefined;
  awaitingSync: SyncCallback | undefined;
  /** Joined but not yet through a completed join: expires by newMemberJoinTimeoutMs. */
  isNew = false;
  heartbeat: ScheduledTask | undefined;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    protocolType: string;
    protocols: readonly GroupProtocol[];
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
  }

  metadataFor(protocol: string | null): Uint8Array {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? noBytes;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => {
      const mine = this.protocols[i];
      return mine !== undefined && mine.name === p.name && sameBytes(mine.metadata, p.metadata);
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    memberId,
    skipAssignment: false,
    members: [],
  };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: noBytes };
}

/** The topics in a consumer-protocol subscription (a version prefix, then the body). */
function subscribedTopicsOf(metadata: Uint8Array): readonly string[] {
  const r = new Reader(metadata);
  const version = r.int16();
  if (version < 0) throw new Error(`negative subscription version ${version}`);
  // Newer versions only add fields at the end: read them as the newest version we know.
  return decodeConsumerProtocolSubscription(r, Math.min(version, 3)).topics;
}

export class ClassicGroup {
  readonly groupId: string;
  private readonly runtime: GroupRuntime;
  private stateValue: GroupState = "Empty";
  private stateTimestamp: number;
  private generation = 0;
  private protocolTypeValue: string | null = null;
  private protocolNameValue: string | null = null;
  private leader: string | null = null;
  /** Members in join order (the order decides the next leader when the leader leaves). */
  private readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, awaiting the member's second join. */
  private readonly pendingMembers = new Map<string, ScheduledTask>();
  /** group.instance.id → member id of static members. */
  private readonly staticMembers = new Map<string, string>();
  /** Members expected to send SyncGroup for the current generation. */
  private readonly pendingSyncMembers = new Set<string>();
  private pendingSyncTimer: ScheduledTask | undefined;
  private joinTimer: ScheduledTask | undefined;
  /** Whether the running join timer is the initial delay (which never completes early). */
  private joinIsInitialDelay = false;
  private newMemberAdded = false;
  /** Topics the members subscribe to; undefined when not known (not the consumer protocol). */
  private subscribedTopics: ReadonlySet<string> | undefined;
  /** Committed offsets: topic → partition → offset. Managed by the coordinator. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Whether a group metadata record was ever written (a tombstone is due on removal). */
  persisted = false;

  constructor(groupId: string, runtime: GroupRuntime) {
    this.groupId = groupId;
    this.runtime = runtime;
    this.stateTimestamp = runtime.clock.nowMs();
  }

  /** Rebuilds a group from its stored metadata: Stable with its members, or Empty. */
  static load(groupId: string, value: GroupMetadataValue, runtime: GroupRuntime): ClassicGroup {
    const group = new ClassicGroup(groupId, runtime);
    group.persisted = true;
    group.generation = value.generationId;
    group.protocolTypeValue = value.protocolType;
    const usable = value.members.length > 0 && value.protocolName !== null && value.protocolType !== null;
    group.protocolNameValue = usable ? value.protocolName : null;
    if (usable) {
      for (const stored of value.members) {
        const member = new Member({
          ...stored,
          protocolType: value.protocolType ?? "",
          protocols: [{ name: value.protocolName ?? "", metadata: stored.subscription }],
        });
        member.assignment = stored.assignment;
        group.members.set(member.memberId, member);
        if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId);
      }
      group.leader =
        value.leaderId !== null && group.members.has(value.leaderId)
          ? value.leaderId
          : ([...group.members.keys()][0] ?? null);
      group.stateValue = "Stable";
      // Members get a full session to show up again after the restart.
      for (const member of group.members.values()) group.scheduleHeartbeat(member, member.sessionTimeoutMs);
    }
    group.stateTimestamp = value.stateTimestampMs;
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }

  // ------------------------------------------------------------------------------------ reading

  get state(): GroupState {
    return this.stateValue;
  }
  get generationId(): number {
    return this.generation;
  }
  get protocolType(): string | null {
    return this.protocolTypeValue;
  }
  get protocolName(): string | null {
    return this.protocolNameValue;
  }
  get leaderId(): string | null {
    return this.leader;
  }
  /** When the group entered its current state. */
  get stateTimestampMs(): number {
    return this.stateTimestamp;
  }
  get memberCount(): number {
    return this.members.size;
  }
  get pendingMemberCount(): number {
    return this.pendingMembers.size;
  }
  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }
  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }
  memberIds(): string[] {
    return [...this.members.keys()];
  }
  /** Whether the members' subscriptions are known (consumer protocol, parsable metadata). */
  get subscriptionsKnown(): boolean {
    return this.subscribedTopics !== undefined;
  }
  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  /**
   * Whether the members subscribe to `topic`. When the subscriptions are not known (another
   * protocol type, or metadata that does not parse) a non-empty group counts as subscribed.
   */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== undefined) return this.subscribedTopics.has(topic);
    return this.stateValue !== "Empty";
  }

  /** DescribeGroups: metadata and assignments only for a Stable group, as Kafka reports them. */
  describe(): { state: GroupState; protocolType: string; protocolData: string; members: DescribedMember[] } {
    const stable = this.stateValue === "Stable";
    return {
      state: this.stateValue,
      protocolType: this.protocolTypeValue ?? "",
      protocolData: stable ? (this.protocolNameValue ?? "") : "",
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(this.protocolNameValue) : noBytes,
        assignment: stable ? m.assignment : noBytes,
      })),
    };
  }

  /** The group's metadata as stored, with `assignments` (default: the members' current ones). */
  snapshot(assignments?: ReadonlyMap<string, Uint8Array>): GroupMetadataValue {
    const members: StoredMember[] = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: m.metadataFor(this.protocolNameValue),
      assignment: assignments?.get(m.memberId) ?? m.assignment,
    }));
    return {
      protocolType: this.protocolTypeValue,
      generationId: this.generation,
      protocolName: this.protocolNameValue,
      leaderId: this.leader,
      stateTimestampMs: this.stateTimestamp,
      members,
    };
  }

  // ------------------------------------------------------------------------------- JoinGroup

  /** Handles a JoinGroup for this group; resolves when the member's join completes. */
  join(request: JoinGroupParams): Promise<JoinGroupResult> {
    const { memberId } = request;
    let result: Promise<JoinGroupResult>;
    if (this.stateValue === "Dead") {
      // The group was deleted concurrently: the client looks the coordinator up again and retries.
      result = Promise.resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    } else if (!this.supportsProtocols(request.protocolType, request.protocols)) {
      result = Promise.resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    } else if (!this.acceptJoiningMember(request)) {
      const member = this.members.get(memberId);
      if (member !== undefined) this.removeMember(member);
      result = Promise.resolve(joinError("", ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (memberId === "") {
      result = this.joinNewMember(request);
    } else {
      result = this.joinExistingMember(request);
    }
    if (this.stateValue === "PreparingRebalance") this.tryCompleteJoin();
    return result;
  }

  private supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.stateValue === "Empty") return protocolType !== "" && protocols.length > 0;
    if (protocolType !== this.protocolTypeValue) return false;
    const votes = this.supportCounts();
    return protocols.some((p) => (votes.get(p.name) ?? 0) === this.members.size);
  }

  /** How many members support each protocol. */
  private supportCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const member of this.members.values()) {
      for (const name of new Set(member.protocols.map((p) => p.name))) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * group.max.size: an existing member is accepted; a new one while there is room. While
   * preparing a rebalance the members that rejoined count, so the last to rejoin are the ones
   * left out when the limit was lowered.
   */
  private acceptJoiningMember(request: JoinGroupParams): boolean {
    const max = this.runtime.config.groupSizeMax;
    const existing =
      this.members.get(request.memberId) ??
      (request.memberId === "" && request.groupInstanceId !== null
        ? this.members.get(this.staticMembers.get(request.groupInstanceId) ?? "")
        : undefined);
    switch (this.stateValue) {
      case "Empty":
      case "Dead":
        return true;
      case "PreparingRebalance":
        return existing?.awaitingJoin !== undefined || this.awaitingJoinCount() < max;
      case "CompletingRebalance":
      case "Stable":
        return existing !== undefined || this.members.size < max;
    }
  }

  private awaitingJoinCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== undefined) n++;
    return n;
  }

  private joinNewMember(request: JoinGroupParams): Promise<JoinGroupResult> {
    const instanceId = request.groupInstanceId;
    const newMemberId = this.runtime.newMemberId(instanceId ?? request.clientId);
    if (instanceId !== null) {
      const oldMemberId = this.staticMembers.get(instanceId);
      if (oldMemberId !== undefined) return this.replaceStaticMember(request, oldMemberId, newMemberId);
      // A new static member joins at once: its instance id identifies it, no handshake needed.
      return this.addMemberAndRebalance(newMemberId, request);
    }
    if (request.apiVersion >= 4) {
      // KIP-394: hand out the member id first, so a client that retries does not leave a ghost.
      const timer = this.runtime.scheduler.schedule(request.sessionTimeoutMs, () =>
        this.expirePendingMember(newMemberId),
      );
      this.pendingMembers.set(newMemberId, timer);
      return Promise.resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(newMemberId, request);
  }

  private joinExistingMember(request: JoinGroupParams): Promise<JoinGroupResult> {
    const { memberId } = request;
    const pending = this.pendingMembers.get(memberId);
    if (pending !== undefined) {
      if (request.groupInstanceId !== null) {
        return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      }
      pending.cancel();
      this.pendingMembers.delete(memberId);
      return this.addMemberAndRebalance(memberId, request);
    }
    const invalid = this.validateMember(memberId, request.groupInstanceId);
    if (invalid !== 0) return Promise.resolve(joinError(memberId, invalid));
    const member = this.members.get(memberId);
    if (member === undefined) return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    switch (this.stateValue) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(member, request, "member rejoined during a rebalance");
      case "CompletingRebalance":
        // Same metadata: it probably lost the JoinGroup response; answer it again.
        if (member.matches(request.protocols)) return Promise.resolve(this.currentJoinResult(member));
        return this.updateMemberAndRebalance(member, request, "member changed its metadata");
      case "Stable":
        // The leader's rejoin always rebalances (it may have seen topic changes); a follower's
        // only when its metadata changed (cooperative rebalancing rejoins this way).
        if (this.leader === memberId) return this.updateMemberAndRebalance(member, request, "leader rejoined");
        if (!member.matches(request.protocols)) {
          return this.updateMemberAndRebalance(member, request, "member changed its metadata");
        }
        return Promise.resolve(this.currentJoinResult(member));
      case "Empty":
      case "Dead":
        return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /**
   * The current generation as a JoinGroup answer: the leader gets every member's metadata. A
   * static leader replaced without a rebalance gets them only with skipAssignment (v9+), so it
   * does not compute an assignment nobody asked for; before v9 it gets none, as in Kafka.
   */
  private currentJoinResult(member: Member, staticRejoin?: { skipAssignment: boolean }): JoinGroupResult {
    const isLeader = this.leader === member.memberId;
    const withMembers = isLeader && (staticRejoin === undefined || staticRejoin.skipAssignment);
    return {
      errorCode: 0,
      generationId: this.generation,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocolNameValue,
      leader: this.leader ?? "",
      memberId: member.memberId,
      skipAssignment: staticRejoin !== undefined && staticRejoin.skipAssignment && isLeader,
      members: withMembers ? this.joinedMembers() : [],
    };
  }

  private joinedMembers(): JoinedMember[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(this.protocolNameValue),
    }));
  }

  private addMemberAndRebalance(memberId: string, request: JoinGroupParams): Promise<JoinGroupResult> {
    const member = new Member({
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      protocolType: request.protocolType,
      protocols: request.protocols,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
    });
    member.isNew = true;
    // A new group keeps delaying its first rebalance while members keep arriving.
    if (this.stateValue === "PreparingRebalance" && this.generation === 0) this.newMemberAdded = true;
    const result = new Promise<JoinGroupResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    if (this.members.size === 0) this.protocolTypeValue = member.protocolType;
    this.leader ??= memberId;
    this.members.set(memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, memberId);
    // New members cannot heartbeat (they have no generation yet), and a client that gave up on a
    // long rebalance would leave a ghost: their join expires after newMemberJoinTimeoutMs.
    this.scheduleHeartbeat(member, newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(`member ${memberId} joined`);
    return result;
  }

  private updateMember(member: Member, request: JoinGroupParams, callback: JoinCallback | undefined): void {
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    // A join superseded by a newer one from the same member still gets an answer.
    const previous = member.awaitingJoin;
    member.awaitingJoin = callback;
    previous?.(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }

  private updateMemberAndRebalance(member: Member, request: JoinGroupParams, reason: string): Promise<JoinGroupResult> {
    const result = new Promise<JoinGroupResult>((resolve) => this.updateMember(member, request, resolve));
    this.maybePrepareRebalance(reason);
    return result;
  }

  /**
   * A static member came back with a new process (empty member id): it takes over the old
   * member's place and assignment under a new member id, and the old id is fenced. No rebalance
   * when the group is Stable and the selected protocol would not change.
   */
  private replaceStaticMember(
    request: JoinGroupParams,
    oldMemberId: string,
    newMemberId: string,
  ): Promise<JoinGroupResult> {
    const member = this.members.get(oldMemberId);
    if (member === undefined || request.groupInstanceId === null) {
      throw new Error(`static member ${oldMemberId} of group ${this.groupId} is missing`);
    }
    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
      clientId: member.clientId,
      clientHost: member.clientHost,
    };
    this.renameMember(member, oldMemberId, newMemberId);
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;
    const result = new Promise<JoinGroupResult>((resolve) => this.updateMember(member, request, resolve));
    this.scheduleHeartbeat(member, member.sessionTimeoutMs);
    switch (this.stateValue) {
      case "Stable": {
        if (this.protocolNameValue !== this.selectProtocol()) {
          this.prepareRebalance(`static member ${newMemberId} rejoined with a change of protocol`);
          break;
        }
        const generation = this.generation;
        const callback = member.awaitingJoin;
        const skipAssignment = request.apiVersion >= 9;
        void this.runtime.storeGroup(this.groupId, this.snapshot()).then((errorCode) => {
          if (member.awaitingJoin !== callback) return; // superseded meanwhile
          if (errorCode !== 0) {
            // Undo the replacement: the old instance keeps its place; the new one hears why.
            member.awaitingJoin = undefined;
            if (this.members.get(newMemberId) === member) {
              this.renameMember(member, newMemberId, oldMemberId);
              member.protocols = old.protocols;
              member.rebalanceTimeoutMs = old.rebalanceTimeoutMs;
              member.sessionTimeoutMs = old.sessionTimeoutMs;
              member.clientId = old.clientId;
              member.clientHost = old.clientHost;
            }
            callback?.(joinError("", errorCode));
            return;
          }
          this.persisted = true;
          member.awaitingJoin = undefined;
          callback?.({ ...this.currentJoinResult(member, { skipAssignment }), generationId: generation });
        });
        break;
      }
      case "CompletingRebalance":
        // The leader may be assigning to the old member id: start over so the new id gets a share.
        this.prepareRebalance(`static member ${newMemberId} replaced ${oldMemberId} during a rebalance`);
        break;
      case "PreparingRebalance":
        break; // it is now awaiting the join like everyone else
      case "Empty":
      case "Dead":
        throw new Error(`group ${this.groupId} is ${this.stateValue} but has static member ${oldMemberId}`);
    }
    return result;
  }

  /** Moves a member to a new id, fencing whatever the old instance was waiting for. */
  private renameMember(member: Member, fromId: string, toId: string): void {
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = undefined;
    member.awaitingSync = undefined;
    join?.(joinError(fromId, ErrorCode.FENCED_INSTANCE_ID));
    sync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.members.delete(fromId);
    member.memberId = toId;
    this.members.set(toId, member);
    if (this.leader === fromId) this.leader = toId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, toId);
    if (this.pendingSyncMembers.delete(fromId)) this.pendingSyncMembers.add(toId);
  }

  // ------------------------------------------------------------------------------- rebalance

  private canRebalance(): boolean {
    return this.stateValue === "Stable" || this.stateValue === "CompletingRebalance" || this.stateValue === "Empty";
  }

  private maybePrepareRebalance(reason: string): void {
    if (this.canRebalance()) this.prepareRebalance(reason);
  }

  private prepareRebalance(reason: string): void {
    // Members waiting for an assignment will not get one: they must join again.
    if (this.stateValue === "CompletingRebalance")
      this.resetAndPropagateAssignmentError(ErrorCode.REBALANCE_IN_PROGRESS);
    this.clearPendingSync();
    const initial = this.stateValue === "Empty";
    this.transitionTo("PreparingRebalance");
    this.runtime.logger.log("info", "preparing to rebalance group", {
      group: this.groupId,
      generation: this.generation,
      reason,
    });
    const rebalanceTimeoutMs = this.rebalanceTimeoutMs();
    if (initial) {
      // group.initial.rebalance.delay.ms: let the first members of a new group arrive together.
      const delayMs = this.runtime.config.initialRebalanceDelayMs;
      this.scheduleInitialJoin(delayMs, Math.max(rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.scheduleJoin(rebalanceTimeoutMs);
    }
  }

  /** The longest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  private rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  private scheduleJoin(timeoutMs: number): void {
    this.joinTimer?.cancel();
    this.joinIsInitialDelay = false;
    this.joinTimer = this.runtime.scheduler.schedule(timeoutMs, () => {
      this.joinTimer = undefined;
      this.completeJoin();
    });
  }

  private scheduleInitialJoin(delayMs: number, remainingMs: number): void {
    this.joinTimer?.cancel();
    this.joinIsInitialDelay = true;
    this.joinTimer = this.runtime.scheduler.schedule(delayMs, () => {
      this.joinTimer = undefined;
      if (this.newMemberAdded && remainingMs > 0) {
        this.newMemberAdded = false;
        const nextDelayMs = Math.min(this.runtime.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(nextDelayMs, Math.max(remainingMs - nextDelayMs, 0));
      } else {
        this.completeJoin();
      }
    });
  }

  private hasAllMembersJoined(): boolean {
    return this.pendingMembers.size === 0 && this.awaitingJoinCount() === this.members.size;
  }

  /** Completes the join phase early once everyone rejoined (never during the initial delay). */
  private tryCompleteJoin(): void {
    if (this.stateValue !== "PreparingRebalance" || this.joinIsInitialDelay || this.joinTimer === undefined) return;
    if (this.hasAllMembersJoined()) this.completeJoin();
  }

  private completeJoin(): void {
    this.joinTimer?.cancel();
    this.joinTimer = undefined;
    this.joinIsInitialDelay = false;
    if (this.stateValue !== "PreparingRebalance") return;
    // Dynamic members that did not rejoin in time are out; static ones keep their place.
    for (const member of [...this.members.values()]) {
      if (member.awaitingJoin === undefined && member.groupInstanceId === null) {
        this.runtime.logger.log("info", "member did not rejoin in time", {
          group: this.groupId,
          member: member.memberId,
        });
        this.removeMember(member);
      }
    }
    if (!this.electJoinedLeader() && this.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them a while longer.
      this.scheduleJoin(this.rebalanceTimeoutMs());
      return;
    }
    if (this.initNextGeneration() === "Empty") {
      const value = this.snapshot();
      void this.runtime.storeGroup(this.groupId, value).then((errorCode) => {
        if (errorCode === 0) this.persisted = true;
        else this.runtime.logger.log("warn", "storing an empty group failed", { group: this.groupId, errorCode });
      });
      return;
    }
    for (const member of this.members.values()) {
      const callback = member.awaitingJoin;
      member.awaitingJoin = undefined;
      member.isNew = false;
      callback?.(this.currentJoinResult(member));
      this.scheduleHeartbeat(member, member.sessionTimeoutMs);
    }
    // Every member must now SyncGroup within the rebalance timeout, or it is removed.
    for (const id of this.members.keys()) this.pendingSyncMembers.add(id);
    const generation = this.generation;
    this.pendingSyncTimer = this.runtime.scheduler.schedule(this.rebalanceTimeoutMs(), () => {
      this.pendingSyncTimer = undefined;
      this.expirePendingSync(generation);
    });
  }

  /** Keeps the leader if it rejoined, else picks a member that did; false when none did. */
  private electJoinedLeader(): boolean {
    if (this.leader === null) return false;
    if (this.members.get(this.leader)?.awaitingJoin !== undefined) return true;
    for (const member of this.members.values()) {
      if (member.awaitingJoin !== undefined) {
        this.leader = member.memberId;
        return true;
      }
    }
    return false;
  }

  /** The next generation: CompletingRebalance with a selected protocol, or Empty. */
  private initNextGeneration(): GroupState {
    this.generation++;
    if (this.members.size > 0) {
      this.protocolNameValue = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo("CompletingRebalance");
    } else {
      this.protocolNameValue = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo("Empty");
    }
    this.runtime.logger.log("info", "group rebalanced", {
      group: this.groupId,
      generation: this.generation,
      state: this.stateValue,
      protocol: this.protocolNameValue,
      members: this.members.size,
    });
    return this.stateValue;
  }

  /**
   * The protocol every member supports that most members prefer: each member votes for the
   * first protocol in its own list that all members support. Ties go to the protocol that comes
   * first in the first member's list.
   */
  selectProtocol(): string {
    const counts = this.supportCounts();
    const first = this.members.values().next().value;
    if (first === undefined) throw new Error(`selectProtocol on group ${this.groupId} without members`);
    const candidates = first.protocols.map((p) => p.name).filter((name) => counts.get(name) === this.members.size);
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => votes.has(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === undefined) throw new Error(`no protocol common to the members of group ${this.groupId}`);
    return best;
  }

  private computeSubscribedTopics(): ReadonlySet<string> | undefined {
    if (this.protocolTypeValue !== consumerProtocolType) return undefined;
    if (this.members.size === 0) return new Set();
    if (this.protocolNameValue === null) return undefined;
    const topics = new Set<string>();
    try {
      for (const member of this.members.values()) {
        for (const topic of subscribedTopicsOf(member.metadataFor(this.protocolNameValue))) topics.add(topic);
      }
    } catch {
      return undefined;
    }
    return topics;
  }

  private expirePendingSync(generation: number): void {
    if (generation !== this.generation) return;
    if (this.stateValue !== "CompletingRebalance" && this.stateValue !== "Stable") return;
    if (this.pendingSyncMembers.size === 0) return;
    const late = [...this.pendingSyncMembers];
    this.runtime.logger.log("info", "members did not sync in time", { group: this.groupId, members: late.join(",") });
    for (const id of late) {
      const member = this.members.get(id);
      if (member !== undefined) this.removeMember(member);
    }
    this.prepareRebalance(`members ${late.join(", ")} did not send SyncGroup in time`);
  }

  private clearPendingSync(): void {
    this.pendingSyncMembers.clear();
    this.pendingSyncTimer?.cancel();
    this.pendingSyncTimer = undefined;
  }

  private removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
    if (this.pendingSyncMembers.size === 0) {
      this.pendingSyncTimer?.cancel();
      this.pendingSyncTimer = undefined;
    }
  }

  // ------------------------------------------------------------------------------- SyncGroup

  sync(request: SyncGroupParams): Promise<SyncGroupResult> {
    if (this.stateValue === "Dead") return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const invalid = this.validateMember(request.memberId, request.groupInstanceId);
    if (invalid !== 0) return Promise.resolve(syncError(invalid));
    if (request.generationId !== this.generation) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (request.protocolType !== null && request.protocolType !== this.protocolTypeValue) ||
      (request.protocolName !== null && request.protocolName !== this.protocolNameValue)
    ) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = this.members.get(request.memberId);
    if (member === undefined) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    switch (this.stateValue) {
      case "Empty":
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case "PreparingRebalance":
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case "Stable":
        this.removePendingSyncMember(member.memberId);
        this.scheduleHeartbeat(member, member.sessionTimeoutMs);
        return Promise.resolve({
          errorCode: 0,
          protocolType: this.protocolTypeValue,
          protocolName: this.protocolNameValue,
          assignment: member.assignment,
        });
      case "CompletingRebalance": {
        const result = new Promise<SyncGroupResult>((resolve) => {
          const previous = member.awaitingSync;
          member.awaitingSync = resolve;
          previous?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        });
        this.removePendingSyncMember(member.memberId);
        if (member.memberId === this.leader) this.storeLeaderAssignment(request);
        return result;
      }
    }
  }

  /** The leader's assignment is stored (acks=all) before anyone gets theirs. */
  private storeLeaderAssignment(request: SyncGroupParams): void {
    const given = new Map(request.assignments.map((a) => [a.memberId, a.assignment]));
    const assignments = new Map<string, Uint8Array>();
    for (const id of this.members.keys()) assignments.set(id, given.get(id) ?? noBytes);
    const generation = this.generation;
    void this.runtime.storeGroup(this.groupId, this.snapshot(assignments)).then((errorCode) => {
      // Another member may have joined (or left) while we waited: then this generation is over.
      if (this.stateValue !== "CompletingRebalance" || this.generation !== generation) return;
      if (errorCode !== 0) {
        this.resetAndPropagateAssignmentError(errorCode);
        this.maybePrepareRebalance("storing the assignment failed");
        return;
      }
      this.persisted = true;
      for (const member of this.members.values()) member.assignment = assignments.get(member.memberId) ?? noBytes;
      this.propagateAssignment(0);
      this.transitionTo("Stable");
    });
  }

  private resetAndPropagateAssignmentError(errorCode: number): void {
    for (const member of this.members.values()) member.assignment = noBytes;
    this.propagateAssignment(errorCode);
  }

  private propagateAssignment(errorCode: number): void {
    for (const member of this.members.values()) {
      const callback = member.awaitingSync;
      if (callback === undefined) continue;
      member.awaitingSync = undefined;
      callback(
        errorCode === 0
          ? {
              errorCode,
              protocolType: this.protocolTypeValue,
              protocolName: this.protocolNameValue,
              assignment: member.assignment,
            }
          : syncError(errorCode),
      );
      // A session that ran out while the member waited did not count; it starts again now.
      this.scheduleHeartbeat(member, member.sessionTimeoutMs);
    }
  }

  // ------------------------------------------------------------------------- Heartbeat, leave

  heartbeat(request: { memberId: string; groupInstanceId: string | null; generationId: number }): number {
    if (this.stateValue === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = this.validateMember(request.memberId, request.groupInstanceId);
    if (invalid !== 0) return invalid;
    if (request.generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    const member = this.members.get(request.memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    switch (this.stateValue) {
      case "Empty":
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case "PreparingRebalance":
        this.scheduleHeartbeat(member, member.sessionTimeoutMs);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case "CompletingRebalance":
      case "Stable":
        this.scheduleHeartbeat(member, member.sessionTimeoutMs);
        return 0;
    }
  }

  /** LeaveGroup: members by member id, or (v3+, admin) by group.instance.id alone. */
  leave(leaving: readonly LeavingMember[]): { errorCode: number; members: LeaveResult[] } {
    if (this.stateValue === "Dead") return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: LeaveResult[] = [];
    for (const m of leaving) {
      const result = (errorCode: number): void => {
        results.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
      };
      let memberId = m.memberId;
      if (memberId === "") {
        const byInstance = m.groupInstanceId === null ? undefined : this.staticMembers.get(m.groupInstanceId);
        if (byInstance === undefined) {
          result(ErrorCode.UNKNOWN_MEMBER_ID);
          continue;
        }
        memberId = byInstance;
      } else if (m.groupInstanceId === null && this.pendingMembers.has(memberId)) {
        this.pendingMembers.get(memberId)?.cancel();
        this.pendingMembers.delete(memberId);
        if (this.stateValue === "PreparingRebalance") this.tryCompleteJoin();
        result(0);
        continue;
      } else {
        const invalid = this.validateMember(memberId, m.groupInstanceId);
        if (invalid !== 0) {
          result(invalid);
          continue;
        }
      }
      const member = this.members.get(memberId);
      if (member === undefined) {
        result(ErrorCode.UNKNOWN_MEMBER_ID);
        continue;
      }
      this.runtime.logger.log("info", "member left the group", {
        group: this.groupId,
        member: memberId,
        reason: m.reason ?? null,
      });
      this.removeMemberAndUpdateGroup(member, `member ${memberId} left`);
      result(0);
    }
    return { errorCode: 0, members: results };
  }

  /** FENCED_INSTANCE_ID for a stale static instance; UNKNOWN_MEMBER_ID for a stranger. */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * OffsetCommit's group checks: generation -1 from a client without group management commits
   * only to an Empty group; members commit with their current generation (not while the group
   * waits for the leader's assignment). TxnOffsetCommit (`transactional`) checks a member only
   * when it names one (v0-2 cannot), and not the group's state, as Kafka's ClassicGroup.
   */
  validateOffsetCommit(request: {
    memberId: string;
    groupInstanceId: string | null;
    generationId: number;
    transactional?: boolean;
  }): number {
    const transactional = request.transactional === true;
    if (this.stateValue === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (request.generationId < 0 && this.stateValue === "Empty") return 0;
    if (request.generationId >= 0 || request.memberId !== "" || request.groupInstanceId !== null) {
      const invalid = this.validateMember(request.memberId, request.groupInstanceId);
      if (invalid !== 0) return invalid;
      if (request.generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!transactional && this.stateValue !== "Empty") {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (!transactional && this.stateValue === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    return 0;
  }

  /** A commit from a member counts as a sign of life, as with Kafka's classic protocol. */
  touchMember(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined && member.awaitingJoin === undefined && member.awaitingSync === undefined) {
      this.scheduleHeartbeat(member, member.sessionTimeoutMs);
    }
  }

  // ------------------------------------------------------------------------ members and timers

  private scheduleHeartbeat(member: Member, timeoutMs: number): void {
    member.heartbeat?.cancel();
    member.heartbeat = this.runtime.scheduler.schedule(timeoutMs, () => {
      member.heartbeat = undefined;
      this.expireHeartbeat(member);
    });
  }

  private expireHeartbeat(member: Member): void {
    if (this.stateValue === "Dead" || this.members.get(member.memberId) !== member) return;
    // Members waiting in a rebalance are covered by the rebalance and sync timeouts instead.
    if (!member.isNew && (member.awaitingJoin !== undefined || member.awaitingSync !== undefined)) return;
    this.runtime.logger.log("info", "member session expired", {
      group: this.groupId,
      member: member.memberId,
      sessionTimeoutMs: member.sessionTimeoutMs,
    });
    this.removeMemberAndUpdateGroup(member, `member ${member.memberId} session expired`);
  }

  private expirePendingMember(memberId: string): void {
    if (!this.pendingMembers.delete(memberId)) return;
    if (this.stateValue === "PreparingRebalance") this.tryCompleteJoin();
  }

  private removeMemberAndUpdateGroup(member: Member, reason: string): void {
    this.removeMember(member);
    switch (this.stateValue) {
      case "Stable":
      case "CompletingRebalance":
        this.prepareRebalance(reason);
        break;
      case "PreparingRebalance":
        this.tryCompleteJoin();
        break;
      case "Empty":
      case "Dead":
        break;
    }
  }

  /** Removes a member; whatever it waits for is answered UNKNOWN_MEMBER_ID so it joins again. */
  private removeMember(member: Member): void {
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = undefined;
    member.awaitingSync = undefined;
    join?.(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    sync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.heartbeat?.cancel();
    member.heartbeat = undefined;
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.removePendingSyncMember(member.memberId);
    if (this.leader === member.memberId) this.leader = this.members.keys().next().value ?? null;
  }

  private transitionTo(state: GroupState): void {
    if (!validPreviousStates[state].includes(this.stateValue)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.stateValue} → ${state}`);
    }
    this.stateValue = state;
    this.stateTimestamp = this.runtime.clock.nowMs();
  }

  /** Marks the group deleted (DeleteGroups, expiry); it must have no members. */
  markDead(): void {
    if (this.members.size > 0) throw new Error(`group ${this.groupId} still has members`);
    this.transitionTo("Dead");
    this.stopTimers();
  }

  /** The coordinator is shutting down: every waiting request is told to look elsewhere. */
  unload(): void {
    for (const member of this.members.values()) {
      const join = member.awaitingJoin;
      const sync = member.awaitingSync;
      member.awaitingJoin = undefined;
      member.awaitingSync = undefined;
      join?.(joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
      sync?.(syncError(ErrorCode.NOT_COORDINATOR));
    }
    this.stopTimers();
  }

  private stopTimers(): void {
    for (const member of this.members.values()) {
      member.heartbeat?.cancel();
      member.heartbeat = undefined;
    }
    for (const timer of this.pendingMembers.values()) timer.cancel();
    this.pendingMembers.clear();
    this.joinTimer?.cancel();
    this.joinTimer = undefined;
    this.clearPendingSync();
  }
}
