// DescribeClientQuotas: the configured client quotas (quotas/quota-store.ts) whose entity matches
// the filter. Each component names an entity type and matches an exact name, the default entity,
// or any entity of that type; a strict filter also wants the entity to have no other types.
// kafka-configs --describe asks this for users, clients (alongside SCRAM credentials for users) and ips.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";
import { Operation } from "../security/acl.ts";
import type { QuotaEntity, QuotaEntry } from "../quotas/quota-store.ts";

const matchExact = 0;
const matchDefault = 1;
const matchAny = 2;

type Filter = { exact: Map<string, string | null>; any: Set<string> };

/** The entity's components by protocol type name; null names are defaults. */
export function entityComponents(entity: QuotaEntity): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (entity.user !== undefined) out.set("user", entity.user);
  if (entity.clientId !== undefined) out.set("client-id", entity.clientId);
  if (entity.ip !== undefined) out.set("ip", entity.ip);
  return out;
}

function matches(entry: QuotaEntry, filter: Filter, strict: boolean): boolean {
  const components = entityComponents(entry.entity);
  if (strict && components.size !== filter.exact.size + filter.any.size) return false;
  for (const [type, name] of filter.exact) {
    if (!components.has(type) || components.get(type) !== name) return false;
  }
  for (const type of filter.any) if (!components.has(type)) return false;
  return true;
}

export const describeClientQuotasHandler = defineHandler({
  apiKey: ApiKey.DescribeClientQuotas,
  versions: { min: 0, max: 1 },
  handle(context, request) {
    const refuse = (errorCode: number, errorMessage: string) =>
      Promise.resolve({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    // As Kafka: DESCRIBE_CONFIGS on the cluster.
    if (!allowedOnCluster(context, Operation.DESCRIBE_CONFIGS))
      return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    const filter: Filter = { exact: new Map(), any: new Set() };
    for (const c of request.components) {
      if (filter.exact.has(c.entityType) || filter.any.has(c.entityType)) {
        return refuse(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} appears more than once in the filter`);
      }
      if (c.entityType !== "user" && c.entityType !== "client-id" && c.entityType !== "ip") {
        return refuse(ErrorCode.UNSUPPORTED_VERSION, `Custom entity type ${c.entityType} is not supported`);
      }
      if (c.matchType === matchExact) {
        if (c.match === null) return refuse(ErrorCode.INVALID_REQUEST, "MATCH_EXACT needs a match string");
        filter.exact.set(c.entityType, c.match);
      } else if (c.matchType === matchDefault || c.matchType === matchAny) {
        if (c.match !== null) return refuse(ErrorCode.INVALID_REQUEST, "only MATCH_EXACT takes a match string");
        if (c.matchType === matchDefault) filter.exact.set(c.entityType, null);
        else filter.any.add(c.entityType);
      } else {
        return refuse(ErrorCode.UNSUPPORTED_VERSION, `Unknown match type ${c.matchType}`);
      }
    }
    const has = (type: string): boolean => filter.exact.has(type) || filter.any.has(type);
    if (has("ip") && (has("user") || has("client-id"))) {
      return refuse(ErrorCode.INVALID_REQUEST, "An ip filter component cannot be combined with user or client-id");
    }
    const entries = context.broker.quotas.store
      .list()
      .filter((e) => matches(e, filter, request.strict))
      .map((e) => ({
        entity: [...entityComponents(e.entity)].map(([entityType, entityName]) => ({ entityType, entityName })),
        values: [...e.values].map(([key, value]) => ({ key, value })),
      }));
    return Promise.resolve({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries });
  },
});
