// KTable (Kafka's KTable): a changelog stream seen as a table — the latest value per key, deletes
// as tombstones. Its operations forward Change records (new and, when asked for, old values) so
// aggregations over a re-grouped table can subtract what a row contributed before.
import {
  TableNodeState,
  tableFilterProcessor,
  tableMapValuesProcessor,
  tableRepartitionMapProcessor,
  tableToStreamProcessor,
} from "../processors/table-processors.ts";
import type { Serde } from "../serdes.ts";
import type { KeyValue } from "../state/store.ts";
import {
  addProcessor,
  addTimestampedStore,
  timestampedStoreBuilder,
  type DslContext,
  type TableInternals,
} from "./internal.ts";
import { KGroupedTable } from "./kgrouped-table.ts";
import { KStream } from "./kstream.ts";
import type { Grouped, Materialized, Named } from "./options.ts";

/** True when the options carry Materialized fields (Kafka then burns a store-name index even without a name). */
export function hasMaterialized(options: Materialized<unknown, unknown>): boolean {
  return (
    options.storeName !== undefined ||
    options.key !== undefined ||
    options.value !== undefined ||
    options.storeType !== undefined ||
    options.logging !== undefined
  );
}

export class KTable<K, V> {
  /** The DSL's view of this table (for extensions); not for applications. */
  readonly internals: TableInternals<K, V>;

  constructor(internals: TableInternals<K, V>) {
    this.internals = internals;
  }

  /** The name of the store to query this table by, when it was materialized under a given name. */
  get queryableStoreName(): string | undefined {
    return this.internals.queryableStoreName;
  }

  /** Rows for which `predicate` holds; others become deletes downstream. */
  filter<S extends V>(predicate: (key: K, value: V) => value is S, options?: Named & Materialized<K, S>): KTable<K, S>;
  filter(predicate: (key: K, value: V) => boolean, options?: Named & Materialized<K, V>): KTable<K, V>;
  filter(predicate: (key: K, value: V) => boolean, options: Named & Materialized<K, V> = {}): KTable<K, V> {
    return this.#filter(predicate, false, options);
  }

  filterNot(predicate: (key: K, value: V) => boolean, options: Named & Materialized<K, V> = {}): KTable<K, V> {
    return this.#filter(predicate, true, options);
  }

  /** A new value per row; a null or undefined result deletes the row. */
  mapValues<VR>(
    mapper: (value: V, key: K) => VR | null | undefined,
    options: Named & Materialized<K, NonNullable<VR>> = {},
  ): KTable<K, NonNullable<VR>> {
    const { dsl } = this.internals;
    if (options.storeName === undefined && hasMaterialized(options)) dsl.newStoreName("KTABLE-MAPVALUES-");
    const name = options.name ?? dsl.newProcessorName("KTABLE-MAPVALUES-");
    const state = new TableNodeState({ storeName: options.storeName, parent: this.internals.changes });
    addProcessor(dsl, name, tableMapValuesProcessor(state, mapper), [this.internals.name]);
    const keySerde = options.key ?? this.internals.keySerde;
    if (options.storeName !== undefined) {
      addTimestampedStore(
        dsl,
        timestampedStoreBuilder(dsl, {
          storeName: options.storeName,
          materialized: options,
          keySerde,
          valueSerde: options.value,
          operation: "KTable.mapValues",
        }),
        name,
      );
    }
    return new KTable<K, NonNullable<VR>>({
      dsl,
      name,
      keySerde,
      valueSerde: options.value,
      changes: state,
      queryableStoreName: options.storeName,
    });
  }

  /** The table's changes as a stream: updates as records, deletes as null values (tombstones). */
  toStream(options: Named = {}): KStream<K, V | null> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KTABLE-TOSTREAM-");
    addProcessor(dsl, name, tableToStreamProcessor<K, V>(), [this.internals.name]);
    return new KStream<K, V | null>({
      dsl,
      name,
      keySerde: this.internals.keySerde as Serde<NonNullable<K>> | undefined,
      valueSerde: this.internals.valueSerde as Serde<NonNullable<V>> | undefined,
      repartitionRequired: false,
    });
  }

  /**
   * Re-groups rows under a new key and value for an aggregation with adder and subtractor; the
   * table then sends old values, so a row's previous contribution can be subtracted. The grouped
   * rows go through a repartition topic, which needs `key` and `value` serdes (default: the table's).
   */
  groupBy<KR, VR>(
    selector: (key: K, value: V) => KeyValue<KR, VR>,
    options: Grouped<KR, VR> = {},
  ): KGroupedTable<KR, VR> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KTABLE-SELECT-");
    addProcessor(dsl, name, tableRepartitionMapProcessor(selector), [this.internals.name]);
    this.internals.changes.enableSendingOldValues(true);
    return new KGroupedTable<KR, VR>({
      dsl,
      name,
      keySerde: options.key,
      valueSerde: options.value,
      groupedName: options.name,
    });
  }

  #filter(predicate: (key: K, value: V) => boolean, not: boolean, options: Named & Materialized<K, V>): KTable<K, V> {
    const { dsl } = this.internals;
    if (options.storeName === undefined && hasMaterialized(options)) dsl.newStoreName("KTABLE-FILTER-");
    const name = options.name ?? dsl.newProcessorName("KTABLE-FILTER-");
    const state = new TableNodeState({ storeName: options.storeName, parent: this.internals.changes });
    addProcessor(dsl, name, tableFilterProcessor(state, predicate, not), [this.internals.name]);
    const keySerde = options.key ?? this.internals.keySerde;
    const valueSerde = options.value ?? this.internals.valueSerde;
    if (options.storeName !== undefined) {
      addTimestampedStore(
        dsl,
        timestampedStoreBuilder(dsl, {
          storeName: options.storeName,
          materialized: options,
          keySerde,
          valueSerde,
          operation: not ? "KTable.filterNot" : "KTable.filter",
        }),
        name,
      );
    }
    return new KTable<K, V>({ dsl, name, keySerde, valueSerde, changes: state, queryableStoreName: options.storeName });
  }
}

/** A table replicated in full on every instance (Kafka's GlobalKTable); joins come in part 2. */
export class GlobalKTable<K, V> {
  readonly storeName: string;
  readonly queryableStoreName: string | undefined;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly dsl: DslContext;

  constructor(options: {
    readonly dsl: DslContext;
    readonly storeName: string;
    readonly queryableStoreName: string | undefined;
    readonly keySerde: Serde<K>;
    readonly valueSerde: Serde<V>;
  }) {
    this.dsl = options.dsl;
    this.storeName = options.storeName;
    this.queryableStoreName = options.queryableStoreName;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
  }
}
