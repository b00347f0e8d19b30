// Derived from Kafka's message descriptors (ReadShareGroupStateSummaryRequest.json, ReadShareGroupStateSummaryResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const readShareGroupStateSummary: ApiDefinition = {
  apiKey: 87,
  name: "ReadShareGroupStateSummary",
  request: {
    name: "ReadShareGroupStateSummaryRequest",
    kind: "request",
    apiKey: 87,
    validVersions: "0",
    flexibleVersions: "0+",
    latestVersionUnstable: true,
    listeners: ["broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "topics", type: "[]ReadStateSummaryData", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionData", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "leaderEpoch", type: "int32", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "ReadShareGroupStateSummaryResponse",
    kind: "response",
    apiKey: 87,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "results", type: "[]ReadStateSummaryResult", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionResult", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", default: null },
          { name: "stateEpoch", type: "int32", versions: "0+" },
          { name: "startOffset", type: "int64", versions: "0+" },
        ] },
      ] },
    ],
  },
};
