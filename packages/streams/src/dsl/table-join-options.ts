// Options and function types of KTable joins: Kafka's TableJoined (a name for the nodes, store and
// topics of a foreign-key join), the foreign-key extractor in both of Kafka 4's forms (from the
// value, or from key and value), and the joiners' shapes per join kind (a missing row is null).
import type { Named } from "./options.ts";

/**
 * Kafka's TableJoined for foreign-key joins: `name` names the join's processors, its subscription
 * store and its two internal topics (`<name>-subscription-registration-topic`, ...). Kafka's custom
 * partitioners are not supported: both tables must be partitioned by their serialized keys with
 * the default partitioner (murmur2), as Samsa's producers and Kafka's default producers do.
 */
export type TableJoined = Named;

/**
 * The foreign key of a left row: a function of the value (Kafka's Function<V, KO>), or
 * `{ fromKeyAndValue }` of key and value (Kafka 4's BiFunction<K, V, KO>). null or undefined:
 * the row has no foreign key (an inner join skips it; a left join joins it with null).
 */
export type ForeignKeyExtractor<K, V, KO> =
  ((value: V) => KO | null | undefined) | { readonly fromKeyAndValue: (key: K, value: V) => KO | null | undefined };

/** The extractor as a function of key and value. */
export function foreignKeyFunction<K, V, KO>(
  extractor: ForeignKeyExtractor<K, V, KO>,
): (key: K, value: V) => KO | null | undefined {
  if (typeof extractor === "function") return (_key, value) => extractor(value);
  const { fromKeyAndValue } = extractor;
  return (key, value) => fromKeyAndValue(key, value);
}
