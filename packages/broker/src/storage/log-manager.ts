// The storage engine of a broker: every partition log under one data directory, the topic
// metadata (names, ids, partition counts, config overrides) persisted atomically, the recovery
// checkpoint, the clean-shutdown marker, and the background retention, cleaner and flush tasks.
import { randomUUID } from "node:crypto";
import type { StorageBackend } from "./backend.ts";
import { LogCleaner } from "./cleaner.ts";
import type { CleanerRound, LogCleanerOptions } from "./cleaner.ts";
import { FilePool } from "./file-pool.ts";
import { defaultLogConfig, systemClock } from "./log-config.ts";
import type { Clock, Durability, LogConfig } from "./log-config.ts";
import { PartitionLog } from "./partition-log.ts";
import { IndexCache } from "./sparse-index.ts";
import { applyTopicConfigs } from "./topic-config.ts";
import type { ConfigError } from "./topic-config.ts";

export interface TopicMetadata {
  readonly name: string;
  /** Lowercase 8-4-4-4-12 UUID. */
  readonly topicId: string;
  readonly partitions: number;
  /** Config overrides by Kafka name. */
  readonly configs: Readonly<Record<string, string>>;
}

interface MetadataFile {
  readonly version: 1;
  readonly clusterId: string;
  readonly topics: readonly TopicMetadata[];
}

interface PartitionCheckpoint {
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  /** The log cleaner's checkpoint: offsets below it are compacted (absent in older files: 0). */
  readonly cleanerCheckpoint?: number;
}

interface CheckpointFile {
  readonly version: 1;
  readonly partitions: Readonly<Record<string, PartitionCheckpoint>>;
}

export interface LogManagerOptions {
  readonly dataDir: string;
  readonly backend: StorageBackend;
  readonly durability?: Durability;
  readonly clock?: Clock;
  /** Most files open at once, across all partitions. */
  readonly openFilesMax?: number;
  /** Broker-level defaults for topic settings. */
  readonly defaults?: LogConfig;
  /** Memory for the indexes of closed segments (least recently used are unloaded beyond it). */
  readonly indexCacheBytesMax?: number;
  /** The log cleaner's limits (compaction): key map size, I/O rate. */
  readonly cleaner?: Omit<LogCleanerOptions, "clock">;
}

const metadataName = "meta.json";
const checkpointName = "checkpoint.json";
const cleanShutdownName = ".clean-shutdown";
/** Partition logs opened (and recovered) at once at startup. */
const recoveryConcurrency = 16;
const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;

/** A storage error surfaced to an admin request, with the Kafka error to answer. */
export class TopicError extends Error {
  override readonly name = "TopicError";
  readonly errorName:
    | "TOPIC_ALREADY_EXISTS"
    | "UNKNOWN_TOPIC_OR_PARTITION"
    | "INVALID_TOPIC_EXCEPTION"
    | "INVALID_PARTITIONS"
    | "INVALID_CONFIG";
  constructor(errorName: TopicError["errorName"], message: string) {
    super(message);
    this.errorName = errorName;
  }
}

function parseJson<T>(bytes: Uint8Array | undefined, what: string): T | undefined {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new Error(`${what} is not valid JSON`, { cause: error });
  }
}

function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n");
}

export class LogManager {
  readonly dataDir: string;
  readonly clusterId: string;
  readonly defaults: LogConfig;
  private readonly backend: StorageBackend;
  private readonly durability: Durability;
  private readonly clock: Clock;
  private readonly pool: FilePool;
  readonly indexCache: IndexCache;
  private readonly cleaner: LogCleaner;
  private readonly topicsByName = new Map<string, TopicMetadata>();
  private readonly logs = new Map<string, PartitionLog>();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private unlock: () => Promise<void> = () => Promise.resolve();
  /** Serializes metadata changes so the file always reflects one consistent state. */
  private metadataQueue: Promise<void> = Promise.resolve();

  private constructor(options: LogManagerOptions & { clusterId: string }) {
    this.dataDir = options.dataDir;
    this.clusterId = options.clusterId;
    this.backend = options.backend;
    this.durability = options.durability ?? { mode: "fsync" };
    this.clock = options.clock ?? systemClock;
    this.defaults = options.defaults ?? defaultLogConfig;
    this.pool = new FilePool({ backend: options.backend, openFilesMax: options.openFilesMax ?? 1024 });
    this.indexCache = new IndexCache({ budgetBytes: options.indexCacheBytesMax ?? 64 * 1024 * 1024 });
    this.cleaner = new LogCleaner({ ...options.cleaner, clock: this.clock });
  }

  /** Opens the data directory, recovering every partition log. */
  static async open(
    options: LogManagerOptions,
  ): Promise<{ manager: LogManager; truncatedBytes: number; recoveredLogs: number }> {
    const { backend, dataDir } = options;
    await backend.mkdir(dataDir);
    const unlock = await backend.lock(`${dataDir}/.lock`);
    try {
      return await LogManager.openLocked(options, unlock);
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  private static async openLocked(
    options: LogManagerOptions,
    unlock: () => Promise<void>,
  ): Promise<{ manager: LogManager; truncatedBytes: number; recoveredLogs: number }> {
    const { backend, dataDir } = options;
    const metadata = parseJson<MetadataFile>(await backend.readFile(`${dataDir}/${metadataName}`), metadataName);
    const checkpoint = parseJson<CheckpointFile>(
      await backend.readFile(`${dataDir}/${checkpointName}`),
      checkpointName,
    );
    const cleanShutdown = await backend.exists(`${dataDir}/${cleanShutdownName}`);
    if (cleanShutdown) {
      // Remove the marker durably before anything is written: a crash from now on is unclean.
      await backend.remove(`${dataDir}/${cleanShutdownName}`);
      await backend.syncDir(dataDir);
    }
    const clusterId = metadata?.clusterId ?? randomUUID();
    const manager = new LogManager({ ...options, clusterId });
    manager.unlock = unlock;
    if (metadata === undefined) await manager.saveMetadata();
    let truncatedBytes = 0;
    let recoveredLogs = 0;
    // Partitions open concurrently (bounded), so recovery overlaps I/O across many logs.
    const work: (() => Promise<void>)[] = [];
    for (const topic of metadata?.topics ?? []) {
      manager.topicsByName.set(topic.name, topic);
      const config = manager.configFor(topic.configs);
      for (let p = 0; p < topic.partitions; p++) {
        const key = `${topic.name}-${p}`;
        const point = checkpoint?.partitions[key];
        work.push(async () => {
          const opened = await PartitionLog.open({
            dir: `${dataDir}/${key}`,
            topic: topic.name,
            partition: p,
            config,
            durability: manager.durability,
            pool: manager.pool,
            backend,
            clock: manager.clock,
            recoveryPoint: point?.recoveryPoint ?? 0,
            logStartOffset: point?.logStartOffset ?? 0,
            cleanShutdown,
            indexCache: manager.indexCache,
          });
          truncatedBytes += opened.truncatedBytes;
          if (!cleanShutdown) recoveredLogs++;
          manager.cleaner.setCheckpoint(opened.log, point?.cleanerCheckpoint ?? 0);
          manager.logs.set(key, opened.log);
        });
      }
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(recoveryConcurrency, work.length) }, async () => {
        while (next < work.length) await work[next++]?.();
      }),
    );
    return { manager, truncatedBytes, recoveredLogs };
  }

  private configFor(overrides: Readonly<Record<string, string>>): LogConfig {
    const applied = applyTopicConfigs(this.defaults, overrides);
    if ("error" in applied) throw new TopicError("INVALID_CONFIG", applied.error.message);
    return applied.config;
  }

  topics(): TopicMetadata[] {
    return [...this.topicsByName.values()];
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topicsByName.get(name);
  }

  log(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(`${topic}-${partition}`);
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()];
  }

  private enqueueMetadata<T>(task: () => Promise<T>): Promise<T> {
    const result = this.metadataQueue.then(task);
    this.metadataQueue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async saveMetadata(): Promise<void> {
    const file: MetadataFile = { version: 1, clusterId: this.clusterId, topics: this.topics() };
    await this.backend.writeFileAtomic(`${this.dataDir}/${metadataName}`, encodeJson(file));
  }

  /** Validates a topic's name and configs; returns the error an admin request should answer. */
  validateTopic(name: string, configs: Readonly<Record<string, string>>): ConfigError | TopicError | undefined {
    if (!topicNamePattern.test(name) || name === "." || name === "..") {
      return new TopicError("INVALID_TOPIC_EXCEPTION", `invalid topic name ${JSON.stringify(name)}`);
    }
    const applied = applyTopicConfigs(this.defaults, configs);
    return "error" in applied ? applied.error : undefined;
  }

  async createTopic(options: {
    name: string;
    partitions: number;
    configs?: Readonly<Record<string, string>>;
    topicId?: string;
  }): Promise<TopicMetadata> {
    return this.enqueueMetadata(async () => {
      const configs = options.configs ?? {};
      if (this.topicsByName.has(options.name)) {
        throw new TopicError("TOPIC_ALREADY_EXISTS", `topic ${options.name} already exists`);
      }
      const invalid = this.validateTopic(options.name, configs);
      if (invalid instanceof TopicError) throw invalid;
      if (invalid !== undefined) throw new TopicError("INVALID_CONFIG", invalid.message);
      if (!Number.isInteger(options.partitions) || options.partitions < 1 || options.partitions > 100_000) {
        throw new TopicError("INVALID_PARTITIONS", `invalid partition count ${options.partitions}`);
      }
      const topic: TopicMetadata = {
        name: options.name,
        topicId: options.topicId ?? randomUUID(),
        partitions: options.partitions,
        configs: { ...configs },
      };
      await this.openPartitions(topic, 0);
      this.topicsByName.set(topic.name, topic);
      await this.saveMetadata();
      return topic;
    });
  }

  private async openPartitions(topic: TopicMetadata, from: number): Promise<void> {
    const config = this.configFor(topic.configs);
    for (let p = from; p < topic.partitions; p++) {
      const key = `${topic.name}-${p}`;
      // A directory left by a deleted topic of the same name must not leak into the new one.
      await this.backend.removeDir(`${this.dataDir}/${key}`);
      const { log } = await PartitionLog.open({
        dir: `${this.dataDir}/${key}`,
        topic: topic.name,
        partition: p,
        config,
        durability: this.durability,
        pool: this.pool,
        backend: this.backend,
        clock: this.clock,
        recoveryPoint: 0,
        logStartOffset: 0,
        cleanShutdown: true,
        indexCache: this.indexCache,
      });
      this.logs.set(key, log);
    }
    await this.backend.syncDir(this.dataDir);
    // Before the topic exists on disk: checkpoint entries left by a deleted topic of the same name
    // (log start offset, cleaner checkpoint) must not apply to the new partitions after a crash.
    await this.checkpoint();
  }

  async deleteTopic(name: string): Promise<TopicMetadata> {
    return this.enqueueMetadata(async () => {
      const topic = this.topicsByName.get(name);
      if (topic === undefined) throw new TopicError("UNKNOWN_TOPIC_OR_PARTITION", `unknown topic ${name}`);
      this.topicsByName.delete(name);
      await this.saveMetadata();
      for (let p = 0; p < topic.partitions; p++) {
        const key = `${name}-${p}`;
        const log = this.logs.get(key);
        this.logs.delete(key);
        await log?.delete();
      }
      return topic;
    });
  }

  async createPartitions(name: string, count: number): Promise<TopicMetadata> {
    return this.enqueueMetadata(async () => {
      const topic = this.topicsByName.get(name);
      if (topic === undefined) throw new TopicError("UNKNOWN_TOPIC_OR_PARTITION", `unknown topic ${name}`);
      if (!Number.isInteger(count) || count <= topic.partitions || count > 100_000) {
        throw new TopicError(
          "INVALID_PARTITIONS",
          `topic ${name} has ${topic.partitions} partitions; ${count} is not more`,
        );
      }
      const next: TopicMetadata = { ...topic, partitions: count };
      await this.openPartitions(next, topic.partitions);
      this.topicsByName.set(name, next);
      await this.saveMetadata();
      return next;
    });
  }

  /** Replaces a topic's config overrides (already validated by the caller or refused here). */
  async setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicMetadata> {
    return this.enqueueMetadata(async () => {
      const topic = this.topicsByName.get(name);
      if (topic === undefined) throw new TopicError("UNKNOWN_TOPIC_OR_PARTITION", `unknown topic ${name}`);
      const config = this.configFor(configs);
      const next: TopicMetadata = { ...topic, configs: { ...configs } };
      this.topicsByName.set(name, next);
      await this.saveMetadata();
      for (let p = 0; p < topic.partitions; p++) {
        const log = this.logs.get(`${name}-${p}`);
        if (log !== undefined) log.config = config;
      }
      return next;
    });
  }

  /** Effective config of a topic. */
  topicConfig(name: string): LogConfig | undefined {
    const topic = this.topicsByName.get(name);
    return topic === undefined ? undefined : this.configFor(topic.configs);
  }

  /** Saves every log's recovery point, log start offset and cleaner checkpoint (atomically, in one file). */
  async checkpoint(): Promise<void> {
    const partitions: Record<string, PartitionCheckpoint> = {};
    for (const [key, log] of this.logs) {
      partitions[key] = {
        recoveryPoint: log.recoveryPoint,
        logStartOffset: log.logStartOffset,
        cleanerCheckpoint: this.cleaner.checkpointOf(log),
      };
    }
    const file: CheckpointFile = { version: 1, partitions };
    await this.backend.writeFileAtomic(`${this.dataDir}/${checkpointName}`, encodeJson(file));
  }

  /** DeleteRecords on one partition; the new log start offset is checkpointed before returning. */
  async deleteRecords(
    topic: string,
    partition: number,
    beforeOffset: number,
  ): Promise<{ errorCode: number; logStartOffset: number }> {
    const log = this.log(topic, partition);
    if (log === undefined) return { errorCode: 3, logStartOffset: -1 };
    const result = await log.deleteRecordsBefore(beforeOffset);
    if (result.errorCode === 0) await this.checkpoint();
    return result;
  }

  /** Applies retention to every log; returns the number of segments deleted. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const log of this.logs.values()) deleted += await log.applyRetention();
    if (deleted > 0) await this.checkpoint();
    return deleted;
  }

  /**
   * Runs one round of the log cleaner over every compacted log that is due (see cleaner.ts), one
   * partition at a time; checkpoints afterwards when something was cleaned (the swaps are
   * durable by then, so the cleaner checkpoint never runs ahead of the disk).
   */
  async cleanLogs(): Promise<CleanerRound> {
    const round = await this.cleaner.cleanLogs(this.closed ? [] : this.logs.values());
    if (round.cleaned.length > 0 && !this.closed) await this.checkpoint();
    return round;
  }

  /** The offset below which a partition is compacted (the cleaner checkpoint). */
  cleanerCheckpoint(topic: string, partition: number): number | undefined {
    const log = this.log(topic, partition);
    return log === undefined ? undefined : this.cleaner.checkpointOf(log);
  }

  /** Flushes every log (interval durability mode) and checkpoints. */
  async flushAll(): Promise<void> {
    for (const log of this.logs.values()) await log.flush();
    await this.checkpoint();
  }

  /**
   * Starts the periodic tasks: retention checks, checkpoints, log cleaning (every
   * `cleanerBackoffMs`, 15 s by default, as Kafka's log.cleaner.backoff.ms) and (interval mode)
   * flushes. Timers do not keep the process alive.
   */
  startBackgroundTasks(options: {
    retentionCheckIntervalMs: number;
    checkpointIntervalMs: number;
    cleanerBackoffMs?: number;
  }): void {
    const every = (ms: number, task: () => Promise<unknown>): void => {
      let running = false;
      const timer = setInterval(() => {
        if (running || this.closed) return;
        running = true;
        task()
          .catch(() => undefined)
          .finally(() => {
            running = false;
          });
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(options.retentionCheckIntervalMs, () => this.applyRetention());
    every(options.checkpointIntervalMs, () => this.checkpoint());
    every(options.cleanerBackoffMs ?? 15_000, () => this.cleanLogs());
    if (this.durability.mode === "interval") every(this.durability.intervalMs, () => this.flushAll());
  }

  /** Clean shutdown: every log flushed and closed, checkpoint saved, then the clean marker written. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.cleaner.stop();
    await this.metadataQueue;
    for (const log of this.logs.values()) await log.close();
    await this.checkpoint();
    await this.pool.closeAll();
    await this.backend.writeFileAtomic(`${this.dataDir}/${cleanShutdownName}`, new Uint8Array(0));
    await this.unlock();
  }

  /** Stops without the clean-shutdown steps (tests that simulate a crash). */
  async abandon(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.cleaner.stop();
    await this.pool.closeAll();
    await this.unlock();
  }
}
