// CreateTopics: checks each topic as Kafka's controller does — name, collisions, existence,
// configs, then partitions and replication (one node: replication factor 1, manual assignments to
// this node only) — and creates it, or with validateOnly only answers as if it had. v5+ answers
// with the partition count, replication factor and resulting configs with their sources.
import { randomUUID } from "node:crypto";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type {
  CreateTopicsRequestCreatableTopic,
  CreateTopicsResponseCreatableTopicResult,
  Input,
} from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { TopicError } from "../storage/log-manager.ts";
import { topicConfigEntries } from "../storage/topic-config.ts";
import { errorCodeOf, zeroUuid } from "../topics.ts";
import type { ResourceError } from "./describe-configs.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnCluster, allowedOnTopic } from "../security/acl-authorizer.ts";

type Result = Input<CreateTopicsResponseCreatableTopicResult>;

/** The storage engine's limit on partitions per topic (LogManager refuses more). */
const partitionsMax = 100_000;

/** Kafka's own metadata log; no client may create a topic of that name. */
const clusterMetadataTopic = "__cluster_metadata";

/** What a valid request asks for. */
interface Plan {
  readonly partitions: number;
  readonly configs: Record<string, string>;
}

/** Kafka treats `.` and `_` as the same character when checking new names against existing ones. */
function collisionKey(name: string): string {
  return name.replaceAll(".", "_");
}

/**
 * Checks that every replica list names this node (the only broker) exactly once. Kafka's message
 * for a list of another size than earlier partitions cannot arise: every valid list is [node].
 */
function replicaListError(broker: BrokerState, brokerIds: readonly number[]): string | undefined {
  if (brokerIds.length === 0) return "The manual partition assignment includes an empty replica list.";
  const unknown = brokerIds.find((id) => id !== broker.config.nodeId);
  if (unknown !== undefined) {
    return `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`;
  }
  if (brokerIds.length > 1) {
    return `The manual partition assignment includes the broker ${broker.config.nodeId} more than once.`;
  }
  return undefined;
}

/** Partitions a valid request creates, or the error to answer. */
function partitionCount(broker: BrokerState, topic: CreateTopicsRequestCreatableTopic): number | ResourceError {
  const fail = (errorCode: number, errorMessage: string): ResourceError => ({ errorCode, errorMessage });
  if (topic.assignments.length > 0) {
    if (topic.replicationFactor !== -1) {
      return fail(
        ErrorCode.INVALID_REQUEST,
        "A manual partition assignment was specified, but replication factor was not set to -1.",
      );
    }
    if (topic.numPartitions !== -1) {
      return fail(
        ErrorCode.INVALID_REQUEST,
        "A manual partition assignment was specified, but numPartitions was not set to -1.",
      );
    }
    const seen = new Set<number>();
    for (const assignment of topic.assignments) {
      if (seen.has(assignment.partitionIndex)) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Found multiple manual partition assignments for partition ${assignment.partitionIndex}`,
        );
      }
      seen.add(assignment.partitionIndex);
      const invalid = replicaListError(broker, assignment.brokerIds);
      if (invalid !== undefined) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, invalid);
    }
    for (let p = 0; p < seen.size; p++) {
      if (!seen.has(p)) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          "partitions should be a consecutive 0-based integer sequence",
        );
      }
    }
    return seen.size;
  }
  if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
    return fail(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      "Replication factor must be larger than 0, or -1 to use the default value.",
    );
  }
  if (topic.numPartitions < -1 || topic.numPartitions === 0) {
    return fail(ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.");
  }
  const replicationFactor =
    topic.replicationFactor === -1 ? broker.config.defaultReplicationFactor : topic.replicationFactor;
  if (replicationFactor > 1) {
    return fail(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ` +
        `${replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
    );
  }
  const partitions = topic.numPartitions === -1 ? broker.config.numPartitions : topic.numPartitions;
  if (partitions > partitionsMax) {
    return fail(ErrorCode.INVALID_PARTITIONS, `Samsa allows at most ${partitionsMax} partitions per topic.`);
  }
  return partitions;
}

/** Kafka's checks, in Kafka's order; the plan to carry out, or the error to answer. */
function planTopic(broker: BrokerState, topic: CreateTopicsRequestCreatableTopic): Plan | ResourceError {
  const { name } = topic;
  if (name === clusterMetadataTopic) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Creation of internal topic ${name} is prohibited.` };
  }
  const invalidName = broker.logs.validateTopic(name, {});
  if (invalidName instanceof TopicError)
    return { errorCode: errorCodeOf(invalidName), errorMessage: invalidName.message };
  if (broker.logs.topic(name) !== undefined) {
    return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${name}' already exists.` };
  }
  const colliding = /[._]/.test(name)
    ? broker.logs.topics().find((t) => collisionKey(t.name) === collisionKey(name))
    : undefined;
  if (colliding !== undefined) {
    return {
      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      errorMessage: `Topic '${name}' collides with existing topic: ${colliding.name}`,
    };
  }
  const nulls = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length > 0) {
    return {
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: `Null value not supported for topic configs: ${nulls.join(",")}`,
    };
  }
  // A name given twice: the last value wins, as in Kafka's map of changes.
  const configs = Object.fromEntries(topic.configs.map((c) => [c.name, c.value ?? ""]));
  const invalidConfig = broker.logs.validateTopic(name, configs);
  if (invalidConfig !== undefined) {
    return {
      errorCode: invalidConfig instanceof TopicError ? errorCodeOf(invalidConfig) : ErrorCode.INVALID_CONFIG,
      errorMessage: invalidConfig.message,
    };
  }
  const partitions = partitionCount(broker, topic);
  return typeof partitions === "number" ? { partitions, configs } : partitions;
}

function failed(name: string, error: ResourceError): Result {
  return {
    name,
    topicId: zeroUuid,
    ...error,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}

export const createTopicsHandler = defineHandler({
  apiKey: ApiKey.CreateTopics,
  // v0–1 were removed in Kafka 4.
  versions: { min: 2, max: 7 },
  async handle(context, request) {
    const { broker } = context;
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: Result[] = [];
    // CREATE on the cluster, or else on each topic (security/acl-authorizer.ts).
    const mayCreateAny = allowedOnCluster(context, Operation.CREATE);
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) continue;
      if (!mayCreateAny && !allowedOnTopic(context, Operation.CREATE, topic.name)) {
        topics.push(
          failed(topic.name, {
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: "Authorization failed.",
          }),
        );
        continue;
      }
      const plan = planTopic(broker, topic);
      if ("errorCode" in plan) {
        topics.push(failed(topic.name, plan));
        continue;
      }
      // Kafka's controller assigns the id before deciding whether to write; validateOnly answers with it too.
      let topicId: string = randomUUID();
      if (!request.validateOnly) {
        try {
          const created = await broker.logs.createTopic({
            name: topic.name,
            partitions: plan.partitions,
            configs: plan.configs,
            topicId,
          });
          topicId = created.topicId;
          broker.logger.log("info", "topic created", { topic: topic.name, partitions: plan.partitions });
        } catch (error) {
          if (!(error instanceof TopicError)) throw error;
          // Another request created the same topic in the meantime, or storage refused it.
          topics.push(failed(topic.name, { errorCode: errorCodeOf(error), errorMessage: error.message }));
          continue;
        }
      }
      // Without DESCRIBE_CONFIGS on the topic the answer leaves its configs out, as Kafka does.
      const configsDenied = !allowedOnTopic(context, Operation.DESCRIBE_CONFIGS, topic.name);
      topics.push({
        name: topic.name,
        topicId,
        errorCode: 0,
        errorMessage: null,
        topicConfigErrorCode: configsDenied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : 0,
        numPartitions: plan.partitions,
        replicationFactor: 1,
        configs: configsDenied
          ? []
          : topicConfigEntries({ overrides: plan.configs, brokerDefaults: broker.logs.defaults }).map((e) => ({
              name: e.name,
              value: e.value,
              readOnly: false,
              configSource: e.source,
              isSensitive: false,
            })),
      });
    }
    // Kafka answers a name given more than once with one INVALID_REQUEST, after the others.
    for (const [name, count] of counts) {
      if (count > 1)
        topics.push(failed(name, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." }));
    }
    return { throttleTimeMs: 0, topics };
  },
});
