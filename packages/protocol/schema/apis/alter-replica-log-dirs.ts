// Derived from Kafka's message descriptors (AlterReplicaLogDirsRequest.json, AlterReplicaLogDirsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const alterReplicaLogDirs: ApiDefinition = {
  apiKey: 34,
  name: "AlterReplicaLogDirs",
  request: {
    name: "AlterReplicaLogDirsRequest",
    kind: "request",
    apiKey: 34,
    validVersions: "0-2",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "dirs", type: "[]AlterReplicaLogDir", versions: "0+", fields: [
        { name: "path", type: "string", versions: "0+" },
        { name: "topics", type: "[]AlterReplicaLogDirTopic", versions: "0+", fields: [
          { name: "name", type: "string", versions: "0+" },
          { name: "partitions", type: "[]int32", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "AlterReplicaLogDirsResponse",
    kind: "response",
    apiKey: 34,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "results", type: "[]AlterReplicaLogDirTopicResult", versions: "0+", fields: [
        { name: "topicName", type: "string", versions: "0+" },
        { name: "partitions", type: "[]AlterReplicaLogDirPartitionResult", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
        ] },
      ] },
    ],
  },
};
