// SyncGroup: the leader hands in the assignment; every member waits for (and gets) its share.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup } from "../security/acl-authorizer.ts";

export const syncGroupHandler = defineHandler({
  apiKey: ApiKey.SyncGroup,
  versions: { min: 0, max: 5 },
  async handle(context, request) {
    if (!allowedOnGroup(context, Operation.READ, request.groupId)) {
      const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
      return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: new Uint8Array(0) };
    }
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
