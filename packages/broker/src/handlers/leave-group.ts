// LeaveGroup: one member (v0-2) or a batch by member id or group.instance.id (v3+) leaves; the
// group rebalances without them.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup } from "../security/acl-authorizer.ts";

export const leaveGroupHandler = defineHandler({
  apiKey: ApiKey.LeaveGroup,
  versions: { min: 0, max: 5 },
  handle(context, request) {
    const { broker, apiVersion } = context;
    if (!allowedOnGroup(context, Operation.READ, request.groupId)) {
      return Promise.resolve({ throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] });
    }
    const leaving =
      apiVersion < 3
        ? [{ memberId: request.memberId, groupInstanceId: null }]
        : request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }));
    const result = broker.groupCoordinator.leaveGroup(request.groupId, leaving);
    if (apiVersion < 3) {
      // One member, no member list: its error is the response's.
      const errorCode = result.errorCode !== 0 ? result.errorCode : (result.members[0]?.errorCode ?? 0);
      return Promise.resolve({ throttleTimeMs: 0, errorCode, members: [] });
    }
    return Promise.resolve({ throttleTimeMs: 0, errorCode: result.errorCode, members: result.members });
  },
});
