// The classic group state machine, driven by hand-moved time: joins and syncs, leader election,
// protocol selection, heartbeats, session/rebalance/sync timeouts, leaving, static membership,
// group.max.size and the initial rebalance delay. No real waiting anywhere.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "@samsa/protocol";
import type { JoinGroupParams, JoinGroupResult, SyncGroupResult } from "../../src/coordinator/classic-group.ts";
import type { GroupCoordinator } from "../../src/coordinator/group-coordinator.ts";
import { GroupCoordinator as Coordinator } from "../../src/coordinator/group-coordinator.ts";
import { silentLogger } from "../../src/logger.ts";
import {
  assignment,
  groupConfig,
  makeCoordinator,
  ManualTime,
  MemoryGroupStore,
  settle,
  subscription,
} from "./support.ts";
import type { ManualTime as Time } from "./support.ts";

const noDelay = { "group.initial.rebalance.delay.ms": "0" };

function params(over: Partial<JoinGroupParams> & { groupId: string }): JoinGroupParams {
  return {
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription(["orders"]) }],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    clientId: "client",
    clientHost: "/127.0.0.1",
    apiVersion: 9,
    reason: null,
    ...over,
  };
}

/** Tracks whether a promise settled yet (after letting callbacks run). */
function track<T>(promise: Promise<T>): { done: () => boolean; value: Promise<T> } {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  return { done: () => done, value: promise };
}

/** The v4+ handshake: a first join gets MEMBER_ID_REQUIRED and the id to join with. */
async function memberIdFor(c: GroupCoordinator, p: JoinGroupParams): Promise<string> {
  const first = await c.joinGroup({ ...p, memberId: "" });
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.equal(first.generationId, -1);
  assert.notEqual(first.memberId, "");
  return first.memberId;
}

/** Forms a Stable group: every member joins, the leader assigns `orders-<i>` to member i. */
async function formGroup(
  c: GroupCoordinator,
  time: Time,
  groupId: string,
  members: Partial<JoinGroupParams>[],
): Promise<{ ids: string[]; joins: JoinGroupResult[]; syncs: SyncGroupResult[] }> {
  const ids: string[] = [];
  for (const [i, m] of members.entries()) {
    const p = params({ groupId, clientId: `c${i}`, ...m });
    ids.push(p.groupInstanceId === null ? await memberIdFor(c, p) : "");
  }
  const pending = members.map((m, i) =>
    c.joinGroup(params({ groupId, clientId: `c${i}`, ...m, memberId: ids[i] ?? "" })),
  );
  time.advance(0);
  const joins = await Promise.all(pending);
  for (const j of joins) assert.equal(j.errorCode, 0);
  const leader = joins[0]?.leader ?? "";
  const generationId = joins[0]?.generationId ?? -1;
  const syncs = await Promise.all(
    joins.map((j) =>
      c.syncGroup({
        groupId,
        generationId,
        memberId: j.memberId,
        groupInstanceId: members[joins.indexOf(j)]?.groupInstanceId ?? null,
        protocolType: "consumer",
        protocolName: j.protocolName,
        assignments:
          j.memberId === leader
            ? joins.map((m, i) => ({ memberId: m.memberId, assignment: assignment({ orders: [i] }) }))
            : [],
      }),
    ),
  );
  for (const s of syncs) assert.equal(s.errorCode, 0);
  return { ids: joins.map((j) => j.memberId), joins, syncs };
}

describe("classic group: join and sync", () => {
  test("one member: MEMBER_ID_REQUIRED, join, sync, heartbeat", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const p = params({ groupId: "g" });
    const memberId = await memberIdFor(c, p);
    const joining = c.joinGroup({ ...p, memberId });
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    time.advance(0);
    const joined = await joining;
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.generationId, 1);
    assert.equal(joined.leader, memberId);
    assert.equal(joined.protocolType, "consumer");
    assert.equal(joined.protocolName, "range");
    assert.deepEqual(
      joined.members.map((m) => m.memberId),
      [memberId],
    );
    assert.deepEqual(joined.members[0]?.metadata, subscription(["orders"]));
    assert.equal(c.group("g")?.state, "CompletingRebalance");
    const mine = assignment({ orders: [0, 1] });
    const synced = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [{ memberId, assignment: mine }],
    });
    assert.deepEqual(synced, { errorCode: 0, protocolType: "consumer", protocolName: "range", assignment: mine });
    assert.equal(c.group("g")?.state, "Stable");
    const beat = { groupId: "g", memberId, groupInstanceId: null };
    assert.equal(c.heartbeat({ ...beat, generationId: 1 }), 0);
    assert.equal(c.heartbeat({ ...beat, generationId: 0 }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.heartbeat({ ...beat, memberId: "stranger", generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat({ ...beat, groupId: "nope", generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID);
    await c.close();
    assert.equal(time.pending, 0);
  });

  test("before v4 a new member joins at once, without the member id handshake", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const joining = c.joinGroup(params({ groupId: "g", apiVersion: 3, clientId: "old" }));
    time.advance(0);
    const joined = await joining;
    assert.equal(joined.errorCode, 0);
    assert.match(joined.memberId, /^old-/);
    await c.close();
  });

  test("three members: the first leads and sees all metadata; followers wait for the leader's sync", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const subs = [["a"], ["b"], ["a", "c"]].map((t) => subscription(t));
    const ids: string[] = [];
    for (const [i, s] of subs.entries()) {
      ids.push(
        await memberIdFor(c, params({ groupId: "g", clientId: `c${i}`, protocols: [{ name: "range", metadata: s }] })),
      );
    }
    const joining = ids.map((memberId, i) =>
      c.joinGroup(
        params({
          groupId: "g",
          memberId,
          clientId: `c${i}`,
          protocols: [{ name: "range", metadata: subs[i] ?? new Uint8Array() }],
        }),
      ),
    );
    time.advance(0);
    const [leader, f1, f2] = await Promise.all(joining);
    assert.ok(leader !== undefined && f1 !== undefined && f2 !== undefined);
    assert.equal(leader.leader, ids[0]);
    assert.equal(f1.leader, ids[0]);
    assert.deepEqual(
      leader.members.map((m) => [m.memberId, m.metadata]),
      ids.map((id, i) => [id, subs[i]]),
    );
    assert.deepEqual(f1.members, []);
    assert.deepEqual(f2.members, []);
    const sync = (memberId: string, assignments: { memberId: string; assignment: Uint8Array }[] = []) =>
      c.syncGroup({
        groupId: "g",
        generationId: 1,
        memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments,
      });
    const s1 = track(sync(f1.memberId));
    const s2 = track(sync(f2.memberId));
    await settle();
    assert.equal(s1.done() || s2.done(), false, "followers wait for the leader");
    const assigned = ids.map((id, i) => ({ memberId: id, assignment: assignment({ t: [i] }) }));
    const s0 = await sync(leader.memberId, assigned);
    assert.deepEqual(s0.assignment, assigned[0]?.assignment);
    assert.deepEqual((await s1.value).assignment, assigned[1]?.assignment);
    assert.deepEqual((await s2.value).assignment, assigned[2]?.assignment);
    // v5 checks the protocol type and name it is told.
    const wrong = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId: f1.memberId,
      groupInstanceId: null,
      protocolType: "connect",
      protocolName: "range",
      assignments: [],
    });
    assert.equal(wrong.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const wrongName = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId: f1.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "roundrobin",
      assignments: [],
    });
    assert.equal(wrongName.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await c.close();
  });

  test("protocol selection: the protocol every member supports that most members prefer", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const md = subscription(["t"]);
    const proto = (...names: string[]) => names.map((name) => ({ name, metadata: md }));
    const g1 = await formGroup(c, time, "votes", [
      { protocols: proto("range", "roundrobin") },
      { protocols: proto("roundrobin", "range") },
      { protocols: proto("roundrobin", "range", "sticky") },
    ]);
    assert.equal(g1.joins[0]?.protocolName, "roundrobin");
    const g2 = await formGroup(c, time, "common", [
      { protocols: proto("range", "roundrobin") },
      { protocols: proto("roundrobin") },
    ]);
    assert.equal(g2.joins[0]?.protocolName, "roundrobin", "range is not supported by everyone");
    await c.close();
  });

  test("INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID, UNKNOWN_MEMBER_ID", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    await formGroup(c, time, "g", [{}]);
    const other = await c.joinGroup(params({ groupId: "g", protocolType: "connect" }));
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const noCommon = await c.joinGroup(
      params({ groupId: "g", protocols: [{ name: "sticky", metadata: new Uint8Array() }] }),
    );
    assert.equal(noCommon.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const none = await c.joinGroup(params({ groupId: "fresh", protocols: [] }));
    assert.equal(none.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(c.group("fresh"), undefined, "a refused join leaves no group behind");
    const tooShort = await c.joinGroup(params({ groupId: "g", sessionTimeoutMs: 5999 }));
    assert.equal(tooShort.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    const tooLong = await c.joinGroup(params({ groupId: "g", sessionTimeoutMs: 1_800_001 }));
    assert.equal(tooLong.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await c.joinGroup(params({ groupId: "" }))).errorCode, ErrorCode.INVALID_GROUP_ID);
    const unknown = await c.joinGroup(params({ groupId: "nope", memberId: "ghost" }));
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.group("g")?.state, "Stable");
    await c.close();
  });
});

describe("classic group: rebalances and timeouts", () => {
  test("heartbeats get REBALANCE_IN_PROGRESS while a new member joins; done once all rejoined", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const { ids } = await formGroup(c, time, "g", [{}, {}]);
    const [a, b] = ids as [string, string];
    const newId = await memberIdFor(c, params({ groupId: "g", clientId: "new" }));
    const joiningNew = c.joinGroup(params({ groupId: "g", clientId: "new", memberId: newId }));
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    const beat = (memberId: string) => c.heartbeat({ groupId: "g", memberId, groupInstanceId: null, generationId: 1 });
    assert.equal(beat(a), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(beat(b), ErrorCode.REBALANCE_IN_PROGRESS);
    const joiningA = c.joinGroup(params({ groupId: "g", memberId: a }));
    const joiningB = c.joinGroup(params({ groupId: "g", memberId: b }));
    // Everyone is back: the join completes without waiting for the rebalance timeout.
    const [ja, jb, jn] = await Promise.all([joiningA, joiningB, joiningNew]);
    assert.equal(ja?.generationId, 2);
    assert.equal(jb?.generationId, 2);
    assert.equal(jn?.generationId, 2);
    assert.equal(ja?.leader, a, "the leader keeps its role when it rejoins");
    assert.equal(ja?.members.length, 3);
    await c.close();
  });

  test("session timeout: a silent member is removed and the others rebalance without it", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const { ids } = await formGroup(c, time, "g", [{}, {}]);
    const [a, b] = ids as [string, string];
    const beat = (memberId: string, generationId: number) =>
      c.heartbeat({ groupId: "g", memberId, groupInstanceId: null, generationId });
    time.advance(6_000);
    assert.equal(beat(a, 1), 0);
    time.advance(4_000); // b's session (10 s) ends now; a heartbeated 4 s ago
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    assert.equal(c.group("g")?.hasMember(b), false);
    assert.equal(beat(a, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await c.joinGroup(params({ groupId: "g", memberId: a }));
    assert.equal(rejoined.generationId, 2);
    assert.deepEqual(
      rejoined.members.map((m) => m.memberId),
      [a],
    );
    assert.equal(beat(b, 1), ErrorCode.UNKNOWN_MEMBER_ID);
    await c.close();
  });

  test("rebalance timeout: members that do not rejoin in time are dropped", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const { ids } = await formGroup(c, time, "g", [{}, {}]);
    const [a, b] = ids as [string, string];
    // a rejoins with new metadata (a rebalance); b keeps heartbeating but never rejoins.
    const joining = track(
      c.joinGroup(params({ groupId: "g", memberId: a, protocols: [{ name: "range", metadata: subscription(["x"]) }] })),
    );
    for (let t = 0; t < 25_000; t += 5_000) {
      time.advance(5_000);
      assert.equal(
        c.heartbeat({ groupId: "g", memberId: b, groupInstanceId: null, generationId: 1 }),
        ErrorCode.REBALANCE_IN_PROGRESS,
      );
    }
    time.advance(4_999);
    await settle();
    assert.equal(joining.done(), false);
    time.advance(1); // 30 s: a's rebalance timeout
    const joined = await joining.value;
    assert.equal(joined.generationId, 2);
    assert.deepEqual(
      joined.members.map((m) => m.memberId),
      [a],
    );
    assert.equal(
      c.heartbeat({ groupId: "g", memberId: b, groupInstanceId: null, generationId: 2 }),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    await c.close();
  });

  test("sync timeout: members that never send SyncGroup are removed and the group rebalances", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    // Sessions outlast the rebalance timeout, so only the sync timeout can remove b.
    const long = { groupId: "g", sessionTimeoutMs: 60_000 };
    const a = await memberIdFor(c, params(long));
    const b = await memberIdFor(c, params(long));
    const joins = [a, b].map((memberId) => c.joinGroup(params({ ...long, memberId })));
    time.advance(0);
    await Promise.all(joins);
    const synced = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId: a,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: a, assignment: assignment({ t: [0] }) }],
    });
    assert.equal(synced.errorCode, 0);
    assert.equal(c.group("g")?.state, "Stable");
    time.advance(30_000);
    assert.equal(c.group("g")?.hasMember(b), false);
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    await c.close();
  });

  test("a follower rejoining while Stable: same metadata → current generation, new metadata → rebalance", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const { ids } = await formGroup(c, time, "g", [{}, {}]);
    const [a, b] = ids as [string, string];
    const same = await c.joinGroup(params({ groupId: "g", memberId: b }));
    assert.equal(same.errorCode, 0);
    assert.equal(same.generationId, 1);
    assert.equal(c.group("g")?.state, "Stable");
    // Cooperative rebalancing: the member rejoins with what it owns now, while Stable.
    const joiningB = c.joinGroup(
      params({ groupId: "g", memberId: b, protocols: [{ name: "range", metadata: subscription(["orders"], 2) }] }),
    );
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    assert.equal(
      c.heartbeat({ groupId: "g", memberId: a, groupInstanceId: null, generationId: 1 }),
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const joiningA = c.joinGroup(params({ groupId: "g", memberId: a }));
    const [ja, jb] = await Promise.all([joiningA, joiningB]);
    assert.equal(ja?.generationId, 2);
    assert.equal(jb?.generationId, 2);
    await c.close();
  });

  test("a failed write of the leader's assignment fails the sync and starts over", async () => {
    const store = new MemoryGroupStore();
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay, store });
    const a = await memberIdFor(c, params({ groupId: "g" }));
    const joining = c.joinGroup(params({ groupId: "g", memberId: a }));
    time.advance(0);
    await joining;
    store.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const synced = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId: a,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assert.equal(synced.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    await c.close();
  });
});

describe("classic group: leaving, static members, limits", () => {
  test("LeaveGroup: a batch by member id and by group.instance.id, with per-member errors", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const { ids } = await formGroup(c, time, "g", [{}, { groupInstanceId: "static-1" }, {}]);
    const [a, s, b] = ids as [string, string, string];
    const unknownInstance = c.leaveGroup("g", [{ memberId: s, groupInstanceId: "other" }]);
    assert.deepEqual(
      unknownInstance.members.map((m) => m.errorCode),
      [ErrorCode.UNKNOWN_MEMBER_ID],
    );
    const stale = c.leaveGroup("g", [{ memberId: a, groupInstanceId: "static-1" }]);
    assert.deepEqual(
      stale.members.map((m) => m.errorCode),
      [ErrorCode.FENCED_INSTANCE_ID],
    );
    const left = c.leaveGroup("g", [
      { memberId: a, groupInstanceId: null },
      { memberId: "", groupInstanceId: "static-1" },
      { memberId: "ghost", groupInstanceId: null },
    ]);
    assert.equal(left.errorCode, 0);
    assert.deepEqual(
      left.members.map((m) => [m.memberId, m.errorCode]),
      [
        [a, 0],
        ["", 0],
        ["ghost", ErrorCode.UNKNOWN_MEMBER_ID],
      ],
    );
    assert.deepEqual(c.group("g")?.memberIds(), [b]);
    assert.equal(c.group("g")?.leaderId, b, "the leader left: the next member leads");
    assert.equal(
      c.heartbeat({ groupId: "g", memberId: b, groupInstanceId: null, generationId: 1 }),
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const rejoined = await c.joinGroup(params({ groupId: "g", memberId: b }));
    assert.equal(rejoined.generationId, 2);
    assert.equal(rejoined.leader, b);
    // The last member leaves: the group is Empty (and stored so).
    assert.equal(c.leaveGroup("g", [{ memberId: b, groupInstanceId: null }]).members[0]?.errorCode, 0);
    time.advance(0);
    assert.equal(c.group("g")?.state, "Empty");
    assert.equal(c.group("g")?.generationId, 3);
    const unknownGroup = c.leaveGroup("nope", [{ memberId: "x", groupInstanceId: null }]);
    assert.deepEqual(unknownGroup.members[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await c.close();
  });

  test("static membership: a restarted instance gets its assignment back without a rebalance; the old id is fenced", async () => {
    const store = new MemoryGroupStore();
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay, store });
    const { ids, syncs } = await formGroup(c, time, "g", [{ groupInstanceId: "i-1" }, {}]);
    const [oldId, d] = ids as [string, string];
    assert.match(oldId, /^i-1-/, "static members get ids from their instance id, without a handshake");
    // The instance restarts: it joins again without a member id.
    const rejoin = await c.joinGroup(params({ groupId: "g", groupInstanceId: "i-1", clientId: "restarted" }));
    assert.equal(rejoin.errorCode, 0);
    assert.notEqual(rejoin.memberId, oldId);
    assert.equal(rejoin.generationId, 1, "no rebalance");
    assert.equal(rejoin.leader, rejoin.memberId, "it led before, so it leads now");
    assert.equal(rejoin.skipAssignment, true, "v9: the leader learns the members but must not assign");
    assert.equal(rejoin.members.length, 2);
    assert.equal(c.group("g")?.state, "Stable");
    assert.equal(c.heartbeat({ groupId: "g", memberId: d, groupInstanceId: null, generationId: 1 }), 0);
    const synced = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId: rejoin.memberId,
      groupInstanceId: "i-1",
      protocolType: "consumer",
      protocolName: "range",
      assignments: [],
    });
    assert.deepEqual(synced.assignment, syncs[0]?.assignment, "the same assignment as before the restart");
    assert.equal(
      c.heartbeat({ groupId: "g", memberId: oldId, groupInstanceId: "i-1", generationId: 1 }),
      ErrorCode.FENCED_INSTANCE_ID,
    );
    assert.equal(
      c.heartbeat({ groupId: "g", memberId: oldId, groupInstanceId: null, generationId: 1 }),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    const stored = store.records.at(-1)?.record;
    assert.ok(stored?.kind === "group" && stored.value !== null);
    assert.deepEqual(
      stored.value.members.map((m) => [m.memberId, m.groupInstanceId]),
      [
        [d, null],
        [rejoin.memberId, "i-1"],
      ],
    );
    // Before v9 a replaced leader gets no member list (nothing to assign).
    const oldClient = await c.joinGroup(params({ groupId: "g", groupInstanceId: "i-1", apiVersion: 5 }));
    assert.equal(oldClient.skipAssignment, false);
    assert.deepEqual(oldClient.members, []);
    // Other metadata but the same protocol choice (d supports only range): still no rebalance.
    const other = c.joinGroup(
      params({
        groupId: "g",
        groupInstanceId: "i-1",
        protocols: [
          { name: "roundrobin", metadata: subscription(["orders"]) },
          { name: "range", metadata: subscription(["orders", "more"]) },
        ],
      }),
    );
    assert.equal(c.group("g")?.state, "Stable");
    assert.equal((await other).generationId, 1);
    await c.close();
  });

  test("a static member whose rejoin changes the group's protocol triggers a rebalance", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const md = subscription(["orders"]);
    await formGroup(c, time, "g", [
      {
        groupInstanceId: "i-1",
        protocols: [
          { name: "range", metadata: md },
          { name: "roundrobin", metadata: md },
        ],
      },
    ]);
    const rejoin = c.joinGroup(
      params({
        groupId: "g",
        groupInstanceId: "i-1",
        protocols: [
          { name: "roundrobin", metadata: md },
          { name: "range", metadata: md },
        ],
      }),
    );
    // It is the only member, so the rebalance completes at once: a new generation to sync.
    assert.equal(c.group("g")?.state, "CompletingRebalance");
    const joined = await rejoin;
    assert.equal(joined.generationId, 2);
    assert.equal(joined.protocolName, "roundrobin");
    await c.close();
  });

  test("a static replacement whose write fails is undone: the old member id stays valid", async () => {
    const store = new MemoryGroupStore();
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay, store });
    const { ids } = await formGroup(c, time, "g", [{ groupInstanceId: "i-1" }]);
    const [oldId] = ids as [string];
    store.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const rejoin = await c.joinGroup(params({ groupId: "g", groupInstanceId: "i-1" }));
    assert.equal(rejoin.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(c.group("g")?.staticMemberId("i-1"), oldId);
    assert.equal(c.heartbeat({ groupId: "g", memberId: oldId, groupInstanceId: "i-1", generationId: 1 }), 0);
    await c.close();
  });

  test("a static member replacing itself during a rebalance fences the old join", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    const { ids } = await formGroup(c, time, "g", [{ groupInstanceId: "i-1" }, {}]);
    const [s, d] = ids as [string, string];
    const oldJoin = c.joinGroup(
      params({
        groupId: "g",
        memberId: s,
        groupInstanceId: "i-1",
        protocols: [{ name: "range", metadata: subscription(["y"]) }],
      }),
    );
    assert.equal(c.group("g")?.state, "PreparingRebalance");
    const newJoin = c.joinGroup(params({ groupId: "g", groupInstanceId: "i-1" }));
    assert.equal((await oldJoin).errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const joinD = c.joinGroup(params({ groupId: "g", memberId: d }));
    const [n, jd] = await Promise.all([newJoin, joinD]);
    assert.equal(n?.generationId, 2);
    assert.equal(jd?.generationId, 2);
    assert.notEqual(n?.memberId, s);
    await c.close();
  });

  test("group.max.size: members beyond the limit get GROUP_MAX_SIZE_REACHED", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: { ...noDelay, "group.max.size": "2" } });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await memberIdFor(c, params({ groupId: "g", clientId: `c${i}` })));
    const joins = ids.map((memberId) => c.joinGroup(params({ groupId: "g", memberId })));
    const third = await joins[2];
    assert.equal(third?.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    time.advance(0);
    const [j0, j1] = await Promise.all(joins.slice(0, 2));
    assert.equal(j0?.errorCode, 0);
    assert.equal(j0?.members.length, 2);
    assert.equal(j1?.errorCode, 0);
    // Full: a newcomer is refused before it even gets a member id; a member is not.
    const late = await c.joinGroup(params({ groupId: "g" }));
    assert.equal(late.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    const again = await c.joinGroup(params({ groupId: "g", memberId: j1?.memberId ?? "" }));
    assert.equal(again.errorCode, 0);
    await c.close();
  });

  test("group.initial.rebalance.delay.ms: a new group waits, and longer while members keep arriving", async () => {
    const { coordinator: c, time } = await makeCoordinator({
      settings: { "group.initial.rebalance.delay.ms": "3000" },
    });
    const a = await memberIdFor(c, params({ groupId: "g" }));
    const joinA = track(c.joinGroup(params({ groupId: "g", memberId: a, rebalanceTimeoutMs: 10_000 })));
    time.advance(2_000);
    const b = await memberIdFor(c, params({ groupId: "g" }));
    const joinB = track(c.joinGroup(params({ groupId: "g", memberId: b, rebalanceTimeoutMs: 10_000 })));
    time.advance(1_000); // 3 s: the first delay is over, but b arrived meanwhile: wait 3 s more
    await settle();
    assert.equal(joinA.done(), false, "all members joined, but the initial delay does not end early");
    time.advance(2_999);
    await settle();
    assert.equal(joinA.done() || joinB.done(), false);
    time.advance(1);
    const [ja, jb] = await Promise.all([joinA.value, joinB.value]);
    assert.equal(ja.generationId, 1);
    assert.equal(jb.generationId, 1);
    assert.equal(ja.members.length, 2);
    await c.close();
  });

  test("a pending member that never comes back expires after its session timeout", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings: noDelay });
    await memberIdFor(c, params({ groupId: "g" }));
    assert.equal(c.group("g")?.pendingMemberCount, 1);
    time.advance(10_000);
    assert.equal(c.group("g")?.pendingMemberCount, 0);
    await c.close();
  });
});

describe("classic group: coordinator lifecycle", () => {
  test("COORDINATOR_LOAD_IN_PROGRESS until loaded; NOT_COORDINATOR for waiting joins on close", async () => {
    const time = new ManualTime();
    const c = new Coordinator({
      config: groupConfig(noDelay),
      store: new MemoryGroupStore(),
      clock: time,
      scheduler: time,
      logger: silentLogger,
    });
    assert.equal((await c.joinGroup(params({ groupId: "g" }))).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(
      c.heartbeat({ groupId: "g", memberId: "m", groupInstanceId: null, generationId: 1 }),
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );
    await c.load();
    const id = await memberIdFor(c, params({ groupId: "g" }));
    const waiting = c.joinGroup(params({ groupId: "g", memberId: id }));
    await c.close();
    assert.equal((await waiting).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(time.pending, 0, "every timer was cancelled");
    assert.equal((await c.joinGroup(params({ groupId: "g" }))).errorCode, ErrorCode.NOT_COORDINATOR);
  });

  test("after a reload the group is back: generation, protocol, leader, members and assignments", async () => {
    const store = new MemoryGroupStore();
    const time = new ManualTime();
    const first = await makeCoordinator({ settings: noDelay, store, time });
    const { ids, syncs } = await formGroup(first.coordinator, time, "g", [
      { groupInstanceId: "i-1" },
      { groupInstanceId: "i-2" },
    ]);
    await first.coordinator.close();
    const { coordinator: c } = await makeCoordinator({ settings: noDelay, store, time });
    const group = c.group("g");
    assert.equal(group?.state, "Stable");
    assert.equal(group?.generationId, 1);
    assert.equal(group?.protocolName, "range");
    assert.equal(group?.leaderId, ids[0]);
    assert.deepEqual(group?.memberIds(), ids);
    // The restarted instances take their places back without a rebalance.
    const back = await c.joinGroup(params({ groupId: "g", groupInstanceId: "i-2" }));
    assert.equal(back.generationId, 1);
    const synced = await c.syncGroup({
      groupId: "g",
      generationId: 1,
      memberId: back.memberId,
      groupInstanceId: "i-2",
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assert.deepEqual(synced.assignment, syncs[1]?.assignment);
    // i-1 never comes back: its session ends and the group rebalances without it.
    time.advance(9_000);
    assert.equal(c.heartbeat({ groupId: "g", memberId: back.memberId, groupInstanceId: "i-2", generationId: 1 }), 0);
    time.advance(1_000);
    assert.equal(group?.hasMember(ids[0] ?? ""), false);
    assert.equal(group?.state, "PreparingRebalance");
    await c.close();
  });
});
