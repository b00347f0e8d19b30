// KStream (Kafka's KStream): a record stream and its operations. Stateless operations add a
// processor each; key-changing ones (map, flatMap, selectKey, process) mark the stream so the next
// stateful operation (aggregation, toTable) repartitions it through an internal topic first.
// Serdes travel with the stream while they still describe its keys and values.
import type { ProcessorSupplier } from "../processor.ts";
import {
  branchProcessor,
  filterProcessor,
  fixedKeyProcessor,
  flatMapProcessor,
  flatMapValuesProcessor,
  mapProcessor,
  mapValuesProcessor,
  passThroughProcessor,
  peekProcessor,
  selectKeyProcessor,
} from "../processors/stream-processors.ts";
import { TableNodeState, tableSourceProcessor } from "../processors/table-processors.ts";
import { SerializationError, type Serde } from "../serdes.ts";
import type { KeyValue } from "../state/store.ts";
import type { TopicNameExtractor } from "../topology/internal-builder.ts";
import {
  addProcessor,
  addTimestampedStore,
  repartitionThrough,
  requireSerde,
  timestampedStoreBuilder,
  type DslContext,
} from "./internal.ts";
import type { GlobalValueJoiner, Joined, StreamJoined, ValueJoiner } from "./join-options.ts";
import { JoinWindows } from "./join-windows.ts";
import { KGroupedStream } from "./kgrouped-stream.ts";
import { GlobalKTable, KTable } from "./ktable.ts";
import type { Grouped, Materialized, Named, Produced, Repartitioned } from "./options.ts";
import { streamGlobalTableJoin, streamStreamJoin, streamTableJoin } from "./stream-joins.ts";

export interface StreamInternals<K, V> {
  readonly dsl: DslContext;
  /** The node whose output this stream is. */
  readonly name: string;
  readonly keySerde: Serde<NonNullable<K>> | undefined;
  readonly valueSerde: Serde<NonNullable<V>> | undefined;
  /** The key changed since the last repartition: stateful operations repartition first. */
  readonly repartitionRequired: boolean;
}

/** A serde for a sink whose stream lost its serde: fails only if a non-null value reaches it. */
function missingSerde<T>(what: string): Serde<T> {
  const fail = (): never => {
    throw new SerializationError(what);
  };
  return { serialize: fail, deserialize: fail };
}

export class KStream<K, V> {
  /** The DSL's view of this stream (for extensions); not for applications. */
  readonly internals: StreamInternals<K, V>;

  constructor(internals: StreamInternals<K, V>) {
    this.internals = internals;
  }

  /** Records for which `predicate` holds; a type guard narrows the value (or key) type. */
  filter<S extends V>(predicate: (key: K, value: V) => value is S, options?: Named): KStream<K, S>;
  filter<KS extends K>(predicate: (key: K, value: V) => key is KS, options?: Named): KStream<KS, V>;
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V>;
  filter(predicate: (key: K, value: V) => boolean, options: Named = {}): KStream<K, V> {
    return this.#stateless("KSTREAM-FILTER-", options, filterProcessor(predicate, false), {
      keepKey: true,
      keepValue: true,
    });
  }

  /** Records for which `predicate` does not hold. */
  filterNot(predicate: (key: K, value: V) => boolean, options: Named = {}): KStream<K, V> {
    return this.#stateless("KSTREAM-FILTER-", options, filterProcessor(predicate, true), {
      keepKey: true,
      keepValue: true,
    });
  }

  /** A new key and value per record (marks the stream for repartitioning). */
  map<KR, VR>(mapper: (key: K, value: V) => KeyValue<KR, VR>, options: Named = {}): KStream<KR, VR> {
    return this.#stateless("KSTREAM-MAP-", options, mapProcessor(mapper), { keyChanged: true });
  }

  /** A new value per record; the key stays (no repartitioning). */
  mapValues<VR>(mapper: (value: V, key: K) => VR, options: Named = {}): KStream<K, VR> {
    return this.#stateless("KSTREAM-MAPVALUES-", options, mapValuesProcessor(mapper), { keepKey: true });
  }

  /** Zero or more records per record (marks the stream for repartitioning). */
  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>, options: Named = {}): KStream<KR, VR> {
    return this.#stateless("KSTREAM-FLATMAP-", options, flatMapProcessor(mapper), { keyChanged: true });
  }

  /** Zero or more values per record, each with the record's key. */
  flatMapValues<VR>(mapper: (value: V, key: K) => Iterable<VR>, options: Named = {}): KStream<K, VR> {
    return this.#stateless("KSTREAM-FLATMAPVALUES-", options, flatMapValuesProcessor(mapper), { keepKey: true });
  }

  /** A new key per record (marks the stream for repartitioning). */
  selectKey<KR>(selector: (key: K, value: V) => KR, options: Named = {}): KStream<KR, V> {
    return this.#stateless("KSTREAM-KEY-SELECT-", options, selectKeyProcessor(selector), {
      keepValue: true,
      keyChanged: true,
    });
  }

  /** Calls `action` on each record and passes it on. */
  peek(action: (key: K, value: V) => void, options: Named = {}): KStream<K, V> {
    return this.#stateless("KSTREAM-PEEK-", options, peekProcessor(action, true), { keepKey: true, keepValue: true });
  }

  /** Calls `action` on each record (terminal). */
  foreach(action: (key: K, value: V) => void, options: Named = {}): void {
    const { dsl } = this.internals;
    addProcessor(dsl, options.name ?? dsl.newProcessorName("KSTREAM-FOREACH-"), peekProcessor(action, false), [
      this.internals.name,
    ]);
  }

  /** Both streams' records in one stream. */
  merge(other: KStream<K, V>, options: Named = {}): KStream<K, V> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KSTREAM-MERGE-");
    addProcessor(dsl, name, passThroughProcessor<K, V>(), [this.internals.name, other.internals.name]);
    const same = <T>(a: T | undefined, b: T | undefined): T | undefined => (a === b ? a : undefined);
    return new KStream({
      dsl,
      name,
      keySerde: same(this.internals.keySerde, other.internals.keySerde),
      valueSerde: same(this.internals.valueSerde, other.internals.valueSerde),
      repartitionRequired: this.internals.repartitionRequired || other.internals.repartitionRequired,
    });
  }

  /** Routes each record to the first branch whose predicate holds (Kafka's split()). */
  split(options: Named = {}): BranchedKStream<K, V> {
    return new BranchedKStream(this, options.name);
  }

  /** Writes to `topic`, or to the topic a function picks per record; serdes default to the stream's. */
  to(topic: string | TopicNameExtractor<K, V>, options: Produced<NonNullable<K>, NonNullable<V>> = {}): void {
    const { dsl } = this.internals;
    const where = typeof topic === "string" ? topic : "a dynamic topic";
    dsl.builder.addSink({
      name: options.name ?? dsl.newProcessorName("KSTREAM-SINK-"),
      topic: topic as string | TopicNameExtractor<unknown, unknown>,
      keySerde:
        options.key ??
        this.internals.keySerde ??
        missingSerde(`the sink to ${where} has no key serde: pass { key: ... } to to()`),
      valueSerde:
        options.value ??
        this.internals.valueSerde ??
        missingSerde(`the sink to ${where} has no value serde: pass { value: ... } to to()`),
      parents: [this.internals.name],
    });
  }

  /** Writes to a topic the application manages and reads it back (Kafka's through()). */
  through(topic: string, options: Produced<NonNullable<K>, NonNullable<V>> = {}): KStream<K, V> {
    this.to(topic, options);
    const { dsl } = this.internals;
    const name = dsl.newProcessorName("KSTREAM-SOURCE-");
    const keySerde = options.key ?? this.internals.keySerde;
    const valueSerde = options.value ?? this.internals.valueSerde;
    dsl.builder.addSource({ name, topics: [topic], keySerde: keySerde, valueSerde: valueSerde });
    return new KStream({ dsl, name, keySerde, valueSerde, repartitionRequired: false });
  }

  /** Repartitions now through `<name>-repartition`, by key (Kafka's repartition()). */
  repartition(options: Repartitioned<NonNullable<K>, NonNullable<V>> = {}): KStream<K, V> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KSTREAM-REPARTITION-");
    const keySerde = options.key ?? this.internals.keySerde;
    const valueSerde = options.value ?? this.internals.valueSerde;
    const source = repartitionThrough(dsl, {
      parent: this.internals.name,
      prefix: name,
      keySerde: requireSerde(keySerde, `repartition ${name}: pass { key: ... } (the stream has no key serde)`),
      valueSerde: requireSerde(valueSerde, `repartition ${name}: pass { value: ... } (the stream has no value serde)`),
      partitions: options.partitions,
    });
    return new KStream({ dsl, name: source, keySerde, valueSerde, repartitionRequired: false });
  }

  /**
   * Runs a processor-API processor on each record, with access to the named stores (marks the
   * stream for repartitioning: the processor may change keys).
   */
  process<KOut, VOut>(
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    options: Named & { readonly stores?: readonly string[] } = {},
  ): KStream<KOut, VOut> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KSTREAM-PROCESSOR-");
    addProcessor(dsl, name, supplier, [this.internals.name]);
    for (const store of options.stores ?? []) dsl.builder.connectProcessorAndStore(name, store);
    return new KStream({ dsl, name, keySerde: undefined, valueSerde: undefined, repartitionRequired: true });
  }

  /** Like process, for a processor that changes values only (Kafka's processValues): no repartitioning. */
  processValues<VOut>(
    supplier: ProcessorSupplier<K, V, K, VOut>,
    options: Named & { readonly stores?: readonly string[] } = {},
  ): KStream<K, VOut> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KSTREAM-PROCESSVALUES-");
    addProcessor(dsl, name, fixedKeyProcessor(supplier, name), [this.internals.name]);
    for (const store of options.stores ?? []) dsl.builder.connectProcessorAndStore(name, store);
    return new KStream({
      dsl,
      name,
      keySerde: this.internals.keySerde,
      valueSerde: undefined,
      repartitionRequired: this.internals.repartitionRequired,
    });
  }

  /** The stream as a changelog: the latest value per key (null keys are dropped, null values delete). */
  toTable(options: Named & Materialized<NonNullable<K>, NonNullable<V>> = {}): KTable<NonNullable<K>, NonNullable<V>> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName("KSTREAM-TOTABLE-");
    const storeName = options.storeName ?? dsl.newStoreName("KSTREAM-TOTABLE-");
    const keySerde = options.key ?? this.internals.keySerde;
    const valueSerde = options.value ?? this.internals.valueSerde;
    let parent = this.internals.name;
    if (this.internals.repartitionRequired) {
      parent = repartitionThrough(dsl, {
        parent,
        prefix: name,
        keySerde: requireSerde(keySerde, `toTable ${name} repartitions the stream: pass { key: ... }`),
        valueSerde: requireSerde(valueSerde, `toTable ${name} repartitions the stream: pass { value: ... }`),
      });
    }
    const store = (): string => {
      addTimestampedStore(
        dsl,
        timestampedStoreBuilder(dsl, { storeName, materialized: options, keySerde, valueSerde, operation: "toTable" }),
        name,
      );
      return storeName;
    };
    const state = new TableNodeState({ materialize: store });
    addProcessor(dsl, name, tableSourceProcessor<NonNullable<K>, NonNullable<V>>(state, dsl.logger), [parent]);
    if (options.storeName !== undefined) state.storeName = store();
    return new KTable({
      dsl,
      name,
      keySerde,
      valueSerde,
      changes: state,
      queryableStoreName: options.storeName,
    });
  }

  /** Groups by the current key for an aggregation (repartitioned first if the key changed). */
  groupByKey(options: Grouped<NonNullable<K>, NonNullable<V>> = {}): KGroupedStream<NonNullable<K>, NonNullable<V>> {
    return new KGroupedStream({
      dsl: this.internals.dsl,
      name: this.internals.name,
      keySerde: options.key ?? this.internals.keySerde,
      valueSerde: options.value ?? this.internals.valueSerde,
      repartitionRequired: this.internals.repartitionRequired,
      groupedName: options.name,
    });
  }

  /** Groups by a new key (selectKey, then repartitioned before the aggregation). */
  groupBy<KR>(
    selector: (key: K, value: V) => KR,
    options: Grouped<NonNullable<KR>, NonNullable<V>> = {},
  ): KGroupedStream<NonNullable<KR>, NonNullable<V>> {
    const { dsl } = this.internals;
    // Kafka 4.4 burns a generated index for the key selector even when the Grouped names it.
    const generated = dsl.newProcessorName("KSTREAM-KEY-SELECT-");
    const name = options.name ?? generated;
    addProcessor(dsl, name, selectKeyProcessor(selector), [this.internals.name]);
    return new KGroupedStream({
      dsl,
      name,
      keySerde: options.key,
      valueSerde: options.value ?? this.internals.valueSerde,
      repartitionRequired: true,
      groupedName: options.name,
    });
  }

  /**
   * Inner joins (Kafka's KStream.join). With a stream: records with the same key whose timestamps
   * are within `windows` join (both sides are buffered in window stores; the result has the larger
   * timestamp). With a table: each record joins the table's current row for its key, if any. With
   * a global table: each record joins the row of the key `keySelector` picks. Records with a null
   * key or value are dropped. A side whose key changed is repartitioned first. The joiner gets the
   * key last: `(value, other) => …` or `(value, other, key) => …`.
   */
  join<VO, VR>(
    other: KStream<K, VO>,
    joiner: ValueJoiner<NonNullable<K>, NonNullable<V>, NonNullable<VO>, VR>,
    windows: JoinWindows,
    options?: StreamJoined<NonNullable<K>, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;
  join<VT, VR>(
    table: KTable<NonNullable<K>, VT>,
    joiner: ValueJoiner<NonNullable<K>, NonNullable<V>, VT, VR>,
    options?: Joined<NonNullable<K>, NonNullable<V>, VT>,
  ): KStream<K, VR>;
  join<KG, VG, VR>(
    globalTable: GlobalKTable<KG, VG>,
    keySelector: (key: K, value: V) => KG | null | undefined,
    joiner: GlobalValueJoiner<K, NonNullable<V>, KG, VG, VR>,
    options?: Named,
  ): KStream<K, VR>;
  join(other: unknown, second: unknown, third?: unknown, fourth?: unknown): unknown {
    return this.#join(other, second, third, fourth, { leftOuter: false, rightOuter: false });
  }

  /**
   * Left joins (Kafka's KStream.leftJoin): like join, but a record that joins nothing is emitted
   * with null for the other side — for a stream–stream join only once its window has closed (after
   * the grace period), so it is not emitted if a matching record arrives in time. Records with a
   * null key are passed on at once, joined with null (Kafka ≥ 3.7).
   */
  leftJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: ValueJoiner<K, NonNullable<V>, NonNullable<VO> | null, VR>,
    windows: JoinWindows,
    options?: StreamJoined<NonNullable<K>, NonNullable<V>, NonNullable<VO>>,
  ): KStream<K, VR>;
  leftJoin<VT, VR>(
    table: KTable<NonNullable<K>, VT>,
    joiner: ValueJoiner<K, NonNullable<V>, VT | null, VR>,
    options?: Joined<NonNullable<K>, NonNullable<V>, VT>,
  ): KStream<K, VR>;
  leftJoin<KG, VG, VR>(
    globalTable: GlobalKTable<KG, VG>,
    keySelector: (key: K, value: V) => KG | null | undefined,
    joiner: GlobalValueJoiner<K, NonNullable<V>, KG | null, VG | null, VR>,
    options?: Named,
  ): KStream<K, VR>;
  leftJoin(other: unknown, second: unknown, third?: unknown, fourth?: unknown): unknown {
    return this.#join(other, second, third, fourth, { leftOuter: true, rightOuter: false });
  }

  /**
   * Outer join with another stream (Kafka's KStream.outerJoin): records of either side that join
   * nothing within the window are emitted, once the window has closed, with null for the other side.
   */
  outerJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: ValueJoiner<K, NonNullable<V> | null, NonNullable<VO> | null, VR>,
    windows: JoinWindows,
    options: StreamJoined<NonNullable<K>, NonNullable<V>, NonNullable<VO>> = {},
  ): KStream<K, VR> {
    return this.#join(other, joiner, windows, options, { leftOuter: true, rightOuter: true }) as KStream<K, VR>;
  }

  #join(
    other: unknown,
    second: unknown,
    third: unknown,
    fourth: unknown,
    kind: { readonly leftOuter: boolean; readonly rightOuter: boolean },
  ): KStream<unknown, unknown> {
    const internals = this.internals as StreamInternals<unknown, unknown>;
    type Joiner = (value: unknown, other: unknown, key: unknown, otherKey?: unknown) => unknown;
    if (other instanceof KStream) {
      if (!(third instanceof JoinWindows)) throw new TypeError("a stream–stream join needs JoinWindows");
      const joiner = second as Joiner;
      return streamStreamJoin(
        internals,
        other.internals as StreamInternals<unknown, unknown>,
        (key, left, right) => joiner(left, right, key),
        third,
        (fourth ?? {}) as never,
        kind,
      );
    }
    if (other instanceof KTable) {
      const joiner = second as Joiner;
      return streamTableJoin(
        internals,
        other as never,
        (key, value, tableValue) => joiner(value, tableValue, key),
        (third ?? {}) as never,
        kind.leftOuter,
      );
    }
    if (other instanceof GlobalKTable) {
      const joiner = third as Joiner;
      return streamGlobalTableJoin(
        internals,
        other as never,
        second as (key: unknown, value: unknown) => unknown,
        (key, value, globalValue, globalKey) => joiner(value, globalValue, key, globalKey),
        (fourth ?? {}) as Named,
        kind.leftOuter,
      );
    }
    throw new TypeError("join needs a KStream, a KTable or a GlobalKTable");
  }

  #stateless<KR, VR>(
    prefix: string,
    options: Named,
    supplier: ProcessorSupplier<K, V, KR, VR>,
    keep: { readonly keepKey?: boolean; readonly keepValue?: boolean; readonly keyChanged?: boolean },
  ): KStream<KR, VR> {
    const { dsl } = this.internals;
    const name = options.name ?? dsl.newProcessorName(prefix);
    addProcessor(dsl, name, supplier, [this.internals.name]);
    return new KStream<KR, VR>({
      dsl,
      name,
      keySerde: keep.keepKey === true ? (this.internals.keySerde as Serde<NonNullable<KR>> | undefined) : undefined,
      valueSerde:
        keep.keepValue === true ? (this.internals.valueSerde as Serde<NonNullable<VR>> | undefined) : undefined,
      repartitionRequired: keep.keyChanged === true || this.internals.repartitionRequired,
    });
  }
}

export interface BranchOptions<K, V> {
  /** The branch's name: its processor is `<split name><name>` (default: its position, from 1). */
  readonly name?: string;
  /**
   * Builds on the branch; the stream it returns is the branch's entry in the result (Kafka's
   * Branched.withFunction), or none if it returns nothing (withConsumer).
   */
  readonly chain?: (branch: KStream<K, V>) => KStream<K, V> | void;
}

/** The result of KStream.split(): add branches, then end with defaultBranch() or noDefaultBranch(). */
export class BranchedKStream<K, V> {
  readonly #source: KStream<K, V>;
  readonly #splitterName: string;
  readonly #predicates: ((key: K, value: V) => boolean)[] = [];
  readonly #children: string[] = [];
  readonly #branches = new Map<string, KStream<K, V>>();

  constructor(source: KStream<K, V>, name: string | undefined) {
    this.#source = source;
    const { dsl } = source.internals;
    this.#splitterName = name ?? dsl.newProcessorName("KSTREAM-BRANCH-");
    // The processor reads the (growing) lists when tasks are created, after the topology is built.
    addProcessor(dsl, this.#splitterName, branchProcessor(this.#predicates, this.#children), [source.internals.name]);
  }

  branch(predicate: (key: K, value: V) => boolean, options: BranchOptions<K, V> = {}): this {
    this.#predicates.push(predicate);
    this.#branch(options, this.#predicates.length);
    return this;
  }

  /** Records no predicate matched go to this last branch (index 0 in generated names); ends the split. */
  defaultBranch(options: BranchOptions<K, V> = {}): Map<string, KStream<K, V>> {
    this.#branch(options, 0);
    return this.#branches;
  }

  /** Ends the split; records no predicate matched are dropped. */
  noDefaultBranch(): Map<string, KStream<K, V>> {
    return this.#branches;
  }

  #branch(options: BranchOptions<K, V>, index: number): void {
    const { dsl, keySerde, valueSerde, repartitionRequired } = this.#source.internals;
    const name = this.#splitterName + (options.name ?? String(index));
    this.#children.push(name);
    dsl.newProcessorName(name); // advances the counter, as Kafka does
    addProcessor(dsl, name, passThroughProcessor<K, V>(), [this.#splitterName]);
    const branch = new KStream<K, V>({ dsl, name, keySerde, valueSerde, repartitionRequired });
    if (options.chain === undefined) {
      this.#branches.set(name, branch);
    } else {
      const result = options.chain(branch);
      if (result !== undefined) this.#branches.set(name, result);
    }
  }
}
