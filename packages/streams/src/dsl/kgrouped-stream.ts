// KGroupedStream (Kafka's KGroupedStream): a stream grouped by key, to count, reduce or aggregate
// into a table — repartitioned first when the key changed upstream — or to window (windowedBy,
// built by the window module on GroupedStreamInternals).
import { streamAggregateProcessor, type StreamAggregator } from "../processors/aggregate-processors.ts";
import { TableNodeState } from "../processors/table-processors.ts";
import { Serdes, type Serde } from "../serdes.ts";
import {
  addProcessor,
  addTimestampedStore,
  repartitionThrough,
  requireSerde,
  timestampedStoreBuilder,
  type DslContext,
  type GroupedStreamInternals,
  type WindowDefinition,
  type WindowedStreamTypes,
} from "./internal.ts";
import { hasMaterialized, KTable } from "./ktable.ts";
import type { Materialized, Named } from "./options.ts";

export interface GroupedStreamOptions<K, V> {
  readonly dsl: DslContext;
  /** The node whose records are grouped. */
  readonly name: string;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  readonly repartitionRequired: boolean;
  readonly groupedName: string | undefined;
}

export class KGroupedStream<K, V> {
  /** What windowed aggregations build on (KGroupedStream.windowedBy); not for applications. */
  readonly internals: GroupedStreamInternals<K, V>;
  readonly #options: GroupedStreamOptions<K, V>;
  /** With a Grouped name, every aggregation of this grouping shares one repartition topic (as Kafka). */
  #namedRepartitionSource: string | undefined;

  constructor(options: GroupedStreamOptions<K, V>) {
    this.#options = options;
    this.internals = {
      dsl: options.dsl,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      groupedName: options.groupedName,
      aggregationParent: (storeName) => this.#aggregationParent(storeName),
    };
  }

  /** The number of records per key (records with a null key or value are skipped). */
  count(options: Named & Materialized<K, number> = {}): KTable<K, number> {
    // Kafka burns a store-name index when count gets unnamed Materialized options; kept for equal names.
    if (options.storeName === undefined && hasMaterialized(options))
      this.#options.dsl.newStoreName("KSTREAM-AGGREGATE-");
    return this.#aggregate({
      prefix: "KSTREAM-AGGREGATE-",
      operation: "count",
      aggregator: (_key, _value, count: number | undefined) => (count ?? 0) + 1,
      options,
      valueSerde: Serdes.long(),
    });
  }

  /** Combines each key's values with `reducer`; the first value starts the aggregate. */
  reduce(reducer: (aggregate: V, value: V) => V, options: Named & Materialized<K, V> = {}): KTable<K, V> {
    return this.#aggregate({
      prefix: "KSTREAM-REDUCE-",
      operation: "reduce",
      aggregator: (_key, value: V, aggregate: V | undefined) =>
        aggregate === undefined ? value : reducer(aggregate, value),
      options,
      valueSerde: this.#options.valueSerde,
    });
  }

  /** Folds each key's values into an aggregate that starts as `initializer()`; its store needs a `value` serde. */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options: Named & Materialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<K, VA> {
    return this.#aggregate({
      prefix: "KSTREAM-AGGREGATE-",
      operation: "aggregate",
      aggregator: (key, value, aggregate: VA | undefined) =>
        aggregator(key, value, aggregate === undefined ? initializer() : aggregate),
      options,
      valueSerde: options.value,
    });
  }

  /**
   * Windows the grouped stream (TimeWindows, SlidingWindows, SessionWindows); the window module
   * builds the windowed aggregation from `internals`.
   */
  windowedBy<W extends WindowDefinition<keyof WindowedStreamTypes<K, V> & string>>(
    windows: W,
  ): WindowedStreamTypes<K, V>[W["windowKind"]] {
    return windows.windowedStream(this.internals) as WindowedStreamTypes<K, V>[W["windowKind"]];
  }

  #aggregate<VA>(params: {
    readonly prefix: string;
    readonly operation: string;
    readonly aggregator: StreamAggregator<K, V, VA>;
    readonly options: Named & Materialized<K, VA>;
    readonly valueSerde: Serde<VA> | undefined;
  }): KTable<K, VA> {
    const { dsl } = this.#options;
    const { options } = params;
    // As Kafka: the store's name first (it may name the repartition topic), then the processor's.
    const storeName = options.storeName ?? dsl.newStoreName(params.prefix);
    const name = options.name ?? dsl.newProcessorName(params.prefix);
    const parent = this.#aggregationParent(storeName);
    const state = new TableNodeState({ storeName });
    addProcessor(dsl, name, streamAggregateProcessor(state, params.aggregator, dsl.logger), [parent]);
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

  #aggregationParent(storeName: string): string {
    const { dsl, name, repartitionRequired, groupedName } = this.#options;
    if (!repartitionRequired) return name;
    const prefix = groupedName ?? storeName;
    if (groupedName !== undefined && this.#namedRepartitionSource !== undefined) {
      // Reused; Kafka still advances the counter by the three node names.
      for (const node of ["KSTREAM-SINK-", "KSTREAM-FILTER-", "KSTREAM-SOURCE-"]) dsl.newProcessorName(node);
      return this.#namedRepartitionSource;
    }
    const topic = `${prefix}-repartition`;
    const why = `the key changed upstream, so the aggregation repartitions through ${topic}`;
    const source = repartitionThrough(dsl, {
      parent: name,
      prefix,
      keySerde: requireSerde(this.#options.keySerde, `${why}: pass { key: ... } to groupBy/groupByKey`),
      valueSerde: requireSerde(this.#options.valueSerde, `${why}: pass { value: ... } to groupBy/groupByKey`),
    });
    if (groupedName !== undefined) this.#namedRepartitionSource = source;
    return source;
  }
}
