// The partition counts a planned topology runs with (Kafka Streams' RepartitionTopics and
// CopartitionedTopicsEnforcer), from the partition counts of its user topics: repartition topics
// take the largest count among the sources of the sub-topology that writes them (unless fixed),
// co-partition groups must agree (repartition topics in a group follow its user topics), each
// sub-topology runs one task per partition, and changelogs get one partition per task.
import type { InternalTopicSpec, TopologyPlan } from "../runtime-contract.ts";
import { TopologyError } from "./errors.ts";

export interface PartitionLayout {
  /** Task count of each sub-topology: the largest partition count among its source topics. */
  readonly subtopologyPartitions: ReadonlyMap<number, number>;
  /** Partition count of every topic the plan reads or creates. */
  readonly topicPartitions: ReadonlyMap<string, number>;
}

/**
 * Resolves partition counts and checks co-partitioning; throws a TopologyError naming the topics
 * and their counts when co-partitioned topics disagree or a source topic is unknown.
 */
export function resolvePartitions(
  plan: TopologyPlan,
  userTopicPartitions: ReadonlyMap<string, number>,
): PartitionLayout {
  const internal = new Map(plan.internalTopics.map((spec) => [spec.name, spec]));
  const counts = new Map<string, number>();
  const missing: string[] = [];
  const userTopics = [
    ...plan.subtopologies.flatMap((s) => s.sourceTopics.filter((topic) => !internal.has(topic))),
    ...plan.globalStores.map((g) => g.topic),
  ];
  for (const topic of userTopics) {
    const count = userTopicPartitions.get(topic);
    if (count === undefined || count <= 0) missing.push(topic);
    else counts.set(topic, count);
  }
  if (missing.length > 0)
    throw new TopologyError(`source topics are missing: ${[...new Set(missing)].sort().join(", ")}`);
  for (const spec of plan.internalTopics)
    if (typeof spec.partitions === "number") counts.set(spec.name, spec.partitions);

  /** With `knownOnly`, the largest count among the sources known so far (undefined if none is). */
  const sourceMax = (subtopologyId: number, knownOnly = false): number | undefined => {
    const subtopology = plan.subtopologies.find((s) => s.id === subtopologyId);
    if (subtopology === undefined) throw new TopologyError(`unknown sub-topology ${subtopologyId}`);
    let max = 0;
    for (const topic of subtopology.sourceTopics) {
      const count = counts.get(topic);
      if (count === undefined) {
        if (knownOnly) continue;
        return undefined;
      }
      max = Math.max(max, count);
    }
    return max > 0 ? max : undefined;
  };

  // Repartition topics fed by other repartition topics resolve over several rounds.
  let pending = plan.internalTopics.filter(
    (spec): spec is InternalTopicSpec & { partitions: { sameAsSubtopology: number } } =>
      spec.kind === "repartition" && typeof spec.partitions !== "number",
  );
  while (pending.length > 0) {
    const next = pending.filter((spec) => {
      const count = sourceMax(spec.partitions.sameAsSubtopology);
      if (count !== undefined) counts.set(spec.name, count);
      return count === undefined;
    });
    if (next.length === pending.length) {
      // Repartition topics feeding each other (a foreign-key join's registration and response
      // topics): as Kafka, take the largest count among the writer's sources known so far.
      const resolvable = next.find((spec) => sourceMax(spec.partitions.sameAsSubtopology, true) !== undefined);
      if (resolvable === undefined) {
        throw new TopologyError(
          `cannot resolve the partitions of ${next.map((spec) => spec.name).join(", ")} (a cycle?)`,
        );
      }
      counts.set(resolvable.name, sourceMax(resolvable.partitions.sameAsSubtopology, true) as number);
      pending = next.filter((spec) => spec !== resolvable);
      continue;
    }
    pending = next;
  }

  for (const subtopology of plan.subtopologies) {
    for (const group of subtopology.copartitionGroups) {
      const anchors = group.filter(
        (topic) => typeof internal.get(topic)?.partitions === "number" || !internal.has(topic),
      );
      const target =
        anchors.length > 0
          ? (counts.get(anchors[0] as string) as number)
          : Math.max(...group.map((t) => counts.get(t) ?? 0));
      if (anchors.some((topic) => counts.get(topic) !== target)) {
        throw new TopologyError(
          `topics not co-partitioned: ${group.map((topic) => `${topic} (${counts.get(topic)} partitions)`).join(", ")}.` +
            ` Sub-topology ${subtopology.id} reads them together (a join or co-partitioned sources), so they need the` +
            ` same number of partitions: repartition one side to the other's count`,
        );
      }
      for (const topic of group) if (!anchors.includes(topic)) counts.set(topic, target);
    }
  }

  const subtopologyPartitions = new Map<number, number>();
  for (const subtopology of plan.subtopologies)
    subtopologyPartitions.set(subtopology.id, sourceMax(subtopology.id) ?? 0);
  for (const spec of plan.internalTopics) {
    if (spec.kind === "changelog" && typeof spec.partitions !== "number") {
      counts.set(spec.name, subtopologyPartitions.get(spec.partitions.sameAsSubtopology) ?? 0);
    }
  }
  return { subtopologyPartitions, topicPartitions: counts };
}
