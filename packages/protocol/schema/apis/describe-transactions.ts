// Derived from Kafka's message descriptors (DescribeTransactionsRequest.json, DescribeTransactionsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const describeTransactions: ApiDefinition = {
  apiKey: 65,
  name: "DescribeTransactions",
  request: {
    name: "DescribeTransactionsRequest",
    kind: "request",
    apiKey: 65,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "transactionalIds", type: "[]string", versions: "0+" },
    ],
  },
  response: {
    name: "DescribeTransactionsResponse",
    kind: "response",
    apiKey: 65,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "transactionStates", type: "[]TransactionState", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "transactionalId", type: "string", versions: "0+" },
        { name: "transactionState", type: "string", versions: "0+" },
        { name: "transactionTimeoutMs", type: "int32", versions: "0+" },
        { name: "transactionStartTimeMs", type: "int64", versions: "0+" },
        { name: "producerId", type: "int64", versions: "0+" },
        { name: "producerEpoch", type: "int16", versions: "0+" },
        { name: "topics", type: "[]TopicData", versions: "0+", fields: [
          { name: "topic", type: "string", versions: "0+" },
          { name: "partitions", type: "[]int32", versions: "0+" },
        ] },
      ] },
    ],
  },
};
