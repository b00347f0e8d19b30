// Derived from Kafka's message descriptors (ListClientMetricsResourcesRequest.json, ListClientMetricsResourcesResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const listClientMetricsResources: ApiDefinition = {
  apiKey: 74,
  name: "ListClientMetricsResources",
  request: {
    name: "ListClientMetricsResourcesRequest",
    kind: "request",
    apiKey: 74,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["broker"],
    fields: [

    ],
  },
  response: {
    name: "ListClientMetricsResourcesResponse",
    kind: "response",
    apiKey: 74,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "clientMetricsResources", type: "[]ClientMetricsResource", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
      ] },
    ],
  },
};
