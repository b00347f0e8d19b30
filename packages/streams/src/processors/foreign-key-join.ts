// The processors of a foreign-key table join (KIP-213, Kafka's foreignkeyjoin package). The left
// table subscribes each row to the right row its foreign key names: a subscription goes through
// the registration topic (partitioned by foreign key) to the right side, which keeps it in the
// subscription store (key: foreign key, then primary key) and answers with the right row through
// the response topic (back to the left row's partition). A right-side change answers every
// subscriber, found by a prefix scan of the store. Each subscription carries a hash of the left
// value it was sent for; the left side drops a response whose hash no longer matches its current
// value (the row changed since), so out-of-order responses never produce stale results.
import type { Logger } from "../logger.ts";
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { Serde } from "../serdes.ts";
import type { KeyValueStore } from "../state/store.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import { ProcessingError } from "../topology/errors.ts";
import type { Change } from "./change.ts";
import {
  combinedKeyBytes,
  combinedKeyPrefix,
  combinedKeyPrimaryKey,
  hashesEqual,
  Instruction,
  RESPONSE_VERSION,
  SUBSCRIPTION_VERSION,
  type ForeignKeySerdeTopics,
  type SubscriptionResponseWrapper,
  type SubscriptionWrapper,
} from "./foreign-key-wrappers.ts";
import { murmur3Hash128 } from "./murmur3.ts";
import { warnNullKey } from "./table-table-join.ts";
import type { TableValueGetter, TableValueGetterSupplier } from "./table-value-getter.ts";

/** The subscription store: combined-key bytes to the subscription, with its timestamp. */
export type SubscriptionStore<K> = KeyValueStore<Uint8Array, ValueAndTimestamp<SubscriptionWrapper<K>>>;

/** A subscription on its way to the right side: keyed by foreign key and primary key. */
export interface CombinedKey<KO, K> {
  readonly foreignKey: KO | null;
  readonly primaryKey: K;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class SubscriptionSendProcessor<K, V, KO> implements Processor<K, Change<V>, KO | null, SubscriptionWrapper<K>> {
  #context!: ProcessorContext<KO | null, SubscriptionWrapper<K>>;
  readonly #options: SubscriptionSendOptions<K, V, KO>;
  /** The hash of the current record's new value, computed once per record. */
  #hash: Uint8Array | undefined;
  #hashed = false;

  constructor(options: SubscriptionSendOptions<K, V, KO>) {
    this.#options = options;
  }

  init(context: ProcessorContext<KO | null, SubscriptionWrapper<K>>): void {
    this.#context = context;
    this.#options.topics.applicationId = context.applicationId;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    this.#hashed = false;
    if (this.#options.leftJoin) this.#leftJoin(record);
    else this.#innerJoin(record);
  }

  #extract(key: K, value: V | undefined): KO | undefined {
    if (value === undefined) return undefined;
    return this.#options.foreignKey(key, value) ?? undefined;
  }

  #sameForeignKey(a: KO | undefined, b: KO | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    const context = this.#options.topics.foreignKey;
    return equalBytes(
      this.#options.foreignKeySerde.serialize(a, context),
      this.#options.foreignKeySerde.serialize(b, context),
    );
  }

  #leftJoin(record: StreamRecord<K, Change<V>>): void {
    const { oldValue, newValue } = record.value;
    // Deleting a row that was not there: nothing to answer.
    if (oldValue === undefined && newValue === undefined) return;
    const oldForeignKey = this.#extract(record.key, oldValue);
    const newForeignKey = this.#extract(record.key, newValue);
    if (oldForeignKey !== undefined && !this.#sameForeignKey(newForeignKey, oldForeignKey)) {
      this.#send(record, oldForeignKey, Instruction.DELETE_KEY_NO_PROPAGATE);
    }
    // Always answered, even for a delete or a missing (null) foreign key, which subscribes nowhere
    // but still gets the response that yields the left-join result (or its delete).
    this.#send(record, newForeignKey, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE);
  }

  #innerJoin(record: StreamRecord<K, Change<V>>): void {
    const { oldValue, newValue } = record.value;
    const oldForeignKey = this.#extract(record.key, oldValue);
    if (newValue === undefined) {
      if (oldForeignKey !== undefined) this.#send(record, oldForeignKey, Instruction.DELETE_KEY_AND_PROPAGATE);
      return;
    }
    const newForeignKey = this.#extract(record.key, newValue);
    if (newForeignKey === undefined) {
      warnNullKey(this.#options.logger, this.#context, "null foreign key");
      if (oldForeignKey !== undefined) this.#send(record, oldForeignKey, Instruction.DELETE_KEY_AND_PROPAGATE);
      return;
    }
    if (oldForeignKey === undefined) {
      this.#send(record, newForeignKey, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE);
    } else if (!this.#sameForeignKey(newForeignKey, oldForeignKey)) {
      // The old subscription lives on another partition: drop it there, and have the new one
      // answer a null when it does not join, to delete the previous result.
      this.#send(record, oldForeignKey, Instruction.DELETE_KEY_NO_PROPAGATE);
      this.#send(record, newForeignKey, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE);
    } else {
      this.#send(record, newForeignKey, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE);
    }
  }

  #valueHash(newValue: V | undefined): Uint8Array | undefined {
    if (!this.#hashed) {
      this.#hash =
        newValue === undefined
          ? undefined
          : murmur3Hash128(this.#options.valueSerde.serialize(newValue, this.#options.topics.valueHash));
      this.#hashed = true;
    }
    return this.#hash;
  }

  #send(record: StreamRecord<K, Change<V>>, foreignKey: KO | undefined, instruction: Instruction): void {
    const context = this.#context;
    this.#context.forward({
      key: foreignKey ?? null,
      value: {
        hash: this.#valueHash(record.value.newValue),
        instruction,
        primaryKey: record.key,
        primaryPartition: context.recordMetadata?.partition ?? context.taskId.partition,
        version: SUBSCRIPTION_VERSION,
      },
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }
}

export interface SubscriptionSendOptions<K, V, KO> {
  readonly leftJoin: boolean;
  /** The foreign key of a left row; null or undefined: none. */
  readonly foreignKey: (key: K, value: V) => KO | null | undefined;
  /** The right table's key serde: foreign keys are compared by their bytes. */
  readonly foreignKeySerde: Serde<KO>;
  /** The left table's value serde: the value hash is over these bytes. */
  readonly valueSerde: Serde<V>;
  readonly topics: ForeignKeySerdeTopics;
  readonly logger: Logger;
}

/** Kafka's SubscriptionSendProcessorSupplier: a left change becomes (un)subscriptions by foreign key. */
export function subscriptionSendProcessor<K, V, KO>(
  options: SubscriptionSendOptions<K, V, KO>,
): ProcessorSupplier<K, Change<V>, KO | null, SubscriptionWrapper<K>> {
  return () => new SubscriptionSendProcessor(options);
}

class SubscriptionReceiveProcessor<K, KO> implements Processor<
  KO | null,
  SubscriptionWrapper<K> | null,
  CombinedKey<KO, K>,
  ValueAndTimestamp<SubscriptionWrapper<K>>
> {
  #context!: ProcessorContext<CombinedKey<KO, K>, ValueAndTimestamp<SubscriptionWrapper<K>>>;
  #store!: SubscriptionStore<K>;
  readonly #options: SubscriptionStoreOptions<K, KO>;

  constructor(options: SubscriptionStoreOptions<K, KO>) {
    this.#options = options;
  }

  init(context: ProcessorContext<CombinedKey<KO, K>, ValueAndTimestamp<SubscriptionWrapper<K>>>): void {
    this.#context = context;
    this.#options.topics.applicationId = context.applicationId;
    this.#store = context.getStateStore(this.#options.storeName);
  }

  process(record: StreamRecord<KO | null, SubscriptionWrapper<K> | null>): void {
    const subscription = record.value;
    if (subscription === null) return;
    const foreignKey = record.key;
    const nullForeignKey = foreignKey === null || foreignKey === undefined;
    if (nullForeignKey && subscription.instruction !== Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE) {
      warnNullKey(this.#options.logger, this.#context, "null foreign key");
      return;
    }
    if (subscription.version > SUBSCRIPTION_VERSION) {
      throw new ProcessingError(`subscription version ${subscription.version} is newer than this version understands`);
    }
    const row: ValueAndTimestamp<SubscriptionWrapper<K>> = { value: subscription, timestampMs: record.timestampMs };
    if (!nullForeignKey) {
      const { topics, foreignKeySerde, primaryKeySerde } = this.#options;
      const key = combinedKeyBytes(
        foreignKeySerde.serialize(foreignKey, topics.foreignKey),
        primaryKeySerde.serialize(subscription.primaryKey, topics.primaryKey),
      );
      if (
        subscription.instruction === Instruction.DELETE_KEY_AND_PROPAGATE ||
        subscription.instruction === Instruction.DELETE_KEY_NO_PROPAGATE
      ) {
        this.#store.delete(key);
      } else {
        this.#store.put(key, row);
      }
    }
    this.#context.forward({
      key: { foreignKey: nullForeignKey ? null : foreignKey, primaryKey: subscription.primaryKey },
      value: row,
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }
}

/**
 * The subscription store (combined keys: foreign key, primary key) shared by the processor that
 * fills it and the one that scans it when a right row changes, with the serdes of its keys.
 */
export interface SubscriptionStoreOptions<K, KO> {
  readonly storeName: string;
  readonly foreignKeySerde: Serde<KO>;
  readonly primaryKeySerde: Serde<K>;
  readonly topics: ForeignKeySerdeTopics;
  readonly logger: Logger;
}

/** Kafka's SubscriptionReceiveProcessorSupplier: keeps (or drops) subscriptions in the store. */
export function subscriptionReceiveProcessor<K, KO>(
  options: SubscriptionStoreOptions<K, KO>,
): ProcessorSupplier<
  KO | null,
  SubscriptionWrapper<K> | null,
  CombinedKey<KO, K>,
  ValueAndTimestamp<SubscriptionWrapper<K>>
> {
  return () => new SubscriptionReceiveProcessor(options);
}

class SubscriptionJoinProcessor<K, KO, VO> implements Processor<
  CombinedKey<KO, K>,
  ValueAndTimestamp<SubscriptionWrapper<K>>,
  K,
  SubscriptionResponseWrapper<VO>
> {
  #context!: ProcessorContext<K, SubscriptionResponseWrapper<VO>>;
  #right!: TableValueGetter<KO, VO>;
  readonly #rightGetter: TableValueGetterSupplier<KO, VO>;

  constructor(right: TableValueGetterSupplier<KO, VO>) {
    this.#rightGetter = right;
  }

  init(context: ProcessorContext<K, SubscriptionResponseWrapper<VO>>): void {
    this.#context = context;
    this.#right = this.#rightGetter.create(context);
  }

  process(record: StreamRecord<CombinedKey<KO, K>, ValueAndTimestamp<SubscriptionWrapper<K>>>): void {
    const subscription = record.value.value;
    const foreignKey = record.key.foreignKey;
    const right = foreignKey === null ? undefined : this.#right.get(foreignKey);
    const timestampMs =
      right === undefined ? record.value.timestampMs : Math.max(record.value.timestampMs, right.timestampMs);
    const respond = (foreignValue: VO | undefined): void =>
      this.#context.forward({
        key: record.key.primaryKey,
        value: { hash: subscription.hash, foreignValue, version: RESPONSE_VERSION },
        timestampMs,
        headers: record.headers,
      });
    switch (subscription.instruction) {
      case Instruction.DELETE_KEY_AND_PROPAGATE:
        respond(undefined);
        break;
      case Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
        respond(right?.value);
        break;
      case Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE:
        if (right !== undefined) respond(right.value);
        break;
      case Instruction.DELETE_KEY_NO_PROPAGATE:
        break;
    }
  }
}

/** Kafka's SubscriptionJoinProcessorSupplier: answers a subscription with the right row, per its instruction. */
export function subscriptionJoinProcessor<K, KO, VO>(
  right: TableValueGetterSupplier<KO, VO>,
): ProcessorSupplier<
  CombinedKey<KO, K>,
  ValueAndTimestamp<SubscriptionWrapper<K>>,
  K,
  SubscriptionResponseWrapper<VO>
> {
  return () => new SubscriptionJoinProcessor<K, KO, VO>(right);
}

class ForeignTableJoinProcessor<K, KO, VO> implements Processor<KO, Change<VO>, K, SubscriptionResponseWrapper<VO>> {
  #context!: ProcessorContext<K, SubscriptionResponseWrapper<VO>>;
  #store!: SubscriptionStore<K>;
  readonly #options: SubscriptionStoreOptions<K, KO>;

  constructor(options: SubscriptionStoreOptions<K, KO>) {
    this.#options = options;
  }

  init(context: ProcessorContext<K, SubscriptionResponseWrapper<VO>>): void {
    this.#context = context;
    this.#options.topics.applicationId = context.applicationId;
    this.#store = context.getStateStore(this.#options.storeName);
  }

  process(record: StreamRecord<KO, Change<VO>>): void {
    if (record.key === null || record.key === undefined) {
      warnNullKey(this.#options.logger, this.#context);
      return;
    }
    const { topics, foreignKeySerde, primaryKeySerde } = this.#options;
    const prefix = combinedKeyPrefix(foreignKeySerde.serialize(record.key, topics.foreignKey));
    for (const entry of prefixScan(this.#store, prefix)) {
      const subscription = entry.value.value;
      const primaryKey = primaryKeySerde.deserialize(combinedKeyPrimaryKey(entry.key), topics.primaryKey);
      this.#context.forward({
        key: primaryKey,
        value: { hash: subscription.hash, foreignValue: record.value.newValue, version: RESPONSE_VERSION },
        timestampMs: record.timestampMs,
        headers: record.headers,
      });
    }
  }
}

/** Entries of a bytes-keyed store whose keys start with `prefix`, in key order (over `range`). */
export function* prefixScan<V>(
  store: KeyValueStore<Uint8Array, V>,
  prefix: Uint8Array,
): Generator<{ readonly key: Uint8Array; readonly value: V }> {
  for (const entry of store.range(prefix)) {
    const key = entry.key;
    if (key.length < prefix.length) return;
    for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return;
    yield entry;
  }
}

/** Kafka's ForeignTableJoinProcessorSupplier: a right-side change answers all its subscribers. */
export function foreignTableJoinProcessor<K, KO, VO>(
  options: SubscriptionStoreOptions<K, KO>,
): ProcessorSupplier<KO, Change<VO>, K, SubscriptionResponseWrapper<VO>> {
  return () => new ForeignTableJoinProcessor<K, KO, VO>(options);
}

class ResponseJoinProcessor<K, V, VO, VR> implements Processor<K, SubscriptionResponseWrapper<VO>, K, VR | null> {
  #context!: ProcessorContext<K, VR | null>;
  #left!: TableValueGetter<K, V>;
  readonly #options: ResponseJoinOptions<K, V, VO, VR>;

  constructor(options: ResponseJoinOptions<K, V, VO, VR>) {
    this.#options = options;
  }

  init(context: ProcessorContext<K, VR | null>): void {
    this.#context = context;
    this.#options.topics.applicationId = context.applicationId;
    this.#left = this.#options.left.create(context);
  }

  process(record: StreamRecord<K, SubscriptionResponseWrapper<VO>>): void {
    const response = record.value;
    if (response.version !== RESPONSE_VERSION) {
      throw new ProcessingError(`subscription response version ${response.version} is not supported`);
    }
    const { topics, valueSerde, joiner, leftJoin } = this.#options;
    const current = this.#left.get(record.key);
    const currentHash =
      current === undefined ? undefined : murmur3Hash128(valueSerde.serialize(current.value, topics.valueHash));
    if (!hashesEqual(response.hash, currentHash)) {
      // The left row changed after this subscription was sent: a newer response will follow
      // (Kafka logs this at TRACE only).
      return;
    }
    const foreignValue = response.foreignValue;
    const result =
      foreignValue === undefined && (!leftJoin || current === undefined)
        ? undefined
        : joiner(current?.value, foreignValue);
    this.#context.forward({
      key: record.key,
      value: result === undefined ? null : result,
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }
}

export interface ResponseJoinOptions<K, V, VO, VR> {
  readonly left: TableValueGetterSupplier<K, V>;
  readonly valueSerde: Serde<V>;
  readonly topics: ForeignKeySerdeTopics;
  readonly joiner: (value: V | undefined, foreignValue: VO | undefined) => VR | undefined;
  readonly leftJoin: boolean;
}

/** Kafka's ResponseJoinProcessorSupplier: drops stale responses, joins the rest (a null result deletes). */
export function responseJoinProcessor<K, V, VO, VR>(
  options: ResponseJoinOptions<K, V, VO, VR>,
): ProcessorSupplier<K, SubscriptionResponseWrapper<VO>, K, VR | null> {
  return () => new ResponseJoinProcessor(options);
}
