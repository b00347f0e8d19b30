// Derived from Kafka's message descriptors (DescribeUserScramCredentialsRequest.json, DescribeUserScramCredentialsResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const describeUserScramCredentials: ApiDefinition = {
  apiKey: 50,
  name: "DescribeUserScramCredentials",
  request: {
    name: "DescribeUserScramCredentialsRequest",
    kind: "request",
    apiKey: 50,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["zkBroker","broker","controller"],
    fields: [
      { name: "users", type: "[]UserName", versions: "0+", nullableVersions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "DescribeUserScramCredentialsResponse",
    kind: "response",
    apiKey: 50,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
      { name: "results", type: "[]DescribeUserScramCredentialsResult", versions: "0+", fields: [
        { name: "user", type: "string", versions: "0+" },
        { name: "errorCode", type: "int16", versions: "0+" },
        { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
        { name: "credentialInfos", type: "[]CredentialInfo", versions: "0+", fields: [
          { name: "mechanism", type: "int8", versions: "0+" },
          { name: "iterations", type: "int32", versions: "0+" },
        ] },
      ] },
    ],
  },
};
