// CreatePartitions: raises a topic's partition count (never lowers it), with optional manual
// assignments that may only name this node; validateOnly checks without creating.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { CreatePartitionsRequestTopic, CreatePartitionsResponseTopicResult, Input } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { TopicError } from "../storage/log-manager.ts";
import { errorCodeOf } from "../topics.ts";
import type { ResourceError } from "./describe-configs.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

/** The storage engine's limit on partitions per topic (LogManager refuses more). */
const partitionsMax = 100_000;

/** Kafka's checks for one topic, in Kafka's order; undefined when the request is valid. */
function check(broker: BrokerState, request: CreatePartitionsRequestTopic): ResourceError | undefined {
  const topic = broker.logs.topic(request.name);
  if (topic === undefined) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unknown topic ${request.name}` };
  }
  const current = topic.partitions;
  if (request.count === current) {
    return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic already has ${current} partition(s).` };
  }
  if (request.count < current) {
    return {
      errorCode: ErrorCode.INVALID_PARTITIONS,
      errorMessage: `The topic ${request.name} currently has ${current} partition(s); ${request.count} would not be an increase.`,
    };
  }
  if (request.count > partitionsMax) {
    return {
      errorCode: ErrorCode.INVALID_PARTITIONS,
      errorMessage: `Samsa allows at most ${partitionsMax} partitions per topic.`,
    };
  }
  const additional = request.count - current;
  if (request.assignments !== null) {
    if (request.assignments.length !== additional) {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: `Attempted to add ${additional} additional partition(s), but only ${request.assignments.length} assignment(s) were specified.`,
      };
    }
    const node = broker.config.nodeId;
    for (const { brokerIds } of request.assignments) {
      const fail = (errorMessage: string): ResourceError => ({
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage,
      });
      if (brokerIds.length === 0) return fail("The manual partition assignment includes an empty replica list.");
      const unknown = brokerIds.find((id) => id !== node);
      if (unknown !== undefined) {
        return fail(`The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
      }
      // Only [node] is left, which matches the topic's replication factor of 1.
      if (brokerIds.length > 1)
        return fail(`The manual partition assignment includes the broker ${node} more than once.`);
    }
  }
  return undefined;
}

export const createPartitionsHandler = defineHandler({
  apiKey: ApiKey.CreatePartitions,
  versions: { min: 0, max: 3 },
  async handle(context, request) {
    const { broker } = context;
    const results: Input<CreatePartitionsResponseTopicResult>[] = [];
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    // As Kafka: one INVALID_REQUEST per name given more than once, ahead of the other results.
    for (const [name, count] of counts) {
      if (count > 1)
        results.push({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." });
    }
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) continue;
      // ALTER on the topic (security/acl-authorizer.ts).
      let error = allowedOnTopic(context, Operation.ALTER, topic.name)
        ? check(broker, topic)
        : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: "Topic authorization failed." };
      if (error === undefined && !request.validateOnly) {
        try {
          await broker.logs.createPartitions(topic.name, topic.count);
          broker.logger.log("info", "partitions created", { topic: topic.name, partitions: topic.count });
        } catch (e) {
          if (!(e instanceof TopicError)) throw e;
          // The topic changed under a concurrent request.
          error = { errorCode: errorCodeOf(e), errorMessage: e.message };
        }
      }
      results.push({ name: topic.name, errorCode: error?.errorCode ?? 0, errorMessage: error?.errorMessage ?? null });
    }
    return { throttleTimeMs: 0, results };
  },
});
