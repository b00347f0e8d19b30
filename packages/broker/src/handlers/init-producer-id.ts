// InitProducerId for idempotent producers: always a fresh producer id (durably unique) with epoch
// 0, as Kafka's coordinator does without a transactional id — whatever id and epoch the client
// sends (@platformatic/kafka sends 0/0). Transactional ids arrive with issue #6.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  versions: { min: 0, max: 5 },
  async handle(context, request) {
    if (request.transactionalId !== null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    const id = await context.broker.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(id), producerEpoch: 0 };
  },
});
