// Derived from Kafka's message descriptors (DeleteTopicsRequest.json, DeleteTopicsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const deleteTopics: ApiDefinition = {
  apiKey: 20,
  name: "DeleteTopics",
  request: {
    name: "DeleteTopicsRequest",
    kind: "request",
    apiKey: 20,
    validVersions: "0-6",
    flexibleVersions: "4+",
    deprecatedVersions: "0",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "topics", type: "[]DeleteTopicState", versions: "6+", fields: [
        { name: "name", type: "string", versions: "6+", nullableVersions: "6+", default: null },
        { name: "topicId", type: "uuid", versions: "6+" },
      ] },
      { name: "topicNames", type: "[]string", versions: "0-5", ignorable: true },
      { name: "timeoutMs", type: "int32", versions: "0+" },
    ],
  },
  response: {
    name: "DeleteTopicsResponse",
    kind: "response",
    apiKey: 20,
    validVersions: "0-6",
    flexibleVersions: "4+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "responses", type: "[]DeletableTopicResult", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+", nullableVersions: "6+" },
        { name: "topicId", type: "uuid", versions: "6+", ignorable: true },
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "5+", nullableVersions: "5+", default: null, ignorable: true },
      ] },
    ],
  },
};
