// Derived from Kafka's message descriptors (DescribeLogDirsRequest.json, DescribeLogDirsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const describeLogDirs: ApiDefinition = {
  apiKey: 35,
  name: "DescribeLogDirs",
  request: {
    name: "DescribeLogDirsRequest",
    kind: "request",
    apiKey: 35,
    validVersions: "0-4",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "topics", type: "[]DescribableLogDirTopic", versions: "0+", nullableVersions: "0+", fields: [
        { name: "topic", type: "string", versions: "0+" },
        { name: "partitions", type: "[]int32", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "DescribeLogDirsResponse",
    kind: "response",
    apiKey: 35,
    validVersions: "0-4",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "3+", ignorable: true },
      { name: "results", type: "[]DescribeLogDirsResult", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "logDir", type: "string", versions: "0+" },
        { name: "topics", type: "[]DescribeLogDirsTopic", versions: "0+", fields: [
          { name: "name", type: "string", versions: "0+" },
          { name: "partitions", type: "[]DescribeLogDirsPartition", versions: "0+", fields: [
            { name: "partitionIndex", type: "int32", versions: "0+" },
            { name: "partitionSize", type: "int64", versions: "0+" },
            { name: "offsetLag", type: "int64", versions: "0+" },
            { name: "isFutureKey", type: "bool", versions: "0+" },
          ] },
        ] },
        { name: "totalBytes", type: "int64", versions: "4+", default: -1n, ignorable: true },
        { name: "usableBytes", type: "int64", versions: "4+", default: -1n, ignorable: true },
      ] },
    ],
  },
};
