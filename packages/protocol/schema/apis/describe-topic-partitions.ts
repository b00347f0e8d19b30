// Derived from Kafka's message descriptors (DescribeTopicPartitionsRequest.json, DescribeTopicPartitionsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const describeTopicPartitions: ApiDefinition = {
  apiKey: 75,
  name: "DescribeTopicPartitions",
  request: {
    name: "DescribeTopicPartitionsRequest",
    kind: "request",
    apiKey: 75,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["broker"],
    fields: [
      { name: "topics", type: "[]TopicRequest", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
      ] },
      { name: "responsePartitionLimit", type: "int32", versions: "0+", default: 2000 },
      { name: "cursor", type: "Cursor", versions: "0+", nullableVersions: "0+", default: null, fields: [
        { name: "topicName", type: "string", versions: "0+" },
        { name: "partitionIndex", type: "int32", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "DescribeTopicPartitionsResponse",
    kind: "response",
    apiKey: 75,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+", ignorable: true },
      { name: "topics", type: "[]DescribeTopicPartitionsResponseTopic", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "name", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "topicId", type: "uuid", versions: "0+", ignorable: true },
        { name: "isInternal", type: "bool", versions: "0+", default: false, ignorable: true },
        { name: "partitions", type: "[]DescribeTopicPartitionsResponsePartition", versions: "0+", fields: [
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "leaderId", type: "int32", versions: "0+" },
          { name: "leaderEpoch", type: "int32", versions: "0+", default: -1, ignorable: true },
          { name: "replicaNodes", type: "[]int32", versions: "0+" },
          { name: "isrNodes", type: "[]int32", versions: "0+" },
          { name: "eligibleLeaderReplicas", type: "[]int32", versions: "0+", nullableVersions: "0+", default: null },
          { name: "lastKnownElr", type: "[]int32", versions: "0+", nullableVersions: "0+", default: null },
          { name: "offlineReplicas", type: "[]int32", versions: "0+", ignorable: true },
        ] },
        { name: "topicAuthorizedOperations", type: "int32", versions: "0+", default: -2147483648 },
      ] },
      { name: "nextCursor", type: "Cursor", versions: "0+", nullableVersions: "0+", default: null, fields: [
        { name: "topicName", type: "string", versions: "0+" },
        { name: "partitionIndex", type: "int32", versions: "0+" },
      ] },
    ],
  },
};
