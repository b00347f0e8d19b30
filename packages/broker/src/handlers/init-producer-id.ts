// InitProducerId. Without a transactional id (an idempotent producer): always a fresh producer id
// (durably unique) with epoch 0, as Kafka's coordinator does — whatever id and epoch the client
// sends (@platformatic/kafka sends 0/0). With one: the transaction coordinator's id and bumped
// epoch, fencing older producers of the same transactional id.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation, ResourceType } from "../security/acl.ts";
import { allowedOnAny, allowedOnCluster, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  versions: { min: 0, max: 5 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    // A transactional producer needs WRITE on its id; an idempotent one IDEMPOTENT_WRITE on the
    // cluster or WRITE on some topic (security/acl-authorizer.ts).
    const refused =
      request.transactionalId !== null
        ? !allowedOnTransactionalId(context, Operation.WRITE, request.transactionalId)
          ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : undefined
        : !allowedOnCluster(context, Operation.IDEMPOTENT_WRITE) &&
            !allowedOnAny(context, Operation.WRITE, ResourceType.TOPIC)
          ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED
          : undefined;
    if (refused !== undefined) return { throttleTimeMs: 0, errorCode: refused, producerId: -1n, producerEpoch: -1 };
    if (request.transactionalId === null) {
      const id = await broker.producerIds.allocate();
      return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(id), producerEpoch: 0 };
    }
    const noId = request.producerId === -1n && request.producerEpoch === -1;
    const validId = request.producerId >= 0n && request.producerEpoch >= 0;
    if (!noId && !validId) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    const result = await broker.transactionCoordinator.initProducerId({
      transactionalId: request.transactionalId,
      timeoutMs: request.transactionTimeoutMs,
      expected: noId ? undefined : { producerId: request.producerId, producerEpoch: request.producerEpoch },
    });
    // Clients before v4 do not know PRODUCER_FENCED (Kafka answers them INVALID_PRODUCER_EPOCH).
    const errorCode =
      apiVersion < 4 && result.errorCode === ErrorCode.PRODUCER_FENCED
        ? ErrorCode.INVALID_PRODUCER_EPOCH
        : result.errorCode;
    return { throttleTimeMs: 0, ...result, errorCode };
  },
});
