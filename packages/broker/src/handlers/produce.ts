// Produce: validates and appends each partition's batches, as stored bytes (patched in place,
// never re-encoded); answers per partition, or not at all for acks=0.
import { ApiKey, ErrorCode, readBatchHeader } from "@samsa/protocol";
import type { Input, ProduceResponsePartitionProduceResponse, RecordBatchHeader } from "@samsa/protocol";
import { defineHandler, noResponse } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { isInternalTopic } from "../topics.ts";
import { quotaIdentity } from "../quotas/client-quotas.ts";
import type { AppendResult } from "../storage/partition-log.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

type PartitionResponse = Input<ProduceResponsePartitionProduceResponse>;

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  };
}

function fromAppend(index: number, result: AppendResult): PartitionResponse {
  if ("baseOffset" in result) {
    return {
      index,
      errorCode: 0,
      baseOffset: BigInt(result.baseOffset),
      logAppendTimeMs: BigInt(result.logAppendTimeMs),
      logStartOffset: BigInt(result.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  }
  return {
    ...failed(index, result.errorCode, result.errorMessage),
    recordErrors:
      result.batchIndex === undefined
        ? []
        : [{ batchIndex: result.batchIndex, batchIndexErrorMessage: result.errorMessage }],
  };
}

/**
 * A transactional batch may be written only by the producer that owns the transactional id's
 * current epoch, to a partition it added to its transaction (Kafka's produce-time verification,
 * KIP-890 part 1). Returns the refusal, or undefined. Malformed batches are left to the log.
 */
function checkTransaction(
  broker: BrokerState,
  transactionalId: string | null,
  topic: string,
  partition: number,
  records: Uint8Array,
): { errorCode: number; message: string } | undefined {
  let header: RecordBatchHeader;
  try {
    header = readBatchHeader(records);
  } catch {
    return undefined;
  }
  if (!header.transactional) return undefined;
  if (transactionalId === null) {
    return { errorCode: ErrorCode.INVALID_RECORD, message: "a transactional batch needs a transactional id" };
  }
  const errorCode = broker.transactionCoordinator.verifyPartition({
    transactionalId,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    topic,
    partition,
  });
  switch (errorCode) {
    case 0:
      return undefined;
    // As Kafka answers produce requests: fencing as the epoch error producers know, and the
    // coordinator's transient errors as a retriable one.
    case ErrorCode.PRODUCER_FENCED:
      return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: "the producer was fenced" };
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, message: "the transaction coordinator is busy; retry" };
    default:
      return { errorCode, message: `${topic}-${partition} is not in the producer's transaction` };
  }
}

export const produceHandler = defineHandler({
  apiKey: ApiKey.Produce,
  // Advertised from v0 as Kafka 4 does (librdkafka compresses only when the broker lists Produce
  // v0), but v0–v2 — the old message formats — are answered with UNSUPPORTED_VERSION.
  versions: { min: 0, max: 11 },
  async handle(context, request) {
    const { broker } = context;
    const acks = request.acks;
    const valid = acks === 0 || acks === 1 || acks === -1;
    // Appends start here, synchronously and in request order, so pipelined produce requests on
    // one connection get their offsets in the order they were sent.
    // ACLs (security/acl-authorizer.ts): WRITE on the transactional id, if any, and on each topic.
    const txnIdDenied =
      request.transactionalId !== null && !allowedOnTransactionalId(context, Operation.WRITE, request.transactionalId);
    const topics = request.topicData.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionData.map((p): Promise<PartitionResponse> => {
        if (context.apiVersion < 3)
          return Promise.resolve(failed(p.index, ErrorCode.UNSUPPORTED_VERSION, "Produce v0–v2 are not supported"));
        if (txnIdDenied) return Promise.resolve(failed(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        if (!allowedOnTopic(context, Operation.WRITE, topic.name))
          return Promise.resolve(failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        if (!valid) return Promise.resolve(failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS));
        if (isInternalTopic(topic.name)) {
          return Promise.resolve(
            failed(p.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topic.name}`),
          );
        }
        const log = broker.logs.log(topic.name, p.index);
        if (log === undefined) return Promise.resolve(failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        if (p.records === null) return Promise.resolve(failed(p.index, ErrorCode.INVALID_RECORD, "no records"));
        const refused = checkTransaction(broker, request.transactionalId, topic.name, p.index, p.records);
        if (refused !== undefined) return Promise.resolve(failed(p.index, refused.errorCode, refused.message));
        return log.append(p.records, { requiredAcks: acks, leaderEpoch: 0 }).then((r) => fromAppend(p.index, r));
      }),
    }));
    const responses = await Promise.all(
      topics.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.partitions) })),
    );
    // Quotas (quotas/): the appended bytes count against the producer's byte rate; over it, the
    // response says how long to back off and the connection is muted that long after it is sent.
    let throttleTimeMs = 0;
    if (broker.quotas.enabled("producer_byte_rate")) {
      let bytes = 0;
      for (const t of request.topicData) for (const p of t.partitionData) bytes += p.records?.length ?? 0;
      throttleTimeMs = broker.quotas.record("producer_byte_rate", quotaIdentity(context), bytes);
      if (throttleTimeMs > 0) context.throttle?.(throttleTimeMs);
    }
    if (acks === 0) return noResponse;
    return { responses, throttleTimeMs };
  },
});
