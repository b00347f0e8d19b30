// AddOffsetsToTxn: adds the group's __consumer_offsets partition to the producer's transaction, so
// that its TxnOffsetCommit becomes visible when the transaction commits.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { offsetsTopicName } from "../coordinator/group-store.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  versions: { min: 0, max: 4 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    // WRITE on the transactional id, READ on the group (security/acl-authorizer.ts).
    if (!allowedOnTransactionalId(context, Operation.WRITE, request.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    }
    if (!allowedOnGroup(context, Operation.READ, request.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    }
    let errorCode = await broker.transactionCoordinator.addPartitions({
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      partitions: [{ topic: offsetsTopicName, partition: broker.groupCoordinator.partitionFor(request.groupId) }],
    });
    if (apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode };
  },
});
