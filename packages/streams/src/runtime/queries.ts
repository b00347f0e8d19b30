// Interactive queries' model (Kafka Streams' StoreQueryParameters, QueryableStoreTypes,
// KeyQueryMetadata, StreamsMetadata, ThreadMetadata): which stores a topology has and where they
// run, which partition — hence which instance — holds a key, and the typed error a query gets
// when it cannot be answered here now (Kafka's InvalidStateStoreException family).
import { partitionForKey } from "../murmur2.ts";
import type { TaskId } from "../processor.ts";
import type { SubtopologyPlan, TopologyPlan } from "../runtime-contract.ts";
import type { SerdeContext } from "../serdes.ts";
import { Topology } from "../topology/topology.ts";
import type { HostTasks } from "./assignor.ts";
import { parseHostInfo, parseTaskKey, tasksToPartitions } from "./assignor.ts";
import { StreamsError } from "./errors.ts";

/** Kafka's QueryableStoreTypes, by name: plain values over timestamped stores unless the type says timestamped. */
export type QueryableStoreType = "keyValue" | "timestampedKeyValue" | "window" | "timestampedWindow" | "session";

/** Kafka's StoreQueryParameters. */
export interface StoreQueryParameters<T extends QueryableStoreType = QueryableStoreType> {
  readonly storeName: string;
  readonly type: T;
  /** Also read standby copies, and stores while rebalancing (values may lag the active's). Default false. */
  readonly enableStaleStores?: boolean;
  /** Only this partition's store instance. */
  readonly partition?: number;
}

/** Why a store cannot be queried here now. */
export type InvalidStateStoreReason =
  /** KafkaStreams was not started, or has stopped (Kafka's StreamsNotStartedException / not running). */
  | "NOT_RUNNING"
  /** A rebalance is in progress and stale stores are not allowed (Kafka's StreamsRebalancingException). */
  | "REBALANCING"
  /** The topology has no such store (Kafka's UnknownStateStoreException). */
  | "UNKNOWN_STORE"
  /** The store is not of the queried type. */
  | "WRONG_TYPE"
  /** No instance of the store (or of that partition) is here now: it may have moved (StateStoreMigratedException). */
  | "MIGRATED"
  /** The partition does not exist (Kafka's InvalidStateStorePartitionException). */
  | "INVALID_PARTITION";

/** Kafka's InvalidStateStoreException: retriable when a rebalance or migration is the reason. */
export class InvalidStateStoreError extends StreamsError {
  readonly reason: InvalidStateStoreReason;
  readonly storeName: string;

  constructor(reason: InvalidStateStoreReason, storeName: string, message: string) {
    super("INVALID_STATE_STORE", message, { retriable: reason === "REBALANCING" || reason === "MIGRATED" });
    this.name = "InvalidStateStoreError";
    this.reason = reason;
    this.storeName = storeName;
  }
}

/** An application server (Kafka's HostInfo). */
export interface HostInfo {
  readonly host: string;
  readonly port: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Where a key's store partition runs (Kafka's KeyQueryMetadata). */
export interface KeyQueryMetadata {
  readonly activeHost: HostInfo;
  readonly standbyHosts: readonly HostInfo[];
  readonly partition: number;
}

/** Kafka's HostInfo.unavailable(): the group has not told where tasks run (yet). */
export const unavailableHost: HostInfo = Object.freeze({ host: "unavailable", port: -1 });

/** Kafka's KeyQueryMetadata.NOT_AVAILABLE (partition -1). */
export const keyQueryMetadataNotAvailable: KeyQueryMetadata = Object.freeze({
  activeHost: unavailableHost,
  standbyHosts: Object.freeze([]),
  partition: -1,
});

/** One instance of the application (Kafka's StreamsMetadata). */
export interface StreamsMetadata {
  readonly hostInfo: HostInfo;
  readonly stateStoreNames: readonly string[];
  readonly topicPartitions: readonly TopicPartition[];
  readonly standbyStateStoreNames: readonly string[];
  readonly standbyTopicPartitions: readonly TopicPartition[];
}

export interface TaskMetadata {
  /** `<subtopology>_<partition>`. */
  readonly taskId: string;
  readonly topicPartitions: readonly TopicPartition[];
}

/** The processing loop of this instance (Kafka's ThreadMetadata; Node runs one). */
export interface ThreadMetadata {
  readonly threadName: string;
  readonly threadState: string;
  readonly activeTasks: readonly TaskMetadata[];
  readonly standbyTasks: readonly TaskMetadata[];
}

/** How a key is placed: its serializer (Kafka's default partitioner over the bytes) or a partitioner. */
export type KeyPlacement<K> =
  { serialize(value: K, context: SerdeContext): Uint8Array } | ((key: K, numPartitions: number) => number);

export interface StoreCatalogEntry {
  readonly name: string;
  readonly subtopology: number;
  /** Values in Kafka's ValueAndTimestamp layout (DSL tables): plain queries unwrap them. */
  readonly timestamped: boolean;
}

/**
 * The stores of a topology's sub-topologies. From a Topology, every store; from a bare plan, the
 * logged ones (named by their changelog topics), none of them timestamped.
 */
export function storeCatalog(
  topology: TopologyPlan | { plan(applicationId: string): TopologyPlan },
  plan: TopologyPlan,
): Map<string, StoreCatalogEntry> {
  const catalog = new Map<string, StoreCatalogEntry>();
  if (topology instanceof Topology) {
    const builder = topology.internalBuilder;
    for (const group of builder.nodeGroups()) {
      if (group.global) continue;
      for (const name of builder.storesOf(group))
        catalog.set(name, { name, subtopology: group.id, timestamped: builder.stores.get(name)?.timestamped ?? false });
    }
    return catalog;
  }
  const prefix = `${plan.applicationId}-`;
  const suffix = "-changelog";
  for (const spec of plan.internalTopics) {
    if (spec.kind !== "changelog" || typeof spec.partitions !== "object") continue;
    if (!spec.name.startsWith(prefix) || !spec.name.endsWith(suffix)) continue;
    const name = spec.name.slice(prefix.length, -suffix.length);
    catalog.set(name, { name, subtopology: spec.partitions.sameAsSubtopology, timestamped: false });
  }
  return catalog;
}

/** The source topic with the most partitions of a sub-topology (what Kafka partitions a queried key by). */
export function sourceTopicOf(
  subtopology: SubtopologyPlan | undefined,
  partitionsOf: (topic: string) => number,
): { readonly topic: string; readonly partitions: number } | undefined {
  let best: { topic: string; partitions: number } | undefined;
  for (const topic of subtopology?.sourceTopics ?? []) {
    const partitions = partitionsOf(topic);
    if (best === undefined || partitions > best.partitions) best = { topic, partitions };
  }
  return best;
}

/** The partition of `key` among `partitions`, as the application's producers place it. */
export function partitionOfKey<K>(key: K, placement: KeyPlacement<K>, topic: string, partitions: number): number {
  if (typeof placement === "function") {
    const partition = placement(key, partitions);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitions)
      throw new StreamsError("INVALID_CONFIG", `the partitioner returned ${partition} for ${partitions} partitions`);
    return partition;
  }
  return partitionForKey(placement.serialize(key, { topic, headers: [] }), partitions);
}

export function hostInfoOf(server: string): HostInfo {
  const parsed = parseHostInfo(server);
  return parsed === undefined ? unavailableHost : { host: parsed.host, port: parsed.port };
}

/** Where the task `key` runs: its active host and standby hosts, from the assignment's hosts. */
export function locateTask(hosts: readonly HostTasks[], key: string): { active?: HostTasks; standbys: HostTasks[] } {
  const active = hosts.find((host) => host.activeTasks.includes(key));
  return {
    ...(active === undefined ? {} : { active }),
    standbys: hosts.filter((host) => host.standbyTasks.includes(key)),
  };
}

/** StreamsMetadata of one host: its tasks as source topic-partitions, and the stores they hold. */
export function streamsMetadataOf(options: {
  readonly host: HostTasks;
  readonly plan: TopologyPlan;
  readonly catalog: ReadonlyMap<string, StoreCatalogEntry>;
  readonly partitionsOf: (topic: string) => number;
}): StreamsMetadata {
  const { host, plan, catalog, partitionsOf } = options;
  const subtopologies = new Map(plan.subtopologies.map((subtopology) => [subtopology.id, subtopology]));
  const describe = (keys: readonly string[]): { stores: string[]; partitions: TopicPartition[] } => {
    const tasks = keys.flatMap((key) => parseTaskKey(key) ?? []);
    const withTasks = new Set(tasks.map((task) => task.subtopology));
    const stores = [...catalog.values()].filter((entry) => withTasks.has(entry.subtopology)).map((entry) => entry.name);
    const partitions = [...tasksToPartitions(tasks, subtopologies, partitionsOf)].flatMap(([topic, numbers]) =>
      numbers.map((partition) => ({ topic, partition })),
    );
    return { stores: stores.sort(), partitions };
  };
  const active = describe(host.activeTasks);
  const standby = describe(host.standbyTasks);
  return {
    hostInfo: hostInfoOf(host.host),
    stateStoreNames: active.stores,
    topicPartitions: active.partitions,
    standbyStateStoreNames: standby.stores,
    standbyTopicPartitions: standby.partitions,
  };
}

/** TaskMetadata of tasks: their source topic-partitions. */
export function taskMetadataOf(
  tasks: readonly TaskId[],
  plan: TopologyPlan,
  partitionsOf: (topic: string) => number,
): TaskMetadata[] {
  const subtopologies = new Map(plan.subtopologies.map((subtopology) => [subtopology.id, subtopology]));
  return tasks.map((task) => ({
    taskId: `${task.subtopology}_${task.partition}`,
    topicPartitions: [...tasksToPartitions([task], subtopologies, partitionsOf)].flatMap(([topic, numbers]) =>
      numbers.map((partition) => ({ topic, partition })),
    ),
  }));
}
