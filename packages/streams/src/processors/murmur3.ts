// Murmur3's 128-bit x64 variant with the seed Kafka Streams uses (104729): the hash of a left
// value that a foreign-key join sends with its subscription and gets back with the response, so a
// response computed for a value that has since changed is recognised as stale and dropped. The
// 16 bytes are the two 64-bit halves big-endian, as they appear on the FK-join topics.

const MASK64 = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;
const N1 = 0x52dce729n;
const N2 = 0x38495ab5n;
const SEED = 104729n;

function rotl64(value: bigint, bits: bigint): bigint {
  return ((value << bits) | (value >> (64n - bits))) & MASK64;
}

function fmix64(h: bigint): bigint {
  let k = h;
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & MASK64;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & MASK64;
  k ^= k >> 33n;
  return k;
}

/** The little-endian 64-bit word of `length` (≤ 8) bytes at `offset`. */
function readWordLE(data: Uint8Array, offset: number, length: number): bigint {
  let low = 0;
  let high = 0;
  for (let i = 0; i < length && i < 4; i++) low |= (data[offset + i] as number) << (8 * i);
  for (let i = 4; i < length; i++) high |= (data[offset + i] as number) << (8 * (i - 4));
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

function mixK1(k: bigint): bigint {
  return (rotl64((k * C1) & MASK64, 31n) * C2) & MASK64;
}

function mixK2(k: bigint): bigint {
  return (rotl64((k * C2) & MASK64, 33n) * C1) & MASK64;
}

/** Kafka Streams' Murmur3.hash128(data): 16 bytes, h1 then h2, each big-endian. */
export function murmur3Hash128(data: Uint8Array): Uint8Array {
  const length = data.length;
  let h1 = SEED;
  let h2 = SEED;
  const blocks = length >>> 4;
  for (let i = 0; i < blocks; i++) {
    const offset = i << 4;
    h1 ^= mixK1(readWordLE(data, offset, 8));
    h1 = rotl64(h1, 27n);
    h1 = (h1 + h2) & MASK64;
    h1 = (h1 * 5n + N1) & MASK64;
    h2 ^= mixK2(readWordLE(data, offset + 8, 8));
    h2 = rotl64(h2, 31n);
    h2 = (h2 + h1) & MASK64;
    h2 = (h2 * 5n + N2) & MASK64;
  }
  const tail = blocks << 4;
  const rest = length - tail;
  if (rest > 8) h2 ^= mixK2(readWordLE(data, tail + 8, rest - 8));
  if (rest > 0) h1 ^= mixK1(readWordLE(data, tail, Math.min(rest, 8)));
  const len = BigInt(length);
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) & MASK64;
  h2 = (h2 + h1) & MASK64;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = (h1 + h2) & MASK64;
  h2 = (h2 + h1) & MASK64;
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, h1);
  view.setBigUint64(8, h2);
  return out;
}
