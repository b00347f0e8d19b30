// Derived from Kafka's message descriptors (OffsetDeleteRequest.json, OffsetDeleteResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const offsetDelete: ApiDefinition = {
  apiKey: 47,
  name: "OffsetDelete",
  request: {
    name: "OffsetDeleteRequest",
    kind: "request",
    apiKey: 47,
    validVersions: "0",
    flexibleVersions: "none",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "topics", type: "[]OffsetDeleteRequestTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]OffsetDeleteRequestPartition", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
        ] },
      ] },
    ],
  },
  response: {
    name: "OffsetDeleteResponse",
    kind: "response",
    apiKey: 47,
    validVersions: "0",
    flexibleVersions: "none",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "throttleTimeMs", type: "int32", versions: "0+", ignorable: true },
      { name: "topics", type: "[]OffsetDeleteResponseTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]OffsetDeleteResponsePartition", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
        ] },
      ] },
    ],
  },
};
