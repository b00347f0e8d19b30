// What request handlers see: the broker's shared state and the request's own context, and the
// shape of a handler. One handler file per Kafka API lives in ./handlers/.
import type { ApiKey, Input, RequestByKey, RequestHeader, ResponseByKey } from "@samsa/protocol";
import type { BrokerConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import type { GroupCoordinator } from "./coordinator/group-coordinator.ts";
import type { TransactionCoordinator } from "./coordinator/transaction-coordinator.ts";
import type { Clock } from "./storage/log-config.ts";
import type { LogManager } from "./storage/log-manager.ts";
import type { ProducerIds } from "./producer-ids.ts";
import type { ScramCredentialStore } from "./security/credential-store.ts";
import type { ClientQuotas } from "./quotas/client-quotas.ts";
import type { ConnectionSecurity } from "./security/session.ts";
import type { Authorizer } from "./security/acl-authorizer.ts";

export interface BrokerState {
  readonly config: BrokerConfig;
  readonly logs: LogManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly producerIds: ProducerIds;
  /** Classic consumer groups and committed offsets (coordinator/). */
  readonly groupCoordinator: GroupCoordinator;
  /** Transactions: transactional ids, their producer ids and epochs, and the transaction log (coordinator/). */
  readonly transactionCoordinator: TransactionCoordinator;
  /** Users' SCRAM credentials (security/credential-store.ts). */
  readonly scramCredentials: ScramCredentialStore;
  /** The ACLs and the decision on each request (security/acl-authorizer.ts). */
  readonly authorizer: Authorizer;
  /** Client quotas: the configured quotas and the produce/fetch byte rates measured against them (quotas/). */
  readonly quotas: ClientQuotas;
  /** The address clients are told to connect to: that of the listener the request came in on. */
  readonly advertised: { readonly host: string; readonly port: number };
  /** Resolved when the broker starts shutting down: long polls end early. */
  readonly closing: AbortSignal;
}

export interface RequestContext {
  readonly broker: BrokerState;
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connectionId: string;
  readonly clientAddress: string;
  /**
   * The connection's listener, principal and SASL state (security/session.ts). The network
   * server always sets it; only handler unit tests that build a context by hand leave it out.
   */
  readonly security?: ConnectionSecurity;
  /**
   * Asks the network server to stop reading from this connection for `ms` after this request's
   * response is sent (a quota's throttle time). Absent in handler unit tests.
   */
  readonly throttle?: (ms: number) => void;
}

/** Returned by a handler when the request gets no response (Produce with acks=0). */
export const noResponse: unique symbol = Symbol("noResponse");

export interface Handler<K extends ApiKey> {
  readonly apiKey: K;
  /** Versions this broker serves; advertised in ApiVersions. */
  readonly versions: { readonly min: number; readonly max: number };
  handle(context: RequestContext, request: RequestByKey[K]): Promise<Input<ResponseByKey[K]> | typeof noResponse>;
}

/** Defines a handler with its types checked against the API key. */
export function defineHandler<K extends ApiKey>(handler: Handler<K>): Handler<K> {
  return handler;
}
