// TxnOffsetCommit: a transactional producer commits a consumer group's offsets inside its
// transaction. Partitions of unknown topics are refused here; the transaction must own the group's
// __consumer_offsets partition (AddOffsetsToTxn), which the transaction coordinator verifies; the
// group coordinator checks the group and writes the offsets as the producer's transactional batch,
// pending until the transaction's marker commits or aborts them.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { TxnOffsetCommitRequestTopic } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { offsetsTopicName } from "../coordinator/group-store.ts";
import type { PartitionErrors } from "../coordinator/group-coordinator.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTopic, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

function partitionExists(broker: BrokerState, topic: string, partition: number): boolean {
  const meta = broker.logs.topic(topic);
  return meta !== undefined && partition >= 0 && partition < meta.partitions;
}

/** A verification error as Kafka's AddPartitionsToTxnManager hands it to TxnOffsetCommit. */
function verificationError(errorCode: number, apiVersion: number): number {
  // Producers expect INVALID_PRODUCER_EPOCH here; TRANSACTION_ABORTABLE only from v4 (KIP-890).
  if (errorCode === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (errorCode === ErrorCode.TRANSACTION_ABORTABLE && apiVersion < 4) return ErrorCode.INVALID_TXN_STATE;
  return errorCode;
}

function failAll(topics: readonly TxnOffsetCommitRequestTopic[], errorCode: number): PartitionErrors[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
}

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  // v5 (Kafka 4, KIP-890 part 2: the group's partition joins the transaction implicitly) is newer
  // than this protocol layer; up to v4 AddOffsetsToTxn comes first.
  versions: { min: 0, max: 4 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    const coordinator = broker.groupCoordinator;
    // WRITE on the transactional id, READ on the group and on each topic (security/acl-authorizer.ts).
    const refused = !allowedOnTransactionalId(context, Operation.WRITE, request.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !allowedOnGroup(context, Operation.READ, request.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : undefined;
    if (refused !== undefined) return { throttleTimeMs: 0, topics: failAll(request.topics, refused) };
    const topicDenied = new Set(
      request.topics.filter((t) => !allowedOnTopic(context, Operation.READ, t.name)).map((t) => t.name),
    );
    const exists = request.topics.map((t) =>
      t.partitions.map((p) => !topicDenied.has(t.name) && partitionExists(broker, t.name, p.partitionIndex)),
    );
    const known: TxnOffsetCommitRequestTopic[] = request.topics
      .map((t, i) => ({ ...t, partitions: t.partitions.filter((_, j) => exists[i]?.[j] === true) }))
      .filter((t) => t.partitions.length > 0);
    let committed: PartitionErrors[] = [];
    if (known.length > 0) {
      if (request.groupId === "") {
        committed = failAll(known, ErrorCode.INVALID_GROUP_ID);
      } else {
        const verified = broker.transactionCoordinator.verifyPartition({
          transactionalId: request.transactionalId,
          producerId: request.producerId,
          producerEpoch: request.producerEpoch,
          topic: offsetsTopicName,
          partition: coordinator.partitionFor(request.groupId),
        });
        committed =
          verified !== 0
            ? failAll(known, verificationError(verified, apiVersion))
            : await coordinator.commitTxnOffsets({
                groupId: request.groupId,
                producerId: request.producerId,
                producerEpoch: request.producerEpoch,
                generationId: request.generationId,
                memberId: request.memberId,
                groupInstanceId: request.groupInstanceId,
                topics: known,
                apiVersion,
              });
      }
    }
    const answers = new Map<string, Map<number, number>>();
    for (const t of committed) {
      const byPartition = answers.get(t.name) ?? new Map<number, number>();
      for (const p of t.partitions) byPartition.set(p.partitionIndex, p.errorCode);
      answers.set(t.name, byPartition);
    }
    // Answers in request order: the coordinator's for known partitions, UNKNOWN_TOPIC_OR_PARTITION else.
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t, i) => ({
        name: t.name,
        partitions: t.partitions.map((p, j) => {
          let errorCode =
            exists[i]?.[j] === true
              ? (answers.get(t.name)?.get(p.partitionIndex) ?? ErrorCode.UNKNOWN_SERVER_ERROR)
              : topicDenied.has(t.name)
                ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
                : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          // Producers before 2.0 do not retry COORDINATOR_LOAD_IN_PROGRESS here (KAFKA-7296).
          if (apiVersion < 2 && errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
            errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
          }
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      })),
    };
  },
});
