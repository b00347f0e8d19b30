// Windowed streams (Kafka's TimeWindowedKStream, SlidingWindowedKStreamImpl and
// SessionWindowedKStream): what `groupByKey().windowedBy(windows)` returns, with count, reduce and
// aggregate into a KTable<Windowed<K>, V> backed by a window or session store, emitting every
// update or (emitStrategy(EmitStrategy.onWindowClose())) each window's final result.
import type { Logger } from "../logger.ts";
import type { ProcessorSupplier } from "../processor.ts";
import { SessionWindowAggregate, defaultSessionRetentionMs } from "../processors/session-window-aggregate.ts";
import { SlidingWindowAggregate, defaultSlidingRetentionMs } from "../processors/sliding-window-aggregate.ts";
import { WindowAggregate, defaultWindowRetentionMs } from "../processors/window-aggregate.ts";
import {
  aggregateAggregation,
  countAggregation,
  reduceAggregation,
  sessionAggregateAggregation,
  sessionCountAggregation,
  sessionReduceAggregation,
  type Aggregation,
  type Change,
  type DroppedRecord,
  type SessionAggregation,
} from "../processors/window-aggregation.ts";
import { Serdes, type Serde } from "../serdes.ts";
import { inMemorySessionStore } from "../state/in-memory-session-store.ts";
import { inMemoryTimestampedWindowStore, type WindowedStoreBuilder } from "../state/in-memory-window-store.ts";
import { persistentSessionStore } from "../state/persistent-session-store.ts";
import { persistentTimestampedWindowStore } from "../state/persistent-window-store.ts";
import type { StateStore, Windowed } from "../state/store.ts";
import { sessionWindowedSerde, timeWindowedSerde } from "../state/window-key-schema.ts";
import { TopologyError } from "../topology/errors.ts";
import { addProcessor, requireSerde, tableFromNode, type DslContext, type GroupedStreamInternals } from "./internal.ts";
import { hasMaterialized, type KTable } from "./ktable.ts";
import type { Materialized, Named } from "./options.ts";
import { EmitStrategy, type SessionWindows, type SlidingWindows, type TimeWindows } from "./windows.ts";

declare module "./internal.ts" {
  // What KGroupedStream.windowedBy returns per window kind (Kafka: TimeWindowedKStream for
  // TimeWindows and SlidingWindows, SessionWindowedKStream for SessionWindows).
  interface WindowedStreamTypes<K, V> {
    time: TimeWindowedKStream<K, V>;
    sliding: TimeWindowedKStream<K, V>;
    session: SessionWindowedKStream<K, V>;
  }
}

/**
 * The store of a windowed aggregation (Kafka's Materialized for window and session stores): as a
 * table's, plus `retentionMs` (Kafka's withRetention; at least window size + grace, 2 × time
 * difference + grace for sliding windows, gap + grace for sessions).
 */
export interface WindowedMaterialized<K, V> extends Materialized<K, V> {
  readonly retentionMs?: number;
}

const AGGREGATE_NAME = "KSTREAM-AGGREGATE-";
const REDUCE_NAME = "KSTREAM-REDUCE-";

function materializedGiven(options: WindowedMaterialized<unknown, unknown>): boolean {
  return hasMaterialized(options) || options.retentionMs !== undefined;
}

function dropLogger(logger: Logger, storeName: string): (drop: DroppedRecord) => void {
  return (drop) => {
    const message =
      drop.reason === "expired-window"
        ? "Skipping record for expired window"
        : drop.reason === "null-key"
          ? "Skipping record due to null key"
          : "Skipping record due to null key or value";
    logger.log("warn", message, {
      store: storeName,
      topic: drop.metadata?.topic,
      partition: drop.metadata?.partition,
      offset: drop.metadata?.offset,
      timestamp: drop.timestampMs,
      window: drop.window,
      expiration: drop.expirationMs,
      streamTime: drop.streamTimeMs,
    });
  };
}

function storeBuilderLogging<S extends StateStore>(
  builder: WindowedStoreBuilder<S>,
  logging: Materialized<unknown, unknown>["logging"],
): WindowedStoreBuilder<S> {
  if (logging === false) return builder.withLoggingDisabled();
  if (typeof logging === "object") return builder.withLoggingEnabled(logging.configs);
  return builder;
}

/** A windowed aggregation's supplier, as the DSL holds it: its processors and the switch for old values. */
interface WindowedAggregateSupplier<K, V, VA> {
  readonly get: ProcessorSupplier<K, V, Windowed<K>, Change<VA>>;
  enableSendingOldValues(): void;
}

/** The processor, store and table of one windowed aggregation. */
function buildWindowedTable<K, V, VA>(params: {
  readonly dsl: DslContext;
  readonly grouped: GroupedStreamInternals<K, V>;
  readonly storeName: string;
  readonly name: string;
  readonly supplier: WindowedAggregateSupplier<K, V, VA>;
  readonly store: WindowedStoreBuilder<StateStore>;
  /** Timestamped (window stores) or not (session stores), for the test driver's store views. */
  readonly timestamped: boolean;
  readonly keySerde: Serde<Windowed<K>>;
  readonly valueSerde: Serde<VA>;
  readonly queryableStoreName: string | undefined;
}): KTable<Windowed<K>, VA> {
  const { dsl, supplier } = params;
  const parent = params.grouped.aggregationParent(params.storeName);
  addProcessor(dsl, params.name, supplier.get, [parent]);
  dsl.builder.addStateStore(params.store, [params.name], params.timestamped);
  return tableFromNode<Windowed<K>, VA>({
    dsl,
    name: params.name,
    keySerde: params.keySerde,
    valueSerde: params.valueSerde,
    changes: {
      // The rows live in a window or session store, not a key-value store a downstream getter could read.
      storeName: undefined,
      enableSendingOldValues: () => {
        supplier.enableSendingOldValues();
        return true;
      },
    },
    queryableStoreName: params.queryableStoreName,
  });
}

/**
 * A stream windowed by TimeWindows (tumbling, hopping) or SlidingWindows, to aggregate per key and
 * window. Records with a null key are skipped; sliding windows skip null values too, and
 * `aggregate` and `reduce` skip them everywhere (their functions take values), while `count` of
 * time windows counts them, as Kafka's does.
 */
export class TimeWindowedKStream<K, V> {
  readonly #grouped: GroupedStreamInternals<K, V>;
  readonly #windows: TimeWindows | SlidingWindows;
  #emitStrategy: EmitStrategy = EmitStrategy.onWindowUpdate();

  constructor(grouped: GroupedStreamInternals<K, V>, windows: TimeWindows | SlidingWindows) {
    this.#grouped = grouped;
    this.#windows = windows;
  }

  /** Every update (default) or only each window's final result once it closes (end + grace). */
  emitStrategy(strategy: EmitStrategy): this {
    this.#emitStrategy = strategy;
    return this;
  }

  /** The number of records per key and window. */
  count(options: Named & WindowedMaterialized<K, number> = {}): KTable<Windowed<K>, number> {
    // Kafka burns a store-name index when count gets Materialized options without a store name (not for sliding windows).
    if (this.#windows.windowKind === "time" && options.storeName === undefined && materializedGiven(options)) {
      this.#grouped.dsl.newStoreName(AGGREGATE_NAME);
    }
    return this.#aggregate({
      prefix: AGGREGATE_NAME,
      operation: "count",
      aggregation: countAggregation<K, V>(),
      options,
      valueSerde: Serdes.long(),
      skipNullValues: false,
    });
  }

  /** Combines the values of each key and window with `reducer`; the first value starts the aggregate. */
  reduce(
    reducer: (aggregate: V, value: V) => V,
    options: Named & WindowedMaterialized<K, V> = {},
  ): KTable<Windowed<K>, V> {
    return this.#aggregate({
      prefix: REDUCE_NAME,
      operation: "reduce",
      aggregation: reduceAggregation<K, V>(reducer),
      options,
      valueSerde: this.#grouped.valueSerde,
      skipNullValues: true,
    });
  }

  /** Folds the values of each key and window into an aggregate that starts as `initializer()`; the store needs a `value` serde. */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options: Named & WindowedMaterialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA> {
    return this.#aggregate({
      prefix: AGGREGATE_NAME,
      operation: "aggregate",
      aggregation: aggregateAggregation(initializer, aggregator),
      options,
      valueSerde: options.value,
      skipNullValues: true,
    });
  }

  #aggregate<VA>(params: {
    readonly prefix: string;
    readonly operation: string;
    readonly aggregation: Aggregation<K, V, VA>;
    readonly options: Named & WindowedMaterialized<K, VA>;
    readonly valueSerde: Serde<VA> | undefined;
    readonly skipNullValues: boolean;
  }): KTable<Windowed<K>, VA> {
    const { dsl } = this.#grouped;
    const { options, operation } = params;
    const windows = this.#windows;
    // As Kafka: the store's name first (it may name the repartition topic), then the processor's.
    const storeName = options.storeName ?? dsl.newStoreName(params.prefix);
    const name = options.name ?? dsl.newProcessorName(params.prefix);
    const keySerde = requireSerde(
      options.key ?? this.#grouped.keySerde,
      `${operation}: store ${storeName} needs a key serde (pass { key: ... }, or give the stream serdes)`,
    );
    const valueSerde = requireSerde(
      options.value ?? params.valueSerde,
      `${operation}: store ${storeName} needs a value serde (pass { value: ... })`,
    );
    const sliding = windows.windowKind === "sliding";
    const windowSizeMs = sliding ? windows.timeDifferenceMs : windows.sizeMs;
    const minRetentionMs = sliding ? defaultSlidingRetentionMs(windows) : defaultWindowRetentionMs(windows);
    const retentionMs = options.retentionMs ?? minRetentionMs;
    if (retentionMs < minRetentionMs) {
      throw new TopologyError(
        sliding
          ? `the retention period of the window store ${storeName} must be no smaller than 2 * time difference plus the grace period. Got time difference=[${windowSizeMs}], grace=[${windows.graceMs}], retention=[${retentionMs}]`
          : `the retention period of the window store ${storeName} must be no smaller than its window size plus the grace period. Got size=[${windowSizeMs}], grace=[${windows.graceMs}], retention=[${retentionMs}]`,
      );
    }
    const storeOptions = { name: storeName, retentionMs, windowSizeMs, keySerde, valueSerde };
    const storeType = options.storeType ?? dsl.defaultStoreType;
    const store = storeBuilderLogging<StateStore>(
      storeType === "persistent"
        ? persistentTimestampedWindowStore(storeOptions)
        : inMemoryTimestampedWindowStore(storeOptions),
      options.logging,
    );
    const common = {
      storeName,
      emitStrategy: this.#emitStrategy,
      aggregation: params.aggregation,
      skipNullValues: params.skipNullValues,
      onDroppedRecord: dropLogger(dsl.logger, storeName),
    };
    const supplier: WindowedAggregateSupplier<K, V, VA> = sliding
      ? new SlidingWindowAggregate<K, V, VA>({ ...common, windows })
      : new WindowAggregate<K, V, VA>({ ...common, windows });
    return buildWindowedTable({
      dsl,
      grouped: this.#grouped,
      storeName,
      name,
      supplier,
      store,
      timestamped: true,
      keySerde: timeWindowedSerde(keySerde, windowSizeMs),
      valueSerde,
      queryableStoreName: options.storeName,
    });
  }
}

/**
 * A stream windowed by SessionWindows: each key's records no more than the inactivity gap apart
 * form a session, aggregated per session (and merged, with `merger`, when a record bridges two).
 * Records with a null key are skipped; `aggregate` and `reduce` skip null values too, while `count`
 * counts them, as Kafka's does.
 */
export class SessionWindowedKStream<K, V> {
  readonly #grouped: GroupedStreamInternals<K, V>;
  readonly #windows: SessionWindows;
  #emitStrategy: EmitStrategy = EmitStrategy.onWindowUpdate();

  constructor(grouped: GroupedStreamInternals<K, V>, windows: SessionWindows) {
    this.#grouped = grouped;
    this.#windows = windows;
  }

  /** Every update (default) or only each session's final result once it closes (end + gap + grace). */
  emitStrategy(strategy: EmitStrategy): this {
    this.#emitStrategy = strategy;
    return this;
  }

  /** The number of records per key and session. */
  count(options: Named & WindowedMaterialized<K, number> = {}): KTable<Windowed<K>, number> {
    if (options.storeName === undefined && materializedGiven(options)) this.#grouped.dsl.newStoreName(AGGREGATE_NAME);
    return this.#aggregate({
      prefix: AGGREGATE_NAME,
      operation: "count",
      aggregation: sessionCountAggregation<K, V>(),
      options,
      valueSerde: Serdes.long(),
      skipNullValues: false,
    });
  }

  /** Combines the values of each key and session with `reducer` (also to merge two sessions). */
  reduce(
    reducer: (aggregate: V, value: V) => V,
    options: Named & WindowedMaterialized<K, V> = {},
  ): KTable<Windowed<K>, V> {
    return this.#aggregate({
      prefix: REDUCE_NAME,
      operation: "reduce",
      aggregation: sessionReduceAggregation<K, V>(reducer),
      options,
      valueSerde: this.#grouped.valueSerde,
      skipNullValues: true,
    });
  }

  /**
   * Folds the values of each key and session into an aggregate that starts as `initializer()`;
   * `merger` combines two sessions' aggregates when a record joins them. The store needs a `value` serde.
   */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, aggregate1: VA, aggregate2: VA) => VA,
    options: Named & WindowedMaterialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA> {
    return this.#aggregate({
      prefix: AGGREGATE_NAME,
      operation: "aggregate",
      aggregation: sessionAggregateAggregation(initializer, aggregator, merger),
      options,
      valueSerde: options.value,
      skipNullValues: true,
    });
  }

  #aggregate<VA>(params: {
    readonly prefix: string;
    readonly operation: string;
    readonly aggregation: SessionAggregation<K, V, VA>;
    readonly options: Named & WindowedMaterialized<K, VA>;
    readonly valueSerde: Serde<VA> | undefined;
    readonly skipNullValues: boolean;
  }): KTable<Windowed<K>, VA> {
    const { dsl } = this.#grouped;
    const { options, operation } = params;
    const windows = this.#windows;
    const storeName = options.storeName ?? dsl.newStoreName(params.prefix);
    const name = options.name ?? dsl.newProcessorName(params.prefix);
    const keySerde = requireSerde(
      options.key ?? this.#grouped.keySerde,
      `${operation}: store ${storeName} needs a key serde (pass { key: ... }, or give the stream serdes)`,
    );
    const valueSerde = requireSerde(
      options.value ?? params.valueSerde,
      `${operation}: store ${storeName} needs a value serde (pass { value: ... })`,
    );
    const minRetentionMs = windows.inactivityGapMs + windows.graceMs;
    const retentionMs = options.retentionMs ?? defaultSessionRetentionMs(windows, this.#emitStrategy);
    if (retentionMs < minRetentionMs) {
      throw new TopologyError(
        `the retention period of the session store ${storeName} must be no smaller than the session inactivity gap plus the grace period. Got gap=[${windows.inactivityGapMs}], grace=[${windows.graceMs}], retention=[${retentionMs}]`,
      );
    }
    const storeOptions = { name: storeName, retentionMs, keySerde, valueSerde };
    const storeType = options.storeType ?? dsl.defaultStoreType;
    const store = storeBuilderLogging<StateStore>(
      storeType === "persistent" ? persistentSessionStore(storeOptions) : inMemorySessionStore(storeOptions),
      options.logging,
    );
    const supplier = new SessionWindowAggregate<K, V, VA>({
      windows,
      storeName,
      emitStrategy: this.#emitStrategy,
      aggregation: params.aggregation,
      skipNullValues: params.skipNullValues,
      onDroppedRecord: dropLogger(dsl.logger, storeName),
    });
    return buildWindowedTable({
      dsl,
      grouped: this.#grouped,
      storeName,
      name,
      supplier,
      store,
      timestamped: false,
      keySerde: sessionWindowedSerde(keySerde),
      valueSerde,
      queryableStoreName: options.storeName,
    });
  }
}
