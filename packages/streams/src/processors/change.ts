// A change of a table row (Kafka's Change): what table processors forward — the new value and,
// when a downstream operation asked for them (subtractors), the old one. undefined: no value (a
// deleted row, or an old value not sent). Also Kafka's ChangedSerializer/Deserializer bytes, used
// on the repartition topics of table aggregations.
import { SerializationError, type Serde, type SerdeContext } from "../serdes.ts";

export interface Change<V> {
  readonly newValue: V | undefined;
  readonly oldValue: V | undefined;
}

// Kafka's layout: {old}{0} | {new}{1} | {varint newLength}{new}{old}{2}
const OLD_ONLY = 0;
const NEW_ONLY = 1;
const BOTH = 2;

function zigzagVarint(value: number): number[] {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  const bytes: number[] = [];
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return bytes;
}

function readZigzagVarint(bytes: Uint8Array): { value: number; length: number } {
  let raw = 0;
  let shift = 0;
  for (let i = 0; i < 5 && i < bytes.length; i++) {
    const byte = bytes[i] as number;
    raw |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value: (raw >>> 1) ^ -(raw & 1), length: i + 1 };
    shift += 7;
  }
  throw new SerializationError("change: bad varint length");
}

/** Kafka's ChangedSerializer/ChangedDeserializer over `inner`. */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return {
    serialize(change: Change<V>, context: SerdeContext): Uint8Array {
      const newBytes = change.newValue === undefined ? undefined : inner.serialize(change.newValue, context);
      const oldBytes = change.oldValue === undefined ? undefined : inner.serialize(change.oldValue, context);
      if (newBytes !== undefined && oldBytes !== undefined) {
        const length = zigzagVarint(newBytes.length);
        const out = new Uint8Array(length.length + newBytes.length + oldBytes.length + 1);
        out.set(length, 0);
        out.set(newBytes, length.length);
        out.set(oldBytes, length.length + newBytes.length);
        out[out.length - 1] = BOTH;
        return out;
      }
      const only = newBytes ?? oldBytes;
      if (only === undefined) throw new SerializationError("change: both old and new values are missing");
      const out = new Uint8Array(only.length + 1);
      out.set(only, 0);
      out[only.length] = newBytes !== undefined ? NEW_ONLY : OLD_ONLY;
      return out;
    },
    deserialize(bytes: Uint8Array, context: SerdeContext): Change<V> {
      if (bytes.length < 1) throw new SerializationError("change: no bytes");
      const flag = bytes[bytes.length - 1] as number;
      const body = bytes.subarray(0, bytes.length - 1);
      switch (flag) {
        case OLD_ONLY:
          return { newValue: undefined, oldValue: inner.deserialize(body, context) };
        case NEW_ONLY:
          return { newValue: inner.deserialize(body, context), oldValue: undefined };
        case BOTH: {
          const { value: newLength, length } = readZigzagVarint(body);
          if (newLength < 0 || length + newLength > body.length) throw new SerializationError("change: bad length");
          return {
            newValue: inner.deserialize(body.subarray(length, length + newLength), context),
            oldValue: inner.deserialize(body.subarray(length + newLength), context),
          };
        }
        default:
          throw new SerializationError(`change: unknown encoding flag ${flag}`);
      }
    },
  };
}
