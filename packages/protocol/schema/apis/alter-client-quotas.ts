// Derived from Kafka's message descriptors (AlterClientQuotasRequest.json, AlterClientQuotasResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const alterClientQuotas: ApiDefinition = {
  apiKey: 49,
  name: "AlterClientQuotas",
  request: {
    name: "AlterClientQuotasRequest",
    kind: "request",
    apiKey: 49,
    validVersions: "0-1",
    flexibleVersions: "1+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "entries", type: "[]EntryData", versions: "0+", fields: [
        { name: "entity", type: "[]EntityData", versions: "0+", fields: [
          { name: "entityType", type: "string", versions: "0+" },
          { name: "entityName", type: "string", versions: "0+", nullableVersions: "0+" },
        ] },
        { name: "ops", type: "[]OpData", versions: "0+", fields: [
          { name: "key", type: "string", versions: "0+" },
          { name: "value", type: "float64", versions: "0+" },
          { name: "remove", type: "bool", versions: "0+" },
        ] },
      ] },
      { name: "validateOnly", type: "bool", versions: "0+" },
    ],
  },
  response: {
    name: "AlterClientQuotasResponse",
    kind: "response",
    apiKey: 49,
    validVersions: "0-1",
    flexibleVersions: "1+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "entries", type: "[]EntryData", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "entity", type: "[]EntityData", versions: "0+", fields: [
          { name: "entityType", type: "string", versions: "0+" },
          { name: "entityName", type: "string", versions: "0+", nullableVersions: "0+" },
        ] },
      ] },
    ],
  },
};
