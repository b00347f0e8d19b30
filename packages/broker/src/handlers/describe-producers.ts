// DescribeProducers: the producers a partition knows (idempotent and transactional, not yet
// expired), each with its epoch, last sequence and timestamp, the coordinator epoch of its last
// marker and the first offset of its ongoing transaction. kafka-transactions.sh describe-producers,
// find-hanging and abort read it. Errors as Kafka's: an invalid topic name
// INVALID_TOPIC_EXCEPTION, an unknown topic or partition UNKNOWN_TOPIC_OR_PARTITION.
import { ApiKey, ErrorCode, errorInfo } from "@samsa/protocol";
import type {
  DescribeProducersResponsePartitionResponse,
  DescribeProducersResponseProducerState,
  Input,
} from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import { TopicError } from "../storage/log-manager.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

type PartitionResponse = Input<DescribeProducersResponsePartitionResponse>;

/** The active producers of one partition, as Kafka's UnifiedLog.activeProducers reports them. */
function activeProducers(log: PartitionLog): Input<DescribeProducersResponseProducerState>[] {
  const out: Input<DescribeProducersResponseProducerState>[] = [];
  for (const entry of log.producerState.activeProducers()) {
    out.push({
      producerId: entry.producerId,
      producerEpoch: entry.epoch,
      lastSequence: entry.batches.at(-1)?.lastSeq ?? -1,
      lastTimestamp: BigInt(entry.lastTimestampMs),
      coordinatorEpoch: entry.coordinatorEpoch,
      currentTxnStartOffset: BigInt(entry.currentTxnFirstOffset ?? -1),
    });
  }
  return out;
}

export const describeProducersHandler = defineHandler({
  apiKey: ApiKey.DescribeProducers,
  versions: { min: 0, max: 0 },
  handle(context, request) {
    const { logs } = context.broker;
    const topics = request.topics.map((t) => {
      const invalid = logs.topic(t.name) === undefined ? logs.validateTopic(t.name, {}) : undefined;
      const topicError = !allowedOnTopic(context, Operation.READ, t.name)
        ? { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }
        : invalid instanceof TopicError
          ? { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: invalid.message }
          : logs.topic(t.name) === undefined
            ? {
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: errorInfo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message,
              }
            : undefined;
      const partitions = t.partitionIndexes.map((partitionIndex): PartitionResponse => {
        if (topicError !== undefined) return { partitionIndex, ...topicError, activeProducers: [] };
        const log = logs.log(t.name, partitionIndex);
        if (log === undefined) {
          // Kafka's ReplicaManager: a partition it does not host, with no message.
          return {
            partitionIndex,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: null,
            activeProducers: [],
          };
        }
        return { partitionIndex, errorCode: 0, errorMessage: null, activeProducers: activeProducers(log) };
      });
      return { name: t.name, partitions };
    });
    return Promise.resolve({ throttleTimeMs: 0, topics });
  },
});
