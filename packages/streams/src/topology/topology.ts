// The processor-API topology (Kafka's Topology): sources, processors and sinks by name, state
// stores connected to processors, global stores; described as Kafka describes it, and planned for
// an application id into what a runner (KafkaStreams or the TopologyTestDriver) executes.
import type { ProcessorSupplier } from "../processor.ts";
import type { TopologyPlan } from "../runtime-contract.ts";
import type { Serde } from "../serdes.ts";
import type { StateStore, StoreBuilder } from "../state/store.ts";
import { describeTopology, type TopologyDescription } from "./description.ts";
import { InternalTopologyBuilder, type TimestampExtractor, type TopicNameExtractor } from "./internal-builder.ts";
import { planTopology } from "./plan.ts";
import type { PlanOptions } from "./plan-options.ts";

export class Topology {
  /** The model the DSL and the planner work on (Kafka's InternalTopologyBuilder); not for applications. */
  readonly internalBuilder: InternalTopologyBuilder;

  constructor(internalBuilder: InternalTopologyBuilder = new InternalTopologyBuilder()) {
    this.internalBuilder = internalBuilder;
  }

  /**
   * A source reading `topics`; records reach its children as `K | null` keys and `V | null` values
   * (serdes default to bytes).
   */
  addSource<K = Uint8Array, V = Uint8Array>(options: {
    readonly name: string;
    readonly topics: string | readonly string[];
    readonly key?: Serde<K>;
    readonly value?: Serde<V>;
    readonly timestampExtractor?: TimestampExtractor;
  }): this {
    this.internalBuilder.addSource({
      name: options.name,
      topics: typeof options.topics === "string" ? [options.topics] : options.topics,
      keySerde: options.key,
      valueSerde: options.value,
      timestampExtractor: options.timestampExtractor,
    });
    return this;
  }

  /** A processor (a new instance per task) under `parents`, using the named `stores`. */
  addProcessor<KIn, VIn, KOut = never, VOut = never>(options: {
    readonly name: string;
    readonly processor: ProcessorSupplier<KIn, VIn, KOut, VOut>;
    readonly parents: readonly string[];
    readonly stores?: readonly string[];
  }): this {
    this.internalBuilder.addProcessor({
      name: options.name,
      supplier: options.processor,
      parents: options.parents,
    });
    for (const store of options.stores ?? []) this.internalBuilder.connectProcessorAndStore(options.name, store);
    return this;
  }

  /** A sink writing to `topic`, or to the topic a function picks per record. */
  addSink<K = Uint8Array, V = Uint8Array>(options: {
    readonly name: string;
    readonly topic: string | TopicNameExtractor<K, V>;
    readonly key?: Serde<NonNullable<K>>;
    readonly value?: Serde<NonNullable<V>>;
    readonly parents: readonly string[];
  }): this {
    this.internalBuilder.addSink({
      name: options.name,
      topic: options.topic as string | TopicNameExtractor<unknown, unknown>,
      keySerde: options.key,
      valueSerde: options.value,
      parents: options.parents,
    });
    return this;
  }

  /** Adds a store (a new instance per task), connected to the named processors. */
  addStateStore(store: StoreBuilder<StateStore>, processorNames: readonly string[] = []): this {
    this.internalBuilder.addStateStore(store, processorNames);
    return this;
  }

  connectProcessorAndStateStores(processorName: string, storeNames: readonly string[]): this {
    for (const store of storeNames) this.internalBuilder.connectProcessorAndStore(processorName, store);
    return this;
  }

  /**
   * A global store: every partition of `topic` goes through `processor` into `store` on every
   * instance, and every processor can read the store. The store must not be logged (the topic is
   * its changelog).
   */
  addGlobalStore<K = Uint8Array, V = Uint8Array>(options: {
    readonly store: StoreBuilder<StateStore>;
    readonly sourceName: string;
    readonly topic: string;
    readonly key?: Serde<K>;
    readonly value?: Serde<V>;
    readonly timestampExtractor?: TimestampExtractor;
    readonly processorName: string;
    readonly processor: ProcessorSupplier<K | null, V | null>;
  }): this {
    this.internalBuilder.addGlobalStore({
      builder: options.store,
      sourceName: options.sourceName,
      topic: options.topic,
      keySerde: options.key,
      valueSerde: options.value,
      timestampExtractor: options.timestampExtractor,
      processorName: options.processorName,
      supplier: options.processor,
    });
    return this;
  }

  /**
   * Requires the topics of these sources to have the same number of partitions (what joins need);
   * the runner's check fails with a clear error when they do not. A Samsa addition to the processor
   * API (Kafka keeps it internal to its DSL).
   */
  copartitionSources(sourceNames: readonly string[]): this {
    this.internalBuilder.copartitionSources(sourceNames);
    return this;
  }

  describe(): TopologyDescription {
    return describeTopology(this.internalBuilder);
  }

  /** What a runner needs to run this topology as application `applicationId`. */
  plan(applicationId: string, options?: PlanOptions): TopologyPlan {
    return planTopology(this.internalBuilder, applicationId, options);
  }
}
