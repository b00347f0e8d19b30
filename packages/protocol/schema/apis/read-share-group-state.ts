// Derived from Kafka's message descriptors (ReadShareGroupStateRequest.json, ReadShareGroupStateResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const readShareGroupState: ApiDefinition = {
  apiKey: 84,
  name: "ReadShareGroupState",
  request: {
    name: "ReadShareGroupStateRequest",
    kind: "request",
    apiKey: 84,
    validVersions: "0",
    flexibleVersions: "0+",
    latestVersionUnstable: true,
    listeners: ["broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "topics", type: "[]ReadStateData", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionData", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "leaderEpoch", type: "int32", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "ReadShareGroupStateResponse",
    kind: "response",
    apiKey: 84,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "results", type: "[]ReadStateResult", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionResult", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", default: null },
          { name: "stateEpoch", type: "int32", versions: "0+" },
          { name: "startOffset", type: "int64", versions: "0+" },
          { name: "stateBatches", type: "[]StateBatch", versions: "0+", fields: [
            { name: "firstOffset", type: "int64", versions: "0+" },
            { name: "lastOffset", type: "int64", versions: "0+" },
            { name: "deliveryState", type: "int8", versions: "0+" },
            { name: "deliveryCount", type: "int16", versions: "0+" },
          ] },
        ] },
      ] },
    ],
  },
};
