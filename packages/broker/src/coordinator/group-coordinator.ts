// The group coordinator of this node: every classic group, their committed offsets, loading them
// from __consumer_offsets at startup, writing every change there (acks=all) before answering,
// offset expiry, and the admin operations (describe, list, delete). Handlers call into this.
import { randomUUID } from "node:crypto";
import { ErrorCode } from "@samsa/protocol";
import type { GroupCoordinatorConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import { ClassicGroup, consumerProtocolType } from "./classic-group.ts";
import type {
  CommittedOffset,
  DescribedMember,
  GroupRuntime,
  GroupState,
  JoinGroupParams,
  JoinGroupResult,
  LeaveResult,
  LeavingMember,
  SyncGroupParams,
  SyncGroupResult,
} from "./classic-group.ts";
import type { AppendOutcome, GroupStore } from "./group-store.ts";
import type { CoordinatorRecord, GroupMetadataValue, OffsetValue } from "./records.ts";
import type { ScheduledTask, Scheduler } from "./scheduler.ts";

export interface GroupCoordinatorOptions {
  readonly config: GroupCoordinatorConfig;
  readonly store: GroupStore;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Member ids for new members (default: `${clientId or instance id}-${uuid}`). */
  readonly newMemberId?: (prefix: string) => string;
}

export interface OffsetCommitParams {
  readonly groupId: string;
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** OffsetCommit v2-4: -1 for the broker's retention. */
  readonly retentionTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly committedOffset: bigint;
      readonly committedLeaderEpoch: number;
      /** OffsetCommit v1 only; -1 means now. */
      readonly commitTimestamp: bigint;
      readonly committedMetadata: string | null;
    }[];
  }[];
  readonly apiVersion: number;
}

export interface PartitionErrors {
  readonly name: string;
  readonly partitions: { readonly partitionIndex: number; readonly errorCode: number }[];
}

export interface FetchedOffsets {
  readonly errorCode: number;
  readonly topics: {
    readonly name: string;
    readonly partitions: {
      readonly partitionIndex: number;
      readonly committedOffset: bigint;
      readonly committedLeaderEpoch: number;
      readonly metadata: string;
      readonly errorCode: number;
    }[];
  }[];
}

export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  readonly groupState: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: readonly DescribedMember[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState;
  readonly groupType: "classic";
}

type Status = "loading" | "active" | "failed" | "closed";

/** Append errors as a group metadata write answers them (Kafka's mapping). */
function groupWriteError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

/** Append errors as an offset commit answers them (Kafka's mapping). */
function commitWriteError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return groupWriteError(errorCode);
  }
}

function failAll(topics: OffsetCommitParams["topics"], errorCode: number): PartitionErrors[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
}

export class GroupCoordinator {
  private readonly config: GroupCoordinatorConfig;
  private readonly store: GroupStore;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly runtime: GroupRuntime;
  private readonly groups = new Map<string, ClassicGroup>();
  private status: Status = "loading";
  private loading: Promise<void> | undefined;
  private readonly writes = new Set<Promise<AppendOutcome>>();
  private expiryTimer: ScheduledTask | undefined;
  private expiring: Promise<number> | undefined;
  private closed: Promise<void> | undefined;

  constructor(options: GroupCoordinatorOptions) {
    this.config = options.config;
    this.store = options.store;
    this.clock = options.clock;
    this.scheduler = options.scheduler;
    this.logger = options.logger;
    this.runtime = {
      clock: options.clock,
      scheduler: options.scheduler,
      config: options.config,
      logger: options.logger,
      storeGroup: (groupId, value) => this.storeGroup(groupId, value),
      newMemberId: options.newMemberId ?? ((prefix) => `${prefix}-${randomUUID()}`),
    };
  }

  /** Whether the stored state is loaded and group requests are served. */
  get isActive(): boolean {
    return this.status === "active";
  }

  /** False once loading failed or the coordinator closed (FindCoordinator then says so). */
  get isAvailable(): boolean {
    return this.status === "loading" || this.status === "active";
  }

  /** A group by id (tests, metrics); undefined when unknown. */
  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  get groupCount(): number {
    return this.groups.size;
  }

  private statusError(): number {
    switch (this.status) {
      case "loading":
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case "failed":
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      case "closed":
        return ErrorCode.NOT_COORDINATOR;
      case "active":
        return 0;
    }
  }

  // -------------------------------------------------------------------------------- loading

  /**
   * Replays __consumer_offsets into groups and offsets, then serves requests (until then they
   * are answered COORDINATOR_LOAD_IN_PROGRESS) and starts the offset expiry task. Never rejects:
   * a load that fails leaves the coordinator answering COORDINATOR_NOT_AVAILABLE.
   */
  load(): Promise<void> {
    this.loading ??= this.replay();
    return this.loading;
  }

  private async replay(): Promise<void> {
    const startedMs = this.clock.nowMs();
    const metadata = new Map<string, GroupMetadataValue | null>();
    const offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
    let records = 0;
    try {
      await this.store.replay(
        (record, offset) => {
          records++;
          if (record.kind === "group") {
            metadata.set(record.groupId, record.value);
            return;
          }
          let byTopic = offsets.get(record.groupId);
          if (record.value === null) {
            byTopic?.get(record.topic)?.delete(record.partition);
            return;
          }
          if (byTopic === undefined) {
            byTopic = new Map<string, Map<number, CommittedOffset>>();
            offsets.set(record.groupId, byTopic);
          }
          let byPartition = byTopic.get(record.topic);
          if (byPartition === undefined) {
            byPartition = new Map<number, CommittedOffset>();
            byTopic.set(record.topic, byPartition);
          }
          byPartition.set(record.partition, committed(record.value, offset));
        },
        { stopped: () => this.status === "closed" },
      );
    } catch (error) {
      if (this.status === "closed") return;
      this.status = "failed";
      this.logger.log("error", "loading the group coordinator failed", {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      return;
    }
    if (this.status === "closed") return;
    let offsetCount = 0;
    for (const groupId of new Set([...metadata.keys(), ...offsets.keys()])) {
      const value = metadata.get(groupId);
      // Topics whose every offset was deleted leave empty maps behind: drop them.
      const live = [...(offsets.get(groupId)?.entries() ?? [])].filter(([, partitions]) => partitions.size > 0);
      // A group tombstone and no offsets: the group is gone.
      if ((value === undefined || value === null) && live.length === 0) continue;
      const group =
        value === undefined || value === null
          ? new ClassicGroup(groupId, this.runtime)
          : ClassicGroup.load(groupId, value, this.runtime);
      for (const [topic, partitions] of live) {
        group.offsets.set(topic, partitions);
        offsetCount += partitions.size;
      }
      this.groups.set(groupId, group);
    }
    this.status = "active";
    this.scheduleExpiry();
    this.logger.log("info", "group coordinator loaded", {
      groups: this.groups.size,
      offsets: offsetCount,
      records,
      loadMs: this.clock.nowMs() - startedMs,
    });
  }

  // -------------------------------------------------------------------------------- writing

  /**
   * Appends one group's records (acks=all). Offset records take effect in memory once durable,
   * on the group that wrote them unless it was deleted meanwhile; later records win.
   */
  private write(
    group: ClassicGroup | undefined,
    groupId: string,
    records: CoordinatorRecord[],
  ): Promise<AppendOutcome> {
    if (this.status === "closed") {
      return Promise.resolve({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR, message: "coordinator closed" });
    }
    const written = this.store.append(groupId, records).then(
      (outcome) => {
        if (outcome.ok) {
          const base = outcome.lastOffset - records.length + 1;
          records.forEach((record, i) => {
            if (record.kind === "offset" && group !== undefined && group.state !== "Dead") {
              applyOffset(group, record.topic, record.partition, record.value, base + i);
            }
          });
        } else {
          this.logger.log("warn", "writing group state failed", {
            group: groupId,
            errorCode: outcome.errorCode,
            error: outcome.message,
          });
        }
        return outcome;
      },
      (error: unknown): AppendOutcome => {
        this.logger.log("error", "writing group state failed", { group: groupId, error: String(error) });
        return { ok: false, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: String(error) };
      },
    );
    this.writes.add(written);
    void written.finally(() => this.writes.delete(written));
    return written;
  }

  private async storeGroup(groupId: string, value: GroupMetadataValue): Promise<number> {
    const outcome = await this.write(undefined, groupId, [{ kind: "group", groupId, value }]);
    return outcome.ok ? 0 : groupWriteError(outcome.errorCode);
  }

  /** A write bounded by offsets.commit.timeout.ms; undefined when it took longer. */
  private writeWithTimeout(
    group: ClassicGroup | undefined,
    groupId: string,
    records: CoordinatorRecord[],
  ): Promise<AppendOutcome | undefined> {
    const written = this.write(group, groupId, records);
    return new Promise((resolve) => {
      const timer = this.scheduler.schedule(this.config.offsetCommitTimeoutMs, () => resolve(undefined));
      void written.then((outcome) => {
        timer.cancel();
        resolve(outcome);
      });
    });
  }

  // ------------------------------------------------------------------- membership (handlers)

  joinGroup(request: JoinGroupParams): Promise<JoinGroupResult> {
    const fail = (errorCode: number): Promise<JoinGroupResult> =>
      Promise.resolve({
        errorCode,
        generationId: -1,
        protocolType: null,
        protocolName: null,
        leader: "",
        memberId: request.memberId,
        skipAssignment: false,
        members: [],
      });
    const status = this.statusError();
    if (status !== 0) return fail(status);
    if (request.groupId === "") return fail(ErrorCode.INVALID_GROUP_ID);
    if (
      request.sessionTimeoutMs < this.config.sessionTimeoutMsMin ||
      request.sessionTimeoutMs > this.config.sessionTimeoutMsMax
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    let group = this.groups.get(request.groupId);
    let created = false;
    if (group === undefined) {
      if (request.memberId !== "") return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(request.groupId, this.runtime);
      this.groups.set(request.groupId, group);
      created = true;
    }
    const result = group.join(request);
    // A join refused outright must not leave an empty group behind.
    if (created && isUnused(group)) this.groups.delete(request.groupId);
    return result;
  }

  syncGroup(request: SyncGroupParams): Promise<SyncGroupResult> {
    const fail = (errorCode: number): Promise<SyncGroupResult> =>
      Promise.resolve({ errorCode, protocolType: null, protocolName: null, assignment: new Uint8Array(0) });
    const status = this.statusError();
    if (status !== 0) return fail(status);
    if (request.groupId === "") return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(request.groupId);
    if (group === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    return group.sync(request);
  }

  heartbeat(request: {
    groupId: string;
    memberId: string;
    groupInstanceId: string | null;
    generationId: number;
  }): number {
    const status = this.statusError();
    if (status !== 0) return status;
    if (request.groupId === "") return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(request.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return group.heartbeat(request);
  }

  leaveGroup(groupId: string, members: readonly LeavingMember[]): { errorCode: number; members: LeaveResult[] } {
    const status = this.statusError();
    if (status !== 0) return { errorCode: status, members: [] };
    if (groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return {
        errorCode: 0,
        members: members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
        })),
      };
    }
    return group.leave(members);
  }

  // -------------------------------------------------------------------------------- offsets

  /** OffsetCommit: checks, then one durable write for all partitions, then the answer. */
  async commitOffsets(request: OffsetCommitParams): Promise<PartitionErrors[]> {
    const status = this.statusError();
    if (status !== 0) return failAll(request.topics, status);
    let group = this.groups.get(request.groupId);
    const generationId = request.generationIdOrMemberEpoch;
    if (group === undefined) {
      // No group management (generation -1): a "simple" group is created to hold the offsets.
      if (generationId >= 0) {
        return failAll(
          request.topics,
          request.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION,
        );
      }
      group = new ClassicGroup(request.groupId, this.runtime);
      this.groups.set(request.groupId, group);
    } else {
      const invalid = group.validateOffsetCommit({
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        generationId,
      });
      if (invalid !== 0) return failAll(request.topics, invalid);
      if (generationId >= 0) group.touchMember(request.memberId);
    }
    const nowMs = this.clock.nowMs();
    const records: CoordinatorRecord[] = [];
    const results = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const metadata = p.committedMetadata ?? "";
        // Kafka measures the metadata in UTF-16 code units (Java's String.length).
        if (metadata.length > this.config.offsetMetadataBytesMax) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const commitTimestampMs = p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : nowMs;
        records.push({
          kind: "offset",
          groupId: request.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata,
            commitTimestampMs,
            expireTimestampMs: request.retentionTimeMs >= 0 ? commitTimestampMs + request.retentionTimeMs : -1,
          },
        });
        return { partitionIndex: p.partitionIndex, errorCode: 0 };
      }),
    }));
    if (records.length === 0) return results;
    const outcome = await this.writeWithTimeout(group, request.groupId, records);
    const errorCode =
      outcome === undefined
        ? ErrorCode.COORDINATOR_NOT_AVAILABLE
        : outcome.ok
          ? 0
          : commitWriteError(outcome.errorCode);
    if (errorCode === 0) return results;
    return results.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => (p.errorCode === 0 ? { ...p, errorCode } : p)),
    }));
  }

  /**
   * OffsetFetch for one group: the requested partitions (-1 for none committed), or all the
   * group's offsets when `topics` is null. There are no pending transactional offsets yet, so
   * `requireStable` is always satisfied.
   */
  fetchOffsets(request: {
    groupId: string;
    topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null;
    requireStable: boolean;
  }): FetchedOffsets {
    const status = this.statusError();
    if (status !== 0) return { errorCode: status, topics: [] };
    const group = this.groups.get(request.groupId);
    const offsets = group?.offsets ?? new Map<string, Map<number, CommittedOffset>>();
    const describe = (partitionIndex: number, o: CommittedOffset | undefined) => ({
      partitionIndex,
      committedOffset: o?.offset ?? -1n,
      committedLeaderEpoch: o?.leaderEpoch ?? -1,
      metadata: o?.metadata ?? "",
      errorCode: 0,
    });
    if (request.topics === null) {
      return {
        errorCode: 0,
        topics: [...offsets].map(([name, partitions]) => ({
          name,
          partitions: [...partitions].sort(([a], [b]) => a - b).map(([p, o]) => describe(p, o)),
        })),
      };
    }
    return {
      errorCode: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => describe(p, offsets.get(t.name)?.get(p))),
      })),
    };
  }

  /** OffsetDelete: only partitions of topics the group's members do not subscribe to. */
  async deleteOffsets(
    groupId: string,
    topics: readonly { name: string; partitions: readonly number[] }[],
  ): Promise<{ errorCode: number; topics: PartitionErrors[] }> {
    const status = this.statusError();
    if (status !== 0) return { errorCode: status, topics: [] };
    const group = this.groups.get(groupId);
    if (group === undefined || group.state === "Dead") return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (group.state !== "Empty" && group.protocolType !== consumerProtocolType) {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }
    const records: CoordinatorRecord[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        if (group.isSubscribedToTopic(t.name))
          return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (group.offsets.get(t.name)?.has(partitionIndex) === true) {
          records.push({ kind: "offset", groupId, topic: t.name, partition: partitionIndex, value: null });
        }
        return { partitionIndex, errorCode: 0 };
      }),
    }));
    if (records.length > 0) {
      const outcome = await this.writeWithTimeout(group, groupId, records);
      if (outcome === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
      if (!outcome.ok) return { errorCode: commitWriteError(outcome.errorCode), topics: [] };
    }
    return { errorCode: 0, topics: results };
  }

  // ---------------------------------------------------------------------------------- admin

  /** DescribeGroups (v0-5): an unknown group is reported Dead without an error, as Kafka does. */
  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    const status = this.statusError();
    return groupIds.map((groupId) => {
      if (status !== 0) {
        return { errorCode: status, groupId, groupState: "", protocolType: "", protocolData: "", members: [] };
      }
      const group = this.groups.get(groupId);
      if (group === undefined) {
        return { errorCode: 0, groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [] };
      }
      const d = group.describe();
      return {
        errorCode: 0,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocolData,
        members: d.members,
      };
    });
  }

  /** ListGroups: states (v4+) and types (v5+) filters, case-insensitive; every group is "classic". */
  listGroups(filters: { statesFilter: readonly string[]; typesFilter: readonly string[] }): {
    errorCode: number;
    groups: ListedGroup[];
  } {
    const status = this.statusError();
    if (status !== 0) return { errorCode: status, groups: [] };
    const states = new Set(filters.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(filters.typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has("classic")) return { errorCode: 0, groups: [] };
    const groups: ListedGroup[] = [];
    for (const group of this.groups.values()) {
      if (group.state === "Dead") continue;
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      groups.push({
        groupId: group.groupId,
        protocolType: group.protocolType ?? "",
        groupState: group.state,
        groupType: "classic",
      });
    }
    return { errorCode: 0, groups };
  }

  /** DeleteGroups: Empty groups only; their offsets and metadata get tombstones (durably). */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const status = this.statusError();
        if (status !== 0) return { groupId, errorCode: status };
        const group = this.groups.get(groupId);
        if (group === undefined || group.state === "Dead") return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
        if (group.state !== "Empty") return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        const records = this.removeGroup(group);
        const outcome = await this.writeWithTimeout(undefined, groupId, records);
        const errorCode =
          outcome === undefined
            ? ErrorCode.COORDINATOR_NOT_AVAILABLE
            : outcome.ok
              ? 0
              : groupWriteError(outcome.errorCode);
        return { groupId, errorCode };
      }),
    );
  }

  /** Marks an Empty group Dead and forgets it; returns the tombstones that make it so on disk. */
  private removeGroup(group: ClassicGroup): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const [topic, partitions] of group.offsets) {
      for (const partition of partitions.keys()) {
        records.push({ kind: "offset", groupId: group.groupId, topic, partition, value: null });
      }
    }
    records.push({ kind: "group", groupId: group.groupId, value: null });
    group.markDead();
    group.offsets.clear();
    this.groups.delete(group.groupId);
    return records;
  }

  // ------------------------------------------------------------------------------- expiry

  private scheduleExpiry(): void {
    this.expiryTimer = this.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expiryTimer = undefined;
      void this.expireOffsets().finally(() => {
        if (this.status === "active") this.scheduleExpiry();
      });
    });
  }

  /**
   * One pass of offset expiry (offsets.retention.minutes), as Kafka does it: an Empty group's
   * offsets expire that long after the group became Empty; a simple group's (no protocol type)
   * that long after their commit; a Stable consumer group's only for topics it no longer
   * subscribes to. Empty groups left without offsets are deleted. Returns offsets expired.
   */
  expireOffsets(): Promise<number> {
    this.expiring ??= this.expireOnce().finally(() => {
      this.expiring = undefined;
    });
    return this.expiring;
  }

  private async expireOnce(): Promise<number> {
    if (this.status !== "active") return 0;
    const nowMs = this.clock.nowMs();
    const retentionMs = this.config.offsetsRetentionMs;
    const writes: Promise<unknown>[] = [];
    let expired = 0;
    for (const group of [...this.groups.values()]) {
      const rule = expiryRule(group);
      const records: CoordinatorRecord[] = [];
      let total = 0;
      for (const [topic, partitions] of group.offsets) {
        for (const [partition, o] of partitions) {
          total++;
          if (rule === undefined || (rule.skipSubscribed && group.isSubscribedToTopic(topic))) continue;
          const due =
            o.expireTimestampMs >= 0
              ? nowMs >= o.expireTimestampMs
              : nowMs - (rule.sinceMs ?? o.commitTimestampMs) >= retentionMs;
          if (due) records.push({ kind: "offset", groupId: group.groupId, topic, partition, value: null });
        }
      }
      expired += records.length;
      const removable =
        group.state === "Empty" &&
        group.memberCount === 0 &&
        group.pendingMemberCount === 0 &&
        records.length === total;
      if (removable) {
        if (total === 0 && !group.persisted) {
          group.markDead();
          this.groups.delete(group.groupId);
          continue;
        }
        this.logger.log("info", "group expired", { group: group.groupId, offsets: total });
        writes.push(this.write(undefined, group.groupId, this.removeGroup(group)));
      } else if (records.length > 0) {
        writes.push(this.write(group, group.groupId, records));
      }
    }
    await Promise.all(writes);
    if (expired > 0) this.logger.log("info", "expired committed offsets", { offsets: expired });
    return expired;
  }

  // ------------------------------------------------------------------------------- shutdown

  /** Answers every waiting join and sync NOT_COORDINATOR, stops the timers, waits for writes. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.status = "closed";
      this.expiryTimer?.cancel();
      this.expiryTimer = undefined;
      for (const group of this.groups.values()) group.unload();
      if (this.loading !== undefined) await this.loading;
      if (this.expiring !== undefined) await this.expiring;
      while (this.writes.size > 0) await Promise.all([...this.writes]);
    })();
    return this.closed;
  }
}

function committed(value: OffsetValue, recordOffset: number): CommittedOffset {
  return {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata ?? "",
    commitTimestampMs: value.commitTimestampMs,
    expireTimestampMs: value.expireTimestampMs,
    recordOffset,
  };
}

/** Applies a durable offset record (or tombstone) unless a later record already took effect. */
function applyOffset(
  group: ClassicGroup,
  topic: string,
  partition: number,
  value: OffsetValue | null,
  recordOffset: number,
): void {
  let byPartition = group.offsets.get(topic);
  const existing = byPartition?.get(partition);
  if (existing !== undefined && existing.recordOffset > recordOffset) return;
  if (value === null) {
    if (existing === undefined || byPartition === undefined) return;
    byPartition.delete(partition);
    if (byPartition.size === 0) group.offsets.delete(topic);
    return;
  }
  if (byPartition === undefined) {
    byPartition = new Map<number, CommittedOffset>();
    group.offsets.set(topic, byPartition);
  }
  byPartition.set(partition, committed(value, recordOffset));
}

/** A group with nothing in it, never written: safe to drop. */
function isUnused(group: ClassicGroup): boolean {
  return (
    group.state === "Empty" &&
    group.memberCount === 0 &&
    group.pendingMemberCount === 0 &&
    !group.hasOffsets() &&
    !group.persisted
  );
}

/**
 * Which offsets of a group may expire, and counting from when: undefined for none (a group
 * with members, unless Stable on the consumer protocol with known subscriptions).
 */
function expiryRule(group: ClassicGroup): { sinceMs: number | undefined; skipSubscribed: boolean } | undefined {
  if (group.protocolType === null) return { sinceMs: undefined, skipSubscribed: false };
  if (group.state === "Empty") return { sinceMs: group.stateTimestampMs, skipSubscribed: false };
  if (group.protocolType === consumerProtocolType && group.state === "Stable" && group.subscriptionsKnown) {
    return { sinceMs: undefined, skipSubscribed: true };
  }
  return undefined;
}
