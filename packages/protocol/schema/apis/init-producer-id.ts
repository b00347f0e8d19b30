// Derived from Kafka's message descriptors (InitProducerIdRequest.json, InitProducerIdResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const initProducerId: ApiDefinition = {
  apiKey: 22,
  name: "InitProducerId",
  request: {
    name: "InitProducerIdRequest",
    kind: "request",
    apiKey: 22,
    validVersions: "0-5",
    flexibleVersions: "2+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "transactionalId", type: "string", versions: "0+", nullableVersions: "0+" },
      { name: "transactionTimeoutMs", type: "int32", versions: "0+" },
      { name: "producerId", type: "int64", versions: "3+", default: -1n },
      { name: "producerEpoch", type: "int16", versions: "3+", default: -1 },
    ],
  },
  response: {
    name: "InitProducerIdResponse",
    kind: "response",
    apiKey: 22,
    validVersions: "0-5",
    flexibleVersions: "2+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+", ignorable: true },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "producerId", type: "int64", versions: "0+", default: -1n },
      { name: "producerEpoch", type: "int16", versions: "0+" },
    ],
  },
};
