// The KTable processors (Kafka's KTableSource, KTableFilter, KTableMapValues, KTableRepartitionMap
// and toStream): they forward Change records, keep a timestamped store when the table is
// materialized, and send old values only when a downstream operation asked for them
// (enableSendingOldValues) — a source table is then materialized, since its old values come from
// its store.
import type { Logger } from "../logger.ts";
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { KeyValue, KeyValueStore } from "../state/store.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import type { Change } from "./change.ts";

export type TimestampedKeyValueStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>;

/**
 * The producer of a table's changes, as the DSL sees it (Kafka's KTableProcessorSupplier side):
 * asked by downstream operations to send old values too.
 */
export interface TableChangeSource {
  /**
   * Kafka's enableSendingOldValues: from now on the processor forwards Change.oldValue. A table
   * that can only do so from a store materializes itself when `forceMaterialization`, else
   * declines (false).
   */
  enableSendingOldValues(forceMaterialization: boolean): boolean;
}

/** State shared by a table operation's DSL node and the processors created for its tasks. */
export class TableNodeState implements TableChangeSource {
  sendOldValues = false;
  /** The store holding this table's values, when materialized. */
  storeName: string | undefined;
  readonly #parent: TableChangeSource | undefined;
  readonly #materialize: (() => string) | undefined;

  /**
   * `parent`: whose old values this operation computes its own from (filter, mapValues);
   * `materialize`: adds the store on demand and returns its name (sources).
   */
  constructor(options: {
    readonly storeName?: string | undefined;
    readonly parent?: TableChangeSource;
    readonly materialize?: () => string;
  }) {
    this.storeName = options.storeName;
    this.#parent = options.parent;
    this.#materialize = options.materialize;
  }

  enableSendingOldValues(forceMaterialization: boolean): boolean {
    if (this.sendOldValues) return true;
    if (this.storeName === undefined) {
      if (this.#materialize !== undefined) {
        if (!forceMaterialization) return false;
        this.storeName = this.#materialize();
      } else if (this.#parent === undefined || !this.#parent.enableSendingOldValues(forceMaterialization)) {
        return false;
      }
    }
    this.sendOldValues = true;
    return true;
  }
}

abstract class TableProcessor<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, Change<VOut>> {
  protected context!: ProcessorContext<KOut, Change<VOut>>;
  protected store: TimestampedKeyValueStore<KOut, VOut> | undefined;
  protected readonly state: TableNodeState;

  constructor(state: TableNodeState) {
    this.state = state;
  }

  init(context: ProcessorContext<KOut, Change<VOut>>): void {
    this.context = context;
    if (this.state.storeName !== undefined) this.store = context.getStateStore(this.state.storeName);
  }

  abstract process(record: StreamRecord<KIn, VIn>): void;

  protected forwardChange(
    record: StreamRecord<unknown, unknown>,
    key: KOut,
    newValue: VOut | undefined,
    oldValue: VOut | undefined,
  ): void {
    this.context.forward({
      key,
      value: { newValue, oldValue: this.state.sendOldValues ? oldValue : undefined },
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }

  protected write(key: KOut, value: VOut | undefined, timestampMs: number): void {
    const store = this.store as TimestampedKeyValueStore<KOut, VOut>;
    if (value === undefined) store.delete(key);
    else store.put(key, { value, timestampMs });
  }
}

function dropped(logger: Logger, context: ProcessorContext<unknown, unknown>, reason: string): void {
  const metadata = context.recordMetadata;
  logger.log("warn", `Skipping record due to ${reason}`, {
    task: `${context.taskId.subtopology}_${context.taskId.partition}`,
    topic: metadata?.topic,
    partition: metadata?.partition,
    offset: metadata?.offset,
  });
}

class TableSourceProcessor<K, V> extends TableProcessor<K | null, V | null, K, V> {
  readonly #logger: Logger;

  constructor(state: TableNodeState, logger: Logger) {
    super(state);
    this.#logger = logger;
  }

  process(record: StreamRecord<K | null, V | null>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      dropped(this.#logger, this.context, "null key");
      return;
    }
    const value = record.value === null ? undefined : record.value;
    if (this.store === undefined) {
      this.forwardChange(record, key, value, undefined);
      return;
    }
    const old = this.store.get(key);
    if (old !== undefined && record.timestampMs < old.timestampMs) {
      this.#logger.log("warn", "Detected out-of-order KTable update", {
        store: this.state.storeName,
        oldTimestampMs: old.timestampMs,
        newTimestampMs: record.timestampMs,
        topic: this.context.recordMetadata?.topic,
        partition: this.context.recordMetadata?.partition,
        offset: this.context.recordMetadata?.offset,
      });
    }
    this.write(key, value, record.timestampMs);
    this.forwardChange(record, key, value, old?.value);
  }
}

/** Kafka's KTableSource: a topic (or a stream) as a table; null keys are dropped, null values delete. */
export function tableSourceProcessor<K, V>(
  state: TableNodeState,
  logger: Logger,
): ProcessorSupplier<K | null, V | null, K, Change<V>> {
  return () => new TableSourceProcessor<K, V>(state, logger);
}

class TableFilterProcessor<K, V> extends TableProcessor<K, Change<V>, K, V> {
  readonly #predicate: (key: K, value: V) => boolean;
  readonly #not: boolean;

  constructor(state: TableNodeState, predicate: (key: K, value: V) => boolean, not: boolean) {
    super(state);
    this.#predicate = predicate;
    this.#not = not;
  }

  #compute(key: K, value: V | undefined): V | undefined {
    return value !== undefined && this.#predicate(key, value) !== this.#not ? value : undefined;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const key = record.key;
    const newValue = this.#compute(key, record.value.newValue);
    let oldValue: V | undefined;
    if (this.state.sendOldValues) {
      oldValue = this.store !== undefined ? this.store.get(key)?.value : this.#compute(key, record.value.oldValue);
      // Nothing was visible before or after: nothing to tell downstream.
      if (oldValue === undefined && newValue === undefined) return;
    }
    if (this.store !== undefined) this.write(key, newValue, record.timestampMs);
    this.forwardChange(record, key, newValue, oldValue);
  }
}

/** Kafka's KTableFilter: rows failing the predicate become deletes downstream. */
export function tableFilterProcessor<K, V>(
  state: TableNodeState,
  predicate: (key: K, value: V) => boolean,
  not: boolean,
): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new TableFilterProcessor(state, predicate, not);
}

class TableMapValuesProcessor<K, V, VR> extends TableProcessor<K, Change<V>, K, VR> {
  readonly #mapper: (value: V, key: K) => VR | null | undefined;

  constructor(state: TableNodeState, mapper: (value: V, key: K) => VR | null | undefined) {
    super(state);
    this.#mapper = mapper;
  }

  #compute(key: K, value: V | undefined): VR | undefined {
    if (value === undefined) return undefined;
    return this.#mapper(value, key) ?? undefined;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const key = record.key;
    const newValue = this.#compute(key, record.value.newValue);
    let oldValue: VR | undefined;
    if (this.state.sendOldValues) {
      oldValue = this.store !== undefined ? this.store.get(key)?.value : this.#compute(key, record.value.oldValue);
    }
    if (this.store !== undefined) this.write(key, newValue, record.timestampMs);
    this.forwardChange(record, key, newValue, oldValue);
  }
}

/** Kafka's KTableMapValues: a null or undefined result deletes the row. */
export function tableMapValuesProcessor<K, V, VR>(
  state: TableNodeState,
  mapper: (value: V, key: K) => VR | null | undefined,
): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return () => new TableMapValuesProcessor(state, mapper);
}

class TableToStreamProcessor<K, V> implements Processor<K, Change<V>, K, V | null> {
  #context!: ProcessorContext<K, V | null>;

  init(context: ProcessorContext<K, V | null>): void {
    this.#context = context;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const value = record.value.newValue;
    this.#context.forward({
      key: record.key,
      value: value === undefined ? null : value,
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }
}

/** KTable.toStream: each change as a record; deletes become null values (tombstones). */
export function tableToStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => new TableToStreamProcessor<K, V>();
}

class TableRepartitionMapProcessor<K, V, KR, VR> implements Processor<K, Change<V>, KR, Change<VR>> {
  #context!: ProcessorContext<KR, Change<VR>>;
  readonly #selector: (key: K, value: V) => KeyValue<KR, VR>;

  constructor(selector: (key: K, value: V) => KeyValue<KR, VR>) {
    this.#selector = selector;
  }

  init(context: ProcessorContext<KR, Change<VR>>): void {
    this.#context = context;
  }

  process(record: StreamRecord<K, Change<V>>): void {
    if (record.key === null || record.key === undefined) {
      throw new Error("the record key of a grouped KTable must not be null");
    }
    const change = record.value;
    const newPair = change.newValue === undefined ? undefined : this.#selector(record.key, change.newValue);
    const oldPair = change.oldValue === undefined ? undefined : this.#selector(record.key, change.oldValue);
    const hasOld = oldPair !== undefined && !isNullish(oldPair.key) && !isNullish(oldPair.value);
    const hasNew = newPair !== undefined && !isNullish(newPair.key) && !isNullish(newPair.value);
    const { timestampMs, headers } = record;
    // The old value is retracted first, as Kafka does, so a row moving between groups is
    // subtracted from its old group before it is added to the new one.
    if (hasOld && hasNew && oldPair.key === newPair.key) {
      this.#context.forward({
        key: newPair.key,
        value: { newValue: newPair.value, oldValue: oldPair.value },
        timestampMs,
        headers,
      });
      return;
    }
    if (hasOld)
      this.#context.forward({
        key: oldPair.key,
        value: { newValue: undefined, oldValue: oldPair.value },
        timestampMs,
        headers,
      });
    if (hasNew)
      this.#context.forward({
        key: newPair.key,
        value: { newValue: newPair.value, oldValue: undefined },
        timestampMs,
        headers,
      });
  }
}

function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** Kafka's KTableRepartitionMap (KTable.groupBy): the selected key and value of old and new rows. */
export function tableRepartitionMapProcessor<K, V, KR, VR>(
  selector: (key: K, value: V) => KeyValue<KR, VR>,
): ProcessorSupplier<K, Change<V>, KR, Change<VR>> {
  return () => new TableRepartitionMapProcessor(selector);
}
