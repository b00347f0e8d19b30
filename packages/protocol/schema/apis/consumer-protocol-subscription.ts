// Derived from Kafka's message descriptors (ConsumerProtocolSubscription.json) by scripts/import-descriptors.ts. Do not edit.
import type { MessageDefinition } from "../types.ts";

export const consumerProtocolSubscription: MessageDefinition = {
  name: "ConsumerProtocolSubscription",
  kind: "data",
  validVersions: "0-3",
  flexibleVersions: "none",
  fields: [
    { name: "topics", type: "[]string", versions: "0+" },
    { name: "userData", type: "bytes", versions: "0+", nullableVersions: "0+", default: null },
    { name: "ownedPartitions", type: "[]TopicPartition", versions: "1+", ignorable: true, fields: [
      { name: "topic", type: "string", versions: "1+" },
      { name: "partitions", type: "[]int32", versions: "1+" },
    ] },
    { name: "generationId", type: "int32", versions: "2+", default: -1, ignorable: true },
    { name: "rackId", type: "string", versions: "3+", nullableVersions: "3+", default: null, ignorable: true },
  ],
};
