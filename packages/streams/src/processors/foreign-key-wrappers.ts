// The records of a foreign-key join's internal topics and subscription store, in Kafka Streams'
// byte layouts so either implementation can read the other's topics:
//   subscription (registration topic value, store value), version 1:
//     {flags: 0x80 if no hash | version}{instruction}{16-byte hash, if any}{primary key}{int32 primary partition}
//   response (response topic value), version 0:
//     {flags: 0x80 if no hash | version}{16-byte hash, if any}{foreign value, absent when null}
//   combined key (subscription store key): {int32 foreign key length}{foreign key}{primary key}
// Serdes of the keys inside see Kafka's pseudo topics `<app>-<registration topic>-pk` / `-fk`.
import { readInt32BE, writeInt32BE } from "../bytes.ts";
import { SerializationError, type Serde, type SerdeContext } from "../serdes.ts";

/**
 * What a subscription asks the right side to do (Kafka's SubscriptionWrapper.Instruction, by its
 * byte value): drop the subscription, silently or answering with a delete; or keep it and answer
 * even when there is no right row (with a null), or only when there is one.
 */
export const Instruction = {
  DELETE_KEY_NO_PROPAGATE: 0,
  DELETE_KEY_AND_PROPAGATE: 1,
  PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE: 2,
  PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE: 3,
} as const;
export type Instruction = (typeof Instruction)[keyof typeof Instruction];

export const SUBSCRIPTION_VERSION = 1;
export const RESPONSE_VERSION = 0;
const HASH_BYTES = 16;
const NO_HASH = 0x80;

export interface SubscriptionWrapper<K> {
  /** Murmur3-128 of the left value this subscription was sent for; undefined for a deleted left row. */
  readonly hash: Uint8Array | undefined;
  readonly instruction: Instruction;
  readonly primaryKey: K;
  /** The left row's partition, where the response must go back to (absent in version 0). */
  readonly primaryPartition: number | undefined;
  readonly version: number;
}

export interface SubscriptionResponseWrapper<VO> {
  readonly hash: Uint8Array | undefined;
  /** The right row's value; undefined when there is none. */
  readonly foreignValue: VO | undefined;
  readonly version: number;
}

/** The pseudo topics a join's key serdes see, once the application id is known (set by the join's processors). */
export class ForeignKeySerdeTopics {
  applicationId = "";
  readonly #registrationTopic: string;

  constructor(registrationTopic: string) {
    this.#registrationTopic = registrationTopic;
  }

  #topic(suffix: string): SerdeContext {
    return { topic: `${this.applicationId}-${this.#registrationTopic}-${suffix}`, headers: [] };
  }

  get primaryKey(): SerdeContext {
    return this.#topic("pk");
  }

  get foreignKey(): SerdeContext {
    return this.#topic("fk");
  }

  get valueHash(): SerdeContext {
    return this.#topic("vh");
  }
}

function isInstruction(value: number): value is Instruction {
  return value >= 0 && value <= 3;
}

/** Kafka's SubscriptionWrapperSerde over the left table's key serde. */
export function subscriptionWrapperSerde<K>(
  primaryKeySerde: Serde<K>,
  topics: ForeignKeySerdeTopics,
): Serde<SubscriptionWrapper<K>> {
  return {
    serialize(wrapper: SubscriptionWrapper<K>): Uint8Array {
      if (wrapper.version < 0 || wrapper.version > 0x7f)
        throw new SerializationError(`subscription: version ${wrapper.version} out of range`);
      const primaryKey = primaryKeySerde.serialize(wrapper.primaryKey, topics.primaryKey);
      const hashLength = wrapper.hash === undefined ? 0 : HASH_BYTES;
      const partitionLength = wrapper.version > 0 ? 4 : 0;
      const out = new Uint8Array(2 + hashLength + primaryKey.length + partitionLength);
      out[0] = wrapper.hash === undefined ? wrapper.version | NO_HASH : wrapper.version;
      out[1] = wrapper.instruction;
      if (wrapper.hash !== undefined) out.set(wrapper.hash, 2);
      out.set(primaryKey, 2 + hashLength);
      if (partitionLength > 0) writeInt32BE(out, out.length - 4, wrapper.primaryPartition ?? -1);
      return out;
    },
    deserialize(bytes: Uint8Array): SubscriptionWrapper<K> {
      if (bytes.length < 2) throw new SerializationError("subscription: too short");
      const flags = bytes[0] as number;
      const version = flags & 0x7f;
      const instruction = bytes[1] as number;
      if (!isInstruction(instruction)) throw new SerializationError(`subscription: unknown instruction ${instruction}`);
      const hasHash = (flags & NO_HASH) === 0;
      const start = 2 + (hasHash ? HASH_BYTES : 0);
      const end = bytes.length - (version > 0 ? 4 : 0);
      if (end < start) throw new SerializationError("subscription: too short");
      return {
        hash: hasHash ? bytes.slice(2, 2 + HASH_BYTES) : undefined,
        instruction,
        primaryKey: primaryKeySerde.deserialize(bytes.subarray(start, end), topics.primaryKey),
        primaryPartition: version > 0 ? readInt32BE(bytes, end) : undefined,
        version,
      };
    },
  };
}

/** Kafka's SubscriptionResponseWrapperSerde over the right table's value serde. */
export function subscriptionResponseWrapperSerde<VO>(
  foreignValueSerde: Serde<VO>,
): Serde<SubscriptionResponseWrapper<VO>> {
  return {
    serialize(wrapper: SubscriptionResponseWrapper<VO>, context: SerdeContext): Uint8Array {
      if (wrapper.version < 0 || wrapper.version > 0x7f)
        throw new SerializationError(`subscription response: version ${wrapper.version} out of range`);
      const value =
        wrapper.foreignValue === undefined ? undefined : foreignValueSerde.serialize(wrapper.foreignValue, context);
      const hashLength = wrapper.hash === undefined ? 0 : HASH_BYTES;
      const out = new Uint8Array(1 + hashLength + (value?.length ?? 0));
      out[0] = wrapper.hash === undefined ? wrapper.version | NO_HASH : wrapper.version;
      if (wrapper.hash !== undefined) out.set(wrapper.hash, 1);
      if (value !== undefined) out.set(value, 1 + hashLength);
      return out;
    },
    deserialize(bytes: Uint8Array, context: SerdeContext): SubscriptionResponseWrapper<VO> {
      if (bytes.length < 1) throw new SerializationError("subscription response: no bytes");
      const flags = bytes[0] as number;
      const hasHash = (flags & NO_HASH) === 0;
      const start = 1 + (hasHash ? HASH_BYTES : 0);
      if (bytes.length < start) throw new SerializationError("subscription response: too short");
      return {
        hash: hasHash ? bytes.slice(1, start) : undefined,
        // As Kafka: an empty value is no value.
        foreignValue: bytes.length > start ? foreignValueSerde.deserialize(bytes.subarray(start), context) : undefined,
        version: flags & 0x7f,
      };
    },
  };
}

/** The subscription store's key prefix of a foreign key: {int32 length}{foreign key bytes}. */
export function combinedKeyPrefix(foreignKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + foreignKey.length);
  writeInt32BE(out, 0, foreignKey.length);
  out.set(foreignKey, 4);
  return out;
}

/** The subscription store's key: the foreign key's prefix, then the primary key's bytes. */
export function combinedKeyBytes(foreignKey: Uint8Array, primaryKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + foreignKey.length + primaryKey.length);
  writeInt32BE(out, 0, foreignKey.length);
  out.set(foreignKey, 4);
  out.set(primaryKey, 4 + foreignKey.length);
  return out;
}

/** The primary key's bytes of a combined key. */
export function combinedKeyPrimaryKey(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) throw new SerializationError("combined key: too short");
  const foreignKeyLength = readInt32BE(bytes, 0);
  if (foreignKeyLength < 0 || 4 + foreignKeyLength > bytes.length)
    throw new SerializationError("combined key: bad length");
  return bytes.subarray(4 + foreignKeyLength);
}

export function hashesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
