// Topology.plan(applicationId): what a runner needs to run the topology (runtime-contract.ts) —
// sub-topologies with their source topics and co-partition groups, the internal topics to create
// (`<appId>-<name>-repartition`, `<appId>-<store>-changelog`), global stores — and the factories
// of its tasks.
import { stderrJsonLogger } from "../logger.ts";
import type { TaskId } from "../processor.ts";
import type {
  GlobalStorePlan,
  GlobalTask,
  InternalTopicSpec,
  SubtopologyPlan,
  TaskEnvironment,
  TopologyPlan,
  TopologyTask,
} from "../runtime-contract.ts";
import type { StateStore } from "../state/store.ts";
import { TopologyError } from "./errors.ts";
import { GlobalStateTask } from "./global-task.ts";
import type { InternalTopologyBuilder } from "./internal-builder.ts";
import type { PlanOptions } from "./plan-options.ts";
import { createRecordReader } from "./record-reader.ts";
import { StreamTask } from "./stream-task.ts";

export function planTopology(
  builder: InternalTopologyBuilder,
  applicationId: string,
  options: PlanOptions = {},
): TopologyPlan {
  if (applicationId.length === 0) throw new TopologyError("the application id must not be empty");
  const decorate = (topic: string): string => (builder.internalTopics.has(topic) ? `${applicationId}-${topic}` : topic);
  const groups = builder.nodeGroups();
  const appConfigs = options.appConfigs ?? {};
  const reader = createRecordReader(
    options.deserializationErrorHandler ?? "log-and-fail",
    options.logger ?? stderrJsonLogger,
  );

  const subtopologies: SubtopologyPlan[] = [];
  const writers = new Map<string, number>();
  const readers = new Set<string>();
  const changelogs: InternalTopicSpec[] = [];
  for (const group of groups) {
    if (group.global) continue;
    const sourceTopics: string[] = [];
    const sourceNames = new Set<string>();
    for (const name of group.nodes) {
      const node = builder.nodes.get(name);
      if (node?.kind === "source") {
        sourceNames.add(name);
        for (const topic of node.topics) {
          sourceTopics.push(decorate(topic));
          readers.add(topic);
        }
      } else if (node?.kind === "sink" && typeof node.topic === "string" && builder.internalTopics.has(node.topic)) {
        if (!writers.has(node.topic)) writers.set(node.topic, group.id);
      }
    }
    const copartitionGroups = builder.copartitionGroups
      .filter((sources) => sources.some((source) => sourceNames.has(source)))
      .map((sources) => {
        const topics = new Set<string>();
        for (const source of sources) {
          const node = builder.nodes.get(source);
          if (node?.kind !== "source") continue;
          if (!sourceNames.has(source)) {
            throw new TopologyError(`co-partitioned sources ${sources.join(", ")} must belong to one sub-topology`);
          }
          for (const topic of node.topics) topics.add(decorate(topic));
        }
        return [...topics];
      });
    subtopologies.push({ id: group.id, sourceTopics, copartitionGroups });
    for (const storeName of builder.storesOf(group)) {
      const entry = builder.stores.get(storeName);
      if (entry === undefined || !entry.builder.logged) continue;
      changelogs.push({
        name: `${applicationId}-${storeName}-changelog`,
        kind: "changelog",
        partitions: { sameAsSubtopology: group.id },
        configs: entry.builder.changelogConfigs,
      });
    }
  }

  const internalTopics: InternalTopicSpec[] = [];
  for (const [topic, entry] of builder.internalTopics) {
    if (!readers.has(topic)) throw new TopologyError(`repartition topic ${topic} is not read by any source`);
    const writer = writers.get(topic);
    if (writer === undefined) throw new TopologyError(`repartition topic ${topic} is not written by any sink`);
    internalTopics.push({
      name: decorate(topic),
      kind: "repartition",
      partitions: entry.partitions ?? { sameAsSubtopology: writer },
      configs: {},
    });
  }
  internalTopics.push(...changelogs);

  const globalStores: GlobalStorePlan[] = [...builder.globalStores.values()].map((entry) => ({
    topic: entry.topic,
    storeName: entry.storeName,
  }));
  let globalTask: GlobalStateTask | undefined;

  return {
    applicationId,
    subtopologies,
    internalTopics,
    globalStores,
    createTask(id: TaskId, env: TaskEnvironment): TopologyTask {
      const group = groups.find((candidate) => candidate.id === id.subtopology && !candidate.global);
      if (group === undefined) throw new TopologyError(`there is no sub-topology ${id.subtopology}`);
      if (!Number.isInteger(id.partition) || id.partition < 0) throw new TopologyError(`bad partition ${id.partition}`);
      return new StreamTask(id, env, {
        builder,
        group,
        applicationId,
        reader,
        appConfigs,
        decorate,
        globalStore: (name: string): StateStore | undefined => globalTask?.store(name),
      });
    },
    createGlobalTask(env: Omit<TaskEnvironment, "requestCommit">): GlobalTask | undefined {
      if (builder.globalStores.size === 0) return undefined;
      globalTask = new GlobalStateTask({ builder, applicationId, env, reader, appConfigs });
      return globalTask;
    },
  };
}
