// Derived from Kafka's message descriptors (RequestHeader.json) by scripts/import-descriptors.ts. Do not edit.
import type { MessageDefinition } from "../types.ts";

export const requestHeader: MessageDefinition = {
  name: "RequestHeader",
  kind: "header",
  validVersions: "0-2",
  flexibleVersions: "2+",
  fields: [
    { name: "requestApiKey", type: "int16", versions: "0+" },
    { name: "requestApiVersion", type: "int16", versions: "0+" },
    { name: "correlationId", type: "int32", versions: "0+" },
    { name: "clientId", type: "string", versions: "1+", nullableVersions: "1+", ignorable: true, flexibleVersions: "none" },
  ],
};
