// Derived from Kafka's message descriptors (ListTransactionsRequest.json, ListTransactionsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const listTransactions: ApiDefinition = {
  apiKey: 66,
  name: "ListTransactions",
  request: {
    name: "ListTransactionsRequest",
    kind: "request",
    apiKey: 66,
    validVersions: "0-1",
    flexibleVersions: "0+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "stateFilters", type: "[]string", versions: "0+" },
      { name: "producerIdFilters", type: "[]int64", versions: "0+" },
      { name: "durationFilter", type: "int64", versions: "1+", default: -1n },
    ],
  },
  response: {
    name: "ListTransactionsResponse",
    kind: "response",
    apiKey: 66,
    validVersions: "0-1",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "unknownStateFilters", type: "[]string", versions: "0+" },
      { name: "transactionStates", type: "[]TransactionState", versions: "0+", fields: [
        { name: "transactionalId", type: "string", versions: "0+" },
        { name: "producerId", type: "int64", versions: "0+" },
        { name: "transactionState", type: "string", versions: "0+" },
      ] },
    ],
  },
};
