// Derived from Kafka's message descriptors (ResponseHeader.json) by scripts/import-descriptors.ts. Do not edit.
import type { MessageDefinition } from "../types.ts";

export const responseHeader: MessageDefinition = {
  name: "ResponseHeader",
  kind: "header",
  validVersions: "0-1",
  flexibleVersions: "1+",
  fields: [
    { name: "correlationId", type: "int32", versions: "0+" },
  ],
};
