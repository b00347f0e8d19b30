// AddPartitionsToTxn: adds partitions to a producer's transaction (v0–3, from clients), or, in the
// batched form of v4+ (sent by brokers, and by tools), adds or only verifies them for several
// transactional ids at once. Unknown partitions fail the whole request for that transaction:
// they get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as in Kafka.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { AddPartitionsToTxnRequestTopic, AddPartitionsToTxnResponseTopicResult, Input } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { RequestContext } from "../context.ts";
import type { TxnPartition } from "../coordinator/transaction-coordinator.ts";
import { isInternalTopic, partitionExists } from "../topics.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnCluster, allowedOnTopic, allowedOnTransactionalId } from "../security/acl-authorizer.ts";

type TopicResult = Input<AddPartitionsToTxnResponseTopicResult>;

function resultsFor(
  topics: readonly AddPartitionsToTxnRequestTopic[],
  errorOf: (topic: string, partition: number) => number,
): TopicResult[] {
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({
      partitionIndex,
      partitionErrorCode: errorOf(t.name, partitionIndex),
    })),
  }));
}

async function addOrVerify(
  context: RequestContext,
  txn: { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean },
  topics: readonly AddPartitionsToTxnRequestTopic[],
): Promise<TopicResult[]> {
  const { broker } = context;
  // WRITE on the transactional id and on each topic (security/acl-authorizer.ts).
  if (!allowedOnTransactionalId(context, Operation.WRITE, txn.transactionalId)) {
    return resultsFor(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  const deniedTopics = new Set(
    topics.filter((t) => !allowedOnTopic(context, Operation.WRITE, t.name)).map((t) => t.name),
  );
  if (deniedTopics.size > 0) {
    return resultsFor(topics, (topic) =>
      deniedTopics.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED,
    );
  }
  // Internal topics take part only through AddOffsetsToTxn.
  const refused = (topic: string, partition: number): boolean =>
    isInternalTopic(topic) || !partitionExists(broker, topic, partition);
  if (topics.some((t) => t.partitions.some((p) => refused(t.name, p)))) {
    return resultsFor(topics, (topic, partition) =>
      refused(topic, partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
    );
  }
  const coordinator = broker.transactionCoordinator;
  if (txn.verifyOnly) {
    return resultsFor(topics, (topic, partition) => coordinator.verifyPartition({ ...txn, topic, partition }));
  }
  const partitions: TxnPartition[] = topics.flatMap((t) =>
    t.partitions.map((partition) => ({ topic: t.name, partition })),
  );
  let errorCode = await coordinator.addPartitions({ ...txn, partitions });
  // Clients before v2 do not know PRODUCER_FENCED.
  if (context.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return resultsFor(topics, () => errorCode);
}

export const addPartitionsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  versions: { min: 0, max: 5 },
  async handle(context, request) {
    if (context.apiVersion < 4) {
      const results = await addOrVerify(
        context,
        {
          transactionalId: request.v3AndBelowTransactionalId,
          producerId: request.v3AndBelowProducerId,
          producerEpoch: request.v3AndBelowProducerEpoch,
          verifyOnly: false,
        },
        request.v3AndBelowTopics,
      );
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results };
    }
    // v4+ comes from brokers verifying a transaction: CLUSTER_ACTION on the cluster.
    if (!allowedOnCluster(context, Operation.CLUSTER_ACTION)) {
      const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      return { throttleTimeMs: 0, errorCode, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
    }
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: await addOrVerify(context, t, t.topics),
      })),
    );
    return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
});
