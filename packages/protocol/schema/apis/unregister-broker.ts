// Derived from Kafka's message descriptors (UnregisterBrokerRequest.json, UnregisterBrokerResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const unregisterBroker: ApiDefinition = {
  apiKey: 64,
  name: "UnregisterBroker",
  request: {
    name: "UnregisterBrokerRequest",
    kind: "request",
    apiKey: 64,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["broker","controller"],
    fields: [
      { name: "brokerId", type: "int32", versions: "0+" },
    ],
  },
  response: {
    name: "UnregisterBrokerResponse",
    kind: "response",
    apiKey: 64,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
    ],
  },
};
