// Derived from Kafka's message descriptors (CreatePartitionsRequest.json, CreatePartitionsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const createPartitions: ApiDefinition = {
  apiKey: 37,
  name: "CreatePartitions",
  request: {
    name: "CreatePartitionsRequest",
    kind: "request",
    apiKey: 37,
    validVersions: "0-3",
    flexibleVersions: "2+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "topics", type: "[]CreatePartitionsTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "count", type: "int32", versions: "0+" },
        { name: "assignments", type: "[]CreatePartitionsAssignment", versions: "0+", nullableVersions: "0+", fields: [
          { name: "brokerIds", type: "[]int32", versions: "0+" },
        ] },
      ] },
      { name: "timeoutMs", type: "int32", versions: "0+" },
      { name: "validateOnly", type: "bool", versions: "0+" },
    ],
  },
  response: {
    name: "CreatePartitionsResponse",
    kind: "response",
    apiKey: 37,
    validVersions: "0-3",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "results", type: "[]CreatePartitionsTopicResult", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", default: null },
      ] },
    ],
  },
};
