// Derived from Kafka's message descriptors (EndTxnRequest.json, EndTxnResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const endTxn: ApiDefinition = {
  apiKey: 26,
  name: "EndTxn",
  request: {
    name: "EndTxnRequest",
    kind: "request",
    apiKey: 26,
    validVersions: "0-5",
    flexibleVersions: "3+",
    latestVersionUnstable: true,
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "transactionalId", type: "string", versions: "0+" },
      { name: "producerId", type: "int64", versions: "0+" },
      { name: "producerEpoch", type: "int16", versions: "0+" },
      { name: "committed", type: "bool", versions: "0+" },
    ],
  },
  response: {
    name: "EndTxnResponse",
    kind: "response",
    apiKey: 26,
    validVersions: "0-5",
    flexibleVersions: "3+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "producerId", type: "int64", versions: "5+", default: -1n, ignorable: true },
      { name: "producerEpoch", type: "int16", versions: "5+", default: -1, ignorable: true },
    ],
  },
};
