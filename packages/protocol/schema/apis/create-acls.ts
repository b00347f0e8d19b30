// Derived from Kafka's message descriptors (CreateAclsRequest.json, CreateAclsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const createAcls: ApiDefinition = {
  apiKey: 30,
  name: "CreateAcls",
  request: {
    name: "CreateAclsRequest",
    kind: "request",
    apiKey: 30,
    validVersions: "0-3",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "creations", type: "[]AclCreation", versions: "0+", fields: [
        { name: "resourceType", type: "int8", versions: "0+" },
        { name: "resourceName", type: "string", versions: "0+" },
        { name: "resourcePatternType", type: "int8", versions: "1+", default: 3 },
        { name: "principal", type: "string", versions: "0+" },
        { name: "host", type: "string", versions: "0+" },
        { name: "operation", type: "int8", versions: "0+" },
        { name: "permissionType", type: "int8", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "CreateAclsResponse",
    kind: "response",
    apiKey: 30,
    validVersions: "0-3",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "results", type: "[]AclCreationResult", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
      ] },
    ],
  },
};
