// A tiny harness for the windowing tests: a fake ProcessorContext that records what a processor
// forwards, stores connected by name with their changelog captured, and a few serdes.
import type { Cancellable, Processor, ProcessorContext, PunctuationType } from "../src/processor.ts";
import type { Headers, RecordMetadata, StreamRecord } from "../src/record.ts";
import type { Serde } from "../src/serdes.ts";
import type { ChangelogRecord, StateStore, Windowed } from "../src/state/store.ts";
import type { Change } from "../src/processors/window-aggregation.ts";

export const stringSerde: Serde<string> = {
  serialize: (value) => new TextEncoder().encode(value),
  deserialize: (bytes) => new TextDecoder().decode(bytes),
};

/** Kafka's LongSerde: 8 bytes, big-endian. */
export const longSerde: Serde<number> = {
  serialize: (value) => {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt(value));
    return out;
  },
  deserialize: (bytes) => Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(0)),
};

export function jsonSerde<T>(): Serde<T> {
  return {
    serialize: (value) => new TextEncoder().encode(JSON.stringify(value)),
    deserialize: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as T,
  };
}

export class FakeContext<KOut, VOut> implements ProcessorContext<KOut, VOut> {
  readonly applicationId = "app";
  readonly taskId = { subtopology: 0, partition: 0 };
  recordMetadata: RecordMetadata | undefined = undefined;
  readonly forwarded: StreamRecord<KOut, VOut>[] = [];
  readonly changelogs = new Map<string, ChangelogRecord[]>();
  readonly stores = new Map<string, StateStore>();
  systemTimeMs = 0;
  streamTimeMs = -1;
  currentRecordTimestampMs = 0;

  /** Connects a store (initialized with a changelog that is captured here). */
  addStore(store: StateStore, options: { logged?: boolean } = {}): void {
    const log: ChangelogRecord[] = [];
    this.changelogs.set(store.name, log);
    store.init({
      applicationId: this.applicationId,
      partition: 0,
      stateDir: undefined,
      changelog: options.logged === false ? undefined : (record) => log.push(record),
      recordTimestampMs: () => this.currentRecordTimestampMs,
    });
    this.stores.set(store.name, store);
  }

  currentStreamTimeMs(): number {
    return this.streamTimeMs;
  }

  currentSystemTimeMs(): number {
    return this.systemTimeMs;
  }

  /** What appConfigs() answers. */
  configs: Record<string, string> = {};

  appConfigs(): Readonly<Record<string, string>> {
    return this.configs;
  }

  forward(record: StreamRecord<KOut, VOut>): void {
    this.forwarded.push(record);
  }

  getStateStore<S extends StateStore>(name: string): S {
    const store = this.stores.get(name);
    if (store === undefined) throw new Error(`no store ${name}`);
    return store as S;
  }

  schedule(_intervalMs: number, _type: PunctuationType, _punctuator: (timestampMs: number) => void): Cancellable {
    throw new Error("not used by the windowed aggregations");
  }

  commit(): void {}

  /** Takes (and clears) what was forwarded. */
  drain(): StreamRecord<KOut, VOut>[] {
    return this.forwarded.splice(0);
  }
}

/** Drives one processor: `pipe` processes a record as a task would (stream time, record timestamp, metadata). */
export class ProcessorDriver<K, V, KOut, VOut> {
  readonly context: FakeContext<KOut, VOut>;
  readonly processor: Processor<K, V, KOut, VOut>;
  private offset = 0;

  constructor(processor: Processor<K, V, KOut, VOut>, stores: readonly StateStore[]) {
    this.context = new FakeContext<KOut, VOut>();
    for (const store of stores) this.context.addStore(store);
    this.processor = processor;
    processor.init?.(this.context);
  }

  pipe(key: K, value: V, timestampMs: number, headers: Headers = []): StreamRecord<KOut, VOut>[] {
    this.context.streamTimeMs = Math.max(this.context.streamTimeMs, timestampMs);
    this.context.currentRecordTimestampMs = timestampMs;
    this.context.recordMetadata = { topic: "input", partition: 0, offset: this.offset++ };
    this.processor.process({ key, value, timestampMs, headers });
    return this.context.drain();
  }
}

/** A forwarded windowed change as a compact, comparable row. */
export interface Row<K, V> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly value: V | undefined;
  readonly old?: V | undefined;
  readonly ts: number;
}

export function rows<K, V>(
  records: readonly StreamRecord<Windowed<K>, Change<V>>[],
  options: { withOld?: boolean } = {},
): Row<K, V>[] {
  return records.map((record) => ({
    key: record.key.key,
    start: record.key.window.startMs,
    end: record.key.window.endMs,
    value: record.value.newValue,
    ...(options.withOld === true ? { old: record.value.oldValue } : {}),
    ts: record.timestampMs,
  }));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
