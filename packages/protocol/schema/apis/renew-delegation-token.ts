// Derived from Kafka's message descriptors (RenewDelegationTokenRequest.json, RenewDelegationTokenResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const renewDelegationToken: ApiDefinition = {
  apiKey: 39,
  name: "RenewDelegationToken",
  request: {
    name: "RenewDelegationTokenRequest",
    kind: "request",
    apiKey: 39,
    validVersions: "0-2",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "hmac", type: "bytes", versions: "0+" },
      { name: "renewPeriodMs", type: "int64", versions: "0+" },
    ],
  },
  response: {
    name: "RenewDelegationTokenResponse",
    kind: "response",
    apiKey: 39,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "expiryTimestampMs", type: "int64", versions: "0+" },
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
    ],
  },
};
