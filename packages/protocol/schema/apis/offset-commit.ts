// Derived from Kafka's message descriptors (OffsetCommitRequest.json, OffsetCommitResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const offsetCommit: ApiDefinition = {
  apiKey: 8,
  name: "OffsetCommit",
  request: {
    name: "OffsetCommitRequest",
    kind: "request",
    apiKey: 8,
    validVersions: "0-9",
    flexibleVersions: "8+",
    deprecatedVersions: "0-1",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "generationIdOrMemberEpoch", type: "int32", versions: "1+", default: -1, ignorable: true },
      { name: "memberId", type: "string", versions: "1+", ignorable: true },
      { name: "groupInstanceId", type: "string", versions: "7+", nullableVersions: "7+", default: null },
      { name: "retentionTimeMs", type: "int64", versions: "2-4", default: -1n, ignorable: true },
      { name: "topics", type: "[]OffsetCommitRequestTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]OffsetCommitRequestPartition", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "committedOffset", type: "int64", versions: "0+" },
          { name: "committedLeaderEpoch", type: "int32", versions: "6+", default: -1, ignorable: true },
          { name: "commitTimestamp", type: "int64", versions: "1", default: -1n },
          { name: "committedMetadata", type: "string", versions: "0+", nullableVersions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "OffsetCommitResponse",
    kind: "response",
    apiKey: 8,
    validVersions: "0-9",
    flexibleVersions: "8+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "3+", ignorable: true },
      { name: "topics", type: "[]OffsetCommitResponseTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]OffsetCommitResponsePartition", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
        ] },
      ] },
    ],
  },
};
