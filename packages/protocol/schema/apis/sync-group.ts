// Derived from Kafka's message descriptors (SyncGroupRequest.json, SyncGroupResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const syncGroup: ApiDefinition = {
  apiKey: 14,
  name: "SyncGroup",
  request: {
    name: "SyncGroupRequest",
    kind: "request",
    apiKey: 14,
    validVersions: "0-5",
    flexibleVersions: "4+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "generationId", type: "int32", versions: "0+" },
      { name: "memberId", type: "string", versions: "0+" },
      { name: "groupInstanceId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
      { name: "protocolType", type: "string", versions: "5+", nullableVersions: "5+", default: null, ignorable: true },
      { name: "protocolName", type: "string", versions: "5+", nullableVersions: "5+", default: null, ignorable: true },
      { name: "assignments", type: "[]SyncGroupRequestAssignment", versions: "0+", fields: [
        { name: "memberId", type: "string", versions: "0+" },
        { name: "assignment", type: "bytes", versions: "0+" },
      ] },
    ],
  },
  response: {
    name: "SyncGroupResponse",
    kind: "response",
    apiKey: 14,
    validVersions: "0-5",
    flexibleVersions: "4+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "protocolType", type: "string", versions: "5+", nullableVersions: "5+", default: null, ignorable: true },
      { name: "protocolName", type: "string", versions: "5+", nullableVersions: "5+", default: null, ignorable: true },
      { name: "assignment", type: "bytes", versions: "0+" },
    ],
  },
};
