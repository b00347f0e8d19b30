// DeleteGroups: deletes groups without members, and their committed offsets, durably.
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  // Kafka 4.4 serves 0-3; v3 is newer than this protocol layer.
  versions: { min: 0, max: 2 },
  async handle(context, request) {
    const results = await context.broker.groupCoordinator.deleteGroups(request.groupsNames);
    return { throttleTimeMs: 0, results };
  },
});
