// Derived from Kafka's message descriptors (AlterPartitionReassignmentsRequest.json, AlterPartitionReassignmentsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const alterPartitionReassignments: ApiDefinition = {
  apiKey: 45,
  name: "AlterPartitionReassignments",
  request: {
    name: "AlterPartitionReassignmentsRequest",
    kind: "request",
    apiKey: 45,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["broker","controller","zkBroker"],
    fields: [
      { name: "timeoutMs", type: "int32", versions: "0+", default: 60000 },
      { name: "topics", type: "[]ReassignableTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]ReassignablePartition", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "replicas", type: "[]int32", versions: "0+", nullableVersions: "0+", default: null },
        ] },
      ] },
    ],
  },
  response: {
    name: "AlterPartitionReassignmentsResponse",
    kind: "response",
    apiKey: 45,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
      { name: "responses", type: "[]ReassignableTopicResponse", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]ReassignablePartitionResponse", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
        ] },
      ] },
    ],
  },
};
