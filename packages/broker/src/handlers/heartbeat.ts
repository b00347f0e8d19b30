// Heartbeat: keeps a member's session alive and tells it when a rebalance is under way.
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const heartbeatHandler = defineHandler({
  apiKey: ApiKey.Heartbeat,
  versions: { min: 0, max: 4 },
  handle(context, request) {
    const errorCode = context.broker.groupCoordinator.heartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      generationId: request.generationId,
    });
    return Promise.resolve({ throttleTimeMs: 0, errorCode });
  },
});
