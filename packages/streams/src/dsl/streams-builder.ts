// StreamsBuilder (Kafka's StreamsBuilder): the DSL's entry point. Streams, tables and global
// tables from topics, stores for processors; build() returns the Topology. Nodes are added to the
// topology as the DSL is called, named with Kafka's counter (KSTREAM-SOURCE-0000000000, …) so
// generated node, store and internal topic names are those a Java application would get.
import { stderrJsonLogger, type Logger } from "../logger.ts";
import type { ProcessorSupplier } from "../processor.ts";
import { TableNodeState, tableSourceProcessor } from "../processors/table-processors.ts";
import { Serdes, type Serde } from "../serdes.ts";
import type { StateStore, StoreBuilder } from "../state/store.ts";
import type { StoreType } from "../state/stores.ts";
import { Topology } from "../topology/topology.ts";
import { addProcessor, addTimestampedStore, timestampedStoreBuilder, type DslContext } from "./internal.ts";
import { KStream } from "./kstream.ts";
import { GlobalKTable, KTable } from "./ktable.ts";
import type { Consumed, Materialized } from "./options.ts";

export interface StreamsBuilderOptions {
  /** DSL warnings (skipped records, out-of-order table updates); default: JSON lines on stderr. */
  readonly logger?: Logger;
  /** Store type of DSL tables that do not say (Kafka's default.dsl.store); default "in-memory". */
  readonly defaultStoreType?: StoreType;
}

function indexed(index: number): string {
  return String(index).padStart(10, "0");
}

export class StreamsBuilder {
  readonly #topology = new Topology();
  readonly #dsl: DslContext;

  constructor(options: StreamsBuilderOptions = {}) {
    let index = 0;
    this.#dsl = {
      builder: this.#topology.internalBuilder,
      logger: options.logger ?? stderrJsonLogger,
      defaultStoreType: options.defaultStoreType ?? "in-memory",
      newProcessorName: (prefix) => prefix + indexed(index++),
      newStoreName: (prefix) => `${prefix}STATE-STORE-${indexed(index++)}`,
    };
  }

  /** A stream of the records of `topics`: keys and values may be null (serdes default to bytes). */
  stream<K = Uint8Array, V = Uint8Array>(
    topics: string | readonly string[],
    options: Consumed<K, V> = {},
  ): KStream<K | null, V | null> {
    const dsl = this.#dsl;
    const name = options.name ?? dsl.newProcessorName("KSTREAM-SOURCE-");
    const keySerde = options.key ?? (Serdes.bytes() as unknown as Serde<K>);
    const valueSerde = options.value ?? (Serdes.bytes() as unknown as Serde<V>);
    dsl.builder.addSource({
      name,
      topics: typeof topics === "string" ? [topics] : topics,
      keySerde: keySerde,
      valueSerde: valueSerde,
      timestampExtractor: options.timestampExtractor,
    });
    return new KStream<K | null, V | null>({
      dsl,
      name,
      keySerde: keySerde as Serde<NonNullable<K | null>>,
      valueSerde: valueSerde as Serde<NonNullable<V | null>>,
      repartitionRequired: false,
    });
  }

  /**
   * The topic as a table (changelog semantics: the latest value per key, null values delete).
   * Materialized into a queryable store when `storeName` is given (or when an operation needs it).
   */
  table<K = Uint8Array, V = Uint8Array>(
    topic: string,
    options: Consumed<K, V> & Materialized<K, V> = {},
  ): KTable<K, V> {
    const dsl = this.#dsl;
    const storeName = options.storeName ?? dsl.newStoreName(`${topic}-`);
    const sourceName = options.name !== undefined ? `${options.name}-source` : dsl.newProcessorName("KSTREAM-SOURCE-");
    const tableName = options.name ?? dsl.newProcessorName("KTABLE-SOURCE-");
    const keySerde = options.key ?? (Serdes.bytes() as unknown as Serde<K>);
    const valueSerde = options.value ?? (Serdes.bytes() as unknown as Serde<V>);
    dsl.builder.addSource({
      name: sourceName,
      topics: [topic],
      keySerde: keySerde,
      valueSerde: valueSerde,
      timestampExtractor: options.timestampExtractor,
    });
    const materialize = (): string => {
      addTimestampedStore(
        dsl,
        timestampedStoreBuilder(dsl, { storeName, materialized: options, keySerde, valueSerde, operation: "table" }),
        tableName,
      );
      return storeName;
    };
    const state = new TableNodeState({ materialize });
    addProcessor(dsl, tableName, tableSourceProcessor<K, V>(state, dsl.logger), [sourceName]);
    if (options.storeName !== undefined) state.storeName = materialize();
    return new KTable<K, V>({
      dsl,
      name: tableName,
      keySerde,
      valueSerde,
      changes: state,
      queryableStoreName: options.storeName,
    });
  }

  /**
   * The topic as a table on every instance (all partitions), always materialized and not logged
   * (the topic is its changelog). Query it by `storeName` (generated when absent).
   */
  globalTable<K = Uint8Array, V = Uint8Array>(
    topic: string,
    options: Consumed<K, V> & Materialized<K, V> = {},
  ): GlobalKTable<K, V> {
    const dsl = this.#dsl;
    const storeName = options.storeName ?? dsl.newStoreName(`${topic}-`);
    const sourceName = options.name !== undefined ? `${options.name}-source` : dsl.newProcessorName("KSTREAM-SOURCE-");
    const processorName = options.name ?? dsl.newProcessorName("KTABLE-SOURCE-");
    const keySerde = options.key ?? (Serdes.bytes() as unknown as Serde<K>);
    const valueSerde = options.value ?? (Serdes.bytes() as unknown as Serde<V>);
    const state = new TableNodeState({ storeName });
    dsl.builder.addGlobalStore({
      builder: timestampedStoreBuilder(dsl, {
        storeName,
        materialized: { ...options, logging: false },
        keySerde,
        valueSerde,
        operation: "globalTable",
      }),
      sourceName,
      topic,
      keySerde: keySerde,
      valueSerde: valueSerde,
      timestampExtractor: options.timestampExtractor,
      processorName,
      supplier: tableSourceProcessor<K, V>(state, dsl.logger),
      timestamped: true,
    });
    return new GlobalKTable<K, V>({ dsl, storeName, queryableStoreName: options.storeName, keySerde, valueSerde });
  }

  /** Adds a store that processors (KStream.process with `stores`) can use. */
  addStateStore(store: StoreBuilder<StateStore>): this {
    this.#dsl.builder.addStateStore(store, []);
    return this;
  }

  /**
   * A global store kept up to date by `processor` from every partition of `topic` (Kafka's
   * StreamsBuilder.addGlobalStore); readable by every processor. The store must not be logged.
   */
  addGlobalStore<K = Uint8Array, V = Uint8Array>(options: {
    readonly store: StoreBuilder<StateStore>;
    readonly topic: string;
    readonly consumed?: Consumed<K, V>;
    readonly processor: ProcessorSupplier<K | null, V | null>;
  }): this {
    const dsl = this.#dsl;
    const consumed = options.consumed ?? {};
    const sourceName =
      consumed.name !== undefined ? `${consumed.name}-source` : dsl.newProcessorName("KSTREAM-SOURCE-");
    const processorName = consumed.name ?? dsl.newProcessorName("KTABLE-SOURCE-");
    dsl.builder.addGlobalStore({
      builder: options.store,
      sourceName,
      topic: options.topic,
      keySerde: consumed.key,
      valueSerde: consumed.value,
      timestampExtractor: consumed.timestampExtractor,
      processorName,
      supplier: options.processor,
    });
    return this;
  }

  /** The topology built so far (the same object on every call: build after describing the whole DSL). */
  build(): Topology {
    return this.#topology;
  }
}
