// Internal topics (Kafka Streams' InternalTopicManager): the partition counts the topology needs
// (resolved by the topology's own resolver, shared with the test driver), the configs internal
// topics are created with, and their creation and checking through the admin client.
import type { Admin } from "@platformatic/kafka";
import type { InternalTopicSpec, TopologyPlan } from "../runtime-contract.ts";
import { TopologyError } from "../topology/errors.ts";
import { resolvePartitions } from "../topology/partitions.ts";
import type { PartitionLayout } from "../topology/partitions.ts";
import { StreamsError, errorMessage } from "./errors.ts";

export type TopicLayout = PartitionLayout;

/** Kafka Streams' library defaults, under the application's `topicConfigs` and the topology's own configs. */
const repartitionDefaults: Readonly<Record<string, string>> = {
  "cleanup.policy": "delete",
  "segment.bytes": "52428800",
  "retention.ms": "-1",
};
const changelogDefaults: Readonly<Record<string, string>> = {
  "cleanup.policy": "compact",
  "message.timestamp.type": "CreateTime",
};

export function internalTopicConfigs(
  spec: InternalTopicSpec,
  applicationOverrides: Readonly<Record<string, string>>,
): Record<string, string> {
  const defaults = spec.kind === "repartition" ? repartitionDefaults : changelogDefaults;
  return { ...defaults, ...applicationOverrides, ...spec.configs };
}

/**
 * Partition counts of every topic and task counts (the topology's resolver: repartition topics
 * from their writers, co-partition groups enforced, changelogs one partition per task), after
 * checking that the user topics exist; both failures are StreamsErrors with a code.
 */
export function resolveTopicLayout(plan: TopologyPlan, userTopicPartitions: ReadonlyMap<string, number>): TopicLayout {
  const internal = new Set(plan.internalTopics.map((spec) => spec.name));
  const missing = [
    ...new Set([
      ...plan.subtopologies.flatMap((subtopology) => subtopology.sourceTopics.filter((topic) => !internal.has(topic))),
      ...plan.globalStores.map((store) => store.topic),
    ]),
  ]
    .filter((topic) => (userTopicPartitions.get(topic) ?? 0) <= 0)
    .sort();
  if (missing.length > 0)
    throw new StreamsError("MISSING_SOURCE_TOPIC", `source topics do not exist: ${missing.join(", ")}`, {
      retriable: true,
    });
  try {
    return resolvePartitions(plan, userTopicPartitions);
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    const code = /co-partitioned/.test(error.message) ? "NOT_COPARTITIONED" : "INVALID_TOPOLOGY";
    throw new StreamsError(code, error.message, { cause: error });
  }
}

/** The partition counts of the topics that exist among `topics` (absent: the topic does not exist). */
export async function describePartitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const wanted = new Set(topics);
  const existing = (await admin.listTopics({ includeInternals: false })).filter((topic) => wanted.has(topic));
  const counts = new Map<string, number>();
  if (existing.length === 0) return counts;
  const metadata = await admin.metadata({ topics: existing, forceUpdate: true });
  for (const topic of existing) {
    const described = metadata.topics.get(topic);
    if (described !== undefined) counts.set(topic, described.partitionsCount);
  }
  return counts;
}

function isTopicExistsError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown): boolean => {
    if (typeof value !== "object" || value === null || seen.has(value)) return false;
    seen.add(value);
    const record = value as { apiId?: unknown; errors?: unknown; cause?: unknown };
    if (record.apiId === "TOPIC_ALREADY_EXISTS") return true;
    if (Array.isArray(record.errors) && record.errors.some(visit)) return true;
    return visit(record.cause);
  };
  return visit(error);
}

/**
 * Creates the internal topics that do not exist (with their partition counts and configs) and
 * checks that those that exist have the partition count the topology needs.
 */
export async function ensureInternalTopics(options: {
  readonly admin: Admin;
  readonly plan: TopologyPlan;
  readonly layout: TopicLayout;
  readonly replicationFactor: number;
  readonly topicConfigs: Readonly<Record<string, string>>;
}): Promise<void> {
  const { admin, plan, layout } = options;
  const names = plan.internalTopics.map((spec) => spec.name);
  const existing = await describePartitionCounts(admin, names);
  for (const spec of plan.internalTopics) {
    const partitions = layout.topicPartitions.get(spec.name) ?? 0;
    const current = existing.get(spec.name);
    if (current === undefined) {
      const configs = Object.entries(internalTopicConfigs(spec, options.topicConfigs)).map(([name, value]) => ({
        name,
        value,
      }));
      try {
        // One request per topic: the client library takes configs per request, not per topic.
        await admin.createTopics({ topics: [spec.name], partitions, replicas: options.replicationFactor, configs });
        continue;
      } catch (error) {
        // Another instance of the application created it first: check it like any existing topic.
        if (!isTopicExistsError(error))
          throw new StreamsError(
            "INVALID_TOPOLOGY",
            `cannot create internal topic ${spec.name}: ${errorMessage(error)}`,
            {
              cause: error,
            },
          );
      }
      const raced = (await describePartitionCounts(admin, [spec.name])).get(spec.name);
      if (raced !== undefined && raced !== partitions)
        throw new StreamsError(
          "INTERNAL_TOPIC_MISMATCH",
          `internal topic ${spec.name} has ${raced} partitions, the topology needs ${partitions}`,
        );
    } else if (current !== partitions) {
      throw new StreamsError(
        "INTERNAL_TOPIC_MISMATCH",
        `internal topic ${spec.name} has ${current} partitions, the topology needs ${partitions} (delete it, or reset the application)`,
      );
    }
  }
}
