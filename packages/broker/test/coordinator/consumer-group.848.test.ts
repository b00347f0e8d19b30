// The consumer rebalance protocol (KIP-848): ConsumerGroupHeartbeat, server-side assignors,
// epochs and the reconciliation that revokes before it reassigns — unit tests on a hand-moved
// clock (with a fast-check property: no partition is ever owned by two members), durability
// across a coordinator restart, the admin and offset APIs on consumer groups; then over the wire
// against an in-process broker, with @platformatic/kafka's consumer, and end to end with Kafka's
// own Java console consumer (skipped when Java or the Kafka jars are missing).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Kafka, logLevel } from "kafkajs";
import { Consumer as PlatformaticConsumer } from "@platformatic/kafka";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { Input, RequestByKey } from "@samsa/protocol";
import { startTarget, uniqueName, waitFor, WireClient } from "@samsa/testkit";
import type { Target } from "@samsa/testkit";
import { startBroker, silentLogger } from "@samsa/broker";
import type { RunningBroker } from "@samsa/broker";
import { rangeAssignor, uniformAssignor } from "../../src/coordinator/assignors.ts";
import type { Assignment } from "../../src/coordinator/assignors.ts";
import { compileTopicRegex } from "../../src/coordinator/consumer-group.ts";
import type {
  ConsumerGroupHeartbeatParams,
  ConsumerGroupHeartbeatResult,
  OwnedTopicPartitions,
  TopicInfo,
  TopicsView,
} from "../../src/coordinator/consumer-group.ts";
import { ConfigError, resolveBrokerConfig } from "../../src/config.ts";
import { GroupCoordinator } from "../../src/coordinator/group-coordinator.ts";
import { decodeRecord, encodeRecordKey, encodeRecordValue } from "../../src/coordinator/records.ts";
import { groupConfig, ManualTime, MemoryGroupStore, subscription } from "./support.ts";

// ------------------------------------------------------------------------------------ helpers

/** Topics the coordinator sees; created, grown and deleted by hand. */
class Topics implements TopicsView {
  private readonly byName = new Map<string, TopicInfo>();
  create(name: string, partitions: number): TopicInfo {
    const topic = { name, topicId: randomUUID(), partitions };
    this.byName.set(name, topic);
    return topic;
  }
  grow(name: string, partitions: number): void {
    const topic = this.byName.get(name);
    if (topic !== undefined) this.byName.set(name, { ...topic, partitions });
  }
  id(name: string): string {
    const topic = this.byName.get(name);
    if (topic === undefined) throw new Error(`no topic ${name}`);
    return topic.topicId;
  }
  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }
  topics(): TopicInfo[] {
    return [...this.byName.values()];
  }
}

interface Setup {
  readonly c: GroupCoordinator;
  readonly time: ManualTime;
  readonly store: MemoryGroupStore;
  readonly topics: Topics;
}

async function makeGroups(
  options: { settings?: Record<string, string>; store?: MemoryGroupStore; time?: ManualTime; topics?: Topics } = {},
): Promise<Setup> {
  const time = options.time ?? new ManualTime();
  const store = options.store ?? new MemoryGroupStore();
  const topics = options.topics ?? new Topics();
  let n = 0;
  const c = new GroupCoordinator({
    config: groupConfig(options.settings),
    store,
    clock: time,
    scheduler: time,
    logger: silentLogger,
    topics,
    newMemberId: (prefix) => `${prefix}-c${++n}`,
    newConsumerMemberId: () => `generated-${++n}`,
  });
  await c.load();
  return { c, time, store, topics };
}

const sessionTimeoutMs = 45_000;
const rebalanceTimeoutMs = 30_000;

function request(overrides: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams {
  return {
    groupId: "g",
    memberId: "",
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    clientId: "test",
    clientHost: "/127.0.0.1",
    apiVersion: 1,
    ...overrides,
  };
}

interface ClientOptions {
  readonly groupId?: string;
  readonly memberId?: string;
  readonly topics?: string[];
  readonly regex?: string;
  readonly instanceId?: string;
  readonly assignor?: string;
}

/** A consumer as the Java client behaves: keeps its epoch and what it owns, reports it each time. */
class Client {
  epoch = 0;
  /** topicId → partitions the client owns (what the last assignment it received said). */
  owned = new Map<string, number[]>();
  readonly memberId: string;
  /** The topic names it subscribes to (unless it uses a regex). */
  topics: string[];
  readonly c: GroupCoordinator;
  readonly options: ClientOptions;
  constructor(c: GroupCoordinator, options: ClientOptions = {}) {
    this.c = c;
    this.options = options;
    this.memberId = options.memberId ?? randomUUID();
    this.topics = options.topics ?? ["t"];
  }

  get groupId(): string {
    return this.options.groupId ?? "g";
  }

  ownedPartitions(): OwnedTopicPartitions[] {
    return [...this.owned].map(([topicId, partitions]) => ({ topicId, partitions }));
  }

  ownedKeys(): string[] {
    return [...this.owned].flatMap(([topicId, ps]) => ps.map((p) => `${topicId}:${p}`));
  }

  /** Takes a response in: a new epoch, a new assignment (revoked partitions are dropped at once). */
  apply(r: ConsumerGroupHeartbeatResult): ConsumerGroupHeartbeatResult {
    if (r.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.owned.clear();
      this.epoch = 0;
    }
    if (r.errorCode !== 0) return r;
    this.epoch = r.memberEpoch;
    if (r.assignment !== null) {
      this.owned = new Map(r.assignment.topicPartitions.map((t) => [t.topicId, [...t.partitions]]));
    }
    return r;
  }

  async join(extra: Partial<ConsumerGroupHeartbeatParams> = {}): Promise<ConsumerGroupHeartbeatResult> {
    return this.apply(
      await this.c.consumerGroupHeartbeat(
        request({
          groupId: this.groupId,
          memberId: this.memberId,
          memberEpoch: 0,
          instanceId: this.options.instanceId ?? null,
          rebalanceTimeoutMs,
          subscribedTopicNames: this.options.regex === undefined ? this.topics : null,
          subscribedTopicRegex: this.options.regex ?? null,
          serverAssignor: this.options.assignor ?? null,
          topicPartitions: [],
          ...extra,
        }),
      ),
    );
  }

  /** After a heartbeat that got no answer the next one is a full request, as the Java client's. */
  sendFullRequest = false;

  async heartbeat(extra: Partial<ConsumerGroupHeartbeatParams> = {}): Promise<ConsumerGroupHeartbeatResult> {
    if (this.epoch === 0) return this.join(extra);
    const full = this.sendFullRequest
      ? {
          rebalanceTimeoutMs,
          subscribedTopicNames: this.options.regex === undefined ? this.topics : null,
          subscribedTopicRegex: this.options.regex ?? null,
        }
      : {};
    this.sendFullRequest = false;
    return this.apply(
      await this.c.consumerGroupHeartbeat(
        request({
          groupId: this.groupId,
          memberId: this.memberId,
          memberEpoch: this.epoch,
          topicPartitions: this.ownedPartitions(),
          ...full,
          ...extra,
        }),
      ),
    );
  }

  async leave(epoch = -1): Promise<ConsumerGroupHeartbeatResult> {
    const r = await this.c.consumerGroupHeartbeat(
      request({
        groupId: this.groupId,
        memberId: this.memberId,
        memberEpoch: epoch,
        instanceId: this.options.instanceId ?? null,
      }),
    );
    if (r.errorCode === 0) {
      this.owned.clear();
      this.epoch = 0;
    }
    return r;
  }
}

/** Heartbeats every client in turn until the group is Stable (bounded). */
async function converge(c: GroupCoordinator, clients: readonly Client[], groupId = "g"): Promise<void> {
  for (let round = 0; round < 20; round++) {
    for (const client of clients) await client.heartbeat();
    if (c.consumerGroup(groupId)?.state === "Stable") return;
  }
  assert.fail(`group ${groupId} did not become Stable: ${c.consumerGroup(groupId)?.state}`);
}

function assertDisjoint(clients: readonly Client[]): void {
  const seen = new Map<string, string>();
  for (const client of clients) {
    for (const key of client.ownedKeys()) {
      const other = seen.get(key);
      assert.equal(other, undefined, `${key} owned by ${other} and ${client.memberId}`);
      seen.set(key, client.memberId);
    }
  }
}

function partitionsOf(a: Assignment | Map<string, number[]>, topicId: string): number[] {
  return [...(a.get(topicId) ?? [])].sort((x, y) => x - y);
}

// --------------------------------------------------------------------------- the protocol

describe("ConsumerGroupHeartbeat: joining", () => {
  test("the first member gets every partition, the group epoch and the heartbeat interval", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 6);
    const a = new Client(c);
    const r = await a.join();
    assert.equal(r.errorCode, 0);
    assert.equal(r.memberId, a.memberId);
    assert.equal(r.memberEpoch, 1);
    assert.equal(r.heartbeatIntervalMs, 5000);
    assert.deepEqual(r.assignment?.topicPartitions, [{ topicId: topics.id("t"), partitions: [0, 1, 2, 3, 4, 5] }]);
    const group = c.consumerGroup("g");
    assert.equal(group?.state, "Stable");
    assert.equal(group?.groupEpoch, 1);
    assert.equal(group?.assignmentEpoch, 1);
    // A heartbeat without changes answers no assignment (the member keeps what it has).
    const again = await a.heartbeat();
    assert.equal(again.errorCode, 0);
    assert.equal(again.memberEpoch, 1);
    assert.equal(again.assignment, null);
  });

  test("member ids: v0 gets one from the coordinator, v1 must bring its own", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 1);
    const base = { memberEpoch: 0, rebalanceTimeoutMs, subscribedTopicNames: ["t"], topicPartitions: [] };
    const v1 = await c.consumerGroupHeartbeat(request({ ...base, memberId: "", apiVersion: 1 }));
    assert.equal(v1.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(v1.errorMessage, "MemberId can't be empty.");
    const v0 = await c.consumerGroupHeartbeat(request({ ...base, memberId: "", apiVersion: 0 }));
    assert.equal(v0.errorCode, 0);
    assert.equal(v0.memberId, "generated-1");
    // Any non-empty id is accepted (Kafka does not check that it is a UUID).
    const named = await c.consumerGroupHeartbeat(request({ ...base, memberId: "not-a-uuid" }));
    assert.equal(named.errorCode, 0);
    assert.equal(named.memberId, "not-a-uuid");
  });

  test("requests are checked as Kafka 4.4 checks them", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 1);
    const join = {
      memberId: "m",
      memberEpoch: 0,
      rebalanceTimeoutMs,
      subscribedTopicNames: ["t"],
      topicPartitions: [],
    };
    const cases: [Partial<ConsumerGroupHeartbeatParams>, number, string | null][] = [
      [{ ...join, groupId: "" }, ErrorCode.INVALID_REQUEST, "GroupId can't be empty."],
      [{ ...join, instanceId: " " }, ErrorCode.INVALID_REQUEST, "InstanceId can't be empty."],
      [{ ...join, rackId: "" }, ErrorCode.INVALID_REQUEST, "RackId can't be empty."],
      [
        { ...join, rebalanceTimeoutMs: -1 },
        ErrorCode.INVALID_REQUEST,
        "RebalanceTimeoutMs must be provided in first request.",
      ],
      [
        { ...join, topicPartitions: null },
        ErrorCode.INVALID_REQUEST,
        "TopicPartitions must be empty when (re-)joining.",
      ],
      [
        { ...join, subscribedTopicNames: null },
        ErrorCode.INVALID_REQUEST,
        "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
      ],
      [{ memberId: "m", memberEpoch: -2 }, ErrorCode.INVALID_REQUEST, "InstanceId can't be null."],
      [{ memberId: "m", memberEpoch: -3 }, ErrorCode.INVALID_REQUEST, "MemberEpoch is invalid."],
      [{ memberId: "", memberEpoch: 3, apiVersion: 0 }, ErrorCode.INVALID_REQUEST, "MemberId can't be empty."],
      [
        { ...join, serverAssignor: "sticky" },
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        "ServerAssignor sticky is not supported. Supported assignors: uniform, range.",
      ],
      [
        { ...join, subscribedTopicNames: null, subscribedTopicRegex: "[" },
        ErrorCode.INVALID_REGULAR_EXPRESSION,
        "SubscribedTopicRegex `[` is not a valid regular expression: missing closing ].",
      ],
      [{ memberId: "m", memberEpoch: 4 }, ErrorCode.GROUP_ID_NOT_FOUND, "Consumer group g not found."],
      [{ memberId: "m", memberEpoch: -1 }, ErrorCode.GROUP_ID_NOT_FOUND, "Group g not found."],
    ];
    for (const [overrides, errorCode, errorMessage] of cases) {
      const r = await c.consumerGroupHeartbeat(request(overrides));
      assert.equal(r.errorCode, errorCode, JSON.stringify(overrides));
      assert.equal(r.errorMessage, errorMessage);
      assert.equal(r.memberId, null);
    }
    // None of them left a group behind.
    assert.equal(c.groupCount, 0);
    // An empty subscription is allowed: the member is in the group with nothing to consume.
    const empty = await c.consumerGroupHeartbeat(request({ ...join, subscribedTopicNames: [] }));
    assert.equal(empty.errorCode, 0);
    assert.deepEqual(empty.assignment?.topicPartitions, []);
  });

  test("group.consumer.max.size refuses new members, not existing ones", async () => {
    const { c, topics } = await makeGroups({ settings: { "group.consumer.max.size": "2" } });
    topics.create("t", 4);
    const [a, b, x] = [new Client(c), new Client(c), new Client(c)];
    assert.equal((await a.join()).errorCode, 0);
    assert.equal((await b.join()).errorCode, 0);
    const refused = await x.join();
    assert.equal(refused.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    assert.equal(refused.errorMessage, "The consumer group has reached its maximum capacity of 2 members.");
    assert.equal((await a.heartbeat()).errorCode, 0);
  });
});

describe("assignors", () => {
  for (const assignor of ["uniform", "range"] as const) {
    for (const count of [1, 2, 3]) {
      test(`${assignor}: ${count} member(s) share 6 partitions`, async () => {
        const { c, topics } = await makeGroups();
        topics.create("t", 6);
        const clients = Array.from({ length: count }, (_, i) => new Client(c, { memberId: `member-${i}`, assignor }));
        for (const client of clients) await client.join();
        await converge(c, clients);
        assertDisjoint(clients);
        const id = topics.id("t");
        const shares = clients.map((client) => partitionsOf(client.owned, id));
        assert.deepEqual(shares.flat().sort(), [0, 1, 2, 3, 4, 5]);
        for (const share of shares) assert.equal(share.length, 6 / count);
        if (assignor === "range") {
          // Contiguous ranges in member id order.
          const expected = {
            1: [[0, 1, 2, 3, 4, 5]],
            2: [
              [0, 1, 2],
              [3, 4, 5],
            ],
            3: [
              [0, 1],
              [2, 3],
              [4, 5],
            ],
          }[count];
          assert.deepEqual(shares, expected);
        }
        const described = c.consumerGroupDescribe(["g"])[0]?.group;
        assert.equal(described?.assignorName, assignor);
        assert.equal(described?.groupState, "Stable");
      });
    }
  }

  test("uniform is sticky and balanced, also with different subscriptions", () => {
    const [t1, t2] = ["topic-1", "topic-2"];
    const counts = new Map([
      [t1, 7],
      [t2, 3],
    ]);
    const first = uniformAssignor.assign({
      members: [
        { memberId: "a", instanceId: null, topicIds: new Set([t1, t2]), previous: new Map() },
        { memberId: "b", instanceId: null, topicIds: new Set([t1, t2]), previous: new Map() },
      ],
      partitionCounts: counts,
    });
    const load = (a: Assignment | undefined) => [...(a?.values() ?? [])].reduce((n, ps) => n + ps.length, 0);
    assert.deepEqual([load(first.get("a")), load(first.get("b"))].sort(), [5, 5]);
    // A third member subscribed to t2 only: it gets t2 partitions, the others keep most of theirs.
    const second = uniformAssignor.assign({
      members: [
        { memberId: "a", instanceId: null, topicIds: new Set([t1, t2]), previous: first.get("a") ?? new Map() },
        { memberId: "b", instanceId: null, topicIds: new Set([t1, t2]), previous: first.get("b") ?? new Map() },
        { memberId: "c", instanceId: null, topicIds: new Set([t2]), previous: new Map() },
      ],
      partitionCounts: counts,
    });
    const all = [...second.values()].flatMap((a) => [...a].flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    assert.equal(all.length, 10);
    assert.equal(new Set(all).size, 10);
    assert.deepEqual([...(second.get("c")?.keys() ?? [])], [t2]);
    assert.ok(load(second.get("c")) >= 2, "the t2-only member gets a fair share of t2");
    let kept = 0;
    for (const m of ["a", "b"]) {
      for (const [t, ps] of second.get(m) ?? new Map<string, readonly number[]>()) {
        kept += ps.filter((p) => first.get(m)?.get(t)?.includes(p) === true).length;
      }
    }
    assert.ok(kept >= 7, `members keep their partitions where they can (kept ${kept})`);
  });

  test("range puts static members first, by instance id", () => {
    const result = rangeAssignor.assign({
      members: [
        { memberId: "a", instanceId: null, topicIds: new Set(["t"]), previous: new Map() },
        { memberId: "z", instanceId: "i-1", topicIds: new Set(["t"]), previous: new Map() },
      ],
      partitionCounts: new Map([["t", 3]]),
    });
    assert.deepEqual(result.get("z")?.get("t"), [0, 1]);
    assert.deepEqual(result.get("a")?.get("t"), [2]);
  });
});

describe("reconciliation", () => {
  test("a partition moves only after its owner confirmed the revocation", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 6);
    const id = topics.id("t");
    const a = new Client(c, { memberId: "a", assignor: "range" });
    const b = new Client(c, { memberId: "b", assignor: "range" });
    await a.join();
    assert.deepEqual(partitionsOf(a.owned, id), [0, 1, 2, 3, 4, 5]);
    const joined = await b.join();
    // b is in epoch 2 but gets nothing yet: a still owns everything.
    assert.equal(joined.memberEpoch, 2);
    assert.deepEqual(joined.assignment?.topicPartitions, []);
    assert.equal(c.consumerGroup("g")?.state, "Reconciling");
    // b asks again: still nothing.
    assert.equal((await b.heartbeat()).assignment, null);
    // a is told to keep 0-2 (revoking 3-5) and stays in epoch 1 until it confirms.
    const revoke = await a.heartbeat();
    assert.equal(revoke.memberEpoch, 1);
    assert.deepEqual(revoke.assignment?.topicPartitions, [{ topicId: id, partitions: [0, 1, 2] }]);
    assert.equal(c.consumerGroup("g")?.memberView("a")?.state, "unrevokedPartitions");
    // A heartbeat that still lists 3-5 does not release them.
    const stillOwning = await c.consumerGroupHeartbeat(
      request({ memberId: "a", memberEpoch: 1, topicPartitions: [{ topicId: id, partitions: [0, 1, 2, 3, 4, 5] }] }),
    );
    assert.equal(stillOwning.memberEpoch, 1);
    assert.equal((await b.heartbeat()).assignment, null);
    assert.deepEqual(partitionsOf(b.owned, id), []);
    // A heartbeat without partitions (null: not reported) does not release them either.
    await c.consumerGroupHeartbeat(request({ memberId: "a", memberEpoch: 1, topicPartitions: null }));
    assert.equal((await b.heartbeat()).assignment, null);
    // a confirms (0-2 only): it moves to epoch 2, and b gets 3-5.
    const confirmed = await a.heartbeat();
    assert.equal(confirmed.memberEpoch, 2);
    assert.equal(confirmed.assignment, null);
    const given = await b.heartbeat();
    assert.deepEqual(given.assignment?.topicPartitions, [{ topicId: id, partitions: [3, 4, 5] }]);
    assert.equal(c.consumerGroup("g")?.state, "Stable");
    assertDisjoint([a, b]);
  });

  test("a member that does not revoke within its rebalance timeout is removed", async () => {
    const { c, time, topics } = await makeGroups();
    topics.create("t", 4);
    const a = new Client(c, { memberId: "a" });
    const b = new Client(c, { memberId: "b" });
    await a.join();
    await b.join();
    await a.heartbeat(); // asked to revoke two partitions
    assert.equal(c.consumerGroup("g")?.memberView("a")?.state, "unrevokedPartitions");
    // a keeps heartbeating but never lets go.
    const stubborn = () =>
      c.consumerGroupHeartbeat(
        request({
          memberId: "a",
          memberEpoch: a.epoch,
          topicPartitions: [{ topicId: topics.id("t"), partitions: [0, 1, 2, 3] }],
        }),
      );
    for (let i = 0; i < 5; i++) {
      time.advance(5_000);
      assert.equal((await stubborn()).errorCode, 0);
      await b.heartbeat();
    }
    time.advance(rebalanceTimeoutMs);
    assert.equal(c.consumerGroup("g")?.hasMember("a"), false);
    assert.equal((await stubborn()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await b.heartbeat();
    assert.deepEqual(partitionsOf(b.owned, topics.id("t")), [0, 1, 2, 3]);
  });

  test("topics gaining partitions start a new epoch; the new partitions are assigned", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 2);
    const a = new Client(c, { memberId: "a" });
    const b = new Client(c, { memberId: "b" });
    await a.join();
    await b.join();
    await converge(c, [a, b]);
    const epoch = c.consumerGroup("g")?.groupEpoch ?? 0;
    topics.grow("t", 6);
    await converge(c, [a, b]);
    assert.equal(c.consumerGroup("g")?.groupEpoch, epoch + 1);
    const id = topics.id("t");
    assert.deepEqual([...partitionsOf(a.owned, id), ...partitionsOf(b.owned, id)].sort(), [0, 1, 2, 3, 4, 5]);
    assert.equal(partitionsOf(a.owned, id).length, 3);
  });

  test("a regex subscription picks up a topic created later; invalid patterns are refused", async () => {
    const { c, topics } = await makeGroups();
    topics.create("other", 2);
    const a = new Client(c, { memberId: "a", regex: "orders-.*" });
    const joined = await a.join();
    assert.deepEqual(joined.assignment?.topicPartitions, []);
    const orders = topics.create("orders-eu", 3);
    const r = await a.heartbeat();
    assert.deepEqual(r.assignment?.topicPartitions, [{ topicId: orders.topicId, partitions: [0, 1, 2] }]);
    assert.equal(c.consumerGroup("g")?.isSubscribedToTopic("orders-us"), true);
    assert.equal(c.consumerGroup("g")?.isSubscribedToTopic("other"), false);
    const described = c.consumerGroupDescribe(["g"])[0]?.group?.members[0];
    assert.equal(described?.subscribedTopicRegex, "orders-.*");
    assert.deepEqual(described?.subscribedTopicNames, []);
    // Changing the regex to one that does not compile is refused; the old one stays.
    const bad = await a.heartbeat({ subscribedTopicRegex: "(unclosed" });
    assert.equal(bad.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
    assert.equal((await a.heartbeat()).errorCode, 0);
  });

  test("RE2/J syntax is approximated on JavaScript regular expressions", () => {
    const matches = (pattern: string, topic: string): boolean => {
      const regex = compileTopicRegex(pattern);
      assert.equal(typeof regex, "object", `${pattern} compiles`);
      return typeof regex !== "string" && regex.test(topic);
    };
    assert.ok(matches("orders.*", "orders-1"));
    assert.ok(!matches("orders", "orders-1"), "a full match, as Java's Matcher.matches()");
    assert.ok(matches("(?i)ORDERS", "orders"));
    assert.ok(matches("a(?i)b", "aB"));
    assert.ok(!matches("a(?i)b", "AB"));
    assert.ok(matches("\\Qa.b\\E", "a.b"));
    assert.ok(!matches("\\Qa.b\\E", "axb"));
    assert.ok(matches("[[:digit:]]+", "123"));
    assert.ok(matches("(?P<name>x)y", "xy"));
    assert.ok(matches("\\Aabc\\z", "abc"));
    assert.ok(matches("\\p{L}+", "événements"));
    for (const invalid of ["[", "(a", "a)", "(?=a)", "(?!a)", "(?<=a)b", "(a)\\1", "(?U)a", "*"]) {
      assert.equal(typeof compileTopicRegex(invalid), "string", `${invalid} is refused`);
    }
  });
});

describe("fencing", () => {
  test("epochs: ahead or unknown are fenced; the previous one with a subset of the assignment is not", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 4);
    const id = topics.id("t");
    const a = new Client(c, { memberId: "a" });
    const b = new Client(c, { memberId: "b" });
    await a.join();
    await b.join();
    await converge(c, [a, b]);
    // A few more epochs, so that "older than the previous one" exists.
    const x = new Client(c, { memberId: "x" });
    await x.join();
    await converge(c, [a, b, x]);
    await x.leave();
    await converge(c, [a, b]);
    const epoch = a.epoch;
    assert.ok(epoch >= 3);
    const ahead = await c.consumerGroupHeartbeat(request({ memberId: "a", memberEpoch: epoch + 1 }));
    assert.equal(ahead.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal(
      ahead.errorMessage,
      `The consumer group member has a greater member epoch (${epoch + 1}) than the one known by the group coordinator (${epoch}). The member must abandon all its partitions and rejoin.`,
    );
    const previous = c.consumerGroup("g")?.memberView("a")?.previousMemberEpoch ?? -5;
    // The previous epoch while owning a subset: the response that moved it on was lost.
    const lost = await c.consumerGroupHeartbeat(
      request({ memberId: "a", memberEpoch: previous, topicPartitions: a.ownedPartitions() }),
    );
    assert.equal(lost.errorCode, 0);
    assert.equal(lost.memberEpoch, epoch);
    // The previous epoch while claiming a partition it does not have: fenced.
    const greedy = await c.consumerGroupHeartbeat(
      request({ memberId: "a", memberEpoch: previous, topicPartitions: [{ topicId: id, partitions: [0, 1, 2, 3] }] }),
    );
    assert.equal(greedy.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    const older = await c.consumerGroupHeartbeat(
      request({ memberId: "a", memberEpoch: previous - 1, topicPartitions: [] }),
    );
    assert.equal(older.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    const stranger = await c.consumerGroupHeartbeat(request({ memberId: "zz", memberEpoch: 1 }));
    assert.equal(stranger.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(stranger.errorMessage, "Member zz is not a member of group g.");
    // Rejoining with epoch 0 under the same id is accepted (Kafka 4.4): it gets its assignment back.
    const rejoin = await c.consumerGroupHeartbeat(
      request({ memberId: "a", memberEpoch: 0, rebalanceTimeoutMs, subscribedTopicNames: ["t"], topicPartitions: [] }),
    );
    assert.equal(rejoin.errorCode, 0);
    assert.equal(rejoin.memberEpoch, epoch);
    assert.deepEqual(rejoin.assignment?.topicPartitions, a.ownedPartitions());
  });

  test("a member that stops heartbeating is removed after the session timeout", async () => {
    const { c, time, topics } = await makeGroups();
    topics.create("t", 6);
    const id = topics.id("t");
    const a = new Client(c, { memberId: "a" });
    const b = new Client(c, { memberId: "b" });
    await a.join();
    await b.join();
    await converge(c, [a, b]);
    const epoch = c.consumerGroup("g")?.groupEpoch ?? 0;
    // b goes silent; a keeps heartbeating.
    for (let elapsed = 0; elapsed < sessionTimeoutMs - 5_000; elapsed += 5_000) {
      time.advance(5_000);
      await a.heartbeat();
    }
    assert.equal(c.consumerGroup("g")?.hasMember("b"), true);
    time.advance(5_000);
    assert.equal(c.consumerGroup("g")?.hasMember("b"), false);
    assert.equal(c.consumerGroup("g")?.groupEpoch, epoch + 1);
    await a.heartbeat();
    assert.deepEqual(partitionsOf(a.owned, id), [0, 1, 2, 3, 4, 5]);
    assert.equal((await b.heartbeat({ memberEpoch: b.epoch })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test("leaving (-1) frees the partitions at once; the group becomes Empty", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 6);
    const a = new Client(c, { memberId: "a" });
    const b = new Client(c, { memberId: "b" });
    await a.join();
    await b.join();
    await converge(c, [a, b]);
    const left = await b.leave();
    assert.deepEqual(
      {
        errorCode: left.errorCode,
        memberId: left.memberId,
        memberEpoch: left.memberEpoch,
        assignment: left.assignment,
      },
      { errorCode: 0, memberId: "b", memberEpoch: -1, assignment: null },
    );
    await a.heartbeat();
    assert.deepEqual(partitionsOf(a.owned, topics.id("t")), [0, 1, 2, 3, 4, 5]);
    assert.equal((await b.leave()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await a.leave();
    assert.equal(c.consumerGroup("g")?.state, "Empty");
  });

  test("static members: -2 keeps the place and partitions; a new instance takes them back", async () => {
    const { c, time, topics } = await makeGroups();
    topics.create("t", 4);
    const id = topics.id("t");
    const s1 = new Client(c, { memberId: "s1", instanceId: "instance-1" });
    const d = new Client(c, { memberId: "d" });
    await s1.join();
    await d.join();
    await converge(c, [s1, d]);
    const mine = partitionsOf(s1.owned, id);
    const groupEpoch = c.consumerGroup("g")?.groupEpoch;
    // Another process with the same instance id while s1 is active: refused.
    const intruder = new Client(c, { memberId: "s2", instanceId: "instance-1" });
    const refused = await intruder.join();
    assert.equal(refused.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    assert.equal(
      refused.errorMessage,
      "Static member s2 with instance id instance-1 cannot join the group because the instance id is owned by s1 member.",
    );
    // A heartbeat naming the instance under another member id: fenced.
    const wrong = await c.consumerGroupHeartbeat(request({ memberId: "s2", instanceId: "instance-1", memberEpoch: 3 }));
    assert.equal(wrong.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    // s1 leaves for now (-2): it stays with its partitions; nothing moves to d.
    const away = await s1.leave(-2);
    assert.equal(away.memberEpoch, -2);
    assert.equal(c.consumerGroup("g")?.memberView("s1")?.memberEpoch, -2);
    await d.heartbeat();
    assert.equal(partitionsOf(d.owned, id).length, 2);
    // The restarted instance (new member id) gets the same partitions, without a new group epoch.
    time.advance(10_000);
    await d.heartbeat();
    const back = await intruder.join();
    assert.equal(back.errorCode, 0);
    assert.deepEqual(partitionsOf(intruder.owned, id), mine);
    assert.equal(c.consumerGroup("g")?.groupEpoch, groupEpoch);
    assert.equal(c.consumerGroup("g")?.hasMember("s1"), false);
    const old = await c.consumerGroupHeartbeat(request({ memberId: "s1", instanceId: "instance-1", memberEpoch: 2 }));
    assert.equal(old.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    // Leaving for now and not coming back within the session: removed, partitions move on.
    await intruder.leave(-2);
    for (let elapsed = 0; elapsed <= sessionTimeoutMs; elapsed += 5_000) {
      time.advance(5_000);
      await d.heartbeat();
    }
    assert.equal(c.consumerGroup("g")?.hasMember("s2"), false);
    await d.heartbeat();
    assert.deepEqual(partitionsOf(d.owned, id), [0, 1, 2, 3]);
  });
});

describe("group.consumer.* settings", () => {
  test("defaults, bounds and assignor names as Kafka 4 has them", () => {
    const defaults = resolveBrokerConfig().groupCoordinator;
    assert.deepEqual(
      [
        defaults.consumerHeartbeatIntervalMs,
        defaults.consumerSessionTimeoutMs,
        defaults.consumerGroupSizeMax,
        defaults.consumerAssignors,
      ],
      [5000, 45_000, 2147483647, ["uniform", "range"]],
    );
    const small = resolveBrokerConfig({
      "group.consumer.min.heartbeat.interval.ms": "100",
      "group.consumer.heartbeat.interval.ms": "250",
      "group.consumer.min.session.timeout.ms": "1000",
      "group.consumer.session.timeout.ms": "6000",
      "group.consumer.assignors": "org.apache.kafka.coordinator.group.assignor.RangeAssignor, uniform",
    }).groupCoordinator;
    assert.deepEqual(
      [small.consumerHeartbeatIntervalMs, small.consumerSessionTimeoutMs, small.consumerAssignors],
      [250, 6000, ["range", "uniform"]],
    );
    const refused: Record<string, string>[] = [
      { "group.consumer.session.timeout.ms": "6000" }, // below group.consumer.min.session.timeout.ms
      { "group.consumer.heartbeat.interval.ms": "20000" }, // above the max
      { "group.consumer.min.heartbeat.interval.ms": "1", "group.consumer.heartbeat.interval.ms": "50000" },
      { "group.consumer.assignors": "sticky" },
      { "group.consumer.assignors": "" },
    ];
    for (const settings of refused)
      assert.throws(() => resolveBrokerConfig(settings), ConfigError, JSON.stringify(settings));
  });
});

// ------------------------------------------------------------------------- the property

type Action =
  | { readonly kind: "join"; readonly topics: 0 | 1 | 2 }
  | { readonly kind: "heartbeat"; readonly who: number }
  | { readonly kind: "lostResponse"; readonly who: number }
  | { readonly kind: "leave"; readonly who: number }
  | { readonly kind: "crash"; readonly who: number }
  | { readonly kind: "subscribe"; readonly who: number; readonly topics: 0 | 1 | 2 }
  | { readonly kind: "grow" }
  | { readonly kind: "tick"; readonly ms: number };

const subscriptions = [["a"], ["b"], ["a", "b"]] as const;

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), topics: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
  fc.record({ kind: fc.constant("heartbeat" as const), who: fc.nat(5) }),
  fc.record({ kind: fc.constant("heartbeat" as const), who: fc.nat(5) }),
  fc.record({ kind: fc.constant("heartbeat" as const), who: fc.nat(5) }),
  fc.record({ kind: fc.constant("lostResponse" as const), who: fc.nat(5) }),
  fc.record({ kind: fc.constant("leave" as const), who: fc.nat(5) }),
  fc.record({ kind: fc.constant("crash" as const), who: fc.nat(5) }),
  fc.record({
    kind: fc.constant("subscribe" as const),
    who: fc.nat(5),
    topics: fc.constantFrom(0 as const, 1 as const, 2 as const),
  }),
  fc.record({ kind: fc.constant("grow" as const) }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 20_000 }) }),
);

describe("property", () => {
  test("no partition is ever owned by two members, and the group converges", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArbitrary, { minLength: 1, maxLength: 40 }),
        fc.constantFrom("uniform", "range"),
        async (actions, assignor) => {
          const { c, time, topics } = await makeGroups();
          topics.create("a", 6);
          topics.create("b", 3);
          const live: Client[] = [];
          let next = 0;
          const pick = (who: number): Client | undefined => live[who % Math.max(1, live.length)];
          const check = (): void => {
            assertDisjoint(live);
            // What a live client owns, the coordinator knows it owns (assigned or being revoked).
            const group = c.consumerGroup("g");
            for (const client of live) {
              const view = group?.memberView(client.memberId);
              for (const [topicId, partitions] of client.owned) {
                const known = [...(view?.assigned.get(topicId) ?? []), ...(view?.pendingRevocation.get(topicId) ?? [])];
                for (const p of partitions) assert.ok(known.includes(p), `${client.memberId} owns ${topicId}:${p}`);
              }
            }
          };
          const heartbeatAll = async (): Promise<void> => {
            for (const client of live) await client.heartbeat();
          };
          for (const action of actions) {
            switch (action.kind) {
              case "join": {
                if (live.length >= 4) break;
                const client = new Client(c, {
                  memberId: `m${next++}`,
                  topics: [...subscriptions[action.topics]],
                  assignor,
                });
                live.push(client);
                await client.join();
                break;
              }
              case "heartbeat":
                await pick(action.who)?.heartbeat();
                break;
              case "lostResponse": {
                const client = pick(action.who);
                if (client === undefined || client.epoch === 0) break;
                // The coordinator acts on it; the client never hears back (and says everything next time).
                await c.consumerGroupHeartbeat(
                  request({
                    memberId: client.memberId,
                    memberEpoch: client.epoch,
                    topicPartitions: client.ownedPartitions(),
                  }),
                );
                client.sendFullRequest = true;
                break;
              }
              case "leave": {
                const client = pick(action.who);
                if (client === undefined) break;
                live.splice(live.indexOf(client), 1);
                await client.leave();
                break;
              }
              case "crash": {
                // It stops (owning nothing from now on); its session runs out later.
                const client = pick(action.who);
                if (client !== undefined) live.splice(live.indexOf(client), 1);
                break;
              }
              case "subscribe": {
                const client = pick(action.who);
                if (client === undefined || client.epoch === 0) break;
                const wanted = [...subscriptions[action.topics]];
                if ((await client.heartbeat({ subscribedTopicNames: wanted })).errorCode === 0) client.topics = wanted;
                break;
              }
              case "grow":
                topics.grow("a", Math.min(12, (topics.topic("a")?.partitions ?? 6) + 1));
                break;
              case "tick":
                // Live clients heartbeat well within their session and rebalance timeouts.
                time.advance(action.ms);
                await heartbeatAll();
                break;
            }
            check();
          }
          // Let crashed members expire, then everyone settles.
          for (let elapsed = 0; elapsed <= sessionTimeoutMs + 10_000; elapsed += 10_000) {
            time.advance(10_000);
            await heartbeatAll();
            check();
          }
          for (let round = 0; round < 10; round++) {
            await heartbeatAll();
            check();
          }
          const group = c.consumerGroup("g");
          if (group === undefined) return;
          assert.equal(group.state, live.length === 0 ? "Empty" : "Stable");
          assert.equal(group.memberCount, live.length);
          // Every partition of a subscribed topic is owned by exactly one live member subscribed to it.
          for (const name of ["a", "b"]) {
            const topic = topics.topic(name);
            if (topic === undefined) continue;
            const subscribers = live.filter((l) => l.topics.includes(name));
            const owned = live.flatMap((l) => partitionsOf(l.owned, topic.topicId)).sort((x, y) => x - y);
            const expected = subscribers.length === 0 ? [] : Array.from({ length: topic.partitions }, (_, i) => i);
            assert.deepEqual(owned, expected, `partitions of ${name}`);
            for (const l of live) {
              if (!subscribers.includes(l)) assert.deepEqual(partitionsOf(l.owned, topic.topicId), []);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

// -------------------------------------------------------------------- offsets and admin

function commit(
  c: GroupCoordinator,
  options: { memberId: string; epoch: number; apiVersion?: number; groupId?: string; offset?: bigint },
) {
  return c.commitOffsets({
    groupId: options.groupId ?? "g",
    generationIdOrMemberEpoch: options.epoch,
    memberId: options.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: "t",
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: options.offset ?? 7n,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: null,
          },
        ],
      },
    ],
    apiVersion: options.apiVersion ?? 9,
  });
}

describe("offsets of consumer groups", () => {
  test("OffsetCommit v9 checks the member and its epoch; v8 and below are refused to members", async () => {
    const { c, topics } = await makeGroups();
    topics.create("t", 2);
    const a = new Client(c, { memberId: "a" });
    await a.join();
    const code = async (options: Parameters<typeof commit>[1]) =>
      (await commit(c, options))[0]?.partitions[0]?.errorCode;
    assert.equal(await code({ memberId: "a", epoch: a.epoch }), 0);
    assert.equal(await code({ memberId: "a", epoch: a.epoch + 1 }), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(await code({ memberId: "a", epoch: a.epoch - 1 }), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(await code({ memberId: "nobody", epoch: a.epoch }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({ memberId: "", epoch: -1 }), ErrorCode.UNKNOWN_MEMBER_ID, "-1 only to an empty group");
    assert.equal(await code({ memberId: "a", epoch: a.epoch, apiVersion: 8 }), ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(await code({ memberId: "x", epoch: 3, groupId: "unknown" }), ErrorCode.GROUP_ID_NOT_FOUND);

    const fetch = (memberId: string | null, memberEpoch: number) =>
      c.fetchOffsets({
        groupId: "g",
        topics: [{ name: "t", partitionIndexes: [0] }],
        requireStable: false,
        memberId,
        memberEpoch,
      });
    assert.equal(fetch("a", a.epoch).topics[0]?.partitions[0]?.committedOffset, 7n);
    assert.equal(fetch(null, -1).errorCode, 0, "the admin client names no member");
    assert.equal(fetch("a", a.epoch - 1).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(fetch("nobody", 1).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(fetch("", -1).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.fetchOffsets({ groupId: "g", topics: null, requireStable: false }).errorCode, 0);

    // Once empty, anyone may commit with -1 (as to an empty classic group).
    await a.leave();
    assert.equal(await code({ memberId: "", epoch: -1, offset: 9n }), 0);
    assert.equal(fetch(null, -1).topics[0]?.partitions[0]?.committedOffset, 9n);
  });

  test("OffsetDelete keeps subscribed topics; expiry counts from the commit for unsubscribed ones", async () => {
    const { c, time, topics } = await makeGroups({ settings: { "offsets.retention.minutes": "1" } });
    topics.create("t", 2);
    topics.create("old", 1);
    const a = new Client(c, { memberId: "a" });
    await a.join();
    await commit(c, { memberId: "a", epoch: a.epoch });
    await c.commitOffsets({
      groupId: "g",
      generationIdOrMemberEpoch: a.epoch,
      memberId: "a",
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        {
          name: "old",
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: "",
            },
          ],
        },
      ],
      apiVersion: 9,
    });
    const deleted = await c.deleteOffsets("g", [{ name: "t", partitions: [0] }]);
    assert.equal(deleted.errorCode, 0, "no NON_EMPTY_GROUP for consumer groups");
    assert.equal(deleted.topics[0]?.partitions[0]?.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    for (let i = 0; i < 3; i++) {
      time.advance(30_000);
      await a.heartbeat();
    }
    assert.equal(await c.expireOffsets(), 1, "only the unsubscribed topic's offset expires");
    assert.equal(c.consumerGroup("g")?.offsets.has("old"), false);
    assert.equal(c.consumerGroup("g")?.offsets.has("t"), true);
    // An empty consumer group whose offsets all expired is deleted.
    await a.leave();
    time.advance(61_000);
    assert.equal(await c.expireOffsets(), 1);
    assert.equal(c.consumerGroup("g"), undefined);
  });
});

describe("admin APIs on consumer groups", () => {
  test("ConsumerGroupDescribe, ListGroups, DescribeGroups and DeleteGroups", async () => {
    const { c, topics } = await makeGroups();
    const t = topics.create("t", 2);
    const a = new Client(c, { memberId: "a", instanceId: "i-a", assignor: "range" });
    await a.join({ rackId: "rack-1" });
    // A classic group next to it (its first rebalance waits for the initial delay).
    void c.joinGroup({
      groupId: "classic",
      memberId: "",
      groupInstanceId: "static",
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription(["t"]) }],
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      clientId: "x",
      clientHost: "/127.0.0.1",
      apiVersion: 9,
      reason: null,
    });

    const [described, unknown, classicDescribed, invalid] = c.consumerGroupDescribe(["g", "nope", "classic", ""]);
    assert.deepEqual(described, {
      groupId: "g",
      errorCode: 0,
      errorMessage: null,
      group: {
        groupState: "Stable",
        groupEpoch: 1,
        assignmentEpoch: 1,
        assignorName: "range",
        members: [
          {
            memberId: "a",
            instanceId: "i-a",
            rackId: "rack-1",
            memberEpoch: 1,
            clientId: "test",
            clientHost: "/127.0.0.1",
            subscribedTopicNames: ["t"],
            subscribedTopicRegex: "",
            assignment: { topicPartitions: [{ topicId: t.topicId, topicName: "t", partitions: [0, 1] }] },
            targetAssignment: { topicPartitions: [{ topicId: t.topicId, topicName: "t", partitions: [0, 1] }] },
          },
        ],
      },
    });
    assert.deepEqual(
      [unknown?.errorCode, unknown?.errorMessage],
      [ErrorCode.GROUP_ID_NOT_FOUND, "Group nope not found."],
    );
    assert.deepEqual(
      [classicDescribed?.errorCode, classicDescribed?.errorMessage],
      [ErrorCode.GROUP_ID_NOT_FOUND, "Group classic is not a consumer group."],
    );
    assert.equal(invalid?.errorCode, ErrorCode.INVALID_GROUP_ID);

    const list = (statesFilter: string[], typesFilter: string[]) =>
      c
        .listGroups({ statesFilter, typesFilter })
        .groups.map((g) => `${g.groupId}/${g.groupType}/${g.protocolType}/${g.groupState}`)
        .sort();
    assert.deepEqual(list([], []), ["classic/classic/consumer/PreparingRebalance", "g/consumer/consumer/Stable"]);
    assert.deepEqual(list([], ["Consumer"]), ["g/consumer/consumer/Stable"]);
    assert.deepEqual(list([], ["classic"]), ["classic/classic/consumer/PreparingRebalance"]);
    assert.deepEqual(list([], ["share"]), []);
    assert.deepEqual(list(["stable"], []), ["g/consumer/consumer/Stable"]);

    // The classic API sees a consumer group as Kafka 4.4 does: as if it did not exist.
    assert.deepEqual(c.describeGroups(["g"])[0], {
      errorCode: 0,
      groupId: "g",
      groupState: "Dead",
      protocolType: "",
      protocolData: "",
      members: [],
    });

    assert.deepEqual(await c.deleteGroups(["g"]), [{ groupId: "g", errorCode: ErrorCode.NON_EMPTY_GROUP }]);
    await a.leave();
    assert.equal(c.consumerGroup("g")?.state, "Empty");
    assert.deepEqual(await c.deleteGroups(["g"]), [{ groupId: "g", errorCode: 0 }]);
    assert.equal(c.consumerGroup("g"), undefined);
    assert.deepEqual(await c.deleteGroups(["g"]), [{ groupId: "g", errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
  });

  test("a group id is classic or consumer: empty groups switch, busy ones refuse", async () => {
    const { c, time, topics } = await makeGroups();
    topics.create("t", 2);
    // A simple classic group (offsets only) becomes a consumer group and keeps its offsets.
    await commit(c, { memberId: "", epoch: -1, groupId: "s", apiVersion: 8 });
    assert.ok(c.group("s") !== undefined);
    const a = new Client(c, { groupId: "s", memberId: "a" });
    assert.equal((await a.join()).errorCode, 0);
    assert.equal(c.group("s"), undefined);
    assert.equal(c.consumerGroup("s")?.offsets.get("t")?.get(0)?.offset, 7n);

    // The classic protocol on a consumer group with members: refused, as mixed groups are not run.
    const join = (groupId: string) =>
      c.joinGroup({
        groupId,
        memberId: "",
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: subscription(["t"]) }],
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        clientId: "x",
        clientHost: "/127.0.0.1",
        apiVersion: 9,
        reason: null,
      });
    assert.equal((await join("s")).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(
      c.heartbeat({ groupId: "s", memberId: "a", groupInstanceId: null, generationId: a.epoch }),
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    const sync = await c.syncGroup({
      groupId: "s",
      generationId: a.epoch,
      memberId: "a",
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assert.equal(sync.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // LeaveGroup (Admin.removeMembersFromConsumerGroup) removes consumer members too.
    const removed = c.leaveGroup("s", [
      { memberId: "a", groupInstanceId: null },
      { memberId: "ghost", groupInstanceId: null },
    ]);
    assert.deepEqual(
      removed.members.map((m) => m.errorCode),
      [0, ErrorCode.UNKNOWN_MEMBER_ID],
    );
    assert.equal(c.consumerGroup("s")?.state, "Empty");
    assert.equal((await a.heartbeat({ memberEpoch: 1 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

    // An empty consumer group becomes a classic group (offsets kept) on JoinGroup.
    const joined = await join("s");
    assert.equal(joined.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.ok(c.group("s") !== undefined);
    assert.equal(c.group("s")?.offsets.get("t")?.get(0)?.offset, 7n);

    // ConsumerGroupHeartbeat on a classic group with members: not upgraded.
    const busyJoin = c.joinGroup({
      groupId: "busy",
      memberId: "",
      groupInstanceId: "i",
      protocolType: "connect",
      protocols: [{ name: "x", metadata: new Uint8Array([1]) }],
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      clientId: "x",
      clientHost: "/127.0.0.1",
      apiVersion: 9,
      reason: null,
    });
    time.advance(3_000);
    assert.equal((await busyJoin).errorCode, 0);
    const refused = await new Client(c, { groupId: "busy" }).join();
    assert.equal(refused.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(
      refused.errorMessage,
      "Cannot upgrade classic group busy to consumer group because the group does not use the consumer embedded protocol.",
    );
    const hb = await c.consumerGroupHeartbeat(request({ groupId: "busy", memberId: "m", memberEpoch: 2 }));
    assert.deepEqual(
      [hb.errorCode, hb.errorMessage],
      [ErrorCode.GROUP_ID_NOT_FOUND, "Group busy is not a consumer group."],
    );
  });
});

// --------------------------------------------------------------------------- durability

/** The store's records through their byte encoding, as __consumer_offsets would hold them. */
function throughBytes(store: MemoryGroupStore): MemoryGroupStore {
  const copy = new MemoryGroupStore();
  for (const { record, offset } of store.records) {
    const key = encodeRecordKey(record);
    const value = encodeRecordValue(record);
    copy.records.push({ record: decodeRecord(key, value), offset });
  }
  return copy;
}

describe("durability", () => {
  test("after a restart members keep their assignment if they heartbeat within the session", async () => {
    const first = await makeGroups();
    const { c, topics } = first;
    topics.create("t", 6);
    const id = topics.id("t");
    const a = new Client(c, { memberId: "a", assignor: "range" });
    const b = new Client(c, { memberId: "b", regex: "t|u", instanceId: "i-b" });
    await a.join();
    await b.join();
    await converge(c, [a, b]);
    // c joins and is midway: a is revoking, c waits for what a still owns.
    const x = new Client(c, { memberId: "x" });
    await x.join();
    await a.heartbeat();
    await commit(c, { memberId: "a", epoch: a.epoch });
    const before = c.consumerGroupDescribe(["g"])[0]?.group;
    await c.close();

    const time = new ManualTime(first.time.now);
    const second = await makeGroups({ store: throughBytes(first.store), topics, time });
    const loaded = second.c.consumerGroup("g");
    assert.deepEqual(second.c.consumerGroupDescribe(["g"])[0]?.group, before);
    assert.equal(loaded?.offsets.get("t")?.get(0)?.offset, 7n);
    for (const client of [a, b, x]) Object.assign(client, { c: second.c });
    // a and x carry on where they were (no assignment in answers: nothing changed for them).
    const resumed = await a.heartbeat();
    assert.equal(resumed.errorCode, 0);
    await converge(second.c, [a, b, x]);
    assertDisjoint([a, b, x]);
    assert.deepEqual([a, b, x].flatMap((m) => partitionsOf(m.owned, id)).sort(), [0, 1, 2, 3, 4, 5]);
    // b does not come back: its session (a full one from the restart) runs out.
    for (let elapsed = 0; elapsed <= sessionTimeoutMs; elapsed += 5_000) {
      time.advance(5_000);
      await a.heartbeat();
      await x.heartbeat();
    }
    assert.equal(second.c.consumerGroup("g")?.hasMember("b"), false);
    await converge(second.c, [a, x]);
    assert.deepEqual([a, x].flatMap((m) => partitionsOf(m.owned, id)).sort(), [0, 1, 2, 3, 4, 5]);
    await second.c.close();
  });

  test("a failed write is answered with an error, and the next write carries the whole group", async () => {
    const first = await makeGroups();
    const { c, topics, store } = first;
    topics.create("t", 4);
    const a = new Client(c, { memberId: "a" });
    const b = new Client(c, { memberId: "b" });
    await a.join();
    store.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const failed = await b.join();
    assert.equal(failed.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    store.failWith = undefined;
    await b.join();
    await converge(c, [a, b]);
    const state = c.consumerGroupDescribe(["g"])[0]?.group;
    const restarted = await makeGroups({ store: throughBytes(store), topics, time: new ManualTime(first.time.now) });
    assert.deepEqual(restarted.c.consumerGroupDescribe(["g"])[0]?.group, state);
    await c.close();
    await restarted.c.close();
  });

  test("deleted groups stay deleted; a group switching type replays as its last type", async () => {
    const first = await makeGroups();
    const { c, topics, store } = first;
    topics.create("t", 2);
    const a = new Client(c, { groupId: "gone", memberId: "a" });
    await a.join();
    await a.leave();
    await c.deleteGroups(["gone"]);
    const b = new Client(c, { groupId: "switch", memberId: "b" });
    await b.join();
    await commit(c, { groupId: "switch", memberId: "b", epoch: b.epoch });
    await b.leave();
    // JoinGroup turns the empty consumer group into a classic group.
    const joined = c.joinGroup({
      groupId: "switch",
      memberId: "",
      groupInstanceId: "i",
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription(["t"]) }],
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      clientId: "x",
      clientHost: "/127.0.0.1",
      apiVersion: 9,
      reason: null,
    });
    first.time.advance(3_000); // the initial rebalance delay
    assert.equal((await joined).errorCode, 0);
    await c.syncGroup({
      groupId: "switch",
      generationId: 1,
      memberId: (await joined).memberId,
      groupInstanceId: "i",
      protocolType: "consumer",
      protocolName: "range",
      assignments: [],
    });
    await c.close();
    const restarted = await makeGroups({ store: throughBytes(store), topics });
    assert.equal(restarted.c.consumerGroup("gone"), undefined);
    assert.equal(restarted.c.group("gone"), undefined);
    assert.equal(restarted.c.consumerGroup("switch"), undefined);
    assert.equal(restarted.c.group("switch")?.offsets.get("t")?.get(0)?.offset, 7n);
    await restarted.c.close();
  });
});

// ---------------------------------------------------------------------------- over the wire

/** Every partition assigned (or being revoked) to one member only, per ConsumerGroupDescribe. */
function describedOverlap(
  groups: {
    members: { memberId: string; assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } }[];
  }[],
): string | undefined {
  const owner = new Map<string, string>();
  for (const g of groups) {
    for (const m of g.members) {
      for (const t of m.assignment.topicPartitions) {
        for (const p of t.partitions) {
          const key = `${t.topicId}:${p}`;
          const other = owner.get(key);
          if (other !== undefined && other !== m.memberId) return `${key} described for ${other} and ${m.memberId}`;
          owner.set(key, m.memberId);
        }
      }
    }
  }
  return undefined;
}

describe("over the wire", () => {
  let broker: RunningBroker;
  let client: WireClient;

  before(async () => {
    broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: silentLogger,
      settings: {
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        "group.consumer.min.heartbeat.interval.ms": "100",
        "group.consumer.heartbeat.interval.ms": "200",
        "group.consumer.min.session.timeout.ms": "1000",
        "group.consumer.session.timeout.ms": "6000",
      },
    });
    client = await WireClient.connect(broker.bootstrap);
  });

  after(async () => {
    client.close();
    await broker.close();
  });

  test("ApiVersions advertises ConsumerGroupHeartbeat v0-1 and ConsumerGroupDescribe v0", async () => {
    const versions = await client.send(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    const of = (key: number) => versions.apiKeys.find((k) => k.apiKey === key);
    assert.deepEqual(of(ApiKey.ConsumerGroupHeartbeat), { apiKey: 68, minVersion: 0, maxVersion: 1 });
    assert.deepEqual(of(ApiKey.ConsumerGroupDescribe), { apiKey: 69, minVersion: 0, maxVersion: 0 });
  });

  test("two members reconcile, commit and fetch by member epoch, describe, list and delete", async () => {
    const topic = uniqueName("wire");
    const groupId = uniqueName("wire-group");
    const { topicId } = await broker.logs.createTopic({ name: topic, partitions: 6 });
    const hb = (body: Input<RequestByKey[typeof ApiKey.ConsumerGroupHeartbeat]>) =>
      client.send(ApiKey.ConsumerGroupHeartbeat, 1, { groupId, ...body });
    const join = (memberId: string) =>
      hb({
        memberId,
        memberEpoch: 0,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: [topic],
        serverAssignor: "range",
        topicPartitions: [],
      });
    const [m1, m2] = ["member-1", "member-2"];
    const first = await join(m1);
    assert.equal(first.errorCode, 0);
    assert.equal(first.heartbeatIntervalMs, 200);
    assert.deepEqual(first.assignment?.topicPartitions, [{ topicId, partitions: [0, 1, 2, 3, 4, 5] }]);
    const second = await join(m2);
    assert.deepEqual(second.assignment?.topicPartitions, []);
    const revoke = await hb({
      memberId: m1,
      memberEpoch: first.memberEpoch,
      topicPartitions: first.assignment?.topicPartitions,
    });
    assert.deepEqual(revoke.assignment?.topicPartitions, [{ topicId, partitions: [0, 1, 2] }]);
    const during = await client.send(ApiKey.ConsumerGroupDescribe, 0, {
      groupIds: [groupId],
      includeAuthorizedOperations: true,
    });
    assert.equal(during.groups[0]?.groupState, "Reconciling");
    assert.equal(during.groups[0]?.authorizedOperations, 3400);
    assert.equal(describedOverlap(during.groups), undefined);
    const acked = await hb({
      memberId: m1,
      memberEpoch: revoke.memberEpoch,
      topicPartitions: revoke.assignment?.topicPartitions,
    });
    assert.equal(acked.memberEpoch, second.memberEpoch);
    const given = await hb({ memberId: m2, memberEpoch: second.memberEpoch, topicPartitions: [] });
    assert.deepEqual(given.assignment?.topicPartitions, [{ topicId, partitions: [3, 4, 5] }]);

    const described = await client.send(ApiKey.ConsumerGroupDescribe, 0, {
      groupIds: [groupId, "no-such-group"],
      includeAuthorizedOperations: false,
    });
    const g = described.groups[0];
    assert.equal(g?.groupState, "Stable");
    assert.equal(g?.assignorName, "range");
    assert.equal(g?.authorizedOperations, -2147483648);
    assert.deepEqual(
      g?.members.map((m) => [
        m.memberId,
        m.memberEpoch,
        m.clientHost,
        m.assignment.topicPartitions.map((t) => [t.topicName, t.partitions]),
      ]),
      [
        [m1, acked.memberEpoch, "/127.0.0.1", [[topic, [0, 1, 2]]]],
        [m2, given.memberEpoch, "/127.0.0.1", [[topic, [3, 4, 5]]]],
      ],
    );
    assert.equal(described.groups[1]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

    const commit = (epoch: number) =>
      client.send(ApiKey.OffsetCommit, 9, {
        groupId,
        generationIdOrMemberEpoch: epoch,
        memberId: m2,
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: 3, committedOffset: 5n, committedMetadata: "" }] }],
      });
    assert.equal((await commit(given.memberEpoch)).topics[0]?.partitions[0]?.errorCode, 0);
    assert.equal(
      (await commit(given.memberEpoch - 1)).topics[0]?.partitions[0]?.errorCode,
      ErrorCode.STALE_MEMBER_EPOCH,
    );
    const fetch = (memberId: string | null, memberEpoch: number) =>
      client.send(ApiKey.OffsetFetch, 9, {
        groups: [{ groupId, memberId, memberEpoch, topics: [{ name: topic, partitionIndexes: [3] }] }],
        requireStable: true,
      });
    assert.equal((await fetch(m2, given.memberEpoch)).groups[0]?.topics[0]?.partitions[0]?.committedOffset, 5n);
    assert.equal((await fetch(null, -1)).groups[0]?.topics[0]?.partitions[0]?.committedOffset, 5n);
    assert.equal((await fetch(m2, given.memberEpoch + 1)).groups[0]?.errorCode, ErrorCode.STALE_MEMBER_EPOCH);

    const listed = await client.send(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ["consumer"] });
    assert.deepEqual(
      listed.groups.filter((l) => l.groupId === groupId),
      [{ groupId, protocolType: "consumer", groupState: "Stable", groupType: "consumer" }],
    );
    assert.equal(
      (await client.send(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] })).results[0]?.errorCode,
      ErrorCode.NON_EMPTY_GROUP,
    );
    for (const memberId of [m1, m2]) {
      const left = await hb({ memberId, memberEpoch: -1 });
      assert.deepEqual([left.errorCode, left.memberEpoch], [0, -1]);
    }
    assert.equal((await client.send(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] })).results[0]?.errorCode, 0);
  });

  test("ConsumerGroupHeartbeat v0 without a member id gets one from the coordinator", async () => {
    const topic = uniqueName("wire-v0");
    await broker.logs.createTopic({ name: topic, partitions: 1 });
    const r = await client.send(ApiKey.ConsumerGroupHeartbeat, 0, {
      groupId: uniqueName("v0-group"),
      memberId: "",
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: [topic],
      topicPartitions: [],
    });
    assert.equal(r.errorCode, 0);
    assert.match(r.memberId ?? "", /^[A-Za-z0-9_-]{22}$/, "Kafka's Uuid: 22 base64url characters");
  });

  test("@platformatic/kafka consumers on the consumer protocol share a topic, each record once", async () => {
    const topic = uniqueName("pk");
    const groupId = uniqueName("pk-group");
    const records = 60;
    await broker.logs.createTopic({ name: topic, partitions: 6 });
    const consumed: { consumer: number; partition: number; offset: bigint }[] = [];
    const consumers = [0, 1].map(
      (i) =>
        new PlatformaticConsumer({
          clientId: `pk-${i}`,
          bootstrapBrokers: [broker.bootstrap],
          groupId,
          groupProtocol: "consumer",
          retries: 10,
          timeout: 10_000,
        }),
    );
    const streams = [];
    try {
      for (const [i, consumer] of consumers.entries()) {
        const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: 100, maxWaitTime: 100 });
        stream.on("data", (message) =>
          consumed.push({ consumer: i, partition: message.partition, offset: message.offset }),
        );
        streams.push(stream);
      }
      await waitFor(
        async () => {
          const d = await client.send(ApiKey.ConsumerGroupDescribe, 0, {
            groupIds: [groupId],
            includeAuthorizedOperations: false,
          });
          const g = d.groups[0];
          return (
            g?.groupState === "Stable" &&
            g.members.length === 2 &&
            g.members.every((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions).length === 3)
          );
        },
        { timeoutMs: 15_000, what: "two platformatic members with three partitions each" },
      );
      const kafka = new Kafka({ clientId: "pk-producer", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: records }, (_, i) => ({ partition: i % 6, value: `r-${i}` })),
      });
      await producer.disconnect();
      await waitFor(() => consumed.length >= records, { timeoutMs: 15_000, what: `${records} records consumed` });
      const keys = consumed.map((c) => `${c.partition}:${c.offset}`);
      assert.equal(new Set(keys).size, records, "every record exactly once");
      for (let p = 0; p < 6; p++) {
        assert.equal(
          new Set(consumed.filter((c) => c.partition === p).map((c) => c.consumer)).size,
          1,
          `partition ${p} read by one consumer`,
        );
      }
      assert.equal(new Set(consumed.map((c) => c.consumer)).size, 2, "both consumers read");
    } finally {
      for (const stream of streams) await stream.close();
      for (const consumer of consumers) await consumer.close(true);
    }
  });
});

// ------------------------------------------------------------------- the Java client, end to end

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const kafkaScript = join(repoRoot, "scripts/kafka.sh");

/** Why the Java test cannot run here, or undefined when it can. */
async function javaSkipReason(): Promise<string | undefined> {
  const java = process.env["JAVA_HOME"] === undefined ? "java" : join(process.env["JAVA_HOME"], "bin/java");
  const works = await new Promise<boolean>((resolve) => {
    execFile(java, ["-version"], { timeout: 10_000 }, (error) => resolve(error === null));
  });
  if (!works) return "Java is not installed (the Java console consumer test needs java on PATH or JAVA_HOME)";
  const home = await new Promise<string>((resolve) => {
    execFile("bash", [kafkaScript, "home"], { timeout: 10_000 }, (error, stdout) =>
      resolve(error === null ? stdout.trim() : ""),
    );
  });
  if (home === "" || !existsSync(join(home, ".installed"))) {
    return "the Kafka jars are not installed (run scripts/kafka.sh install)";
  }
  return undefined;
}

interface ConsoleConsumer {
  readonly child: ChildProcess;
  readonly records: { partition: number; offset: number; value: string }[];
  readonly output: { text: string };
  readonly exited: Promise<void>;
}

function startConsoleConsumer(bootstrap: string, topic: string, groupId: string): ConsoleConsumer {
  const child = spawn(
    "bash",
    [
      kafkaScript,
      "tool",
      "console-consumer",
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--group",
      groupId,
      "--from-beginning",
      "--consumer-property",
      "group.protocol=consumer",
      "--consumer-property",
      "client.id=samsa-848-e2e",
      "--max-messages",
      "100000",
      // A safety net: the test stops the consumers once every record has been read.
      "--timeout-ms",
      "20000",
      "--property",
      "print.partition=true",
      "--property",
      "print.offset=true",
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  const records: ConsoleConsumer["records"] = [];
  const output = { text: "" };
  let pending = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^Partition:(\d+)\s+Offset:(\d+)\s+(.*)$/.exec(line);
      if (m !== null) records.push({ partition: Number(m[1]), offset: Number(m[2]), value: m[3] ?? "" });
    }
  });
  child.stderr?.on("data", (chunk: string) => {
    output.text = (output.text + chunk).slice(-8192);
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return { child, records, output, exited };
}

describe("end to end with Kafka's Java console consumer", async () => {
  const skip = await javaSkipReason();
  test(
    "three console consumers on group.protocol=consumer split six partitions and read every record once",
    { skip: skip ?? false, timeout: 60_000 },
    async () => {
      const target: Target = await startTarget("samsa", {
        settings: {
          "group.initial.rebalance.delay.ms": "0",
          "group.consumer.min.heartbeat.interval.ms": "100",
          "group.consumer.heartbeat.interval.ms": "250",
          "group.consumer.min.session.timeout.ms": "1000",
          "group.consumer.session.timeout.ms": "6000",
        },
      });
      const consumers: ConsoleConsumer[] = [];
      const wire = await WireClient.connect(target.bootstrap);
      let polling = true;
      const overlaps: string[] = [];
      try {
        const topic = uniqueName("java-848");
        const groupId = uniqueName("java-848-group");
        const records = 300;
        const created = await wire.send(ApiKey.CreateTopics, 5, {
          topics: [{ name: topic, numPartitions: 6, replicationFactor: 1 }],
          timeoutMs: 10_000,
        });
        assert.equal(created.topics[0]?.errorCode, 0);
        for (let i = 0; i < 3; i++) consumers.push(startConsoleConsumer(target.bootstrap, topic, groupId));
        const describe = () =>
          wire.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
        await waitFor(
          async () => {
            const g = (await describe()).groups[0];
            return (
              g?.errorCode === 0 &&
              g.groupState === "Stable" &&
              g.members.length === 3 &&
              g.members.every((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions).length === 2)
            );
          },
          { timeoutMs: 30_000, what: "three Java members with two partitions each" },
        ).catch((error: unknown) => {
          throw new Error(
            `${String(error)}\n${consumers.map((c) => c.output.text).join("\n---\n")}\n${target.outputTail()}`,
          );
        });
        // While they consume, no partition is ever described as owned by two members.
        const poller = (async () => {
          while (polling) {
            const overlap = describedOverlap((await describe()).groups);
            if (overlap !== undefined) overlaps.push(overlap);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })();
        const kafka = new Kafka({
          clientId: "java-848-producer",
          brokers: [target.bootstrap],
          logLevel: logLevel.NOTHING,
        });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({
          topic,
          messages: Array.from({ length: records }, (_, i) => ({ partition: i % 6, value: `record-${i}` })),
        });
        await producer.disconnect();
        const total = () => consumers.reduce((n, c) => n + c.records.length, 0);
        await waitFor(() => total() >= records, {
          timeoutMs: 20_000,
          what: `${records} records read by the Java consumers`,
        });
        polling = false;
        await poller;
        assert.deepEqual(overlaps, []);
        const all = consumers.flatMap((c, i) => c.records.map((r) => ({ ...r, consumer: i })));
        assert.equal(all.length, records);
        assert.deepEqual(
          all.map((r) => r.value).sort(),
          Array.from({ length: records }, (_, i) => `record-${i}`).sort(),
          "every record exactly once",
        );
        for (let p = 0; p < 6; p++) {
          const readers = new Set(all.filter((r) => r.partition === p).map((r) => r.consumer));
          assert.equal(readers.size, 1, `partition ${p} read by one consumer`);
        }
        for (const c of consumers) {
          assert.equal(new Set(c.records.map((r) => r.partition)).size, 2, "each consumer read its two partitions");
        }
      } finally {
        polling = false;
        wire.close();
        for (const c of consumers) c.child.kill("SIGTERM");
        await Promise.all(
          consumers.map(async (c) => {
            const timer = setTimeout(() => c.child.kill("SIGKILL"), 10_000);
            await c.exited;
            clearTimeout(timer);
          }),
        );
        await target.stop();
      }
    },
  );
});
