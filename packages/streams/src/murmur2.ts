// Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2) and its default partitioner
// for keyed records: the partition of a key is toPositive(murmur2(keyBytes)) % partitions, so a
// record keyed here lands where a Java producer would put it (co-partitioning depends on it).

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Kafka's murmur2 over `data`: a signed 32-bit integer, as Java computes it. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24) | 0;
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The tail bytes, as Java's fall-through switch on length % 4.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which overflows on MIN_VALUE). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(keyBytes: Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions <= 0)
    throw new RangeError(`partitions must be ≥ 1, got ${partitions}`);
  return toPositive(murmur2(keyBytes)) % partitions;
}
