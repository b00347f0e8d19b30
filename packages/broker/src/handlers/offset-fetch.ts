// OffsetFetch: a group's committed offsets (v0-7), or several groups' at once (v8+); all of a
// group's offsets when no topics are named. With requireStable (v7+), a partition whose offset a
// transaction has yet to commit or abort answers UNSTABLE_OFFSET_COMMIT (the consumer retries).
import { ApiKey } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const offsetFetchHandler = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  // Kafka 4 removed v0 (KIP-896) and serves up to v10 (newer than this protocol layer).
  versions: { min: 1, max: 9 },
  handle(context, request) {
    const { broker, apiVersion } = context;
    const coordinator = broker.groupCoordinator;
    if (apiVersion >= 8) {
      return Promise.resolve({
        throttleTimeMs: 0,
        groups: request.groups.map((g) => {
          const fetched = coordinator.fetchOffsets({
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
    const fetched = coordinator.fetchOffsets({
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
