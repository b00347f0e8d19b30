// Derived from Kafka's message descriptors (PushTelemetryRequest.json, PushTelemetryResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const pushTelemetry: ApiDefinition = {
  apiKey: 72,
  name: "PushTelemetry",
  request: {
    name: "PushTelemetryRequest",
    kind: "request",
    apiKey: 72,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["broker"],
    fields: [
      { name: "clientInstanceId", type: "uuid", versions: "0+" },
      { name: "subscriptionId", type: "int32", versions: "0+" },
      { name: "terminating", type: "bool", versions: "0+" },
      { name: "compressionType", type: "int8", versions: "0+" },
      { name: "metrics", type: "bytes", versions: "0+" },
    ],
  },
  response: {
    name: "PushTelemetryResponse",
    kind: "response",
    apiKey: 72,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
    ],
  },
};
