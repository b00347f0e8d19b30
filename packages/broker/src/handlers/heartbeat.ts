// Heartbeat: keeps a member's session alive and tells it when a rebalance is under way.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup } from "../security/acl-authorizer.ts";

export const heartbeatHandler = defineHandler({
  apiKey: ApiKey.Heartbeat,
  versions: { min: 0, max: 4 },
  handle(context, request) {
    if (!allowedOnGroup(context, Operation.READ, request.groupId)) {
      return Promise.resolve({ throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    }
    const errorCode = context.broker.groupCoordinator.heartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      generationId: request.generationId,
    });
    return Promise.resolve({ throttleTimeMs: 0, errorCode });
  },
});
