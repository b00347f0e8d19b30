// The options of DSL operations, as plain objects (Kafka's Consumed, Produced, Grouped,
// Repartitioned, Materialized and Named): every field optional, serdes as `key` and `value`.
import type { Serde } from "../serdes.ts";
import type { StoreType } from "../state/stores.ts";
import type { TimestampExtractor } from "../topology/internal-builder.ts";

/** The processor's name (Kafka's Named); generated as KSTREAM-<OPERATION>-<index> when absent. */
export interface Named {
  readonly name?: string;
}

/** Reading a topic (Kafka's Consumed): serdes (default bytes) and event time. */
export interface Consumed<K, V> extends Named {
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor;
}

/** Writing a topic (Kafka's Produced); serdes default to the stream's. */
export interface Produced<K, V> extends Named {
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
}

/**
 * Grouping (Kafka's Grouped): serdes for the repartition topic, and `name`, which names it
 * (`<name>-repartition`) and its nodes instead of the store's name.
 */
export interface Grouped<K, V> extends Named {
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
}

/** Kafka's Repartitioned: the topic is `<name>-repartition`; `partitions` fixes its partition count. */
export interface Repartitioned<K, V> extends Named {
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  readonly partitions?: number;
}

/**
 * How a table's store is made (Kafka's Materialized): `storeName` makes it queryable under that
 * name (and names its changelog); serdes default to the table's; `storeType` defaults to the
 * builder's; the changelog is on unless `logging: false`.
 */
export interface Materialized<K, V> {
  readonly storeName?: string;
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  readonly storeType?: StoreType;
  readonly logging?: boolean | { readonly configs: Readonly<Record<string, string>> };
}
