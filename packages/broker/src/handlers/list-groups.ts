// ListGroups: every group this node coordinates, filtered by state (v4+) and type (v5+).
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const listGroupsHandler = defineHandler({
  apiKey: ApiKey.ListGroups,
  versions: { min: 0, max: 5 },
  handle(context, request) {
    const listed = context.broker.groupCoordinator.listGroups({
      statesFilter: request.statesFilter,
      typesFilter: request.typesFilter,
    });
    return Promise.resolve({ throttleTimeMs: 0, errorCode: listed.errorCode, groups: listed.groups });
  },
});
