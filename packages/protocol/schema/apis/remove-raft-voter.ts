// Derived from Kafka's message descriptors (RemoveRaftVoterRequest.json, RemoveRaftVoterResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const removeRaftVoter: ApiDefinition = {
  apiKey: 81,
  name: "RemoveRaftVoter",
  request: {
    name: "RemoveRaftVoterRequest",
    kind: "request",
    apiKey: 81,
    validVersions: "0",
    flexibleVersions: "0+",
    listeners: ["controller","broker"],
    fields: [
      { name: "clusterId", type: "string", versions: "0+", nullableVersions: "0+" },
      { name: "voterId", type: "int32", versions: "0+" },
      { name: "voterDirectoryId", type: "uuid", versions: "0+" },
    ],
  },
  response: {
    name: "RemoveRaftVoterResponse",
    kind: "response",
    apiKey: 81,
    validVersions: "0",
    flexibleVersions: "0+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "0+" },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", ignorable: true },
    ],
  },
};
