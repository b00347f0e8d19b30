// OffsetCommit: partitions of unknown topics are refused here; the coordinator checks the group
// (generation, member) and writes the rest to __consumer_offsets durably before answering.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { OffsetCommitRequestTopic } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTopic } from "../security/acl-authorizer.ts";

function partitionExists(broker: BrokerState, topic: string, partition: number): boolean {
  const meta = broker.logs.topic(topic);
  return meta !== undefined && partition >= 0 && partition < meta.partitions;
}

export const offsetCommitHandler = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  // Kafka 4 removed v0-1 (KIP-896) and serves up to v10 (newer than this protocol layer).
  versions: { min: 2, max: 9 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    // READ on the group, then on each topic (security/acl-authorizer.ts).
    const groupDenied = !allowedOnGroup(context, Operation.READ, request.groupId);
    const topicDenied = new Set(
      request.topics.filter((t) => !allowedOnTopic(context, Operation.READ, t.name)).map((t) => t.name),
    );
    const known: OffsetCommitRequestTopic[] = request.topics.map((t) => ({
      ...t,
      partitions: t.partitions.filter(
        (p) => !groupDenied && !topicDenied.has(t.name) && partitionExists(broker, t.name, p.partitionIndex),
      ),
    }));
    const committed = known.some((t) => t.partitions.length > 0)
      ? await broker.groupCoordinator.commitOffsets({
          groupId: request.groupId,
          generationIdOrMemberEpoch: request.generationIdOrMemberEpoch,
          memberId: request.memberId,
          groupInstanceId: request.groupInstanceId,
          retentionTimeMs: Number(request.retentionTimeMs),
          topics: known,
          apiVersion,
        })
      : [];
    // Answers in request order: the coordinator's for known partitions, UNKNOWN_TOPIC_OR_PARTITION else.
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t, i) => {
        const answers = committed[i]?.partitions ?? [];
        let next = 0;
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            if (groupDenied)
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
            if (topicDenied.has(t.name)) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            }
            if (!partitionExists(broker, t.name, p.partitionIndex)) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            }
            return answers[next++] ?? { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
          }),
        };
      }),
    };
  },
});
