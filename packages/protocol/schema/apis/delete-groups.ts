// Derived from Kafka's message descriptors (DeleteGroupsRequest.json, DeleteGroupsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const deleteGroups: ApiDefinition = {
  apiKey: 42,
  name: "DeleteGroups",
  request: {
    name: "DeleteGroupsRequest",
    kind: "request",
    apiKey: 42,
    validVersions: "0-2",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groupsNames", type: "[]string", versions: "0+" },
    ],
  },
  response: {
    name: "DeleteGroupsResponse",
    kind: "response",
    apiKey: 42,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "results", type: "[]DeletableGroupResult", versions: "0+", fields: [
        { name: "groupId", type: "string", versions: "0+" },
        { name: "errorCode", type: "int16", versions: "0+" },
      ] },
    ],
  },
};
