// Derived from Kafka's message descriptors (SaslAuthenticateRequest.json, SaslAuthenticateResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const saslAuthenticate: ApiDefinition = {
  apiKey: 36,
  name: "SaslAuthenticate",
  request: {
    name: "SaslAuthenticateRequest",
    kind: "request",
    apiKey: 36,
    validVersions: "0-2",
    flexibleVersions: "2+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "authBytes", type: "bytes", versions: "0+" },
    ],
  },
  response: {
    name: "SaslAuthenticateResponse",
    kind: "response",
    apiKey: 36,
    validVersions: "0-2",
    flexibleVersions: "2+",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
      { name: "authBytes", type: "bytes", versions: "0+" },
      { name: "sessionLifetimeMs", type: "int64", versions: "1+", default: 0n, ignorable: true },
    ],
  },
};
