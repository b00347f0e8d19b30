// KGroupedTable (Kafka's KGroupedTable): a re-grouped table, aggregated with an adder for new rows
// and a subtractor for the rows they replace. Its Change records go through a repartition topic
// (Kafka's ChangedSerializer bytes) named after the store, or the Grouped name.
import { tableAggregateProcessor, type TableAggregation } from "../processors/aggregate-processors.ts";
import { changeSerde } from "../processors/change.ts";
import { TableNodeState } from "../processors/table-processors.ts";
import { Serdes, type Serde } from "../serdes.ts";
import {
  addProcessor,
  addTimestampedStore,
  requireSerde,
  timestampedStoreBuilder,
  type DslContext,
} from "./internal.ts";
import { KTable } from "./ktable.ts";
import type { Materialized, Named } from "./options.ts";

export interface GroupedTableOptions<K, V> {
  readonly dsl: DslContext;
  /** The node forwarding the re-keyed changes (KTABLE-SELECT). */
  readonly name: string;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly groupedName: string | undefined;
}

export class KGroupedTable<K, V> {
  readonly #options: GroupedTableOptions<K, V>;
  #namedRepartitionSource: string | undefined;

  constructor(options: GroupedTableOptions<K, V>) {
    this.#options = options;
  }

  /** The number of rows per group (the subtractor counts a row that left its group out). */
  count(options: Named & Materialized<K, number> = {}): KTable<K, number> {
    return this.#aggregate({
      prefix: "KTABLE-AGGREGATE-",
      operation: "count",
      aggregation: {
        initializer: () => 0,
        adder: (_key, _value, count) => count + 1,
        subtractor: (_key, _value, count) => count - 1,
      },
      options,
      valueSerde: Serdes.long(),
    });
  }

  /** Combines values with `adder`, and takes a replaced row's value out with `subtractor`. */
  reduce(
    adder: (aggregate: V, value: V) => V,
    subtractor: (aggregate: V, value: V) => V,
    options: Named & Materialized<K, V> = {},
  ): KTable<K, V> {
    return this.#aggregate({
      prefix: "KTABLE-REDUCE-",
      operation: "reduce",
      aggregation: {
        initializer: undefined,
        adder: (_key, value, aggregate) => adder(aggregate, value),
        subtractor: (_key, value, aggregate) => subtractor(aggregate, value),
      },
      options,
      valueSerde: this.#options.valueSerde,
    });
  }

  /** Folds rows into an aggregate that starts as `initializer()`; its store needs a `value` serde. */
  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    options: Named & Materialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<K, VA> {
    return this.#aggregate({
      prefix: "KTABLE-AGGREGATE-",
      operation: "aggregate",
      aggregation: { initializer, adder, subtractor },
      options,
      valueSerde: options.value,
    });
  }

  #aggregate<VA>(params: {
    readonly prefix: string;
    readonly operation: string;
    readonly aggregation: TableAggregation<K, V, VA>;
    readonly options: Named & Materialized<K, VA>;
    readonly valueSerde: Serde<VA> | undefined;
  }): KTable<K, VA> {
    const { dsl, groupedName } = this.#options;
    const { options } = params;
    // Kafka's order: store name, sink, source, then the aggregation's processor.
    const storeName = options.storeName ?? dsl.newStoreName("KTABLE-AGGREGATE-");
    const sinkName = options.name !== undefined ? `${options.name}-sink` : dsl.newProcessorName("KSTREAM-SINK-");
    const sourceName = options.name !== undefined ? `${options.name}-source` : dsl.newProcessorName("KSTREAM-SOURCE-");
    const name = options.name ?? dsl.newProcessorName(params.prefix);
    const source = this.#repartition(sinkName, sourceName, `${groupedName ?? storeName}-repartition`, params.operation);
    const state = new TableNodeState({ storeName });
    addProcessor(dsl, name, tableAggregateProcessor(state, params.aggregation), [source]);
    const keySerde = options.key ?? this.#options.keySerde;
    const valueSerde = options.value ?? params.valueSerde;
    addTimestampedStore(
      dsl,
      timestampedStoreBuilder(dsl, {
        storeName,
        materialized: options,
        keySerde,
        valueSerde,
        operation: params.operation,
      }),
      name,
    );
    return new KTable<K, VA>({
      dsl,
      name,
      keySerde,
      valueSerde,
      changes: state,
      queryableStoreName: options.storeName,
    });
  }

  #repartition(sinkName: string, sourceName: string, topic: string, operation: string): string {
    const { dsl, groupedName } = this.#options;
    if (groupedName !== undefined && this.#namedRepartitionSource !== undefined) return this.#namedRepartitionSource;
    const why = `KTable.groupBy(...).${operation} repartitions through ${topic}`;
    const keySerde = requireSerde(this.#options.keySerde, `${why}: pass { key: ... } to groupBy`) as Serde<unknown>;
    const valueSerde = changeSerde(
      requireSerde(this.#options.valueSerde, `${why}: pass { value: ... } to groupBy`),
    ) as Serde<unknown>;
    dsl.builder.addInternalTopic(topic, { partitions: undefined });
    dsl.builder.addSink({ name: sinkName, topic, keySerde, valueSerde, parents: [this.#options.name] });
    dsl.builder.addSource({ name: sourceName, topics: [topic], keySerde, valueSerde });
    if (groupedName !== undefined) this.#namedRepartitionSource = sourceName;
    return sourceName;
  }
}
