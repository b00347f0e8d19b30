// InitProducerId for idempotent producers: a fresh producer id (durably unique), or the same id
// with a bumped epoch when the producer asks for one. Transactional ids arrive with issue #6.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

const epochMax = 32767;

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
    const { producerId, producerEpoch } = request;
    if (producerId >= 0n && producerEpoch >= 0 && producerEpoch < epochMax) {
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: producerEpoch + 1 };
    }
    const id = await context.broker.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(id), producerEpoch: 0 };
  },
});
