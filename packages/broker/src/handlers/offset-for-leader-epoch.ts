// OffsetForLeaderEpoch: the end offset of a leader epoch, which clients use to detect truncation.
// This node has led every partition since it was created, in leader epoch 0 — the only epoch.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { Input, OffsetForLeaderEpochResponseEpochEndOffset } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

/** The partitions' leader epoch; Metadata reports the same. */
const leaderEpoch = 0;
/** "No epoch given" (RecordBatch.NO_PARTITION_LEADER_EPOCH) and the undefined epoch and offset. */
const noEpoch = -1;

type Result = Input<OffsetForLeaderEpochResponseEpochEndOffset>;

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  // v0–1 were removed in Kafka 4.
  versions: { min: 2, max: 4 },
  handle(context, request) {
    const { logs } = context.broker;
    const topics = request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p): Result => {
        const answer = (errorCode: number, epoch: number, endOffset: number): Result => ({
          errorCode,
          partition: p.partition,
          leaderEpoch: epoch,
          endOffset: BigInt(endOffset),
        });
        if (!allowedOnTopic(context, Operation.DESCRIBE, t.topic)) {
          return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, noEpoch, -1);
        }
        const log = logs.log(t.topic, p.partition);
        if (log === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, noEpoch, -1);
        // The client's view of the current epoch: older is fenced, newer is not known here yet.
        if (p.currentLeaderEpoch !== noEpoch) {
          if (p.currentLeaderEpoch < leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH, noEpoch, -1);
          if (p.currentLeaderEpoch > leaderEpoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH, noEpoch, -1);
        }
        // Kafka's leader epoch cache holding the single entry (epoch 0, log start offset): the
        // latest epoch ends at the log end offset; an epoch below it ends where epoch 0 starts;
        // a later or undefined epoch is unknown.
        if (p.leaderEpoch === leaderEpoch) return answer(0, leaderEpoch, log.logEndOffset);
        if (p.leaderEpoch < noEpoch) return answer(0, p.leaderEpoch, log.logStartOffset);
        return answer(0, noEpoch, -1);
      }),
    }));
    return Promise.resolve({ throttleTimeMs: 0, topics });
  },
});
