// FindCoordinator: this node coordinates every group and every transactional id.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";

const groupKeyType = 0;
const transactionKeyType = 1;

interface Found {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

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
    if (apiVersion < 4) {
      const found = coordinatorFor(broker, request.keyType);
      return Promise.resolve({ throttleTimeMs: 0, ...found, coordinators: [] });
    }
    return Promise.resolve({
      throttleTimeMs: 0,
      coordinators: request.coordinatorKeys.map((key) => ({ key, ...coordinatorFor(broker, request.keyType) })),
    });
  },
});
