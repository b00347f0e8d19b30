// What the streams integration tests share: a kafkajs client for the target (topics, configs,
// input producers that place each record on its key's partition as Kafka's default partitioner
// does), and the readiness line the examples print once they first reach RUNNING.
import kafkajs from "kafkajs";
import { partitionForKey } from "@samsa/streams";
import type { WatchedProcess } from "./support.ts";

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs;

export type KafkaClient = InstanceType<typeof Kafka>;

export function kafkaClient(bootstrap: string): KafkaClient {
  return new Kafka({
    clientId: "interop-streams",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    connectionTimeout: 5000,
    requestTimeout: 30_000,
  });
}

export interface TopicSpec {
  readonly name: string;
  readonly configs?: Readonly<Record<string, string>>;
}

export async function createTopics(bootstrap: string, topics: readonly TopicSpec[], partitions: number): Promise<void> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({
        topic: t.name,
        numPartitions: partitions,
        configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      waitForLeaders: true,
      timeout: 30_000,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Partition count and configs (name → value) of each topic. */
export async function topicConfigs(
  bootstrap: string,
  topics: readonly string[],
): Promise<Map<string, { partitions: number; configs: Map<string, string> }>> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
      includeSynonyms: false,
    });
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
    const result = new Map<string, { partitions: number; configs: Map<string, string> }>();
    for (const name of topics) {
      const resource = described.resources.find((r) => r.resourceName === name);
      result.set(name, {
        partitions: metadata.find((t) => t.name === name)?.partitions.length ?? 0,
        configs: new Map((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue])),
      });
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

export interface InputRecord {
  readonly key: string;
  readonly value: string | null;
  readonly timestamp?: number;
}

export interface InputProducer {
  send(records: readonly InputRecord[]): Promise<void>;
  close(): Promise<void>;
}

const utf8 = new TextEncoder();

/**
 * Produces records in order (one request, acks=all, idempotent), each to the partition of its key
 * (Kafka's default partitioner over `partitions`).
 */
export function inputProducer(bootstrap: string, topic: string, partitions: number): InputProducer {
  const p = kafkaClient(bootstrap).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const connected = p.connect();
  connected.catch(() => undefined); // rethrown by send and close
  return {
    async send(records) {
      await connected;
      if (records.length === 0) return;
      await p.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({
          key: r.key,
          value: r.value,
          partition: partitionForKey(utf8.encode(r.key), partitions),
          ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
        })),
      });
    },
    async close() {
      await connected;
      await p.disconnect();
    },
  };
}

/** Resolves with the application's readiness line (printed once it first reaches RUNNING). */
export function waitForReady(proc: WatchedProcess): Promise<string> {
  return proc.waitForLine((line) => (/^ready\b/.test(line) ? line : undefined), {
    timeoutMs: 60_000,
    what: "the application to report ready (RUNNING)",
  });
}
