// Serdes turn keys and values into bytes and back. Kafka's null (a missing key, a tombstone value)
// is not a serde's concern: the runtime maps null bytes to null and back, and the DSL types say
// where null can appear (stream sources: `K | null`, `V | null`; table values: never).
import { readInt32BE, readInt64BE, writeInt32BE, writeInt64BE } from "./bytes.ts";
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

const utf8Decoder = new TextDecoder("utf-8");

function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.byteLength !== length) {
    throw new SerializationError(`${what}: expected ${length} bytes, got ${bytes.byteLength}`);
  }
}

/** UTF-8 bytes. Buffer.from beats TextEncoder by an order of magnitude on short strings. */
function utf8(value: string): Uint8Array {
  return Buffer.from(value, "utf8");
}

const stringSerde: Serde<string> = {
  serialize: utf8,
  // Like Java's new String(bytes, UTF_8): malformed sequences become U+FFFD rather than failing.
  deserialize: (bytes) => utf8Decoder.decode(bytes),
};

const bytesSerde: Serde<Uint8Array> = {
  serialize: (value) => value,
  // A copy: the runtime may reuse the fetched buffer once the record is processed.
  deserialize: (bytes) => bytes.slice(),
};

const int16Serde: Serde<number> = {
  serialize(value) {
    if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff) {
      throw new SerializationError(`int16: ${value} is not a 16-bit integer`);
    }
    return new Uint8Array([(value >>> 8) & 0xff, value & 0xff]);
  },
  deserialize(bytes) {
    assertLength(bytes, 2, "int16");
    return (((bytes[0] as number) << 24) | ((bytes[1] as number) << 16)) >> 16;
  },
};

const int32Serde: Serde<number> = {
  serialize(value) {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new SerializationError(`int32: ${value} is not a 32-bit integer`);
    }
    const out = new Uint8Array(4);
    writeInt32BE(out, 0, value);
    return out;
  },
  deserialize(bytes) {
    assertLength(bytes, 4, "int32");
    return readInt32BE(bytes, 0);
  },
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const int64Serde: Serde<bigint> = {
  serialize(value) {
    if (value < INT64_MIN || value > INT64_MAX) throw new SerializationError(`int64: ${value} is out of range`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, value);
    return out;
  },
  deserialize(bytes) {
    assertLength(bytes, 8, "int64");
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0);
  },
};

const longSerde: Serde<number> = {
  serialize(value) {
    if (!Number.isSafeInteger(value)) throw new SerializationError(`long: ${value} is not a safe integer`);
    const out = new Uint8Array(8);
    writeInt64BE(out, 0, value);
    return out;
  },
  deserialize(bytes) {
    assertLength(bytes, 8, "long");
    const value = readInt64BE(bytes, 0);
    if (value === undefined) {
      throw new SerializationError("long: the value does not fit a safe integer (use Serdes.int64() for bigint)");
    }
    return value;
  },
};

// IEEE-754 through a scratch view: Java writes floats big-endian.
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

const float32Serde: Serde<number> = {
  serialize(value) {
    scratch.setFloat32(0, value);
    return scratchBytes.slice(0, 4);
  },
  deserialize(bytes) {
    assertLength(bytes, 4, "float32");
    scratchBytes.set(bytes);
    return scratch.getFloat32(0);
  },
};

const float64Serde: Serde<number> = {
  serialize(value) {
    scratch.setFloat64(0, value);
    return scratchBytes.slice(0, 8);
  },
  deserialize(bytes) {
    assertLength(bytes, 8, "float64");
    scratchBytes.set(bytes);
    return scratch.getFloat64(0);
  },
};

const booleanSerde: Serde<boolean> = {
  serialize: (value) => new Uint8Array([value ? 1 : 0]),
  deserialize(bytes) {
    assertLength(bytes, 1, "boolean");
    const byte = bytes[0] as number;
    if (byte > 1) throw new SerializationError(`boolean: byte ${byte} is neither 0 nor 1`);
    return byte === 1;
  },
};

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const uuidSerde: Serde<string> = {
  serialize(value) {
    if (!UUID_PATTERN.test(value)) throw new SerializationError(`uuid: ${JSON.stringify(value)} is not a UUID`);
    return utf8(value);
  },
  deserialize(bytes) {
    const value = utf8Decoder.decode(bytes);
    if (!UUID_PATTERN.test(value)) throw new SerializationError(`uuid: ${JSON.stringify(value)} is not a UUID`);
    return value;
  },
};

/**
 * The built-in serdes. Their bytes are those of Kafka's own serdes of the same name (StringSerde,
 * LongSerde, DoubleSerde, ...), so topics are readable by Java applications and Kafka's tools.
 */
export const Serdes = {
  /** UTF-8 text (Kafka's StringSerde). */
  string: (): Serde<string> => stringSerde,
  /** JSON text in UTF-8. `T` is trusted: parse results are not validated. */
  json: <T>(): Serde<T> => ({
    serialize(value: T): Uint8Array {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) throw new SerializationError(`json: ${typeof value} has no JSON form`);
      return utf8(text);
    },
    deserialize(bytes: Uint8Array): T {
      try {
        return JSON.parse(utf8Decoder.decode(bytes)) as T;
      } catch (cause) {
        throw new SerializationError(`json: ${(cause as Error).message}`, { cause });
      }
    },
  }),
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
