// DescribeTopicPartitions: topics (the named ones, or all) with their partitions, sorted by name
// and paged by a cursor and a partition limit, exactly as Kafka pages them. On one node every
// partition is led by this node, in sync, with no eligible-leader or offline replicas.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type {
  DescribeTopicPartitionsResponseCursor,
  DescribeTopicPartitionsResponseTopic,
  Input,
} from "@samsa/protocol";
import { operationsNotRequested, topicOperations } from "../authorized-operations.ts";
import { defineHandler } from "../context.ts";
import { TopicError } from "../storage/log-manager.ts";
import { singleNodePartition, zeroUuid } from "../topics.ts";
import { Operation, ResourceType } from "../security/acl.ts";
import { allowedOnTopic, authorizedOperations } from "../security/acl-authorizer.ts";

/** Kafka's max.request.partition.size.limit default: the most partitions one response carries. */
const responsePartitionsMax = 2000;

type Topic = Input<DescribeTopicPartitionsResponseTopic>;

export const describeTopicPartitionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTopicPartitions,
  versions: { min: 0, max: 0 },
  handle(context, request) {
    const { broker } = context;
    const { logs } = broker;
    const node = broker.config.nodeId;
    const cursor = request.cursor;
    const fetchAll = request.topics.length === 0;
    const from = cursor?.topicName ?? "";
    const names = new Set(
      (fetchAll ? logs.topics().map((t) => t.name) : request.topics.map((t) => t.name)).filter((n) => n >= from),
    );
    const invalidCursor =
      cursor === null
        ? undefined
        : !fetchAll && !names.has(cursor.topicName)
          ? `DescribeTopicPartitionsRequest topic list should contain the cursor topic: ${cursor.topicName}`
          : cursor.partitionIndex < 0
            ? "DescribeTopicPartitionsRequest cursor partition must be valid"
            : undefined;
    if (invalidCursor !== undefined) {
      // Kafka fails the whole request: each named topic gets the error.
      return Promise.resolve({
        throttleTimeMs: 0,
        topics: request.topics.map((t) => ({
          errorCode: ErrorCode.INVALID_REQUEST,
          name: t.name,
          topicId: zeroUuid,
          isInternal: false,
          partitions: [],
        })),
        nextCursor: null,
      });
    }
    let remaining = Math.max(Math.min(responsePartitionsMax, request.responsePartitionLimit), 1);
    const topics: Topic[] = [];
    let nextCursor: Input<DescribeTopicPartitionsResponseCursor> | null = null;
    // Java's String.compareTo and JavaScript's default sort both order by UTF-16 code units.
    for (const name of [...names].sort()) {
      if (remaining === 0) {
        // The previous topic filled the response exactly: the next page starts with this one.
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      // DESCRIBE on the topic (security/acl-authorizer.ts): listing all leaves refused ones out.
      if (!allowedOnTopic(context, Operation.DESCRIBE, name)) {
        if (fetchAll) continue;
        topics.push({
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          name,
          topicId: zeroUuid,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: operationsNotRequested,
        });
        continue;
      }
      const topic = logs.topic(name);
      if (topic === undefined) {
        // Topics that vanished while listing all are skipped; named ones are answered with an error.
        if (fetchAll) continue;
        const invalid = logs.validateTopic(name, {}) instanceof TopicError;
        topics.push({
          errorCode: invalid ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: zeroUuid,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: topicOperations,
        });
        continue;
      }
      const start = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
      const end = Math.min(topic.partitions, start + remaining);
      const partitions = [];
      for (let p = start; p < end; p++) {
        partitions.push({ ...singleNodePartition(node, p), eligibleLeaderReplicas: [], lastKnownElr: [] });
      }
      topics.push({
        errorCode: 0,
        name,
        topicId: topic.topicId,
        isInternal: false,
        partitions,
        topicAuthorizedOperations: authorizedOperations(context, ResourceType.TOPIC, name, topicOperations),
      });
      if (end < topic.partitions) {
        nextCursor = { topicName: name, partitionIndex: end };
        break;
      }
      remaining -= partitions.length;
    }
    return Promise.resolve({ throttleTimeMs: 0, topics, nextCursor });
  },
});
