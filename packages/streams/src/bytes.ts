// Big-endian integers in byte arrays, as Java's ByteBuffer writes them, without DataView or
// BigInt on the way: serdes and stores call these once or twice per record.

const TWO_32 = 4294967296;

/** Writes a safe integer as a big-endian int64 (Kafka's long). */
export function writeInt64BE(bytes: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  const low = value - high * TWO_32;
  writeInt32BE(bytes, offset, high);
  writeInt32BE(bytes, offset + 4, low);
}

/** Reads a big-endian int64; undefined when it does not fit a safe integer. */
export function readInt64BE(bytes: Uint8Array, offset: number): number | undefined {
  const high = readInt32BE(bytes, offset);
  // Safe integers have |value| < 2^53: the high word is within [-2^21, 2^21).
  if (high < -0x200000 || high >= 0x200000) {
    // -2^53 itself is not safe; everything else in range is.
    return undefined;
  }
  const value = high * TWO_32 + (readInt32BE(bytes, offset + 4) >>> 0);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function writeInt32BE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

/** Reads a big-endian int32 (signed). */
export function readInt32BE(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) << 24) |
    ((bytes[offset + 1] as number) << 16) |
    ((bytes[offset + 2] as number) << 8) |
    (bytes[offset + 3] as number)
  );
}

// ---- byte arrays on the hot path ----
//
// V8 keeps typed arrays of up to 64 bytes on its heap; the first view of one (`.buffer`, a
// DataView, `subarray`, Buffer.from(bytes.buffer, …)) moves its bytes off the heap, which costs
// 0.3–0.7 µs — several times a copy. So small arrays are copied or read in place, never viewed,
// and serializers allocate Buffers directly.

/** V8's typed_array_max_size_in_heap: arrays up to this size live on the JS heap. */
const ON_HEAP_BYTES_MAX = 64;

/**
 * Fresh bytes for a serializer to fill completely: a Buffer (what the client library sends
 * without another copy), small ones cut from Node's shared pool. Not for bytes a store keeps
 * (one kept slice would keep its whole 8 KiB pool slab alive): stores keep `copyBytes`.
 */
export function allocBytes(length: number): Buffer {
  return Buffer.allocUnsafe(length);
}

/** The same bytes as a Buffer: itself when it is one, else a copy when small and a view when large. */
export function toBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes.byteLength <= ON_HEAP_BYTES_MAX) return Buffer.from(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * An exact-size copy that shares memory with nothing: what stores keep. (Buffer's `slice` is a
 * view, and a view of a fetched record or a pooled Buffer would keep a whole buffer alive.)
 * Small copies live on the JS heap: read them in place (`serdes.ts` deserializeAt), not through
 * a view.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/**
 * Latin-1 text of bytes: one UTF-16 code unit per byte, so strings compare as the bytes do
 * (Kafka's unsigned lexicographic Bytes order) and can key a Map.
 */
export function bytesToLatin1(bytes: Uint8Array): string {
  return toBuffer(bytes).toString("latin1");
}

/**
 * UTF-8 text of bytes from `offset` to the end; malformed sequences become U+FFFD and a BOM is
 * kept, as Java's `new String(bytes, UTF_8)` does.
 */
export function utf8ToString(bytes: Uint8Array, offset = 0): string {
  // Without arguments toString is Node's shortest path to its decoder (TextDecoder costs more per call).
  return offset === 0 ? toBuffer(bytes).toString() : toBuffer(bytes).toString("utf8", offset);
}
