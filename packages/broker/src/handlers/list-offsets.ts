// ListOffsets: earliest, latest (high watermark, or last stable offset for read_committed),
// max timestamp, and the first offset at or after a timestamp.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { Input, ListOffsetsResponsePartitionResponse } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;
const readCommitted = 1;

type PartitionResponse = Input<ListOffsetsResponsePartitionResponse>;

export const listOffsetsHandler = defineHandler({
  apiKey: ApiKey.ListOffsets,
  versions: { min: 1, max: 10 },
  async handle(context, request) {
    const { broker } = context;
    const topics = [];
    for (const t of request.topics) {
      const partitions: PartitionResponse[] = [];
      for (const p of t.partitions) {
        const base = { partitionIndex: p.partitionIndex, oldStyleOffsets: [] };
        const denied = !allowedOnTopic(context, Operation.DESCRIBE, t.name);
        const log = denied ? undefined : broker.logs.log(t.name, p.partitionIndex);
        if (log === undefined) {
          partitions.push({
            ...base,
            errorCode: denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            timestamp: -1n,
            offset: -1n,
            leaderEpoch: -1,
          });
          continue;
        }
        if (p.currentLeaderEpoch > 0) {
          partitions.push({
            ...base,
            errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH,
            timestamp: -1n,
            offset: -1n,
            leaderEpoch: -1,
          });
          continue;
        }
        const found = (offset: number, timestamp: bigint): PartitionResponse => ({
          ...base,
          errorCode: 0,
          timestamp,
          offset: BigInt(offset),
          leaderEpoch: 0,
        });
        const notFound: PartitionResponse = { ...base, errorCode: 0, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        const ts = p.timestamp;
        if (ts === LATEST) {
          partitions.push(
            found(request.isolationLevel === readCommitted ? log.lastStableOffset : log.highWatermark, -1n),
          );
        } else if (ts === EARLIEST || ts === EARLIEST_LOCAL) {
          partitions.push(found(log.logStartOffset, -1n));
        } else if (ts === MAX_TIMESTAMP) {
          const max = await log.maxTimestamp();
          partitions.push(max === undefined ? notFound : found(max.offset, BigInt(max.timestampMs)));
        } else if (ts === LATEST_TIERED) {
          partitions.push(notFound); // no tiered storage
        } else if (ts < 0n) {
          partitions.push({ ...notFound, errorCode: ErrorCode.INVALID_REQUEST });
        } else {
          const hit = await log.offsetForTimestamp(Number(ts));
          partitions.push(hit === undefined ? notFound : found(hit.offset, BigInt(hit.timestampMs)));
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
