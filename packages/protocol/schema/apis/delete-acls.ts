// Derived from Kafka's message descriptors (DeleteAclsRequest.json, DeleteAclsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const deleteAcls: ApiDefinition = {
  apiKey: 31,
  name: "DeleteAcls",
  request: {
    name: "DeleteAclsRequest",
    kind: "request",
    apiKey: 31,
    validVersions: "0-3",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "filters", type: "[]DeleteAclsFilter", versions: "0+", fields: [
        { name: "resourceTypeFilter", type: "int8", versions: "0+" },
        { name: "resourceNameFilter", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "patternTypeFilter", type: "int8", versions: "1+", default: 3 },
        { name: "principalFilter", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "hostFilter", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "operation", type: "int8", versions: "0+" },
        { name: "permissionType", type: "int8", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "DeleteAclsResponse",
    kind: "response",
    apiKey: 31,
    validVersions: "0-3",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "filterResults", type: "[]DeleteAclsFilterResult", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "matchingAcls", type: "[]DeleteAclsMatchingAcl", versions: "0+", fields: [
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
          { name: "resourceType", type: "int8", versions: "0+" },
          { name: "resourceName", type: "string", versions: "0+" },
          { name: "patternType", type: "int8", versions: "1+", default: 3 },
          { name: "principal", type: "string", versions: "0+" },
          { name: "host", type: "string", versions: "0+" },
          { name: "operation", type: "int8", versions: "0+" },
          { name: "permissionType", type: "int8", versions: "0+" },
        ] },
      ] },
    ],
  },
};
