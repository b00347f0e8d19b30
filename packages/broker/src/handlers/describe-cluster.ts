// DescribeCluster: this node as the only broker and the controller Kafka reports to clients.
// Samsa's listener is a broker endpoint; a request meant for a controller endpoint is refused.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { clusterOperations, operationsNotRequested } from "../authorized-operations.ts";
import { defineHandler } from "../context.ts";
import { clusterResourceName, ResourceType } from "../security/acl.ts";
import { authorizedOperations } from "../security/acl-authorizer.ts";

/** Kafka's EndpointType codes. */
const EndpointType = { UNKNOWN: 0, BROKER: 1, CONTROLLER: 2 } as const;

export const describeClusterHandler = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  versions: { min: 0, max: 1 },
  handle(context, request) {
    const { broker, apiVersion } = context;
    const wanted = request.endpointType;
    if (wanted !== EndpointType.BROKER) {
      // v0 has no endpoint type error codes, so Kafka answers INVALID_REQUEST there.
      const unknown = wanted !== EndpointType.CONTROLLER;
      return Promise.resolve({
        throttleTimeMs: 0,
        errorCode:
          apiVersion === 0
            ? ErrorCode.INVALID_REQUEST
            : unknown
              ? ErrorCode.UNSUPPORTED_ENDPOINT_TYPE
              : ErrorCode.MISMATCHED_ENDPOINT_TYPE,
        errorMessage: unknown
          ? `Unsupported endpoint type ${wanted}`
          : "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
        clusterId: "",
        brokers: [],
      });
    }
    return Promise.resolve({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: EndpointType.BROKER,
      clusterId: broker.logs.clusterId,
      controllerId: broker.config.nodeId,
      brokers: [
        { brokerId: broker.config.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null },
      ],
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? authorizedOperations(context, ResourceType.CLUSTER, clusterResourceName, clusterOperations)
        : operationsNotRequested,
    });
  },
});
