// SyncGroup: the leader hands in the assignment; every member waits for (and gets) its share.
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const syncGroupHandler = defineHandler({
  apiKey: ApiKey.SyncGroup,
  versions: { min: 0, max: 5 },
  async handle(context, request) {
    const result = await context.broker.groupCoordinator.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment.slice() })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment,
    };
  },
});
