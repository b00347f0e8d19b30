// Derived from Kafka's message descriptors (SaslHandshakeRequest.json, SaslHandshakeResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const saslHandshake: ApiDefinition = {
  apiKey: 17,
  name: "SaslHandshake",
  request: {
    name: "SaslHandshakeRequest",
    kind: "request",
    apiKey: 17,
    validVersions: "0-1",
    flexibleVersions: "none",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "mechanism", type: "string", versions: "0+" },
    ],
  },
  response: {
    name: "SaslHandshakeResponse",
    kind: "response",
    apiKey: 17,
    validVersions: "0-1",
    flexibleVersions: "none",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "mechanisms", type: "[]string", versions: "0+" },
    ],
  },
};
