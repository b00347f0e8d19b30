// KafkaStreams: runs a topology against a Kafka-compatible cluster. start() creates the internal
// topics (checking co-partitioning), bootstraps global stores and starts the stream thread; the
// state machine follows Kafka Streams' states, with listeners; close() commits and leaves the group.
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
