// The options and function types of KStream joins, as plain objects: Kafka's StreamJoined
// (stream–stream joins: names, serdes and the join stores) and Joined (stream–table joins), and the
// joiner and key-mapper functions. A joiner takes the key last, so `(value, other) => …` is Kafka's
// ValueJoiner and `(value, other, key) => …` its ValueJoinerWithKey, as mapValues takes `(value, key)`.
import type { Serde } from "../serdes.ts";
import type { StoreType } from "../state/stores.ts";

/**
 * Combines a record's value with the other side's (Kafka's ValueJoiner / ValueJoinerWithKey).
 * `other` is null in a left or outer join when nothing joined; `value` is null for the right side's
 * unmatched records of an outer join.
 */
export type ValueJoiner<K, V, VO, VR> = (value: V, other: VO, key: K) => VR;

/**
 * Stream–global-table joins: also given the global table's key the key mapper chose (Kafka's
 * ValueJoinerWithStreamAndMappedKey), null when it chose none.
 */
export type GlobalValueJoiner<K, V, KG, VG, VR> = (value: V, other: VG, key: K, globalKey: KG) => VR;

/**
 * A stream–stream join's options (Kafka's StreamJoined). `name` names the processors
 * (`<name>-this-join`, `<name>-merge`, …) and the repartition topics (`<name>-left-repartition`,
 * `<name>-right-repartition`); `storeName` names the join stores (`<storeName>-this-join-store`, …)
 * and so their changelogs. Serdes default to the streams' own (Kafka takes its default serdes from
 * the configuration instead).
 */
export interface StreamJoined<K, V, VO> {
  readonly name?: string;
  readonly storeName?: string;
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  readonly otherValue?: Serde<VO>;
  /** Of the two window stores and the outer-join store; default: the builder's default store type. */
  readonly storeType?: StoreType;
  /** The stores' changelogs: on (default) or off, or on with topic configs. */
  readonly logging?: boolean | { readonly configs: Readonly<Record<string, string>> };
}

/**
 * A stream–table join's options (Kafka's Joined): `name` names the join processor and, when the
 * stream is repartitioned first, its repartition topic (`<name>-repartition`); `key` and `value` are
 * the serdes of that topic (default: the stream's). Kafka's `gracePeriod` needs versioned tables,
 * which Samsa does not have.
 */
export interface Joined<K, V, VO> {
  readonly name?: string;
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
  /** The table's value serde (Kafka's otherValueSerde); unused here, accepted for symmetry. */
  readonly otherValue?: Serde<VO>;
}
