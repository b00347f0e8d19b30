// Derived from Kafka's message descriptors (AddRaftVoterRequest.json, AddRaftVoterResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const addRaftVoter: ApiDefinition = {
  apiKey: 80,
  name: "AddRaftVoter",
  request: {
    name: "AddRaftVoterRequest",
    kind: "request",
    apiKey: 80,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["controller","broker"],
    fields: [
      { name: "clusterId", type: "string", versions: "0+", nullableVersions: "0+" },
      { name: "timeoutMs", type: "int32", versions: "0+" },
      { name: "voterId", type: "int32", versions: "0+" },
      { name: "voterDirectoryId", type: "uuid", versions: "0+" },
      { name: "listeners", type: "[]Listener", versions: "0+", fields: [
        { name: "name", type: "string", versions: "0+" },
        { name: "host", type: "string", versions: "0+" },
        { name: "port", type: "uint16", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "AddRaftVoterResponse",
    kind: "response",
    apiKey: 80,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", ignorable: true },
    ],
  },
};
