// The stateless KStream processors (Kafka's KStreamFilter, KStreamMap, KStreamMapValues,
// KStreamFlatMap, KStreamFlatMapValues, KStreamPeek, KStreamBranch, KStreamPassThrough,
// KStreamForeach): one small class each, forwarding to their children synchronously. New records
// are built as literals with the same shape, so the forward path keeps one hidden class.
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { KeyValue } from "../state/store.ts";

abstract class Forwarding<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
  protected context!: ProcessorContext<KOut, VOut>;

  init(context: ProcessorContext<KOut, VOut>): void {
    this.context = context;
  }

  abstract process(record: StreamRecord<KIn, VIn>): void;
}

class FilterProcessor<K, V> extends Forwarding<K, V, K, V> {
  readonly #predicate: (key: K, value: V) => boolean;
  readonly #not: boolean;

  constructor(predicate: (key: K, value: V) => boolean, not: boolean) {
    super();
    this.#predicate = predicate;
    this.#not = not;
  }

  process(record: StreamRecord<K, V>): void {
    if (this.#predicate(record.key, record.value) !== this.#not) this.context.forward(record);
  }
}

export function filterProcessor<K, V>(
  predicate: (key: K, value: V) => boolean,
  not: boolean,
): ProcessorSupplier<K, V, K, V> {
  return () => new FilterProcessor(predicate, not);
}

class MapProcessor<K, V, KR, VR> extends Forwarding<K, V, KR, VR> {
  readonly #mapper: (key: K, value: V) => KeyValue<KR, VR>;

  constructor(mapper: (key: K, value: V) => KeyValue<KR, VR>) {
    super();
    this.#mapper = mapper;
  }

  process(record: StreamRecord<K, V>): void {
    const pair = this.#mapper(record.key, record.value);
    this.context.forward({
      key: pair.key,
      value: pair.value,
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }
}

export function mapProcessor<K, V, KR, VR>(
  mapper: (key: K, value: V) => KeyValue<KR, VR>,
): ProcessorSupplier<K, V, KR, VR> {
  return () => new MapProcessor(mapper);
}

class MapValuesProcessor<K, V, VR> extends Forwarding<K, V, K, VR> {
  readonly #mapper: (value: V, key: K) => VR;

  constructor(mapper: (value: V, key: K) => VR) {
    super();
    this.#mapper = mapper;
  }

  process(record: StreamRecord<K, V>): void {
    const value = this.#mapper(record.value, record.key);
    this.context.forward({ key: record.key, value, timestampMs: record.timestampMs, headers: record.headers });
  }
}

export function mapValuesProcessor<K, V, VR>(mapper: (value: V, key: K) => VR): ProcessorSupplier<K, V, K, VR> {
  return () => new MapValuesProcessor(mapper);
}

class SelectKeyProcessor<K, V, KR> extends Forwarding<K, V, KR, V> {
  readonly #selector: (key: K, value: V) => KR;

  constructor(selector: (key: K, value: V) => KR) {
    super();
    this.#selector = selector;
  }

  process(record: StreamRecord<K, V>): void {
    const key = this.#selector(record.key, record.value);
    this.context.forward({ key, value: record.value, timestampMs: record.timestampMs, headers: record.headers });
  }
}

export function selectKeyProcessor<K, V, KR>(selector: (key: K, value: V) => KR): ProcessorSupplier<K, V, KR, V> {
  return () => new SelectKeyProcessor(selector);
}

class FlatMapProcessor<K, V, KR, VR> extends Forwarding<K, V, KR, VR> {
  readonly #mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>;

  constructor(mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>) {
    super();
    this.#mapper = mapper;
  }

  process(record: StreamRecord<K, V>): void {
    for (const pair of this.#mapper(record.key, record.value)) {
      this.context.forward({
        key: pair.key,
        value: pair.value,
        timestampMs: record.timestampMs,
        headers: record.headers,
      });
    }
  }
}

export function flatMapProcessor<K, V, KR, VR>(
  mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>,
): ProcessorSupplier<K, V, KR, VR> {
  return () => new FlatMapProcessor(mapper);
}

class FlatMapValuesProcessor<K, V, VR> extends Forwarding<K, V, K, VR> {
  readonly #mapper: (value: V, key: K) => Iterable<VR>;

  constructor(mapper: (value: V, key: K) => Iterable<VR>) {
    super();
    this.#mapper = mapper;
  }

  process(record: StreamRecord<K, V>): void {
    for (const value of this.#mapper(record.value, record.key)) {
      this.context.forward({ key: record.key, value, timestampMs: record.timestampMs, headers: record.headers });
    }
  }
}

export function flatMapValuesProcessor<K, V, VR>(
  mapper: (value: V, key: K) => Iterable<VR>,
): ProcessorSupplier<K, V, K, VR> {
  return () => new FlatMapValuesProcessor(mapper);
}

class PeekProcessor<K, V> extends Forwarding<K, V, K, V> {
  readonly #action: (key: K, value: V) => void;
  readonly #forward: boolean;

  constructor(action: (key: K, value: V) => void, forward: boolean) {
    super();
    this.#action = action;
    this.#forward = forward;
  }

  process(record: StreamRecord<K, V>): void {
    this.#action(record.key, record.value);
    if (this.#forward) this.context.forward(record);
  }
}

/** peek (forwards) and foreach (terminal). */
export function peekProcessor<K, V>(
  action: (key: K, value: V) => void,
  forward: boolean,
): ProcessorSupplier<K, V, K, V> {
  return () => new PeekProcessor(action, forward);
}

class PassThroughProcessor<K, V> extends Forwarding<K, V, K, V> {
  process(record: StreamRecord<K, V>): void {
    this.context.forward(record);
  }
}

/** merge and the branches of split. */
export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, K, V> {
  return () => new PassThroughProcessor();
}

class BranchProcessor<K, V> extends Forwarding<K, V, K, V> {
  readonly #predicates: readonly ((key: K, value: V) => boolean)[];
  readonly #children: readonly string[];

  constructor(predicates: readonly ((key: K, value: V) => boolean)[], children: readonly string[]) {
    super();
    this.#predicates = predicates;
    this.#children = children;
  }

  process(record: StreamRecord<K, V>): void {
    const predicates = this.#predicates;
    for (let i = 0; i < predicates.length; i++) {
      if ((predicates[i] as (key: K, value: V) => boolean)(record.key, record.value)) {
        this.context.forward(record, this.#children[i]);
        return;
      }
    }
    // The default branch, when there is one, is the child after the predicates' ones.
    if (this.#children.length > predicates.length) this.context.forward(record, this.#children[predicates.length]);
  }
}

/** Kafka's KStreamBranch: the first matching predicate's child gets the record. Lists are read at task creation. */
export function branchProcessor<K, V>(
  predicates: readonly ((key: K, value: V) => boolean)[],
  children: readonly string[],
): ProcessorSupplier<K, V, K, V> {
  return () => new BranchProcessor(predicates, children);
}

/**
 * processValues: runs a processor that may change values but not keys (Kafka's FixedKeyProcessor);
 * a record forwarded with another key than the input's fails.
 */
export function fixedKeyProcessor<K, V, VOut>(
  supplier: ProcessorSupplier<K, V, K, VOut>,
  nodeName: string,
): ProcessorSupplier<K, V, K, VOut> {
  return () => {
    const inner = supplier();
    let currentKey: K | undefined;
    let inRecord = false;
    return {
      init(context) {
        inner.init?.({
          get applicationId() {
            return context.applicationId;
          },
          get taskId() {
            return context.taskId;
          },
          get recordMetadata() {
            return context.recordMetadata;
          },
          currentStreamTimeMs: () => context.currentStreamTimeMs(),
          currentSystemTimeMs: () => context.currentSystemTimeMs(),
          appConfigs: () => context.appConfigs(),
          forward(record, childName) {
            if (inRecord && record.key !== currentKey) {
              throw new Error(
                `processValues processor ${nodeName} changed the key: forward { ...record, value } instead`,
              );
            }
            context.forward(record, childName);
          },
          getStateStore: (name) => context.getStateStore(name),
          schedule: (intervalMs, type, punctuator) => context.schedule(intervalMs, type, punctuator),
          commit: () => context.commit(),
        });
      },
      process(record) {
        currentKey = record.key;
        inRecord = true;
        try {
          inner.process(record);
        } finally {
          inRecord = false;
        }
      },
      close() {
        inner.close?.();
      },
    };
  };
}
