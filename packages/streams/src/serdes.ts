// Serdes turn keys and values into bytes and back. Kafka's null (a missing key, a tombstone value)
// is not a serde's concern: the runtime maps null bytes to null and back, and the DSL types say
// where null can appear (stream sources: `K | null`, `V | null`; table values: never).
import { allocBytes, copyBytes, readInt32BE, readInt64BE, utf8ToString, writeInt32BE, writeInt64BE } from "./bytes.ts";
import type { Headers } from "./record.ts";

export interface SerdeContext {
  readonly topic: string;
  readonly headers: Headers;
}

export interface Serde<T> {
  serialize(value: T, context: SerdeContext): Uint8Array;
  /** Throws (any error) on bytes it cannot read; the runtime's deserialization-error policy decides what happens. */
  deserialize(bytes: Uint8Array, context: SerdeContext): T;
}

/** A serde failed to read or write a value (wrong length, bad JSON, a value out of range). */
export class SerializationError extends Error {
  override readonly name = "SerializationError";
}

function assertLength(bytes: Uint8Array, offset: number, length: number, what: string): void {
  if (bytes.byteLength - offset !== length) {
    throw new SerializationError(`${what}: expected ${length} bytes, got ${bytes.byteLength - offset}`);
  }
}

/** UTF-8 bytes. Buffer.from beats TextEncoder by an order of magnitude on short strings. */
function utf8(value: string): Uint8Array {
  return Buffer.from(value, "utf8");
}

/** Reads a value from `bytes[offset..]` in place. */
type ReadAt<T> = (bytes: Uint8Array, offset: number) => T;

/** How the built-in serdes read a value in place (their `deserialize` is `readAt(bytes, 0)`). */
const readersAt = new WeakMap<object, ReadAt<unknown>>();

/**
 * Serdes whose deserialize never returns a view of the bytes it reads (or anything holding one):
 * a store may then overwrite its bytes in place after handing out values read from them.
 */
const detachedSerdes = new WeakSet<object>();

/** Marks a serde whose values never share memory with the bytes they were read from. */
export function markDeserializesDetached<T>(serde: Serde<T>): Serde<T> {
  detachedSerdes.add(serde);
  return serde;
}

export function deserializesDetached(serde: Serde<unknown>): boolean {
  return detachedSerdes.has(serde);
}

function builtIn<T>(serialize: (value: T) => Uint8Array, readAt: ReadAt<T>): Serde<T> {
  const serde: Serde<T> = { serialize, deserialize: (bytes) => readAt(bytes, 0) };
  readersAt.set(serde, readAt);
  return markDeserializesDetached(serde);
}

/**
 * `serde.deserialize(bytes.subarray(offset), context)` as a function, without the view for the
 * built-in serdes: a view of a small array a store keeps would move it off the heap (bytes.ts).
 * For bytes that carry a prefix, such as Kafka's ValueAndTimestamp.
 */
export function deserializerAt<T>(serde: Serde<T>): (bytes: Uint8Array, offset: number, context: SerdeContext) => T {
  const readAt = readersAt.get(serde) as ReadAt<T> | undefined;
  if (readAt !== undefined) return (bytes, offset) => readAt(bytes, offset);
  return (bytes, offset, context) => serde.deserialize(bytes.subarray(offset), context);
}

// Like Java's new String(bytes, UTF_8): malformed sequences become U+FFFD rather than failing.
const stringSerde = builtIn<string>(utf8, utf8ToString);

const bytesSerde: Serde<Uint8Array> = markDeserializesDetached({
  serialize: (value) => value,
  // A copy (Buffer's own slice would be a view): the fetched buffer may be reused.
  deserialize: (bytes) => copyBytes(bytes),
});

const int16Serde = builtIn<number>(
  (value) => {
    if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff) {
      throw new SerializationError(`int16: ${value} is not a 16-bit integer`);
    }
    const out = allocBytes(2);
    out[0] = (value >>> 8) & 0xff;
    out[1] = value & 0xff;
    return out;
  },
  (bytes, offset) => {
    assertLength(bytes, offset, 2, "int16");
    return (((bytes[offset] as number) << 24) | ((bytes[offset + 1] as number) << 16)) >> 16;
  },
);

const int32Serde = builtIn<number>(
  (value) => {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new SerializationError(`int32: ${value} is not a 32-bit integer`);
    }
    const out = allocBytes(4);
    writeInt32BE(out, 0, value);
    return out;
  },
  (bytes, offset) => {
    assertLength(bytes, offset, 4, "int32");
    return readInt32BE(bytes, offset);
  },
);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const int64Serde = builtIn<bigint>(
  (value) => {
    if (value < INT64_MIN || value > INT64_MAX) throw new SerializationError(`int64: ${value} is out of range`);
    const out = allocBytes(8);
    out.writeBigInt64BE(value, 0);
    return out;
  },
  (bytes, offset) => {
    assertLength(bytes, offset, 8, "int64");
    const high = BigInt(readInt32BE(bytes, offset));
    const low = BigInt(readInt32BE(bytes, offset + 4) >>> 0);
    return (high << 32n) | low;
  },
);

const longSerde = builtIn<number>(
  (value) => {
    if (!Number.isSafeInteger(value)) throw new SerializationError(`long: ${value} is not a safe integer`);
    const out = allocBytes(8);
    writeInt64BE(out, 0, value);
    return out;
  },
  (bytes, offset) => {
    assertLength(bytes, offset, 8, "long");
    const value = readInt64BE(bytes, offset);
    if (value === undefined) {
      throw new SerializationError("long: the value does not fit a safe integer (use Serdes.int64() for bigint)");
    }
    return value;
  },
);

// IEEE-754 through a scratch view: Java writes floats big-endian.
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

function toScratch(bytes: Uint8Array, offset: number, length: number): void {
  for (let i = 0; i < length; i++) scratchBytes[i] = bytes[offset + i] as number;
}

const float32Serde = builtIn<number>(
  (value) => {
    scratch.setFloat32(0, value);
    return scratchBytes.slice(0, 4);
  },
  (bytes, offset) => {
    assertLength(bytes, offset, 4, "float32");
    toScratch(bytes, offset, 4);
    return scratch.getFloat32(0);
  },
);

const float64Serde = builtIn<number>(
  (value) => {
    scratch.setFloat64(0, value);
    return scratchBytes.slice(0, 8);
  },
  (bytes, offset) => {
    assertLength(bytes, offset, 8, "float64");
    toScratch(bytes, offset, 8);
    return scratch.getFloat64(0);
  },
);

const booleanSerde = builtIn<boolean>(
  (value) => new Uint8Array([value ? 1 : 0]),
  (bytes, offset) => {
    assertLength(bytes, offset, 1, "boolean");
    const byte = bytes[offset] as number;
    if (byte > 1) throw new SerializationError(`boolean: byte ${byte} is neither 0 nor 1`);
    return byte === 1;
  },
);

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const uuidSerde = builtIn<string>(
  (value) => {
    if (!UUID_PATTERN.test(value)) throw new SerializationError(`uuid: ${JSON.stringify(value)} is not a UUID`);
    return utf8(value);
  },
  (bytes, offset) => {
    const value = utf8ToString(bytes, offset);
    if (!UUID_PATTERN.test(value)) throw new SerializationError(`uuid: ${JSON.stringify(value)} is not a UUID`);
    return value;
  },
);

function jsonSerde<T>(): Serde<T> {
  return builtIn<T>(
    (value) => {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) throw new SerializationError(`json: ${typeof value} has no JSON form`);
      return utf8(text);
    },
    (bytes, offset) => {
      try {
        return JSON.parse(utf8ToString(bytes, offset)) as T;
      } catch (cause) {
        throw new SerializationError(`json: ${(cause as Error).message}`, { cause });
      }
    },
  );
}

/**
 * The built-in serdes. Their bytes are those of Kafka's own serdes of the same name (StringSerde,
 * LongSerde, DoubleSerde, ...), so topics are readable by Java applications and Kafka's tools.
 */
export const Serdes = {
  /** UTF-8 text (Kafka's StringSerde). */
  string: (): Serde<string> => stringSerde,
  /** JSON text in UTF-8. `T` is trusted: parse results are not validated. */
  json: <T>(): Serde<T> => jsonSerde<T>(),
  /** Raw bytes (Kafka's ByteArraySerde); deserializing copies them. */
  bytes: (): Serde<Uint8Array> => bytesSerde,
  /** 16-bit big-endian integer (Kafka's ShortSerde). */
  int16: (): Serde<number> => int16Serde,
  /** 32-bit big-endian integer (Kafka's IntegerSerde). */
  int32: (): Serde<number> => int32Serde,
  /** 64-bit big-endian integer as a bigint (Kafka's LongSerde). */
  int64: (): Serde<bigint> => int64Serde,
  /** Kafka's LongSerde for values that are safe integers, as numbers (counts, sums): the same bytes as int64. */
  long: (): Serde<number> => longSerde,
  /** IEEE-754 single precision, big-endian (Kafka's FloatSerde). */
  float32: (): Serde<number> => float32Serde,
  /** IEEE-754 double precision, big-endian (Kafka's DoubleSerde). */
  float64: (): Serde<number> => float64Serde,
  /** One byte, 0 or 1 (Kafka's BooleanSerde). */
  boolean: (): Serde<boolean> => booleanSerde,
  /** A UUID's text form in UTF-8 (Kafka's UUIDSerde). */
  uuid: (): Serde<string> => uuidSerde,
} as const;
