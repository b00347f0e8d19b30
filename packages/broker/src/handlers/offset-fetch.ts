// OffsetFetch: a group's committed offsets (v0-7), or several groups' at once (v8+); all of a
// group's offsets when no topics are named. With requireStable (v7+), a partition whose offset a
// transaction has yet to commit or abort answers UNSTABLE_OFFSET_COMMIT (the consumer retries).
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnGroup, allowedOnTopic } from "../security/acl-authorizer.ts";
import type { RequestContext } from "../context.ts";
import type { FetchedOffsets, GroupCoordinator } from "../coordinator/group-coordinator.ts";

/**
 * The coordinator's answer as the request may see it: DESCRIBE on the group, and on each topic —
 * a topic asked for by name gets TOPIC_AUTHORIZATION_FAILED, one listed because all were asked
 * for is left out (security/acl-authorizer.ts).
 */
function fetchAuthorized(
  context: RequestContext,
  request: Parameters<GroupCoordinator["fetchOffsets"]>[0],
): FetchedOffsets {
  if (!allowedOnGroup(context, Operation.DESCRIBE, request.groupId)) {
    return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  }
  const fetched = context.broker.groupCoordinator.fetchOffsets(request);
  if (!context.broker.authorizer.enabled) return fetched;
  const mayDescribe = (topic: string): boolean => allowedOnTopic(context, Operation.DESCRIBE, topic);
  if (request.topics === null) return { ...fetched, topics: fetched.topics.filter((t) => mayDescribe(t.name)) };
  return {
    ...fetched,
    topics: fetched.topics.map((t) =>
      mayDescribe(t.name)
        ? t
        : {
            name: t.name,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              committedOffset: -1n,
              committedLeaderEpoch: -1,
              metadata: "",
              errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            })),
          },
    ),
  };
}

export const offsetFetchHandler = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  // Kafka 4 removed v0 (KIP-896) and serves up to v10 (newer than this protocol layer).
  versions: { min: 1, max: 9 },
  handle(context, request) {
    const { apiVersion } = context;
    if (apiVersion >= 8) {
      return Promise.resolve({
        throttleTimeMs: 0,
        groups: request.groups.map((g) => {
          const fetched = fetchAuthorized(context, {
            groupId: g.groupId,
            topics: g.topics,
            requireStable: request.requireStable,
            // v9+: consumer group members say who they are (null and -1 otherwise).
            memberId: g.memberId,
            memberEpoch: g.memberEpoch,
          });
          return { groupId: g.groupId, errorCode: fetched.errorCode, topics: fetched.topics };
        }),
      });
    }
    const fetched = fetchAuthorized(context, {
      groupId: request.groupId,
      topics: request.topics,
      requireStable: request.requireStable,
    });
    if (fetched.errorCode !== 0 && apiVersion < 2) {
      // v1 has no group-level error: every requested partition carries it.
      return Promise.resolve({
        throttleTimeMs: 0,
        errorCode: 0,
        topics: (request.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: "",
            errorCode: fetched.errorCode,
          })),
        })),
      });
    }
    return Promise.resolve({ throttleTimeMs: 0, errorCode: fetched.errorCode, topics: fetched.topics });
  },
});
