// The options of a KafkaStreams application (Kafka Streams' StreamsConfig, by our naming rules),
// their defaults, and validation.
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BaseOptions, GroupOptions, ProduceOptions } from "@platformatic/kafka";
import type { DeserializationErrorHandler } from "../topology/plan-options.ts";
import type { Logger } from "../logger.ts";
import { parseHostInfo } from "./assignor.ts";
import { StreamsError } from "./errors.ts";

/**
 * "at_least_once" (default): offsets are committed after the outputs are acknowledged; a crash
 * processes the records since the last commit again. "exactly_once_v2" (Kafka's EOS v2, KIP-447):
 * outputs, changelog writes and input offsets commit in one transaction per commit interval, and
 * input and changelogs are read with read_committed.
 */
export type ProcessingGuarantee = "at_least_once" | "exactly_once_v2";

/**
 * What to do when processing throws (Kafka's StreamsUncaughtExceptionHandler): "replace-thread"
 * closes the tasks without committing, leaves the group and starts the loop again (records since
 * the last commit are processed again); "shutdown-client" stops the application in ERROR.
 */
export type UncaughtErrorAction = "replace-thread" | "shutdown-client";
export type UncaughtErrorHandler = UncaughtErrorAction | ((error: unknown) => UncaughtErrorAction);

/** The package's logger shape (one method); warnings and errors of the runtime go there. */
export type StreamsLogger = Logger;

/** Options of the underlying client library applied to every client (TLS, SASL, timeouts...). */
export type ClientOverrides = Partial<Omit<BaseOptions, "bootstrapBrokers" | "clientId">>;
export type ConsumerOverrides = ClientOverrides &
  Partial<Pick<GroupOptions, "sessionTimeout" | "rebalanceTimeout" | "heartbeatInterval" | "groupInstanceId">> & {
    readonly maxBytes?: number;
    readonly maxBytesPerPartition?: number;
  };
export type ProducerOverrides = ClientOverrides &
  Partial<Pick<ProduceOptions<Buffer, Buffer, Buffer, Buffer>, "compression">> & {
    /**
     * How long a send may wait for the metadata of a sink topic (Kafka's producer max.block.ms,
     * default 60000); then the application fails with the topic named. `autocreateTopics` (here
     * or in `client`) is Kafka's producer allow.auto.create.topics: a missing sink topic is asked
     * for with auto-creation allowed unless it is false (the broker decides, by its
     * auto.create.topics.enable).
     */
    readonly maxBlockMs?: number;
    /**
     * Kafka's transaction.timeout.ms under exactly_once_v2 (Kafka Streams' default 10000): the
     * coordinator aborts a transaction left open this long (a crashed instance's). The client
     * library sends its request `timeout` as the transaction timeout, so this sets both for the
     * transactional producer.
     */
    readonly transactionTimeoutMs?: number;
  };

export interface KafkaStreamsOptions {
  /** The consumer group id, prefix of internal topics and name of the state directory. */
  readonly applicationId: string;
  /** `host:port`, or a list of them. */
  readonly bootstrapServers: string | readonly string[];
  /** Prefix of the clients' ids; default `<applicationId>-<random>`. */
  readonly clientId?: string;
  /** Where persistent stores keep their files: `<stateDir>/<applicationId>/<subtopology>_<partition>`. */
  readonly stateDir?: string;
  /** How often offsets are committed (Kafka: 30000 at least once, 100 exactly once). */
  readonly commitIntervalMs?: number;
  readonly processingGuarantee?: ProcessingGuarantee;
  /** Given to the topology when it is planned (default "log-and-fail"). */
  readonly defaultDeserializationErrorHandler?: DeserializationErrorHandler;
  /** Default "shutdown-client". */
  readonly uncaughtErrorHandler?: UncaughtErrorHandler;
  /** Replication factor of internal topics; -1 (default) takes the broker's default. */
  readonly replicationFactor?: number;
  /** Configs for every internal topic, over the runtime's defaults and under the topology's (Kafka's `topic.*`). */
  readonly topicConfigs?: Readonly<Record<string, string>>;
  /** Fetching from a task's partitions pauses while it has this many records buffered (Kafka: 1000). */
  readonly bufferedRecordsPerPartition?: number;
  /** Records processed before the loop yields to the event loop (heartbeats, fetch responses, timers). */
  readonly recordsPerSlice?: number;
  /** How long a fetch waits at the broker for data (Kafka Streams' poll.ms: 100). */
  readonly pollMs?: number;
  /**
   * Kafka's max.task.idle.ms (default 0). A task whose input partitions are partly empty (a
   * join's table side not fetched yet) waits while an empty partition's lag is unknown or
   * positive, since its records are on the broker; at lag 0 it waits this much longer (wall
   * clock) for new records before processing the others; -1 never waits (processing may then go
   * out of timestamp order across partitions, e.g. a stream record before its table row).
   */
  readonly maxTaskIdleMs?: number;
  readonly client?: ClientOverrides;
  readonly consumer?: ConsumerOverrides;
  readonly producer?: ProducerOverrides;
  readonly logger?: StreamsLogger;
  /** The wall clock for punctuators and commit intervals (tests inject one). */
  readonly nowMs?: () => number;
  /**
   * Standby copies of each stateful task's stores kept up to date on other instances from the
   * changelogs (Kafka's num.standby.replicas, default 0): a task moving there restores only the delta.
   */
  readonly numStandbyReplicas?: number;
  /**
   * This instance's `host:port` for interactive queries (Kafka's application.server): sent to the
   * group leader, which tells every instance where each task runs (queryMetadataForKey).
   */
  readonly applicationServer?: string;
}

export interface ResolvedOptions {
  readonly applicationId: string;
  readonly bootstrapBrokers: string[];
  readonly clientId: string;
  readonly stateDir: string;
  readonly commitIntervalMs: number;
  readonly processingGuarantee: ProcessingGuarantee;
  /** Identifies this KafkaStreams instance (Kafka's process id): part of the transactional id. */
  readonly processId: string;
  /** Kafka's transaction.timeout.ms (exactly once). */
  readonly transactionTimeoutMs: number;
  readonly deserializationErrorHandler: DeserializationErrorHandler;
  readonly uncaughtErrorHandler: (error: unknown) => UncaughtErrorAction;
  readonly replicationFactor: number;
  readonly topicConfigs: Readonly<Record<string, string>>;
  readonly bufferedRecordsPerPartition: number;
  readonly recordsPerSlice: number;
  readonly pollMs: number;
  /** Kafka's max.task.idle.ms: 0 waits only for partitions known to lag, -1 never waits. */
  readonly maxTaskIdleMs: number;
  readonly client: ClientOverrides;
  readonly consumer: ConsumerOverrides;
  /** The producer's options for the client library (without `maxBlockMs` and `transactionTimeoutMs`). */
  readonly producer: ProducerOverrides;
  /** How long a sink topic's metadata may take (Kafka's max.block.ms). */
  readonly maxBlockMs: number;
  /** Missing sink topics are asked for with auto-creation allowed (Kafka's allow.auto.create.topics). */
  readonly autoCreateSinkTopics: boolean;
  readonly logger: StreamsLogger;
  readonly nowMs: () => number;
  readonly numStandbyReplicas: number;
  /** undefined: not set (this instance takes no part in interactive-query routing). */
  readonly applicationServer: string | undefined;
}

/** Warnings and errors as JSON lines on stderr, like the broker's logs. */
export const stderrLogger: StreamsLogger = {
  log(level, message, fields) {
    if (level === "debug" || level === "info") return;
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`);
  },
};

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved <= 0)
    throw new StreamsError("INVALID_CONFIG", `${name} must be a positive integer, got ${resolved}`);
  return resolved;
}

export function resolveOptions(options: KafkaStreamsOptions): ResolvedOptions {
  if (!/^[a-zA-Z0-9._-]+$/.test(options.applicationId))
    throw new StreamsError(
      "INVALID_CONFIG",
      `applicationId ${JSON.stringify(options.applicationId)} must be made of letters, digits, '.', '_' and '-'`,
    );
  const bootstrapBrokers =
    typeof options.bootstrapServers === "string"
      ? options.bootstrapServers.split(",").map((server) => server.trim())
      : [...options.bootstrapServers];
  if (bootstrapBrokers.length === 0 || bootstrapBrokers.some((server) => server === ""))
    throw new StreamsError("INVALID_CONFIG", "bootstrapServers must name at least one host:port");
  const logger = options.logger ?? stderrLogger;
  const { maxBlockMs, transactionTimeoutMs, ...producer } = options.producer ?? {};
  const uncaught = options.uncaughtErrorHandler ?? "shutdown-client";
  const processingGuarantee = options.processingGuarantee ?? "at_least_once";
  if (processingGuarantee !== "at_least_once" && processingGuarantee !== "exactly_once_v2")
    throw new StreamsError(
      "INVALID_CONFIG",
      `processingGuarantee must be "at_least_once" or "exactly_once_v2", got ${JSON.stringify(processingGuarantee)}`,
    );
  const exactlyOnce = processingGuarantee === "exactly_once_v2";
  return {
    applicationId: options.applicationId,
    bootstrapBrokers,
    clientId: options.clientId ?? `${options.applicationId}-${Math.random().toString(36).slice(2, 10)}`,
    stateDir: options.stateDir ?? join(tmpdir(), "samsa-streams"),
    commitIntervalMs: positiveInteger("commitIntervalMs", options.commitIntervalMs, exactlyOnce ? 100 : 30_000),
    processingGuarantee,
    processId: randomUUID(),
    transactionTimeoutMs: positiveInteger("producer.transactionTimeoutMs", transactionTimeoutMs, 10_000),
    deserializationErrorHandler: options.defaultDeserializationErrorHandler ?? "log-and-fail",
    uncaughtErrorHandler: typeof uncaught === "function" ? uncaught : () => uncaught,
    replicationFactor: options.replicationFactor ?? -1,
    topicConfigs: options.topicConfigs ?? {},
    bufferedRecordsPerPartition: positiveInteger(
      "bufferedRecordsPerPartition",
      options.bufferedRecordsPerPartition,
      1000,
    ),
    recordsPerSlice: positiveInteger("recordsPerSlice", options.recordsPerSlice, 1000),
    pollMs: positiveInteger("pollMs", options.pollMs, 100),
    maxTaskIdleMs: maxTaskIdleMs(options.maxTaskIdleMs),
    client: options.client ?? {},
    consumer: options.consumer ?? {},
    producer,
    maxBlockMs: positiveInteger("producer.maxBlockMs", maxBlockMs, 60_000),
    autoCreateSinkTopics: producer.autocreateTopics ?? options.client?.autocreateTopics ?? true,
    logger,
    nowMs: options.nowMs ?? Date.now,
    numStandbyReplicas: nonNegativeInteger("numStandbyReplicas", options.numStandbyReplicas, 0),
    applicationServer: applicationServer(options.applicationServer),
  };
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 0)
    throw new StreamsError("INVALID_CONFIG", `${name} must be a non-negative integer, got ${resolved}`);
  return resolved;
}

function maxTaskIdleMs(value: number | undefined): number {
  const resolved = value ?? 0;
  if (!Number.isSafeInteger(resolved) || resolved < -1)
    throw new StreamsError("INVALID_CONFIG", `maxTaskIdleMs must be an integer ≥ -1, got ${resolved}`);
  return resolved;
}

function applicationServer(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (parseHostInfo(value) === undefined)
    throw new StreamsError("INVALID_CONFIG", `applicationServer must be host:port, got ${JSON.stringify(value)}`);
  return value;
}
