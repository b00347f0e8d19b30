// DescribeGroups: state, protocol and members of each group (metadata and assignments while
// Stable). Unknown groups are reported Dead without an error, as Kafka does before v6.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { groupOperations, operationsNotRequested } from "../authorized-operations.ts";
import { defineHandler } from "../context.ts";
import { Operation, ResourceType } from "../security/acl.ts";
import { allowedOnGroup, authorizedOperations } from "../security/acl-authorizer.ts";

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  versions: { min: 0, max: 5 },
  handle(context, request) {
    // DESCRIBE on each group (security/acl-authorizer.ts); a refused one is answered empty.
    const mayDescribe = (group: string): boolean => allowedOnGroup(context, Operation.DESCRIBE, group);
    const described = context.broker.groupCoordinator.describeGroups(request.groups.filter(mayDescribe)).concat(
      request.groups
        .filter((g) => !mayDescribe(g))
        .map((groupId) => ({
          errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
          groupId,
          groupState: "",
          protocolType: "",
          protocolData: "",
          members: [],
        })),
    );
    return Promise.resolve({
      throttleTimeMs: 0,
      groups: described.map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.groupState,
        protocolType: g.protocolType,
        protocolData: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: request.includeAuthorizedOperations
          ? authorizedOperations(context, ResourceType.GROUP, g.groupId, groupOperations)
          : operationsNotRequested,
      })),
    });
  },
});
