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
import { derivedValueGetter, storeValueGetter } from "../processors/table-value-getter.ts";
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
import { foreignKeyJoin } from "./foreign-key-join.ts";
import type { Grouped, Materialized, Named } from "./options.ts";
import { foreignKeyFunction, type ForeignKeyExtractor, type TableJoined } from "./table-join-options.ts";
import { joinTables, sideJoiner, tableValueGetter } from "./table-joins.ts";

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
      valueGetter: () =>
        state.storeName !== undefined
          ? storeValueGetter(state.storeName)
          : derivedValueGetter(tableValueGetter(this.internals), (key, row) => {
              const value = mapper(row.value, key) ?? undefined;
              return value === undefined ? undefined : { value, timestampMs: row.timestampMs };
            }),
      sourceNodes: this.internals.sourceNodes,
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

  /**
   * Foreign-key join (Kafka's KIP-213): each row joins the row of `other` whose key
   * `foreignKey` extracts from it; rows without a foreign key or a matching row are left out.
   * Needs the serdes of both tables (left key and value, right key and value).
   */
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKey: ForeignKeyExtractor<K, V, KO>,
    joiner: (value: V, foreignValue: VO) => VR | null | undefined,
    options?: TableJoined & Materialized<K, NonNullable<VR>>,
  ): KTable<K, NonNullable<VR>>;
  /** Inner join on the key: a row for each key both tables have; a key losing either side is deleted. */
  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO) => VR | null | undefined,
    options?: Named & Materialized<K, NonNullable<VR>>,
  ): KTable<K, NonNullable<VR>>;
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    second: ForeignKeyExtractor<K, V, KO> | ((value: V, otherValue: VO) => VR | null | undefined),
    third?: ((value: V, otherValue: VO) => VR | null | undefined) | (Named & Materialized<K, NonNullable<VR>>),
    fourth?: TableJoined & Materialized<K, NonNullable<VR>>,
  ): KTable<K, NonNullable<VR>> {
    return this.#join(false, other, second, third, fourth);
  }

  /**
   * Foreign-key left join: every row of this table, joined with the row of `other` its foreign
   * key names, or with null when there is none (or no foreign key).
   */
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKey: ForeignKeyExtractor<K, V, KO>,
    joiner: (value: V, foreignValue: VO | null) => VR | null | undefined,
    options?: TableJoined & Materialized<K, NonNullable<VR>>,
  ): KTable<K, NonNullable<VR>>;
  /** Left join on the key: a row for each key of this table, joined with null when `other` lacks it. */
  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, otherValue: VO | null) => VR | null | undefined,
    options?: Named & Materialized<K, NonNullable<VR>>,
  ): KTable<K, NonNullable<VR>>;
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    second: ForeignKeyExtractor<K, V, KO> | ((value: V, otherValue: VO | null) => VR | null | undefined),
    third?: ((value: V, otherValue: VO | null) => VR | null | undefined) | (Named & Materialized<K, NonNullable<VR>>),
    fourth?: TableJoined & Materialized<K, NonNullable<VR>>,
  ): KTable<K, NonNullable<VR>> {
    return this.#join(true, other, second, third, fourth);
  }

  /** Outer join on the key: a row for each key either table has, the missing side as null. */
  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V | null, otherValue: VO | null) => VR | null | undefined,
    options: Named & Materialized<K, NonNullable<VR>> = {},
  ): KTable<K, NonNullable<VR>> {
    return joinTables<K, V, VO, NonNullable<VR>>({
      left: this.internals,
      right: other.internals,
      kind: "outer",
      joiner: sideJoiner(joiner),
      options,
    });
  }

  #join<KO, VO, VR>(
    leftJoin: boolean,
    other: KTable<KO, VO>,
    second: ForeignKeyExtractor<K, V, KO> | ((value: V, otherValue: VO) => VR | null | undefined),
    third:
      ((value: V, otherValue: VO) => VR | null | undefined) | (Named & Materialized<K, NonNullable<VR>>) | undefined,
    fourth: (TableJoined & Materialized<K, NonNullable<VR>>) | undefined,
  ): KTable<K, NonNullable<VR>> {
    // Inner joins never call the joiner with a missing side.
    const joiner = (fn: (value: V, otherValue: VO) => VR | null | undefined) =>
      sideJoiner<V, VO, VR>(fn as (value: V | null, otherValue: VO | null) => VR | null | undefined);
    if (typeof third === "function") {
      return foreignKeyJoin<K, V, KO, VO, NonNullable<VR>>({
        left: this.internals,
        right: other.internals,
        foreignKey: foreignKeyFunction(second as ForeignKeyExtractor<K, V, KO>),
        joiner: joiner(third),
        leftJoin,
        options: fourth ?? {},
      });
    }
    return joinTables<K, V, VO, NonNullable<VR>>({
      left: this.internals,
      right: other.internals as unknown as TableInternals<K, VO>,
      kind: leftJoin ? "left" : "inner",
      joiner: joiner(second as (value: V, otherValue: VO) => VR | null | undefined),
      options: third ?? {},
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
    return new KTable<K, V>({
      dsl,
      name,
      keySerde,
      valueSerde,
      changes: state,
      queryableStoreName: options.storeName,
      valueGetter: () =>
        state.storeName !== undefined
          ? storeValueGetter(state.storeName)
          : derivedValueGetter(tableValueGetter(this.internals), (key, row) =>
              predicate(key, row.value) !== not ? row : undefined,
            ),
      sourceNodes: this.internals.sourceNodes,
    });
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
