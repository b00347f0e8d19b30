// Derived from Kafka's message descriptors (OffsetForLeaderEpochRequest.json, OffsetForLeaderEpochResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const offsetForLeaderEpoch: ApiDefinition = {
  apiKey: 23,
  name: "OffsetForLeaderEpoch",
  request: {
    name: "OffsetForLeaderEpochRequest",
    kind: "request",
    apiKey: 23,
    validVersions: "0-4",
    flexibleVersions: "4+",
    deprecatedVersions: "0-1",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "replicaId", type: "int32", versions: "3+", default: -2, ignorable: true },
      { name: "topics", type: "[]OffsetForLeaderTopic", versions: "0+", fields: [
        { name: "topic", type: "string", versions: "0+" },
        { name: "partitions", type: "[]OffsetForLeaderPartition", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "currentLeaderEpoch", type: "int32", versions: "2+", default: -1, ignorable: true },
          { name: "leaderEpoch", type: "int32", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "OffsetForLeaderEpochResponse",
    kind: "response",
    apiKey: 23,
    validVersions: "0-4",
    flexibleVersions: "4+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "2+", ignorable: true },
      { name: "topics", type: "[]OffsetForLeaderTopicResult", versions: "0+", fields: [
        { name: "topic", type: "string", versions: "0+" },
        { name: "partitions", type: "[]EpochEndOffset", versions: "0+", fields: [
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "partition", type: "int32", versions: "0+" },
          { name: "leaderEpoch", type: "int32", versions: "1+", default: -1, ignorable: true },
          { name: "endOffset", type: "int64", versions: "0+", default: -1n },
        ] },
      ] },
    ],
  },
};
