// DescribeTransactions: the state, producer and partitions of each transactional id.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  versions: { min: 0, max: 0 },
  handle(context, request) {
    // DESCRIBE on each transactional id (security/acl-authorizer.ts); a refused one is answered
    // empty. As in Kafka, a described transaction lists only the topics the principal may DESCRIBE.
    const described = context.broker.transactionCoordinator.describe(request.transactionalIds).map((d) =>
      allowedOnTransactionalId(context, Operation.DESCRIBE, d.transactionalId)
        ? d
        : {
            transactionalId: d.transactionalId,
            errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            state: "",
            timeoutMs: 0,
            startTimestampMs: -1,
            producerId: -1n,
            producerEpoch: -1,
            topics: [],
          },
    );
    return Promise.resolve({
      throttleTimeMs: 0,
      transactionStates: described.map((d) => ({
        errorCode: d.errorCode,
        transactionalId: d.transactionalId,
        transactionState: d.state,
        transactionTimeoutMs: d.timeoutMs,
        transactionStartTimeMs: BigInt(d.startTimestampMs),
        producerId: d.producerId,
        producerEpoch: d.producerEpoch,
        topics: d.topics
          .filter((t) => allowedOnTopic(context, Operation.DESCRIBE, t.topic))
          .map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
      })),
    });
  },
});
