// ListGroups: every group this node coordinates, filtered by state (v4+) and type (v5+).
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation, ResourceType } from "../security/acl.ts";
import { allowedOnCluster, filterAllowed } from "../security/acl-authorizer.ts";

export const listGroupsHandler = defineHandler({
  apiKey: ApiKey.ListGroups,
  versions: { min: 0, max: 5 },
  handle(context, request) {
    const listed = context.broker.groupCoordinator.listGroups({
      statesFilter: request.statesFilter,
      typesFilter: request.typesFilter,
    });
    // Every group with DESCRIBE on the cluster, else those with DESCRIBE on the group (security/acl-authorizer.ts).
    const groups = allowedOnCluster(context, Operation.DESCRIBE)
      ? listed.groups
      : filterAllowed(context, Operation.DESCRIBE, ResourceType.GROUP, listed.groups, (g) => g.groupId);
    return Promise.resolve({ throttleTimeMs: 0, errorCode: listed.errorCode, groups });
  },
});
