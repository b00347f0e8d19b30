// Derived from Kafka's message descriptors (AddPartitionsToTxnRequest.json, AddPartitionsToTxnResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const addPartitionsToTxn: ApiDefinition = {
  apiKey: 24,
  name: "AddPartitionsToTxn",
  request: {
    name: "AddPartitionsToTxnRequest",
    kind: "request",
    apiKey: 24,
    validVersions: "0-5",
    flexibleVersions: "3+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "transactions", type: "[]AddPartitionsToTxnTransaction", versions: "4+", fields: [
        { name: "transactionalId", type: "string", versions: "4+" },
        { name: "producerId", type: "int64", versions: "4+" },
        { name: "producerEpoch", type: "int16", versions: "4+" },
        { name: "verifyOnly", type: "bool", versions: "4+", default: false },
        { name: "topics", type: "[]AddPartitionsToTxnTopic", versions: "4+" },
      ] },
      { name: "v3AndBelowTransactionalId", type: "string", versions: "0-3" },
      { name: "v3AndBelowProducerId", type: "int64", versions: "0-3" },
      { name: "v3AndBelowProducerEpoch", type: "int16", versions: "0-3" },
      { name: "v3AndBelowTopics", type: "[]AddPartitionsToTxnTopic", versions: "0-3" },
    ],
    commonStructs: [
      { name: "AddPartitionsToTxnTopic", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "partitions", type: "[]int32", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "AddPartitionsToTxnResponse",
    kind: "response",
    apiKey: 24,
    validVersions: "0-5",
    flexibleVersions: "3+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "4+", ignorable: true },
      { name: "resultsByTransaction", type: "[]AddPartitionsToTxnResult", versions: "4+", fields: [
        { name: "transactionalId", type: "string", versions: "4+" },
        { name: "topicResults", type: "[]AddPartitionsToTxnTopicResult", versions: "4+" },
      ] },
      { name: "resultsByTopicV3AndBelow", type: "[]AddPartitionsToTxnTopicResult", versions: "0-3" },
    ],
    commonStructs: [
      { name: "AddPartitionsToTxnTopicResult", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "resultsByPartition", type: "[]AddPartitionsToTxnPartitionResult", versions: "0+" },
      ] },
      { name: "AddPartitionsToTxnPartitionResult", versions: "0+", fields: [
        { name: "partitionIndex", type: "int32", versions: "0+" },
        { name: "partitionErrorCode", type: "int16", versions: "0+" },
      ] },
    ],
  },
};
