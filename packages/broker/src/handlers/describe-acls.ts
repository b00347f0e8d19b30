// DescribeAcls: the ACL bindings a filter selects, grouped by resource pattern. Needs DESCRIBE on
// the cluster; without an authorizer the answer is SECURITY_DISABLED, as in Kafka.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { invalidFilter, Operation } from "../security/acl.ts";
import type { AclBinding, AclFilter } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

export const describeAclsHandler = defineHandler({
  apiKey: ApiKey.DescribeAcls,
  versions: { min: 0, max: 3 },
  handle(context, request) {
    const fail = (errorCode: number, errorMessage: string) =>
      Promise.resolve({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!context.broker.authorizer.enabled) return fail(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
    if (!allowedOnCluster(context, Operation.DESCRIBE)) {
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    }
    const filter: AclFilter = {
      resourceType: request.resourceTypeFilter,
      resourceName: request.resourceNameFilter,
      patternType: request.patternTypeFilter,
      principal: request.principalFilter,
      host: request.hostFilter,
      operation: request.operation,
      permission: request.permissionType,
    };
    const invalid = invalidFilter(filter);
    if (invalid !== undefined) return fail(ErrorCode.INVALID_REQUEST, invalid);
    const byPattern = new Map<string, AclBinding[]>();
    for (const b of context.broker.authorizer.store.matching(filter)) {
      // v0 cannot carry a pattern type: only LITERAL bindings are described to it.
      if (context.apiVersion === 0 && b.patternType !== 3) continue;
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      const list = byPattern.get(key);
      if (list === undefined) byPattern.set(key, [b]);
      else list.push(b);
    }
    const resources = [...byPattern.values()].map((list) => {
      const first = list[0] as AclBinding;
      return {
        resourceType: first.resourceType,
        resourceName: first.resourceName,
        patternType: first.patternType,
        acls: list.map((b) => ({
          principal: b.principal,
          host: b.host,
          operation: b.operation,
          permissionType: b.permission,
        })),
      };
    });
    return Promise.resolve({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources });
  },
});
