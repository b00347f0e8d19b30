// TopologyTestDriver (Kafka's, from kafka-streams-test-utils): runs a topology without a broker,
// through the same TopologyPlan and tasks the real runtime uses. Records piped into input topics
// go to a task by partition (Kafka's default partitioner: murmur2 of the key bytes; a configurable
// partition count, default 1), every record the topology produces is captured per topic, and
// records sent to topics the topology reads (repartition topics, through()) are fed back in, in
// order. Time is simulated: event time comes with the records, wall-clock time only moves when
// the test advances it. Everything is synchronous and deterministic.
import { silentLogger, type Logger } from "./logger.ts";
import { partitionForKey } from "./murmur2.ts";
import { OUTER_JOIN_EMIT_INTERVAL_CONFIG } from "./processors/stream-stream-join.ts";
import { EMIT_INTERVAL_CONFIG } from "./processors/window-aggregation.ts";
import type { Headers } from "./record.ts";
import type {
  ConsumedRecord,
  GlobalTask,
  OutgoingRecord,
  TaskEnvironment,
  TopologyPlan,
  TopologyTask,
} from "./runtime-contract.ts";
import { Serdes, type Serde } from "./serdes.ts";
import type { KeyValue, KeyValueStore, SessionStore, StateStore, WindowStore, Windowed } from "./state/store.ts";
import type { ValueAndTimestamp } from "./state/window-key-schema.ts";
import { resolvePartitions } from "./topology/partitions.ts";
import type { DeserializationErrorHandler } from "./topology/plan-options.ts";
import type { Topology } from "./topology/topology.ts";

export interface TopologyTestDriverOptions {
  /** Default "topology-test-driver"; prefixes internal topics as in a real application. */
  readonly applicationId?: string;
  /** The simulated wall clock at start (default 0, so runs do not depend on the real time). */
  readonly initialWallClockTimeMs?: number;
  /** Partitions of the user topics: one count for all, or per topic (others: 1). Default 1. */
  readonly partitions?: number | Readonly<Record<string, number>>;
  readonly deserializationErrorHandler?: DeserializationErrorHandler;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Directory for persistent stores (each task gets a sub-directory); default: none (in-memory stores only). */
  readonly stateDir?: string;
  /** What ProcessorContext.appConfigs() answers (default: the emit-final throttle at 0, as Kafka's driver). */
  readonly appConfigs?: Readonly<Record<string, string>>;
}

export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestampMs: number;
  readonly headers: Headers;
}

export interface PipeOptions {
  readonly timestampMs?: number;
  readonly headers?: Headers;
}

export class TestInputTopic<K, V> {
  readonly name: string;
  readonly #driver: TopologyTestDriver;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  #currentTimeMs: number;
  readonly #autoAdvanceMs: number;

  constructor(options: {
    readonly driver: TopologyTestDriver;
    readonly name: string;
    readonly key: Serde<K>;
    readonly value: Serde<V>;
    readonly startTimestampMs: number;
    readonly autoAdvanceMs: number;
  }) {
    this.#driver = options.driver;
    this.name = options.name;
    this.#keySerde = options.key;
    this.#valueSerde = options.value;
    this.#currentTimeMs = options.startTimestampMs;
    this.#autoAdvanceMs = options.autoAdvanceMs;
  }

  /**
   * Pipes one record and processes everything it causes. The timestamp is the third argument (or
   * `{ timestampMs, headers }`); without one, the topic's current time, which then auto-advances.
   */
  pipeInput(key: K | null, value: V | null, timestamp?: number | PipeOptions): void {
    const options: PipeOptions = typeof timestamp === "number" ? { timestampMs: timestamp } : (timestamp ?? {});
    let timestampMs = options.timestampMs;
    if (timestampMs === undefined) {
      timestampMs = this.#currentTimeMs;
      this.#currentTimeMs += this.#autoAdvanceMs;
    }
    const headers = options.headers ?? [];
    const context = { topic: this.name, headers };
    this.#driver.pipeRaw(this.name, {
      key: key === null ? null : this.#keySerde.serialize(key, context),
      value: value === null ? null : this.#valueSerde.serialize(value, context),
      timestampMs,
      headers,
    });
  }

  pipeKeyValueList(list: Iterable<KeyValue<K | null, V | null>>): void {
    for (const { key, value } of list) this.pipeInput(key, value);
  }

  pipeValueList(values: Iterable<V | null>): void {
    for (const value of values) this.pipeInput(null, value);
  }

  pipeRecordList(records: Iterable<{ key: K | null; value: V | null } & PipeOptions>): void {
    for (const record of records) {
      this.pipeInput(record.key, record.value, {
        ...(record.timestampMs === undefined ? {} : { timestampMs: record.timestampMs }),
        ...(record.headers === undefined ? {} : { headers: record.headers }),
      });
    }
  }

  /** Moves the topic's current time (used for records piped without a timestamp). */
  advanceTime(ms: number): void {
    if (ms < 0) throw new RangeError(`advanceTime needs ms ≥ 0, got ${ms}`);
    this.#currentTimeMs += ms;
  }
}

export class TestOutputTopic<K, V> {
  readonly name: string;
  readonly #driver: TopologyTestDriver;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;

  constructor(driver: TopologyTestDriver, name: string, key: Serde<K>, value: Serde<V>) {
    this.#driver = driver;
    this.name = name;
    this.#keySerde = key;
    this.#valueSerde = value;
  }

  readRecord(): TestRecord<K, V> {
    const raw = this.#driver.readRaw(this.name);
    if (raw === undefined) throw new Error(`empty topic: ${this.name}`);
    const context = { topic: this.name, headers: raw.headers };
    return {
      key: raw.key === null ? null : this.#keySerde.deserialize(raw.key, context),
      value: raw.value === null ? null : this.#valueSerde.deserialize(raw.value, context),
      timestampMs: raw.timestampMs,
      headers: raw.headers,
    };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readKeyValue(): KeyValue<K | null, V | null> {
    const record = this.readRecord();
    return { key: record.key, value: record.value };
  }

  readRecordsToList(): TestRecord<K, V>[] {
    const records: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) records.push(this.readRecord());
    return records;
  }

  readKeyValuesToList(): KeyValue<K | null, V | null>[] {
    return this.readRecordsToList().map((record) => ({ key: record.key, value: record.value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((record) => record.value);
  }

  /** The latest value per key (a null value included, as Kafka's); records with a null key fail. */
  readKeyValuesToMap(): Map<K, V | null> {
    const map = new Map<K, V | null>();
    for (const record of this.readRecordsToList()) {
      if (record.key === null) throw new Error(`readKeyValuesToMap: ${this.name} has a record with a null key`);
      map.set(record.key, record.value);
    }
    return map;
  }

  getQueueSize(): number {
    return this.#driver.queueSize(this.name);
  }

  isEmpty(): boolean {
    return this.getQueueSize() === 0;
  }
}

interface DriverTask {
  readonly task: TopologyTask;
  readonly subtopology: number;
}

export class TopologyTestDriver {
  readonly plan: TopologyPlan;
  readonly #topology: Topology;
  readonly #partitionsOption: number | Readonly<Record<string, number>>;
  readonly #topicPartitions: ReadonlyMap<string, number>;
  readonly #tasks: DriverTask[] = [];
  readonly #taskByInput = new Map<string, TopologyTask>();
  readonly #inputTopics = new Set<string>();
  readonly #globalTask: GlobalTask | undefined;
  readonly #globalTopics: ReadonlySet<string>;
  readonly #nextOffsets = new Map<string, number>();
  readonly #roundRobin = new Map<string, number>();
  readonly #outputs = new Map<string, OutgoingRecord[]>();
  readonly #produced = new Set<string>();
  #nowMs: number;
  #working = false;
  #closed = false;

  constructor(topology: Topology, options: TopologyTestDriverOptions = {}) {
    this.#topology = topology;
    this.#nowMs = options.initialWallClockTimeMs ?? 0;
    this.#partitionsOption = options.partitions ?? 1;
    this.plan = topology.plan(options.applicationId ?? "topology-test-driver", {
      deserializationErrorHandler: options.deserializationErrorHandler ?? "log-and-fail",
      logger: options.logger ?? silentLogger,
      // As Kafka's TopologyTestDriver: emit-final windows and unmatched outer-join records are looked for on every record.
      appConfigs: { [EMIT_INTERVAL_CONFIG]: "0", [OUTER_JOIN_EMIT_INTERVAL_CONFIG]: "0", ...options.appConfigs },
    });
    const internal = new Set(this.plan.internalTopics.map((spec) => spec.name));
    const userTopics = new Map<string, number>();
    for (const subtopology of this.plan.subtopologies) {
      for (const topic of subtopology.sourceTopics)
        if (!internal.has(topic)) userTopics.set(topic, this.#partitionsOf(topic));
    }
    for (const global of this.plan.globalStores) userTopics.set(global.topic, this.#partitionsOf(global.topic));
    const layout = resolvePartitions(this.plan, userTopics);
    this.#topicPartitions = layout.topicPartitions;
    this.#globalTopics = new Set(this.plan.globalStores.map((g) => g.topic));

    const stateDirOf = (taskDir: string): string | undefined =>
      options.stateDir === undefined ? undefined : `${options.stateDir}/${taskDir}`;
    this.#globalTask = this.plan.createGlobalTask({
      applicationId: this.plan.applicationId,
      stateDir: stateDirOf("global"),
      nowMs: () => this.#nowMs,
      send: (record) => this.#send(record),
    });
    this.#globalTask?.initialize();
    for (const subtopology of this.plan.subtopologies) {
      const partitions = layout.subtopologyPartitions.get(subtopology.id) ?? 0;
      for (let partition = 0; partition < partitions; partition++) {
        const env: TaskEnvironment = {
          applicationId: this.plan.applicationId,
          stateDir: stateDirOf(`${subtopology.id}_${partition}`),
          nowMs: () => this.#nowMs,
          send: (record) => this.#send(record),
          requestCommit: () => undefined,
        };
        const task = this.plan.createTask({ subtopology: subtopology.id, partition }, env);
        task.initialize();
        this.#tasks.push({ task, subtopology: subtopology.id });
        for (const topic of subtopology.sourceTopics) {
          this.#taskByInput.set(`${topic}\u0000${partition}`, task);
          this.#inputTopics.add(topic);
        }
      }
    }
  }

  createInputTopic<K = Uint8Array, V = Uint8Array>(
    name: string,
    options: {
      readonly key?: Serde<K>;
      readonly value?: Serde<V>;
      /** Timestamp of records piped without one (default 0). */
      readonly startTimestampMs?: number;
      /** How much that timestamp moves after each such record (default 0). */
      readonly autoAdvanceMs?: number;
    } = {},
  ): TestInputTopic<K, V> {
    return new TestInputTopic<K, V>({
      driver: this,
      name,
      key: options.key ?? (Serdes.bytes() as unknown as Serde<K>),
      value: options.value ?? (Serdes.bytes() as unknown as Serde<V>),
      startTimestampMs: options.startTimestampMs ?? 0,
      autoAdvanceMs: options.autoAdvanceMs ?? 0,
    });
  }

  createOutputTopic<K = Uint8Array, V = Uint8Array>(
    name: string,
    options: { readonly key?: Serde<K>; readonly value?: Serde<V> } = {},
  ): TestOutputTopic<K, V> {
    return new TestOutputTopic<K, V>(
      this,
      name,
      options.key ?? (Serdes.bytes() as unknown as Serde<K>),
      options.value ?? (Serdes.bytes() as unknown as Serde<V>),
    );
  }

  /** Moves the simulated wall clock, fires due wall-clock punctuators and processes what they caused. */
  advanceWallClockTime(ms: number): void {
    this.#assertOpen();
    if (!(ms >= 0)) throw new RangeError(`advanceWallClockTime needs ms ≥ 0, got ${ms}`);
    this.#nowMs += ms;
    for (const { task } of this.#tasks) task.punctuateWallClock(this.#nowMs);
    this.#completeWork();
  }

  get wallClockTimeMs(): number {
    return this.#nowMs;
  }

  /** Topics the topology has written to so far (sinks, repartition and changelog topics). */
  producedTopicNames(): Set<string> {
    return new Set(this.#produced);
  }

  /** A store by name (the only instance, or a read-only view over the instances of all partitions). */
  getStateStore<S extends StateStore = StateStore>(name: string): S {
    const instances = this.#instances(name);
    if (instances.length === 1) return instances[0] as S;
    throw new Error(
      `store ${name} has ${instances.length} instances (one per partition); use getKeyValueStore for a combined view`,
    );
  }

  /** A key-value store with plain values (DSL stores' timestamps are left out, as Kafka's facade does). */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const stores = this.#instances(name) as KeyValueStore<K, unknown>[];
    const plain = this.#isTimestamped(name)
      ? stores.map((store) => timestampedKeyValueFacade(store as KeyValueStore<K, ValueAndTimestamp<V>>))
      : (stores as KeyValueStore<K, V>[]);
    return plain.length === 1 ? (plain[0] as KeyValueStore<K, V>) : compositeKeyValueStore(name, plain);
  }

  /** A DSL key-value store with its values' timestamps. */
  getTimestampedKeyValueStore<K, V>(name: string): KeyValueStore<K, ValueAndTimestamp<V>> {
    if (!this.#isTimestamped(name)) throw new Error(`store ${name} is not a timestamped key-value store`);
    const stores = this.#instances(name) as KeyValueStore<K, ValueAndTimestamp<V>>[];
    return stores.length === 1
      ? (stores[0] as KeyValueStore<K, ValueAndTimestamp<V>>)
      : compositeKeyValueStore(name, stores);
  }

  /** A window store with plain values (timestamped DSL window stores are unwrapped). */
  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    const store = this.getStateStore<WindowStore<K, unknown>>(name);
    return this.#isTimestamped(name)
      ? timestampedWindowFacade(store as WindowStore<K, ValueAndTimestamp<V>>)
      : (store as WindowStore<K, V>);
  }

  getTimestampedWindowStore<K, V>(name: string): WindowStore<K, ValueAndTimestamp<V>> {
    return this.getStateStore<WindowStore<K, ValueAndTimestamp<V>>>(name);
  }

  getSessionStore<K, V>(name: string): SessionStore<K, V> {
    return this.getStateStore<SessionStore<K, V>>(name);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { task } of this.#tasks) {
      task.flush();
      task.close();
    }
    this.#globalTask?.flush();
    this.#globalTask?.close();
  }

  // ---- used by the test topics ----

  /** @internal Pipes a serialized record into a topic (a user topic, a global topic, or any topic the topology reads). */
  pipeRaw(topic: string, record: Omit<OutgoingRecord, "topic" | "partition">): void {
    this.#assertOpen();
    if (!(record.timestampMs >= 0))
      throw new RangeError(`topic ${topic}: timestamps must be ≥ 0, got ${record.timestampMs}`);
    if (!this.#globalTopics.has(topic) && !this.#inputTopics.has(topic))
      throw new Error(`unknown topic: ${topic} is not read by the topology`);
    this.#deliver({ ...record, topic, partition: this.#partitionFor(topic, record.key) });
    this.#completeWork();
  }

  /** @internal The next unread record of a topic. */
  readRaw(topic: string): OutgoingRecord | undefined {
    return this.#outputs.get(topic)?.shift();
  }

  /** @internal */
  queueSize(topic: string): number {
    return this.#outputs.get(topic)?.length ?? 0;
  }

  // ---- internals ----

  #partitionsOf(topic: string): number {
    const option = this.#partitionsOption;
    return typeof option === "number" ? option : (option[topic] ?? 1);
  }

  #partitionFor(topic: string, key: Uint8Array | null): number {
    const partitions = this.#topicPartitions.get(topic) ?? this.#partitionsOf(topic);
    if (key !== null) return partitionForKey(key, partitions);
    // Null keys: round robin, so runs stay deterministic (Kafka's producer would stick to one partition per batch).
    const next = this.#roundRobin.get(topic) ?? 0;
    this.#roundRobin.set(topic, next + 1);
    return next % partitions;
  }

  #send(record: OutgoingRecord): void {
    const partition = record.partition ?? this.#partitionFor(record.topic, record.key);
    const placed: OutgoingRecord = record.partition === undefined ? { ...record, partition } : record;
    this.#produced.add(record.topic);
    let queue = this.#outputs.get(record.topic);
    if (queue === undefined) {
      queue = [];
      this.#outputs.set(record.topic, queue);
    }
    queue.push(placed);
    // Topics the topology reads (repartition topics, through(), global topics) feed back in.
    if (this.#globalTopics.has(record.topic) || this.#taskByInput.has(`${record.topic}\u0000${partition}`)) {
      this.#deliver({ ...placed, partition });
    }
  }

  #deliver(record: OutgoingRecord & { readonly partition: number }): void {
    const offsetKey = `${record.topic}\u0000${record.partition}`;
    const offset = this.#nextOffsets.get(offsetKey) ?? 0;
    this.#nextOffsets.set(offsetKey, offset + 1);
    const consumed: ConsumedRecord = {
      topic: record.topic,
      partition: record.partition,
      offset,
      key: record.key,
      value: record.value,
      timestampMs: record.timestampMs,
      headers: record.headers,
    };
    if (this.#globalTopics.has(record.topic)) {
      this.#globalTask?.process(consumed);
      return;
    }
    const task = this.#taskByInput.get(offsetKey);
    if (task === undefined) throw new Error(`no task reads ${record.topic}-${record.partition}`);
    task.enqueue([consumed]);
  }

  /** Processes until no task has buffered records (records produced on the way are routed first). */
  #completeWork(): void {
    if (this.#working) return;
    this.#working = true;
    try {
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const { task } of this.#tasks) {
          while (task.processNext()) progressed = true;
        }
      }
      // Kafka's driver commits after processing: stores flush.
      for (const { task } of this.#tasks) task.flush();
    } finally {
      this.#working = false;
    }
  }

  #instances(name: string): StateStore[] {
    const instances: StateStore[] = [];
    for (const { task } of this.#tasks) {
      for (const { store } of task.stores) if (store.name === name) instances.push(store);
    }
    for (const { store } of this.#globalTask?.stores ?? []) if (store.name === name) instances.push(store);
    if (instances.length === 0) throw new Error(`no state store named ${name}`);
    return instances;
  }

  #isTimestamped(name: string): boolean {
    return this.#topology.internalBuilder.stores.get(name)?.timestamped ?? false;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("the test driver is closed");
  }
}

/** Kafka's KeyValueStoreFacade: plain values over a timestamped store; puts carry no timestamp (-1). */
function timestampedKeyValueFacade<K, V>(inner: KeyValueStore<K, ValueAndTimestamp<V>>): KeyValueStore<K, V> {
  const unwrap = function* (entries: Iterable<KeyValue<K, ValueAndTimestamp<V>>>): Generator<KeyValue<K, V>> {
    for (const entry of entries) yield { key: entry.key, value: entry.value.value };
  };
  return {
    name: inner.name,
    persistent: inner.persistent,
    init: (context) => inner.init(context),
    restore: (records) => inner.restore(records),
    restoredOffset: () => inner.restoredOffset(),
    checkpoint: (offset) => inner.checkpoint(offset),
    flush: () => inner.flush(),
    close: () => inner.close(),
    get: (key) => inner.get(key)?.value,
    range: (from, to) => unwrap(inner.range(from, to)),
    all: () => unwrap(inner.all()),
    approximateNumEntries: () => inner.approximateNumEntries(),
    put: (key, value) => inner.put(key, { value, timestampMs: -1 }),
    putIfAbsent: (key, value) => inner.putIfAbsent(key, { value, timestampMs: -1 })?.value,
    delete: (key) => inner.delete(key)?.value,
  };
}

/** A view over the instances of a store on every partition: reads from all, writes are refused. */
function compositeKeyValueStore<K, V>(name: string, stores: readonly KeyValueStore<K, V>[]): KeyValueStore<K, V> {
  const refuse = (): never => {
    throw new Error(`store ${name} spans ${stores.length} partitions: the combined view is read-only`);
  };
  return {
    name,
    persistent: stores.some((store) => store.persistent),
    init: refuse,
    restore: refuse,
    restoredOffset: () => undefined,
    checkpoint: refuse,
    flush: () => stores.forEach((store) => store.flush()),
    close: refuse,
    get(key) {
      for (const store of stores) {
        const value = store.get(key);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    *range(from, to) {
      for (const store of stores) yield* store.range(from, to);
    },
    *all() {
      for (const store of stores) yield* store.all();
    },
    approximateNumEntries: () => stores.reduce((sum, store) => sum + store.approximateNumEntries(), 0),
    put: refuse,
    putIfAbsent: refuse,
    delete: refuse,
  };
}

/** Plain values over a timestamped window store (Kafka's WindowStoreFacade). */
function timestampedWindowFacade<K, V>(inner: WindowStore<K, ValueAndTimestamp<V>>): WindowStore<K, V> {
  const unwrap = function* (
    entries: Iterable<KeyValue<Windowed<K>, ValueAndTimestamp<V>>>,
  ): Generator<KeyValue<Windowed<K>, V>> {
    for (const entry of entries) yield { key: entry.key, value: entry.value.value };
  };
  return {
    name: inner.name,
    persistent: inner.persistent,
    retentionMs: inner.retentionMs,
    init: (context) => inner.init(context),
    restore: (records) => inner.restore(records),
    restoredOffset: () => inner.restoredOffset(),
    checkpoint: (offset) => inner.checkpoint(offset),
    flush: () => inner.flush(),
    close: () => inner.close(),
    fetch: (key, windowStartMs) => inner.fetch(key, windowStartMs)?.value,
    fetchRange: (key, fromMs, toMs) => unwrap(inner.fetchRange(key, fromMs, toMs)),
    fetchAll: (fromMs, toMs) => unwrap(inner.fetchAll(fromMs, toMs)),
    all: () => unwrap(inner.all()),
    put: (key, value, windowStartMs) =>
      inner.put(key, value === undefined ? undefined : { value, timestampMs: -1 }, windowStartMs),
  };
}
