// Derived from Kafka's message descriptors (IncrementalAlterConfigsRequest.json, IncrementalAlterConfigsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const incrementalAlterConfigs: ApiDefinition = {
  apiKey: 44,
  name: "IncrementalAlterConfigs",
  request: {
    name: "IncrementalAlterConfigsRequest",
    kind: "request",
    apiKey: 44,
    validVersions: "0-1",
    flexibleVersions: "1+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "resources", type: "[]AlterConfigsResource", versions: "0+", fields: [
        { name: "resourceType", type: "int8", versions: "0+" },
        { name: "resourceName", type: "string", versions: "0+" },
        { name: "configs", type: "[]AlterableConfig", versions: "0+", fields: [
          { name: "name", type: "string", versions: "0+" },
          { name: "configOperation", type: "int8", versions: "0+" },
          { name: "value", type: "string", versions: "0+", nullableVersions: "0+" },
        ] },
      ] },
      { name: "validateOnly", type: "bool", versions: "0+" },
    ],
  },
  response: {
    name: "IncrementalAlterConfigsResponse",
    kind: "response",
    apiKey: 44,
    validVersions: "0-1",
    flexibleVersions: "1+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "responses", type: "[]AlterConfigsResourceResponse", versions: "0+", fields: [
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "resourceType", type: "int8", versions: "0+" },
        { name: "resourceName", type: "string", versions: "0+" },
      ] },
    ],
  },
};
