// ConsumerGroupHeartbeat (KIP-848): members of consumer groups join, heartbeat, reconcile their
// assignment and leave through this one API; the coordinator (coordinator/consumer-group.ts)
// answers once the resulting state is durable.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTopic } from "../security/acl-authorizer.ts";

export const consumerGroupHeartbeatHandler = defineHandler({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  // As Kafka 4.4 serves it: v1 adds subscribedTopicRegex and requires client-generated member ids.
  versions: { min: 0, max: 1 },
  async handle(context, request) {
    // READ on the group, DESCRIBE on every subscribed topic (security/acl-authorizer.ts).
    const refused = !allowedOnGroup(context, Operation.READ, request.groupId)
      ? ErrorCode.GROUP_AUTHORIZATION_FAILED
      : (request.subscribedTopicNames ?? []).some((t) => !allowedOnTopic(context, Operation.DESCRIBE, t))
        ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : undefined;
    if (refused !== undefined) {
      return {
        throttleTimeMs: 0,
        errorCode: refused,
        errorMessage: null,
        memberId: request.memberId === "" ? null : request.memberId,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
    const result = await context.broker.groupCoordinator.consumerGroupHeartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: request.subscribedTopicRegex,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions,
      clientId: context.header.clientId ?? "",
      clientHost: `/${context.clientAddress}`,
      apiVersion: context.apiVersion,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      errorMessage: result.errorMessage,
      memberId: result.memberId,
      memberEpoch: result.memberEpoch,
      heartbeatIntervalMs: result.heartbeatIntervalMs,
      assignment: result.assignment,
    };
  },
});
