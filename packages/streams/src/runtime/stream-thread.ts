// The processing loop (Kafka Streams' StreamThread, one per application: Node has one event loop).
// It joins the application's consumer group, turns its assignment into tasks (restoring their
// stores from changelogs first), fetches their partitions, processes buffered records in bounded
// slices, ships what tasks emit, fires wall-clock punctuators, and commits: every commit interval,
// when a task asks, before the group takes partitions away, and on close.
//
// A task whose input partitions are partly empty processes only when it is ready (Kafka's
// max.task.idle.ms): the thread reports each partition's lag after every fetch and keeps fetching
// the empty ones (fetching pauses per partition, for full ones only), so a waiting task waits
// for records that are coming, not for a fetch that never happens.
//
// Commit (at least once): flush tasks (stores may emit) → wait for every send to be acknowledged →
// commit the input offsets → checkpoint stores with the acknowledged changelog offsets.
// Exactly once: the same, the sends being in the thread's transaction and the offsets going to it
// (TxnOffsetCommit with the group generation) before EndTxn; input and changelogs are read
// read_committed. A fenced commit or send (the group or a newer producer moved the tasks) closes
// the tasks dirty, aborts, and creates them again from the committed state (Kafka's
// TaskMigratedException); any other error aborts in close (the uncaught-error policy decides).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Consumer, Producer } from "@platformatic/kafka";
import type { TaskId } from "../processor.ts";
import type { TaskEnvironment, TopologyPlan, TopologyTask } from "../runtime-contract.ts";
import type { StateStore } from "../state/store.ts";
import {
  assignmentProtocol,
  createPartitionAssigner,
  decodeAssignmentInfo,
  encodeSubscriptionInfo,
  parseTaskKey,
  partitionsToTasks,
  statefulSubtopologies,
  taskKey,
  tasksToPartitions,
} from "./assignor.ts";
import type { AssignmentInfo } from "./assignor.ts";
import { restoreStores } from "./changelog-reader.ts";
import type { RestoreListener } from "./changelog-reader.ts";
import { StreamsError, errorMessage } from "./errors.ts";
import { Fetcher, partitionKey } from "./fetcher.ts";
import { GroupCommitter, decodeCommitMetadata, encodeCommitMetadata, fetchCommittedOffsets } from "./group-commit.ts";
import type { Committer, OffsetToCommit } from "./group-commit.ts";
import type { TopicLayout } from "./internal-topics.ts";
import type { ResolvedOptions } from "./options.ts";
import { RecordCollector } from "./record-collector.ts";
import { StreamsTransactions, isMigratedError, transactionalIdOf } from "./transactions.ts";
import { StandbyTasks } from "./standby-tasks.ts";

export type ThreadSignal = "rebalancing" | "running";

export interface StreamThreadOptions {
  readonly options: ResolvedOptions;
  readonly plan: TopologyPlan;
  readonly layout: TopicLayout;
  /** Distinguishes the clients of a replacement thread. */
  readonly generation: number;
  readonly onSignal: (signal: ThreadSignal) => void;
  readonly onRestoreProgress: RestoreListener;
  /** The thread died (a task or a send failed); the application applies its uncaught-error policy. */
  readonly onFatalError: (error: unknown) => void;
}

interface ActiveTask {
  readonly id: TaskId;
  readonly key: string;
  readonly task: TopologyTask;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
  readonly changelogs: readonly { readonly store: StateStore; readonly topic: string; readonly partition: number }[];
  initialized: boolean;
  /** Processing with empty partitions (enforced) since the last check: logged when it starts. */
  enforced: boolean;
}

type Status = "created" | "joining" | "assigning" | "running" | "revoked" | "stopping" | "stopped";

export class StreamThread {
  readonly #context: StreamThreadOptions;
  readonly #options: ResolvedOptions;
  readonly #plan: TopologyPlan;
  readonly #consumer: Consumer;
  readonly #restoreClient: Consumer;
  readonly #producer: Producer;
  readonly #fetcher: Fetcher;
  readonly #restoreFetcher: Fetcher;
  readonly #collector: RecordCollector;
  readonly #committer: Committer;
  /** Exactly once: the thread's transactional producer (also the committer). */
  readonly #transactions: StreamsTransactions | undefined;
  readonly #sourceTopics: readonly string[];
  readonly #partitionCounts = new Map<string, number>();

  #status: Status = "created";
  readonly #tasks = new Map<string, ActiveTask>();
  /** Next offset to fetch per source partition of running tasks. */
  readonly #positions = new Map<string, number>();
  readonly #taskOfPartition = new Map<string, ActiveTask>();
  #pendingAssignment: TaskId[] | undefined;
  /** Standby tasks and tasks by application server, from the last assignment (standbys, interactive queries). */
  readonly #standbys: StandbyTasks;
  #pendingAssignmentInfo: AssignmentInfo | undefined;
  #assignmentInfo: AssignmentInfo | undefined;
  #revokeRequested = false;
  /**
   * close() was called. A flag of its own, not only the status: an assignment, a revocation or a
   * migration in progress sets the status as it goes, and must not lose the request to stop.
   */
  #closeRequested = false;
  #fetchInFlight: Promise<void> | undefined;
  #fetchEpoch = 0;
  #fetchBackoffUntilMs = 0;
  #commitRequested = false;
  #lastCommitMs = 0;
  /** Per source partition: the offset and commit metadata last committed (or read at assignment). */
  readonly #lastCommitted = new Map<string, { readonly offset: number; readonly metadata: string | null }>();
  /** The tasks of the last assignment, created again after they were closed as migrated. */
  #lastAssignment: TaskId[] | undefined;
  /** A send was fenced (exactly once): the loop closes the tasks as migrated. */
  #migratedError: unknown;
  #exclusiveTail: Promise<void> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #failed = false;

  constructor(context: StreamThreadOptions) {
    this.#context = context;
    this.#options = context.options;
    this.#plan = context.plan;
    const options = context.options;
    for (const [topic, count] of context.layout.topicPartitions) this.#partitionCounts.set(topic, count);
    this.#sourceTopics = [
      ...new Set(context.plan.subtopologies.flatMap((subtopology) => subtopology.sourceTopics)),
    ].sort();
    const clientPrefix = `${options.clientId}-StreamThread-${context.generation}`;
    this.#consumer = new Consumer({
      ...options.client,
      ...options.consumer,
      clientId: `${clientPrefix}-consumer`,
      bootstrapBrokers: options.bootstrapBrokers,
      groupId: options.applicationId,
      autocommit: false,
      isolationLevel: 0,
      protocols: [{ ...assignmentProtocol }],
      protocolsMetadata: async () => encodeSubscriptionInfo(this.#standbys.subscriptionInfo(await this.#beforeJoin())),
      partitionAssigner: createPartitionAssigner(context.plan.subtopologies, {
        numStandbyReplicas: options.numStandbyReplicas,
        statefulSubtopologies: statefulSubtopologies(context.plan.internalTopics),
      }),
    });
    this.#standbys = new StandbyTasks({
      options,
      plan: context.plan,
      clientPrefix,
      environment: (id) => this.#environment(id),
    });
    this.#consumer.on("consumer:group:join", (payload) => this.#onAssigned(payload.assignments ?? []));
    // A rejoin that failed for good (after the library's retries) ends the thread.
    this.#consumer.on("error", (error: unknown) => this.#fail(error));
    this.#restoreClient = new Consumer({
      ...options.client,
      clientId: `${clientPrefix}-restore-consumer`,
      bootstrapBrokers: options.bootstrapBrokers,
      groupId: `${options.applicationId}-restore`,
      autocommit: false,
    });
    this.#producer = new Producer({
      ...options.client,
      ...options.producer,
      clientId: `${clientPrefix}-producer`,
      bootstrapBrokers: options.bootstrapBrokers,
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
    });
    const maxWaitMs = options.pollMs;
    const exactlyOnce = options.processingGuarantee === "exactly_once_v2";
    // Exactly once reads input and changelogs read_committed (1).
    const isolationLevel = exactlyOnce ? 1 : 0;
    this.#fetcher = new Fetcher({
      client: this.#consumer,
      maxWaitMs,
      isolationLevel,
      ...(options.consumer.maxBytesPerPartition === undefined
        ? {}
        : { partitionMaxBytes: options.consumer.maxBytesPerPartition }),
    });
    this.#producer.on("error", (error: unknown) =>
      options.logger.log("warn", "producer error", { error: errorMessage(error) }),
    );
    this.#restoreClient.on("error", (error: unknown) =>
      options.logger.log("warn", "restore consumer error", { error: errorMessage(error) }),
    );
    this.#restoreFetcher = new Fetcher({ client: this.#restoreClient, maxWaitMs, isolationLevel });
    const transactions = exactlyOnce
      ? new StreamsTransactions({
          options,
          clientId: `${clientPrefix}-producer-txn`,
          // One thread per instance: thread index 1, so a replacement thread reuses the id.
          transactionalId: transactionalIdOf(options.applicationId, options.processId, 1),
          consumer: this.#consumer,
        })
      : undefined;
    this.#transactions = transactions;
    this.#collector = new RecordCollector({
      send:
        transactions === undefined
          ? (messages) => this.#producer.send({ messages })
          : (messages) => transactions.send(messages),
      partitionCounts: (topics) => this.#partitionCountsOf(topics),
      onError: (error) => {
        if (transactions !== undefined && isMigratedError(error)) {
          this.#migratedError = error;
          this.#wakeUp();
        } else this.#fail(error);
      },
    });
    this.#committer = transactions ?? new GroupCommitter({ consumer: this.#consumer });
  }

  /** The tasks this thread runs now (for tests and metrics). */
  get taskIds(): TaskId[] {
    return [...this.#tasks.values()].filter((task) => task.initialized).map((task) => task.id);
  }

  /** This thread's standby tasks (their stores serve interactive queries with stale stores allowed). */
  get standbyTasks(): StandbyTasks {
    return this.#standbys;
  }

  /** What the leader said in the last assignment (standbys, tasks by application server); undefined: nothing. */
  get assignmentInfo(): AssignmentInfo | undefined {
    return this.#assignmentInfo;
  }

  /** Instances of store `name` in running tasks, with their partitions (interactive queries). */
  activeStoresNamed(name: string): { readonly partition: number; readonly store: StateStore }[] {
    if (this.#status !== "running") return [];
    const found: { partition: number; store: StateStore }[] = [];
    for (const active of this.#tasks.values()) {
      if (!active.initialized) continue;
      for (const { store } of active.task.stores)
        if (store.name === name) found.push({ partition: active.id.partition, store });
    }
    return found;
  }

  start(): void {
    if (this.#status !== "created") throw new StreamsError("ILLEGAL_STATE", "a stream thread starts once");
    this.#status = "joining";
    this.#context.onSignal("rebalancing");
    for (const topic of this.#sourceTopics) this.#consumer.topics.track(topic);
    this.#loop = this.#run();
    this.#consumer.joinGroup({}).catch((error: unknown) => this.#fail(error));
  }

  /** Commits, closes the tasks and leaves the group. */
  async close(): Promise<void> {
    if (this.#status === "stopped") return;
    const wasFailed = this.#failed;
    this.#closeRequested = true;
    this.#status = "stopping";
    this.#wakeUp();
    await this.#loop;
    // The loop's last step (an interrupted assignment, a migration) may have set another status.
    this.#status = "stopping";
    await this.#exclusive(async () => {
      if (!wasFailed && !this.#failed) {
        try {
          await this.#commit();
        } catch (error) {
          this.#options.logger.log("warn", "final commit failed; closing tasks without it", {
            error: errorMessage(error),
          });
          this.#closeAllTasks(false);
        }
      }
      this.#closeAllTasks(!wasFailed && !this.#failed);
    });
    await this.#closeClients(wasFailed || this.#failed);
    this.#status = "stopped";
  }

  /** After a fatal error: drops the tasks without committing (Kafka closes them dirty) and the clients. */
  async closeDirty(): Promise<void> {
    this.#failed = true;
    await this.close();
  }

  // ---- group membership ----

  /** The client library calls this before every JoinGroup: our onPartitionsRevoked (eager protocol). */
  async #beforeJoin(): Promise<string[]> {
    const previous = [...this.#tasks.keys()];
    if (this.#tasks.size === 0 && this.#status !== "assigning") return previous;
    this.#revokeRequested = true;
    this.#wakeUp();
    await this.#exclusive(async () => {
      this.#revokeRequested = false;
      // Already revoked (a JoinGroup retry), or nothing ran yet: nothing to commit.
      if (this.#status !== "running" || this.#failed) return;
      this.#context.onSignal("rebalancing");
      this.#status = "revoked";
      this.#stopFetching();
      try {
        await this.#commit();
      } catch (error) {
        if (this.#isMigrated(error)) {
          // The rebalance in progress assigns tasks again: nothing to re-create here.
          await this.#closeTasksMigrated(error, false).catch((abortError: unknown) => this.#fail(abortError));
          return;
        }
        this.#fail(error);
      }
    });
    return previous;
  }

  #onAssigned(assignments: readonly { readonly topic: string; readonly partitions: readonly number[] }[]): void {
    if (this.#closeRequested) return;
    this.#pendingAssignment = partitionsToTasks(assignments, this.#plan.subtopologies);
    this.#pendingAssignmentInfo = decodeAssignmentInfo(assignments);
    this.#wakeUp();
  }

  async #applyAssignment(assigned: readonly TaskId[]): Promise<void> {
    this.#lastAssignment = [...assigned];
    this.#status = "assigning";
    this.#stopFetching();
    const wanted = new Set(assigned.map(taskKey));
    // Suspended tasks the group gave elsewhere: they were committed before the rebalance.
    for (const [key, active] of this.#tasks) {
      if (wanted.has(key)) continue;
      this.#closeTask(active, true);
      this.#tasks.delete(key);
    }
    const subtopologies = new Map(this.#plan.subtopologies.map((subtopology) => [subtopology.id, subtopology]));
    const created: ActiveTask[] = [];
    for (const id of assigned) {
      const key = taskKey(id);
      if (this.#tasks.has(key)) continue;
      const partitions = [
        ...tasksToPartitions([id], subtopologies, (topic) => this.#partitionCounts.get(topic) ?? 0),
      ].flatMap(([topic, numbers]) => numbers.map((partition) => ({ topic, partition })));
      // A standby of this task becomes it, stores warm (only the changelog's delta is restored).
      const task = this.#standbys.promote(key) ?? this.#plan.createTask(id, this.#environment(id));
      const changelogs = task.stores.flatMap(({ store, changelogTopic }) =>
        changelogTopic === undefined ? [] : [{ store, topic: changelogTopic, partition: id.partition }],
      );
      const active: ActiveTask = { id, key, task, partitions, changelogs, initialized: false, enforced: false };
      this.#tasks.set(key, active);
      created.push(active);
    }
    this.#assignmentInfo = this.#pendingAssignmentInfo;
    this.#standbys.assign(
      (this.#assignmentInfo?.standbyTasks ?? []).flatMap((key) => parseTaskKey(key) ?? []),
      wanted,
    );
    // Committed offsets first: under exactly once this waits for a transaction that may still commit
    // offsets of these partitions (KIP-447), so the changelogs' ends read next include its writes.
    const committedMetadata = await this.#seekToCommitted();
    const lastChangelogOffsets = await restoreStores({
      fetcher: this.#restoreFetcher,
      stores: this.#standbys.resumeFromPromotedPositions(created.flatMap((active) => active.changelogs)),
      onProgress: this.#context.onRestoreProgress,
      shouldStop: () => this.#interrupted(),
    });
    if (this.#interrupted()) {
      // Interrupted by another rebalance or close: what was restored is not checkpointed.
      for (const active of created) {
        this.#closeTask(active, false);
        this.#tasks.delete(active.key);
      }
      this.#status = "revoked";
      return;
    }
    for (const [key, offset] of lastChangelogOffsets) {
      const separator = key.lastIndexOf(":");
      if (offset >= 0)
        this.#collector.seedAckedOffset(key.slice(0, separator), Number(key.slice(separator + 1)), offset);
    }
    for (const active of created) {
      const metadata = new Map<string, number>();
      for (const { topic, partition } of active.partitions)
        for (const [name, value] of decodeCommitMetadata(committedMetadata.get(partitionKey(topic, partition)) ?? null))
          metadata.set(name, Math.max(value, metadata.get(name) ?? value));
      if (metadata.size > 0) active.task.restoreProcessorMetadata?.(metadata);
      active.task.initialize();
      active.initialized = true;
    }
    this.#lastCommitMs = this.#options.nowMs();
    this.#status = "running";
    this.#context.onSignal("running");
  }

  /** Positions from the committed offsets; resolves with each source partition's commit metadata. */
  async #seekToCommitted(): Promise<Map<string, string | null>> {
    const metadata = new Map<string, string | null>();
    this.#positions.clear();
    this.#taskOfPartition.clear();
    this.#lastCommitted.clear();
    const byTopic = new Map<string, number[]>();
    for (const active of this.#tasks.values()) {
      // A task kept through the rebalance: what it buffered is fetched again from the committed
      // offsets (Kafka clears a suspended task's buffers); its lags are unknown until then.
      active.task.clearBuffered?.();
      for (const { topic, partition } of active.partitions) {
        this.#taskOfPartition.set(partitionKey(topic, partition), active);
        let partitions = byTopic.get(topic);
        if (partitions === undefined) byTopic.set(topic, (partitions = []));
        partitions.push(partition);
      }
    }
    if (byTopic.size === 0) return metadata;
    let committed: Map<string, { readonly offset: number | undefined; readonly metadata: string | null }>;
    try {
      committed = await fetchCommittedOffsets({
        consumer: this.#consumer,
        partitions: [...byTopic].flatMap(([topic, partitions]) =>
          partitions.map((partition) => ({ topic, partition })),
        ),
        // Exactly once: wait for open transactions holding offsets of these partitions (KIP-447).
        requireStable: this.#transactions !== undefined,
        // Kafka Streams' task.timeout.ms.
        timeoutMs: 300_000,
        shouldStop: () => this.#interrupted(),
      });
    } catch (error) {
      // Another rebalance or close: the caller drops the new tasks.
      if (this.#interrupted()) return metadata;
      throw error;
    }
    const missing: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of byTopic) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition);
        const entry = committed.get(key);
        metadata.set(key, entry?.metadata ?? null);
        if (entry?.offset !== undefined) {
          this.#positions.set(key, entry.offset);
          this.#lastCommitted.set(key, { offset: entry.offset, metadata: entry.metadata });
        } else missing.push({ topic, partition });
      }
    }
    // No committed offset: Kafka Streams' auto.offset.reset is "earliest".
    const earliest = await this.#fetcher.listOffsets(missing, "earliest");
    for (const { topic, partition } of missing)
      this.#positions.set(partitionKey(topic, partition), earliest.get(partitionKey(topic, partition)) ?? 0);
    return metadata;
  }

  // ---- the loop ----

  async #run(): Promise<void> {
    try {
      // Exactly once: InitProducerId before anything is sent.
      await this.#transactions?.init();
      while (!this.#closeRequested && !this.#failed) {
        const migrated = this.#migratedError;
        if (migrated !== undefined) {
          await this.#exclusive(() => this.#closeTasksMigrated(migrated, true));
          continue;
        }
        const assignment = this.#pendingAssignment;
        if (assignment !== undefined) {
          this.#pendingAssignment = undefined;
          await this.#exclusive(() => this.#applyAssignment(assignment));
          continue;
        }
        if (this.#status !== "running" || this.#revokeRequested) {
          await this.#idle(this.#options.pollMs);
          continue;
        }
        this.#startFetch();
        const processed = this.#processSlice();
        this.#collector.ship();
        const nowMs = this.#options.nowMs();
        for (const active of this.#tasks.values()) active.task.punctuateWallClock(nowMs);
        if (this.#commitRequested || nowMs - this.#lastCommitMs >= this.#options.commitIntervalMs) {
          await this.#exclusive(async () => {
            if (this.#status !== "running") return;
            try {
              await this.#commit();
            } catch (error) {
              if (!this.#isMigrated(error)) throw error;
              await this.#closeTasksMigrated(error, true);
            }
          });
          continue;
        }
        if (processed === 0) {
          const untilCommitMs = this.#lastCommitMs + this.#options.commitIntervalMs - nowMs;
          await this.#idle(Math.max(1, Math.min(this.#options.pollMs, untilCommitMs)));
        } else {
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #processSlice(): number {
    let processed = 0;
    const sliceMax = this.#options.recordsPerSlice;
    const tasks = [...this.#tasks.values()];
    const nowMs = this.#options.nowMs();
    for (;;) {
      let progressed = false;
      for (const active of tasks) {
        if (processed >= sliceMax) return processed;
        // Asked before every record, as a partition that runs dry makes the task wait again.
        const readiness = active.task.readiness?.(nowMs) ?? "ready";
        if (readiness === "waiting") continue;
        if ((readiness === "enforced") !== active.enforced) {
          active.enforced = !active.enforced;
          if (active.enforced && this.#options.maxTaskIdleMs !== -1)
            this.#options.logger.log("debug", "processing although some input partitions are empty", {
              task: active.key,
              maxTaskIdleMs: this.#options.maxTaskIdleMs,
            });
        }
        let done: boolean;
        try {
          done = active.task.processNext();
        } catch (error) {
          throw new StreamsError("PROCESSING_FAILED", `task ${active.key} failed: ${errorMessage(error)}`, {
            cause: error,
          });
        }
        if (done) {
          processed++;
          progressed = true;
        }
      }
      if (!progressed) return processed;
    }
  }

  #startFetch(): void {
    if (this.#fetchInFlight !== undefined || this.#options.nowMs() < this.#fetchBackoffUntilMs) return;
    const positions: { topic: string; partition: number; offset: number }[] = [];
    const limit = this.#options.bufferedRecordsPerPartition;
    for (const active of this.#tasks.values()) {
      const task = active.task;
      // Bounded buffering: a full partition is not fetched until it drains; the task's other
      // partitions are, so a task waiting for an empty one (max.task.idle.ms) gets its records.
      if (task.bufferedCountOf === undefined && task.bufferedCount() >= limit * Math.max(1, active.partitions.length))
        continue;
      for (const { topic, partition } of active.partitions) {
        if (task.bufferedCountOf !== undefined && task.bufferedCountOf(topic, partition) >= limit) continue;
        const offset = this.#positions.get(partitionKey(topic, partition));
        if (offset !== undefined) positions.push({ topic, partition, offset });
      }
    }
    if (positions.length === 0) return;
    const epoch = this.#fetchEpoch;
    this.#fetchInFlight = this.#fetcher
      .fetch(positions)
      .then(
        (results) => {
          if (epoch !== this.#fetchEpoch) return;
          for (const result of results) {
            const key = partitionKey(result.topic, result.partition);
            const active = this.#taskOfPartition.get(key);
            if (active === undefined || !this.#positions.has(key)) continue;
            if (result.outOfRange) {
              this.#options.logger.log("warn", "offset out of range; resetting to the earliest offset", {
                topic: result.topic,
                partition: result.partition,
              });
              this.#positions.set(key, result.logStartOffset);
              active.task.updateFetchedLag?.(result.topic, result.partition, undefined);
              continue;
            }
            if (result.records.length > 0) active.task.enqueue(result.records);
            this.#positions.set(key, result.nextOffset);
            const lag = Math.max(0, result.endOffset - result.nextOffset);
            active.task.updateFetchedLag?.(result.topic, result.partition, lag);
          }
        },
        (error: unknown) => {
          this.#options.logger.log("warn", "fetch failed; retrying", { error: errorMessage(error) });
          this.#fetchBackoffUntilMs = this.#options.nowMs() + 500;
        },
      )
      .finally(() => {
        this.#fetchInFlight = undefined;
        this.#wakeUp();
      });
  }

  #stopFetching(): void {
    this.#fetchEpoch++;
    this.#positions.clear();
  }

  async #commit(): Promise<void> {
    const tasks = [...this.#tasks.values()].filter((active) => active.initialized);
    for (const active of tasks) active.task.flush();
    await this.#collector.flush();
    // Every source partition with an offset (processed now, or committed before), with the task's
    // processor metadata; the committer sends the changed ones (exactly once: all, for the fencing).
    const offsets: OffsetToCommit[] = [];
    for (const active of tasks) {
      const metadata = encodeCommitMetadata(active.task.processorMetadata?.());
      const processed = active.task.committableOffsets();
      const seen = new Set<string>();
      for (const { topic, partition, offset } of processed.values()) {
        const key = partitionKey(topic, partition);
        seen.add(key);
        const last = this.#lastCommitted.get(key);
        const changed = last?.offset !== offset || last.metadata !== metadata;
        offsets.push({ topic, partition, offset, metadata, changed });
      }
      for (const { topic, partition } of active.partitions) {
        const key = partitionKey(topic, partition);
        const last = this.#lastCommitted.get(key);
        if (seen.has(key) || last === undefined) continue;
        offsets.push({ topic, partition, offset: last.offset, metadata, changed: last.metadata !== metadata });
      }
    }
    await this.#committer.commit(offsets);
    for (const { topic, partition, offset, metadata, changed } of offsets)
      if (changed || this.#transactions !== undefined)
        this.#lastCommitted.set(partitionKey(topic, partition), { offset, metadata });
    for (const active of tasks) {
      for (const { store, topic, partition } of active.changelogs) {
        const acked = this.#collector.ackedOffset(topic, partition);
        if (acked !== undefined) store.checkpoint(acked);
      }
    }
    this.#commitRequested = false;
    this.#lastCommitMs = this.#options.nowMs();
  }

  // ---- tasks ----

  #environment(id: TaskId): TaskEnvironment {
    const options = this.#options;
    let stateDir: string | undefined;
    return {
      applicationId: options.applicationId,
      get stateDir(): string {
        if (stateDir === undefined) {
          stateDir = join(options.stateDir, options.applicationId, `${id.subtopology}_${id.partition}`);
          mkdirSync(stateDir, { recursive: true });
        }
        return stateDir;
      },
      nowMs: options.nowMs,
      maxTaskIdleMs: options.maxTaskIdleMs,
      send: (record) => this.#collector.send(record),
      requestCommit: () => {
        this.#commitRequested = true;
      },
    };
  }

  #closeTask(active: ActiveTask, clean: boolean): void {
    try {
      if (clean && active.initialized) active.task.flush();
      active.task.close();
    } catch (error) {
      this.#options.logger.log("warn", "closing a task failed", { task: active.key, error: errorMessage(error) });
    }
  }

  #closeAllTasks(clean: boolean): void {
    for (const active of this.#tasks.values()) this.#closeTask(active, clean);
    this.#tasks.clear();
    this.#taskOfPartition.clear();
    this.#stopFetching();
    // Exactly once: what was acknowledged belongs to the transaction being aborted.
    if (!clean) this.#collector.discard({ forgetOffsets: this.#transactions !== undefined });
  }

  /** The group or a newer producer moved the tasks (Kafka's TaskMigratedException). */
  #isMigrated(error: unknown): boolean {
    if (error instanceof StreamsError && error.code === "TASK_MIGRATED") return true;
    return this.#transactions !== undefined && isMigratedError(error);
  }

  /**
   * Closes every task without committing and aborts the transaction (its records never become
   * visible); with `recreate` (not in a rebalance, which assigns tasks anyway) the tasks of the
   * last assignment are created again from the committed state — if the group has moved on, the
   * next heartbeat rejoins and a commit before that is refused.
   */
  async #closeTasksMigrated(error: unknown, recreate: boolean): Promise<void> {
    this.#options.logger.log("warn", "tasks migrated (fenced); closing them without committing", {
      error: errorMessage(error),
    });
    this.#migratedError = undefined;
    if (this.#status === "running") this.#context.onSignal("rebalancing");
    this.#status = "revoked";
    this.#closeAllTasks(false);
    await this.#transactions?.abort();
    this.#commitRequested = false;
    if (recreate && this.#lastAssignment !== undefined) this.#pendingAssignment ??= this.#lastAssignment;
  }

  // ---- helpers ----

  /** Another rebalance or close is waiting for the assignment in progress. */
  #interrupted(): boolean {
    return this.#revokeRequested || this.#closeRequested || this.#failed;
  }

  async #partitionCountsOf(topics: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const unknown = topics.filter((topic) => !this.#partitionCounts.has(topic));
    if (unknown.length > 0) await this.#waitOnMetadata(unknown);
    return this.#partitionCounts;
  }

  /**
   * Kafka's producer waitOnMetadata: asks for sink topics the runtime did not create (with
   * auto-creation allowed unless the producer options say otherwise; the broker decides) until
   * each has partitions, for at most maxBlockMs, then fails naming them.
   */
  async #waitOnMetadata(topics: readonly string[]): Promise<void> {
    const options = this.#options;
    const deadlineMs = options.nowMs() + options.maxBlockMs;
    let missing = topics;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        // One request per attempt (the library would retry an unknown topic on its own schedule).
        const metadata = await this.#producer.metadata({
          topics: [...missing],
          autocreateTopics: options.autoCreateSinkTopics,
          forceUpdate: true,
          retries: 0,
        });
        for (const topic of missing) {
          const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
          if (count > 0) this.#partitionCounts.set(topic, count);
        }
      } catch (error) {
        lastError = error;
      }
      missing = missing.filter((topic) => !this.#partitionCounts.has(topic));
      if (missing.length === 0) return;
      const remainingMs = deadlineMs - options.nowMs();
      const closing = this.#closeRequested || this.#failed;
      if (remainingMs <= 0 || closing) {
        const why = options.autoCreateSinkTopics
          ? "it does not exist and the broker did not create it (auto.create.topics.enable)"
          : "it does not exist and auto-creation is off (producer.autocreateTopics: false)";
        const waited = closing ? "when the thread stopped" : `after ${options.maxBlockMs} ms`;
        throw new StreamsError(
          "SEND_FAILED",
          `topic ${missing.join(", ")} not present in metadata ${waited}: ${why}` +
            (lastError === undefined ? "" : ` (last error: ${errorMessage(lastError)})`),
          { cause: lastError },
        );
      }
      // Kafka's retry.backoff.ms (100), growing to 1 s.
      await new Promise((resolve) => setTimeout(resolve, Math.min(remainingMs, 100 * 2 ** Math.min(attempt, 3))));
    }
  }

  /** Runs `operation` after every earlier one (commit, revocation, assignment never interleave). */
  #exclusive(operation: () => Promise<void>): Promise<void> {
    const run = this.#exclusiveTail.then(operation);
    this.#exclusiveTail = run.catch(() => undefined);
    return run;
  }

  #idle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const fetch = this.#fetchInFlight;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
      if (fetch !== undefined) void fetch.then(done);
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: unknown): void {
    if (this.#failed || this.#status === "stopped") return;
    this.#failed = true;
    this.#wakeUp();
    this.#context.onFatalError(error);
  }

  async #closeClients(force: boolean): Promise<void> {
    await this.#fetchInFlight;
    await this.#standbys.close();
    const results = await Promise.allSettled([
      this.#consumer.close(force),
      this.#restoreClient.close(),
      this.#producer.close(),
      // Exactly once: aborts a transaction still open (closing dirty), then closes its producer.
      this.#transactions?.close(),
    ]);
    for (const result of results)
      if (result.status === "rejected")
        this.#options.logger.log("warn", "closing a client failed", { error: errorMessage(result.reason) });
  }
}
