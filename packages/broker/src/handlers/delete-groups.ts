// DeleteGroups: deletes groups without members, and their committed offsets, durably.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup } from "../security/acl-authorizer.ts";

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  // Kafka 4.4 serves 0-3; v3 is newer than this protocol layer.
  versions: { min: 0, max: 2 },
  async handle(context, request) {
    // DELETE on each group (security/acl-authorizer.ts).
    const mayDelete = (group: string): boolean => allowedOnGroup(context, Operation.DELETE, group);
    const results = (await context.broker.groupCoordinator.deleteGroups(request.groupsNames.filter(mayDelete))).concat(
      request.groupsNames
        .filter((g) => !mayDelete(g))
        .map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })),
    );
    return { throttleTimeMs: 0, results };
  },
});
