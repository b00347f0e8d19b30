// Metadata: this node as the only broker and controller, and the requested (or all) topics,
// auto-creating missing ones when the client and the broker allow it. With an authorizer, only
// topics the principal may DESCRIBE, and auto-creation also needs CREATE (on the cluster or topic).
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { Input, MetadataResponseTopic } from "@samsa/protocol";
import { clusterOperations, operationsNotRequested, topicOperations } from "../authorized-operations.ts";
import { defineHandler } from "../context.ts";
import type { BrokerState, RequestContext } from "../context.ts";
import { clusterResourceName, Operation, ResourceType } from "../security/acl.ts";
import { allowedOnCluster, allowedOnTopic, authorizedOperations } from "../security/acl-authorizer.ts";
import type { TopicMetadata } from "../storage/log-manager.ts";
import { isInternalTopic, singleNodePartition, topicById, topicOrCreate, zeroUuid } from "../topics.ts";

function describeTopic(
  context: RequestContext,
  topic: TopicMetadata,
  includeOperations: boolean,
): Input<MetadataResponseTopic> {
  const broker: BrokerState = context.broker;
  const node = broker.config.nodeId;
  return {
    errorCode: 0,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: isInternalTopic(topic.name),
    partitions: Array.from({ length: topic.partitions }, (_, p) => singleNodePartition(node, p)),
    topicAuthorizedOperations: includeOperations
      ? authorizedOperations(context, ResourceType.TOPIC, topic.name, topicOperations)
      : operationsNotRequested,
  };
}

const denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED;

export const metadataHandler = defineHandler({
  apiKey: ApiKey.Metadata,
  versions: { min: 0, max: 12 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    const includeOperations = request.includeTopicAuthorizedOperations;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
    const topics: Input<MetadataResponseTopic>[] = [];
    if (all) {
      for (const t of broker.logs.topics()) {
        if (allowedOnTopic(context, Operation.DESCRIBE, t.name))
          topics.push(describeTopic(context, t, includeOperations));
      }
    } else {
      // Kafka's answer order: unknown topic ids, the topics described, those refused CREATE, then
      // those refused DESCRIBE; each topic (name or id) once.
      const unknownIds: Input<MetadataResponseTopic>[] = [];
      const createDenied: Input<MetadataResponseTopic>[] = [];
      const describeDenied: Input<MetadataResponseTopic>[] = [];
      const seen = new Set<string>();
      for (const wanted of request.topics ?? []) {
        const key = wanted.name === null ? `id:${wanted.topicId}` : `name:${wanted.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (wanted.name === null) {
          const byId = wanted.topicId === zeroUuid ? undefined : topicById(broker, wanted.topicId);
          if (byId === undefined) {
            unknownIds.push({
              errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
              name: null,
              topicId: wanted.topicId,
              partitions: [],
            });
          } else if (!allowedOnTopic(context, Operation.DESCRIBE, byId.name)) {
            describeDenied.push({ errorCode: denied, name: null, topicId: wanted.topicId, partitions: [] });
          } else topics.push(describeTopic(context, byId, includeOperations));
          continue;
        }
        // Kafka's order of checks: DESCRIBE on the topic, then CREATE (cluster or topic) to auto-create it.
        if (!allowedOnTopic(context, Operation.DESCRIBE, wanted.name)) {
          describeDenied.push({ errorCode: denied, name: wanted.name, topicId: zeroUuid, partitions: [] });
          continue;
        }
        const creating =
          request.allowAutoTopicCreation &&
          broker.config.autoCreateTopics &&
          broker.logs.topic(wanted.name) === undefined;
        if (
          creating &&
          !allowedOnCluster(context, Operation.CREATE) &&
          !allowedOnTopic(context, Operation.CREATE, wanted.name)
        ) {
          createDenied.push({
            errorCode: denied,
            name: wanted.name,
            topicId: zeroUuid,
            isInternal: isInternalTopic(wanted.name),
            partitions: [],
          });
          continue;
        }
        const found = await topicOrCreate(broker, wanted.name, request.allowAutoTopicCreation);
        topics.push(
          "topic" in found
            ? describeTopic(context, found.topic, includeOperations)
            : { errorCode: found.errorCode, name: wanted.name, topicId: zeroUuid, partitions: [] },
        );
      }
      topics.unshift(...unknownIds);
      topics.push(...createDenied, ...describeDenied);
    }
    return {
      throttleTimeMs: 0,
      brokers: [
        { nodeId: broker.config.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null },
      ],
      clusterId: broker.logs.clusterId,
      controllerId: broker.config.nodeId,
      topics,
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? authorizedOperations(context, ResourceType.CLUSTER, clusterResourceName, clusterOperations)
        : operationsNotRequested,
    };
  },
});
