// The assignor's rules as properties over random groups: every task active exactly once and
// balanced; standbys never with their active, at most one copy per member, as many as asked (or
// members − 1), balanced, none for stateless tasks; an assignment fed back as the previous one
// comes back unchanged (sticky); a leaving member's tasks go to their caught-up standbys. Plus the
// versioned encodings: round trips, old and bad bytes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { TaskId } from "../src/processor.ts";
import {
  assignStandbyTasks,
  assignTasks,
  assignmentInfoTopicPrefix,
  createPartitionAssigner,
  decodeAssignmentInfo,
  decodeSubscriptionInfo,
  encodeAssignmentInfo,
  encodeSubscriptionInfo,
  partitionsToTasks,
  taskKey,
  withoutAssignmentInfo,
} from "../src/runtime/assignor.ts";
import type { MemberTasks } from "../src/runtime/assignor.ts";

interface Group {
  readonly tasks: TaskId[];
  readonly stateful: Set<number>;
  readonly members: MemberTasks[];
  readonly replicas: number;
}

const groupArbitrary: fc.Arbitrary<Group> = fc
  .record({
    subtopologies: fc.integer({ min: 1, max: 3 }),
    partitions: fc.integer({ min: 1, max: 9 }),
    memberCount: fc.integer({ min: 1, max: 6 }),
    replicas: fc.integer({ min: 0, max: 3 }),
    statefulMask: fc.integer({ min: 0, max: 7 }),
    seed: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { maxLength: 40 }),
  })
  .map(({ subtopologies, partitions, memberCount, replicas, statefulMask, seed }) => {
    const tasks: TaskId[] = [];
    for (let subtopology = 0; subtopology < subtopologies; subtopology++)
      for (let partition = 0; partition < partitions; partition++) tasks.push({ subtopology, partition });
    const previous = Array.from({ length: memberCount }, () => ({
      active: new Set<string>(),
      standby: new Set<string>(),
      state: new Set<string>(),
    }));
    // Random (possibly inconsistent, as after crashes) previous ownership.
    for (const [member, task, kind] of seed) {
      const entry = previous[member % memberCount];
      const key = taskKey(tasks[task % tasks.length] ?? { subtopology: 0, partition: 0 });
      if (entry === undefined) continue;
      [entry.active, entry.standby, entry.state][kind % 3]?.add(key);
    }
    return {
      tasks,
      stateful: new Set([0, 1, 2].filter((id) => (statefulMask & (1 << id)) !== 0)),
      replicas,
      members: previous.map((entry, index) => ({
        memberId: `member-${index}`,
        previousTasks: entry.active,
        standbyTasks: entry.standby,
        stateTasks: entry.state,
      })),
    };
  });

function assign(group: Group): { active: Map<string, TaskId[]>; standby: Map<string, TaskId[]> } {
  const active = assignTasks(group.tasks, group.members);
  const standby = assignStandbyTasks({
    statefulTasks: group.tasks.filter((task) => group.stateful.has(task.subtopology)),
    active,
    members: group.members,
    numStandbyReplicas: group.replicas,
  });
  return { active, standby };
}

function spread(counts: readonly number[]): number {
  return Math.max(...counts) - Math.min(...counts);
}

describe("assignor properties", () => {
  test("every task is active exactly once, balanced", () => {
    fc.assert(
      fc.property(groupArbitrary, (group) => {
        const { active } = assign(group);
        const all = [...active.values()].flat().map(taskKey).sort();
        assert.deepEqual(all, group.tasks.map(taskKey).sort());
        assert.ok(spread([...active.values()].map((tasks) => tasks.length)) <= 1);
      }),
      { numRuns: 300 },
    );
  });

  test("standbys: never with their active, one copy per member, as many as asked, balanced, stateful only", () => {
    fc.assert(
      fc.property(groupArbitrary, (group) => {
        const { active, standby } = assign(group);
        const owner = new Map<string, string>();
        for (const [memberId, tasks] of active) for (const task of tasks) owner.set(taskKey(task), memberId);
        const copies = new Map<string, number>();
        for (const [memberId, tasks] of standby) {
          const keys = tasks.map(taskKey);
          assert.equal(new Set(keys).size, keys.length, "two copies of a task on one member");
          for (const task of tasks) {
            assert.notEqual(owner.get(taskKey(task)), memberId, `standby ${taskKey(task)} on its active member`);
            assert.ok(group.stateful.has(task.subtopology), "a standby of a stateless task");
            copies.set(taskKey(task), (copies.get(taskKey(task)) ?? 0) + 1);
          }
        }
        const wanted = Math.min(group.replicas, group.members.length - 1);
        for (const task of group.tasks)
          assert.equal(copies.get(taskKey(task)) ?? 0, group.stateful.has(task.subtopology) ? wanted : 0);
        // Balanced: standby counts differ by at most one, unless no standby of a member with two more
        // than another could move there (the other already runs or keeps each of them).
        for (const [from, fromTasks] of standby)
          for (const [to, toTasks] of standby) {
            if (fromTasks.length - toTasks.length < 2) continue;
            const held = new Set([...toTasks, ...(active.get(to) ?? [])].map(taskKey));
            assert.ok(
              fromTasks.every((task) => held.has(taskKey(task))),
              `a standby of ${from} (${fromTasks.length}) could move to ${to} (${toTasks.length})`,
            );
          }
      }),
      { numRuns: 300 },
    );
  });

  test("standbys of an all-stateful topology are balanced: counts differ by at most one", () => {
    fc.assert(
      fc.property(groupArbitrary, (group) => {
        const { standby } = assign({ ...group, stateful: new Set([0, 1, 2]) });
        assert.ok(spread([...standby.values()].map((tasks) => tasks.length)) <= 1);
      }),
      { numRuns: 300 },
    );
  });

  test("sticky: an assignment given back as the previous one comes back unchanged", () => {
    fc.assert(
      fc.property(groupArbitrary, (group) => {
        const first = assign(group);
        const again = assign({
          ...group,
          members: group.members.map((member) => ({
            memberId: member.memberId,
            previousTasks: new Set((first.active.get(member.memberId) ?? []).map(taskKey)),
            standbyTasks: new Set((first.standby.get(member.memberId) ?? []).map(taskKey)),
          })),
        });
        assert.deepEqual(again.active, first.active);
        assert.deepEqual(again.standby, first.standby);
      }),
      { numRuns: 300 },
    );
  });

  test("a leaving member's tasks go to the members holding their standbys", () => {
    const tasks = Array.from({ length: 6 }, (_, partition) => ({ subtopology: 0, partition }));
    const members = ["a", "b", "c"].map((memberId) => ({ memberId, previousTasks: new Set<string>() }));
    const active = assignTasks(tasks, members);
    const standby = assignStandbyTasks({ statefulTasks: tasks, active, members, numStandbyReplicas: 1 });
    const left = (active.get("a") ?? []).map(taskKey);
    assert.equal(left.length, 2);
    const after = assignTasks(
      tasks,
      ["b", "c"].map((memberId) => ({
        memberId,
        previousTasks: new Set((active.get(memberId) ?? []).map(taskKey)),
        standbyTasks: new Set((standby.get(memberId) ?? []).map(taskKey)),
      })),
    );
    for (const key of left) {
      const holder = [...standby].find(([, held]) => held.map(taskKey).includes(key))?.[0];
      assert.ok(holder !== undefined && holder !== "a");
      assert.ok((after.get(holder) ?? []).map(taskKey).includes(key), `${key} should move to its standby ${holder}`);
    }
  });

  test("state on disk is preferred over a cold member", () => {
    const tasks = [{ subtopology: 0, partition: 0 }];
    const result = assignTasks(tasks, [
      { memberId: "a", previousTasks: new Set() },
      { memberId: "b", previousTasks: new Set(), stateTasks: new Set(["0_0"]) },
    ]);
    assert.deepEqual(result.get("b")?.map(taskKey), ["0_0"]);
    const standbys = assignStandbyTasks({
      statefulTasks: [
        { subtopology: 0, partition: 0 },
        { subtopology: 0, partition: 1 },
      ],
      active: new Map([
        ["a", [{ subtopology: 0, partition: 0 }]],
        ["b", [{ subtopology: 0, partition: 1 }]],
        ["c", []],
      ]),
      members: [
        { memberId: "a", previousTasks: new Set() },
        { memberId: "b", previousTasks: new Set() },
        { memberId: "c", previousTasks: new Set(), stateTasks: new Set(["0_1"]) },
      ],
      numStandbyReplicas: 1,
    });
    assert.deepEqual(standbys.get("c")?.map(taskKey), ["0_1"]);
  });
});

describe("assignor encodings", () => {
  test("subscription info v2 round-trips; v1 and garbage decode without standbys", () => {
    const info = {
      version: 2,
      previousTasks: ["0_1"],
      standbyTasks: ["1_0"],
      stateTasks: ["0_1", "2_3"],
      applicationServer: "localhost:8080",
    };
    assert.deepEqual(decodeSubscriptionInfo(encodeSubscriptionInfo(info)), info);
    const v1 = decodeSubscriptionInfo(Buffer.from(JSON.stringify({ version: 1, previousTasks: ["0_0"] })));
    assert.deepEqual(v1.previousTasks, ["0_0"]);
    assert.deepEqual(v1.standbyTasks, []);
    assert.equal(v1.applicationServer, undefined);
    for (const bad of [
      "",
      "{",
      "null",
      "[]",
      '{"previousTasks": 3}',
      '{"previousTasks":[1,"0_0"],"applicationServer":"no port"}',
    ])
      assert.doesNotThrow(() => decodeSubscriptionInfo(Buffer.from(bad)));
    assert.deepEqual(decodeSubscriptionInfo(Buffer.from('{"previousTasks":[1,"0_0"],"applicationServer":"no port"}')), {
      version: 1,
      previousTasks: ["0_0"],
      standbyTasks: [],
      stateTasks: [],
    });
  });

  test("assignment info round-trips in chunks; missing or damaged info decodes as undefined", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^\d{1,3}_\d{1,4}$/), { maxLength: 3000 }),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/), fc.integer({ min: 1, max: 65_535 })), {
          maxLength: 5,
        }),
        (tasks, servers) => {
          const info = {
            version: 1,
            standbyTasks: tasks,
            hosts: servers.map(([host, port]) => ({ host: `${host}:${port}`, activeTasks: tasks, standbyTasks: [] })),
          };
          const entries = encodeAssignmentInfo(info);
          for (const entry of entries) assert.ok(entry.topic.length < 32_767);
          const mixed = [{ topic: "input", partitions: [0, 1] }, ...entries].reverse();
          assert.deepEqual(decodeAssignmentInfo(mixed), info);
          assert.deepEqual(withoutAssignmentInfo(mixed), [{ topic: "input", partitions: [0, 1] }]);
          if (entries.length > 1) assert.equal(decodeAssignmentInfo(entries.slice(1)), undefined);
        },
      ),
      { numRuns: 50 },
    );
    assert.equal(decodeAssignmentInfo([{ topic: "input", partitions: [0] }]), undefined);
    assert.equal(decodeAssignmentInfo([{ topic: `${assignmentInfoTopicPrefix}!!!`, partitions: [0] }]), undefined);
    // Old members read the topic-partitions they know and skip the reserved entries.
    const subtopologies = [{ id: 0, sourceTopics: ["input"], copartitionGroups: [] }];
    const withInfo = [
      { topic: "input", partitions: [2] },
      ...encodeAssignmentInfo({ version: 1, standbyTasks: ["0_1"], hosts: [] }),
    ];
    assert.deepEqual(partitionsToTasks(withInfo, subtopologies).map(taskKey), ["0_2"]);
  });

  test("the leader's assigner sends each member its standbys and everyone the hosts' tasks", () => {
    const subtopologies = [{ id: 0, sourceTopics: ["input"], copartitionGroups: [] }];
    const assigner = createPartitionAssigner(subtopologies, {
      numStandbyReplicas: 1,
      statefulSubtopologies: new Set([0]),
    });
    const subscription = (server: string) => ({
      memberId: server,
      version: 1,
      metadata: encodeSubscriptionInfo({ version: 2, previousTasks: [], applicationServer: server }),
    });
    const metadata = {
      topics: new Map([["input", { partitionsCount: 4 }]]),
    } as unknown as Parameters<typeof assigner>[3];
    const result = assigner(
      "h1:1",
      new Map([
        ["h1:1", subscription("h1:1")],
        ["h2:2", subscription("h2:2")],
      ]),
      new Set(["input"]),
      metadata,
    );
    const infos = new Map(
      result.map((member) => [member.memberId, decodeAssignmentInfo([...member.assignments.values()])]),
    );
    for (const member of result) {
      const own = partitionsToTasks([...member.assignments.values()], subtopologies).map(taskKey);
      const info = infos.get(member.memberId);
      assert.ok(info !== undefined);
      assert.equal(own.length, 2);
      assert.deepEqual(info.hosts.find((host) => host.host === member.memberId)?.activeTasks, own);
      // The other member's tasks are this one's standbys.
      assert.deepEqual(
        [...info.standbyTasks].sort(),
        ["0_0", "0_1", "0_2", "0_3"].filter((key) => !own.includes(key)),
      );
    }
  });
});
