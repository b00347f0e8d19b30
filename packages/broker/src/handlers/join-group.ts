// JoinGroup: a member joins (or rejoins) a classic group and waits for the rebalance to complete;
// the coordinator (coordinator/classic-group.ts) holds the request until then.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup } from "../security/acl-authorizer.ts";

export const joinGroupHandler = defineHandler({
  apiKey: ApiKey.JoinGroup,
  // As Kafka 4.4 serves them (v0 has no rebalance timeout: the session timeout stands in).
  versions: { min: 0, max: 9 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    if (!allowedOnGroup(context, Operation.READ, request.groupId)) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
        generationId: -1,
        protocolType: null,
        protocolName: apiVersion >= 7 ? null : "",
        leader: "",
        skipAssignment: false,
        memberId: request.memberId,
        members: [],
      };
    }
    const result = await broker.groupCoordinator.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      // Copied out of the request frame: the group keeps them for its lifetime.
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })),
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      clientId: context.header.clientId ?? "",
      clientHost: `/${context.clientAddress}`,
      apiVersion,
      reason: request.reason,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Nullable from v7 on; older versions get "" for no protocol.
      protocolName: apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ""),
      leader: result.leader,
      skipAssignment: result.skipAssignment,
      memberId: result.memberId,
      members: result.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  },
});
