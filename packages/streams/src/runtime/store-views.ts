// Read-only views for interactive queries (Kafka's CompositeReadOnly*Store over the stores of the
// local tasks): every call asks for the store instances anew — so a view outlives rebalances and
// throws the typed InvalidStateStoreError while the store cannot be read here — and reads across
// the partitions this instance holds. Plain views over timestamped stores drop the timestamps, as
// Kafka's facades do.
import type {
  KeyValue,
  ReadOnlyKeyValueStore,
  ReadOnlySessionStore,
  ReadOnlyWindowStore,
  StateStore,
  Windowed,
} from "../state/store.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import { InvalidStateStoreError } from "./queries.ts";
import type { QueryableStoreType } from "./queries.ts";

/** Kafka's ReadOnlyWindowStore as served to queries: our window-store reads plus backward ones. */
export interface ReadOnlyWindowStoreView<K, V> extends ReadOnlyWindowStore<K, V> {
  /** fetchRange's windows, latest start first. */
  backwardFetch(key: K, fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>>;
  /** fetchAll's windows, in reverse order. */
  backwardFetchAll(fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

/** What `KafkaStreams.store()` returns for each queryable store type. */
export type QueryableStore<T extends QueryableStoreType, K, V> = T extends "keyValue"
  ? ReadOnlyKeyValueStore<K, V>
  : T extends "timestampedKeyValue"
    ? ReadOnlyKeyValueStore<K, ValueAndTimestamp<V>>
    : T extends "window"
      ? ReadOnlyWindowStoreView<K, V>
      : T extends "timestampedWindow"
        ? ReadOnlyWindowStoreView<K, ValueAndTimestamp<V>>
        : T extends "session"
          ? ReadOnlySessionStore<K, V>
          : never;

/** The store instances a query reads now (throws InvalidStateStoreError when there are none to read). */
export type StoreInstances = () => readonly StateStore[];

type AnyKeyValueStore = ReadOnlyKeyValueStore<unknown, unknown> & StateStore;
type AnyWindowStore = ReadOnlyWindowStore<unknown, unknown> & StateStore;
type AnySessionStore = ReadOnlySessionStore<unknown, unknown> & StateStore;

function isKeyValueStore(store: StateStore): store is AnyKeyValueStore {
  const candidate = store as Partial<AnyKeyValueStore>;
  return typeof candidate.get === "function" && typeof candidate.range === "function";
}

function isWindowStore(store: StateStore): store is AnyWindowStore {
  const candidate = store as Partial<AnyWindowStore>;
  return typeof candidate.fetchRange === "function" && typeof candidate.fetchAll === "function";
}

function isSessionStore(store: StateStore): store is AnySessionStore {
  return typeof (store as Partial<AnySessionStore>).findSessions === "function";
}

function wrongType(name: string, type: QueryableStoreType, why: string): InvalidStateStoreError {
  return new InvalidStateStoreError("WRONG_TYPE", name, `store ${name} cannot be queried as ${type}: ${why}`);
}

function plainValue(value: unknown): unknown {
  return (value as ValueAndTimestamp<unknown>).value;
}

function* mapValues<K>(
  entries: Iterable<KeyValue<K, unknown>>,
  map: (value: unknown) => unknown,
): Generator<KeyValue<K, unknown>> {
  for (const entry of entries) yield { key: entry.key, value: map(entry.value) };
}

/**
 * A read-only view of `type` over the instances `instances()` returns. `timestamped` says whether
 * the store's values are ValueAndTimestamp (plain types unwrap them; timestamped types need them).
 */
export function storeView<T extends QueryableStoreType, K, V>(options: {
  readonly name: string;
  readonly type: T;
  readonly timestamped: boolean;
  readonly instances: StoreInstances;
}): QueryableStore<T, K, V> {
  const { name, type, timestamped } = options;
  if ((type === "timestampedKeyValue" || type === "timestampedWindow") && !timestamped)
    throw wrongType(name, type, "its values carry no timestamps");
  const unwrap = timestamped && (type === "keyValue" || type === "window");
  const map = unwrap ? plainValue : (value: unknown): unknown => value;
  switch (type) {
    case "keyValue":
    case "timestampedKeyValue":
      return keyValueView(name, type, options.instances, map) as QueryableStore<T, K, V>;
    case "window":
    case "timestampedWindow":
      return windowView(name, type, options.instances, map) as QueryableStore<T, K, V>;
    case "session":
      return sessionView(name, options.instances) as QueryableStore<T, K, V>;
    default: {
      const unknownType: never = type;
      throw wrongType(name, unknownType, "unknown store type");
    }
  }
}

function keyValueView(
  name: string,
  type: QueryableStoreType,
  instances: StoreInstances,
  map: (value: unknown) => unknown,
): ReadOnlyKeyValueStore<unknown, unknown> {
  const stores = (): AnyKeyValueStore[] =>
    instances().map((store) => {
      if (!isKeyValueStore(store)) throw wrongType(name, type, "it is not a key-value store");
      return store;
    });
  return {
    get(key) {
      for (const store of stores()) {
        const value = store.get(key);
        if (value !== undefined) return map(value);
      }
      return undefined;
    },
    *range(from, to) {
      for (const store of stores()) yield* mapValues(store.range(from, to), map);
    },
    *all() {
      for (const store of stores()) yield* mapValues(store.all(), map);
    },
    approximateNumEntries: () => stores().reduce((sum, store) => sum + store.approximateNumEntries(), 0),
  };
}

function windowView(
  name: string,
  type: QueryableStoreType,
  instances: StoreInstances,
  map: (value: unknown) => unknown,
): ReadOnlyWindowStoreView<unknown, unknown> {
  const stores = (): AnyWindowStore[] =>
    instances().map((store) => {
      if (!isWindowStore(store)) throw wrongType(name, type, "it is not a window store");
      return store;
    });
  const fetchRange = function* (
    key: unknown,
    fromMs: number,
    toMs: number,
  ): Generator<KeyValue<Windowed<unknown>, unknown>> {
    for (const store of stores()) yield* mapValues(store.fetchRange(key, fromMs, toMs), map);
  };
  const fetchAll = function* (fromMs: number, toMs: number): Generator<KeyValue<Windowed<unknown>, unknown>> {
    for (const store of stores()) yield* mapValues(store.fetchAll(fromMs, toMs), map);
  };
  return {
    fetch(key, windowStartMs) {
      for (const store of stores()) {
        const value = store.fetch(key, windowStartMs);
        if (value !== undefined) return map(value);
      }
      return undefined;
    },
    fetchRange,
    fetchAll,
    *all() {
      for (const store of stores()) yield* mapValues(store.all(), map);
    },
    // A key lives in one partition, so its windows come from one store, ordered by start.
    backwardFetch: (key, fromMs, toMs) => [...fetchRange(key, fromMs, toMs)].reverse(),
    backwardFetchAll: (fromMs, toMs) => [...fetchAll(fromMs, toMs)].reverse(),
  };
}

function sessionView(name: string, instances: StoreInstances): ReadOnlySessionStore<unknown, unknown> {
  const stores = (): AnySessionStore[] =>
    instances().map((store) => {
      if (!isSessionStore(store)) throw wrongType(name, "session", "it is not a session store");
      return store;
    });
  return {
    *findSessions(key, earliestEndMs, latestStartMs) {
      for (const store of stores()) yield* store.findSessions(key, earliestEndMs, latestStartMs);
    },
    fetchSession(key, startMs, endMs) {
      for (const store of stores()) {
        const value = store.fetchSession(key, startMs, endMs);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    *fetch(key) {
      for (const store of stores()) yield* store.fetch(key);
    },
  };
}
