// A task (Kafka's StreamTask): one sub-topology on one partition of its input topics. It buffers
// consumed records per input partition, processes the one with the lowest timestamp among the
// partitions' heads (Kafka's PartitionGroup), keeps stream time, runs the processors synchronously
// (forward calls the children directly), fires punctuators, sends sink, repartition and changelog
// records through the environment, and reports the offsets it may commit with its processor
// metadata (emit-final's progress, which the runtime keeps in the commit metadata). It also says
// whether it is ready to process (Kafka's max.task.idle.ms, KIP-695): while an input partition is
// empty and its fetched lag is unknown or positive, processing the others could overtake records
// that are already in the topic (a table row a stream record should join), so the task waits.
import type { Cancellable, Processor, ProcessorContext, PunctuationType, TaskId } from "../processor.ts";
import { noHeaders } from "../record.ts";
import type { RecordMetadata, StreamRecord } from "../record.ts";
import type {
  ConsumedRecord,
  OutgoingRecord,
  TaskEnvironment,
  TaskReadiness,
  TopologyTask,
} from "../runtime-contract.ts";
import type { ChangelogRecord, StateStore } from "../state/store.ts";
import { ProcessingError, TopologyError } from "./errors.ts";
import type {
  InternalTopologyBuilder,
  NodeGroup,
  SinkNode,
  SourceNode,
  TopicNameExtractor,
} from "./internal-builder.ts";
import { PunctuationQueue, type PunctuationSchedule } from "./punctuation.ts";
import type { RecordReader } from "./record-reader.ts";

type AnyProcessor = Processor<unknown, unknown, unknown, unknown>;
type AnyRecord = StreamRecord<unknown, unknown>;

/** What the plan shares with every task it creates. */
export interface TaskSetup {
  readonly builder: InternalTopologyBuilder;
  readonly group: NodeGroup;
  readonly applicationId: string;
  readonly reader: RecordReader;
  readonly appConfigs: Readonly<Record<string, string>>;
  /** The topic as the runner sees it (internal topics prefixed with the application id). */
  decorate(topic: string): string;
  /** Instances of global stores (created with the global task); undefined before that. */
  globalStore(name: string): StateStore | undefined;
}

interface RuntimeNode {
  readonly name: string;
  processor: AnyProcessor;
  readonly children: RuntimeNode[];
  readonly stores: ReadonlySet<string>;
  context: NodeContext;
}

/** Kafka's task id text, `<subtopology>_<partition>`. */
export function taskIdText(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`;
}

class RecordQueue {
  readonly topic: string;
  readonly partition: number;
  readonly source: SourceNode;
  readonly children: RuntimeNode[];
  head: AnyRecord | undefined;
  headRaw: ConsumedRecord | undefined;
  partitionTimeMs = -1;
  /** The next offset to read: what a commit stores. Undefined until a record was processed or skipped. */
  nextOffset: number | undefined;
  /** The lag the last fetch reported (end offset − next offset to fetch); undefined: unknown. */
  fetchedLag: number | undefined;
  /** While this partition is empty at lag 0: when waiting for it ends (max.task.idle.ms). */
  idleDeadlineMs: number | undefined;
  #buffer: ConsumedRecord[] = [];
  #next = 0;

  constructor(topic: string, partition: number, source: SourceNode, children: RuntimeNode[]) {
    this.topic = topic;
    this.partition = partition;
    this.source = source;
    this.children = children;
  }

  add(records: readonly ConsumedRecord[]): void {
    for (const record of records) this.#buffer.push(record);
  }

  clear(): void {
    this.#buffer = [];
    this.#next = 0;
    this.head = undefined;
    this.headRaw = undefined;
    this.fetchedLag = undefined;
    this.idleDeadlineMs = undefined;
  }

  get buffered(): number {
    return this.#buffer.length - this.#next + (this.head === undefined ? 0 : 1);
  }

  /** Reads raw records until one becomes the head (skipped ones count as consumed). */
  fillHead(reader: RecordReader, where: string): void {
    while (this.head === undefined && this.#next < this.#buffer.length) {
      const raw = this.#buffer[this.#next] as ConsumedRecord;
      this.#next++;
      if (this.#next >= 1024 && this.#next * 2 >= this.#buffer.length) {
        this.#buffer = this.#buffer.slice(this.#next);
        this.#next = 0;
      }
      const record = reader.read(this.source, raw, this.partitionTimeMs, where);
      if (record === undefined) {
        this.nextOffset = raw.offset + 1;
        continue;
      }
      this.head = record;
      this.headRaw = raw;
    }
  }
}

class NodeContext implements ProcessorContext<unknown, unknown> {
  readonly #task: StreamTask;
  readonly #node: RuntimeNode;

  constructor(task: StreamTask, node: RuntimeNode) {
    this.#task = task;
    this.#node = node;
  }

  get applicationId(): string {
    return this.#task.applicationId;
  }

  get taskId(): TaskId {
    return this.#task.id;
  }

  get recordMetadata(): RecordMetadata | undefined {
    return this.#task.currentRecord;
  }

  currentStreamTimeMs(): number {
    return this.#task.streamTimeMs;
  }

  currentSystemTimeMs(): number {
    return this.#task.env.nowMs();
  }

  appConfigs(): Readonly<Record<string, string>> {
    return this.#task.appConfigs;
  }

  forward(record: AnyRecord, childName?: string): void {
    const task = this.#task;
    const children = this.#node.children;
    // Downstream stores stamp their changelog with the forwarded record's time (Kafka's record context).
    const savedTimestampMs = task.currentTimestampMs;
    task.currentTimestampMs = record.timestampMs;
    if (childName === undefined) {
      for (let i = 0; i < children.length; i++) (children[i] as RuntimeNode).processor.process(record);
    } else {
      const child = children.find((node) => node.name === childName);
      if (child === undefined) {
        throw new ProcessingError(
          `unknown downstream node: ${childName} either does not exist or is not connected to ${this.#node.name}`,
        );
      }
      child.processor.process(record);
    }
    task.currentTimestampMs = savedTimestampMs;
  }

  getStateStore<S extends StateStore>(name: string): S {
    if (this.#node.stores.has(name)) return this.#task.store(name) as S;
    const global = this.#task.globalStore(name);
    if (global !== undefined) return global as S;
    throw new ProcessingError(
      `processor ${this.#node.name} has no access to state store ${name}: the store is not connected to it` +
        ` (connect it with addStateStore(store, [processor]) or connectProcessorAndStateStores)`,
    );
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestampMs: number) => void): Cancellable {
    return this.#task.schedule(this.#node.name, intervalMs, type, punctuator);
  }

  commit(): void {
    this.#task.env.requestCommit();
  }

  // Kafka's processor metadata (InternalProcessorContext), found by emit-final processors by duck typing.
  processorMetadataForKey(key: string): number | undefined {
    return this.#task.processorMetadataValues.get(key);
  }

  addProcessorMetadataKeyValue(key: string, value: number): void {
    this.#task.processorMetadataValues.set(key, value);
  }
}

/** A sink: serializes key and value for its topic and hands the record to the environment. */
class SinkProcessor implements AnyProcessor {
  readonly #task: StreamTask;
  readonly #node: SinkNode;
  readonly #topic: string | undefined;
  readonly #extractor: TopicNameExtractor<unknown, unknown> | undefined;

  constructor(task: StreamTask, node: SinkNode, decorate: (topic: string) => string) {
    this.#task = task;
    this.#node = node;
    this.#topic = typeof node.topic === "string" ? decorate(node.topic) : undefined;
    this.#extractor = typeof node.topic === "string" ? undefined : node.topic;
  }

  process(record: AnyRecord): void {
    const topic =
      this.#topic ??
      (this.#extractor as TopicNameExtractor<unknown, unknown>)(record.key, record.value, {
        timestampMs: record.timestampMs,
        headers: record.headers,
        recordMetadata: this.#task.currentRecord,
      });
    if (!(record.timestampMs >= 0)) {
      throw new ProcessingError(
        `sink ${this.#node.name}: invalid (negative) timestamp ${record.timestampMs} for an output record to ${topic}`,
      );
    }
    const context = { topic, headers: record.headers };
    const key = record.key;
    const value = record.value;
    const outgoing: OutgoingRecord = {
      topic,
      partition: undefined,
      key: key === null || key === undefined ? null : this.#node.keySerde.serialize(key, context),
      value: value === null || value === undefined ? null : this.#node.valueSerde.serialize(value, context),
      timestampMs: record.timestampMs,
      headers: record.headers,
    };
    this.#task.env.send(outgoing);
  }
}

export class StreamTask implements TopologyTask {
  readonly id: TaskId;
  readonly env: TaskEnvironment;
  readonly applicationId: string;
  readonly appConfigs: Readonly<Record<string, string>>;
  readonly stores: readonly { readonly store: StateStore; readonly changelogTopic: string | undefined }[];
  currentRecord: ConsumedRecord | undefined;
  /** The time of the record being processed (or the punctuation): changelog records carry it. */
  currentTimestampMs = -1;
  streamTimeMs = -1;
  /** Kafka's processor metadata of this task: kept in the commit metadata, restored before initialize(). */
  readonly processorMetadataValues = new Map<string, number>();
  /** Readiness checks answered "enforced" (Kafka's enforced-processing metric): records processed with empty partitions. */
  enforcedProcessingTotal = 0;
  readonly #setup: TaskSetup;
  readonly #maxTaskIdleMs: number;
  readonly #name: string;
  readonly #storesByName = new Map<string, StateStore>();
  readonly #nodes: RuntimeNode[] = [];
  readonly #queues: RecordQueue[] = [];
  readonly #queuesByTopic = new Map<string, RecordQueue>();
  readonly #streamTimePunctuation = new PunctuationQueue();
  readonly #wallClockPunctuation = new PunctuationQueue();
  #state: "created" | "running" | "closed" = "created";

  constructor(id: TaskId, env: TaskEnvironment, setup: TaskSetup) {
    this.id = id;
    this.env = env;
    this.applicationId = setup.applicationId;
    this.appConfigs = setup.appConfigs;
    this.#setup = setup;
    this.#name = `task ${taskIdText(id)}`;
    this.#maxTaskIdleMs = env.maxTaskIdleMs ?? 0;
    if (!Number.isSafeInteger(this.#maxTaskIdleMs) || this.#maxTaskIdleMs < -1)
      throw new RangeError(`max.task.idle.ms must be an integer ≥ -1, got ${this.#maxTaskIdleMs}`);
    const { builder, group } = setup;

    // Stores first, initialised now so the runner can restore them before initialize().
    const stores: { store: StateStore; changelogTopic: string | undefined }[] = [];
    for (const storeName of builder.storesOf(group)) {
      const entry = builder.stores.get(storeName);
      if (entry === undefined) continue;
      const store = entry.builder.build();
      const changelogTopic = entry.builder.logged ? `${setup.applicationId}-${storeName}-changelog` : undefined;
      store.init({
        applicationId: setup.applicationId,
        partition: id.partition,
        stateDir: env.stateDir,
        changelog: changelogTopic === undefined ? undefined : this.#changelogSink(changelogTopic),
        recordTimestampMs: () => this.currentTimestampMs,
      });
      this.#storesByName.set(storeName, store);
      stores.push({ store, changelogTopic });
    }
    this.stores = stores;

    // Processors and sinks; children are wired after every node exists.
    const byName = new Map<string, RuntimeNode>();
    for (const name of group.nodes) {
      const node = builder.nodes.get(name);
      if (node === undefined || node.kind === "source") continue;
      const runtime: RuntimeNode = {
        name,
        processor: undefined as unknown as AnyProcessor,
        children: [],
        stores: new Set(node.kind === "processor" ? node.stores : []),
        context: undefined as unknown as NodeContext,
      };
      runtime.context = new NodeContext(this, runtime);
      runtime.processor =
        node.kind === "processor" ? node.supplier() : new SinkProcessor(this, node, (topic) => setup.decorate(topic));
      byName.set(name, runtime);
      this.#nodes.push(runtime);
    }
    const children = builder.children();
    const childrenOf = (name: string): RuntimeNode[] =>
      (children.get(name) ?? []).map((child) => byName.get(child)).filter((node) => node !== undefined);
    for (const runtime of this.#nodes) runtime.children.push(...childrenOf(runtime.name));
    for (const name of group.nodes) {
      const node = builder.nodes.get(name);
      if (node?.kind !== "source") continue;
      const sourceChildren = childrenOf(name);
      for (const topic of node.topics) {
        const decorated = setup.decorate(topic);
        const queue = new RecordQueue(decorated, id.partition, node, sourceChildren);
        this.#queues.push(queue);
        this.#queuesByTopic.set(decorated, queue);
      }
    }
  }

  initialize(): void {
    if (this.#state !== "created") throw new Error(`${this.#name} is already initialised`);
    this.#state = "running";
    for (const node of this.#nodes) node.processor.init?.(node.context);
  }

  enqueue(records: readonly ConsumedRecord[]): void {
    if (records.length === 0) return;
    const first = records[0] as ConsumedRecord;
    const queue = this.#queuesByTopic.get(first.topic);
    if (queue === undefined) throw new Error(`${this.#name} does not read topic ${first.topic}`);
    for (const record of records) {
      if (record.topic !== first.topic || record.partition !== this.id.partition) {
        throw new Error(
          `${this.#name} reads partition ${this.id.partition} of ${first.topic}; got ${record.topic}-${record.partition}`,
        );
      }
    }
    queue.add(records);
  }

  updateFetchedLag(topic: string, partition: number, lag: number | undefined): void {
    const queue = this.#queuesByTopic.get(topic);
    if (queue === undefined || partition !== this.id.partition)
      throw new Error(`${this.#name} does not read ${topic}-${partition}`);
    queue.fetchedLag = lag;
  }

  readiness(nowMs: number): TaskReadiness {
    let empty = false;
    let buffered = false;
    for (const queue of this.#queues) {
      if (queue.buffered > 0) {
        queue.idleDeadlineMs = undefined;
        buffered = true;
        continue;
      }
      empty = true;
      if (this.#maxTaskIdleMs === -1) continue;
      const lag = queue.fetchedLag;
      if (lag === undefined || lag > 0) {
        // Unknown: no fetch answered yet; positive: records are on the broker, the next fetch brings them.
        queue.idleDeadlineMs = undefined;
        return "waiting";
      }
      // Lag 0: nothing to wait for on the broker; wait up to max.task.idle.ms for new records.
      queue.idleDeadlineMs ??= nowMs + this.#maxTaskIdleMs;
      if (nowMs < queue.idleDeadlineMs) return "waiting";
    }
    if (!empty) return "ready";
    if (!buffered) return "waiting";
    // -1 processes without waiting, and Kafka does not count that as enforced.
    if (this.#maxTaskIdleMs !== -1) this.enforcedProcessingTotal++;
    return "enforced";
  }

  processNext(): boolean {
    this.#assertRunning();
    let queue: RecordQueue | undefined;
    for (const candidate of this.#queues) {
      if (candidate.head === undefined) candidate.fillHead(this.#setup.reader, this.#name);
      const head = candidate.head;
      if (head !== undefined && (queue === undefined || head.timestampMs < (queue.head as AnyRecord).timestampMs)) {
        queue = candidate;
      }
    }
    if (queue === undefined) return false;
    const record = queue.head as AnyRecord;
    const raw = queue.headRaw as ConsumedRecord;
    queue.head = undefined;
    queue.headRaw = undefined;
    if (record.timestampMs > queue.partitionTimeMs) queue.partitionTimeMs = record.timestampMs;
    if (record.timestampMs > this.streamTimeMs) this.streamTimeMs = record.timestampMs;
    this.currentRecord = raw;
    this.currentTimestampMs = record.timestampMs;
    const children = queue.children;
    try {
      for (let i = 0; i < children.length; i++) (children[i] as RuntimeNode).processor.process(record);
    } catch (error) {
      throw this.#processingError(error, `processing the record at ${raw.topic}-${raw.partition} offset ${raw.offset}`);
    } finally {
      this.currentRecord = undefined;
    }
    queue.nextOffset = raw.offset + 1;
    this.#streamTimePunctuation.punctuate(this.streamTimeMs, this.#runPunctuator);
    return true;
  }

  bufferedCount(): number {
    let count = 0;
    for (const queue of this.#queues) count += queue.buffered;
    return count;
  }

  clearBuffered(): void {
    for (const queue of this.#queues) queue.clear();
  }

  bufferedCountOf(topic: string, partition: number): number {
    const queue = this.#queuesByTopic.get(topic);
    return queue === undefined || partition !== this.id.partition ? 0 : queue.buffered;
  }

  punctuateWallClock(nowMs: number): void {
    this.#assertRunning();
    this.#wallClockPunctuation.punctuate(nowMs, this.#runPunctuator);
  }

  committableOffsets(): ReadonlyMap<
    string,
    { readonly topic: string; readonly partition: number; readonly offset: number }
  > {
    const offsets = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const queue of this.#queues) {
      if (queue.nextOffset === undefined) continue;
      offsets.set(`${queue.topic}-${queue.partition}`, {
        topic: queue.topic,
        partition: queue.partition,
        offset: queue.nextOffset,
      });
    }
    return offsets;
  }

  flush(): void {
    for (const { store } of this.stores) store.flush();
  }

  processorMetadata(): ReadonlyMap<string, number> {
    return this.processorMetadataValues;
  }

  restoreProcessorMetadata(metadata: ReadonlyMap<string, number>): void {
    if (this.#state !== "created") throw new Error(`${this.#name}: processor metadata is restored before initialize()`);
    for (const [key, value] of metadata) this.processorMetadataValues.set(key, value);
  }

  close(): void {
    if (this.#state === "closed") return;
    const wasRunning = this.#state === "running";
    this.#state = "closed";
    let failure: unknown;
    if (wasRunning) {
      for (const node of this.#nodes) {
        try {
          node.processor.close?.();
        } catch (error) {
          failure ??= error;
        }
      }
    }
    for (const { store } of this.stores) {
      try {
        store.close();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw this.#processingError(failure, "closing");
  }

  store(name: string): StateStore | undefined {
    return this.#storesByName.get(name);
  }

  globalStore(name: string): StateStore | undefined {
    return this.#setup.builder.globalStores.has(name) ? this.#setup.globalStore(name) : undefined;
  }

  schedule(
    nodeName: string,
    intervalMs: number,
    type: PunctuationType,
    punctuator: (timestampMs: number) => void,
  ): Cancellable {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      throw new RangeError(`punctuation interval must be an integer number of ms ≥ 1, got ${intervalMs}`);
    }
    switch (type) {
      case "stream-time":
        // Aligned to 0: fires as soon as there is stream time, then on multiples of the interval.
        return this.#streamTimePunctuation.add({ type, intervalMs, startMs: 0, nodeName, punctuator });
      case "wall-clock-time":
        return this.#wallClockPunctuation.add({
          type,
          intervalMs,
          startMs: this.env.nowMs() + intervalMs,
          nodeName,
          punctuator,
        });
    }
  }

  readonly #runPunctuator = (schedule: PunctuationSchedule, nowMs: number): void => {
    const savedTimestampMs = this.currentTimestampMs;
    this.currentRecord = undefined;
    this.currentTimestampMs = nowMs;
    try {
      schedule.punctuator(nowMs);
    } catch (error) {
      throw this.#processingError(error, `punctuating ${schedule.nodeName} (${schedule.type})`);
    } finally {
      this.currentTimestampMs = savedTimestampMs;
    }
  };

  #changelogSink(topic: string): (record: ChangelogRecord) => void {
    const partition = this.id.partition;
    const env = this.env;
    return (record) =>
      env.send({
        topic,
        partition,
        key: record.key,
        value: record.value,
        timestampMs: record.timestampMs,
        headers: noHeaders,
      });
  }

  #assertRunning(): void {
    if (this.#state !== "running")
      throw new Error(`${this.#name} is ${this.#state === "created" ? "not initialised" : "closed"}`);
  }

  #processingError(error: unknown, what: string): Error {
    if (error instanceof ProcessingError || error instanceof TopologyError) {
      if (error.message.startsWith(this.#name)) return error;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ProcessingError(`${this.#name}: exception caught ${what}: ${message}`, { cause: error });
  }
}
