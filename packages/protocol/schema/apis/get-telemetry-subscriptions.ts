// Derived from Kafka's message descriptors (GetTelemetrySubscriptionsRequest.json, GetTelemetrySubscriptionsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const getTelemetrySubscriptions: ApiDefinition = {
  apiKey: 71,
  name: "GetTelemetrySubscriptions",
  request: {
    name: "GetTelemetrySubscriptionsRequest",
    kind: "request",
    apiKey: 71,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["broker"],
    fields: [
      { name: "clientInstanceId", type: "uuid", versions: "0+" },
    ],
  },
  response: {
    name: "GetTelemetrySubscriptionsResponse",
    kind: "response",
    apiKey: 71,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "clientInstanceId", type: "uuid", versions: "0+" },
      { name: "subscriptionId", type: "int32", versions: "0+" },
      { name: "acceptedCompressionTypes", type: "[]int8", versions: "0+" },
      { name: "pushIntervalMs", type: "int32", versions: "0+" },
      { name: "telemetryMaxBytes", type: "int32", versions: "0+" },
      { name: "deltaTemporality", type: "bool", versions: "0+" },
      { name: "requestedMetrics", type: "[]string", versions: "0+" },
    ],
  },
};
