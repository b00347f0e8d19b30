// OffsetDelete: removes a group's committed offsets for topics its members do not subscribe to
// (tombstones in __consumer_offsets, written durably).
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTopic } from "../security/acl-authorizer.ts";

export const offsetDeleteHandler = defineHandler({
  apiKey: ApiKey.OffsetDelete,
  versions: { min: 0, max: 0 },
  async handle(context, request) {
    const { broker } = context;
    const exists = (topic: string, partition: number): boolean => {
      const meta = broker.logs.topic(topic);
      return meta !== undefined && partition >= 0 && partition < meta.partitions;
    };
    // DELETE on the group, READ on each topic (security/acl-authorizer.ts).
    if (!allowedOnGroup(context, Operation.DELETE, request.groupId)) {
      return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    }
    const topicDenied = new Set(
      request.topics.filter((t) => !allowedOnTopic(context, Operation.READ, t.name)).map((t) => t.name),
    );
    const known = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions
        .map((p) => p.partitionIndex)
        .filter((p) => !topicDenied.has(t.name) && exists(t.name, p)),
    }));
    const result = await broker.groupCoordinator.deleteOffsets(request.groupId, known);
    if (result.errorCode !== 0) return { errorCode: result.errorCode, throttleTimeMs: 0, topics: [] };
    return {
      errorCode: 0,
      throttleTimeMs: 0,
      topics: request.topics.map((t, i) => {
        const answers = result.topics[i]?.partitions ?? [];
        let next = 0;
        return {
          name: t.name,
          partitions: t.partitions.map((p) =>
            topicDenied.has(t.name)
              ? { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }
              : exists(t.name, p.partitionIndex)
                ? (answers[next++] ?? { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR })
                : { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
          ),
        };
      }),
    };
  },
});
