// Aggregations into a timestamped key-value store (Kafka's KStreamAggregate, KStreamReduce,
// KTableAggregate, KTableReduce). The result's timestamp is the largest timestamp of the records
// that made it; every update is forwarded as a table change (no record cache: Kafka with
// cache.max.bytes=0).
import type { Logger } from "../logger.ts";
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { Change } from "./change.ts";
import type { TableNodeState, TimestampedKeyValueStore } from "./table-processors.ts";

/** How a stream aggregation combines a value into the aggregate (undefined: none yet). */
export type StreamAggregator<K, V, VAgg> = (key: K, value: V, aggregate: VAgg | undefined) => VAgg;

class StreamAggregateProcessor<K, V, VAgg> implements Processor<K | null, V | null, K, Change<VAgg>> {
  #context!: ProcessorContext<K, Change<VAgg>>;
  #store!: TimestampedKeyValueStore<K, VAgg>;
  readonly #state: TableNodeState;
  readonly #aggregator: StreamAggregator<K, V, VAgg>;
  readonly #logger: Logger;

  constructor(state: TableNodeState, aggregator: StreamAggregator<K, V, VAgg>, logger: Logger) {
    this.#state = state;
    this.#aggregator = aggregator;
    this.#logger = logger;
  }

  init(context: ProcessorContext<K, Change<VAgg>>): void {
    this.#context = context;
    this.#store = context.getStateStore(this.#state.storeName as string);
  }

  process(record: StreamRecord<K | null, V | null>): void {
    const { key, value } = record;
    if (key === null || key === undefined || value === null || value === undefined) {
      const metadata = this.#context.recordMetadata;
      this.#logger.log("warn", "Skipping record due to null key or value", {
        store: this.#state.storeName,
        topic: metadata?.topic,
        partition: metadata?.partition,
        offset: metadata?.offset,
      });
      return;
    }
    const old = this.#store.get(key);
    const newValue = this.#aggregator(key, value, old?.value);
    const timestampMs = old === undefined ? record.timestampMs : Math.max(record.timestampMs, old.timestampMs);
    this.#store.put(key, { value: newValue, timestampMs });
    this.#context.forward({
      key,
      value: { newValue, oldValue: this.#state.sendOldValues ? old?.value : undefined },
      timestampMs,
      headers: record.headers,
    });
  }
}

/**
 * KGroupedStream count, reduce and aggregate: records with a null key or value are skipped (with
 * a warning), as Kafka does.
 */
export function streamAggregateProcessor<K, V, VAgg>(
  state: TableNodeState,
  aggregator: StreamAggregator<K, V, VAgg>,
  logger: Logger,
): ProcessorSupplier<K | null, V | null, K, Change<VAgg>> {
  return () => new StreamAggregateProcessor(state, aggregator, logger);
}

/** Adds a value to, and removes one from, a table aggregate (Kafka's adder and subtractor). */
export interface TableAggregation<K, V, VAgg> {
  /** undefined: the first added value starts the aggregate (reduce). */
  readonly initializer: (() => VAgg) | undefined;
  readonly adder: (key: K, value: V, aggregate: VAgg) => VAgg;
  readonly subtractor: (key: K, value: V, aggregate: VAgg) => VAgg;
}

class TableAggregateProcessor<K, V, VAgg> implements Processor<K, Change<V>, K, Change<VAgg>> {
  #context!: ProcessorContext<K, Change<VAgg>>;
  #store!: TimestampedKeyValueStore<K, VAgg>;
  readonly #state: TableNodeState;
  readonly #aggregation: TableAggregation<K, V, VAgg>;

  constructor(state: TableNodeState, aggregation: TableAggregation<K, V, VAgg>) {
    this.#state = state;
    this.#aggregation = aggregation;
  }

  init(context: ProcessorContext<K, Change<VAgg>>): void {
    this.#context = context;
    this.#store = context.getStateStore(this.#state.storeName as string);
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      throw new Error(`the record key of table aggregation ${this.#state.storeName} must not be null`);
    }
    const old = this.#store.get(key);
    const oldAggregate = old?.value;
    const { newValue, oldValue } = record.value;
    let timestampMs = record.timestampMs;
    let aggregate = oldAggregate;
    // Subtract the old value first, then add the new one.
    if (oldValue !== undefined && aggregate !== undefined) {
      aggregate = this.#aggregation.subtractor(key, oldValue, aggregate);
      timestampMs = Math.max(record.timestampMs, (old as { timestampMs: number }).timestampMs);
    }
    if (newValue !== undefined) {
      const initializer = this.#aggregation.initializer;
      if (initializer === undefined && aggregate === undefined) {
        // reduce: the first value is the aggregate (and keeps this record's time).
        aggregate = newValue as unknown as VAgg;
      } else {
        aggregate = this.#aggregation.adder(key, newValue, aggregate ?? (initializer as () => VAgg)());
        if (old !== undefined) timestampMs = Math.max(record.timestampMs, old.timestampMs);
      }
    }
    if (aggregate === undefined) this.#store.delete(key);
    else this.#store.put(key, { value: aggregate, timestampMs });
    this.#context.forward({
      key,
      value: { newValue: aggregate, oldValue: this.#state.sendOldValues ? oldAggregate : undefined },
      timestampMs,
      headers: record.headers,
    });
  }
}

/** KGroupedTable count, reduce and aggregate (adder and subtractor). */
export function tableAggregateProcessor<K, V, VAgg>(
  state: TableNodeState,
  aggregation: TableAggregation<K, V, VAgg>,
): ProcessorSupplier<K, Change<V>, K, Change<VAgg>> {
  return () => new TableAggregateProcessor(state, aggregation);
}
