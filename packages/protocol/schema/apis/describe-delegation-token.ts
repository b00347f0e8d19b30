// Derived from Kafka's message descriptors (DescribeDelegationTokenRequest.json, DescribeDelegationTokenResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const describeDelegationToken: ApiDefinition = {
  apiKey: 41,
  name: "DescribeDelegationToken",
  request: {
    name: "DescribeDelegationTokenRequest",
    kind: "request",
    apiKey: 41,
    validVersions: "0-3",
    flexibleVersions: "2+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "owners", type: "[]DescribeDelegationTokenOwner", versions: "0+", nullableVersions: "0+", fields: [
        { name: "principalType", type: "string", versions: "0+" },
        { name: "principalName", type: "string", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "DescribeDelegationTokenResponse",
    kind: "response",
    apiKey: 41,
    validVersions: "0-3",
    flexibleVersions: "2+",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "tokens", type: "[]DescribedDelegationToken", versions: "0+", fields: [
        { name: "principalType", type: "string", versions: "0+" },
        { name: "principalName", type: "string", versions: "0+" },
        { name: "tokenRequesterPrincipalType", type: "string", versions: "3+" },
        { name: "tokenRequesterPrincipalName", type: "string", versions: "3+" },
        { name: "issueTimestamp", type: "int64", versions: "0+" },
        { name: "expiryTimestamp", type: "int64", versions: "0+" },
        { name: "maxTimestamp", type: "int64", versions: "0+" },
        { name: "tokenId", type: "string", versions: "0+" },
        { name: "hmac", type: "bytes", versions: "0+" },
        { name: "renewers", type: "[]DescribedDelegationTokenRenewer", versions: "0+", fields: [
          { name: "principalType", type: "string", versions: "0+" },
          { name: "principalName", type: "string", versions: "0+" },
        ] },
      ] },
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
    ],
  },
};
