// Global stores (Kafka Streams' GlobalStreamThread): every partition of each global topic feeds
// the global task on every instance. start() bootstraps them — reads every partition from the
// beginning to the end offset it finds — before the application processes anything; afterwards
// the thread keeps consuming them and flushes the stores every commit interval. No consumer
// group: positions live here.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Consumer } from "@platformatic/kafka";
import type { GlobalTask, TopologyPlan } from "../runtime-contract.ts";
import type { RestoreListener } from "./changelog-reader.ts";
import { StreamsError, errorMessage } from "./errors.ts";
import { Fetcher, partitionKey } from "./fetcher.ts";
import type { TopicLayout } from "./internal-topics.ts";
import type { ResolvedOptions } from "./options.ts";

export class GlobalThread {
  readonly #options: ResolvedOptions;
  readonly #plan: TopologyPlan;
  readonly #layout: TopicLayout;
  readonly #onRestoreProgress: RestoreListener;
  readonly #onFatalError: (error: unknown) => void;
  #client: Consumer | undefined;
  #task: GlobalTask | undefined;
  readonly #positions = new Map<string, { topic: string; partition: number; offset: number }>();
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: {
    readonly options: ResolvedOptions;
    readonly plan: TopologyPlan;
    readonly layout: TopicLayout;
    readonly onRestoreProgress: RestoreListener;
    readonly onFatalError: (error: unknown) => void;
  }) {
    this.#options = options.options;
    this.#plan = options.plan;
    this.#layout = options.layout;
    this.#onRestoreProgress = options.onRestoreProgress;
    this.#onFatalError = options.onFatalError;
  }

  /** Bootstraps the global stores; resolves once they hold everything their topics had. */
  async start(): Promise<void> {
    if (this.#plan.globalStores.length === 0) return;
    const options = this.#options;
    const task = this.#plan.createGlobalTask({
      applicationId: options.applicationId,
      get stateDir(): string {
        const directory = join(options.stateDir, options.applicationId, "global");
        mkdirSync(directory, { recursive: true });
        return directory;
      },
      nowMs: options.nowMs,
      send: () => {
        throw new StreamsError("ILLEGAL_STATE", "a global store processor cannot send records");
      },
    });
    if (task === undefined) return;
    this.#task = task;
    const client = new Consumer({
      ...options.client,
      clientId: `${options.clientId}-GlobalStreamThread-consumer`,
      bootstrapBrokers: options.bootstrapBrokers,
      groupId: `${options.applicationId}-global`,
      autocommit: false,
    });
    client.on("error", (error: unknown) =>
      options.logger.log("warn", "global consumer error", { error: errorMessage(error) }),
    );
    this.#client = client;
    // Under exactly-once, global tables see committed data only, as the stream tasks do.
    const isolationLevel = options.processingGuarantee === "exactly_once_v2" ? 1 : 0;
    const fetcher = new Fetcher({ client, maxWaitMs: options.pollMs, isolationLevel });
    const partitions = [...new Set(this.#plan.globalStores.map((store) => store.topic))].flatMap((topic) =>
      Array.from({ length: this.#layout.topicPartitions.get(topic) ?? 0 }, (_, partition) => ({ topic, partition })),
    );
    // Processors of global stores run on bootstrap too, so they are initialised first.
    task.initialize();
    const [starts, ends] = await Promise.all([
      fetcher.listOffsets(partitions, "earliest"),
      fetcher.listOffsets(partitions, "latest"),
    ]);
    const storeOf = new Map(this.#plan.globalStores.map((store) => [store.topic, store.storeName]));
    const restored = new Map<string, number>();
    const progress = (topic: string, partition: number, done: boolean): void => {
      const key = partitionKey(topic, partition);
      const startOffset = starts.get(key) ?? 0;
      const endOffset = ends.get(key) ?? 0;
      this.#onRestoreProgress({
        storeName: storeOf.get(topic) ?? topic,
        topic,
        partition,
        startOffset,
        endOffset,
        restoredRecords: restored.get(key) ?? 0,
        totalRecords: Math.max(0, endOffset - startOffset),
        done,
      });
    };
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      this.#positions.set(key, { topic, partition, offset: starts.get(key) ?? 0 });
      progress(topic, partition, (starts.get(key) ?? 0) >= (ends.get(key) ?? 0));
    }
    let behind = partitions.filter(({ topic, partition }) => {
      const key = partitionKey(topic, partition);
      return (starts.get(key) ?? 0) < (ends.get(key) ?? 0);
    });
    while (behind.length > 0) {
      if (this.#stopping) return;
      await this.#fetchOnce(fetcher, behind, (topic, partition, count) => {
        const key = partitionKey(topic, partition);
        restored.set(key, (restored.get(key) ?? 0) + count);
      });
      const stillBehind = behind.filter(({ topic, partition }) => {
        const key = partitionKey(topic, partition);
        return (this.#positions.get(key)?.offset ?? 0) < (ends.get(key) ?? 0);
      });
      for (const { topic, partition } of behind)
        progress(
          topic,
          partition,
          !stillBehind.some((entry) => entry.topic === topic && entry.partition === partition),
        );
      behind = stillBehind;
    }
    task.flush();
    this.#loop = this.#run(fetcher, partitions);
  }

  async close(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    if (this.#task !== undefined) {
      try {
        this.#task.flush();
        this.#task.close();
      } catch (error) {
        this.#options.logger.log("warn", "closing the global task failed", { error: errorMessage(error) });
      }
      this.#task = undefined;
    }
    await this.#client
      ?.close()
      .catch((error: unknown) =>
        this.#options.logger.log("warn", "closing the global consumer failed", { error: errorMessage(error) }),
      );
    this.#client = undefined;
  }

  async #run(fetcher: Fetcher, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    let lastFlushMs = this.#options.nowMs();
    try {
      while (!this.#stopping) {
        try {
          await this.#fetchOnce(fetcher, partitions, () => undefined);
        } catch (error) {
          if (error instanceof StreamsError) throw error;
          this.#options.logger.log("warn", "global fetch failed; retrying", { error: errorMessage(error) });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 500);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        const nowMs = this.#options.nowMs();
        if (nowMs - lastFlushMs >= this.#options.commitIntervalMs) {
          this.#task?.flush();
          lastFlushMs = nowMs;
        }
      }
    } catch (error) {
      if (!this.#stopping) this.#onFatalError(error);
    }
  }

  async #fetchOnce(
    fetcher: Fetcher,
    partitions: readonly { topic: string; partition: number }[],
    onRecords: (topic: string, partition: number, count: number) => void,
  ): Promise<void> {
    const positions = partitions.flatMap(({ topic, partition }) => {
      const position = this.#positions.get(partitionKey(topic, partition));
      return position === undefined ? [] : [position];
    });
    const results = await fetcher.fetch(positions);
    const task = this.#task;
    if (task === undefined || this.#stopping) return;
    for (const result of results) {
      const position = this.#positions.get(partitionKey(result.topic, result.partition));
      if (position === undefined) continue;
      if (result.outOfRange) {
        position.offset = result.logStartOffset;
        continue;
      }
      for (const record of result.records) {
        try {
          task.process(record);
        } catch (error) {
          throw new StreamsError("PROCESSING_FAILED", `global store update failed: ${errorMessage(error)}`, {
            cause: error,
          });
        }
      }
      onRecords(result.topic, result.partition, result.records.length);
      position.offset = result.nextOffset;
    }
  }
}
