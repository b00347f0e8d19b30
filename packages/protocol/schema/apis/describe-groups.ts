// Derived from Kafka's message descriptors (DescribeGroupsRequest.json, DescribeGroupsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const describeGroups: ApiDefinition = {
  apiKey: 15,
  name: "DescribeGroups",
  request: {
    name: "DescribeGroupsRequest",
    kind: "request",
    apiKey: 15,
    validVersions: "0-5",
    flexibleVersions: "5+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groups", type: "[]string", versions: "0+" },
      { name: "includeAuthorizedOperations", type: "bool", versions: "3+" },
    ],
  },
  response: {
    name: "DescribeGroupsResponse",
    kind: "response",
    apiKey: 15,
    validVersions: "0-5",
    flexibleVersions: "5+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "groups", type: "[]DescribedGroup", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "groupId", type: "string", versions: "0+" },
        { name: "groupState", type: "string", versions: "0+" },
        { name: "protocolType", type: "string", versions: "0+" },
        { name: "protocolData", type: "string", versions: "0+" },
        { name: "members", type: "[]DescribedGroupMember", versions: "0+", fields: [
          { name: "memberId", type: "string", versions: "0+" },
          { name: "groupInstanceId", type: "string", versions: "4+", nullableVersions: "4+", default: null, ignorable: true },
          { name: "clientId", type: "string", versions: "0+" },
          { name: "clientHost", type: "string", versions: "0+" },
          { name: "memberMetadata", type: "bytes", versions: "0+" },
          { name: "memberAssignment", type: "bytes", versions: "0+" },
        ] },
        { name: "authorizedOperations", type: "int32", versions: "3+", default: -2147483648 },
      ] },
    ],
  },
};
