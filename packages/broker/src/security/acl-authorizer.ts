// The broker's authorizer: on when `authorizer.class.name` names Kafka's StandardAuthorizer (off,
// allowing everything, when empty, as in Kafka), deciding requests against the stored ACLs with
// `super.users` and `allow.everyone.if.no.acl.found`. The check helpers handlers call live here,
// so that each handler's edit is one line: they read the principal and client address from the
// request context.
import { ErrorCode } from "@samsa/protocol";
import type { RequestContext } from "../context.ts";
import { authorize, authorizeAny, clusterResourceName, ResourceType } from "./acl.ts";
import type { AuthorizerSettings, Requester } from "./acl.ts";
import type { AclStore } from "./acl-store.ts";
import { anonymousPrincipal, formatPrincipal } from "./principal.ts";

/** The authorizer class names accepted: Kafka's KRaft authorizer (and its ZooKeeper-era predecessor). */
export const authorizerClassNames: ReadonlySet<string> = new Set([
  "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "kafka.security.authorizer.AclAuthorizer",
]);

export interface AuthorizerConfig extends AuthorizerSettings {
  readonly enabled: boolean;
}

export class Authorizer {
  readonly store: AclStore;
  readonly config: AuthorizerConfig;

  constructor(store: AclStore, config: AuthorizerConfig) {
    this.store = store;
    this.config = config;
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  authorize(who: Requester, operation: number, resourceType: number, resourceName: string): boolean {
    if (!this.config.enabled) return true;
    return authorize(this.store.all(), this.config, who, operation, resourceType, resourceName);
  }

  authorizeAny(who: Requester, operation: number, resourceType: number): boolean {
    if (!this.config.enabled) return true;
    return authorizeAny(this.store.list(), this.config, who, operation, resourceType);
  }
}

/** Parses `super.users`: `User:a;User:b`. */
export function parseSuperUsers(value: string): Set<string> {
  return new Set(
    value
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
}

/** Who made a request, as the ACLs name it. */
export function requester(context: RequestContext): Requester {
  const address = context.clientAddress;
  return {
    principal: formatPrincipal(context.security?.principal ?? anonymousPrincipal),
    host: address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address,
  };
}

/** Whether the request may do `operation` on a resource. */
export function allowed(context: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const authorizer = context.broker.authorizer;
  if (!authorizer.enabled) return true;
  return authorizer.authorize(requester(context), operation, resourceType, name);
}

export function allowedOnCluster(context: RequestContext, operation: number): boolean {
  return allowed(context, operation, ResourceType.CLUSTER, clusterResourceName);
}

export function allowedOnTopic(context: RequestContext, operation: number, topic: string): boolean {
  return allowed(context, operation, ResourceType.TOPIC, topic);
}

export function allowedOnGroup(context: RequestContext, operation: number, group: string): boolean {
  return allowed(context, operation, ResourceType.GROUP, group);
}

export function allowedOnTransactionalId(context: RequestContext, operation: number, id: string): boolean {
  return allowed(context, operation, ResourceType.TRANSACTIONAL_ID, id);
}

/** Whether the request may do `operation` on some resource of a type. */
export function allowedOnAny(context: RequestContext, operation: number, resourceType: number): boolean {
  const authorizer = context.broker.authorizer;
  if (!authorizer.enabled) return true;
  return authorizer.authorizeAny(requester(context), operation, resourceType);
}

/**
 * The authorized-operations bit set a describe answer carries: of the operations `supported`
 * names (one bit per operation code), those the request may do; all of them without an authorizer.
 */
export function authorizedOperations(
  context: RequestContext,
  resourceType: number,
  name: string,
  supported: number,
): number {
  if (!context.broker.authorizer.enabled) return supported;
  let granted = 0;
  for (let op = 0; op < 31; op++) {
    if ((supported & (1 << op)) !== 0 && allowed(context, op, resourceType, name)) granted |= 1 << op;
  }
  return granted;
}

/**
 * The error a Describe/AlterConfigs resource gets when the request may not do `operation`
 * (DESCRIBE_CONFIGS or ALTER_CONFIGS) on it: topics are checked on the topic, broker and broker
 * logger configs on the cluster. Other resource types are left to the handler.
 */
export function configsDenied(
  context: RequestContext,
  operation: number,
  configResourceType: number,
  name: string,
): { errorCode: number; errorMessage: string } | undefined {
  if (configResourceType === 2) {
    if (allowedOnTopic(context, operation, name)) return undefined;
    return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: "Topic authorization failed." };
  }
  if (configResourceType === 4 || configResourceType === 8) {
    if (allowedOnCluster(context, operation)) return undefined;
    return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: "Cluster authorization failed." };
  }
  return undefined;
}

/** The groups, or other resources, of a list the request may do `operation` on. */
export function filterAllowed<T>(
  context: RequestContext,
  operation: number,
  resourceType: number,
  items: readonly T[],
  nameOf: (item: T) => string,
): T[] {
  if (!context.broker.authorizer.enabled) return [...items];
  return items.filter((item) => allowed(context, operation, resourceType, nameOf(item)));
}
