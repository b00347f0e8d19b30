// Derived from Kafka's message descriptors (LeaveGroupRequest.json, LeaveGroupResponse.json) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition } from "../types.ts";

export const leaveGroup: ApiDefinition = {
  apiKey: 13,
  name: "LeaveGroup",
  request: {
    name: "LeaveGroupRequest",
    kind: "request",
    apiKey: 13,
    validVersions: "0-5",
    flexibleVersions: "4+",
    listeners: ["zkBroker","broker"],
    fields: [
      { name: "groupId", type: "string", versions: "0+" },
      { name: "memberId", type: "string", versions: "0-2" },
      { name: "members", type: "[]MemberIdentity", versions: "3+", fields: [
        { name: "memberId", type: "string", versions: "3+" },
        { name: "groupInstanceId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
        { name: "reason", type: "string", versions: "5+", nullableVersions: "5+", default: null, ignorable: true },
      ] },
    ],
  },
  response: {
    name: "LeaveGroupResponse",
    kind: "response",
    apiKey: 13,
    validVersions: "0-5",
    flexibleVersions: "4+",
    fields: [
      { name: "throttleTimeMs", type: "int32", versions: "1+", ignorable: true },
      { name: "errorCode", type: "int16", versions: "0+" },
      { name: "members", type: "[]MemberResponse", versions: "3+", fields: [
        { name: "memberId", type: "string", versions: "3+" },
        { name: "groupInstanceId", type: "string", versions: "3+", nullableVersions: "3+" },
        { name: "errorCode", type: "int16", versions: "3+" },
      ] },
    ],
  },
};
