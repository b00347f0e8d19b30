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
import { inMemoryTimestampedWindowStore } from "../state/in-memory-window-store.ts";
import type { WindowedStoreBuilder } from "../state/windowed-store-builder.ts";
import type { StoreType } from "../state/stores.ts";
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

/** Aggregations of time windows, or of sessions (which also merge). */
type AggregationOf<K, V, VA, Kind extends "time" | "session"> = Kind extends "session"
  ? SessionAggregation<K, V, VA>
  : Aggregation<K, V, VA>;

/** One windowed aggregation, as count, reduce and aggregate describe it. */
interface AggregateParams<K, V, VA, Kind extends "time" | "session"> {
  readonly prefix: string;
  readonly operation: string;
  readonly aggregation: AggregationOf<K, V, VA, Kind>;
  readonly options: Named & WindowedMaterialized<K, VA>;
  readonly valueSerde: Serde<VA> | undefined;
  readonly skipNullValues: boolean;
}

/** What a kind of windowed stream makes of one aggregation, its names and serdes resolved. */
interface Materializing<K, V, VA, Kind extends "time" | "session"> {
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<VA>;
  readonly params: AggregateParams<K, V, VA, Kind>;
  readonly onDroppedRecord: (drop: DroppedRecord) => void;
}

/** The store and processors of one windowed aggregation. */
interface WindowedAggregateParts<K, V, VA> {
  readonly store: WindowedStoreBuilder<StateStore>;
  readonly supplier: WindowedAggregateSupplier<K, V, VA>;
  /** Timestamped (window stores) or not (session stores), for the test driver's store views. */
  readonly timestamped: boolean;
  readonly keySerde: Serde<Windowed<K>>;
}

/** What time- and session-windowed streams share: the emit strategy, count, reduce, names and serdes. */
abstract class WindowedKStream<K, V, W, Kind extends "time" | "session"> {
  protected readonly grouped: GroupedStreamInternals<K, V>;
  protected readonly windows: W;
  protected currentEmitStrategy: EmitStrategy = EmitStrategy.onWindowUpdate();

  constructor(grouped: GroupedStreamInternals<K, V>, windows: W) {
    this.grouped = grouped;
    this.windows = windows;
  }

  /** Every update (default) or only each window's final result once it closes (end + grace; sessions: end + gap + grace). */
  emitStrategy(strategy: EmitStrategy): this {
    this.currentEmitStrategy = strategy;
    return this;
  }

  /** The number of records per key and window (or session). */
  count(options: Named & WindowedMaterialized<K, number> = {}): KTable<Windowed<K>, number> {
    // Kafka burns a store-name index when count gets Materialized options without a store name (not for sliding windows).
    if (this.countBurnsStoreName() && options.storeName === undefined && materializedGiven(options)) {
      this.grouped.dsl.newStoreName(AGGREGATE_NAME);
    }
    return this.aggregateWith({
      prefix: AGGREGATE_NAME,
      operation: "count",
      aggregation: this.countAggregation(),
      options,
      valueSerde: Serdes.long(),
      skipNullValues: false,
    });
  }

  /**
   * Combines the values of each key and window (or session) with `reducer`; the first value starts
   * the aggregate (and, for sessions, it merges two sessions).
   */
  reduce(
    reducer: (aggregate: V, value: V) => V,
    options: Named & WindowedMaterialized<K, V> = {},
  ): KTable<Windowed<K>, V> {
    return this.aggregateWith({
      prefix: REDUCE_NAME,
      operation: "reduce",
      aggregation: this.reduceAggregation(reducer),
      options,
      valueSerde: this.grouped.valueSerde,
      skipNullValues: true,
    });
  }

  protected aggregateWith<VA>(params: AggregateParams<K, V, VA, Kind>): KTable<Windowed<K>, VA> {
    const { dsl } = this.grouped;
    const { options, operation } = params;
    // As Kafka: the store's name first (it may name the repartition topic), then the processor's.
    const storeName = options.storeName ?? dsl.newStoreName(params.prefix);
    const name = options.name ?? dsl.newProcessorName(params.prefix);
    const keySerde = requireSerde(
      options.key ?? this.grouped.keySerde,
      `${operation}: store ${storeName} needs a key serde (pass { key: ... }, or give the stream serdes)`,
    );
    const valueSerde = requireSerde(
      options.value ?? params.valueSerde,
      `${operation}: store ${storeName} needs a value serde (pass { value: ... })`,
    );
    const made = this.materialize({
      storeName,
      keySerde,
      valueSerde,
      params,
      onDroppedRecord: dropLogger(dsl.logger, storeName),
    });
    return buildWindowedTable({
      dsl,
      grouped: this.grouped,
      storeName,
      name,
      supplier: made.supplier,
      store: storeBuilderLogging<StateStore>(made.store, options.logging),
      timestamped: made.timestamped,
      keySerde: made.keySerde,
      valueSerde,
      queryableStoreName: options.storeName,
    });
  }

  /** The store type an aggregation asked for, else the builder's default. */
  protected storeType(options: Materialized<unknown, unknown>): StoreType {
    return options.storeType ?? this.grouped.dsl.defaultStoreType;
  }

  protected abstract countBurnsStoreName(): boolean;
  protected abstract countAggregation(): AggregationOf<K, V, number, Kind>;
  protected abstract reduceAggregation(reducer: (aggregate: V, value: V) => V): AggregationOf<K, V, V, Kind>;
  protected abstract materialize<VA>(what: Materializing<K, V, VA, Kind>): WindowedAggregateParts<K, V, VA>;
}

/**
 * A stream windowed by TimeWindows (tumbling, hopping) or SlidingWindows, to aggregate per key and
 * window. Records with a null key are skipped; sliding windows skip null values too, and
 * `aggregate` and `reduce` skip them everywhere (their functions take values), while `count` of
 * time windows counts them, as Kafka's does.
 */
export class TimeWindowedKStream<K, V> extends WindowedKStream<K, V, TimeWindows | SlidingWindows, "time"> {
  /** Folds the values of each key and window into an aggregate that starts as `initializer()`; the store needs a `value` serde. */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options: Named & WindowedMaterialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA> {
    return this.aggregateWith({
      prefix: AGGREGATE_NAME,
      operation: "aggregate",
      aggregation: aggregateAggregation(initializer, aggregator),
      options,
      valueSerde: options.value,
      skipNullValues: true,
    });
  }

  protected countBurnsStoreName(): boolean {
    return this.windows.windowKind === "time";
  }

  protected countAggregation(): Aggregation<K, V, number> {
    return countAggregation<K, V>();
  }

  protected reduceAggregation(reducer: (aggregate: V, value: V) => V): Aggregation<K, V, V> {
    return reduceAggregation<K, V>(reducer);
  }

  protected materialize<VA>(what: Materializing<K, V, VA, "time">): WindowedAggregateParts<K, V, VA> {
    const { storeName, params } = what;
    const options = params.options;
    const windows = this.windows;
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
    const storeOptions = {
      name: storeName,
      retentionMs,
      windowSizeMs,
      keySerde: what.keySerde,
      valueSerde: what.valueSerde,
    };
    const common = {
      storeName,
      emitStrategy: this.currentEmitStrategy,
      aggregation: params.aggregation,
      skipNullValues: params.skipNullValues,
      onDroppedRecord: what.onDroppedRecord,
    };
    return {
      store:
        this.storeType(options) === "persistent"
          ? persistentTimestampedWindowStore(storeOptions)
          : inMemoryTimestampedWindowStore(storeOptions),
      supplier: sliding
        ? new SlidingWindowAggregate<K, V, VA>({ ...common, windows })
        : new WindowAggregate<K, V, VA>({ ...common, windows }),
      timestamped: true,
      keySerde: timeWindowedSerde(what.keySerde, windowSizeMs),
    };
  }
}

/**
 * A stream windowed by SessionWindows: each key's records no more than the inactivity gap apart
 * form a session, aggregated per session (and merged, with `merger`, when a record bridges two).
 * Records with a null key are skipped; `aggregate` and `reduce` skip null values too, while `count`
 * counts them, as Kafka's does.
 */
export class SessionWindowedKStream<K, V> extends WindowedKStream<K, V, SessionWindows, "session"> {
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
    return this.aggregateWith({
      prefix: AGGREGATE_NAME,
      operation: "aggregate",
      aggregation: sessionAggregateAggregation(initializer, aggregator, merger),
      options,
      valueSerde: options.value,
      skipNullValues: true,
    });
  }

  protected countBurnsStoreName(): boolean {
    return true;
  }

  protected countAggregation(): SessionAggregation<K, V, number> {
    return sessionCountAggregation<K, V>();
  }

  protected reduceAggregation(reducer: (aggregate: V, value: V) => V): SessionAggregation<K, V, V> {
    return sessionReduceAggregation<K, V>(reducer);
  }

  protected materialize<VA>(what: Materializing<K, V, VA, "session">): WindowedAggregateParts<K, V, VA> {
    const { storeName, params } = what;
    const windows = this.windows;
    const minRetentionMs = windows.inactivityGapMs + windows.graceMs;
    const retentionMs = params.options.retentionMs ?? defaultSessionRetentionMs(windows, this.currentEmitStrategy);
    if (retentionMs < minRetentionMs) {
      throw new TopologyError(
        `the retention period of the session store ${storeName} must be no smaller than the session inactivity gap plus the grace period. Got gap=[${windows.inactivityGapMs}], grace=[${windows.graceMs}], retention=[${retentionMs}]`,
      );
    }
    const storeOptions = { name: storeName, retentionMs, keySerde: what.keySerde, valueSerde: what.valueSerde };
    return {
      store:
        this.storeType(params.options) === "persistent"
          ? persistentSessionStore(storeOptions)
          : inMemorySessionStore(storeOptions),
      supplier: new SessionWindowAggregate<K, V, VA>({
        windows,
        storeName,
        emitStrategy: this.currentEmitStrategy,
        aggregation: params.aggregation,
        skipNullValues: params.skipNullValues,
        onDroppedRecord: what.onDroppedRecord,
      }),
      timestamped: false,
      keySerde: sessionWindowedSerde(what.keySerde),
    };
  }
}
