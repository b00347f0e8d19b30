// DeleteTopics: by name (v1+) or, from v6, by name or topic id, with Kafka's checks for duplicates
// and for entries that give both or neither. Deleted topics' data goes at once.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { DeleteTopicsResponseDeletableTopicResult, Input } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { TopicError } from "../storage/log-manager.ts";
import { errorCodeOf, topicById, zeroUuid } from "../topics.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

type Result = Input<DeleteTopicsResponseDeletableTopicResult>;

/** How often each item occurs, in first-seen order. */
function countOf(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

export const deleteTopicsHandler = defineHandler({
  apiKey: ApiKey.DeleteTopics,
  // v0 was removed in Kafka 4.
  versions: { min: 1, max: 6 },
  async handle(context, request) {
    const { broker } = context;
    const responses: Result[] = [];
    const answer = (name: string | null, topicId: string, errorCode: number, errorMessage: string | null): void => {
      responses.push({ name, topicId, errorCode, errorMessage });
    };
    // Before v6 only names; from v6 each entry has a name or an id.
    const entries =
      context.apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: zeroUuid }));
    const names: string[] = [];
    const ids: string[] = [];
    for (const entry of entries) {
      if (entry.name === null) {
        if (entry.topicId === zeroUuid) {
          answer(null, zeroUuid, ErrorCode.INVALID_REQUEST, "Neither topic name nor id were specified.");
        } else ids.push(entry.topicId);
      } else if (entry.topicId === zeroUuid) {
        names.push(entry.name);
      } else {
        answer(
          entry.name,
          entry.topicId,
          ErrorCode.INVALID_REQUEST,
          "You may not specify both topic name and topic id.",
        );
      }
    }
    const nameCounts = countOf(names);
    const idCounts = countOf(ids);
    for (const [name, count] of nameCounts) {
      if (count > 1) answer(name, zeroUuid, ErrorCode.INVALID_REQUEST, "Duplicate topic name.");
    }
    for (const [id, count] of idCounts) {
      if (count > 1) answer(null, id, ErrorCode.INVALID_REQUEST, "Duplicate topic id.");
    }
    // Resolve what to delete: ids to names first, then names (a name whose id was also given is refused).
    const toDelete = new Map<string, string>(); // topic id → name
    for (const [id, count] of idCounts) {
      if (count > 1) continue;
      const topic = topicById(broker, id);
      if (topic === undefined) answer(null, id, ErrorCode.UNKNOWN_TOPIC_ID, `Unknown topic id ${id}`);
      else if (!allowedOnTopic(context, Operation.DELETE, topic.name))
        answer(null, id, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
      else toDelete.set(id, topic.name);
    }
    for (const [name, count] of nameCounts) {
      if (count > 1) continue;
      const topic = broker.logs.topic(name);
      if (!allowedOnTopic(context, Operation.DELETE, name)) {
        answer(name, zeroUuid, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
      } else if (topic === undefined) {
        answer(name, zeroUuid, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic ${name}`);
      } else if (toDelete.has(topic.topicId)) {
        toDelete.delete(topic.topicId);
        const message = "The provided topic name maps to an ID that was already supplied.";
        answer(null, topic.topicId, ErrorCode.INVALID_REQUEST, message);
        answer(name, topic.topicId, ErrorCode.INVALID_REQUEST, message);
      } else toDelete.set(topic.topicId, name);
    }
    for (const [topicId, name] of toDelete) {
      try {
        await broker.logs.deleteTopic(name);
        broker.logger.log("info", "topic deleted", { topic: name });
        answer(name, topicId, 0, null);
      } catch (error) {
        if (!(error instanceof TopicError)) throw error;
        // Deleted by a concurrent request in the meantime.
        answer(name, topicId, errorCodeOf(error), error.message);
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
