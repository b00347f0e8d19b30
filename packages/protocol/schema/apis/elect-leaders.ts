// Derived from Kafka's message descriptors (ElectLeadersRequest.json, ElectLeadersResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const electLeaders: ApiDefinition = {
  apiKey: 43,
  name: "ElectLeaders",
  request: {
    name: "ElectLeadersRequest",
    kind: "request",
    apiKey: 43,
    validVersions: "0-2",
    flexibleVersions: "2+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "electionType", type: "int8", versions: "1+" },
      { name: "topicPartitions", type: "[]TopicPartitions", versions: "0+", nullableVersions: "0+", fields: [
        { name: "topic", type: "string", versions: "0+" },
        { name: "partitions", type: "[]int32", versions: "0+" },
      ] },
      { name: "timeoutMs", type: "int32", versions: "0+", default: 60000 },
    ],
  },
  response: {
    name: "ElectLeadersResponse",
    kind: "response",
    apiKey: 43,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "1+" },
      { name: "replicaElectionResults", type: "[]ReplicaElectionResult", versions: "0+", fields: [
        { name: "topic", type: "string", versions: "0+" },
        { name: "partitionResult", type: "[]PartitionResult", versions: "0+", fields: [
          { name: "partitionId", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
        ] },
      ] },
    ],
  },
};
