// DescribeTransactions: the state, producer and partitions of each transactional id.
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  versions: { min: 0, max: 0 },
  handle(context, request) {
    const described = context.broker.transactionCoordinator.describe(request.transactionalIds);
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
        topics: d.topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
      })),
    });
  },
});
