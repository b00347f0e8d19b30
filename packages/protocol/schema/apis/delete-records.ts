// Derived from Kafka's message descriptors (DeleteRecordsRequest.json, DeleteRecordsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const deleteRecords: ApiDefinition = {
  apiKey: 21,
  name: "DeleteRecords",
  request: {
    name: "DeleteRecordsRequest",
    kind: "request",
    apiKey: 21,
    validVersions: "0-2",
    flexibleVersions: "2+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "topics", type: "[]DeleteRecordsTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]DeleteRecordsPartition", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "offset", type: "int64", versions: "0+" },
        ] },
      ] },
      { name: "timeoutMs", type: "int32", versions: "0+" },
    ],
  },
  response: {
    name: "DeleteRecordsResponse",
    kind: "response",
    apiKey: 21,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "topics", type: "[]DeleteRecordsTopicResult", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]DeleteRecordsPartitionResult", versions: "0+", fields: [
          { name: "partitionIndex", type: "int32", versions: "0+" },
          { name: "lowWatermark", type: "int64", versions: "0+" },
          { name: "errorCode", type: "int16", versions: "0+" },
        ] },
      ] },
    ],
  },
};
