// Derived from Kafka's message descriptors (HeartbeatRequest.json, HeartbeatResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const heartbeat: ApiDefinition = {
  apiKey: 12,
  name: "Heartbeat",
  request: {
    name: "HeartbeatRequest",
    kind: "request",
    apiKey: 12,
    validVersions: "0-4",
    flexibleVersions: "4+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "generationId", type: "int32", versions: "0+" },
      { name: "memberId", type: "string", versions: "0+" },
      { name: "groupInstanceId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
    ],
  },
  response: {
    name: "HeartbeatResponse",
    kind: "response",
    apiKey: 12,
    validVersions: "0-4",
    flexibleVersions: "4+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "errorCode", type: "int16", versions: "0+" },
    ],
  },
};
