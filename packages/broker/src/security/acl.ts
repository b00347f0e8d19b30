// Kafka's ACL model: bindings of a resource pattern (type, name, LITERAL or PREFIXED) to an entry
// (principal, host, operation, ALLOW or DENY), the filters CreateAcls/DescribeAcls/DeleteAcls use
// to select them, and the rule deciding one request: super users pass; a DENY entry matching the
// principal, host and operation (or ALL) wins; otherwise an ALLOW entry for the operation, for ALL
// or for an operation implying it (READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies
// DESCRIBE_CONFIGS) allows; a resource no binding names at all follows
// allow.everyone.if.no.acl.found. The numeric codes are the wire protocol's.

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

export const Operation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The name Kafka gives the one cluster resource. */
export const clusterResourceName = "kafka-cluster";
export const wildcardName = "*";
export const wildcardPrincipal = "User:*";
export const wildcardHost = "*";

export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  /** `User:<name>` or `User:*`. */
  readonly principal: string;
  /** `*` or an IP address. */
  readonly host: string;
  readonly operation: number;
  readonly permission: number;
}

/** A filter: null strings and ANY codes match everything; patternType MATCH selects every pattern covering the name. */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permission: number;
}

const concreteResourceTypes = new Set<number>([2, 3, 4, 5, 6, 7]);
const concreteOperations = new Set<number>([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);

/** Why a binding cannot be stored, or undefined when it can (the checks CreateAcls makes). */
export function invalidBinding(b: AclBinding): string | undefined {
  if (!concreteResourceTypes.has(b.resourceType)) return "Invalid resource type";
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED)
    return "Invalid pattern type: only LITERAL and PREFIXED ACLs can be created";
  if (!concreteOperations.has(b.operation)) return "Invalid operation";
  if (b.permission !== Permission.ALLOW && b.permission !== Permission.DENY) return "Invalid permission type";
  if (b.resourceName === "") return "Resource name must not be empty";
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== clusterResourceName)
    return `The only valid name for the CLUSTER resource is ${clusterResourceName}`;
  if (!/^[^:]+:.+$/.test(b.principal)) return `Could not parse principal from \`${b.principal}\``;
  if (!b.principal.startsWith("User:")) return `Unsupported principal type in \`${b.principal}\``;
  if (b.host === "") return "Host must not be empty";
  return undefined;
}

/** Whether a binding's pattern covers a concrete resource name. */
export function patternCovers(patternType: number, patternName: string, name: string): boolean {
  if (patternType === PatternType.LITERAL) return patternName === name || patternName === wildcardName;
  if (patternType === PatternType.PREFIXED) return name.startsWith(patternName);
  return false;
}

function resourceMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.ANY) return f.resourceName === null || f.resourceName === b.resourceName;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName === null) return true;
    return patternCovers(b.patternType, b.resourceName, f.resourceName);
  }
  if (f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

/** Whether a filter selects a binding (as DescribeAcls and DeleteAcls apply it). */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (!resourceMatches(f, b)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== Operation.ANY && f.operation !== b.operation) return false;
  return f.permission === Permission.ANY || f.permission === b.permission;
}

/** Why a filter is unusable, or undefined: UNKNOWN codes are errors, as in Kafka. */
export function invalidFilter(f: AclFilter): string | undefined {
  if (f.resourceType === ResourceType.UNKNOWN || !(f.resourceType === 1 || concreteResourceTypes.has(f.resourceType)))
    return "Invalid resource type filter";
  if (f.patternType < PatternType.ANY || f.patternType > PatternType.PREFIXED) return "Invalid pattern type filter";
  if (f.operation !== Operation.ANY && !concreteOperations.has(f.operation)) return "Invalid operation filter";
  if (f.permission < Permission.ANY || f.permission > Permission.ALLOW) return "Invalid permission type filter";
  return undefined;
}

/** Operations an ALLOW on `granted` also allows. */
function allowCovers(granted: number, wanted: number): boolean {
  if (granted === Operation.ALL || granted === wanted) return true;
  if (wanted === Operation.DESCRIBE)
    return (
      granted === Operation.READ ||
      granted === Operation.WRITE ||
      granted === Operation.DELETE ||
      granted === Operation.ALTER
    );
  if (wanted === Operation.DESCRIBE_CONFIGS) return granted === Operation.ALTER_CONFIGS;
  return false;
}

export interface AuthorizerSettings {
  /** `User:<name>` principals that pass every check. */
  readonly superUsers: ReadonlySet<string>;
  readonly allowEveryoneIfNoAclFound: boolean;
}

export interface Requester {
  /** `User:<name>`. */
  readonly principal: string;
  /** The client's IP address. */
  readonly host: string;
}

function appliesTo(b: AclBinding, who: Requester): boolean {
  return (
    (b.principal === who.principal || b.principal === wildcardPrincipal) &&
    (b.host === wildcardHost || b.host === who.host)
  );
}

/** Decides one operation on one resource against a set of bindings. */
export function authorize(
  bindings: Iterable<AclBinding>,
  settings: AuthorizerSettings,
  who: Requester,
  operation: number,
  resourceType: number,
  resourceName: string,
): boolean {
  if (settings.superUsers.has(who.principal)) return true;
  let anyForResource = false;
  let allowed = false;
  for (const b of bindings) {
    if (b.resourceType !== resourceType || !patternCovers(b.patternType, b.resourceName, resourceName)) continue;
    anyForResource = true;
    if (!appliesTo(b, who)) continue;
    if (b.permission === Permission.DENY) {
      if (b.operation === Operation.ALL || b.operation === operation) return false;
    } else if (allowCovers(b.operation, operation)) {
      allowed = true;
    }
  }
  return allowed || (!anyForResource && settings.allowEveryoneIfNoAclFound);
}

/**
 * Whether the requester may do `operation` on at least one resource of a type (Kafka's
 * authorizeByResourceType, used by InitProducerId for an idempotent producer with WRITE on some
 * topic): some ALLOW pattern for it that no DENY pattern covers (a DENY on the wildcard, on the
 * same literal name, or on a prefix of it).
 */
export function authorizeAny(
  bindings: readonly AclBinding[],
  settings: AuthorizerSettings,
  who: Requester,
  operation: number,
  resourceType: number,
): boolean {
  if (settings.superUsers.has(who.principal)) return true;
  const mine = bindings.filter((b) => b.resourceType === resourceType && appliesTo(b, who));
  const denies = mine.filter(
    (b) => b.permission === Permission.DENY && (b.operation === Operation.ALL || b.operation === operation),
  );
  if (denies.some((d) => d.patternType === PatternType.LITERAL && d.resourceName === wildcardName)) return false;
  const deniedBy = (a: AclBinding): boolean =>
    denies.some((d) =>
      d.patternType === PatternType.PREFIXED
        ? a.resourceName.startsWith(d.resourceName)
        : d.resourceName === a.resourceName && a.patternType === PatternType.LITERAL,
    );
  const allows = mine.filter((b) => b.permission === Permission.ALLOW && allowCovers(b.operation, operation));
  if (allows.some((a) => !deniedBy(a))) return true;
  if (!settings.allowEveryoneIfNoAclFound) return false;
  return !bindings.some((b) => b.resourceType === resourceType);
}

/** The key identifying a binding (for de-duplication and deletion). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([
    b.resourceType,
    b.resourceName,
    b.patternType,
    b.principal,
    b.host,
    b.operation,
    b.permission,
  ]);
}
