// Derived from Kafka's message descriptors (WriteShareGroupStateRequest.json, WriteShareGroupStateResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const writeShareGroupState: ApiDefinition = {
  apiKey: 85,
  name: "WriteShareGroupState",
  request: {
    name: "WriteShareGroupStateRequest",
    kind: "request",
    apiKey: 85,
    validVersions: "0",
    flexibleVersions: "0+",
    latestVersionUnstable: true,
    listeners: ["broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "topics", type: "[]WriteStateData", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionData", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "stateEpoch", type: "int32", versions: "0+" },
          { name: "leaderEpoch", type: "int32", versions: "0+" },
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
  response: {
    name: "WriteShareGroupStateResponse",
    kind: "response",
    apiKey: 85,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "results", type: "[]WriteStateResult", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionResult", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
          { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", default: null },
        ] },
      ] },
    ],
  },
};
