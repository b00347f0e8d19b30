// The group coordinator of this node: every group — classic (JoinGroup/SyncGroup) or consumer
// (ConsumerGroupHeartbeat, KIP-848); a group id is one or the other — their committed offsets,
// loading them from __consumer_offsets at startup, writing every change there (acks=all) before
// answering, offset expiry, and the admin operations (describe, list, delete). Also the group side
// of transactions: TxnOffsetCommit's pending offsets, made visible or dropped by the transaction's
// end marker on the group's __consumer_offsets partition. Handlers call into this.
import { randomBytes, randomUUID } from "node:crypto";
import { ErrorCode } from "@samsa/protocol";
import type { GroupCoordinatorConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import type { TxnMarker } from "../txn-markers.ts";
import { ClassicGroup, consumerProtocolType } from "./classic-group.ts";
import type {
  CommittedOffset,
  DescribedMember,
  GroupRuntime,
  JoinGroupParams,
  JoinGroupResult,
  LeaveResult,
  LeavingMember,
  SyncGroupParams,
  SyncGroupResult,
} from "./classic-group.ts";
import { ConsumerGroup, heartbeatError, noTopics, validateHeartbeat } from "./consumer-group.ts";
import type {
  ConsumerGroupHeartbeatParams,
  ConsumerGroupHeartbeatResult,
  ConsumerGroupRuntime,
  DescribedConsumerGroup,
  TopicsView,
} from "./consumer-group.ts";
import type { AppendOutcome, GroupStore, ReplayedEntry, TxnProducer } from "./group-store.ts";
import { PendingTxnOffsets } from "./pending-txn-offsets.ts";
import type {
  ConsumerGroupValue,
  ConsumerMemberValue,
  CoordinatorRecord,
  GroupMetadataValue,
  OffsetValue,
} from "./records.ts";
import type { ScheduledTask, Scheduler } from "./scheduler.ts";

export interface GroupCoordinatorOptions {
  readonly config: GroupCoordinatorConfig;
  readonly store: GroupStore;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Member ids for new members (default: `${clientId or instance id}-${uuid}`). */
  readonly newMemberId?: (prefix: string) => string;
  /** The topics consumer groups subscribe to (the broker's LogManager); none by default. */
  readonly topics?: TopicsView;
  /** Member ids for ConsumerGroupHeartbeat v0 joins without one (default: a random base64 UUID). */
  readonly newConsumerMemberId?: () => string;
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

/** TxnOffsetCommit for one group (the transaction already verified by the handler). */
export interface TxnOffsetCommitParams {
  readonly groupId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** v3+: the member's generation (or member epoch), member id and instance id; -1, "" and null otherwise. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly committedOffset: bigint;
      readonly committedLeaderEpoch: number;
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
  /** Classic states (GroupState) or consumer group states (ConsumerGroupState). */
  readonly groupState: string;
  readonly groupType: "classic" | "consumer";
}

/** ConsumerGroupDescribe's answer for one group. */
export interface ConsumerGroupDescription {
  readonly groupId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** Present when errorCode is 0. */
  readonly group: DescribedConsumerGroup | undefined;
}

type AnyGroup = ClassicGroup | ConsumerGroup;

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

/** Append errors as an end-transaction marker write answers them (Kafka's WriteTxnMarkers mapping). */
function markerWriteError(errorCode: number): number {
  switch (errorCode) {
    // The transaction coordinator retries these: the coordinator is not ready yet.
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    default:
      return errorCode;
  }
}

function failAll(
  topics: readonly { readonly name: string; readonly partitions: readonly { readonly partitionIndex: number }[] }[],
  errorCode: number,
): PartitionErrors[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
}

/** A failed write's error for every partition that was to be written. */
function withWriteError(results: PartitionErrors[], errorCode: number): PartitionErrors[] {
  if (errorCode === 0) return results;
  return results.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => (p.errorCode === 0 ? { ...p, errorCode } : p)),
  }));
}

export class GroupCoordinator {
  private readonly config: GroupCoordinatorConfig;
  private readonly store: GroupStore;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly runtime: GroupRuntime;
  private readonly consumerRuntime: ConsumerGroupRuntime;
  private readonly topics: TopicsView;
  private readonly groups = new Map<string, AnyGroup>();
  private status: Status = "loading";
  private loading: Promise<void> | undefined;
  private readonly writes = new Set<Promise<AppendOutcome>>();
  /** TxnOffsetCommit offsets of open transactions. */
  private readonly pendingTxnOffsets = new PendingTxnOffsets();
  /** Transactional writes under way, by producer id: a marker waits for those begun before it. */
  private readonly txnWrites = new Map<bigint, Set<Promise<AppendOutcome>>>();
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
    this.topics = options.topics ?? noTopics;
    this.consumerRuntime = {
      clock: options.clock,
      scheduler: options.scheduler,
      config: options.config,
      logger: options.logger,
      topics: this.topics,
      write: async (groupId, records) => {
        const outcome = await this.writeWithTimeout(undefined, groupId, records);
        if (outcome === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
        return outcome.ok ? 0 : groupWriteError(outcome.errorCode);
      },
      // Kafka's Uuid.toString(): 16 random bytes in URL-safe base64 without padding.
      newMemberId: options.newConsumerMemberId ?? (() => randomBytes(16).toString("base64url")),
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

  /** A classic group by id (tests, metrics); undefined when unknown or a consumer group. */
  group(groupId: string): ClassicGroup | undefined {
    const group = this.groups.get(groupId);
    return group instanceof ClassicGroup ? group : undefined;
  }

  /** A consumer group by id (tests, metrics); undefined when unknown or a classic group. */
  consumerGroup(groupId: string): ConsumerGroup | undefined {
    const group = this.groups.get(groupId);
    return group instanceof ConsumerGroup ? group : undefined;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Offsets of open transactions, not yet committed or aborted (tests, metrics). */
  get pendingTxnOffsetCount(): number {
    return this.pendingTxnOffsets.size;
  }

  /**
   * The __consumer_offsets partition holding a group's offsets: the partition AddOffsetsToTxn adds
   * to the transaction, and TxnOffsetCommit verifies.
   */
  partitionFor(groupId: string): number {
    return this.store.partitionFor(groupId);
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
    const consumerGroups = new Map<string, ConsumerGroupValue | null>();
    const consumerMembers = new Map<string, Map<string, ConsumerMemberValue>>();
    // Where each group id last had a classic or consumer group record: the later one wins.
    const classicAt = new Map<string, number>();
    const consumerAt = new Map<string, number>();
    const offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
    let records = 0;
    const groupOffsets = (groupId: string): Map<string, Map<number, CommittedOffset>> => {
      let byTopic = offsets.get(groupId);
      if (byTopic === undefined) {
        byTopic = new Map<string, Map<number, CommittedOffset>>();
        offsets.set(groupId, byTopic);
      }
      return byTopic;
    };
    try {
      await this.store.replay(
        (entry: ReplayedEntry) => {
          records++;
          if (entry.kind === "marker") {
            // The transaction's offsets on this partition commit (a later plain commit stays) or go.
            const ended = this.pendingTxnOffsets.take(entry.partition, entry.producerId, entry.offset);
            if (entry.commit)
              for (const p of ended) materialize(groupOffsets(p.groupId), p.topic, p.partition, p.offset);
            return;
          }
          const { record, offset } = entry;
          if (record.kind === "group") {
            metadata.set(record.groupId, record.value);
            classicAt.set(record.groupId, offset);
            return;
          }
          if (record.kind === "consumerGroup") {
            consumerGroups.set(record.groupId, record.value);
            consumerAt.set(record.groupId, offset);
            if (record.value === null) consumerMembers.delete(record.groupId);
            return;
          }
          if (record.kind === "consumerMember") {
            let members = consumerMembers.get(record.groupId);
            if (record.value === null) {
              members?.delete(record.memberId);
              return;
            }
            if (members === undefined) {
              members = new Map<string, ConsumerMemberValue>();
              consumerMembers.set(record.groupId, members);
            }
            members.set(record.memberId, record.value);
            return;
          }
          if (record.value === null) {
            // A tombstone also drops the partition's pending transactional offsets (Kafka's replay).
            offsets.get(record.groupId)?.get(record.topic)?.delete(record.partition);
            this.pendingTxnOffsets.discard(record.groupId, record.topic, record.partition, offset);
            return;
          }
          if (entry.producerId >= 0n) {
            this.pendingTxnOffsets.add(
              { partition: entry.partition, producerId: entry.producerId },
              {
                groupId: record.groupId,
                topic: record.topic,
                partition: record.partition,
                offset: committed(record.value, offset),
              },
            );
            return;
          }
          const byTopic = groupOffsets(record.groupId);
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
    // Transactions still open keep their offsets pending: their markers come from the transaction coordinator.
    const pendingGroups = [...this.pendingTxnOffsets.groupIds()];
    for (const groupId of new Set([
      ...metadata.keys(),
      ...consumerGroups.keys(),
      ...offsets.keys(),
      ...pendingGroups,
    ])) {
      const value = metadata.get(groupId);
      const consumerValue = consumerGroups.get(groupId);
      // Topics whose every offset was deleted leave empty maps behind: drop them.
      const live = [...(offsets.get(groupId)?.entries() ?? [])].filter(([, partitions]) => partitions.size > 0);
      const isConsumer =
        consumerValue !== undefined &&
        consumerValue !== null &&
        (value === undefined || value === null || (consumerAt.get(groupId) ?? -1) > (classicAt.get(groupId) ?? -1));
      // A group tombstone and no offsets (committed or pending): the group is gone.
      const hasOffsets = live.length > 0 || this.pendingTxnOffsets.hasGroup(groupId);
      if (!isConsumer && (value === undefined || value === null) && !hasOffsets) continue;
      let group: AnyGroup;
      if (isConsumer) {
        group = ConsumerGroup.load(
          groupId,
          consumerValue,
          consumerMembers.get(groupId) ?? new Map<string, ConsumerMemberValue>(),
          this.consumerRuntime,
        );
      } else {
        group =
          value === undefined || value === null
            ? new ClassicGroup(groupId, this.runtime)
            : ClassicGroup.load(groupId, value, this.runtime);
      }
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
      pendingTxnOffsets: this.pendingTxnOffsets.size,
      records,
      loadMs: this.clock.nowMs() - startedMs,
    });
  }

  // -------------------------------------------------------------------------------- writing

  /**
   * Appends one group's records (acks=all). Offset records take effect in memory once durable,
   * on the group that wrote them unless it was deleted meanwhile; later records win. A tombstone
   * also drops the partition's pending transactional offsets written before it. With `txn`, the
   * offsets are one transactional batch of that producer and stay pending until its marker.
   */
  private write(
    group: AnyGroup | undefined,
    groupId: string,
    records: CoordinatorRecord[],
    txn?: TxnProducer,
  ): Promise<AppendOutcome> {
    if (this.status === "closed") {
      return Promise.resolve({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR, message: "coordinator closed" });
    }
    const written = this.store.append(groupId, records, txn === undefined ? {} : { txn }).then(
      (outcome) => {
        if (outcome.ok) {
          const base = outcome.lastOffset - records.length + 1;
          const partition = txn === undefined ? -1 : this.store.partitionFor(groupId);
          records.forEach((record, i) => {
            if (record.kind !== "offset") return;
            const recordOffset = base + i;
            if (txn !== undefined && record.value !== null) {
              this.pendingTxnOffsets.add(
                { partition, producerId: txn.producerId },
                {
                  groupId,
                  topic: record.topic,
                  partition: record.partition,
                  offset: committed(record.value, recordOffset),
                },
              );
              return;
            }
            if (group !== undefined && group.state !== "Dead") {
              applyOffset(group, record.topic, record.partition, record.value, recordOffset);
            }
            if (record.value === null) {
              this.pendingTxnOffsets.discard(groupId, record.topic, record.partition, recordOffset);
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
    this.track(written);
    if (txn !== undefined) {
      const { producerId } = txn;
      let under = this.txnWrites.get(producerId);
      if (under === undefined) {
        under = new Set<Promise<AppendOutcome>>();
        this.txnWrites.set(producerId, under);
      }
      under.add(written);
      void written.finally(() => {
        under.delete(written);
        if (under.size === 0 && this.txnWrites.get(producerId) === under) this.txnWrites.delete(producerId);
      });
    }
    return written;
  }

  /** Keeps a write in `writes` until it settles (close waits for them). */
  private track(written: Promise<AppendOutcome>): void {
    this.writes.add(written);
    void written.finally(() => this.writes.delete(written));
  }

  private async storeGroup(groupId: string, value: GroupMetadataValue): Promise<number> {
    const outcome = await this.write(undefined, groupId, [{ kind: "group", groupId, value }]);
    return outcome.ok ? 0 : groupWriteError(outcome.errorCode);
  }

  /** A write bounded by offsets.commit.timeout.ms; undefined when it took longer. */
  private writeWithTimeout(
    group: AnyGroup | undefined,
    groupId: string,
    records: CoordinatorRecord[],
    txn?: TxnProducer,
  ): Promise<AppendOutcome | undefined> {
    return this.withTimeout(this.write(group, groupId, records, txn));
  }

  /** Waits offsets.commit.timeout.ms at most; undefined when it took longer (the write goes on). */
  private withTimeout(written: Promise<AppendOutcome>): Promise<AppendOutcome | undefined> {
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
    let existing = this.groups.get(request.groupId);
    if (existing instanceof ConsumerGroup) {
      // An empty consumer group becomes a classic group (its offsets stay), as in Kafka. Members
      // on the classic protocol do not join a consumer group that has members: Samsa does not
      // run mixed groups (Kafka 4 does, for protocol type "consumer").
      if (existing.state !== "Empty") return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      if (request.memberId !== "") return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      existing = this.convertToClassicGroup(existing);
    }
    let group = existing;
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
    // A consumer group has no classic members.
    if (!(group instanceof ClassicGroup)) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
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
    if (!(group instanceof ClassicGroup)) return ErrorCode.UNKNOWN_MEMBER_ID;
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
    if (group instanceof ConsumerGroup) return group.leaveMembers(members);
    return group.leave(members);
  }

  // ------------------------------------------------------------ consumer protocol (KIP-848)

  /**
   * ConsumerGroupHeartbeat: joins (epoch 0), heartbeats, leaves (-1, or -2 for a static member
   * leaving for now). A group id names a classic or a consumer group: an empty classic group is
   * replaced by a consumer group (offsets kept); a classic group with members is not upgraded.
   */
  consumerGroupHeartbeat(request: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const fail = (errorCode: number, message: string | null = null) =>
      Promise.resolve(heartbeatError(errorCode, message));
    const status = this.statusError();
    if (status !== 0) return fail(status);
    const invalid = validateHeartbeat(request, this.config.consumerAssignors);
    if (invalid !== undefined) return fail(invalid.errorCode, invalid.errorMessage);
    const { groupId } = request;
    const existing = this.groups.get(groupId);
    if (request.memberEpoch < 0) {
      if (existing === undefined) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`);
      if (!(existing instanceof ConsumerGroup)) {
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
      }
      return existing.leave(request);
    }
    let group: ConsumerGroup;
    let created = false;
    if (existing instanceof ConsumerGroup) {
      group = existing;
    } else if (request.memberEpoch !== 0) {
      return fail(
        ErrorCode.GROUP_ID_NOT_FOUND,
        existing === undefined ? `Consumer group ${groupId} not found.` : `Group ${groupId} is not a consumer group.`,
      );
    } else if (existing === undefined) {
      group = new ConsumerGroup(groupId, this.consumerRuntime);
      this.groups.set(groupId, group);
      created = true;
    } else {
      if (existing.state !== "Empty" || existing.memberCount > 0 || existing.pendingMemberCount > 0) {
        const why =
          existing.protocolType !== consumerProtocolType
            ? "the group does not use the consumer embedded protocol"
            : "it has members (Samsa does not upgrade groups online)";
        return fail(
          ErrorCode.GROUP_ID_NOT_FOUND,
          `Cannot upgrade classic group ${groupId} to consumer group because ${why}.`,
        );
      }
      group = this.convertToConsumerGroup(existing);
      created = true;
    }
    const result = group.heartbeat(request);
    // A join refused outright must not leave an empty group behind (offsets aside).
    if (created && group.memberCount === 0 && !group.hasOffsets() && !group.persisted) this.groups.delete(groupId);
    return result;
  }

  /** An empty classic group gives way to a consumer group; its offsets stay. */
  private convertToConsumerGroup(classic: ClassicGroup): ConsumerGroup {
    const group = new ConsumerGroup(classic.groupId, this.consumerRuntime, { replacesClassicGroup: classic.persisted });
    for (const [topic, partitions] of classic.offsets) group.offsets.set(topic, partitions);
    classic.markDead();
    this.groups.set(classic.groupId, group);
    this.logger.log("info", "classic group replaced by a consumer group", { group: classic.groupId });
    return group;
  }

  /** An empty consumer group gives way to a classic group; its offsets stay. */
  private convertToClassicGroup(consumer: ConsumerGroup): ClassicGroup {
    const group = new ClassicGroup(consumer.groupId, this.runtime);
    for (const [topic, partitions] of consumer.offsets) group.offsets.set(topic, partitions);
    // Written before anything the classic group writes (appends keep their order).
    void this.write(undefined, consumer.groupId, consumer.tombstones());
    consumer.markDead();
    this.groups.set(consumer.groupId, group);
    this.logger.log("info", "consumer group replaced by a classic group", { group: consumer.groupId });
    return group;
  }

  /**
   * ConsumerGroupDescribe: GROUP_ID_NOT_FOUND for unknown and classic groups, as Kafka; topic
   * names come from the broker's topics (a deleted topic's partitions are left out).
   */
  consumerGroupDescribe(groupIds: readonly string[]): ConsumerGroupDescription[] {
    const status = this.statusError();
    const topicNames = new Map<string, string>(this.topics.topics().map((t) => [t.topicId, t.name]));
    return groupIds.map((groupId) => {
      const fail = (errorCode: number, errorMessage: string | null = null): ConsumerGroupDescription => ({
        groupId,
        errorCode,
        errorMessage,
        group: undefined,
      });
      if (status !== 0) return fail(status);
      if (groupId === "") return fail(ErrorCode.INVALID_GROUP_ID);
      const group = this.groups.get(groupId);
      if (group === undefined) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`);
      if (!(group instanceof ConsumerGroup)) {
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
      }
      return { groupId, errorCode: 0, errorMessage: null, group: group.describe(topicNames) };
    });
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
    } else if (group instanceof ConsumerGroup) {
      const invalid = group.validateOffsetCommit({
        memberId: request.memberId,
        memberEpoch: generationId,
        apiVersion: request.apiVersion,
      });
      if (invalid !== 0) return failAll(request.topics, invalid);
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
    const { records, results } = this.offsetRecords(request.groupId, request.topics, (p) => {
      const commitTimestampMs = p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : nowMs;
      return {
        commitTimestampMs,
        expireTimestampMs: request.retentionTimeMs >= 0 ? commitTimestampMs + request.retentionTimeMs : -1,
      };
    });
    if (records.length === 0) return results;
    const outcome = await this.writeWithTimeout(group, request.groupId, records);
    const errorCode =
      outcome === undefined
        ? ErrorCode.COORDINATOR_NOT_AVAILABLE
        : outcome.ok
          ? 0
          : commitWriteError(outcome.errorCode);
    return withWriteError(results, errorCode);
  }

  /**
   * The offset records of a commit and the per-partition answers: metadata over
   * offset.metadata.max.bytes is refused (Kafka measures it in UTF-16 code units, Java's
   * String.length), the rest gets a record.
   */
  private offsetRecords<
    P extends {
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      committedMetadata: string | null;
    },
  >(
    groupId: string,
    topics: readonly { readonly name: string; readonly partitions: readonly P[] }[],
    timestamps: (partition: P) => { commitTimestampMs: number; expireTimestampMs: number },
  ): { records: CoordinatorRecord[]; results: PartitionErrors[] } {
    const records: CoordinatorRecord[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const metadata = p.committedMetadata ?? "";
        if (metadata.length > this.config.offsetMetadataBytesMax) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        records.push({
          kind: "offset",
          groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, ...timestamps(p) },
        });
        return { partitionIndex: p.partitionIndex, errorCode: 0 };
      }),
    }));
    return { records, results };
  }

  /**
   * TxnOffsetCommit (Kafka's commitTransactionalOffset): the group's checks, then the offsets as
   * one transactional batch of the producer, durably. They stay pending — invisible to
   * OffsetFetch — until the transaction's marker commits or aborts them (writeTxnMarker).
   */
  async commitTxnOffsets(request: TxnOffsetCommitParams): Promise<PartitionErrors[]> {
    const status = this.statusError();
    if (status !== 0) return failAll(request.topics, status);
    if (request.groupId === "") return failAll(request.topics, ErrorCode.INVALID_GROUP_ID);
    if (request.producerId < 0n) return failAll(request.topics, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      // No group management (generation -1): a "simple" group holds the offsets.
      if (request.generationId >= 0) return failAll(request.topics, ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(request.groupId, this.runtime);
      this.groups.set(request.groupId, group);
    } else {
      const check = {
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        transactional: true,
        apiVersion: request.apiVersion,
      };
      const invalid =
        group instanceof ConsumerGroup
          ? group.validateOffsetCommit({ ...check, memberEpoch: request.generationId })
          : group.validateOffsetCommit({ ...check, generationId: request.generationId });
      // Kafka answers a consumer group member's stale epoch ILLEGAL_GENERATION here, whatever the version.
      if (invalid !== 0) {
        return failAll(
          request.topics,
          invalid === ErrorCode.STALE_MEMBER_EPOCH ? ErrorCode.ILLEGAL_GENERATION : invalid,
        );
      }
    }
    const nowMs = this.clock.nowMs();
    const { records, results } = this.offsetRecords(request.groupId, request.topics, () => ({
      commitTimestampMs: nowMs,
      expireTimestampMs: -1,
    }));
    if (records.length === 0) return results;
    const txn = { producerId: request.producerId, producerEpoch: request.producerEpoch };
    const outcome = await this.writeWithTimeout(group, request.groupId, records, txn);
    const errorCode =
      outcome === undefined ? ErrorCode.COORDINATOR_NOT_AVAILABLE : outcome.ok ? 0 : groupWriteError(outcome.errorCode);
    return withWriteError(results, errorCode);
  }

  /**
   * Writes a transaction's end marker to __consumer_offsets-`partition` (durably) and then, as
   * Kafka's replayEndTransactionMarker does, commits the producer's pending offsets of that
   * partition's groups — each unless a later plain commit of its partition is already in — or
   * drops them (abort). Resolves with an error code, 0 on success; errors the transaction
   * coordinator retries on (the coordinator loading or closed) are NOT_LEADER_OR_FOLLOWER.
   */
  async writeTxnMarker(partition: number, marker: TxnMarker): Promise<number> {
    if (this.status === "loading" && this.loading !== undefined) await this.loading;
    const status = this.statusError();
    if (status !== 0) return markerWriteError(status);
    // Transactional writes begun before the marker are earlier in the log: let them land first.
    const earlier = [...(this.txnWrites.get(marker.producerId) ?? [])];
    const written = this.store.appendMarker(partition, marker).then(
      async (outcome): Promise<AppendOutcome> => {
        if (!outcome.ok) {
          this.logger.log("warn", "writing a transaction marker failed", {
            partition,
            producerId: String(marker.producerId),
            errorCode: outcome.errorCode,
            error: outcome.message,
          });
          return outcome;
        }
        await Promise.all(earlier);
        // lastOffset -1: nothing was written (no __consumer_offsets yet), so nothing is pending there.
        if (outcome.lastOffset >= 0) this.completeTxn(partition, marker, outcome.lastOffset);
        return outcome;
      },
      (error: unknown): AppendOutcome => {
        this.logger.log("error", "writing a transaction marker failed", { partition, error: String(error) });
        return { ok: false, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: String(error) };
      },
    );
    this.track(written);
    const outcome = await this.withTimeout(written);
    if (outcome === undefined) return ErrorCode.REQUEST_TIMED_OUT;
    return outcome.ok ? 0 : markerWriteError(outcome.errorCode);
  }

  /** A durable marker at `markerOffset`: the transaction's pending offsets before it commit or go. */
  private completeTxn(partition: number, marker: TxnMarker, markerOffset: number): void {
    const ended = this.pendingTxnOffsets.take(partition, marker.producerId, markerOffset);
    if (!marker.commit || ended.length === 0) return;
    for (const p of ended) {
      let group = this.groups.get(p.groupId);
      if (group === undefined) {
        // Gone meanwhile (its tombstones not written, or an empty group dropped): a simple group holds them, as Kafka's.
        group = new ClassicGroup(p.groupId, this.runtime);
        this.groups.set(p.groupId, group);
      }
      materialize(group.offsets, p.topic, p.partition, p.offset);
    }
    this.logger.log("debug", "committed transactional offsets", {
      partition,
      producerId: String(marker.producerId),
      offsets: ended.length,
    });
  }

  /**
   * OffsetFetch for one group: the requested partitions (-1 for none committed), or all the
   * group's offsets when `topics` is null. With `requireStable` (v7+), a partition with a pending
   * transactional offset answers UNSTABLE_OFFSET_COMMIT (the client retries), as Kafka does.
   */
  fetchOffsets(request: {
    groupId: string;
    topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null;
    requireStable: boolean;
    /** OffsetFetch v9+: a consumer group member's id and epoch (null and -1 for none). */
    memberId?: string | null;
    memberEpoch?: number;
  }): FetchedOffsets {
    const status = this.statusError();
    if (status !== 0) return { errorCode: status, topics: [] };
    const group = this.groups.get(request.groupId);
    if (group instanceof ConsumerGroup) {
      const invalid = group.validateOffsetFetch({
        memberId: request.memberId ?? null,
        memberEpoch: request.memberEpoch ?? -1,
      });
      if (invalid !== 0) return { errorCode: invalid, topics: [] };
    }
    const offsets = group?.offsets ?? new Map<string, Map<number, CommittedOffset>>();
    const describe = (topic: string, partitionIndex: number, o: CommittedOffset | undefined) => {
      const unstable = request.requireStable && this.pendingTxnOffsets.has(request.groupId, topic, partitionIndex);
      return {
        partitionIndex,
        committedOffset: unstable ? -1n : (o?.offset ?? -1n),
        committedLeaderEpoch: unstable ? -1 : (o?.leaderEpoch ?? -1),
        metadata: unstable ? "" : (o?.metadata ?? ""),
        errorCode: unstable ? ErrorCode.UNSTABLE_OFFSET_COMMIT : 0,
      };
    };
    if (request.topics === null) {
      // As Kafka: the committed partitions only (one with just a pending offset is not listed).
      return {
        errorCode: 0,
        topics: [...offsets].map(([name, partitions]) => ({
          name,
          partitions: [...partitions].sort(([a], [b]) => a - b).map(([p, o]) => describe(name, p, o)),
        })),
      };
    }
    return {
      errorCode: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => describe(t.name, p, offsets.get(t.name)?.get(p))),
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
    if (group instanceof ClassicGroup && group.state !== "Empty" && group.protocolType !== consumerProtocolType) {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }
    const records: CoordinatorRecord[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        if (group.isSubscribedToTopic(t.name))
          return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        // A tombstone also for a pending transactional offset alone (it drops it), as Kafka.
        const pending = this.pendingTxnOffsets.has(groupId, t.name, partitionIndex);
        if (pending || group.offsets.get(t.name)?.has(partitionIndex) === true) {
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
      // Kafka 4.4 answers a consumer group as it answers an unknown one (before v6).
      if (!(group instanceof ClassicGroup)) {
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

  /** ListGroups: states (v4+) and types (v5+) filters, case-insensitive ("classic", "consumer"). */
  listGroups(filters: { statesFilter: readonly string[]; typesFilter: readonly string[] }): {
    errorCode: number;
    groups: ListedGroup[];
  } {
    const status = this.statusError();
    if (status !== 0) return { errorCode: status, groups: [] };
    const states = new Set(filters.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(filters.typesFilter.map((s) => s.trim().toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const group of this.groups.values()) {
      if (group.state === "Dead") continue;
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      const groupType = group instanceof ConsumerGroup ? "consumer" : "classic";
      if (types.size > 0 && !types.has(groupType)) continue;
      groups.push({
        groupId: group.groupId,
        protocolType: group instanceof ConsumerGroup ? consumerProtocolType : (group.protocolType ?? ""),
        groupState: group.state,
        groupType,
      });
    }
    return { errorCode: 0, groups };
  }

  /** DeleteGroups: Empty groups only (classic or consumer); their offsets and records get tombstones (durably). */
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

  /**
   * Marks an Empty group Dead and forgets it; returns the tombstones that make it so on disk.
   * As Kafka's deleteAllOffsets, partitions with only a pending transactional offset get one
   * too: once durable it drops the pending offset (a later commit marker then finds nothing).
   */
  private removeGroup(group: AnyGroup): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const [topic, partitions] of group.offsets) {
      for (const partition of partitions.keys()) {
        records.push({ kind: "offset", groupId: group.groupId, topic, partition, value: null });
      }
    }
    for (const { topic, partition } of this.pendingTxnOffsets.partitionsOf(group.groupId)) {
      if (group.offsets.get(topic)?.has(partition) === true) continue;
      records.push({ kind: "offset", groupId: group.groupId, topic, partition, value: null });
    }
    if (group instanceof ConsumerGroup) records.push(...group.tombstones());
    else records.push({ kind: "group", groupId: group.groupId, value: null });
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
          // Not while a transaction holds a pending offset for the partition (Kafka's rule).
          if (this.pendingTxnOffsets.has(group.groupId, topic, partition)) continue;
          const due =
            o.expireTimestampMs >= 0
              ? nowMs >= o.expireTimestampMs
              : nowMs - (rule.sinceMs ?? o.commitTimestampMs) >= retentionMs;
          if (due) records.push({ kind: "offset", groupId: group.groupId, topic, partition, value: null });
        }
      }
      expired += records.length;
      // A group with open transactions stays: their markers may still commit offsets to it.
      const removable =
        group.state === "Empty" &&
        group.memberCount === 0 &&
        (group instanceof ConsumerGroup || group.pendingMemberCount === 0) &&
        records.length === total &&
        !this.pendingTxnOffsets.hasGroup(group.groupId);
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

/**
 * A committed transaction's offset takes effect unless the partition's current offset was
 * written later (a plain commit after the transactional one), as Kafka's replayEndTransactionMarker.
 */
function materialize(
  offsets: Map<string, Map<number, CommittedOffset>>,
  topic: string,
  partition: number,
  offset: CommittedOffset,
): void {
  let byPartition = offsets.get(topic);
  const existing = byPartition?.get(partition);
  if (existing !== undefined && existing.recordOffset > offset.recordOffset) return;
  if (byPartition === undefined) {
    byPartition = new Map<number, CommittedOffset>();
    offsets.set(topic, byPartition);
  }
  byPartition.set(partition, offset);
}

/** Applies a durable offset record (or tombstone) unless a later record already took effect. */
function applyOffset(
  group: { readonly offsets: Map<string, Map<number, CommittedOffset>> },
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
function expiryRule(group: AnyGroup): { sinceMs: number | undefined; skipSubscribed: boolean } | undefined {
  // Consumer groups (Kafka's ConsumerGroup): from the commit, for topics no member subscribes to.
  if (group instanceof ConsumerGroup) return { sinceMs: undefined, skipSubscribed: true };
  if (group.protocolType === null) return { sinceMs: undefined, skipSubscribed: false };
  if (group.state === "Empty") return { sinceMs: group.stateTimestampMs, skipSubscribed: false };
  if (group.protocolType === consumerProtocolType && group.state === "Stable" && group.subscriptionsKnown) {
    return { sinceMs: undefined, skipSubscribed: true };
  }
  return undefined;
}
