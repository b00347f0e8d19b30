// DeleteRecords: moves partitions' log start offsets forward (offset -1 means the high
// watermark), deleting whole segments below them; the new start offsets are checkpointed before
// the answer. Compacted-only topics refuse it, as in Kafka.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { DeleteRecordsResponsePartitionResult, Input } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

/** DeleteRecordsRequest.HIGH_WATERMARK: delete everything the consumers can see. */
const highWatermark = -1n;

type PartitionResult = Input<DeleteRecordsResponsePartitionResult>;

export const deleteRecordsHandler = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  versions: { min: 0, max: 2 },
  async handle(context, request) {
    const { logs } = context.broker;
    const topics = [];
    for (const topic of request.topics) {
      const partitions: PartitionResult[] = [];
      for (const p of topic.partitions) {
        // Kafka answers -1 (no low watermark) with every error.
        const failed = (errorCode: number): PartitionResult => ({
          partitionIndex: p.partitionIndex,
          lowWatermark: -1n,
          errorCode,
        });
        if (!allowedOnTopic(context, Operation.DELETE, topic.name)) {
          partitions.push(failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        const log = logs.log(topic.name, p.partitionIndex);
        if (log === undefined) {
          partitions.push(failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          continue;
        }
        const { cleanupPolicy } = log.config;
        if (cleanupPolicy.compact && !cleanupPolicy.delete) {
          partitions.push(failed(ErrorCode.POLICY_VIOLATION));
          continue;
        }
        const offset = p.offset === highWatermark ? BigInt(log.highWatermark) : p.offset;
        // Beyond the high watermark (checked by the log) or negative: out of range.
        if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
          partitions.push(failed(ErrorCode.OFFSET_OUT_OF_RANGE));
          continue;
        }
        const result = await logs.deleteRecords(topic.name, p.partitionIndex, Number(offset));
        partitions.push(
          result.errorCode === 0
            ? { partitionIndex: p.partitionIndex, lowWatermark: BigInt(result.logStartOffset), errorCode: 0 }
            : failed(result.errorCode),
        );
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
