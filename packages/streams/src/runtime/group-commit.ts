// Committing consumed offsets for the application's group (at least once). Commits go through the
// OffsetCommit API on the coordinator's connection with the generation and member id this
// instance holds, instead of Consumer.commit(): on a stale generation the client library rejoins
// the group and commits again under the new one — offsets of partitions that may have moved —
// where Kafka Streams must see the failure (TaskMigratedException) and drop its tasks.
// Exactly-once (part 2) replaces this with offsets sent to the producer's transaction.
import { offsetCommitV8 } from "@platformatic/kafka";
import type { Consumer } from "@platformatic/kafka";
import { StreamsError, errorMessage } from "./errors.ts";

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: number;
}

/** The commit step a processing guarantee plugs in. */
export interface Committer {
  commit(offsets: readonly OffsetToCommit[]): Promise<void>;
}

const migratedErrors = new Set([
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "FENCED_INSTANCE_ID",
  "REBALANCE_IN_PROGRESS",
]);
const retriableErrors = new Set([
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "REQUEST_TIMED_OUT",
  "UNKNOWN_TOPIC_OR_PARTITION",
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
    if (offsets.length === 0) return;
    const byTopic = new Map<string, offsetCommitV8.OffsetCommitRequestTopic>();
    for (const { topic, partition, offset } of offsets) {
      let entry = byTopic.get(topic);
      if (entry === undefined) byTopic.set(topic, (entry = { name: topic, partitions: [] }));
      entry.partitions.push({
        partitionIndex: partition,
        committedOffset: BigInt(offset),
        committedLeaderEpoch: -1,
        committedMetadata: null,
      });
    }
    const consumer = this.#consumer;
    const generationId = consumer.generationId;
    const memberId = consumer.memberId;
    if (memberId === null)
      throw new StreamsError("TASK_MIGRATED", "cannot commit: this instance is not a member of the group any more");
    for (let attempt = 1; ; attempt++) {
      try {
        const coordinatorId = await consumer.findGroupCoordinator();
        const broker =
          consumer.currentMetadata?.brokers.get(coordinatorId) ??
          (await consumer.metadata({ topics: [...byTopic.keys()], forceUpdate: true })).brokers.get(coordinatorId);
        if (broker === undefined)
          throw new StreamsError("TIMEOUT", `group coordinator ${coordinatorId} is not in the metadata`, {
            retriable: true,
          });
        const connection = await consumer.connections.get(broker);
        await offsetCommitV8.api.async(connection, consumer.groupId, generationId, memberId, consumer.groupInstanceId, [
          ...byTopic.values(),
        ]);
        return;
      } catch (error) {
        const names = kafkaErrorNames(error);
        const migrated = [...names].find((name) => migratedErrors.has(name));
        if (migrated !== undefined)
          throw new StreamsError(
            "TASK_MIGRATED",
            `commit rejected (${migrated}): the group moved this instance's tasks`,
            {
              cause: error,
            },
          );
        const retriable =
          isNetworkError(error) ||
          (error instanceof StreamsError && error.retriable) ||
          (names.size > 0 && [...names].every((name) => retriableErrors.has(name)));
        if (!retriable || attempt >= this.#attemptsMax)
          throw new StreamsError("PROCESSING_FAILED", `committing offsets failed: ${errorMessage(error)}`, {
            cause: error,
          });
        consumer.clearMetadata();
        await new Promise((resolve) => setTimeout(resolve, this.#backoffMs * attempt));
      }
    }
  }
}
