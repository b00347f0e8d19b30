// Derived from Kafka's message descriptors (ListGroupsRequest.json, ListGroupsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const listGroups: ApiDefinition = {
  apiKey: 16,
  name: "ListGroups",
  request: {
    name: "ListGroupsRequest",
    kind: "request",
    apiKey: 16,
    validVersions: "0-5",
    flexibleVersions: "3+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "statesFilter", type: "[]string", versions: "4+" },
      { name: "typesFilter", type: "[]string", versions: "5+" },
    ],
  },
  response: {
    name: "ListGroupsResponse",
    kind: "response",
    apiKey: 16,
    validVersions: "0-5",
    flexibleVersions: "3+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "groups", type: "[]ListedGroup", versions: "0+", fields: [
        { name: "groupId", type: "string", versions: "0+" },
        { name: "protocolType", type: "string", versions: "0+" },
        { name: "groupState", type: "string", versions: "4+", ignorable: true },
        { name: "groupType", type: "string", versions: "5+", ignorable: true },
      ] },
    ],
  },
};
