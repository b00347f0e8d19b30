// KafkaStreams: runs a topology against a Kafka-compatible cluster. start() creates the internal
// topics (checking co-partitioning), bootstraps global stores and starts the stream thread; the
// state machine follows Kafka Streams' states, with listeners; close() commits and leaves the group.
// Interactive queries: store() gives read-only views over the local tasks' stores (standbys too
// with stale stores), queryMetadataForKey() and the metadata calls say where tasks run.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import type { TopologyPlan } from "../runtime-contract.ts";
import type { PlanOptions } from "../topology/plan-options.ts";
import type { RestoreListener, RestoreProgress } from "./changelog-reader.ts";
import { StreamsError, errorMessage } from "./errors.ts";
import { GlobalThread } from "./global-thread.ts";
import { describePartitionCounts, ensureInternalTopics, resolveTopicLayout } from "./internal-topics.ts";
import type { TopicLayout } from "./internal-topics.ts";
import { resolveOptions } from "./options.ts";
import type { KafkaStreamsOptions, ResolvedOptions, UncaughtErrorAction } from "./options.ts";
import { StateMachine } from "./state.ts";
import type { StateListener, StreamsState } from "./state.ts";
import { StreamThread } from "./stream-thread.ts";
import type { ThreadSignal } from "./stream-thread.ts";
import type { TaskId } from "../processor.ts";
import { taskKey } from "./assignor.ts";
import type { HostTasks } from "./assignor.ts";
import {
  InvalidStateStoreError,
  hostInfoOf,
  keyQueryMetadataNotAvailable,
  locateTask,
  partitionOfKey,
  sourceTopicOf,
  storeCatalog,
  streamsMetadataOf,
  taskMetadataOf,
} from "./queries.ts";
import type {
  HostInfo,
  KeyPlacement,
  KeyQueryMetadata,
  QueryableStoreType,
  StoreCatalogEntry,
  StoreQueryParameters,
  StreamsMetadata,
  ThreadMetadata,
} from "./queries.ts";
import { storeView } from "./store-views.ts";
import type { QueryableStore } from "./store-views.ts";
import type { StateStore } from "../state/store.ts";

/** Anything that plans itself for an application id (the DSL's and the Processor API's Topology). */
export interface PlannableTopology {
  plan(applicationId: string, options?: PlanOptions): TopologyPlan;
}

function isPlan(value: TopologyPlan | PlannableTopology): value is TopologyPlan {
  return "createTask" in value;
}

export class KafkaStreams {
  readonly #options: ResolvedOptions;
  readonly #plan: TopologyPlan;
  readonly #state: StateMachine;
  readonly #restoreListeners = new Set<RestoreListener>();
  /** The topology's stores by name: sub-topology and whether values carry timestamps. */
  readonly #stores: ReadonlyMap<string, StoreCatalogEntry>;
  #layout: TopicLayout | undefined;
  #thread: StreamThread | undefined;
  #threadGeneration = 0;
  #global: GlobalThread | undefined;
  #closing: Promise<boolean> | undefined;
  #failing: Promise<void> | undefined;

  constructor(topology: TopologyPlan | PlannableTopology, options: KafkaStreamsOptions) {
    this.#options = resolveOptions(options);
    // A plan given as is was planned with its own deserialization policy and logger.
    this.#plan = isPlan(topology)
      ? topology
      : topology.plan(this.#options.applicationId, {
          deserializationErrorHandler: this.#options.deserializationErrorHandler,
          logger: this.#options.logger,
        });
    if (this.#plan.applicationId !== this.#options.applicationId)
      throw new StreamsError(
        "INVALID_CONFIG",
        `the topology was planned for application ${this.#plan.applicationId}, not ${this.#options.applicationId}`,
      );
    this.#stores = storeCatalog(topology, this.#plan);
    this.#state = new StateMachine((error) =>
      this.#options.logger.log("error", "a state listener threw", { error: errorMessage(error) }),
    );
  }

  get state(): StreamsState {
    return this.#state.state;
  }

  /** Calls `listener(next, previous)` on every state change; returns a function that removes it. */
  onStateChange(listener: StateListener): () => void {
    return this.#state.onChange(listener);
  }

  /** Restoration progress of logged and global stores; returns a function that removes the listener. */
  onRestoreProgress(listener: RestoreListener): () => void {
    this.#restoreListeners.add(listener);
    return () => this.#restoreListeners.delete(listener);
  }

  /** Resolves when the application reaches one of `states` (rejects after `timeoutMs`). */
  waitForState(states: StreamsState | readonly StreamsState[], timeoutMs = 60_000): Promise<StreamsState> {
    const wanted: readonly StreamsState[] = typeof states === "string" ? [states] : states;
    return this.#state.waitFor((state) => wanted.includes(state), timeoutMs);
  }

  /** The tasks this instance runs (sub-topology and partition). */
  get tasks(): TaskId[] {
    return this.#thread?.taskIds ?? [];
  }

  /** This instance's application server (the `applicationServer` option), if set. */
  get applicationServerInfo(): HostInfo | undefined {
    const server = this.#options.applicationServer;
    return server === undefined ? undefined : hostInfoOf(server);
  }

  /** The standby tasks this instance keeps (sub-topology and partition). */
  get standbyTasks(): TaskId[] {
    return this.#thread?.standbyTasks.taskIds ?? [];
  }

  // ---- interactive queries ----

  /**
   * A read-only view of a state store across the tasks of this instance (Kafka's
   * `KafkaStreams.store(StoreQueryParameters)`). Each read finds the store instances anew and
   * throws InvalidStateStoreError while they cannot be read: REBALANCING (unless
   * `enableStaleStores`), NOT_RUNNING, MIGRATED (not here now), UNKNOWN_STORE, WRONG_TYPE.
   * With `enableStaleStores`, standby copies are read too. A key held by another instance reads
   * as absent here: route by queryMetadataForKey.
   */
  store<K, V, T extends QueryableStoreType = QueryableStoreType>(
    parameters: StoreQueryParameters<T>,
  ): QueryableStore<T, K, V> {
    const { storeName } = parameters;
    const entry = this.#stores.get(storeName);
    if (entry === undefined) {
      const global = this.#plan.globalStores.some((store) => store.storeName === storeName);
      throw new InvalidStateStoreError(
        "UNKNOWN_STORE",
        storeName,
        global
          ? `global store ${storeName} is not queryable yet`
          : `the topology has no state store named ${storeName}`,
      );
    }
    this.#assertQueryable(storeName, parameters.enableStaleStores === true);
    return storeView<T, K, V>({
      name: storeName,
      type: parameters.type,
      timestamped: entry.timestamped,
      instances: () => this.#storeInstances(entry, parameters),
    });
  }

  /**
   * Where the partition of `key` in store `storeName` runs (Kafka's queryMetadataForKey): the
   * active instance's application server, its standbys', and the partition — the key placed with
   * Kafka's default partitioner over its serialized bytes (or by the partitioner given) among the
   * partitions of the store's source topic. `keyQueryMetadataNotAvailable` (partition -1) until the
   * group has said where tasks run.
   */
  queryMetadataForKey<K>(storeName: string, key: K, placement: KeyPlacement<K>): KeyQueryMetadata {
    const entry = this.#stores.get(storeName);
    if (entry === undefined)
      throw new InvalidStateStoreError(
        "UNKNOWN_STORE",
        storeName,
        `the topology has no state store named ${storeName}`,
      );
    this.#assertStarted(storeName);
    const hosts = this.#hosts();
    const source = sourceTopicOf(
      this.#plan.subtopologies.find((subtopology) => subtopology.id === entry.subtopology),
      (topic) => this.#partitionsOf(topic),
    );
    if (hosts === undefined || source === undefined || source.partitions === 0) return keyQueryMetadataNotAvailable;
    const partition = partitionOfKey(key, placement, source.topic, source.partitions);
    const where = locateTask(hosts, taskKey({ subtopology: entry.subtopology, partition }));
    if (where.active === undefined) return keyQueryMetadataNotAvailable;
    return {
      activeHost: hostInfoOf(where.active.host),
      standbyHosts: where.standbys.map((host) => hostInfoOf(host.host)),
      partition,
    };
  }

  /** Every instance of the application with an application server, and what it holds (Kafka's metadataForAllStreamsClients). */
  metadataForAllStreamsClients(): StreamsMetadata[] {
    this.#assertStarted("");
    return (this.#hosts() ?? []).map((host) =>
      streamsMetadataOf({
        host,
        plan: this.#plan,
        catalog: this.#stores,
        partitionsOf: (topic) => this.#partitionsOf(topic),
      }),
    );
  }

  /** The instances that hold store `storeName` active or standby (Kafka's streamsMetadataForStore). */
  streamsMetadataForStore(storeName: string): StreamsMetadata[] {
    return this.metadataForAllStreamsClients().filter(
      (metadata) => metadata.stateStoreNames.includes(storeName) || metadata.standbyStateStoreNames.includes(storeName),
    );
  }

  /** This instance's processing loop and its active and standby tasks (Kafka's metadataForLocalThreads). */
  metadataForLocalThreads(): ThreadMetadata[] {
    const thread = this.#thread;
    if (thread === undefined) return [];
    const partitionsOf = (topic: string): number => this.#partitionsOf(topic);
    return [
      {
        threadName: `${this.#options.clientId}-StreamThread-1`,
        threadState:
          this.#state.state === "RUNNING"
            ? "RUNNING"
            : this.#state.state === "REBALANCING"
              ? "PARTITIONS_ASSIGNED"
              : "PENDING_SHUTDOWN",
        activeTasks: taskMetadataOf(thread.taskIds, this.#plan, partitionsOf),
        standbyTasks: taskMetadataOf(thread.standbyTasks.taskIds, this.#plan, partitionsOf),
      },
    ];
  }

  /** Tasks by application server from the last assignment; a lone member (no assignor ran) knows only itself. */
  #hosts(): readonly HostTasks[] | undefined {
    const thread = this.#thread;
    if (thread === undefined) return undefined;
    const info = thread.assignmentInfo;
    if (info !== undefined) return info.hosts;
    const server = this.#options.applicationServer;
    if (server === undefined || this.#state.state !== "RUNNING") return undefined;
    return [{ host: server, activeTasks: thread.taskIds.map(taskKey), standbyTasks: [] }];
  }

  #partitionsOf(topic: string): number {
    return this.#layout?.topicPartitions.get(topic) ?? 0;
  }

  #assertStarted(storeName: string): void {
    const state = this.#state.state;
    if (state !== "RUNNING" && state !== "REBALANCING")
      throw new InvalidStateStoreError(
        "NOT_RUNNING",
        storeName,
        `KafkaStreams is not running (state: ${state}); interactive queries need RUNNING or REBALANCING`,
      );
  }

  #assertQueryable(storeName: string, stale: boolean): void {
    this.#assertStarted(storeName);
    if (this.#state.state === "REBALANCING" && !stale)
      throw new InvalidStateStoreError(
        "REBALANCING",
        storeName,
        `cannot query store ${storeName} while rebalancing; retry, or allow stale stores`,
      );
  }

  #storeInstances(entry: StoreCatalogEntry, parameters: StoreQueryParameters): StateStore[] {
    const stale = parameters.enableStaleStores === true;
    this.#assertQueryable(entry.name, stale);
    const thread = this.#thread;
    const found = [
      ...(thread?.activeStoresNamed(entry.name) ?? []),
      ...(stale ? (thread?.standbyTasks.storesNamed(entry.name) ?? []) : []),
    ];
    const partition = parameters.partition;
    if (partition === undefined) {
      if (found.length === 0)
        throw new InvalidStateStoreError(
          "MIGRATED",
          entry.name,
          `no instance of store ${entry.name} is on this instance now; it may have moved to another one`,
        );
      return found.sort((a, b) => a.partition - b.partition).map(({ store }) => store);
    }
    const source = sourceTopicOf(
      this.#plan.subtopologies.find((subtopology) => subtopology.id === entry.subtopology),
      (topic) => this.#partitionsOf(topic),
    );
    if (!Number.isSafeInteger(partition) || partition < 0 || (source !== undefined && partition >= source.partitions))
      throw new InvalidStateStoreError(
        "INVALID_PARTITION",
        entry.name,
        `store ${entry.name} has no partition ${partition}`,
      );
    const stores = found.filter((instance) => instance.partition === partition).map(({ store }) => store);
    if (stores.length === 0)
      throw new InvalidStateStoreError(
        "MIGRATED",
        entry.name,
        `partition ${partition} of store ${entry.name} is not on this instance now; it may have moved to another one`,
      );
    return stores;
  }

  /**
   * Creates the internal topics, bootstraps global stores and starts processing (state REBALANCING,
   * then RUNNING once the group assigned tasks and their stores are restored). Rejects — and the
   * application ends in ERROR — when the topology cannot run on this cluster (a missing source topic,
   * topics that are not co-partitioned, an internal topic with the wrong partition count).
   */
  async start(): Promise<void> {
    if (this.#state.state !== "CREATED")
      throw new StreamsError("ILLEGAL_STATE", `start() is allowed once, in CREATED (state: ${this.#state.state})`);
    this.#state.transition("REBALANCING");
    try {
      const admin = new Admin({
        ...this.#options.client,
        clientId: `${this.#options.clientId}-admin`,
        bootstrapBrokers: this.#options.bootstrapBrokers,
      });
      try {
        const internal = new Set(this.#plan.internalTopics.map((spec) => spec.name));
        const userTopics = [
          ...new Set([
            ...this.#plan.subtopologies.flatMap((subtopology) => subtopology.sourceTopics),
            ...this.#plan.globalStores.map((store) => store.topic),
          ]),
        ].filter((topic) => !internal.has(topic));
        const layout = resolveTopicLayout(this.#plan, await describePartitionCounts(admin, userTopics));
        await ensureInternalTopics({
          admin,
          plan: this.#plan,
          layout,
          replicationFactor: this.#options.replicationFactor,
          topicConfigs: this.#options.topicConfigs,
        });
        this.#layout = layout;
      } finally {
        await admin.close();
      }
      // close() may have run while the topics were being created.
      if (!this.#state.canTransition("RUNNING")) return;
      if (this.#plan.globalStores.length > 0) {
        this.#global = new GlobalThread({
          options: this.#options,
          plan: this.#plan,
          layout: this.#layout,
          onRestoreProgress: (progress) => this.#reportRestore(progress),
          onFatalError: (error) => void this.#shutdownOnError(error),
        });
        await this.#global.start();
      }
      // Closed or failed while global stores bootstrapped.
      if (!this.#state.canTransition("RUNNING")) return;
      if (this.#plan.subtopologies.length > 0) this.#startThread();
      else this.#state.transition("RUNNING");
    } catch (error) {
      await this.#shutdownOnError(error);
      throw error;
    }
  }

  /**
   * Commits, closes the tasks and the clients, leaves the group: state NOT_RUNNING. Resolves true
   * when that finished within `timeoutMs`, false when it gave up waiting (resources may linger).
   */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<boolean> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    if (this.#failing !== undefined) await this.#failing;
    const state = this.#state.state;
    if (state === "NOT_RUNNING" || state === "ERROR") return true;
    this.#closing ??= this.#closeAll();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.#closing, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Deletes this application's local state (`<stateDir>/<applicationId>`); only while not running. */
  async cleanUp(): Promise<void> {
    const state = this.#state.state;
    if (state !== "CREATED" && state !== "NOT_RUNNING" && state !== "ERROR")
      throw new StreamsError("ILLEGAL_STATE", `cleanUp() needs a stopped application (state: ${state})`);
    await rm(join(this.#options.stateDir, this.#options.applicationId), { recursive: true, force: true });
  }

  async #closeAll(): Promise<boolean> {
    this.#state.transition("PENDING_SHUTDOWN");
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.close();
    await this.#global?.close();
    this.#global = undefined;
    this.#state.transition("NOT_RUNNING");
    return true;
  }

  #startThread(): void {
    const layout = this.#layout;
    if (layout === undefined) throw new StreamsError("ILLEGAL_STATE", "internal topics are not resolved");
    const thread: StreamThread = new StreamThread({
      options: this.#options,
      plan: this.#plan,
      layout,
      generation: this.#threadGeneration++,
      onSignal: (signal: ThreadSignal) => {
        if (this.#thread !== thread) return;
        this.#state.transition(signal === "running" ? "RUNNING" : "REBALANCING");
      },
      onRestoreProgress: (progress) => this.#reportRestore(progress),
      onFatalError: (error) => void this.#onThreadError(thread, error),
    });
    this.#thread = thread;
    thread.start();
  }

  async #onThreadError(thread: StreamThread, error: unknown): Promise<void> {
    if (this.#thread !== thread || this.#closing !== undefined) return;
    let action: UncaughtErrorAction;
    try {
      action = this.#options.uncaughtErrorHandler(error);
    } catch (handlerError) {
      this.#options.logger.log("error", "the uncaught error handler threw", { error: errorMessage(handlerError) });
      action = "shutdown-client";
    }
    this.#options.logger.log("error", "the stream thread failed", { error: errorMessage(error), action });
    switch (action) {
      case "replace-thread": {
        this.#thread = undefined;
        this.#state.transition("REBALANCING");
        await thread.closeDirty();
        if (this.#closing !== undefined || this.#failing !== undefined) return;
        this.#startThread();
        return;
      }
      case "shutdown-client":
        await this.#shutdownOnError(error);
        return;
    }
  }

  #shutdownOnError(error: unknown): Promise<void> {
    this.#failing ??= (async () => {
      this.#options.logger.log("error", "shutting down after an error", { error: errorMessage(error) });
      this.#state.transition("PENDING_ERROR");
      const thread = this.#thread;
      this.#thread = undefined;
      await thread?.closeDirty();
      await this.#global?.close();
      this.#global = undefined;
      this.#state.transition("ERROR");
    })();
    return this.#failing;
  }

  #reportRestore(progress: RestoreProgress): void {
    for (const listener of this.#restoreListeners) {
      try {
        listener(progress);
      } catch (error) {
        this.#options.logger.log("warn", "a restore listener threw", { error: errorMessage(error) });
      }
    }
  }
}
