// Derived from Kafka's message descriptors (CreateDelegationTokenRequest.json, CreateDelegationTokenResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const createDelegationToken: ApiDefinition = {
  apiKey: 38,
  name: "CreateDelegationToken",
  request: {
    name: "CreateDelegationTokenRequest",
    kind: "request",
    apiKey: 38,
    validVersions: "0-3",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "ownerPrincipalType", type: "string", versions: "3+", nullableVersions: "3+" },
      { name: "ownerPrincipalName", type: "string", versions: "3+", nullableVersions: "3+" },
      { name: "renewers", type: "[]CreatableRenewers", versions: "0+", fields: [
        { name: "principalType", type: "string", versions: "0+" },
        { name: "principalName", type: "string", versions: "0+" },
      ] },
      { name: "maxLifetimeMs", type: "int64", versions: "0+" },
    ],
  },
  response: {
    name: "CreateDelegationTokenResponse",
    kind: "response",
    apiKey: 38,
    validVersions: "0-3",
    flexibleVersions: "2+",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "principalType", type: "string", versions: "0+" },
      { name: "principalName", type: "string", versions: "0+" },
      { name: "tokenRequesterPrincipalType", type: "string", versions: "3+" },
      { name: "tokenRequesterPrincipalName", type: "string", versions: "3+" },
      { name: "issueTimestampMs", type: "int64", versions: "0+" },
      { name: "expiryTimestampMs", type: "int64", versions: "0+" },
      { name: "maxTimestampMs", type: "int64", versions: "0+" },
      { name: "tokenId", type: "string", versions: "0+" },
      { name: "hmac", type: "bytes", versions: "0+" },
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
    ],
  },
};
