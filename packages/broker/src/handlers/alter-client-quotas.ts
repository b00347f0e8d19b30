// AlterClientQuotas: sets and removes (remove flag) client quotas for user, client-id and
// (user, client-id) entities, and connection-rate quotas for ip entities (KIP-612), default
// entities as null names. Each entry is checked on its own and answered with its own error; the
// valid ones are applied together and made durable before the answer (unless validateOnly).
// Samsa enforces producer_byte_rate, consumer_byte_rate, request_percentage and (ip)
// connection_creation_rate; controller_mutation_rate is refused with INVALID_REQUEST rather than
// stored and silently ignored.
import { isIP } from "node:net";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { AlterClientQuotasRequestEntryData } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";
import { Operation } from "../security/acl.ts";
import { canonicalIp } from "../ip.ts";
import { isQuotaKey } from "../quotas/quota-store.ts";
import type { QuotaEntity, QuotaKey } from "../quotas/quota-store.ts";

/** Kafka's quota keys that Samsa does not enforce. */
const unenforcedKeys = new Set(["controller_mutation_rate"]);
/** The keys each kind of entity takes, as in Kafka. */
const clientKeys = new Set<string>(["producer_byte_rate", "consumer_byte_rate", "request_percentage"]);
const ipKeys = new Set<string>(["connection_creation_rate"]);

type Change = { entity: QuotaEntity; key: QuotaKey; value: number | null };

/** The entry's entity, or why it is refused. */
function entityOf(entry: AlterClientQuotasRequestEntryData): QuotaEntity | { error: string } {
  if (entry.entity.length === 0) return { error: "Invalid empty client quota entity" };
  let user: string | null | undefined;
  let clientId: string | null | undefined;
  let ip: string | null | undefined;
  const seen = new Set<string>();
  for (const c of entry.entity) {
    if (seen.has(c.entityType)) return { error: `Entity type ${c.entityType} appears more than once` };
    seen.add(c.entityType);
    if (c.entityType === "user") user = c.entityName;
    else if (c.entityType === "client-id") clientId = c.entityName;
    else if (c.entityType === "ip") ip = c.entityName;
    else return { error: `Unknown client quota entity type ${c.entityType}` };
  }
  if (ip !== undefined) {
    if (user !== undefined || clientId !== undefined) {
      return { error: "Invalid quota entity combination: an IP entity cannot be combined with a user or client id" };
    }
    // Kafka also takes a resolvable host name; Samsa takes addresses only.
    if (ip !== null && isIP(ip) === 0) return { error: `${ip} is not a valid IP address` };
    return { ip: ip === null ? null : canonicalIp(ip) };
  }
  return {
    ...(user === undefined ? {} : { user }),
    ...(clientId === undefined ? {} : { clientId }),
  };
}

/** The entry's changes, or why it is refused. */
function validate(entry: AlterClientQuotasRequestEntryData): { changes: Change[] } | { error: string } {
  const entity = entityOf(entry);
  if ("error" in entity) return entity;
  const validKeys = entity.ip === undefined ? clientKeys : ipKeys;
  const changes: Change[] = [];
  const keys = new Set<string>();
  for (const op of entry.ops) {
    if (keys.has(op.key)) return { error: `Quota key ${op.key} appears more than once` };
    keys.add(op.key);
    if (unenforcedKeys.has(op.key)) return { error: `Samsa does not enforce the ${op.key} quota` };
    if (!isQuotaKey(op.key) || !validKeys.has(op.key)) return { error: `Invalid configuration key ${op.key}` };
    if (op.remove) {
      changes.push({ entity, key: op.key, value: null });
      continue;
    }
    if (!Number.isFinite(op.value) || op.value <= 0) return { error: `Quota ${op.key} must be greater than 0` };
    if (op.key === "request_percentage") {
      // A percentage of one thread's time, fractional like Kafka's (a DOUBLE quota).
      changes.push({ entity, key: op.key, value: op.value });
      continue;
    }
    if (op.key === "connection_creation_rate" && op.value > 2 ** 31 - 1) {
      return { error: `Proposed value for ${op.key} is too large for an INT.` };
    }
    if (Math.abs(op.value - Math.round(op.value)) > 1e-6 || op.value < 1) {
      return { error: `${op.key} must be a positive whole number` };
    }
    changes.push({ entity, key: op.key, value: Math.round(op.value) });
  }
  return { changes };
}

export const alterClientQuotasHandler = defineHandler({
  apiKey: ApiKey.AlterClientQuotas,
  versions: { min: 0, max: 1 },
  async handle(context, request) {
    const accepted: Change[] = [];
    // As Kafka: ALTER_CONFIGS on the cluster, or every entry is refused.
    const authorized = allowedOnCluster(context, Operation.ALTER_CONFIGS);
    const entries = request.entries.map((entry) => {
      const entity = entry.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName }));
      if (!authorized)
        return {
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: "Cluster authorization failed.",
          entity,
        };
      const result = validate(entry);
      if ("error" in result) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: result.error, entity };
      accepted.push(...result.changes);
      return { errorCode: 0, errorMessage: null, entity };
    });
    if (!request.validateOnly && accepted.length > 0) await context.broker.quotas.store.apply(accepted);
    return { throttleTimeMs: 0, entries };
  },
});
