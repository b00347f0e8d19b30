// Derived from Kafka's message descriptors (InitializeShareGroupStateRequest.json, InitializeShareGroupStateResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const initializeShareGroupState: ApiDefinition = {
  apiKey: 83,
  name: "InitializeShareGroupState",
  request: {
    name: "InitializeShareGroupStateRequest",
    kind: "request",
    apiKey: 83,
    validVersions: "0",
    flexibleVersions: "0+",
    latestVersionUnstable: true,
    listeners: ["broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "topics", type: "[]InitializeStateData", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionData", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
          { name: "stateEpoch", type: "int32", versions: "0+" },
          { name: "startOffset", type: "int64", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "InitializeShareGroupStateResponse",
    kind: "response",
    apiKey: 83,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "results", type: "[]InitializeStateResult", versions: "0+", fields: [
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
