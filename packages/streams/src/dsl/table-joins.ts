// Building KTable–KTable joins into the topology (Kafka's KTableImpl.doJoin), and what all table
// joins share: reading a table's rows through its value getter (materializing a source table when
// a join needs its rows), and the co-partitioning of the tables' source topics. Node and store
// names follow Kafka's counter: the merge store (when Materialized is given), KTABLE-MERGE-,
// KTABLE-JOINTHIS-, KTABLE-JOINOTHER- (or `<name>`, `<name>-join-this`, `<name>-join-other`).
import {
  joinedValueGetter,
  TableJoinState,
  tableJoinMergeProcessor,
  tableTableJoinProcessor,
  type SideJoiner,
  type TableJoinSideKind,
} from "../processors/table-table-join.ts";
import { storeValueGetter, type TableValueGetterSupplier } from "../processors/table-value-getter.ts";
import { TopologyError } from "../topology/errors.ts";
import {
  addProcessor,
  addTimestampedStore,
  tableFromNode,
  timestampedStoreBuilder,
  type DslContext,
  type TableInternals,
} from "./internal.ts";
import { hasMaterialized, type KTable } from "./ktable.ts";
import type { Materialized, Named } from "./options.ts";

/**
 * How a join reads `table`'s rows. A table without a getter of its own is read from its store; a
 * source table that is not materialized yet is materialized by asking it for old values (its
 * only way to materialize): it then also forwards old values, which the processors after it
 * ignore unless they asked for them too.
 */
export function tableValueGetter<K, V>(table: TableInternals<K, V>): TableValueGetterSupplier<K, V> {
  if (table.valueGetter !== undefined) return table.valueGetter();
  if (table.changes.storeName === undefined) table.changes.enableSendingOldValues(true);
  const storeName = table.changes.storeName;
  if (storeName === undefined) {
    throw new TopologyError(`table ${table.name} cannot be joined: it has no store to read its rows from`);
  }
  return storeValueGetter(storeName);
}

/** The source nodes of a table (Kafka's subTopologySourceNodes): given, or its ancestors' sources. */
export function tableSourceNodes(table: TableInternals<unknown, unknown>): string[] {
  if (table.sourceNodes !== undefined) return [...table.sourceNodes];
  const { nodes } = table.dsl.builder;
  const sources: string[] = [];
  const seen = new Set<string>();
  const pending = [table.name];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const node = nodes.get(name);
    if (node === undefined) continue;
    if (node.kind === "source") sources.push(name);
    else pending.push(...node.parents);
  }
  return sources.sort();
}

/** Requires the tables' source topics to be co-partitioned (Kafka's ensureCopartitionWith); returns all their sources. */
export function copartitionTables(dsl: DslContext, tables: readonly TableInternals<unknown, unknown>[]): string[] {
  const sources = [...new Set(tables.flatMap((table) => tableSourceNodes(table)))];
  dsl.builder.copartitionSources(sources);
  return sources;
}

function connectStores(
  dsl: DslContext,
  processorName: string,
  getter: TableValueGetterSupplier<unknown, unknown>,
): void {
  for (const store of getter.storeNames) dsl.builder.connectProcessorAndStore(processorName, store);
}

/** The kind of the other side's processor: a left join's other side keeps the left rows ("right"). */
const otherSideKind: Record<"inner" | "left" | "outer", TableJoinSideKind> = {
  inner: "inner",
  left: "right",
  outer: "outer",
};

/** KTable.join / leftJoin / outerJoin on the primary key (Kafka's KTableImpl.doJoin). */
export function joinTables<K, V, VO, VR>(params: {
  readonly left: TableInternals<K, V>;
  readonly right: TableInternals<K, VO>;
  readonly kind: "inner" | "left" | "outer";
  readonly joiner: SideJoiner<V, VO, VR>;
  readonly options: Named & Materialized<K, VR>;
}): KTable<K, VR> {
  const { left, right, kind, joiner, options } = params;
  const { dsl } = left;
  if (right.dsl.builder !== dsl.builder)
    throw new TopologyError("a join's tables must come from the same StreamsBuilder");
  const materialized = hasMaterialized(options);
  // Kafka's order: the store's name (Materialized), the merge node's, then the sides'.
  const storeName = materialized ? (options.storeName ?? dsl.newStoreName("KTABLE-MERGE-")) : undefined;
  // A given name still burns the index of the generated one, as Kafka does.
  const nameOf = (suffix: string, prefix: string): string => {
    const generated = dsl.newProcessorName(prefix);
    return options.name !== undefined ? `${options.name}${suffix}` : generated;
  };
  const mergeName = nameOf("", "KTABLE-MERGE-");
  const sourceNodes = copartitionTables(dsl, [left, right]);
  // A left (outer) join must see the left (right) side's old values to tell a delete of a row
  // that was there from one that was not.
  if (kind !== "inner") left.changes.enableSendingOldValues(true);
  if (kind === "outer") right.changes.enableSendingOldValues(true);
  const leftGetter = tableValueGetter(left);
  const rightGetter = tableValueGetter(right);
  const thisName = nameOf("-join-this", "KTABLE-JOINTHIS-");
  const otherName = nameOf("-join-other", "KTABLE-JOINOTHER-");
  const state = new TableJoinState({ left: left.changes, right: right.changes, storeName });
  const reversed: SideJoiner<VO, V, VR> = (thisValue, otherValue) => joiner(otherValue, thisValue);
  addProcessor(
    dsl,
    thisName,
    tableTableJoinProcessor<K, V, VO, VR>({ kind, other: rightGetter, joiner, state, logger: dsl.logger }),
    [left.name],
  );
  addProcessor(
    dsl,
    otherName,
    tableTableJoinProcessor<K, VO, V, VR>({
      kind: otherSideKind[kind],
      other: leftGetter,
      joiner: reversed,
      state,
      logger: dsl.logger,
    }),
    [right.name],
  );
  addProcessor(dsl, mergeName, tableJoinMergeProcessor<K, VR>(state), [thisName, otherName]);
  connectStores(dsl, thisName, rightGetter);
  connectStores(dsl, otherName, leftGetter);
  const keySerde = options.key ?? left.keySerde;
  if (storeName !== undefined) {
    addTimestampedStore(
      dsl,
      timestampedStoreBuilder(dsl, {
        storeName,
        materialized: options,
        keySerde,
        valueSerde: options.value,
        operation: `KTable.${kind === "inner" ? "join" : `${kind}Join`}`,
      }),
      mergeName,
    );
  }
  return tableFromNode<K, VR>({
    dsl,
    name: mergeName,
    keySerde,
    valueSerde: options.value,
    changes: state,
    queryableStoreName: storeName,
    valueGetter: () =>
      storeName !== undefined
        ? storeValueGetter<K, VR>(storeName)
        : joinedValueGetter({ kind, left: leftGetter, right: rightGetter, joiner }),
    sourceNodes,
  });
}

/** A user's joiner as a side joiner: missing rows as null, a null result as no row. */
export function sideJoiner<V1, V2, VR>(
  joiner: (value: V1 | null, otherValue: V2 | null) => VR | null | undefined,
): SideJoiner<V1, V2, NonNullable<VR>> {
  return (value, otherValue) => joiner(value ?? null, otherValue ?? null) ?? undefined;
}
