// Derived from Kafka's message descriptors (ApiVersionsRequest.json, ApiVersionsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const apiVersions: ApiDefinition = {
  apiKey: 18,
  name: "ApiVersions",
  request: {
    name: "ApiVersionsRequest",
    kind: "request",
    apiKey: 18,
    validVersions: "0-4",
    flexibleVersions: "3+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "clientSoftwareName", type: "string", versions: "3+", ignorable: true },
      { name: "clientSoftwareVersion", type: "string", versions: "3+", ignorable: true },
    ],
  },
  response: {
    name: "ApiVersionsResponse",
    kind: "response",
    apiKey: 18,
    validVersions: "0-4",
    flexibleVersions: "3+",
    fields: [
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "apiKeys", type: "[]ApiVersion", versions: "0+", fields: [
        { name: "apiKey", type: "int16", versions: "0+" },
        { name: "minVersion", type: "int16", versions: "0+" },
        { name: "maxVersion", type: "int16", versions: "0+" },
      ] },
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "supportedFeatures", type: "[]SupportedFeatureKey", versions: "3+", taggedVersions: "3+", tag: 0, ignorable: true, fields: [
        { name: "name", type: "string", versions: "3+" },
        { name: "minVersion", type: "int16", versions: "3+" },
        { name: "maxVersion", type: "int16", versions: "3+" },
      ] },
      { name: "finalizedFeaturesEpoch", type: "int64", versions: "3+", taggedVersions: "3+", tag: 1, default: -1n, ignorable: true },
      { name: "finalizedFeatures", type: "[]FinalizedFeatureKey", versions: "3+", taggedVersions: "3+", tag: 2, ignorable: true, fields: [
        { name: "name", type: "string", versions: "3+" },
        { name: "maxVersionLevel", type: "int16", versions: "3+" },
        { name: "minVersionLevel", type: "int16", versions: "3+" },
      ] },
      { name: "zkMigrationReady", type: "bool", versions: "3+", taggedVersions: "3+", tag: 3, default: false, ignorable: true },
    ],
  },
};
