// Committed offsets and the group admin APIs over the wire against an in-process broker:
// OffsetCommit/OffsetFetch round trips across versions, generation checks, metadata limits,
// OffsetDelete, DeleteGroups, ListGroups, DescribeGroups, FindCoordinator; durability across a
// restart of an on-disk broker; offset expiry driven by a hand-moved clock.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";
import { startBroker, silentLogger } from "@samsa/broker";
import type { RunningBroker } from "@samsa/broker";
import { groupOperations } from "../../src/authorized-operations.ts";
import { GroupCoordinator } from "../../src/coordinator/group-coordinator.ts";
import { LogGroupStore, offsetsTopicName, partitionForGroup } from "../../src/coordinator/group-store.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { assignment, groupConfig, ManualTime, settle, subscription } from "./support.ts";

const settings = { "group.initial.rebalance.delay.ms": "0", "auto.create.topics.enable": "false" };

/** Joins `groupId` as its only member over the wire (v9 handshake) and syncs an assignment. */
async function joinAlone(
  client: WireClient,
  groupId: string,
  options: { topics?: string[]; instanceId?: string | null; protocolType?: string; sync?: boolean } = {},
): Promise<{ memberId: string; generationId: number; assignment: Uint8Array }> {
  const body = {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: "",
    groupInstanceId: options.instanceId ?? null,
    protocolType: options.protocolType ?? "consumer",
    protocols: [{ name: "range", metadata: subscription(options.topics ?? ["t"]) }],
  };
  let joined = await client.send(ApiKey.JoinGroup, 9, body);
  if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    joined = await client.send(ApiKey.JoinGroup, 9, { ...body, memberId: joined.memberId });
  }
  assert.equal(joined.errorCode, 0);
  const mine = assignment({ [options.topics?.[0] ?? "t"]: [0] });
  if (options.sync === false) return { memberId: joined.memberId, generationId: joined.generationId, assignment: mine };
  const synced = await client.send(ApiKey.SyncGroup, 5, {
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: options.instanceId ?? null,
    protocolType: body.protocolType,
    protocolName: "range",
    assignments: [{ memberId: joined.memberId, assignment: mine }],
  });
  assert.equal(synced.errorCode, 0);
  return { memberId: joined.memberId, generationId: joined.generationId, assignment: synced.assignment };
}

describe("offsets and group admin over the wire", () => {
  let broker: RunningBroker;
  let client: WireClient;
  const topic = "orders";
  const other = "payments";

  before(async () => {
    broker = await startBroker({ inMemory: true, listen: "127.0.0.1:0", logger: silentLogger, settings });
    await broker.logs.createTopic({ name: topic, partitions: 3 });
    await broker.logs.createTopic({ name: other, partitions: 2 });
    client = await WireClient.connect(broker.bootstrap);
  });

  after(async () => {
    client.close();
    await broker.close();
  });

  const commit = (
    version: number,
    groupId: string,
    partitions: { p: number; offset: bigint; metadata?: string | null; epoch?: number }[],
    group: { generation?: number; memberId?: string; instanceId?: string | null; topicName?: string } = {},
  ) =>
    client.send(ApiKey.OffsetCommit, version, {
      groupId,
      generationIdOrMemberEpoch: group.generation ?? -1,
      memberId: group.memberId ?? "",
      groupInstanceId: group.instanceId ?? null,
      topics: [
        {
          name: group.topicName ?? topic,
          partitions: partitions.map((x) => ({
            partitionIndex: x.p,
            committedOffset: x.offset,
            committedLeaderEpoch: version >= 6 ? (x.epoch ?? -1) : -1,
            committedMetadata: x.metadata === undefined ? "" : x.metadata,
          })),
        },
      ],
    });

  test("FindCoordinator: this node for groups and transactional ids (v0-v6)", async () => {
    for (const version of [0, 1, 2, 3]) {
      const found = await client.send(ApiKey.FindCoordinator, version, { key: "g", keyType: 0 });
      assert.equal(found.errorCode, 0);
      assert.equal(found.nodeId, broker.config.nodeId);
      assert.equal(found.port, broker.port);
    }
    const txn = await client.send(ApiKey.FindCoordinator, 3, { key: "tx", keyType: 1 });
    assert.deepEqual([txn.errorCode, txn.nodeId, txn.port], [0, broker.config.nodeId, broker.port]);
    for (const version of [4, 5, 6]) {
      const found = await client.send(ApiKey.FindCoordinator, version, { keyType: 0, coordinatorKeys: ["a", "b"] });
      assert.deepEqual(
        found.coordinators.map((c) => [c.key, c.nodeId, c.port, c.errorCode]),
        [
          ["a", broker.config.nodeId, broker.port, 0],
          ["b", broker.config.nodeId, broker.port, 0],
        ],
      );
    }
    const txns = await client.send(ApiKey.FindCoordinator, 6, { keyType: 1, coordinatorKeys: ["tx"] });
    assert.deepEqual(
      txns.coordinators.map((c) => [c.key, c.nodeId, c.errorCode]),
      [["tx", broker.config.nodeId, 0]],
    );
    const share = await client.send(ApiKey.FindCoordinator, 6, { keyType: 2, coordinatorKeys: ["s"] });
    assert.equal(share.coordinators[0]?.errorCode, ErrorCode.INVALID_REQUEST);
  });

  test("the oldest versions: JoinGroup v0/v1, SyncGroup, Heartbeat and LeaveGroup v0", async () => {
    const g = uniqueName("old");
    const protocols = [{ name: "range", metadata: subscription([topic]) }];
    // v0 has no rebalance timeout (the session timeout stands in) and no member id handshake.
    const joined = await client.send(ApiKey.JoinGroup, 0, {
      groupId: g,
      sessionTimeoutMs: 10_000,
      memberId: "",
      protocolType: "consumer",
      protocols,
    });
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.generationId, 1);
    assert.equal(joined.leader, joined.memberId);
    const synced = await client.send(ApiKey.SyncGroup, 0, {
      groupId: g,
      generationId: 1,
      memberId: joined.memberId,
      assignments: [{ memberId: joined.memberId, assignment: assignment({ [topic]: [0] }) }],
    });
    assert.equal(synced.errorCode, 0);
    const beat = await client.send(ApiKey.Heartbeat, 0, { groupId: g, generationId: 1, memberId: joined.memberId });
    assert.equal(beat.errorCode, 0);
    const rejoined = await client.send(ApiKey.JoinGroup, 1, {
      groupId: g,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 5_000,
      memberId: joined.memberId,
      protocolType: "consumer",
      protocols,
    });
    assert.equal(rejoined.generationId, 2, "the leader's rejoin rebalances");
    const left = await client.send(ApiKey.LeaveGroup, 0, { groupId: g, memberId: joined.memberId });
    assert.equal(left.errorCode, 0);
    const again = await client.send(ApiKey.LeaveGroup, 0, { groupId: g, memberId: joined.memberId });
    assert.equal(again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test("commit and fetch: v2 with v1, v7, v8 batched, v9; all offsets when topics is null", async () => {
    const g1 = uniqueName("simple");
    const c2 = await commit(2, g1, [
      { p: 0, offset: 42n, metadata: "meta" },
      { p: 2, offset: 7n, metadata: null },
    ]);
    assert.deepEqual(
      c2.topics[0]?.partitions.map((p) => p.errorCode),
      [0, 0],
    );
    const f1 = await client.send(ApiKey.OffsetFetch, 1, {
      groupId: g1,
      topics: [{ name: topic, partitionIndexes: [0, 1, 2] }],
    });
    assert.deepEqual(
      f1.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]),
      [
        [0, 42n, "meta", 0],
        [1, -1n, "", 0],
        [2, 7n, "", 0],
      ],
    );
    const g2 = uniqueName("simple");
    const c7 = await commit(7, g2, [{ p: 1, offset: 100n, epoch: 5 }]);
    assert.equal(c7.topics[0]?.partitions[0]?.errorCode, 0);
    const f7 = await client.send(ApiKey.OffsetFetch, 7, {
      groupId: g2,
      topics: [{ name: topic, partitionIndexes: [1] }],
      requireStable: true,
    });
    assert.equal(f7.errorCode, 0);
    assert.deepEqual(
      f7.topics[0]?.partitions.map((p) => [p.committedOffset, p.committedLeaderEpoch]),
      [[100n, 5]],
    );
    const f8 = await client.send(ApiKey.OffsetFetch, 8, {
      groups: [
        { groupId: g1, topics: null },
        { groupId: g2, topics: [{ name: topic, partitionIndexes: [1, 2] }] },
        { groupId: "never-committed", topics: null },
      ],
      requireStable: false,
    });
    assert.deepEqual(
      f8.groups.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset])),
      ]),
      [
        [
          g1,
          0,
          [
            [topic, 0, 42n],
            [topic, 2, 7n],
          ],
        ],
        [
          g2,
          0,
          [
            [topic, 1, 100n],
            [topic, 2, -1n],
          ],
        ],
        ["never-committed", 0, []],
      ],
    );
    const c9 = await commit(9, g1, [{ p: 0, offset: 43n }]);
    assert.equal(c9.topics[0]?.partitions[0]?.errorCode, 0);
    const f9 = await client.send(ApiKey.OffsetFetch, 9, {
      groups: [{ groupId: g1, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0] }] }],
    });
    assert.equal(f9.groups[0]?.topics[0]?.partitions[0]?.committedOffset, 43n);
    // Committing with a generation to a group that does not exist.
    const unknown9 = await commit(9, uniqueName("nope"), [{ p: 0, offset: 1n }], { generation: 1, memberId: "m" });
    assert.equal(unknown9.topics[0]?.partitions[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const unknown8 = await commit(8, uniqueName("nope"), [{ p: 0, offset: 1n }], { generation: 1, memberId: "m" });
    assert.equal(unknown8.topics[0]?.partitions[0]?.errorCode, ErrorCode.ILLEGAL_GENERATION);
  });

  test("unknown topics and partitions are refused per partition, in request order", async () => {
    const g = uniqueName("simple");
    const committed = await client.send(ApiKey.OffsetCommit, 8, {
      groupId: g,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [
        {
          name: topic,
          partitions: [5, 0].map((p) => ({ partitionIndex: p, committedOffset: 1n, committedMetadata: "" })),
        },
        { name: "no-such-topic", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: "" }] },
      ],
    });
    assert.deepEqual(
      committed.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
      [
        [
          topic,
          [
            [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
            [0, 0],
          ],
        ],
        ["no-such-topic", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ],
    );
  });

  test("group commits check generation and member; none while the group awaits its assignment", async () => {
    const g = uniqueName("group");
    const member = await joinAlone(client, g, { sync: false });
    const during = await commit(8, g, [{ p: 0, offset: 1n }], {
      generation: member.generationId,
      memberId: member.memberId,
    });
    assert.equal(during.topics[0]?.partitions[0]?.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    const synced = await client.send(ApiKey.SyncGroup, 5, {
      groupId: g,
      generationId: member.generationId,
      memberId: member.memberId,
      assignments: [{ memberId: member.memberId, assignment: member.assignment }],
    });
    assert.equal(synced.errorCode, 0);
    const ok = await commit(8, g, [{ p: 0, offset: 10n }], {
      generation: member.generationId,
      memberId: member.memberId,
    });
    assert.equal(ok.topics[0]?.partitions[0]?.errorCode, 0);
    const stale = await commit(8, g, [{ p: 0, offset: 11n }], {
      generation: member.generationId + 1,
      memberId: member.memberId,
    });
    assert.equal(stale.topics[0]?.partitions[0]?.errorCode, ErrorCode.ILLEGAL_GENERATION);
    const stranger = await commit(8, g, [{ p: 0, offset: 11n }], {
      generation: member.generationId,
      memberId: "stranger",
    });
    assert.equal(stranger.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const simple = await commit(8, g, [{ p: 0, offset: 11n }]);
    assert.equal(
      simple.topics[0]?.partitions[0]?.errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
      "-1 commits only to an Empty group",
    );
    const fetched = await client.send(ApiKey.OffsetFetch, 8, { groups: [{ groupId: g, topics: null }] });
    assert.equal(fetched.groups[0]?.topics[0]?.partitions[0]?.committedOffset, 10n);
    await client.send(ApiKey.LeaveGroup, 5, { groupId: g, members: [{ memberId: member.memberId }] });
  });

  test("metadata beyond offset.metadata.max.bytes: OFFSET_METADATA_TOO_LARGE for that partition only", async () => {
    const g = uniqueName("simple");
    const committed = await commit(8, g, [
      { p: 0, offset: 1n, metadata: "x".repeat(4096) },
      { p: 1, offset: 1n, metadata: "x".repeat(4097) },
    ]);
    assert.deepEqual(
      committed.topics[0]?.partitions.map((p) => p.errorCode),
      [0, ErrorCode.OFFSET_METADATA_TOO_LARGE],
    );
    const fetched = await client.send(ApiKey.OffsetFetch, 8, { groups: [{ groupId: g, topics: null }] });
    assert.deepEqual(
      fetched.groups[0]?.topics[0]?.partitions.map((p) => p.partitionIndex),
      [0],
    );
  });

  test("OffsetDelete: only topics the members do not subscribe to", async () => {
    const g = uniqueName("group");
    const member = await joinAlone(client, g, { topics: [topic] });
    const at = { generation: member.generationId, memberId: member.memberId };
    await commit(8, g, [{ p: 0, offset: 5n }], at);
    await commit(8, g, [{ p: 1, offset: 6n }], { ...at, topicName: other });
    const deleted = await client.send(ApiKey.OffsetDelete, 0, {
      groupId: g,
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0 }] },
        { name: other, partitions: [{ partitionIndex: 1 }] },
        { name: "no-such-topic", partitions: [{ partitionIndex: 0 }] },
      ],
    });
    assert.equal(deleted.errorCode, 0);
    assert.deepEqual(
      deleted.topics.map((t) => [t.name, t.partitions[0]?.errorCode]),
      [
        [topic, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
        [other, 0],
        ["no-such-topic", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    const fetched = await client.send(ApiKey.OffsetFetch, 8, { groups: [{ groupId: g, topics: null }] });
    assert.deepEqual(
      fetched.groups[0]?.topics.map((t) => t.name),
      [topic],
    );
    // Once the group is Empty, any topic's offsets may go.
    await client.send(ApiKey.LeaveGroup, 5, { groupId: g, members: [{ memberId: member.memberId }] });
    await waitFor(async () => (await describeGroup(g)).groupState === "Empty", {
      timeoutMs: 5000,
      what: "an Empty group",
    });
    const later = await client.send(ApiKey.OffsetDelete, 0, {
      groupId: g,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }],
    });
    assert.equal(later.topics[0]?.partitions[0]?.errorCode, 0);
    const unknown = await client.send(ApiKey.OffsetDelete, 0, { groupId: uniqueName("nope"), topics: [] });
    assert.equal(unknown.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    // Groups of other protocol types cannot say what they use: refused while they have members.
    const connect = uniqueName("connect");
    const worker = await joinAlone(client, connect, { protocolType: "connect" });
    const refused = await client.send(ApiKey.OffsetDelete, 0, { groupId: connect, topics: [] });
    assert.equal(refused.errorCode, ErrorCode.NON_EMPTY_GROUP);
    await client.send(ApiKey.LeaveGroup, 5, { groupId: connect, members: [{ memberId: worker.memberId }] });
  });

  const describeGroup = async (groupId: string, version = 5) => {
    const described = await client.send(ApiKey.DescribeGroups, version, {
      groups: [groupId],
      includeAuthorizedOperations: version >= 3,
    });
    const group = described.groups[0];
    assert.ok(group !== undefined);
    return group;
  };

  test("DeleteGroups: NON_EMPTY_GROUP while members remain; offsets go with the group", async () => {
    const g = uniqueName("group");
    const member = await joinAlone(client, g);
    await commit(8, g, [{ p: 0, offset: 5n }], { generation: member.generationId, memberId: member.memberId });
    const missing = uniqueName("nope");
    const refused = await client.send(ApiKey.DeleteGroups, 2, { groupsNames: [g, missing] });
    assert.deepEqual(
      refused.results.map((r) => [r.groupId, r.errorCode]),
      [
        [g, ErrorCode.NON_EMPTY_GROUP],
        [missing, ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
    await client.send(ApiKey.LeaveGroup, 5, { groupId: g, members: [{ memberId: member.memberId }] });
    await waitFor(async () => (await describeGroup(g)).groupState === "Empty", {
      timeoutMs: 5000,
      what: "an Empty group",
    });
    const deleted = await client.send(ApiKey.DeleteGroups, 0, { groupsNames: [g] });
    assert.equal(deleted.results[0]?.errorCode, 0);
    const fetched = await client.send(ApiKey.OffsetFetch, 8, { groups: [{ groupId: g, topics: null }] });
    assert.deepEqual(fetched.groups[0]?.topics, []);
    assert.equal((await describeGroup(g)).groupState, "Dead");
    const again = await client.send(ApiKey.DeleteGroups, 2, { groupsNames: [g] });
    assert.equal(again.results[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  test("ListGroups with state (v4+) and type (v5+) filters; DescribeGroups", async () => {
    const stable = uniqueName("stable");
    const empty = uniqueName("empty");
    const member = await joinAlone(client, stable, { topics: [topic] });
    await commit(8, empty, [{ p: 0, offset: 1n }]);
    const list = async (version: number, statesFilter: string[] = [], typesFilter: string[] = []) => {
      const listed = await client.send(ApiKey.ListGroups, version, { statesFilter, typesFilter });
      assert.equal(listed.errorCode, 0);
      return listed.groups.filter((g) => g.groupId === stable || g.groupId === empty);
    };
    assert.deepEqual(
      (await list(0)).map((g) => [g.groupId, g.protocolType]).sort(),
      [
        [empty, ""],
        [stable, "consumer"],
      ].sort(),
    );
    assert.deepEqual(
      (await list(4, ["STABLE"])).map((g) => [g.groupId, g.groupState]),
      [[stable, "Stable"]],
    );
    assert.deepEqual(
      (await list(4, ["Empty"])).map((g) => g.groupId),
      [empty],
    );
    assert.deepEqual(await list(5, [], ["consumer"]), []);
    assert.deepEqual(
      (await list(5, [], ["Classic"])).map((g) => g.groupType),
      ["classic", "classic"],
    );
    const d = await describeGroup(stable);
    assert.equal(d.errorCode, 0);
    assert.equal(d.groupState, "Stable");
    assert.equal(d.protocolType, "consumer");
    assert.equal(d.protocolData, "range");
    assert.equal(d.authorizedOperations, groupOperations);
    assert.deepEqual(
      d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.memberMetadata, m.memberAssignment]),
      [[member.memberId, client.clientId, "/127.0.0.1", subscription([topic]), member.assignment]],
    );
    const v0 = await describeGroup(empty, 0);
    assert.deepEqual([v0.groupState, v0.protocolType, v0.members], ["Empty", "", []]);
    const unknown = await describeGroup(uniqueName("nope"));
    assert.deepEqual([unknown.errorCode, unknown.groupState], [0, "Dead"]);
    await client.send(ApiKey.LeaveGroup, 5, { groupId: stable, members: [{ memberId: member.memberId }] });
  });

  test("Metadata lists __consumer_offsets as internal", async () => {
    const metadata = await client.send(ApiKey.Metadata, 12, { topics: null });
    const internal = metadata.topics.find((t) => t.name === offsetsTopicName);
    assert.equal(internal?.isInternal, true);
    assert.equal(metadata.topics.find((t) => t.name === topic)?.isInternal, false);
    assert.equal(broker.logs.topic(offsetsTopicName)?.configs["cleanup.policy"], "compact");
  });
});

describe("durability", () => {
  test("offsets and a static group's metadata survive a restart of an on-disk broker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-groups-"));
    try {
      const start = () => startBroker({ dataDir: dir, listen: "127.0.0.1:0", logger: silentLogger, settings });
      let broker = await start();
      await broker.logs.createTopic({ name: "orders", partitions: 2 });
      let client = await WireClient.connect(broker.bootstrap);
      const member = await joinAlone(client, "g", { instanceId: "instance-1", topics: ["orders"] });
      const committed = await client.send(ApiKey.OffsetCommit, 8, {
        groupId: "g",
        generationIdOrMemberEpoch: member.generationId,
        memberId: member.memberId,
        groupInstanceId: "instance-1",
        topics: [
          {
            name: "orders",
            partitions: [
              { partitionIndex: 0, committedOffset: 17n, committedLeaderEpoch: 0, committedMetadata: "m0" },
              { partitionIndex: 1, committedOffset: 23n, committedLeaderEpoch: 0, committedMetadata: null },
            ],
          },
        ],
      });
      assert.deepEqual(
        committed.topics[0]?.partitions.map((p) => p.errorCode),
        [0, 0],
      );
      await client.send(ApiKey.OffsetCommit, 8, {
        groupId: "simple",
        generationIdOrMemberEpoch: -1,
        topics: [{ name: "orders", partitions: [{ partitionIndex: 1, committedOffset: 99n, committedMetadata: "" }] }],
      });
      client.close();
      await broker.close();

      broker = await start();
      client = await WireClient.connect(broker.bootstrap);
      const fetched = await waitFor(
        async () => {
          const f = await client.send(ApiKey.OffsetFetch, 8, {
            groups: [
              { groupId: "g", topics: null },
              { groupId: "simple", topics: null },
            ],
          });
          return f.groups.every((g) => g.errorCode === 0) ? f : undefined;
        },
        { timeoutMs: 5000, what: "the coordinator to load" },
      );
      assert.deepEqual(
        fetched.groups.map((g) =>
          g.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]),
        ),
        [
          [
            [0, 17n, "m0"],
            [1, 23n, ""],
          ],
          [[1, 99n, ""]],
        ],
      );
      const described = await client.send(ApiKey.DescribeGroups, 5, { groups: ["g"] });
      assert.equal(described.groups[0]?.groupState, "Stable");
      assert.deepEqual(
        described.groups[0]?.members.map((m) => [m.memberId, m.groupInstanceId]),
        [[member.memberId, "instance-1"]],
      );
      // The restarted instance takes its place back: same generation, same assignment.
      const back = await joinAlone(client, "g", { instanceId: "instance-1", topics: ["orders"], sync: false });
      assert.equal(back.generationId, member.generationId);
      const synced = await client.send(ApiKey.SyncGroup, 5, {
        groupId: "g",
        generationId: back.generationId,
        memberId: back.memberId,
        groupInstanceId: "instance-1",
        assignments: [],
      });
      assert.deepEqual(synced.assignment, member.assignment);
      client.close();
      await broker.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("offset expiry (offsets.retention.minutes) with a hand-moved clock", () => {
  const retentionMs = 60_000;

  async function open(logs: LogManager, time: ManualTime): Promise<GroupCoordinator> {
    const config = groupConfig({ "offsets.retention.minutes": "1", "group.initial.rebalance.delay.ms": "0" });
    const coordinator = new GroupCoordinator({
      config,
      store: new LogGroupStore({
        logs,
        partitions: 3,
        segmentBytes: 1 << 20,
        loadBufferBytes: 1 << 16,
        clock: time,
        logger: silentLogger,
      }),
      clock: time,
      scheduler: time,
      logger: silentLogger,
    });
    await coordinator.load();
    return coordinator;
  }

  const offsetsOf = (c: GroupCoordinator, groupId: string) =>
    c
      .fetchOffsets({ groupId, topics: null, requireStable: false })
      .topics.flatMap((t) => t.partitions.map((p) => p.committedOffset));

  const commit = (
    c: GroupCoordinator,
    groupId: string,
    offset: bigint,
    member: { generation: number; memberId: string } = { generation: -1, memberId: "" },
  ) =>
    c.commitOffsets({
      groupId,
      generationIdOrMemberEpoch: member.generation,
      memberId: member.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion: 9,
      topics: [
        {
          name: "t",
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: offset,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    });

  test("a simple group's offsets expire after the retention, durably; the group goes with them", async () => {
    const time = new ManualTime();
    const { manager: logs } = await LogManager.open({ backend: new MemoryFileBackend(), dataDir: "/d", clock: time });
    let c = await open(logs, time);
    assert.equal((await commit(c, "simple", 5n))[0]?.partitions[0]?.errorCode, 0);
    time.advance(retentionMs - 1);
    assert.equal(await c.expireOffsets(), 0);
    assert.deepEqual(offsetsOf(c, "simple"), [5n]);
    time.advance(1);
    assert.equal(await c.expireOffsets(), 1);
    assert.deepEqual(offsetsOf(c, "simple"), []);
    assert.equal(c.group("simple"), undefined);
    await c.close();
    c = await open(logs, time);
    assert.deepEqual(offsetsOf(c, "simple"), [], "the tombstones are on disk");
    assert.equal(c.group("simple"), undefined);
    await c.close();
    await logs.close();
  });

  test("a consumer group's offsets expire only once it is Empty, counted from then; the check runs by itself", async () => {
    const time = new ManualTime();
    const { manager: logs } = await LogManager.open({ backend: new MemoryFileBackend(), dataDir: "/d", clock: time });
    const c = await open(logs, time);
    const base = {
      groupId: "g",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription(["t"]) }],
      sessionTimeoutMs: 1_800_000,
      rebalanceTimeoutMs: 10_000,
      clientId: "c",
      clientHost: "/127.0.0.1",
      apiVersion: 9,
      reason: null,
    };
    const first = await c.joinGroup({ ...base, memberId: "" });
    const joining = c.joinGroup({ ...base, memberId: first.memberId });
    time.advance(0);
    const joined = await joining;
    await c.syncGroup({
      groupId: "g",
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    await commit(c, "g", 9n, { generation: joined.generationId, memberId: joined.memberId });
    // Subscribed and Stable: kept however old.
    for (let i = 0; i < 3; i++) {
      time.advance(retentionMs);
      assert.equal(
        c.heartbeat({
          groupId: "g",
          memberId: joined.memberId,
          groupInstanceId: null,
          generationId: joined.generationId,
        }),
        0,
      );
    }
    assert.equal(await c.expireOffsets(), 0);
    c.leaveGroup("g", [{ memberId: joined.memberId, groupInstanceId: null }]);
    time.advance(0);
    assert.equal(c.group("g")?.state, "Empty");
    time.advance(retentionMs - 1);
    assert.equal(await c.expireOffsets(), 0);
    // The background check (offsets.retention.check.interval.ms, 10 min by default) does the rest.
    time.advance(600_000);
    await waitFor(() => offsetsOf(c, "g").length === 0, { timeoutMs: 2000, what: "the periodic expiry" });
    await settle();
    assert.equal(c.group("g"), undefined, "an Empty group without offsets is deleted");
    await c.close();
    await logs.close();
  });

  test("records go to the partition Kafka would pick for the group", () => {
    // Java: "group".hashCode() = 98629247; abs % 50 = 47.
    assert.equal(partitionForGroup("group", 50), 47);
    assert.equal(partitionForGroup("", 10), 0);
  });
});
