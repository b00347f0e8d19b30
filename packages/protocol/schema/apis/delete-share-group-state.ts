// Derived from Kafka's message descriptors (DeleteShareGroupStateRequest.json, DeleteShareGroupStateResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const deleteShareGroupState: ApiDefinition = {
  apiKey: 86,
  name: "DeleteShareGroupState",
  request: {
    name: "DeleteShareGroupStateRequest",
    kind: "request",
    apiKey: 86,
    validVersions: "0",
    flexibleVersions: "0+",
    latestVersionUnstable: true,
    listeners: ["broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "topics", type: "[]DeleteStateData", versions: "0+", fields: [
        { name: "topicId", type: "uuid", versions: "0+" },
        { name: "partitions", type: "[]PartitionData", versions: "0+", fields: [
          { name: "partition", type: "int32", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "DeleteShareGroupStateResponse",
    kind: "response",
    apiKey: 86,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "results", type: "[]DeleteStateResult", versions: "0+", fields: [
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
