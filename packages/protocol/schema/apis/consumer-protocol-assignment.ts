// Derived from Kafka's message descriptors (ConsumerProtocolAssignment.json) by scripts/import-descriptors.ts. Do not edit.
import type { MessageDefinition } from "../types.ts";

export const consumerProtocolAssignment: MessageDefinition = {
  name: "ConsumerProtocolAssignment",
  kind: "data",
  validVersions: "0-3",
  flexibleVersions: "none",
  fields: [
    { name: "assignedPartitions", type: "[]TopicPartition", versions: "0+", fields: [
      { name: "topic", type: "string", versions: "0+" },
      { name: "partitions", type: "[]int32", versions: "0+" },
    ] },
    { name: "userData", type: "bytes", versions: "0+", nullableVersions: "0+", default: null },
  ],
};
