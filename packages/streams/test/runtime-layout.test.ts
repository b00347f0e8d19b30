// The runtime's pure parts: partition counts of internal topics and the co-partitioning check,
// internal topic configs, the task assignor, and the state machine.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TopologyPlan } from "../src/runtime-contract.ts";
import {
  assignTasks,
  decodeSubscriptionInfo,
  encodeSubscriptionInfo,
  partitionsToTasks,
  taskKey,
} from "../src/runtime/assignor.ts";
import { StreamsError } from "../src/runtime/errors.ts";
import { internalTopicConfigs, resolveTopicLayout } from "../src/runtime/internal-topics.ts";
import { StateMachine } from "../src/runtime/state.ts";

function plan(partial: Partial<TopologyPlan>): TopologyPlan {
  return {
    applicationId: "app",
    subtopologies: [],
    internalTopics: [],
    globalStores: [],
    createTask: () => {
      throw new Error("not used");
    },
    createGlobalTask: () => undefined,
    ...partial,
  };
}

describe("resolveTopicLayout", () => {
  test("the topology's resolver: repartition topics from their writers, changelogs from task counts", () => {
    const layout = resolveTopicLayout(
      plan({
        subtopologies: [
          { id: 0, sourceTopics: ["a", "b"], copartitionGroups: [] },
          { id: 1, sourceTopics: ["app-r-repartition"], copartitionGroups: [] },
        ],
        internalTopics: [
          { name: "app-r-repartition", kind: "repartition", partitions: { sameAsSubtopology: 0 }, configs: {} },
          { name: "app-s-changelog", kind: "changelog", partitions: { sameAsSubtopology: 1 }, configs: {} },
        ],
      }),
      new Map([
        ["a", 3],
        ["b", 5],
      ]),
    );
    assert.equal(layout.topicPartitions.get("app-r-repartition"), 5);
    assert.equal(layout.topicPartitions.get("app-s-changelog"), 5);
  });

  test("topics that must be co-partitioned but are not: a StreamsError naming them", () => {
    assert.throws(
      () =>
        resolveTopicLayout(
          plan({ subtopologies: [{ id: 0, sourceTopics: ["left", "right"], copartitionGroups: [["left", "right"]] }] }),
          new Map([
            ["left", 3],
            ["right", 4],
          ]),
        ),
      (error: unknown) =>
        error instanceof StreamsError &&
        error.code === "NOT_COPARTITIONED" &&
        /left \(3 partitions\), right \(4 partitions\)/.test(error.message),
    );
  });

  test("missing source topics are named", () => {
    assert.throws(
      () =>
        resolveTopicLayout(
          plan({ subtopologies: [{ id: 0, sourceTopics: ["x", "y"], copartitionGroups: [] }] }),
          new Map([["x", 1]]),
        ),
      (error: unknown) =>
        error instanceof StreamsError && error.code === "MISSING_SOURCE_TOPIC" && error.message.includes("y"),
    );
  });
});

test("internal topic configs: Kafka Streams' defaults, then the application's, then the topology's", () => {
  const changelog = internalTopicConfigs(
    { name: "c", kind: "changelog", partitions: 1, configs: { "min.compaction.lag.ms": "5" } },
    { "segment.ms": "1000" },
  );
  assert.deepEqual(changelog, {
    "cleanup.policy": "compact",
    "message.timestamp.type": "CreateTime",
    "segment.ms": "1000",
    "min.compaction.lag.ms": "5",
  });
  const windowed = internalTopicConfigs(
    {
      name: "w",
      kind: "changelog",
      partitions: 1,
      configs: { "cleanup.policy": "compact,delete", "retention.ms": "86400000" },
    },
    {},
  );
  assert.equal(windowed["cleanup.policy"], "compact,delete");
  const repartition = internalTopicConfigs({ name: "r", kind: "repartition", partitions: 1, configs: {} }, {});
  assert.deepEqual(repartition, { "cleanup.policy": "delete", "segment.bytes": "52428800", "retention.ms": "-1" });
});

describe("assignTasks", () => {
  const tasks = (subtopologies: number, partitions: number) =>
    Array.from({ length: subtopologies * partitions }, (_, i) => ({
      subtopology: Math.floor(i / partitions),
      partition: i % partitions,
    }));

  test("balanced: every member gets ⌊n/m⌋ or ⌈n/m⌉ tasks", () => {
    const members = ["a", "b", "c"].map((memberId) => ({ memberId, previousTasks: new Set<string>() }));
    const result = assignTasks(tasks(2, 4), members);
    const sizes = [...result.values()].map((assigned) => assigned.length).sort();
    assert.deepEqual(sizes, [2, 3, 3]);
    const all = [...result.values()].flat().map(taskKey).sort();
    assert.deepEqual(all, tasks(2, 4).map(taskKey).sort());
  });

  test("sticky: tasks stay with their previous owner while the balance allows", () => {
    const previous = new Set(tasks(1, 4).map(taskKey));
    const result = assignTasks(tasks(1, 4), [
      { memberId: "old", previousTasks: previous },
      { memberId: "new", previousTasks: new Set() },
    ]);
    assert.deepEqual(result.get("old")?.map(taskKey), ["0_0", "0_1"]);
    assert.deepEqual(result.get("new")?.map(taskKey), ["0_2", "0_3"]);
    const again = assignTasks(tasks(1, 4), [
      { memberId: "old", previousTasks: new Set(["0_0", "0_1"]) },
      { memberId: "new", previousTasks: new Set(["0_2", "0_3"]) },
    ]);
    assert.deepEqual(again.get("new")?.map(taskKey), ["0_2", "0_3"]);
  });

  test("a member's tasks come back from its topic-partitions, co-partitioned topics as one task", () => {
    const subtopologies = [
      { id: 0, sourceTopics: ["left", "right"], copartitionGroups: [["left", "right"]] },
      { id: 1, sourceTopics: ["other"], copartitionGroups: [] },
    ];
    const owned = partitionsToTasks(
      [
        { topic: "left", partitions: [1, 3] },
        { topic: "right", partitions: [1, 3] },
        { topic: "other", partitions: [0] },
      ],
      subtopologies,
    );
    assert.deepEqual(owned.map(taskKey), ["0_1", "0_3", "1_0"]);
  });

  test("subscription info round-trips; garbage decodes as no previous tasks", () => {
    assert.deepEqual(
      decodeSubscriptionInfo(encodeSubscriptionInfo({ version: 1, previousTasks: ["0_1"] })).previousTasks,
      ["0_1"],
    );
    assert.deepEqual(decodeSubscriptionInfo(Buffer.from("not json")).previousTasks, []);
  });
});

test("state machine: Kafka Streams' transitions, listeners, waiting", async () => {
  const errors: unknown[] = [];
  const machine = new StateMachine((error) => errors.push(error));
  const seen: string[] = [];
  machine.onChange((next, previous) => seen.push(`${previous}->${next}`));
  machine.onChange(() => {
    throw new Error("listener bug");
  });
  assert.equal(machine.transition("RUNNING"), false);
  const running = machine.waitFor((state) => state === "RUNNING", 1000);
  assert.equal(machine.transition("REBALANCING"), true);
  assert.equal(machine.transition("RUNNING"), true);
  assert.equal(await running, "RUNNING");
  assert.equal(machine.transition("PENDING_SHUTDOWN"), true);
  assert.equal(machine.transition("RUNNING"), false);
  assert.equal(machine.transition("NOT_RUNNING"), true);
  assert.deepEqual(seen, [
    "CREATED->REBALANCING",
    "REBALANCING->RUNNING",
    "RUNNING->PENDING_SHUTDOWN",
    "PENDING_SHUTDOWN->NOT_RUNNING",
  ]);
  assert.equal(errors.length, 4);
  await assert.rejects(
    machine.waitFor((state) => state === "ERROR", 10),
    /NOT_RUNNING/,
  );
});
