// ListTransactions: the transactional ids this coordinator knows, filtered by state, producer id
// and (v1) how long the transaction has been running.
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation, ResourceType } from "../security/acl.ts";
import { filterAllowed } from "../security/acl-authorizer.ts";

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
      // Only transactional ids the request may DESCRIBE (security/acl-authorizer.ts).
      transactionStates: filterAllowed(
        context,
        Operation.DESCRIBE,
        ResourceType.TRANSACTIONAL_ID,
        listed.transactions,
        (t) => t.transactionalId,
      ).map((t) => ({
        transactionalId: t.transactionalId,
        producerId: t.producerId,
        transactionState: t.state,
      })),
    });
  },
});
