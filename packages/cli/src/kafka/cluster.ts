// Cluster look-ups the commands share, over the client library's Admin: a topic's partitions and
// leaders (a clear "does not exist" instead of a protocol error), offsets by time or by
// earliest/latest, and turning a command-line position into a start offset per partition.
import type { Admin, ClusterMetadata } from "@platformatic/kafka";
import { describeFailure, kafkaErrorNames, NotFoundError } from "../framework/errors.ts";
import type { Position } from "../framework/positions.ts";

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  readonly id: string;
  readonly partitions: readonly PartitionInfo[];
}

export const earliest = -2n;
export const latest = -1n;

export async function clusterMetadata(admin: Admin, topics: readonly string[]): Promise<ClusterMetadata> {
  try {
    return await admin.metadata({ topics: [...topics], forceUpdate: true, autocreateTopics: false });
  } catch (error) {
    // The client library reports an unknown topic as a UserError "Unknown topic NAME." (no code).
    const unknown = error instanceof Error && /^Unknown topic /.test(error.message);
    if (
      unknown ||
      kafkaErrorNames(error).some((n) => n === "UNKNOWN_TOPIC_OR_PARTITION" || n === "INVALID_TOPIC_EXCEPTION")
    ) {
      throw new NotFoundError(
        topics.length === 1 ? `topic ${JSON.stringify(topics[0])} does not exist` : `a topic does not exist`,
        "'samsa topic list' shows the topics",
      );
    }
    throw describeFailure(error, `reading the metadata of ${topics.join(", ")}`);
  }
}

export async function topicInfo(admin: Admin, topic: string): Promise<TopicInfo> {
  const metadata = await clusterMetadata(admin, [topic]);
  const found = metadata.topics.get(topic);
  if (found === undefined)
    throw new NotFoundError(`topic ${JSON.stringify(topic)} does not exist`, "'samsa topic list' shows the topics");
  return {
    name: topic,
    id: found.id,
    partitions: found.partitions.map((p, partition) => ({
      partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    })),
  };
}

/** Checks that the partitions exist in the topic; returns them sorted (all when none given). */
export function selectPartitions(topic: TopicInfo, wanted: readonly number[]): number[] {
  if (wanted.length === 0) return topic.partitions.map((p) => p.partition);
  for (const p of wanted) {
    if (p < 0 || p >= topic.partitions.length)
      throw new NotFoundError(
        `topic ${JSON.stringify(topic.name)} has no partition ${p} (it has ${topic.partitions.length}: 0-${topic.partitions.length - 1})`,
      );
  }
  return [...new Set(wanted)].sort((a, b) => a - b);
}

/**
 * ListOffsets for partitions of a topic: `timestamp` is -2 (earliest), -1 (latest) or a time in
 * ms, which gives the first offset whose timestamp is at or after it (-1 when there is none).
 */
export async function listOffsets(
  admin: Admin,
  topic: string,
  partitions: readonly number[],
  timestamp: bigint,
  isolationLevel: 0 | 1 = 0,
): Promise<Map<number, bigint>> {
  try {
    const answer = await admin.listOffsets({
      topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      isolationLevel,
    });
    const offsets = new Map<number, bigint>();
    for (const t of answer) for (const p of t.partitions) offsets.set(p.partitionIndex, p.offset);
    return offsets;
  } catch (error) {
    throw describeFailure(error, `listing offsets of ${topic}`);
  }
}

/** The first offset to read in each partition for a position (a time past the end gives the end). */
export async function startOffsets(
  admin: Admin,
  topic: string,
  partitions: readonly number[],
  position: Position,
  isolationLevel: 0 | 1,
): Promise<Map<number, bigint>> {
  switch (position.kind) {
    case "beginning":
      return listOffsets(admin, topic, partitions, earliest, isolationLevel);
    case "end":
      return listOffsets(admin, topic, partitions, latest, isolationLevel);
    case "offset": {
      // Clamped into [log start, end]: reading from before the log start is not an error.
      const [starts, ends] = await Promise.all([
        listOffsets(admin, topic, partitions, earliest, isolationLevel),
        listOffsets(admin, topic, partitions, latest, isolationLevel),
      ]);
      return new Map(
        partitions.map((p) => {
          const start = starts.get(p) ?? 0n;
          const end = ends.get(p) ?? 0n;
          const offset = position.offset < start ? start : position.offset > end ? end : position.offset;
          return [p, offset];
        }),
      );
    }
    case "timestamp": {
      const [byTime, ends] = await Promise.all([
        listOffsets(admin, topic, partitions, BigInt(position.timestampMs), isolationLevel),
        listOffsets(admin, topic, partitions, latest, isolationLevel),
      ]);
      return new Map(
        partitions.map((p) => {
          const found = byTime.get(p) ?? -1n;
          return [p, found < 0n ? (ends.get(p) ?? 0n) : found];
        }),
      );
    }
  }
}

export const topicResource = 2; // ConfigResourceType TOPIC

const configSources: Readonly<Record<number, string>> = {
  0: "unknown",
  1: "topic",
  2: "dynamic-broker",
  3: "dynamic-default-broker",
  4: "static-broker",
  5: "default",
  6: "broker-logger",
  7: "client-metrics",
  8: "group",
};

export interface TopicConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: string;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

export async function topicConfigs(client: Admin, topic: string): Promise<TopicConfig[]> {
  try {
    const described = await client.describeConfigs({
      resources: [{ resourceType: topicResource, resourceName: topic, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    return (described[0]?.configs ?? [])
      .map((c) => ({
        name: c.name,
        value: c.isSensitive ? null : (c.value ?? null),
        source: configSources[c.configSource] ?? String(c.configSource),
        readOnly: c.readOnly,
        sensitive: c.isSensitive,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    throw describeFailure(error, `describing the configs of ${JSON.stringify(topic)}`);
  }
}
