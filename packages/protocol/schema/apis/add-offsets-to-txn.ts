// Derived from Kafka's message descriptors (AddOffsetsToTxnRequest.json, AddOffsetsToTxnResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const addOffsetsToTxn: ApiDefinition = {
  apiKey: 25,
  name: "AddOffsetsToTxn",
  request: {
    name: "AddOffsetsToTxnRequest",
    kind: "request",
    apiKey: 25,
    validVersions: "0-4",
    flexibleVersions: "3+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "transactionalId", type: "string", versions: "0+" },
      { name: "producerId", type: "int64", versions: "0+" },
      { name: "producerEpoch", type: "int16", versions: "0+" },
      { name: "groupId", type: "string", versions: "0+" },
    ],
  },
  response: {
    name: "AddOffsetsToTxnResponse",
    kind: "response",
    apiKey: 25,
    validVersions: "0-4",
    flexibleVersions: "3+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
    ],
  },
};
