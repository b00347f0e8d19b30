// Byte layouts of windowed keys, the same as Kafka Streams' so changelog and output topics are
// interchangeable with a Java application's: window-store changelog keys (WindowKeySchema: key,
// 8-byte window start, 4-byte sequence number), session keys (SessionKeySchema: key, 8-byte end,
// 8-byte start), windowed keys of output topics (TimeWindowedSerializer: key, 8-byte start;
// SessionWindowedSerializer: as the session key) and timestamped values (ValueAndTimestampSerializer:
// 8-byte timestamp, then the value). Integers are big-endian, as Java's ByteBuffer writes them.
import { allocBytes, copyBytes, readInt32BE, readInt64BE, writeInt32BE, writeInt64BE } from "../bytes.ts";
import { deserializerAt, deserializesDetached, markDeserializesDetached } from "../serdes.ts";
import type { Serde, SerdeContext } from "../serdes.ts";
import type { Windowed } from "./store.ts";

export const TIMESTAMP_BYTES = 8;
const SEQNUM_BYTES = 4;
/** Kafka's Integer.MAX_VALUE: sequence numbers wrap within 31 bits. */
export const SEQNUM_MAX = 0x7fffffff;

function writeInt64(bytes: Uint8Array, offset: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`timestamp ${value} is not a safe integer`);
  writeInt64BE(bytes, offset, value);
}

function readInt64(bytes: Uint8Array, offset: number): number {
  const value = readInt64BE(bytes, offset);
  if (value === undefined) {
    const exact = Buffer.from(bytes.subarray(offset, offset + TIMESTAMP_BYTES)).readBigInt64BE(0);
    throw new RangeError(`timestamp ${exact} does not fit a safe integer`);
  }
  return value;
}

function assertLength(bytes: Uint8Array, minBytes: number, what: string): void {
  if (bytes.byteLength < minBytes) {
    throw new RangeError(`${what} needs at least ${minBytes} bytes, got ${bytes.byteLength}`);
  }
}

// ---- window store keys (changelog of window stores) ----

/** Kafka's WindowKeySchema.toStoreKeyBinary: key bytes, window start (int64), seqnum (int32). */
export function windowStoreKeyBytes(keyBytes: Uint8Array, windowStartMs: number, seqnum: number): Uint8Array {
  if (!Number.isInteger(seqnum) || seqnum < 0 || seqnum > SEQNUM_MAX) throw new RangeError(`bad seqnum ${seqnum}`);
  const out = allocBytes(keyBytes.byteLength + TIMESTAMP_BYTES + SEQNUM_BYTES);
  out.set(keyBytes, 0);
  writeInt64(out, keyBytes.byteLength, windowStartMs);
  writeInt32BE(out, keyBytes.byteLength + TIMESTAMP_BYTES, seqnum);
  return out;
}

export interface WindowStoreKey {
  readonly keyBytes: Uint8Array;
  readonly windowStartMs: number;
  readonly seqnum: number;
}

export function parseWindowStoreKey(bytes: Uint8Array): WindowStoreKey {
  assertLength(bytes, TIMESTAMP_BYTES + SEQNUM_BYTES, "a window store key");
  const keyLength = bytes.byteLength - TIMESTAMP_BYTES - SEQNUM_BYTES;
  return {
    keyBytes: copyBytes(bytes.subarray(0, keyLength)),
    windowStartMs: readInt64(bytes, keyLength),
    seqnum: readInt32BE(bytes, keyLength + TIMESTAMP_BYTES),
  };
}

// ---- session keys (session store changelog and session-windowed output keys) ----

/** Kafka's SessionKeySchema.toBinary: key bytes, session end (int64), session start (int64). */
export function sessionKeyBytes(keyBytes: Uint8Array, startMs: number, endMs: number): Uint8Array {
  const out = allocBytes(keyBytes.byteLength + 2 * TIMESTAMP_BYTES);
  out.set(keyBytes, 0);
  writeInt64(out, keyBytes.byteLength, endMs);
  writeInt64(out, keyBytes.byteLength + TIMESTAMP_BYTES, startMs);
  return out;
}

export interface SessionKey {
  readonly keyBytes: Uint8Array;
  readonly startMs: number;
  readonly endMs: number;
}

export function parseSessionKey(bytes: Uint8Array): SessionKey {
  assertLength(bytes, 2 * TIMESTAMP_BYTES, "a session key");
  const keyLength = bytes.byteLength - 2 * TIMESTAMP_BYTES;
  return {
    keyBytes: copyBytes(bytes.subarray(0, keyLength)),
    endMs: readInt64(bytes, keyLength),
    startMs: readInt64(bytes, keyLength + TIMESTAMP_BYTES),
  };
}

// ---- windowed keys of output topics ----

/**
 * Kafka's `timeWindowForSize`: the end of a window of `windowSizeMs` starting at `startMs`,
 * capped where Kafka caps it at Long.MAX_VALUE (here: the largest safe integer).
 */
export function windowEndMs(startMs: number, windowSizeMs: number): number {
  const end = startMs + windowSizeMs;
  return Number.isSafeInteger(end) ? end : Number.MAX_SAFE_INTEGER;
}

/**
 * Kafka's TimeWindowedSerde (TimeWindowedSerializer + TimeWindowedDeserializer): key bytes followed
 * by the window start. The end is not on the wire; the deserializer derives it from `windowSizeMs`
 * (Kafka's `window.size.ms`). Sliding windows use their time difference as the size.
 */
export function timeWindowedSerde<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
  if (!Number.isSafeInteger(windowSizeMs) || windowSizeMs < 0) {
    throw new RangeError(`windowSizeMs must be a non-negative integer, got ${windowSizeMs}`);
  }
  return {
    serialize(windowed: Windowed<K>, context: SerdeContext): Uint8Array {
      const keyBytes = inner.serialize(windowed.key, context);
      const out = allocBytes(keyBytes.byteLength + TIMESTAMP_BYTES);
      out.set(keyBytes, 0);
      writeInt64(out, keyBytes.byteLength, windowed.window.startMs);
      return out;
    },
    deserialize(bytes: Uint8Array, context: SerdeContext): Windowed<K> {
      assertLength(bytes, TIMESTAMP_BYTES, "a time-windowed key");
      const keyLength = bytes.byteLength - TIMESTAMP_BYTES;
      const startMs = readInt64(bytes, keyLength);
      return {
        key: inner.deserialize(bytes.subarray(0, keyLength), context),
        window: { startMs, endMs: windowEndMs(startMs, windowSizeMs) },
      };
    },
  };
}

/** Kafka's SessionWindowedSerde: key bytes, session end, session start (SessionKeySchema). */
export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    serialize(windowed: Windowed<K>, context: SerdeContext): Uint8Array {
      return sessionKeyBytes(inner.serialize(windowed.key, context), windowed.window.startMs, windowed.window.endMs);
    },
    deserialize(bytes: Uint8Array, context: SerdeContext): Windowed<K> {
      const parsed = parseSessionKey(bytes);
      return {
        key: inner.deserialize(parsed.keyBytes, context),
        window: { startMs: parsed.startMs, endMs: parsed.endMs },
      };
    },
  };
}

// ---- timestamped values (values of Kafka's timestamped window stores) ----

/** A value with the timestamp Kafka keeps next to it in timestamped stores (the latest record's). */
export interface ValueAndTimestamp<V> {
  readonly value: V;
  readonly timestampMs: number;
}

/** The timestamp of a serialized ValueAndTimestamp (its first 8 bytes). */
export function readTimestamp(valueAndTimestampBytes: Uint8Array): number {
  assertLength(valueAndTimestampBytes, TIMESTAMP_BYTES, "a timestamped value");
  return readInt64(valueAndTimestampBytes, 0);
}

/** A serialized ValueAndTimestamp from the value's bytes (Kafka's RecordConverters.rawValueToTimestampedValue). */
export function prependTimestamp(timestampMs: number, valueBytes: Uint8Array): Uint8Array {
  const out = allocBytes(TIMESTAMP_BYTES + valueBytes.byteLength);
  writeInt64(out, 0, timestampMs);
  out.set(valueBytes, TIMESTAMP_BYTES);
  return out;
}

/** Kafka's ValueAndTimestampSerde: the timestamp (int64), then the value's bytes. */
export function valueAndTimestampSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  // Stores keep these bytes: the value is read in place, not through a view (see bytes.ts).
  const deserializeValue = deserializerAt(inner);
  const serde: Serde<ValueAndTimestamp<V>> = {
    serialize(data: ValueAndTimestamp<V>, context: SerdeContext): Uint8Array {
      return prependTimestamp(data.timestampMs, inner.serialize(data.value, context));
    },
    deserialize(bytes: Uint8Array, context: SerdeContext): ValueAndTimestamp<V> {
      assertLength(bytes, TIMESTAMP_BYTES, "a timestamped value");
      return {
        timestampMs: readInt64(bytes, 0),
        value: deserializeValue(bytes, TIMESTAMP_BYTES, context),
      };
    },
  };
  return deserializesDetached(inner) ? markDeserializesDetached(serde) : serde;
}
