// Derived from Kafka's message descriptors (ExpireDelegationTokenRequest.json, ExpireDelegationTokenResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const expireDelegationToken: ApiDefinition = {
  apiKey: 40,
  name: "ExpireDelegationToken",
  request: {
    name: "ExpireDelegationTokenRequest",
    kind: "request",
    apiKey: 40,
    validVersions: "0-2",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "hmac", type: "bytes", versions: "0+" },
      { name: "expiryTimePeriodMs", type: "int64", versions: "0+" },
    ],
  },
  response: {
    name: "ExpireDelegationTokenResponse",
    kind: "response",
    apiKey: 40,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "expiryTimestampMs", type: "int64", versions: "0+" },
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
    ],
  },
};
