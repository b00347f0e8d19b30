// Topic lookups shared by handlers: by name or id, with Kafka's auto-creation and errors.
import { ErrorCode } from "@samsa/protocol";
import { offsetsTopicName } from "./coordinator/group-store.ts";
import { transactionTopicName } from "./coordinator/txn-store.ts";
import type { BrokerState } from "./context.ts";
import { TopicError } from "./storage/log-manager.ts";
import type { TopicMetadata } from "./storage/log-manager.ts";

export const zeroUuid = "00000000-0000-0000-0000-000000000000";

/** A partition as Metadata and DescribeTopicPartitions describe it: this node leads and is the only replica. */
export function singleNodePartition(nodeId: number, partitionIndex: number) {
  return {
    errorCode: 0,
    partitionIndex,
    leaderId: nodeId,
    leaderEpoch: 0,
    replicaNodes: [nodeId],
    isrNodes: [nodeId],
    offlineReplicas: [],
  };
}

/** Topics the broker owns: clients may read them but not write them or auto-create them. */
export function isInternalTopic(name: string): boolean {
  return name === offsetsTopicName || name === transactionTopicName;
}

/** Whether topic-partition exists. */
export function partitionExists(broker: BrokerState, topic: string, partition: number): boolean {
  const meta = broker.logs.topic(topic);
  return meta !== undefined && partition >= 0 && partition < meta.partitions;
}

export function topicById(broker: BrokerState, topicId: string): TopicMetadata | undefined {
  return broker.logs.topics().find((t) => t.topicId === topicId);
}

/** Maps a storage TopicError to its Kafka error code. */
export function errorCodeOf(error: TopicError): number {
  return ErrorCode[error.errorName];
}

/**
 * The topic, auto-created (with the broker's default partition count) when allowed. Returns the
 * error code to answer when it is missing or cannot be created.
 */
export async function topicOrCreate(
  broker: BrokerState,
  name: string,
  allowCreate: boolean,
): Promise<{ topic: TopicMetadata } | { errorCode: number }> {
  const existing = broker.logs.topic(name);
  if (existing !== undefined) return { topic: existing };
  const invalid = broker.logs.validateTopic(name, {});
  if (invalid instanceof TopicError) return { errorCode: errorCodeOf(invalid) };
  // The coordinator creates its internal topic itself, with the configs it needs.
  if (!allowCreate || !broker.config.autoCreateTopics || isInternalTopic(name)) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  try {
    const topic = await broker.logs.createTopic({ name, partitions: broker.config.numPartitions });
    broker.logger.log("info", "topic auto-created", { topic: name, partitions: topic.partitions });
    return { topic };
  } catch (error) {
    if (error instanceof TopicError) {
      const again = broker.logs.topic(name); // created concurrently by another request
      if (again !== undefined) return { topic: again };
      return { errorCode: errorCodeOf(error) };
    }
    throw error;
  }
}
