// Derived from Kafka's message descriptors (FindCoordinatorRequest.json, FindCoordinatorResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const findCoordinator: ApiDefinition = {
  apiKey: 10,
  name: "FindCoordinator",
  request: {
    name: "FindCoordinatorRequest",
    kind: "request",
    apiKey: 10,
    validVersions: "0-6",
    flexibleVersions: "3+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "key", type: "string", versions: "0-3" },
      { name: "keyType", type: "int8", versions: "1+", default: 0 },
      { name: "coordinatorKeys", type: "[]string", versions: "4+" },
    ],
  },
  response: {
    name: "FindCoordinatorResponse",
    kind: "response",
    apiKey: 10,
    validVersions: "0-6",
    flexibleVersions: "3+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "errorCode", type: "int16", versions: "0-3" },
      { name: "errorMessage", type: "string", versions: "1-3", nullableVersions: "1-3", ignorable: true },
      { name: "nodeId", type: "int32", versions: "0-3" },
      { name: "host", type: "string", versions: "0-3" },
      { name: "port", type: "int32", versions: "0-3" },
      { name: "coordinators", type: "[]Coordinator", versions: "4+", fields: [
        { name: "key", type: "string", versions: "4+" },
        { name: "nodeId", type: "int32", versions: "4+" },
        { name: "host", type: "string", versions: "4+" },
        { name: "port", type: "int32", versions: "4+" },
        { name: "errorCode", type: "int16", versions: "4+" },
        { name: "errorMessage", type: "string", versions: "4+", nullableVersions: "4+", ignorable: true },
      ] },
    ],
  },
};
