// DescribeGroups: state, protocol and members of each group (metadata and assignments while
// Stable). Unknown groups are reported Dead without an error, as Kafka does before v6.
import { ApiKey } from "@samsa/protocol";
import { groupOperations, operationsNotRequested } from "../authorized-operations.ts";
import { defineHandler } from "../context.ts";

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  versions: { min: 0, max: 5 },
  handle(context, request) {
    const described = context.broker.groupCoordinator.describeGroups(request.groups);
    const authorizedOperations = request.includeAuthorizedOperations ? groupOperations : operationsNotRequested;
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
        authorizedOperations,
      })),
    });
  },
});
