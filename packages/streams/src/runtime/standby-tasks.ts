// Standby tasks (Kafka Streams' StandbyTask): copies of other instances' stateful tasks, kept up
// to date by reading their changelog partitions continuously — read_committed under exactly-once —
// and checkpointing persistent stores every commit interval. A standby task is a task of the
// plan that is never initialised and never fed input: only its stores are used. When the group
// later makes the task active here, the stream thread takes the very same task object (stores
// open, in memory or in `<stateDir>/<app>/<task>` as an active task's) and restores only what the
// changelog gained since the standby's position.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Consumer } from "@platformatic/kafka";
import type { TaskId } from "../processor.ts";
import type { TaskEnvironment, TopologyPlan, TopologyTask } from "../runtime-contract.ts";
import type { ChangelogRecord, StateStore } from "../state/store.ts";
import { parseTaskKey, subscriptionInfoVersion, taskKey } from "./assignor.ts";
import type { SubscriptionInfo } from "./assignor.ts";
import { errorMessage } from "./errors.ts";
import { Fetcher, partitionKey } from "./fetcher.ts";
import type { ResolvedOptions } from "./options.ts";
import type { StoreToRestore } from "./changelog-reader.ts";

export interface StandbyChangelog {
  readonly store: StateStore;
  readonly topic: string;
  readonly partition: number;
  /** Next changelog offset to read; undefined until the standby looked up where to start. */
  position: number | undefined;
  /** The partition's high watermark at the last fetch (for lag). */
  endOffset: number | undefined;
  /** Changelog records applied since the standby started. */
  appliedRecords: number;
  /** The offset the store was last checkpointed at (persistent stores). */
  checkpointed: number | undefined;
}

interface StandbyTask {
  readonly id: TaskId;
  readonly key: string;
  readonly task: TopologyTask;
  readonly changelogs: StandbyChangelog[];
}

export interface StandbyStatus {
  readonly taskId: TaskId;
  readonly storeName: string;
  readonly topic: string;
  readonly partition: number;
  readonly position: number | undefined;
  readonly endOffset: number | undefined;
  readonly appliedRecords: number;
}

export interface StandbyTasksOptions {
  readonly options: ResolvedOptions;
  readonly plan: TopologyPlan;
  /** Prefix of the standby consumer's client id. */
  readonly clientPrefix: string;
  /** The environment an active task of this thread gets: a promoted standby keeps its task, so it must be the same. */
  readonly environment: (id: TaskId) => TaskEnvironment;
}

export class StandbyTasks {
  readonly #context: StandbyTasksOptions;
  readonly #options: ResolvedOptions;
  readonly #tasks = new Map<string, StandbyTask>();
  #client: Consumer | undefined;
  #fetcher: Fetcher | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #lastCheckpointMs = 0;
  /** Changelog positions of standbys handed over to become active, until their restoration starts. */
  readonly #promotedPositions = new Map<string, { readonly store: StateStore; readonly position: number }>();

  constructor(context: StandbyTasksOptions) {
    this.#context = context;
    this.#options = context.options;
  }

  /** The standby tasks this instance keeps now. */
  get taskIds(): TaskId[] {
    return [...this.#tasks.values()].map((standby) => standby.id);
  }

  /** What this member reports when it joins: its active tasks (given), standbys, local state and application server. */
  subscriptionInfo(previousTasks: readonly string[]): SubscriptionInfo {
    return {
      version: subscriptionInfoVersion,
      previousTasks,
      standbyTasks: [...this.#tasks.keys()],
      stateTasks: this.#tasksWithLocalState(),
      ...(this.#options.applicationServer === undefined ? {} : { applicationServer: this.#options.applicationServer }),
    };
  }

  /**
   * Makes the standby set `ids` (minus tasks active here): closes standbys no longer assigned
   * (checkpointing persistent stores) and creates new ones; they start reading in the background.
   */
  assign(ids: readonly TaskId[], activeKeys: ReadonlySet<string>): void {
    if (this.#closed) return;
    const wanted = new Map<string, TaskId>();
    for (const id of ids) if (!activeKeys.has(taskKey(id))) wanted.set(taskKey(id), id);
    for (const [key, standby] of this.#tasks) {
      if (wanted.has(key)) continue;
      this.#tasks.delete(key);
      this.#closeTask(standby);
    }
    for (const [key, id] of wanted) {
      if (this.#tasks.has(key)) continue;
      let task: TopologyTask;
      try {
        task = this.#context.plan.createTask(id, this.#context.environment(id));
      } catch (error) {
        // A standby is an optimisation: one that cannot open (a locked directory) is left out.
        this.#options.logger.log("warn", "could not create a standby task", { task: key, error: errorMessage(error) });
        continue;
      }
      const changelogs = task.stores.flatMap(({ store, changelogTopic }) =>
        changelogTopic === undefined
          ? []
          : [
              {
                store,
                topic: changelogTopic,
                partition: id.partition,
                position: undefined,
                endOffset: undefined,
                appliedRecords: 0,
                checkpointed: store.restoredOffset(),
              },
            ],
      );
      this.#tasks.set(key, { id, key, task, changelogs });
    }
    if (this.#tasks.size > 0) this.#ensureLoop();
    this.#wakeUp();
  }

  /**
   * Hands the standby of `key` over to become active (it stops being read here; its stores stay
   * open); undefined when there is none. Restore it through resumeFromPromotedPositions.
   */
  promote(key: string): TopologyTask | undefined {
    const standby = this.#tasks.get(key);
    if (standby === undefined) return undefined;
    this.#tasks.delete(key);
    for (const changelog of standby.changelogs)
      if (changelog.position !== undefined)
        this.#promotedPositions.set(partitionKey(changelog.topic, changelog.partition), {
          store: changelog.store,
          position: changelog.position,
        });
    return standby.task;
  }

  /**
   * The changelogs to restore before tasks run, a promoted standby's starting where the standby
   * stopped reading (for in-memory stores too, which have no checkpoint) rather than at the store's
   * checkpoint: only the delta is restored.
   */
  resumeFromPromotedPositions<T extends StoreToRestore>(entries: readonly T[]): StoreToRestore[] {
    const resumed = entries.map((entry): StoreToRestore => {
      const promoted = this.#promotedPositions.get(partitionKey(entry.topic, entry.partition));
      if (promoted === undefined || promoted.store !== entry.store) return entry;
      return { ...entry, store: withRestoredOffset(entry.store, promoted.position - 1) };
    });
    this.#promotedPositions.clear();
    return resumed;
  }

  /** Instances of store `name` in standby tasks, with their partitions (interactive queries with stale stores). */
  storesNamed(name: string): { readonly partition: number; readonly store: StateStore }[] {
    const found: { partition: number; store: StateStore }[] = [];
    for (const standby of this.#tasks.values())
      for (const { store } of standby.task.stores)
        if (store.name === name) found.push({ partition: standby.id.partition, store });
    return found;
  }

  /** Where every standby store is: position, end offset and records applied. */
  status(): StandbyStatus[] {
    return [...this.#tasks.values()].flatMap((standby) =>
      standby.changelogs.map((changelog) => ({
        taskId: standby.id,
        storeName: changelog.store.name,
        topic: changelog.topic,
        partition: changelog.partition,
        position: changelog.position,
        endOffset: changelog.endOffset,
        appliedRecords: changelog.appliedRecords,
      })),
    );
  }

  /** Stops reading, checkpoints persistent stores and closes the standby tasks and the consumer. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeUp();
    await this.#loop;
    for (const standby of this.#tasks.values()) this.#closeTask(standby);
    this.#tasks.clear();
    const client = this.#client;
    this.#client = undefined;
    this.#fetcher = undefined;
    if (client !== undefined)
      await client
        .close()
        .catch((error: unknown) =>
          this.#options.logger.log("warn", "closing the standby consumer failed", { error: errorMessage(error) }),
        );
  }

  // ---- reading changelogs ----

  #ensureLoop(): void {
    if (this.#loop !== undefined) return;
    if (this.#client === undefined) {
      const options = this.#options;
      this.#client = new Consumer({
        ...options.client,
        clientId: `${this.#context.clientPrefix}-standby-consumer`,
        bootstrapBrokers: options.bootstrapBrokers,
        groupId: `${options.applicationId}-standby`,
        autocommit: false,
      });
      this.#client.on("error", (error: unknown) =>
        options.logger.log("warn", "standby consumer error", { error: errorMessage(error) }),
      );
      this.#fetcher = new Fetcher({
        client: this.#client,
        maxWaitMs: options.pollMs,
        // Exactly-once: a standby must not apply what an aborted transaction wrote.
        isolationLevel: options.processingGuarantee === "at_least_once" ? 0 : 1,
        ...(options.consumer.maxBytesPerPartition === undefined
          ? {}
          : { partitionMaxBytes: options.consumer.maxBytesPerPartition }),
      });
    }
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const fetcher = this.#fetcher;
      if (this.#tasks.size === 0 || fetcher === undefined) {
        await this.#idle(this.#options.pollMs * 10);
        continue;
      }
      try {
        await this.#startPositions(fetcher);
        await this.#fetchOnce(fetcher);
        this.#maybeCheckpoint();
      } catch (error) {
        if (this.#closed) break;
        this.#options.logger.log("warn", "standby read failed; retrying", { error: errorMessage(error) });
        await this.#idle(500);
      }
    }
  }

  /** Where new standbys start: after a persistent store's checkpoint, else the changelog's start. */
  async #startPositions(fetcher: Fetcher): Promise<void> {
    const pending = [...this.#tasks.values()].flatMap((standby) =>
      standby.changelogs.filter((changelog) => changelog.position === undefined),
    );
    if (pending.length === 0) return;
    const partitions = pending.map(({ topic, partition }) => ({ topic, partition }));
    const [starts, ends] = await Promise.all([
      fetcher.listOffsets(partitions, "earliest"),
      fetcher.listOffsets(partitions, "latest"),
    ]);
    for (const changelog of pending) {
      const key = partitionKey(changelog.topic, changelog.partition);
      const logStart = starts.get(key) ?? 0;
      const end = ends.get(key) ?? 0;
      const checkpoint = changelog.store.restoredOffset();
      // A checkpoint past the end means the changelog was recreated: read it all again.
      changelog.position = checkpoint !== undefined && checkpoint < end ? Math.max(checkpoint + 1, logStart) : logStart;
      changelog.endOffset = end;
    }
  }

  async #fetchOnce(fetcher: Fetcher): Promise<void> {
    const reading = new Map<string, { standby: StandbyTask; changelog: StandbyChangelog }>();
    const positions: { topic: string; partition: number; offset: number }[] = [];
    for (const standby of this.#tasks.values())
      for (const changelog of standby.changelogs) {
        if (changelog.position === undefined) continue;
        reading.set(partitionKey(changelog.topic, changelog.partition), { standby, changelog });
        positions.push({ topic: changelog.topic, partition: changelog.partition, offset: changelog.position });
      }
    if (positions.length === 0) {
      await this.#idle(this.#options.pollMs);
      return;
    }
    const results = await fetcher.fetch(positions);
    for (const result of results) {
      const entry = reading.get(partitionKey(result.topic, result.partition));
      // Promoted or closed while the fetch was in flight: not ours to apply any more.
      if (entry === undefined || this.#tasks.get(entry.standby.key) !== entry.standby) continue;
      const { changelog } = entry;
      if (result.outOfRange) {
        changelog.position = result.logStartOffset;
        continue;
      }
      const batch: ChangelogRecord[] = [];
      for (const record of result.records)
        if (record.key !== null) batch.push({ key: record.key, value: record.value, timestampMs: record.timestampMs });
      if (batch.length > 0) changelog.store.restore(batch);
      changelog.appliedRecords += batch.length;
      changelog.position = result.nextOffset;
      changelog.endOffset = result.highWatermark;
    }
  }

  #maybeCheckpoint(force = false): void {
    const nowMs = this.#options.nowMs();
    if (!force && nowMs - this.#lastCheckpointMs < this.#options.commitIntervalMs) return;
    this.#lastCheckpointMs = nowMs;
    for (const standby of this.#tasks.values()) this.#checkpoint(standby);
  }

  #checkpoint(standby: StandbyTask): void {
    for (const changelog of standby.changelogs) {
      if (!changelog.store.persistent || changelog.position === undefined || changelog.position <= 0) continue;
      const offset = changelog.position - 1;
      if (changelog.checkpointed === offset) continue;
      try {
        changelog.store.checkpoint(offset);
        changelog.checkpointed = offset;
      } catch (error) {
        this.#options.logger.log("warn", "standby checkpoint failed", {
          task: standby.key,
          store: changelog.store.name,
          error: errorMessage(error),
        });
      }
    }
  }

  #closeTask(standby: StandbyTask): void {
    this.#checkpoint(standby);
    try {
      standby.task.close();
    } catch (error) {
      this.#options.logger.log("warn", "closing a standby task failed", {
        task: standby.key,
        error: errorMessage(error),
      });
    }
  }

  /** Task directories under `<stateDir>/<applicationId>` (persistent state this instance could resume from). */
  #tasksWithLocalState(): string[] {
    try {
      return readdirSync(join(this.#options.stateDir, this.#options.applicationId), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && parseTaskKey(entry.name) !== undefined)
        .map((entry) => entry.name)
        .slice(0, 10_000);
    } catch {
      return [];
    }
  }

  #idle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** `store` as restoration sees it, reflecting the changelog up to `offset` (-1: nothing). */
function withRestoredOffset(store: StateStore, offset: number): StateStore {
  return {
    name: store.name,
    persistent: store.persistent,
    init: (context) => store.init(context),
    restore: (records) => store.restore(records),
    restoredOffset: () => (offset < 0 ? undefined : offset),
    checkpoint: (changelogOffset) => store.checkpoint(changelogOffset),
    flush: () => store.flush(),
    close: () => store.close(),
  };
}
