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
