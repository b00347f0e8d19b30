// The contract between a built topology and whatever runs it: the runtime (KafkaStreams, over a
// Kafka client library) or the TopologyTestDriver (no broker at all). A topology is planned for
// an application id into sub-topologies, internal topics and global stores; the runner creates a
// task per sub-topology and input partition, feeds it consumed records, ships what it emits, and
// commits. Tasks run synchronously: nothing in here returns a promise.
import type { Headers } from "./record.ts";
import type { TaskId } from "./processor.ts";
import type { StateStore } from "./state/store.ts";

/** A record as consumed from or produced to a topic: raw bytes. */
export interface RawRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestampMs: number;
  readonly headers: Headers;
}

export interface ConsumedRecord extends RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface OutgoingRecord extends RawRecord {
  readonly topic: string;
  /** undefined: the runner picks the partition from the key bytes with Kafka's default partitioner (murmur2). */
  readonly partition: number | undefined;
}

export interface InternalTopicSpec {
  /** The full name, `<applicationId>-<name>-repartition` or `<applicationId>-<store>-changelog`. */
  readonly name: string;
  readonly kind: "repartition" | "changelog";
  /**
   * Partitions: a number, or the partition count of the sub-topology's source topics (known only
   * once the runner has read their metadata; co-partitioned sources must agree).
   */
  readonly partitions: number | { readonly sameAsSubtopology: number };
  readonly configs: Readonly<Record<string, string>>;
}

export interface SubtopologyPlan {
  readonly id: number;
  /** User topics and repartition topics this sub-topology reads (all partitions co-partitioned). */
  readonly sourceTopics: readonly string[];
  /** Groups of source topics that must have the same partition count (joins, multi-topic sources). */
  readonly copartitionGroups: readonly (readonly string[])[];
}

/** A global store: every partition of `topic` feeds one store on every instance, before processing starts. */
export interface GlobalStorePlan {
  readonly topic: string;
  readonly storeName: string;
}

export interface TaskEnvironment {
  readonly applicationId: string;
  /** This task's directory for persistent stores; undefined when running in memory only. */
  readonly stateDir: string | undefined;
  nowMs(): number;
  /** Ships a record (sink, repartition or changelog topic); the runner batches and acknowledges it before committing. */
  send(record: OutgoingRecord): void;
  /** Asks for a commit soon (ProcessorContext.commit). */
  requestCommit(): void;
  /**
   * Kafka's max.task.idle.ms (default 0): how long a task whose input partitions are partly empty
   * waits for them once their lag is known to be 0; -1 never waits. See TopologyTask.readiness.
   */
  readonly maxTaskIdleMs?: number;
}

/** See TopologyTask.readiness. */
export type TaskReadiness = "ready" | "enforced" | "waiting";

export interface TopologyTask {
  readonly id: TaskId;
  /**
   * The store instances of this task, with their changelog topics (undefined: not logged). They
   * are built and initialised (StateStore.init) when the task is created, so the runner can read
   * restoredOffset() and restore() them before initialize().
   */
  readonly stores: readonly { readonly store: StateStore; readonly changelogTopic: string | undefined }[];
  /** Initialises the processors (after the runner restored the stores); processors may schedule punctuators here. */
  initialize(): void;
  /** Buffers consumed records of one of the task's input partitions (in offset order). */
  enqueue(records: readonly ConsumedRecord[]): void;
  /**
   * Processes the buffered record with the lowest timestamp among the input partitions that have
   * one (Kafka's partition group); false when nothing is buffered. Stream-time punctuators fire here.
   */
  processNext(): boolean;
  /** Records buffered per input partition, so the runner can pause fetching when it is large. */
  bufferedCount(): number;
  /** Records buffered for one input partition (the runner pauses fetching it, not the others, when it is large). */
  bufferedCountOf?(topic: string, partition: number): number;
  /**
   * The lag of an input partition as the last fetch reported it (its end offset minus the next
   * offset to fetch); undefined: unknown (not fetched since the position was set). The runtime
   * reports it after every fetch; a runner that never does (the test driver) leaves it unknown.
   */
  updateFetchedLag?(topic: string, partition: number, lag: number | undefined): void;
  /**
   * Whether processNext may run now (Kafka's max.task.idle.ms, KIP-695): "ready" when every input
   * partition has buffered records; "waiting" while an empty one's lag is unknown or positive (its
   * records are on the way) or, lag 0, for up to maxTaskIdleMs of wall-clock time; "enforced" when
   * some partitions are empty but waiting is over (or maxTaskIdleMs is -1). The runtime asks before
   * every record; processNext itself does not (the test driver's records are all present, so it
   * processes at once, as lag 0 with no idling would).
   */
  readiness?(nowMs: number): TaskReadiness;
  /**
   * Drops the buffered records and what the fetches reported (Kafka's PartitionGroup.clear when a
   * task is suspended): the runner fetches again from the committed offsets, so records kept in the
   * buffer across a rebalance would be processed twice.
   */
  clearBuffered?(): void;
  /** Fires wall-clock punctuators due at `nowMs`. */
  punctuateWallClock(nowMs: number): void;
  /** Offsets to commit: for each input topic-partition processed, the next offset to read. */
  committableOffsets(): ReadonlyMap<
    string,
    { readonly topic: string; readonly partition: number; readonly offset: number }
  >;
  /** Flushes stores (before a commit). */
  flush(): void;
  close(): void;
  /**
   * Kafka's processor metadata (emit-final's last emitted window close time, by store), which the
   * runtime keeps in the commit metadata of the task's input partitions. Optional.
   */
  processorMetadata?(): ReadonlyMap<string, number>;
  /** Before initialize(): the processor metadata the last commit kept (the largest value per key across partitions). */
  restoreProcessorMetadata?(metadata: ReadonlyMap<string, number>): void;
}

export interface GlobalTask {
  /** Built and initialised when the global task is created (before the stream tasks, whose processors read them). */
  readonly stores: readonly { readonly store: StateStore; readonly topic: string }[];
  initialize(): void;
  /** Applies a record of a global topic to its store (and the store's processor). */
  process(record: ConsumedRecord): void;
  flush(): void;
  close(): void;
}

export interface TopologyPlan {
  readonly applicationId: string;
  readonly subtopologies: readonly SubtopologyPlan[];
  readonly internalTopics: readonly InternalTopicSpec[];
  readonly globalStores: readonly GlobalStorePlan[];
  createTask(id: TaskId, env: TaskEnvironment): TopologyTask;
  /** undefined when the topology has no global stores. */
  createGlobalTask(env: Omit<TaskEnvironment, "requestCommit">): GlobalTask | undefined;
}
