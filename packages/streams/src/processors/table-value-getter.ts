// A table's value getter (Kafka's KTableValueGetterSupplier): how a join reads the current row of
// a table by key — from the table's own store when it is materialized, else computed on the fly
// from its parent's getter (an unmaterialized filter or mapValues, a join's result). The getter
// names the stores it reads, which the DSL connects to the processors that use it.
import type { ProcessorContext } from "../processor.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import { TopologyError } from "../topology/errors.ts";
import type { TimestampedKeyValueStore } from "./table-processors.ts";

/** Reads rows of a table (in a processor's task). */
export interface TableValueGetter<K, V> {
  get(key: K): ValueAndTimestamp<V> | undefined;
}

export interface TableValueGetterSupplier<K, V> {
  /** The stores the getter reads: connected to each processor using it. */
  readonly storeNames: readonly string[];
  /** The getter for a processor, reading the stores connected to it through `context`. */
  create(context: ProcessorContext<unknown, unknown>): TableValueGetter<K, V>;
}

/** A getter over a DSL table's timestamped key-value store (Kafka's KTableMaterializedValueGetterSupplier). */
export function storeValueGetter<K, V>(storeName: string): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    create(context) {
      const store = context.getStateStore<TimestampedKeyValueStore<K, V>>(storeName);
      if (typeof (store as Partial<TimestampedKeyValueStore<K, V>>).get !== "function") {
        throw new TopologyError(`store ${storeName} is not a key-value store: a windowed table cannot be joined`);
      }
      return { get: (key) => store.get(key) };
    },
  };
}

/**
 * A getter that derives its rows from the parent's (filter, mapValues): `compute` gets the
 * parent's row and returns this table's, or undefined when the row is not in this table.
 */
export function derivedValueGetter<K, VP, V>(
  parent: TableValueGetterSupplier<K, VP>,
  compute: (key: K, row: ValueAndTimestamp<VP>) => ValueAndTimestamp<V> | undefined,
): TableValueGetterSupplier<K, V> {
  return {
    storeNames: parent.storeNames,
    create(context) {
      const getter = parent.create(context);
      return {
        get(key) {
          const row = getter.get(key);
          return row === undefined ? undefined : compute(key, row);
        },
      };
    },
  };
}
