// What the windowed-aggregation processors share: how an aggregation is described (Kafka's
// Initializer + Aggregator, or a Reducer, plus a Merger for sessions), the table change they forward
// (new and old value), how they report dropped records, and the emit-final machinery of Kafka's
// AbstractKStreamTimeWindowAggregateProcessor (throttled range fetches of closed windows).
import type { ProcessorContext } from "../processor.ts";
import type { RecordMetadata } from "../record.ts";
import type { Windowed } from "../state/store.ts";
import type { Change } from "./change.ts";

/** Windowed aggregations forward table changes (Kafka's Change) with the windowed key. */
export type { Change } from "./change.ts";

/**
 * An aggregation over a window's records. `initialize` is Kafka's Initializer (undefined for
 * reduce: the first value starts the aggregate); `add` is the Aggregator (receives undefined only
 * from an initializer that gives it).
 */
export interface Aggregation<K, V, VAgg> {
  initialize(): VAgg | undefined;
  add(key: K, value: V, aggregate: VAgg | undefined): VAgg;
}

/** A session aggregation also merges the aggregates of two sessions a record bridges (Kafka's Merger). */
export interface SessionAggregation<K, V, VAgg> extends Aggregation<K, V, VAgg> {
  merge(key: K, aggregate: VAgg | undefined, other: VAgg): VAgg;
}

/** `aggregate(initializer, aggregator)`. */
export function aggregateAggregation<K, V, VAgg>(
  initializer: () => VAgg,
  aggregator: (key: K, value: V, aggregate: VAgg) => VAgg,
): Aggregation<K, V, VAgg> {
  return {
    initialize: initializer,
    add: (key, value, aggregate) => aggregator(key, value, aggregate === undefined ? initializer() : aggregate),
  };
}

/** `reduce(reducer)`: Kafka's reduce initializer (null) and aggregator (first value, then reducer). */
export function reduceAggregation<K, V>(reducer: (aggregate: V, value: V) => V): Aggregation<K, V, V> {
  return {
    initialize: () => undefined,
    add: (_key, value, aggregate) => (aggregate === undefined ? value : reducer(aggregate, value)),
  };
}

/** `count()`: Kafka's count initializer (0) and aggregator (+1). */
export function countAggregation<K, V>(): Aggregation<K, V, number> {
  return { initialize: () => 0, add: (_key, _value, aggregate) => (aggregate ?? 0) + 1 };
}

/** Session `aggregate(initializer, aggregator, merger)`. */
export function sessionAggregateAggregation<K, V, VAgg>(
  initializer: () => VAgg,
  aggregator: (key: K, value: V, aggregate: VAgg) => VAgg,
  merger: (key: K, aggregate1: VAgg, aggregate2: VAgg) => VAgg,
): SessionAggregation<K, V, VAgg> {
  return {
    ...aggregateAggregation(initializer, aggregator),
    merge: (key, aggregate, other) => merger(key, aggregate === undefined ? initializer() : aggregate, other),
  };
}

/** Session `reduce(reducer)`: merging two sessions reduces their aggregates (Kafka's mergerForAggregator). */
export function sessionReduceAggregation<K, V>(reducer: (aggregate: V, value: V) => V): SessionAggregation<K, V, V> {
  return {
    ...reduceAggregation<K, V>(reducer),
    merge: (_key, aggregate, other) => (aggregate === undefined ? other : reducer(aggregate, other)),
  };
}

/** Session `count()`: counts add up when sessions merge. */
export function sessionCountAggregation<K, V>(): SessionAggregation<K, V, number> {
  return { ...countAggregation<K, V>(), merge: (_key, aggregate, other) => (aggregate ?? 0) + other };
}

/** A record a windowed aggregation skipped (Kafka logs a warning and records the dropped-records sensor). */
export interface DroppedRecord {
  readonly reason: "null-key" | "null-key-or-value" | "expired-window";
  readonly timestampMs: number;
  /** Where the record came from; undefined when not known. */
  readonly metadata: RecordMetadata | undefined;
  /** For expired windows: the window, Kafka's "[start,end)" or "[start,end]" text. */
  readonly window?: string;
  /** For expired windows: the close time (stream time − grace, and − gap for sessions) it missed. */
  readonly expirationMs?: number;
  readonly streamTimeMs: number;
}

export type DroppedRecordHandler = (drop: DroppedRecord) => void;

/** Kafka's internal config of the emit-final throttle (the TopologyTestDriver sets it to 0). */
export const EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.windowed.aggregation__";

/** Kafka's default of EMIT_INTERVAL_CONFIG. */
export const DEFAULT_EMIT_INTERVAL_MS = 1000;

/** The emit-final throttle interval: the processor's option, else the application config, else Kafka's default. */
export function resolveEmitIntervalMs(option: number | undefined, context: ProcessorContext<unknown, unknown>): number {
  if (option !== undefined) return option;
  const value = context.appConfigs()[EMIT_INTERVAL_CONFIG];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : DEFAULT_EMIT_INTERVAL_MS;
}

/**
 * Kafka's emit-final throttle: closed windows are looked for at most once per `emitIntervalMs` of
 * wall-clock time (0: on every record), so a busy task does not range-scan its store per record.
 */
export class EmitThrottle {
  private readonly emitIntervalMs: number;
  private nextTimeToEmitMs = 0;

  constructor(emitIntervalMs: number) {
    if (!Number.isSafeInteger(emitIntervalMs) || emitIntervalMs < 0) {
      throw new RangeError(`emitIntervalMs must be a non-negative integer, got ${emitIntervalMs}`);
    }
    this.emitIntervalMs = emitIntervalMs;
  }

  /** True when an emit may run now; schedules the next one from `nowMs` (so clock jumps do not cause bursts). */
  tryAcquire(nowMs: number): boolean {
    if (nowMs < this.nextTimeToEmitMs) return false;
    this.nextTimeToEmitMs = nowMs + this.emitIntervalMs;
    return true;
  }
}

/**
 * Optional runtime support for Kafka's processor metadata (kept in the consumer's commit metadata):
 * emit-final saves the close time it last emitted up to, so a restarted task does not emit the same
 * final results again. Runners that do not offer it get re-emits of still-retained closed windows after a restart.
 */
export interface ProcessorMetadataContext {
  processorMetadataForKey(key: string): number | undefined;
  addProcessorMetadataKeyValue(key: string, value: number): void;
}

export function processorMetadataOf(context: object): ProcessorMetadataContext | undefined {
  const candidate = context as Partial<ProcessorMetadataContext>;
  return typeof candidate.processorMetadataForKey === "function" &&
    typeof candidate.addProcessorMetadataKeyValue === "function"
    ? (candidate as ProcessorMetadataContext)
    : undefined;
}

/** Kafka's ConsumerRecord.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

export type WindowedChangeContext<K, VAgg> = ProcessorContext<Windowed<K>, Change<VAgg>>;

/** True for Kafka's null: a missing key or value. */
export function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}
