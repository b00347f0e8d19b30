// The group coordinator's side of transactions, over real partition logs (in memory): TxnOffsetCommit
// writes pending offsets as the producer's transactional batch; the end-transaction marker commits
// them (unless a later plain commit is in) or drops them; restarts replay both; OffsetFetch with
// requireStable answers UNSTABLE_OFFSET_COMMIT meanwhile; the group's checks; epoch fencing by
// storage; deletion and expiry with pending offsets; the TxnOffsetCommit and OffsetFetch handlers.
// A property test runs random commits, markers and restarts against a model.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCode } from "@samsa/protocol";
import type { ApiKey, RequestByKey, RequestHeader } from "@samsa/protocol";
import type { BrokerState, RequestContext } from "../../src/context.ts";
import type { JoinGroupParams } from "../../src/coordinator/classic-group.ts";
import { GroupCoordinator } from "../../src/coordinator/group-coordinator.ts";
import type { PartitionErrors } from "../../src/coordinator/group-coordinator.ts";
import { LogGroupStore, offsetsTopicName, partitionForGroup } from "../../src/coordinator/group-store.ts";
import { offsetFetchHandler } from "../../src/handlers/offset-fetch.ts";
import { txnOffsetCommitHandler } from "../../src/handlers/txn-offset-commit.ts";
import { silentLogger } from "../../src/logger.ts";
import { LogManager } from "../../src/storage/log-manager.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { groupConfig, makeCoordinator, ManualTime, subscription } from "./support.ts";

const settings = { "group.initial.rebalance.delay.ms": "0", "offsets.retention.minutes": "1" };
const retentionMs = 60_000;

/** Logs on an in-memory backend that a test can close and open again (a broker restart). */
class Disk {
  readonly backend = new MemoryFileBackend();
  readonly time = new ManualTime();
  logs: LogManager | undefined;

  async open(): Promise<LogManager> {
    const { manager } = await LogManager.open({ backend: this.backend, dataDir: "/d", clock: this.time });
    this.logs = manager;
    return manager;
  }

  async close(): Promise<void> {
    await this.logs?.close();
    this.logs = undefined;
  }
}

async function openCoordinator(disk: Disk, partitions = 3): Promise<GroupCoordinator> {
  const logs = disk.logs ?? (await disk.open());
  const coordinator = new GroupCoordinator({
    config: groupConfig(settings),
    store: new LogGroupStore({
      logs,
      partitions,
      segmentBytes: 1 << 20,
      loadBufferBytes: 1 << 16,
      clock: disk.time,
      logger: silentLogger,
    }),
    clock: disk.time,
    scheduler: disk.time,
    logger: silentLogger,
    newMemberId: (prefix) => `${prefix}-member`,
  });
  await coordinator.load();
  assert.ok(coordinator.isActive);
  return coordinator;
}

/** Closes the coordinator and the logs, then opens both again. */
async function restart(disk: Disk, c: GroupCoordinator, partitions = 3): Promise<GroupCoordinator> {
  await c.close();
  await disk.close();
  return openCoordinator(disk, partitions);
}

interface TxnCommit {
  groupId?: string;
  producerId?: bigint;
  epoch?: number;
  offsets: readonly (readonly [topic: string, partition: number, offset: bigint])[];
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  metadata?: string | null;
}

function txnCommit(c: GroupCoordinator, commit: TxnCommit): Promise<PartitionErrors[]> {
  const topics = new Map<string, { partitionIndex: number; committedOffset: bigint }[]>();
  for (const [topic, partitionIndex, committedOffset] of commit.offsets) {
    topics.set(topic, [...(topics.get(topic) ?? []), { partitionIndex, committedOffset }]);
  }
  return c.commitTxnOffsets({
    groupId: commit.groupId ?? "g",
    producerId: commit.producerId ?? 7n,
    producerEpoch: commit.epoch ?? 0,
    generationId: commit.generationId ?? -1,
    memberId: commit.memberId ?? "",
    groupInstanceId: commit.groupInstanceId ?? null,
    apiVersion: 3,
    topics: [...topics].map(([name, partitions]) => ({
      name,
      partitions: partitions.map((p) => ({
        ...p,
        committedLeaderEpoch: -1,
        committedMetadata: commit.metadata === undefined ? "m" : commit.metadata,
      })),
    })),
  });
}

const codes = (results: PartitionErrors[]): number[] => results.flatMap((t) => t.partitions.map((p) => p.errorCode));

function plainCommit(c: GroupCoordinator, groupId: string, topic: string, partition: number, offset: bigint) {
  return c.commitOffsets({
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1,
    apiVersion: 9,
    topics: [
      {
        name: topic,
        partitions: [
          {
            partitionIndex: partition,
            committedOffset: offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: "",
          },
        ],
      },
    ],
  });
}

function fetched(c: GroupCoordinator, groupId: string, topic: string, partition: number, requireStable = false) {
  const answer = c.fetchOffsets({ groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable });
  assert.equal(answer.errorCode, 0);
  const p = answer.topics[0]?.partitions[0];
  assert.ok(p !== undefined);
  return p;
}

const offsetOf = (c: GroupCoordinator, groupId: string, topic = "t", partition = 0): bigint =>
  fetched(c, groupId, topic, partition).committedOffset;

function marker(c: GroupCoordinator, groupId: string, commit: boolean, producerId = 7n, epoch = 0): Promise<number> {
  return c.writeTxnMarker(c.partitionFor(groupId), { producerId, producerEpoch: epoch, coordinatorEpoch: 0, commit });
}

/** Two group ids on different __consumer_offsets partitions (of `partitions`). */
function groupsOnTwoPartitions(partitions: number): [string, string] {
  const first = "g0";
  for (let i = 1; i < 100; i++) {
    const other = `g${i}`;
    if (partitionForGroup(other, partitions) !== partitionForGroup(first, partitions)) return [first, other];
  }
  throw new Error("no two groups on different partitions");
}

describe("transactional offset commits", () => {
  test("visible only after the commit marker; the marker is durable and answered 0", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    assert.deepEqual(codes(await plainCommit(c, "g", "t", 0, 5n)), [0]);
    assert.deepEqual(
      codes(
        await txnCommit(c, {
          offsets: [
            ["t", 0, 10n],
            ["t", 1, 20n],
            ["u", 0, 30n],
          ],
        }),
      ),
      [0, 0, 0],
    );
    assert.equal(c.pendingTxnOffsetCount, 3);
    assert.equal(offsetOf(c, "g"), 5n, "the pending offset is not visible");
    assert.equal(offsetOf(c, "g", "t", 1), -1n);
    assert.equal(await marker(c, "g", true), 0);
    assert.equal(c.pendingTxnOffsetCount, 0);
    assert.equal(offsetOf(c, "g"), 10n);
    assert.equal(offsetOf(c, "g", "t", 1), 20n);
    assert.equal(offsetOf(c, "g", "u", 0), 30n);
    assert.equal(fetched(c, "g", "t", 0).metadata, "m");
    // The batch and the marker are in the group's partition, as Kafka writes them.
    const log = disk.logs?.log(offsetsTopicName, c.partitionFor("g"));
    assert.equal(log?.lastStableOffset, log?.highWatermark, "no transaction left open on the partition");
    await c.close();
    await disk.close();
  });

  test("an abort marker drops the pending offsets; the committed ones stay", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    await plainCommit(c, "g", "t", 0, 5n);
    await txnCommit(c, {
      offsets: [
        ["t", 0, 10n],
        ["t", 1, 20n],
      ],
    });
    assert.equal(await marker(c, "g", false), 0);
    assert.equal(c.pendingTxnOffsetCount, 0);
    assert.equal(offsetOf(c, "g"), 5n);
    assert.equal(offsetOf(c, "g", "t", 1), -1n);
    const again = await restart(disk, c);
    assert.equal(offsetOf(again, "g"), 5n, "the abort replays the same way");
    assert.equal(offsetOf(again, "g", "t", 1), -1n);
    assert.equal(again.pendingTxnOffsetCount, 0);
    await again.close();
    await disk.close();
  });

  test("a plain commit written after the transactional one wins at commit; one written before loses", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    await plainCommit(c, "g", "t", 0, 1n);
    await txnCommit(c, {
      offsets: [
        ["t", 0, 10n],
        ["t", 1, 20n],
      ],
    });
    await plainCommit(c, "g", "t", 0, 7n);
    assert.equal(await marker(c, "g", true), 0);
    assert.equal(offsetOf(c, "g"), 7n, "the later plain commit stays");
    assert.equal(offsetOf(c, "g", "t", 1), 20n, "the earlier (absent) one gives way");
    const again = await restart(disk, c);
    assert.equal(offsetOf(again, "g"), 7n);
    assert.equal(offsetOf(again, "g", "t", 1), 20n);
    await again.close();
    await disk.close();
  });

  test("pending offsets survive a restart and are committed by a later marker, durably", async () => {
    const disk = new Disk();
    let c = await openCoordinator(disk);
    await plainCommit(c, "g", "t", 0, 5n);
    await txnCommit(c, { offsets: [["t", 0, 10n]] });
    c = await restart(disk, c);
    assert.equal(c.pendingTxnOffsetCount, 1, "still pending after the replay");
    assert.equal(offsetOf(c, "g"), 5n);
    assert.equal(fetched(c, "g", "t", 0, true).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.notEqual(c.group("g"), undefined);
    assert.equal(await marker(c, "g", true), 0);
    assert.equal(offsetOf(c, "g"), 10n);
    c = await restart(disk, c);
    assert.equal(offsetOf(c, "g"), 10n, "the commit marker replays");
    assert.equal(c.pendingTxnOffsetCount, 0);
    await c.close();
    await disk.close();
  });

  test("a simple group holding only pending offsets exists after a restart; the abort leaves it without offsets", async () => {
    const disk = new Disk();
    let c = await openCoordinator(disk);
    await txnCommit(c, { groupId: "only-pending", offsets: [["t", 0, 3n]] });
    c = await restart(disk, c);
    assert.notEqual(c.group("only-pending"), undefined);
    assert.equal(await marker(c, "only-pending", false), 0);
    assert.equal(offsetOf(c, "only-pending"), -1n);
    await c.close();
    await disk.close();
  });

  test("several producers: each marker ends its own transaction only", async () => {
    const disk = new Disk();
    let c = await openCoordinator(disk);
    await txnCommit(c, { producerId: 1n, offsets: [["t", 0, 10n]] });
    await txnCommit(c, { producerId: 2n, offsets: [["t", 1, 20n]] });
    await txnCommit(c, { producerId: 3n, offsets: [["t", 2, 30n]] });
    assert.equal(await marker(c, "g", true, 1n), 0);
    assert.equal(await marker(c, "g", false, 2n), 0);
    c = await restart(disk, c);
    assert.equal(offsetOf(c, "g", "t", 0), 10n);
    assert.equal(offsetOf(c, "g", "t", 1), -1n);
    assert.equal(offsetOf(c, "g", "t", 2), -1n, "producer 3's transaction is still open");
    assert.equal(fetched(c, "g", "t", 2, true).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal(await marker(c, "g", true, 3n), 0);
    assert.equal(offsetOf(c, "g", "t", 2), 30n);
    await c.close();
    await disk.close();
  });

  test("a marker ends the producer's offsets on its own __consumer_offsets partition only", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    const [a, b] = groupsOnTwoPartitions(3);
    await txnCommit(c, { groupId: a, offsets: [["t", 0, 1n]] });
    await txnCommit(c, { groupId: b, offsets: [["t", 0, 2n]] });
    assert.equal(await marker(c, a, true), 0);
    assert.equal(offsetOf(c, a), 1n);
    assert.equal(offsetOf(c, b), -1n, "its marker has not come yet");
    assert.equal(await marker(c, b, true), 0);
    assert.equal(offsetOf(c, b), 2n);
    await c.close();
    await disk.close();
  });

  test("the same producer's next transaction starts after the marker", async () => {
    const disk = new Disk();
    let c = await openCoordinator(disk);
    await txnCommit(c, { offsets: [["t", 0, 10n]] });
    assert.equal(await marker(c, "g", true), 0);
    await txnCommit(c, { offsets: [["t", 0, 20n]] });
    assert.equal(offsetOf(c, "g"), 10n);
    c = await restart(disk, c);
    assert.equal(offsetOf(c, "g"), 10n);
    assert.equal(await marker(c, "g", false), 0);
    assert.equal(offsetOf(c, "g"), 10n);
    await c.close();
    await disk.close();
  });

  test("requireStable: UNSTABLE_OFFSET_COMMIT for the partitions with a pending offset only", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    await plainCommit(c, "g", "t", 0, 5n);
    await plainCommit(c, "g", "t", 1, 6n);
    await txnCommit(c, { offsets: [["t", 0, 10n]] });
    const stable = c.fetchOffsets({
      groupId: "g",
      topics: [{ name: "t", partitionIndexes: [0, 1] }],
      requireStable: true,
    });
    assert.deepEqual(
      stable.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode]),
      [
        [0, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
        [1, 6n, 0],
      ],
    );
    const all = c.fetchOffsets({ groupId: "g", topics: null, requireStable: true });
    assert.deepEqual(
      all.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode]),
      [
        [0, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
        [1, 6n, 0],
      ],
    );
    assert.equal(fetched(c, "g", "t", 0, false).committedOffset, 5n, "without requireStable: the committed one");
    await marker(c, "g", true);
    assert.equal(fetched(c, "g", "t", 0, true).committedOffset, 10n);
    await c.close();
    await disk.close();
  });

  test("fencing: storage refuses an older epoch's batch and marker (INVALID_PRODUCER_EPOCH)", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    assert.deepEqual(codes(await txnCommit(c, { epoch: 2, offsets: [["t", 0, 10n]] })), [0]);
    assert.deepEqual(codes(await txnCommit(c, { epoch: 1, offsets: [["t", 0, 99n]] })), [
      ErrorCode.INVALID_PRODUCER_EPOCH,
    ]);
    assert.equal(await marker(c, "g", true, 7n, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(c.pendingTxnOffsetCount, 1, "the refused batch is not pending");
    assert.equal(await marker(c, "g", true, 7n, 2), 0);
    assert.equal(offsetOf(c, "g"), 10n);
    // A newer epoch (after InitProducerId) goes on; the old one stays fenced.
    assert.deepEqual(codes(await txnCommit(c, { epoch: 3, offsets: [["t", 0, 11n]] })), [0]);
    assert.deepEqual(codes(await txnCommit(c, { epoch: 2, offsets: [["t", 0, 12n]] })), [
      ErrorCode.INVALID_PRODUCER_EPOCH,
    ]);
    await c.close();
    await disk.close();
  });

  test("metadata over offset.metadata.max.bytes is refused per partition; the rest is written", async () => {
    const { coordinator: c } = await makeCoordinator({ settings: { "offset.metadata.max.bytes": "3" } });
    const results = await c.commitTxnOffsets({
      groupId: "g",
      producerId: 7n,
      producerEpoch: 0,
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      apiVersion: 3,
      topics: [
        {
          name: "t",
          partitions: [
            { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "long" },
            { partitionIndex: 1, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    assert.deepEqual(codes(results), [ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
    assert.equal(c.pendingTxnOffsetCount, 1);
    await c.close();
  });

  test("refusals before writing: empty group id, no producer id, loading, write failures", async () => {
    const { coordinator: c, store } = await makeCoordinator();
    assert.deepEqual(codes(await txnCommit(c, { groupId: "", offsets: [["t", 0, 1n]] })), [ErrorCode.INVALID_GROUP_ID]);
    assert.deepEqual(codes(await txnCommit(c, { producerId: -1n, offsets: [["t", 0, 1n]] })), [
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ]);
    store.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    assert.deepEqual(codes(await txnCommit(c, { offsets: [["t", 0, 1n]] })), [ErrorCode.NOT_COORDINATOR]);
    assert.equal(await marker(c, "g", true), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    store.failWith = ErrorCode.MESSAGE_TOO_LARGE;
    assert.deepEqual(codes(await txnCommit(c, { offsets: [["t", 0, 1n]] })), [ErrorCode.UNKNOWN_SERVER_ERROR]);
    store.failWith = undefined;
    assert.equal(c.pendingTxnOffsetCount, 0);
    const loading = new GroupCoordinator({
      config: groupConfig(),
      store,
      clock: new ManualTime(),
      scheduler: new ManualTime(),
      logger: silentLogger,
    });
    assert.deepEqual(codes(await txnCommit(loading, { offsets: [["t", 0, 1n]] })), [
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ]);
    assert.equal(await marker(loading, "g", true), ErrorCode.NOT_LEADER_OR_FOLLOWER, "the sender retries");
    await c.close();
    await loading.close();
  });

  test("a marker waits for the group coordinator's load, then applies", async () => {
    const { coordinator: first, store } = await makeCoordinator();
    await txnCommit(first, { offsets: [["t", 0, 4n]] });
    await first.close();
    const c = new GroupCoordinator({
      config: groupConfig(),
      store,
      clock: new ManualTime(),
      scheduler: new ManualTime(),
      logger: silentLogger,
    });
    const loaded = c.load();
    const written = marker(c, "g", true);
    await loaded;
    assert.equal(await written, 0);
    assert.equal(offsetOf(c, "g"), 4n);
    await c.close();
  });

  test("markers before __consumer_offsets exists write nothing; a partition it lacks is UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    const end = { producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, commit: true };
    assert.equal(await c.writeTxnMarker(0, end), 0);
    assert.equal(disk.logs?.topic(offsetsTopicName), undefined, "not created for a marker");
    await plainCommit(c, "g", "t", 0, 1n);
    assert.equal(await c.writeTxnMarker(3, end), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await c.close();
    await disk.close();
  });
});

describe("the group's checks (TxnOffsetCommit v3+)", () => {
  function joinParams(over: Partial<JoinGroupParams>): JoinGroupParams {
    return {
      groupId: "g",
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription(["t"]) }],
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      clientId: "client",
      clientHost: "/127.0.0.1",
      apiVersion: 9,
      reason: null,
      ...over,
    };
  }

  test("classic group: unknown member, wrong generation, fenced instance; anonymous commits pass", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings });
    // A static member joins alone (no MEMBER_ID_REQUIRED round) and the group becomes Stable.
    const joining = c.joinGroup(joinParams({ groupInstanceId: "i1" }));
    time.advance(0);
    const joined = await joining;
    assert.equal(joined.errorCode, 0);
    const synced = await c.syncGroup({
      groupId: "g",
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: "i1",
      protocolType: "consumer",
      protocolName: "range",
      assignments: [],
    });
    assert.equal(synced.errorCode, 0);
    const offsets = [["t", 0, 1n]] as const;
    const member = { memberId: joined.memberId, generationId: joined.generationId, groupInstanceId: "i1" };
    assert.deepEqual(codes(await txnCommit(c, { offsets, ...member })), [0]);
    assert.deepEqual(codes(await txnCommit(c, { offsets, ...member, memberId: "nobody", groupInstanceId: null })), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    assert.deepEqual(codes(await txnCommit(c, { offsets, ...member, generationId: joined.generationId + 1 })), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    assert.deepEqual(codes(await txnCommit(c, { offsets, ...member, memberId: "old-incarnation" })), [
      ErrorCode.FENCED_INSTANCE_ID,
    ]);
    // v0-2 carry no member: generation -1 and no member id are accepted for a group with members.
    assert.deepEqual(codes(await txnCommit(c, { offsets })), [0]);
    // An unknown group with a generation: ILLEGAL_GENERATION (whatever the version).
    assert.deepEqual(codes(await txnCommit(c, { offsets, groupId: "unknown", generationId: 1, memberId: "m" })), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    await c.close();
  });

  test("classic group: a commit during CompletingRebalance is accepted (no group state check)", async () => {
    const { coordinator: c, time } = await makeCoordinator({ settings });
    const joining = c.joinGroup(joinParams({ groupInstanceId: "i1" }));
    time.advance(0);
    const joined = await joining;
    assert.equal(c.group("g")?.state, "CompletingRebalance");
    const member = { memberId: joined.memberId, generationId: joined.generationId, groupInstanceId: "i1" };
    assert.deepEqual(codes(await txnCommit(c, { offsets: [["t", 0, 1n]], ...member })), [0]);
    await c.close();
  });

  test("consumer group (KIP-848): unknown member, stale epoch → ILLEGAL_GENERATION; anonymous and current pass", async () => {
    const { coordinator: c } = await makeCoordinator({ settings });
    const joined = await c.consumerGroupHeartbeat({
      groupId: "g",
      memberId: "m1",
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["t"],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
      clientId: "client",
      clientHost: "/127.0.0.1",
      apiVersion: 1,
    });
    assert.equal(joined.errorCode, 0);
    assert.ok(c.consumerGroup("g") !== undefined);
    const offsets = [["t", 0, 1n]] as const;
    assert.deepEqual(codes(await txnCommit(c, { offsets, memberId: "m1", generationId: joined.memberEpoch })), [0]);
    assert.deepEqual(codes(await txnCommit(c, { offsets, memberId: "m1", generationId: joined.memberEpoch + 1 })), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    assert.deepEqual(codes(await txnCommit(c, { offsets, memberId: "m2", generationId: joined.memberEpoch })), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    assert.deepEqual(codes(await txnCommit(c, { offsets })), [0]);
    assert.equal(await marker(c, "g", true), 0);
    assert.equal(offsetOf(c, "g"), 1n, "committed to the consumer group");
    await c.close();
  });
});

describe("deletion and expiry with pending offsets", () => {
  test("DeleteGroups tombstones the pending offsets too: a later commit marker finds nothing, durably", async () => {
    const disk = new Disk();
    let c = await openCoordinator(disk);
    await plainCommit(c, "g", "t", 0, 5n);
    await txnCommit(c, {
      offsets: [
        ["t", 0, 10n],
        ["t", 1, 11n],
      ],
    });
    assert.deepEqual(await c.deleteGroups(["g"]), [{ groupId: "g", errorCode: 0 }]);
    assert.equal(c.pendingTxnOffsetCount, 0);
    assert.equal(await marker(c, "g", true), 0);
    assert.equal(offsetOf(c, "g"), -1n);
    assert.equal(offsetOf(c, "g", "t", 1), -1n);
    c = await restart(disk, c);
    assert.equal(offsetOf(c, "g"), -1n);
    assert.equal(offsetOf(c, "g", "t", 1), -1n);
    assert.equal(c.group("g"), undefined);
    await c.close();
    await disk.close();
  });

  test("OffsetDelete drops a pending offset with the committed one", async () => {
    const disk = new Disk();
    let c = await openCoordinator(disk);
    await txnCommit(c, {
      offsets: [
        ["t", 0, 10n],
        ["t", 1, 11n],
      ],
    });
    const deleted = await c.deleteOffsets("g", [{ name: "t", partitions: [0] }]);
    assert.equal(deleted.errorCode, 0);
    assert.equal(c.pendingTxnOffsetCount, 1);
    c = await restart(disk, c);
    assert.equal(c.pendingTxnOffsetCount, 1, "the tombstone replays");
    assert.equal(await marker(c, "g", true), 0);
    assert.equal(offsetOf(c, "g", "t", 0), -1n);
    assert.equal(offsetOf(c, "g", "t", 1), 11n);
    await c.close();
    await disk.close();
  });

  test("expiry skips a partition with a pending offset and keeps the group while transactions are open", async () => {
    const disk = new Disk();
    const c = await openCoordinator(disk);
    await plainCommit(c, "simple", "t", 0, 5n);
    await plainCommit(c, "simple", "t", 1, 6n);
    await txnCommit(c, { groupId: "simple", offsets: [["t", 0, 10n]] });
    await txnCommit(c, { groupId: "only-pending", offsets: [["t", 0, 1n]] });
    disk.time.advance(retentionMs);
    assert.equal(await c.expireOffsets(), 1, "t-1 expires, t-0 waits for its transaction");
    assert.equal(offsetOf(c, "simple", "t", 0), 5n);
    assert.notEqual(c.group("simple"), undefined);
    assert.notEqual(c.group("only-pending"), undefined, "kept for its open transaction");
    assert.equal(await marker(c, "simple", false), 0);
    assert.equal(await marker(c, "only-pending", true), 0);
    assert.equal(offsetOf(c, "only-pending"), 1n);
    // Now simple's t-0 expires, and only-pending's committed offset (its commit time is TxnOffsetCommit's).
    assert.equal(await c.expireOffsets(), 2);
    assert.equal(c.group("simple"), undefined);
    assert.equal(c.group("only-pending"), undefined);
    await c.close();
    await disk.close();
  });
});

// ------------------------------------------------------------------------------------ handlers

/** A request context over a coordinator, with the transaction coordinator's verdict given. */
function contextFor(
  c: GroupCoordinator,
  options: { apiVersion: number; verify?: number; topics?: Record<string, number> },
): RequestContext & { verified: unknown[] } {
  const verified: unknown[] = [];
  const topics = options.topics ?? { t: 3 };
  const broker = {
    groupCoordinator: c,
    authorizer: { enabled: false },
    logs: {
      topic: (name: string) => (topics[name] === undefined ? undefined : { name, partitions: topics[name] }),
    },
    transactionCoordinator: {
      verifyPartition: (params: unknown) => {
        verified.push(params);
        return options.verify ?? 0;
      },
    },
  } as unknown as BrokerState;
  return {
    broker,
    header: {} as RequestHeader,
    apiVersion: options.apiVersion,
    connectionId: "c",
    clientAddress: "127.0.0.1",
    verified,
  };
}

function txnRequest(over: Partial<RequestByKey[typeof ApiKey.TxnOffsetCommit]> = {}) {
  return {
    transactionalId: "tx",
    groupId: "g",
    producerId: 7n,
    producerEpoch: 0,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [
      {
        name: "t",
        partitions: [
          { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: -1, committedMetadata: "" },
          { partitionIndex: 9, committedOffset: 10n, committedLeaderEpoch: -1, committedMetadata: "" },
        ],
      },
      {
        name: "missing",
        partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "" }],
      },
    ],
    ...over,
  };
}

async function handleTxn(context: RequestContext, request: RequestByKey[typeof ApiKey.TxnOffsetCommit]) {
  const response = await txnOffsetCommitHandler.handle(context, request);
  assert.ok(typeof response === "object");
  return (response.topics ?? []).map((t) => [t.name, (t.partitions ?? []).map((p) => [p.partitionIndex, p.errorCode])]);
}

describe("TxnOffsetCommit handler", () => {
  test("verifies the group's __consumer_offsets partition, then commits; unknown partitions are refused", async () => {
    const { coordinator: c } = await makeCoordinator();
    const context = contextFor(c, { apiVersion: 3 });
    assert.deepEqual(await handleTxn(context, txnRequest()), [
      [
        "t",
        [
          [0, 0],
          [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
      ],
      ["missing", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ]);
    assert.deepEqual(context.verified, [
      {
        transactionalId: "tx",
        producerId: 7n,
        producerEpoch: 0,
        topic: offsetsTopicName,
        partition: c.partitionFor("g"),
      },
    ]);
    assert.equal(c.pendingTxnOffsetCount, 1);
    await c.close();
  });

  test("a verification error answers every known partition (PRODUCER_FENCED as INVALID_PRODUCER_EPOCH)", async () => {
    const { coordinator: c } = await makeCoordinator();
    const cases: [number, number, number][] = [
      [3, ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_TXN_STATE],
      [3, ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH],
      [3, ErrorCode.TRANSACTION_ABORTABLE, ErrorCode.INVALID_TXN_STATE],
      [4, ErrorCode.TRANSACTION_ABORTABLE, ErrorCode.TRANSACTION_ABORTABLE],
      [4, ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.CONCURRENT_TRANSACTIONS],
    ];
    for (const [apiVersion, verify, expected] of cases) {
      const answer = await handleTxn(contextFor(c, { apiVersion, verify }), txnRequest());
      assert.deepEqual(answer[0], [
        "t",
        [
          [0, expected],
          [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
      ]);
    }
    assert.equal(c.pendingTxnOffsetCount, 0);
    await c.close();
  });

  test("an empty group id is INVALID_GROUP_ID without verifying; nothing known, nothing asked", async () => {
    const { coordinator: c } = await makeCoordinator();
    const context = contextFor(c, { apiVersion: 3 });
    const answer = await handleTxn(context, txnRequest({ groupId: "" }));
    assert.deepEqual(answer[0]?.[1], [
      [0, ErrorCode.INVALID_GROUP_ID],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const none = contextFor(c, { apiVersion: 3, topics: {} });
    await handleTxn(none, txnRequest());
    assert.deepEqual([context.verified.length, none.verified.length], [0, 0]);
    await c.close();
  });

  test("v0-1: COORDINATOR_LOAD_IN_PROGRESS is answered COORDINATOR_NOT_AVAILABLE", async () => {
    const loading = new GroupCoordinator({
      config: groupConfig(),
      store: (await makeCoordinator()).store,
      clock: new ManualTime(),
      scheduler: new ManualTime(),
      logger: silentLogger,
    });
    const old = await handleTxn(contextFor(loading, { apiVersion: 1 }), txnRequest());
    assert.deepEqual(old[0]?.[1], [
      [0, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const current = await handleTxn(contextFor(loading, { apiVersion: 2 }), txnRequest());
    assert.deepEqual(current[0]?.[1]?.[0], [0, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
    await loading.close();
  });

  test("OffsetFetch v7+ with requireStable answers UNSTABLE_OFFSET_COMMIT; v6 cannot ask", async () => {
    const { coordinator: c } = await makeCoordinator();
    await txnCommit(c, { offsets: [["t", 0, 10n]] });
    const single = {
      groupId: "g",
      topics: [{ name: "t", partitionIndexes: [0] }],
      requireStable: true,
      groups: [],
    };
    const v7 = await offsetFetchHandler.handle(contextFor(c, { apiVersion: 7 }), single);
    assert.ok(typeof v7 === "object");
    assert.equal(v7.topics?.[0]?.partitions?.[0]?.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    const v8 = await offsetFetchHandler.handle(contextFor(c, { apiVersion: 8 }), {
      groupId: "",
      topics: null,
      requireStable: true,
      groups: [{ groupId: "g", memberId: null, memberEpoch: -1, topics: [{ name: "t", partitionIndexes: [0] }] }],
    });
    assert.ok(typeof v8 === "object");
    assert.equal(v8.groups?.[0]?.topics?.[0]?.partitions?.[0]?.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    // Before v7 the request has no requireStable (it decodes as false).
    const v6 = await offsetFetchHandler.handle(contextFor(c, { apiVersion: 6 }), { ...single, requireStable: false });
    assert.ok(typeof v6 === "object");
    assert.equal(v6.topics?.[0]?.partitions?.[0]?.errorCode, 0);
    assert.equal(v6.topics?.[0]?.partitions?.[0]?.committedOffset, -1n);
    await c.close();
  });
});

// ------------------------------------------------------------------------------ property test

type Op =
  | { kind: "plain"; group: number; partition: number; offset: number }
  | { kind: "txn"; producer: number; group: number; partitions: number[]; offset: number }
  | { kind: "marker"; producer: number; group: number; commit: boolean }
  | { kind: "restart" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("plain" as const),
    group: fc.nat(1),
    partition: fc.nat(1),
    offset: fc.nat(1000),
  }),
  fc.record({
    kind: fc.constant("txn" as const),
    producer: fc.nat(1),
    group: fc.nat(1),
    partitions: fc.uniqueArray(fc.nat(1), { minLength: 1, maxLength: 2 }),
    offset: fc.nat(1000),
  }),
  fc.record({ kind: fc.constant("marker" as const), producer: fc.nat(1), group: fc.nat(1), commit: fc.boolean() }),
  fc.constant({ kind: "restart" as const }),
);

interface ModelOffset {
  readonly offset: bigint;
  readonly seq: number;
}

describe("property: transactional offsets against a model", () => {
  test("random commits, markers and restarts: OffsetFetch answers as the model", async () => {
    const groups = groupsOnTwoPartitions(2);
    const key = (group: number, partition: number) => `${group}/${partition}`;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const disk = new Disk();
        let c = await openCoordinator(disk, 2);
        const committed = new Map<string, ModelOffset>();
        // producer → offsets partition → group/partition → pending offset
        const pending = new Map<number, Map<number, Map<string, ModelOffset>>>();
        let seq = 0;
        try {
          for (const op of ops) {
            switch (op.kind) {
              case "plain": {
                const groupId = groups[op.group] ?? "";
                assert.deepEqual(codes(await plainCommit(c, groupId, "t", op.partition, BigInt(op.offset))), [0]);
                committed.set(key(op.group, op.partition), { offset: BigInt(op.offset), seq: seq++ });
                break;
              }
              case "txn": {
                const groupId = groups[op.group] ?? "";
                const offsets = op.partitions.map((p) => ["t", p, BigInt(op.offset)] as const);
                const results = await txnCommit(c, { groupId, producerId: BigInt(op.producer), offsets });
                assert.deepEqual(
                  codes(results),
                  op.partitions.map(() => 0),
                );
                const at = c.partitionFor(groupId);
                const byPartition = pending.get(op.producer) ?? new Map<number, Map<string, ModelOffset>>();
                const byKey = byPartition.get(at) ?? new Map<string, ModelOffset>();
                for (const p of op.partitions) byKey.set(key(op.group, p), { offset: BigInt(op.offset), seq: seq++ });
                byPartition.set(at, byKey);
                pending.set(op.producer, byPartition);
                break;
              }
              case "marker": {
                const at = c.partitionFor(groups[op.group] ?? "");
                const end = {
                  producerId: BigInt(op.producer),
                  producerEpoch: 0,
                  coordinatorEpoch: 0,
                  commit: op.commit,
                };
                assert.equal(await c.writeTxnMarker(at, end), 0);
                seq++;
                const ended = pending.get(op.producer)?.get(at);
                pending.get(op.producer)?.delete(at);
                if (op.commit) {
                  for (const [k, o] of ended ?? []) {
                    const existing = committed.get(k);
                    if (existing === undefined || existing.seq < o.seq) committed.set(k, o);
                  }
                }
                break;
              }
              case "restart":
                c = await restart(disk, c, 2);
                break;
            }
            for (const [g, groupId] of groups.entries()) {
              for (const p of [0, 1]) {
                const expected = committed.get(key(g, p))?.offset ?? -1n;
                assert.equal(fetched(c, groupId, "t", p).committedOffset, expected, `${groupId} t-${p}`);
                const isPending = [...pending.values()].some((byPartition) =>
                  [...byPartition.values()].some((byKey) => byKey.has(key(g, p))),
                );
                const stable = fetched(c, groupId, "t", p, true);
                assert.equal(stable.errorCode, isPending ? ErrorCode.UNSTABLE_OFFSET_COMMIT : 0, `${groupId} t-${p}`);
              }
            }
          }
        } finally {
          await c.close();
          await disk.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
