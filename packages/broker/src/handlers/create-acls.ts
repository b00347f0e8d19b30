// CreateAcls: stores ACL bindings (security/acl-store.ts). Needs ALTER on the cluster; an invalid
// binding fails alone with INVALID_REQUEST; without an authorizer every creation is
// SECURITY_DISABLED, as in Kafka.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { invalidBinding, Operation } from "../security/acl.ts";
import type { AclBinding } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

export const createAclsHandler = defineHandler({
  apiKey: ApiKey.CreateAcls,
  versions: { min: 0, max: 3 },
  async handle(context, request) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      results: request.creations.map(() => ({ errorCode, errorMessage })),
    });
    if (!context.broker.authorizer.enabled) return fail(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.");
    if (!allowedOnCluster(context, Operation.ALTER)) {
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    }
    const valid: AclBinding[] = [];
    const results = request.creations.map((c) => {
      const binding: AclBinding = {
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permission: c.permissionType,
      };
      const invalid = invalidBinding(binding);
      if (invalid !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid };
      valid.push(binding);
      return { errorCode: 0, errorMessage: null };
    });
    if (valid.length > 0) await context.broker.authorizer.store.add(valid);
    return { throttleTimeMs: 0, results };
  },
});
