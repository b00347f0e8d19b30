// State stores: the contracts every store implements (in memory or persistent on disk), and how
// a store is logged to and restored from its changelog topic. Reads and writes are synchronous —
// processing a record never awaits — so stores keep their working set in memory or in a
// memory-mapped file; durability comes from the changelog (and, for persistent stores, from the
// local files plus a checkpoint of the changelog offset they reflect).

/** What a store's changes look like on its changelog topic: raw key/value bytes (null value: a delete). */
export interface ChangelogRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
  readonly timestampMs: number;
}

/** Where a logging store sends its changes (the runtime batches them into the changelog topic). */
export type ChangelogSink = (record: ChangelogRecord) => void;

export interface StoreContext {
  readonly applicationId: string;
  /** The task's partition: a store instance holds one partition's state. */
  readonly partition: number;
  /** Directory for persistent stores of this task (created by the runtime); undefined for in-memory runs. */
  readonly stateDir: string | undefined;
  /** Set when the store is logged; undefined when logging is disabled (or in the test driver without logging). */
  readonly changelog: ChangelogSink | undefined;
  /**
   * The timestamp of the record being processed (the punctuation time inside a punctuator): what
   * Kafka stamps a key-value store's changelog records with. Absent outside a task (tests that
   * build a store by hand); stores then stamp 0.
   */
  readonly recordTimestampMs?: () => number;
}

export interface StateStore {
  readonly name: string;
  /** True for stores that keep their state on local disk across restarts. */
  readonly persistent: boolean;
  init(context: StoreContext): void;
  /** Applies changelog records while restoring (no logging); called in changelog order, in batches. */
  restore(records: readonly ChangelogRecord[]): void;
  /**
   * Persistent stores: the changelog offset their local state reflects (saved at commit with
   * `checkpoint`), so a restart restores only from there. In-memory stores: undefined.
   */
  restoredOffset(): number | undefined;
  /** Called at commit, after the changelog writes up to `changelogOffset` are acknowledged. */
  checkpoint(changelogOffset: number): void;
  flush(): void;
  close(): void;
}

export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

export interface ReadOnlyKeyValueStore<K, V> {
  get(key: K): V | undefined;
  /** Entries with from ≤ key ≤ to (either bound may be omitted), in key order (by serialized bytes). */
  range(from?: K, to?: K): Iterable<KeyValue<K, V>>;
  all(): Iterable<KeyValue<K, V>>;
  approximateNumEntries(): number;
}

export interface KeyValueStore<K, V> extends StateStore, ReadOnlyKeyValueStore<K, V> {
  put(key: K, value: V): void;
  /** Puts and returns the previous value, if any. */
  putIfAbsent(key: K, value: V): V | undefined;
  delete(key: K): V | undefined;
}

/** A window by its start (inclusive) and end (exclusive), ms. */
export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface Windowed<K> {
  readonly key: K;
  readonly window: TimeWindow;
}

export interface ReadOnlyWindowStore<K, V> {
  /** The value of `key` in the window starting at `windowStartMs`. */
  fetch(key: K, windowStartMs: number): V | undefined;
  /** Windows of `key` starting in [fromMs, toMs], by start time. */
  fetchRange(key: K, fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>>;
  /** Every window of every key starting in [fromMs, toMs]. */
  fetchAll(fromMs: number, toMs: number): Iterable<KeyValue<Windowed<K>, V>>;
  all(): Iterable<KeyValue<Windowed<K>, V>>;
}

export interface WindowStore<K, V> extends StateStore, ReadOnlyWindowStore<K, V> {
  /** Puts (undefined: deletes) the value of `key` in the window starting at `windowStartMs`. */
  put(key: K, value: V | undefined, windowStartMs: number): void;
  /** Windows ending before this are dropped (retention); the store tracks observed stream time. */
  readonly retentionMs: number;
}

export interface ReadOnlySessionStore<K, V> {
  /** Sessions of `key` that end at or after `earliestEndMs` and start at or before `latestStartMs`. */
  findSessions(key: K, earliestEndMs: number, latestStartMs: number): Iterable<KeyValue<Windowed<K>, V>>;
  fetchSession(key: K, startMs: number, endMs: number): V | undefined;
  fetch(key: K): Iterable<KeyValue<Windowed<K>, V>>;
}

export interface SessionStore<K, V> extends StateStore, ReadOnlySessionStore<K, V> {
  put(session: Windowed<K>, value: V): void;
  remove(session: Windowed<K>): void;
  readonly retentionMs: number;
}

/** Creates a store instance per task; `logged` stores get a changelog topic named `<appId>-<name>-changelog`. */
export interface StoreBuilder<S extends StateStore> {
  readonly name: string;
  readonly logged: boolean;
  /** Configs of the changelog topic (compact for key-value stores; compact,delete for windowed ones). */
  readonly changelogConfigs: Readonly<Record<string, string>>;
  build(): S;
}
