// The topology model (Kafka Streams' InternalTopologyBuilder): source, processor and sink nodes by
// name, state stores and the processors they are connected to, global stores, internal
// (repartition) topics and co-partition groups; and how nodes fall into sub-topologies — the
// connected parts of the graph, where processors sharing a store are connected and a repartition
// topic (a sink in one part, a source in another) is the boundary.
import type { ProcessorSupplier } from "../processor.ts";
import type { Headers, RecordMetadata } from "../record.ts";
import type { ConsumedRecord } from "../runtime-contract.ts";
import { Serdes, type Serde } from "../serdes.ts";
import type { StateStore, StoreBuilder } from "../state/store.ts";
import { TopologyError } from "./errors.ts";

/**
 * Chooses a record's event time (Kafka's TimestampExtractor) from the consumed record and the
 * partition's time so far (the largest timestamp seen on it, -1 at first). A negative result drops
 * the record with a warning.
 */
export type TimestampExtractor = (record: ConsumedRecord, partitionTimeMs: number) => number;

/** What a topic-name extractor sees besides key and value (Kafka's RecordContext). */
export interface RecordContext {
  readonly timestampMs: number;
  readonly headers: Headers;
  /** The input record being processed; undefined for records a punctuator forwards. */
  readonly recordMetadata: RecordMetadata | undefined;
}

/** Picks the topic of each record at a dynamic sink (Kafka's TopicNameExtractor). */
export type TopicNameExtractor<K, V> = (key: K, value: V, context: RecordContext) => string;

export type AnyProcessorSupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;

export interface SourceNode {
  readonly kind: "source";
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly timestampExtractor: TimestampExtractor | undefined;
}

export interface ProcessorNode {
  readonly kind: "processor";
  readonly name: string;
  readonly supplier: AnyProcessorSupplier;
  readonly parents: readonly string[];
  /** Names of connected stores, in connection order. */
  readonly stores: string[];
}

export interface SinkNode {
  readonly kind: "sink";
  readonly name: string;
  readonly topic: string | TopicNameExtractor<unknown, unknown>;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly parents: readonly string[];
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export interface StoreEntry {
  readonly builder: StoreBuilder<StateStore>;
  /** Values in Kafka's ValueAndTimestamp layout (DSL tables): the test driver unwraps them for plain views. */
  readonly timestamped: boolean;
}

export interface GlobalStoreEntry {
  readonly storeName: string;
  readonly sourceName: string;
  readonly processorName: string;
  readonly topic: string;
}

export interface InternalTopicEntry {
  /** Fixed partition count (Kafka's Repartitioned.numberOfPartitions); undefined: from the writing sub-topology. */
  readonly partitions: number | undefined;
}

/** A group of nodes that runs as one task per partition (or, for a global store, on every instance). */
export interface NodeGroup {
  readonly id: number;
  /** Node names in the order they were added. */
  readonly nodes: readonly string[];
  readonly global: boolean;
}

const bytesSerde = Serdes.bytes() as Serde<unknown>;

export class InternalTopologyBuilder {
  readonly nodes = new Map<string, TopologyNode>();
  readonly stores = new Map<string, StoreEntry>();
  readonly globalStores = new Map<string, GlobalStoreEntry>();
  readonly internalTopics = new Map<string, InternalTopicEntry>();
  /** Groups of source node names whose topics must have the same partition count. */
  readonly copartitionGroups: string[][] = [];
  readonly #topicToSource = new Map<string, string>();
  #nodeGroups: NodeGroup[] | undefined;

  addSource(options: {
    readonly name: string;
    readonly topics: readonly string[];
    readonly keySerde?: Serde<unknown> | undefined;
    readonly valueSerde?: Serde<unknown> | undefined;
    readonly timestampExtractor?: TimestampExtractor | undefined;
  }): void {
    this.#assertNewName(options.name);
    if (options.topics.length === 0) throw new TopologyError(`source ${options.name} must have at least one topic`);
    for (const topic of options.topics) {
      const other = this.#topicToSource.get(topic);
      if (other !== undefined) throw new TopologyError(`topic ${topic} has already been registered by source ${other}`);
    }
    for (const topic of options.topics) this.#topicToSource.set(topic, options.name);
    this.#add({
      kind: "source",
      name: options.name,
      topics: [...options.topics],
      keySerde: options.keySerde ?? bytesSerde,
      valueSerde: options.valueSerde ?? bytesSerde,
      timestampExtractor: options.timestampExtractor,
    });
  }

  addProcessor(options: {
    readonly name: string;
    readonly supplier: AnyProcessorSupplier;
    readonly parents: readonly string[];
  }): void {
    this.#assertNewName(options.name);
    this.#assertParents(options.name, options.parents);
    this.#add({
      kind: "processor",
      name: options.name,
      supplier: options.supplier,
      parents: [...options.parents],
      stores: [],
    });
  }

  addSink(options: {
    readonly name: string;
    readonly topic: string | TopicNameExtractor<unknown, unknown>;
    readonly keySerde?: Serde<unknown> | undefined;
    readonly valueSerde?: Serde<unknown> | undefined;
    readonly parents: readonly string[];
  }): void {
    this.#assertNewName(options.name);
    this.#assertParents(options.name, options.parents);
    this.#add({
      kind: "sink",
      name: options.name,
      topic: options.topic,
      keySerde: options.keySerde ?? bytesSerde,
      valueSerde: options.valueSerde ?? bytesSerde,
      parents: [...options.parents],
    });
  }

  addStateStore(builder: StoreBuilder<StateStore>, processorNames: readonly string[], timestamped = false): void {
    if (this.stores.has(builder.name) || this.globalStores.has(builder.name)) {
      throw new TopologyError(`state store ${builder.name} is already added`);
    }
    this.stores.set(builder.name, { builder, timestamped });
    for (const processorName of processorNames) this.connectProcessorAndStore(processorName, builder.name);
  }

  /** Connects a store to a processor (Kafka's connectProcessorAndStateStores); idempotent. */
  connectProcessorAndStore(processorName: string, storeName: string): void {
    const node = this.nodes.get(processorName);
    if (node === undefined) throw new TopologyError(`processor ${processorName} is not added yet`);
    if (node.kind !== "processor")
      throw new TopologyError(`${processorName} is a ${node.kind}; only processors can use stores`);
    if (this.globalStores.has(storeName)) {
      throw new TopologyError(`global store ${storeName} is readable by every processor and cannot be connected`);
    }
    if (!this.stores.has(storeName)) throw new TopologyError(`state store ${storeName} is not added yet`);
    if (!node.stores.includes(storeName)) node.stores.push(storeName);
    this.#nodeGroups = undefined;
  }

  addGlobalStore(options: {
    readonly builder: StoreBuilder<StateStore>;
    readonly sourceName: string;
    readonly topic: string;
    readonly keySerde?: Serde<unknown> | undefined;
    readonly valueSerde?: Serde<unknown> | undefined;
    readonly timestampExtractor?: TimestampExtractor | undefined;
    readonly processorName: string;
    readonly supplier: AnyProcessorSupplier;
    readonly timestamped?: boolean;
  }): void {
    const storeName = options.builder.name;
    if (options.builder.logged) {
      throw new TopologyError(
        `global store ${storeName} must not be logged: its topic ${options.topic} is its changelog`,
      );
    }
    if (this.stores.has(storeName) || this.globalStores.has(storeName)) {
      throw new TopologyError(`state store ${storeName} is already added`);
    }
    this.addSource({
      name: options.sourceName,
      topics: [options.topic],
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      timestampExtractor: options.timestampExtractor,
    });
    this.addProcessor({ name: options.processorName, supplier: options.supplier, parents: [options.sourceName] });
    this.stores.set(storeName, { builder: options.builder, timestamped: options.timestamped ?? false });
    (this.nodes.get(options.processorName) as ProcessorNode).stores.push(storeName);
    this.globalStores.set(storeName, {
      storeName,
      sourceName: options.sourceName,
      processorName: options.processorName,
      topic: options.topic,
    });
  }

  /** Declares a repartition topic (named without the application id, which `plan` prefixes). */
  addInternalTopic(name: string, entry: InternalTopicEntry = { partitions: undefined }): void {
    if (entry.partitions !== undefined && (!Number.isInteger(entry.partitions) || entry.partitions <= 0)) {
      throw new TopologyError(
        `repartition topic ${name}: partitions must be a positive integer, got ${entry.partitions}`,
      );
    }
    if (this.internalTopics.has(name)) throw new TopologyError(`internal topic ${name} is already added`);
    this.internalTopics.set(name, entry);
  }

  /** Requires the topics of these sources to have the same number of partitions (joins). */
  copartitionSources(sourceNames: readonly string[]): void {
    for (const name of sourceNames) {
      if (this.nodes.get(name)?.kind !== "source") throw new TopologyError(`${name} is not a source node`);
    }
    this.copartitionGroups.push([...sourceNames]);
  }

  isGlobalSource(name: string): boolean {
    for (const entry of this.globalStores.values()) if (entry.sourceName === name) return true;
    return false;
  }

  /** Processor names by parent: each node's children, in the order they were added. */
  children(): Map<string, string[]> {
    const children = new Map<string, string[]>();
    for (const node of this.nodes.values()) {
      children.set(node.name, []);
      if (node.kind === "source") continue;
      for (const parent of node.parents) children.get(parent)?.push(node.name);
    }
    return children;
  }

  /**
   * Sub-topologies and global-store groups, numbered in the order of their first node (Kafka's
   * makeNodeGroups): nodes are joined with their parents and with processors sharing a store.
   */
  nodeGroups(): readonly NodeGroup[] {
    if (this.#nodeGroups !== undefined) return this.#nodeGroups;
    const parentOf = new Map<string, string>();
    const root = (name: string): string => {
      let current = name;
      for (;;) {
        const parent = parentOf.get(current) ?? current;
        if (parent === current) return current;
        const grandparent = parentOf.get(parent) ?? parent;
        parentOf.set(current, grandparent);
        current = grandparent;
      }
    };
    const unite = (a: string, b: string): void => {
      const rootA = root(a);
      const rootB = root(b);
      if (rootA !== rootB) parentOf.set(rootB, rootA);
    };
    const storeUsers = new Map<string, string>();
    for (const node of this.nodes.values()) {
      if (node.kind === "source") continue;
      for (const parent of node.parents) unite(node.name, parent);
      if (node.kind === "processor") {
        for (const store of node.stores) {
          const user = storeUsers.get(store);
          if (user === undefined) storeUsers.set(store, node.name);
          else unite(user, node.name);
        }
      }
    }
    const groupsByRoot = new Map<string, string[]>();
    for (const name of this.nodes.keys()) {
      const key = root(name);
      let group = groupsByRoot.get(key);
      if (group === undefined) {
        group = [];
        groupsByRoot.set(key, group);
      }
      group.push(name);
    }
    this.#nodeGroups = [...groupsByRoot.values()].map((nodes, id) => ({
      id,
      nodes,
      global: nodes.some((name) => this.isGlobalSource(name)),
    }));
    return this.#nodeGroups;
  }

  /** The stores used by the processors of a group, in first-use order. */
  storesOf(group: NodeGroup): string[] {
    const stores: string[] = [];
    for (const name of group.nodes) {
      const node = this.nodes.get(name);
      if (node?.kind !== "processor") continue;
      for (const store of node.stores) if (!stores.includes(store)) stores.push(store);
    }
    return stores;
  }

  #add(node: TopologyNode): void {
    this.nodes.set(node.name, node);
    this.#nodeGroups = undefined;
  }

  #assertNewName(name: string): void {
    if (name.length === 0) throw new TopologyError("node names must not be empty");
    if (this.nodes.has(name)) throw new TopologyError(`processor ${name} is already added`);
  }

  #assertParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TopologyError(`${name} must have at least one parent`);
    for (const parent of parents) {
      if (parent === name) throw new TopologyError(`${name} cannot be its own parent`);
      const node = this.nodes.get(parent);
      if (node === undefined) throw new TopologyError(`parent processor ${parent} is not added yet for ${name}`);
      if (node.kind === "sink") throw new TopologyError(`sink ${parent} cannot be used as a parent`);
      if (this.isGlobalSource(parent) || this.#isGlobalProcessor(parent)) {
        throw new TopologyError(`${parent} belongs to a global store and cannot have children`);
      }
    }
  }

  #isGlobalProcessor(name: string): boolean {
    for (const entry of this.globalStores.values()) if (entry.processorName === name) return true;
    return false;
  }
}
