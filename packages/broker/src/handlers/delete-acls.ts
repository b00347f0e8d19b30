// DeleteAcls: removes the ACL bindings each filter selects and returns them per filter. Needs
// ALTER on the cluster; an invalid filter fails alone with INVALID_REQUEST; without an authorizer
// every filter is SECURITY_DISABLED, as in Kafka.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { invalidFilter, Operation } from "../security/acl.ts";
import type { AclFilter } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

export const deleteAclsHandler = defineHandler({
  apiKey: ApiKey.DeleteAcls,
  versions: { min: 0, max: 3 },
  async handle(context, request) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (!context.broker.authorizer.enabled) return fail(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
    if (!allowedOnCluster(context, Operation.ALTER)) {
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    }
    const filters = request.filters.map((f): AclFilter => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permission: f.permissionType,
    }));
    const invalid = filters.map(invalidFilter);
    const removed = await context.broker.authorizer.store.remove(filters.filter((_, i) => invalid[i] === undefined));
    let next = 0;
    const filterResults = invalid.map((message) => {
      if (message !== undefined)
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message, matchingAcls: [] };
      const matches = removed[next++] ?? [];
      return {
        errorCode: 0,
        errorMessage: null,
        matchingAcls: matches.map((b) => ({
          errorCode: 0,
          errorMessage: null,
          resourceType: b.resourceType,
          resourceName: b.resourceName,
          patternType: b.patternType,
          principal: b.principal,
          host: b.host,
          operation: b.operation,
          permissionType: b.permission,
        })),
      };
    });
    return { throttleTimeMs: 0, filterResults };
  },
});
