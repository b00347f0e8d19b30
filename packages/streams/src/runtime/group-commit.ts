// Committing consumed offsets for the application's group (at least once), and reading them back.
// Commits go through the OffsetCommit API on the coordinator's connection with the generation and
// member id this instance holds, instead of Consumer.commit(): on a stale generation the client
// library rejoins the group and commits again under the new one — offsets of partitions that may
// have moved — where Kafka Streams must see the failure (TaskMigratedException) and drop its tasks.
// Exactly once sends the offsets to the producer's transaction instead (transactions.ts), through
// the same coordinator helpers. Each offset carries Kafka's commit metadata: the processor metadata
// of its task (emit-final's last emitted window close time), read back when a task is created.
import { offsetCommitV8, offsetFetchV8 } from "@platformatic/kafka";
import type { Connection, Consumer } from "@platformatic/kafka";
import { StreamsError, errorMessage } from "./errors.ts";

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: number;
  /** Kafka's commit metadata string (encodeCommitMetadata), null when there is none. */
  readonly metadata: string | null;
  /** Offset or metadata differ from the last commit. */
  readonly changed: boolean;
}

/** The commit step a processing guarantee plugs in. */
export interface Committer {
  /** `offsets`: every committable partition of the running tasks; at least once sends only the changed ones. */
  commit(offsets: readonly OffsetToCommit[]): Promise<void>;
}

/** Errors meaning the group (or, for a transaction, the coordinator) moved this instance's tasks elsewhere. */
export const migratedErrors = new Set([
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "FENCED_INSTANCE_ID",
  "REBALANCE_IN_PROGRESS",
  "PRODUCER_FENCED",
  "INVALID_PRODUCER_EPOCH",
  "INVALID_PRODUCER_ID_MAPPING",
  "TRANSACTIONAL_ID_NOT_FOUND",
  "INVALID_TXN_STATE",
]);
const retriableErrors = new Set([
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "REQUEST_TIMED_OUT",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "CONCURRENT_TRANSACTIONS",
  "UNSTABLE_OFFSET_COMMIT",
]);

/** The Kafka error names (apiId) inside a client library error, however nested. */
export function kafkaErrorNames(error: unknown): Set<string> {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as { apiId?: unknown; errors?: unknown; cause?: unknown };
    if (typeof record.apiId === "string") names.add(record.apiId);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
    visit(record.cause);
  };
  visit(error);
  return names;
}

function isNetworkError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "PLT_KFK_NETWORK";
}

/** The group coordinator's connection of the consumer (looked up each time: it may move). */
async function coordinatorConnection(consumer: Consumer, topics: readonly string[]): Promise<Connection> {
  const coordinatorId = await consumer.findGroupCoordinator();
  const broker =
    consumer.currentMetadata?.brokers.get(coordinatorId) ??
    (await consumer.metadata({ topics: [...topics], forceUpdate: true })).brokers.get(coordinatorId);
  if (broker === undefined)
    throw new StreamsError("TIMEOUT", `group coordinator ${coordinatorId} is not in the metadata`, {
      retriable: true,
    });
  return consumer.connections.get(broker);
}

/**
 * Runs `operation` on the group coordinator's connection, retrying retriable errors with a growing
 * backoff; errors that mean the tasks moved become TASK_MIGRATED, others PROCESSING_FAILED.
 */
export async function withGroupCoordinator(options: {
  readonly consumer: Consumer;
  readonly topics: readonly string[];
  readonly what: string;
  readonly attemptsMax: number;
  readonly backoffMs: number;
  readonly operation: (connection: Connection) => Promise<void>;
}): Promise<void> {
  const { consumer } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      await options.operation(await coordinatorConnection(consumer, options.topics));
      return;
    } catch (error) {
      const names = kafkaErrorNames(error);
      const migrated = [...names].find((name) => migratedErrors.has(name));
      if (migrated !== undefined)
        throw new StreamsError("TASK_MIGRATED", `${options.what} rejected (${migrated}): the tasks moved`, {
          cause: error,
        });
      const retriable =
        isNetworkError(error) ||
        (error instanceof StreamsError && error.retriable) ||
        (names.size > 0 && [...names].every((name) => retriableErrors.has(name)));
      if (!retriable || attempt >= options.attemptsMax)
        throw new StreamsError("PROCESSING_FAILED", `${options.what} failed: ${errorMessage(error)}`, {
          cause: error,
        });
      consumer.clearMetadata();
      await new Promise((resolve) => setTimeout(resolve, options.backoffMs * attempt));
    }
  }
}

/** Offsets (with their commit metadata) grouped by topic, as OffsetCommit and TxnOffsetCommit take them. */
export function offsetsByTopic(offsets: readonly OffsetToCommit[]): offsetCommitV8.OffsetCommitRequestTopic[] {
  const byTopic = new Map<string, offsetCommitV8.OffsetCommitRequestTopic>();
  for (const { topic, partition, offset, metadata } of offsets) {
    let entry = byTopic.get(topic);
    if (entry === undefined) byTopic.set(topic, (entry = { name: topic, partitions: [] }));
    entry.partitions.push({
      partitionIndex: partition,
      committedOffset: BigInt(offset),
      committedLeaderEpoch: -1,
      committedMetadata: metadata,
    });
  }
  return [...byTopic.values()];
}

export class GroupCommitter implements Committer {
  readonly #consumer: Consumer;
  readonly #attemptsMax: number;
  readonly #backoffMs: number;

  constructor(options: { readonly consumer: Consumer; readonly attemptsMax?: number; readonly backoffMs?: number }) {
    this.#consumer = options.consumer;
    this.#attemptsMax = options.attemptsMax ?? 10;
    this.#backoffMs = options.backoffMs ?? 200;
  }

  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    const changed = offsets.filter((offset) => offset.changed);
    if (changed.length === 0) return;
    const topics = offsetsByTopic(changed);
    const consumer = this.#consumer;
    const generationId = consumer.generationId;
    const memberId = consumer.memberId;
    if (memberId === null)
      throw new StreamsError("TASK_MIGRATED", "cannot commit: this instance is not a member of the group any more");
    await withGroupCoordinator({
      consumer,
      topics: topics.map((topic) => topic.name),
      what: "committing offsets",
      attemptsMax: this.#attemptsMax,
      backoffMs: this.#backoffMs,
      operation: async (connection) => {
        await offsetCommitV8.api.async(
          connection,
          consumer.groupId,
          generationId,
          memberId,
          consumer.groupInstanceId,
          topics,
        );
      },
    });
  }
}

export interface CommittedOffset {
  /** The next offset to read; undefined when the group has none for the partition. */
  readonly offset: number | undefined;
  readonly metadata: string | null;
}

/**
 * The group's committed offsets and their metadata (OffsetFetch v8). With `requireStable`
 * (exactly once, KIP-447) a partition whose offsets an open transaction may still commit answers
 * UNSTABLE_OFFSET_COMMIT, and this waits until that transaction ended (its producer commits or
 * aborts, or the coordinator aborts it after its timeout), for at most `timeoutMs`.
 */
export async function fetchCommittedOffsets(options: {
  readonly consumer: Consumer;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
  readonly requireStable: boolean;
  readonly timeoutMs: number;
  readonly shouldStop: () => boolean;
}): Promise<Map<string, CommittedOffset>> {
  const { consumer } = options;
  const result = new Map<string, CommittedOffset>();
  if (options.partitions.length === 0) return result;
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of options.partitions) {
    let partitions = byTopic.get(topic);
    if (partitions === undefined) byTopic.set(topic, (partitions = []));
    partitions.push(partition);
  }
  const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await withGroupCoordinator({
        consumer,
        topics: [...byTopic.keys()],
        what: "reading committed offsets",
        attemptsMax: 5,
        backoffMs: 200,
        operation: async (connection) => {
          const response = await offsetFetchV8.api.async(
            connection,
            [{ groupId: consumer.groupId, memberId: null, memberEpoch: -1, topics }],
            options.requireStable,
          );
          for (const group of response.groups)
            for (const topic of group.topics)
              for (const partition of topic.partitions) {
                const offset = partition.committedOffset >= 0n ? Number(partition.committedOffset) : undefined;
                result.set(`${topic.name}:${partition.partitionIndex}`, {
                  offset,
                  metadata: partition.metadata ?? null,
                });
              }
        },
      });
      return result;
    } catch (error) {
      const unstable = kafkaErrorNames(error).has("UNSTABLE_OFFSET_COMMIT");
      if (!unstable || Date.now() >= deadline || options.shouldStop()) throw error;
      // An open transaction holds offsets of these partitions: wait for it to end.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * attempt)));
    }
  }
}

/** Format version of our commit metadata (a JSON object; Kafka's is base64 binary of the same facts). */
const commitMetadataVersion = 1;

/**
 * Kafka Streams' commit metadata of a task's partition: its processor metadata (key → number, e.g.
 * the last window close time emit-final emitted up to, by store). Null when there is nothing to keep.
 */
export function encodeCommitMetadata(processorMetadata: ReadonlyMap<string, number> | undefined): string | null {
  if (processorMetadata === undefined || processorMetadata.size === 0) return null;
  return JSON.stringify({ v: commitMetadataVersion, pm: Object.fromEntries(processorMetadata) });
}

/** The processor metadata in a commit's metadata; empty for null, another format or another writer's. */
export function decodeCommitMetadata(metadata: string | null): Map<string, number> {
  const decoded = new Map<string, number>();
  if (metadata === null || metadata === "") return decoded;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return decoded;
  }
  if (typeof parsed !== "object" || parsed === null) return decoded;
  const { v, pm } = parsed as { v?: unknown; pm?: unknown };
  if (v !== commitMetadataVersion || typeof pm !== "object" || pm === null) return decoded;
  for (const [key, value] of Object.entries(pm)) if (Number.isSafeInteger(value)) decoded.set(key, value as number);
  return decoded;
}
