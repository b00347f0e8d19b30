// The global task (Kafka's GlobalStateUpdateTask): every partition of each global topic goes
// through its store's processor into the global store, on every instance, before and while the
// stream tasks run. Global processors update their store; they have no children and no punctuators.
import type { Cancellable, Processor, ProcessorContext, PunctuationType, TaskId } from "../processor.ts";
import type { RecordMetadata, StreamRecord } from "../record.ts";
import type { ConsumedRecord, GlobalTask, TaskEnvironment } from "../runtime-contract.ts";
import type { StateStore } from "../state/store.ts";
import { ProcessingError } from "./errors.ts";
import type { InternalTopologyBuilder, SourceNode } from "./internal-builder.ts";
import type { RecordReader } from "./record-reader.ts";

type AnyProcessor = Processor<unknown, unknown, unknown, unknown>;

interface GlobalSource {
  readonly source: SourceNode;
  readonly storeName: string;
  readonly processorName: string;
  readonly processor: AnyProcessor;
  readonly context: GlobalContext;
  partitionTimeMs: number;
}

class GlobalContext implements ProcessorContext<unknown, unknown> {
  readonly applicationId: string;
  readonly taskId: TaskId = { subtopology: -1, partition: -1 };
  readonly #task: GlobalStateTask;
  readonly #processorName: string;
  readonly #storeName: string;

  constructor(task: GlobalStateTask, processorName: string, storeName: string) {
    this.applicationId = task.applicationId;
    this.#task = task;
    this.#processorName = processorName;
    this.#storeName = storeName;
  }

  get recordMetadata(): RecordMetadata | undefined {
    return this.#task.currentRecord;
  }

  currentStreamTimeMs(): number {
    return this.#task.currentTimestampMs;
  }

  currentSystemTimeMs(): number {
    return this.#task.env.nowMs();
  }

  appConfigs(): Readonly<Record<string, string>> {
    return this.#task.appConfigs;
  }

  forward(_record: StreamRecord<unknown, unknown>, childName?: string): void {
    // A global store's processor has no children (Kafka's global context forwards to none).
    if (childName !== undefined) {
      throw new ProcessingError(`unknown downstream node: ${childName} is not connected to ${this.#processorName}`);
    }
  }

  getStateStore<S extends StateStore>(name: string): S {
    const store = name === this.#storeName ? this.#task.store(name) : undefined;
    if (store === undefined) {
      throw new ProcessingError(
        `global store processor ${this.#processorName} can only use its store ${this.#storeName}`,
      );
    }
    return store as S;
  }

  schedule(_intervalMs: number, _type: PunctuationType, _punctuator: (timestampMs: number) => void): Cancellable {
    throw new ProcessingError(`global store processor ${this.#processorName} cannot schedule punctuators`);
  }

  commit(): void {}
}

export class GlobalStateTask implements GlobalTask {
  readonly applicationId: string;
  readonly appConfigs: Readonly<Record<string, string>>;
  readonly env: Omit<TaskEnvironment, "requestCommit">;
  readonly stores: readonly { readonly store: StateStore; readonly topic: string }[];
  currentRecord: ConsumedRecord | undefined;
  currentTimestampMs = -1;
  readonly #reader: RecordReader;
  readonly #storesByName = new Map<string, StateStore>();
  readonly #sources = new Map<string, GlobalSource>();

  constructor(options: {
    readonly builder: InternalTopologyBuilder;
    readonly applicationId: string;
    readonly env: Omit<TaskEnvironment, "requestCommit">;
    readonly reader: RecordReader;
    readonly appConfigs: Readonly<Record<string, string>>;
  }) {
    this.applicationId = options.applicationId;
    this.appConfigs = options.appConfigs;
    this.env = options.env;
    this.#reader = options.reader;
    const stores: { store: StateStore; topic: string }[] = [];
    for (const entry of options.builder.globalStores.values()) {
      const storeEntry = options.builder.stores.get(entry.storeName);
      const source = options.builder.nodes.get(entry.sourceName);
      const processorNode = options.builder.nodes.get(entry.processorName);
      if (storeEntry === undefined || source?.kind !== "source" || processorNode?.kind !== "processor") continue;
      const store = storeEntry.builder.build();
      store.init({
        applicationId: options.applicationId,
        partition: -1,
        stateDir: options.env.stateDir,
        changelog: undefined,
        recordTimestampMs: () => this.currentTimestampMs,
      });
      this.#storesByName.set(entry.storeName, store);
      stores.push({ store, topic: entry.topic });
      this.#sources.set(entry.topic, {
        source,
        storeName: entry.storeName,
        processorName: entry.processorName,
        processor: processorNode.supplier(),
        context: new GlobalContext(this, entry.processorName, entry.storeName),
        partitionTimeMs: -1,
      });
    }
    this.stores = stores;
  }

  store(name: string): StateStore | undefined {
    return this.#storesByName.get(name);
  }

  initialize(): void {
    for (const source of this.#sources.values()) source.processor.init?.(source.context);
  }

  process(record: ConsumedRecord): void {
    const source = this.#sources.get(record.topic);
    if (source === undefined) throw new Error(`no global store reads topic ${record.topic}`);
    const streamRecord = this.#reader.read(source.source, record, source.partitionTimeMs, "global task");
    if (streamRecord === undefined) return;
    if (streamRecord.timestampMs > source.partitionTimeMs) source.partitionTimeMs = streamRecord.timestampMs;
    this.currentRecord = record;
    this.currentTimestampMs = streamRecord.timestampMs;
    try {
      source.processor.process(streamRecord);
    } catch (error) {
      throw new ProcessingError(
        `global task: exception caught in ${source.processorName} at ${record.topic}-${record.partition} offset ${record.offset}: ${String(error)}`,
        { cause: error },
      );
    } finally {
      this.currentRecord = undefined;
    }
  }

  flush(): void {
    for (const { store } of this.stores) store.flush();
  }

  close(): void {
    for (const source of this.#sources.values()) source.processor.close?.();
    for (const { store } of this.stores) store.close();
  }
}
