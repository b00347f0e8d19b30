// EndTxn: commits or aborts the producer's transaction (transaction protocol version 1: the
// producer keeps its epoch; v5's epoch bump belongs to version 2, which this broker does not offer).
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTransactionalId } from "../security/acl-authorizer.ts";

export const endTxnHandler = defineHandler({
  apiKey: ApiKey.EndTxn,
  versions: { min: 0, max: 4 },
  async handle(context, request) {
    if (!allowedOnTransactionalId(context, Operation.WRITE, request.transactionalId)) {
      const errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
      return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
    }
    let errorCode = await context.broker.transactionCoordinator.endTxn({
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      commit: request.committed,
    });
    if (context.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
