// FindCoordinator: this node coordinates every group and every transactional id.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

const groupKeyType = 0;
const transactionKeyType = 1;

interface Found {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

const notFound = { nodeId: -1, host: "", port: -1 };

function coordinatorFor(broker: BrokerState, keyType: number): Found {
  const none = { nodeId: -1, host: "", port: -1 };
  if (keyType !== groupKeyType && keyType !== transactionKeyType) {
    return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${keyType}` };
  }
  // A coordinator still loading is found (its requests answer COORDINATOR_LOAD_IN_PROGRESS); one
  // whose load failed is not.
  const available =
    keyType === groupKeyType ? broker.groupCoordinator.isAvailable : broker.transactionCoordinator.isAvailable;
  if (!available) {
    const which = keyType === groupKeyType ? "group" : "transaction";
    return {
      ...none,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: `the ${which} coordinator failed to load`,
    };
  }
  return {
    errorCode: 0,
    errorMessage: null,
    nodeId: broker.config.nodeId,
    host: broker.advertised.host,
    port: broker.advertised.port,
  };
}

export const findCoordinatorHandler = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  versions: { min: 0, max: 6 },
  handle(context, request) {
    const { broker, apiVersion } = context;
    // DESCRIBE on the group or transactional id (security/acl-authorizer.ts).
    const find = (key: string): Found => {
      if (request.keyType === groupKeyType && !allowedOnGroup(context, Operation.DESCRIBE, key)) {
        return { ...notFound, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
      }
      if (request.keyType === transactionKeyType && !allowedOnTransactionalId(context, Operation.DESCRIBE, key)) {
        return { ...notFound, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null };
      }
      return coordinatorFor(broker, request.keyType);
    };
    if (apiVersion < 4) {
      return Promise.resolve({ throttleTimeMs: 0, ...find(request.key), coordinators: [] });
    }
    return Promise.resolve({
      throttleTimeMs: 0,
      coordinators: request.coordinatorKeys.map((key) => ({ key, ...find(key) })),
    });
  },
});
