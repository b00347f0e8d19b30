// What the DSL's classes share and what extensions build on (windowed aggregations in
// dsl/windowed-*.ts, joins later): the builder context (topology model, Kafka's name counter),
// automatic repartitioning, timestamped store materialization, the hook a KGroupedStream offers to
// windowed aggregations, and KTable creation from an aggregation's processor.
import type { Logger } from "../logger.ts";
import type { ProcessorSupplier } from "../processor.ts";
import { passThroughProcessor } from "../processors/stream-processors.ts";
import type { TableChangeSource } from "../processors/table-processors.ts";
import type { TableValueGetterSupplier } from "../processors/table-value-getter.ts";
import type { Serde } from "../serdes.ts";
import type { KeyValueStore, StateStore, StoreBuilder } from "../state/store.ts";
import { Stores, type StoreType } from "../state/stores.ts";
import { valueAndTimestampSerde, type ValueAndTimestamp } from "../state/window-key-schema.ts";
import { TopologyError } from "../topology/errors.ts";
import type { InternalTopologyBuilder } from "../topology/internal-builder.ts";
import { KTable } from "./ktable.ts";
import type { Materialized } from "./options.ts";

/** The builder context every DSL object holds. */
export interface DslContext {
  readonly builder: InternalTopologyBuilder;
  /** DSL warnings: skipped records, out-of-order table updates. */
  readonly logger: Logger;
  /** The store type of tables whose Materialized options do not say (Kafka's default.dsl.store). */
  readonly defaultStoreType: StoreType;
  /** `<prefix><10-digit index>`, Kafka's InternalNameProvider.newProcessorName. */
  newProcessorName(prefix: string): string;
  /** `<prefix>STATE-STORE-<10-digit index>`, Kafka's newStoreName. */
  newStoreName(prefix: string): string;
}

/** Adds a processor node (a cast point: the model holds processors of unknown types). */
export function addProcessor<KIn, VIn, KOut, VOut>(
  dsl: DslContext,
  name: string,
  supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
  parents: readonly string[],
): void {
  dsl.builder.addProcessor({ name, supplier: supplier, parents });
}

export function requireSerde<T>(serde: Serde<T> | undefined, what: string): Serde<T> {
  if (serde === undefined) throw new TopologyError(what);
  return serde;
}

const REPARTITION_SUFFIX = "-repartition";

/**
 * Kafka's createRepartitionedSource: a pass-through processor, a sink to `<prefix>-repartition`
 * and a source reading it back (the start of a new sub-topology). Generated node names unless the
 * prefix is a user's name (then `<topic>-sink`, `-filter`, `-source`). Returns the source's name.
 */
export function repartitionThrough(
  dsl: DslContext,
  options: {
    readonly parent: string;
    readonly prefix: string;
    readonly keySerde: Serde<unknown>;
    readonly valueSerde: Serde<unknown>;
    readonly partitions?: number | undefined;
  },
): string {
  const topic = options.prefix.endsWith(REPARTITION_SUFFIX) ? options.prefix : options.prefix + REPARTITION_SUFFIX;
  // Always generated, to advance the counter as Kafka does.
  const generatedSink = dsl.newProcessorName("KSTREAM-SINK-");
  const generatedFilter = dsl.newProcessorName("KSTREAM-FILTER-");
  const generatedSource = dsl.newProcessorName("KSTREAM-SOURCE-");
  const generated = /^KSTREAM.*-[0-9]{10}$/.test(options.prefix);
  const sinkName = generated ? generatedSink : `${topic}-sink`;
  const filterName = generated ? generatedFilter : `${topic}-filter`;
  const sourceName = generated ? generatedSource : `${topic}-source`;
  if (dsl.builder.nodes.has(sourceName) && dsl.builder.internalTopics.has(topic)) {
    throw new TopologyError(
      `repartition topic ${topic} is already used: give each grouping or repartition its own name`,
    );
  }
  dsl.builder.addInternalTopic(topic, { partitions: options.partitions });
  addProcessor(dsl, filterName, passThroughProcessor(), [options.parent]);
  dsl.builder.addSink({
    name: sinkName,
    topic,
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    parents: [filterName],
  });
  dsl.builder.addSource({
    name: sourceName,
    topics: [topic],
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
  });
  return sourceName;
}

/** A timestamped key-value store for a DSL table (values with the timestamp of their latest update). */
export function timestampedStoreBuilder<K, V>(
  dsl: DslContext,
  options: {
    readonly storeName: string;
    readonly materialized: Materialized<K, V> | undefined;
    readonly keySerde: Serde<K> | undefined;
    readonly valueSerde: Serde<V> | undefined;
    /** For error messages: "count", "KTable.filter", ... */
    readonly operation: string;
  },
): StoreBuilder<KeyValueStore<K, ValueAndTimestamp<V>>> {
  const { storeName, materialized, operation } = options;
  const key = requireSerde(
    materialized?.key ?? options.keySerde,
    `${operation}: store ${storeName} needs a key serde (pass { key: ... }, or give the stream serdes)`,
  );
  const value = requireSerde(
    materialized?.value ?? options.valueSerde,
    `${operation}: store ${storeName} needs a value serde (pass { value: ... })`,
  );
  return Stores.keyValueStore(materialized?.storeType ?? dsl.defaultStoreType, {
    name: storeName,
    key,
    value: valueAndTimestampSerde(value),
    logging: materialized?.logging ?? true,
    timestamped: true,
  });
}

/** Adds a DSL store connected to `processorName` (marked timestamped for the test driver's views). */
export function addTimestampedStore(dsl: DslContext, store: StoreBuilder<StateStore>, processorName: string): void {
  dsl.builder.addStateStore(store, [processorName], true);
}

/** What a KTable is made of: the node forwarding its changes, serdes, and the producer of its changes. */
export interface TableInternals<K, V> {
  readonly dsl: DslContext;
  /** The processor forwarding this table's Change records. */
  readonly name: string;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  /** Sends old values on request; `storeName` is the store holding the table's rows, if materialized. */
  readonly changes: TableChangeSource & { readonly storeName: string | undefined };
  /** The store name users can query, when materialized under a name they gave. */
  readonly queryableStoreName: string | undefined;
  /**
   * How joins read this table's rows (Kafka's valueGetterSupplier; may materialize the table).
   * Absent: from the store named by `changes`, materializing a source table first.
   */
  readonly valueGetter?: (() => TableValueGetterSupplier<K, V>) | undefined;
  /** The source nodes the table's partitions come from (Kafka's subTopologySourceNodes); absent: its ancestors' sources. */
  readonly sourceNodes?: readonly string[] | undefined;
}

/** A KTable over the Change records that `internals.name` forwards (aggregations, windowed aggregations). */
export function tableFromNode<K, V>(internals: TableInternals<K, V>): KTable<K, V> {
  return new KTable(internals);
}

/**
 * What KGroupedStream hands to a windowed aggregation (KGroupedStream.windowedBy): the grouped
 * stream's serdes and the node to aggregate from, inserting a repartition topic first when the key
 * changed upstream (named `<grouped name or store name>-repartition`, as Kafka names it).
 */
export interface GroupedStreamInternals<K, V> {
  readonly dsl: DslContext;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  /** The user's Grouped name (names the repartition topic instead of the store), if any. */
  readonly groupedName: string | undefined;
  /**
   * The parent for an aggregation processor whose store is `storeName`: the grouped stream's own
   * node, or the source of a repartition topic created by this call when repartitioning is required.
   * Records reach it with `K | null` keys and `V | null` values; aggregations skip nulls.
   */
  aggregationParent(storeName: string): string;
}

/**
 * The windowed stream types by window kind, filled in by the window module through declaration
 * merging, e.g. in dsl/windowed-kstream.ts:
 *
 *   declare module "./internal.ts" {
 *     interface WindowedStreamTypes<K, V> { time: TimeWindowedKStream<K, V>; session: SessionWindowedKStream<K, V> }
 *   }
 *
 * so `groupByKey().windowedBy(TimeWindows.of(...))` is typed TimeWindowedKStream<K, V>.
 */
export interface WindowedStreamTypes<K, V> {
  /** Uses K and V until the window module adds its kinds (symbol keys are not window kinds). */
  readonly [windowedStreamTypesBrand]?: (key: K, value: V) => void;
}
declare const windowedStreamTypesBrand: unique symbol;

/** A window definition KGroupedStream.windowedBy accepts: it names its kind and builds its windowed stream. */
export interface WindowDefinition<Kind extends string = string> {
  readonly windowKind: Kind;
  windowedStream<K, V>(grouped: GroupedStreamInternals<K, V>): unknown;
}
