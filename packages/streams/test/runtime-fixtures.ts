// Hand-written topology plans for the runtime's tests: real tasks that do real work (a
// pass-through, a counter with a logged key-value store, a global table), written against the
// runtime contract only, so the runtime is tested without the DSL.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Admin, Consumer, Producer, murmur2 } from "@platformatic/kafka";
import type { TaskId } from "../src/processor.ts";
import { startTarget } from "@samsa/testkit";
import { startEmbeddedBroker } from "../src/runtime/embedded.ts";
import type { EmbeddedBroker } from "../src/runtime/embedded.ts";
import { Fetcher } from "../src/runtime/fetcher.ts";
import type {
  ConsumedRecord,
  GlobalTask,
  InternalTopicSpec,
  TaskEnvironment,
  TopologyPlan,
  TopologyTask,
} from "../src/runtime-contract.ts";
import type { ChangelogRecord, ChangelogSink, StateStore, StoreContext } from "../src/state/store.ts";

const text = new TextEncoder();
const untext = new TextDecoder();
export const bytes = (value: string): Uint8Array => text.encode(value);
export const str = (value: Uint8Array | null): string => (value === null ? "<null>" : untext.decode(value));

/** A key-value store of counts; persistent ones keep `{checkpoint, entries}` in a JSON file. */
export class CountStore implements StateStore {
  readonly name: string;
  readonly persistent: boolean;
  readonly entries = new Map<string, number>();
  #changelog: ChangelogSink | undefined;
  #file: string | undefined;
  #checkpoint: number | undefined;
  restoredRecords = 0;

  constructor(name: string, persistent: boolean) {
    this.name = name;
    this.persistent = persistent;
  }

  init(context: StoreContext): void {
    this.#changelog = context.changelog;
    if (!this.persistent || context.stateDir === undefined) return;
    this.#file = join(context.stateDir, `${this.name}.json`);
    if (existsSync(this.#file)) {
      const saved = JSON.parse(readFileSync(this.#file, "utf8")) as { checkpoint: number; entries: [string, number][] };
      this.#checkpoint = saved.checkpoint;
      for (const [key, value] of saved.entries) this.entries.set(key, value);
    }
  }

  restore(records: readonly ChangelogRecord[]): void {
    for (const record of records) {
      this.restoredRecords++;
      if (record.value === null) this.entries.delete(str(record.key));
      else this.entries.set(str(record.key), Number(str(record.value)));
    }
  }

  restoredOffset(): number | undefined {
    return this.#checkpoint;
  }

  checkpoint(changelogOffset: number): void {
    this.#checkpoint = changelogOffset;
    if (this.#file !== undefined)
      writeFileSync(this.#file, JSON.stringify({ checkpoint: changelogOffset, entries: [...this.entries] }));
  }

  increment(key: string, timestampMs: number): number {
    const next = (this.entries.get(key) ?? 0) + 1;
    this.entries.set(key, next);
    this.#changelog?.({ key: bytes(key), value: bytes(String(next)), timestampMs });
    return next;
  }

  flush(): void {}
  close(): void {}
}

/** Per-partition queues merged by lowest timestamp (a small partition group). */
class InputQueues {
  readonly #queues = new Map<string, ConsumedRecord[]>();
  readonly #next = new Map<string, { topic: string; partition: number; offset: number }>();

  enqueue(records: readonly ConsumedRecord[]): void {
    for (const record of records) {
      const key = `${record.topic}:${record.partition}`;
      let queue = this.#queues.get(key);
      if (queue === undefined) this.#queues.set(key, (queue = []));
      queue.push(record);
    }
  }

  /** The buffered record with the lowest timestamp; the caller marks it done after processing. */
  take(): ConsumedRecord | undefined {
    let best: ConsumedRecord[] | undefined;
    for (const queue of this.#queues.values()) {
      const head = queue[0];
      if (head !== undefined && (best?.[0] === undefined || head.timestampMs < best[0].timestampMs)) best = queue;
    }
    return best?.shift();
  }

  done(record: ConsumedRecord): void {
    this.#next.set(`${record.topic}:${record.partition}`, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset + 1,
    });
  }

  get size(): number {
    let size = 0;
    for (const queue of this.#queues.values()) size += queue.length;
    return size;
  }

  get committable(): ReadonlyMap<string, { topic: string; partition: number; offset: number }> {
    return this.#next;
  }
}

export interface Observations {
  /** Every record a task processed, in order, across tasks (and instances sharing the object). */
  readonly processed: ConsumedRecord[];
  /** Tasks created and closed, by key. */
  readonly created: string[];
  readonly closed: string[];
  /** Throws when processing a record whose value this returns true for. */
  failOn?: (record: ConsumedRecord) => boolean;
}

export function observations(): Observations {
  return { processed: [], created: [], closed: [] };
}

function recordTask(options: {
  readonly id: TaskId;
  readonly env: TaskEnvironment;
  readonly observed: Observations;
  readonly stores: TopologyTask["stores"];
  readonly process: (record: ConsumedRecord) => void;
}): TopologyTask {
  const { id, observed } = options;
  const queues = new InputQueues();
  const key = `${id.subtopology}_${id.partition}`;
  observed.created.push(key);
  return {
    id,
    stores: options.stores,
    initialize() {},
    enqueue: (records) => queues.enqueue(records),
    processNext() {
      const record = queues.take();
      if (record === undefined) return false;
      if (observed.failOn?.(record) === true)
        throw new Error(`poison record at ${record.topic}:${record.partition}@${record.offset}`);
      options.process(record);
      queues.done(record);
      observed.processed.push(record);
      return true;
    },
    bufferedCount: () => queues.size,
    punctuateWallClock() {},
    committableOffsets: () => queues.committable,
    flush() {
      for (const { store } of options.stores) store.flush();
    },
    close() {
      observed.closed.push(key);
      for (const { store } of options.stores) store.close();
    },
  };
}

interface BasePlan {
  readonly applicationId: string;
  readonly sourceTopics: readonly string[];
  readonly copartitionGroups?: readonly (readonly string[])[];
}

/** Copies every record to `output`, keyed as it came (partition from the key). */
export function passThroughPlan(
  options: BasePlan & { readonly output: string; readonly observed: Observations },
): TopologyPlan {
  return {
    applicationId: options.applicationId,
    subtopologies: [{ id: 0, sourceTopics: options.sourceTopics, copartitionGroups: options.copartitionGroups ?? [] }],
    internalTopics: [],
    globalStores: [],
    createTask: (id, env) =>
      recordTask({
        id,
        env,
        observed: options.observed,
        stores: [],
        process: (record) =>
          env.send({
            topic: options.output,
            partition: undefined,
            key: record.key,
            value: record.value,
            timestampMs: record.timestampMs,
            headers: record.headers,
          }),
      }),
    createGlobalTask: () => undefined,
  };
}

/** Counts records per key in a logged store `counts`, and sends `key → count` to `output`. */
export function countingPlan(
  options: BasePlan & {
    readonly output: string;
    readonly observed: Observations;
    readonly persistent?: boolean;
    /** The stores of every task created, by task key (the last instance wins). */
    readonly stores?: Map<string, CountStore>;
  },
): TopologyPlan {
  const changelog = `${options.applicationId}-counts-changelog`;
  const internalTopics: InternalTopicSpec[] = [
    { name: changelog, kind: "changelog", partitions: { sameAsSubtopology: 0 }, configs: {} },
  ];
  return {
    applicationId: options.applicationId,
    subtopologies: [{ id: 0, sourceTopics: options.sourceTopics, copartitionGroups: options.copartitionGroups ?? [] }],
    internalTopics,
    globalStores: [],
    createTask(id, env) {
      const store = new CountStore("counts", options.persistent === true);
      options.stores?.set(`${id.subtopology}_${id.partition}`, store);
      store.init({
        applicationId: env.applicationId,
        partition: id.partition,
        stateDir: options.persistent === true ? env.stateDir : undefined,
        changelog: (record) =>
          env.send({
            topic: changelog,
            partition: id.partition,
            key: record.key,
            value: record.value,
            timestampMs: record.timestampMs,
            headers: [],
          }),
      });
      return recordTask({
        id,
        env,
        observed: options.observed,
        stores: [{ store, changelogTopic: changelog }],
        process: (record) => {
          const key = str(record.key);
          const count = store.increment(key, record.timestampMs);
          env.send({
            topic: options.output,
            partition: undefined,
            key: record.key,
            value: bytes(String(count)),
            timestampMs: record.timestampMs,
            headers: [],
          });
        },
      });
    },
    createGlobalTask: () => undefined,
  };
}

/** A global table of `topic` (key → value as text), plus a pass-through of `source` to `output`. */
export function globalTablePlan(options: {
  readonly applicationId: string;
  readonly globalTopic: string;
  readonly source: string;
  readonly output: string;
  readonly table: Map<string, string>;
  readonly observed: Observations;
}): TopologyPlan {
  const pass = passThroughPlan({
    applicationId: options.applicationId,
    sourceTopics: [options.source],
    output: options.output,
    observed: options.observed,
  });
  const store: StateStore = {
    name: "global-table",
    persistent: false,
    init() {},
    restore() {},
    restoredOffset: () => undefined,
    checkpoint() {},
    flush() {},
    close() {},
  };
  return {
    ...pass,
    globalStores: [{ topic: options.globalTopic, storeName: "global-table" }],
    createGlobalTask: (): GlobalTask => ({
      stores: [{ store, topic: options.globalTopic }],
      initialize() {},
      process(record) {
        if (record.value === null) options.table.delete(str(record.key));
        else options.table.set(str(record.key), str(record.value));
      },
      flush() {},
      close() {},
    }),
  };
}

// ---- a cluster to run against ----

/**
 * The embedded Samsa broker, or Apache Kafka with SAMSA_TEST_TARGET=kafka (scripts/kafka.sh):
 * the runtime talks to either the same way.
 */
export async function startTestBroker(): Promise<EmbeddedBroker> {
  if (process.env["SAMSA_TEST_TARGET"] === "kafka") {
    const target = await startTarget("kafka", { settings: { "group.initial.rebalance.delay.ms": "0" } });
    return { bootstrapServers: target.bootstrap, close: () => target.stop() };
  }
  return startEmbeddedBroker();
}

export class TestCluster {
  readonly bootstrapServers: string;
  readonly #admin: Admin;
  readonly #producer: Producer;
  readonly #reader: Consumer;
  readonly #fetcher: Fetcher;

  constructor(bootstrapServers: string) {
    this.bootstrapServers = bootstrapServers;
    this.#admin = new Admin({ clientId: "test-admin", bootstrapBrokers: [bootstrapServers] });
    this.#producer = new Producer({
      clientId: "test-producer",
      bootstrapBrokers: [bootstrapServers],
      idempotent: true,
    });
    this.#reader = new Consumer({
      clientId: "test-reader",
      groupId: "test-reader",
      bootstrapBrokers: [bootstrapServers],
      autocommit: false,
    });
    this.#fetcher = new Fetcher({ client: this.#reader, maxWaitMs: 10 });
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    await this.#admin.createTopics({ topics: [name], partitions, replicas: -1 });
  }

  /** Sends `key:value` strings (or [key, value] pairs) with the default partitioner, in one batch. */
  async produce(topic: string, records: readonly (readonly [string, string])[], partition?: number): Promise<void> {
    await this.#producer.send({
      messages: records.map(([key, value]) => ({
        topic,
        key: Buffer.from(key),
        value: Buffer.from(value),
        ...(partition === undefined ? {} : { partition }),
      })),
      partitioner: (_message, key) => (key === undefined ? 0 : murmur2(key, false) & 0x7fffffff),
    });
  }

  /** Every record of every partition of `topic`, up to its end now. */
  async readAll(topic: string): Promise<ConsumedRecord[]> {
    const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const partitions = Array.from({ length: count }, (_, partition) => ({ topic, partition }));
    const ends = await this.#fetcher.listOffsets(partitions, "latest");
    const positions = new Map(partitions.map(({ partition }) => [partition, 0]));
    const records: ConsumedRecord[] = [];
    for (let round = 0; round < 1000; round++) {
      const behind = partitions.filter(
        ({ partition }) => (positions.get(partition) ?? 0) < (ends.get(`${topic}:${partition}`) ?? 0),
      );
      if (behind.length === 0) return records;
      const fetched = await this.#fetcher.fetch(
        behind.map(({ partition }) => ({ topic, partition, offset: positions.get(partition) ?? 0 })),
      );
      for (const result of fetched) {
        records.push(...result.records);
        positions.set(result.partition, result.nextOffset);
      }
    }
    throw new Error(`could not read ${topic} to its end`);
  }

  async topicConfig(topic: string, name: string): Promise<string | null | undefined> {
    const described = await this.#admin.describeConfigs({
      resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [name] }],
    });
    return described[0]?.configs.find((config) => config.name === name)?.value;
  }

  async partitionCount(topic: string): Promise<number> {
    const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
    return metadata.topics.get(topic)?.partitionsCount ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([this.#admin.close(), this.#producer.close(), this.#reader.close()]);
  }
}

/** Polls `check` until it stops throwing (or returns true), up to `timeoutMs`. */
export async function eventually(
  check: () => boolean | void | Promise<boolean | void>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if ((await check()) !== false) return;
      lastError = new Error("condition is false");
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The latest value per key in a topic (what a table of it holds). */
export function latestByKey(records: readonly ConsumedRecord[]): Map<string, string> {
  const latest = new Map<string, string>();
  for (const record of records) latest.set(str(record.key), str(record.value));
  return latest;
}
