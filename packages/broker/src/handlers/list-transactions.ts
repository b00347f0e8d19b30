// ListTransactions: the transactional ids this coordinator knows, filtered by state, producer id
// and (v1) how long the transaction has been running.
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const listTransactionsHandler = defineHandler({
  apiKey: ApiKey.ListTransactions,
  versions: { min: 0, max: 1 },
  handle(context, request) {
    const listed = context.broker.transactionCoordinator.list({
      states: request.stateFilters,
      producerIds: request.producerIdFilters,
      durationMs: Number(request.durationFilter),
    });
    return Promise.resolve({
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      unknownStateFilters: listed.unknownStates,
      transactionStates: listed.transactions.map((t) => ({
        transactionalId: t.transactionalId,
        producerId: t.producerId,
        transactionState: t.state,
      })),
    });
  },
});
