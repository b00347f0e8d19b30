// Consumer groups with real clients (issue #5's acceptance), the same on Samsa and Kafka: three
// members per client share a six-partition topic (each partition owned once, checked over the wire);
// a member killed with SIGKILL loses its partitions after the session timeout; with committed
// offsets nothing is skipped and nothing is read twice. Then kafka-consumer-groups (list, describe
// with lag, reset to earliest / datetime / shift-by, delete), and committed offsets and group
// metadata surviving a broker restart.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TestContext } from "node:test";
import { Admin, Producer } from "@platformatic/kafka";
import { ApiKey, decodeConsumerProtocolAssignment, Reader } from "@samsa/protocol";
import type { DescribeGroupsResponse } from "@samsa/protocol";
import { startTarget, uniqueName, waitFor, WireClient } from "@samsa/testkit";
import type { Target } from "@samsa/testkit";
import {
  advertisedApis,
  consumerGroupsMissing,
  kafkaToolOk,
  kafkaToolsMissing,
  pythonModuleMissing,
  repoRoot,
  systemPython,
  targetKind,
  which,
} from "./support.ts";

// ---------------------------------------------------------------------------------------------- settings

const sessionTimeoutMs = 6000; // the smallest classic session timeout both brokers accept by default
const heartbeatIntervalMs = 1000;
const autoCommitIntervalMs = 500;
const partitionCount = 6;
const memberCount = 3;
const recordsPerBatch = 60;

/**
 * The same group settings on both targets: a short initial rebalance delay (Samsa's default is
 * 3000 ms, scripts/kafka.sh sets 0), and KIP-848 session and heartbeat bounds small enough for a
 * crashed consumer-protocol member to expire within the test (Kafka's minimum is 45 s by default).
 */
const brokerSettings: Readonly<Record<string, string>> = {
  "group.initial.rebalance.delay.ms": "1000",
  "group.consumer.min.heartbeat.interval.ms": String(heartbeatIntervalMs),
  "group.consumer.heartbeat.interval.ms": String(heartbeatIntervalMs),
  "group.consumer.min.session.timeout.ms": String(sessionTimeoutMs),
  "group.consumer.session.timeout.ms": String(sessionTimeoutMs),
};

const kcat = which("kcat") ?? which("kafkacat");
const kafkaMissing = kafkaToolsMissing();
const confluentMissing = pythonModuleMissing("confluent_kafka", "python3-confluent-kafka");

// ---------------------------------------------------------------------------------------------- member processes

/** One record as a member printed it. */
interface Delivery {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

const outputLinesMax = 100_000;

/** A consumer group member running as its own process (so that it can be SIGKILLed). */
class MemberProcess {
  readonly clientId: string;
  readonly deliveries: Delivery[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stdoutRest = "";
  private stderrText = "";
  private lines = 0;

  constructor(options: {
    clientId: string;
    command: string;
    args: readonly string[];
    parse: (line: string) => Delivery | undefined;
    cwd?: string;
    env?: Readonly<Record<string, string>>;
  }) {
    this.clientId = options.clientId;
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveMembers.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.once("error", () => resolve());
    });
    void this.exited.then(() => liveMembers.delete(this));
    this.child.stdout?.setEncoding("utf8");
    this.child.stderr?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      const text = this.stdoutRest + chunk;
      const parts = text.split("\n");
      this.stdoutRest = parts.pop() ?? "";
      for (const line of parts) {
        if (++this.lines > outputLinesMax) continue;
        const delivery = options.parse(line);
        if (delivery !== undefined) this.deliveries.push(delivery);
      }
    });
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-8000);
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the member wrote to stderr, for failure messages. */
  describe(): string {
    const state = this.alive ? "running" : `exited (${this.child.exitCode ?? this.child.signalCode})`;
    return `${this.clientId} (${state}), stderr tail:\n${this.stderrText.split("\n").slice(-15).join("\n")}`;
  }

  /** SIGKILL without waiting (for the process's exit hook). */
  kill(): void {
    if (this.alive) this.child.kill("SIGKILL");
  }

  /** Sends `signal` and waits (bounded) for the process to exit; SIGKILL if it does not. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), 15_000)));
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first === "timeout") {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

/** Every member process still running: killed when a test ends and when the file ends. */
const liveMembers = new Set<MemberProcess>();
// Last resort when the test process exits early (e.g. the runner's timeout): no member outlives it.
process.once("exit", () => {
  for (const m of liveMembers) m.kill();
});

async function killAll(): Promise<void> {
  await Promise.all([...liveMembers].map((m) => m.stop("SIGKILL")));
}

const parseJsonDelivery = (line: string): Delivery | undefined => {
  if (!line.startsWith("{")) return undefined;
  const event = JSON.parse(line) as { event: string; partition?: number; offset?: number; value?: string | null };
  if (event.event !== "record") return undefined;
  return { partition: event.partition ?? -1, offset: event.offset ?? -1, value: event.value ?? "" };
};

/** Kafka's console consumer with print.partition and print.offset: `Partition:3\tOffset:5\tvalue`. */
const parseConsoleDelivery = (line: string): Delivery | undefined => {
  const match = /^Partition:(\d+)\tOffset:(\d+)\t(.*)$/.exec(line);
  return match === null ? undefined : { partition: Number(match[1]), offset: Number(match[2]), value: match[3] ?? "" };
};

interface MemberOptions {
  readonly bootstrap: string;
  readonly topic: string;
  readonly groupId: string;
  readonly clientId: string;
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs?: number;
}

/** The arguments of kafka-console-consumer for a member of a group (printing partition and offset). */
function consoleConsumerArgs(options: MemberOptions, consumerProperties: Record<string, string>): string[] {
  return [
    "--bootstrap-server",
    options.bootstrap,
    "--topic",
    options.topic,
    "--group",
    options.groupId,
    ...Object.entries({
      "client.id": options.clientId,
      "auto.offset.reset": "earliest",
      ...consumerProperties,
    }).flatMap(([name, value]) => ["--consumer-property", `${name}=${value}`]),
    "--formatter-property",
    "print.partition=true",
    "--formatter-property",
    "print.offset=true",
  ];
}

/** A client under test: how to start one member of a group, and which group protocol it speaks. */
interface GroupClient {
  readonly name: string;
  readonly protocol: "classic" | "consumer";
  readonly skip: string | false;
  readonly start: (options: MemberOptions) => MemberProcess;
}

const javaHeap = { KAFKA_TOOL_HEAP: "-Xmx256m" };
/** scripts/kafka.sh execs java, so the process spawned is the JVM itself (a SIGKILL reaches it). */
const kafkaTool = (name: string): string[] => [join(repoRoot, "scripts/kafka.sh"), "tool", name];

const groupClients: readonly GroupClient[] = [
  {
    name: "kcat -G (librdkafka)",
    protocol: "classic",
    skip: kcat === undefined ? "kcat is not installed (apt-get install kcat; .ci/run installs it)" : false,
    start: (o) =>
      new MemberProcess({
        clientId: o.clientId,
        command: kcat ?? "kcat",
        args: [
          "-b",
          o.bootstrap,
          "-G",
          o.groupId,
          ...Object.entries({
            "client.id": o.clientId,
            "session.timeout.ms": String(o.sessionTimeoutMs ?? sessionTimeoutMs),
            "heartbeat.interval.ms": String(heartbeatIntervalMs),
            "auto.commit.interval.ms": String(autoCommitIntervalMs),
            "auto.offset.reset": "earliest",
          }).flatMap(([name, value]) => ["-X", `${name}=${value}`]),
          "-u",
          "-q",
          "-f",
          "Partition:%p\\tOffset:%o\\t%s\\n",
          o.topic,
        ],
        parse: parseConsoleDelivery,
      }),
  },
  {
    name: "Java consumer, classic protocol (kafka-console-consumer --group)",
    protocol: "classic",
    skip: kafkaMissing ?? false,
    start: (o) =>
      new MemberProcess({
        clientId: o.clientId,
        command: "bash",
        args: [
          ...kafkaTool("console-consumer"),
          ...consoleConsumerArgs(o, {
            "group.protocol": "classic",
            "session.timeout.ms": String(o.sessionTimeoutMs ?? sessionTimeoutMs),
            "heartbeat.interval.ms": String(heartbeatIntervalMs),
            "auto.commit.interval.ms": String(autoCommitIntervalMs),
            ...(o.groupInstanceId === undefined ? {} : { "group.instance.id": o.groupInstanceId }),
          }),
        ],
        parse: parseConsoleDelivery,
        env: javaHeap,
      }),
  },
  {
    name: "Java consumer, KIP-848 consumer protocol (group.protocol=consumer)",
    protocol: "consumer",
    skip: kafkaMissing ?? false,
    // Session timeout and heartbeat interval are the broker's (group.consumer.*) in this protocol.
    start: (o) =>
      new MemberProcess({
        clientId: o.clientId,
        command: "bash",
        args: [
          ...kafkaTool("console-consumer"),
          ...consoleConsumerArgs(o, {
            "group.protocol": "consumer",
            "auto.commit.interval.ms": String(autoCommitIntervalMs),
          }),
        ],
        parse: parseConsoleDelivery,
        env: javaHeap,
      }),
  },
  {
    name: "confluent-kafka-python (librdkafka)",
    protocol: "classic",
    skip: confluentMissing ?? false,
    start: (o) => startPythonMember(o),
  },
  {
    name: "@platformatic/kafka",
    protocol: "classic",
    skip: false,
    start: (o) =>
      new MemberProcess({
        clientId: o.clientId,
        command: process.execPath,
        args: [
          join(repoRoot, "test/interop/platformatic-group-member.ts"),
          o.bootstrap,
          JSON.stringify({
            topic: o.topic,
            groupId: o.groupId,
            clientId: o.clientId,
            sessionTimeoutMs: o.sessionTimeoutMs ?? sessionTimeoutMs,
            heartbeatIntervalMs,
            autoCommitIntervalMs,
          }),
        ],
        parse: parseJsonDelivery,
      }),
  },
];

function startPythonMember(o: MemberOptions): MemberProcess {
  return new MemberProcess({
    clientId: o.clientId,
    command: systemPython,
    args: [
      join(repoRoot, "test/interop/python/group_member.py"),
      o.bootstrap,
      JSON.stringify({
        topic: o.topic,
        groupId: o.groupId,
        clientId: o.clientId,
        sessionTimeoutMs: o.sessionTimeoutMs ?? sessionTimeoutMs,
        heartbeatIntervalMs,
        autoCommitIntervalMs,
        groupInstanceId: o.groupInstanceId ?? null,
      }),
    ],
    parse: parseJsonDelivery,
    cwd: join(repoRoot, "test/interop/python"),
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  });
}

// ---------------------------------------------------------------------------------------------- wire helpers

/** Partitions of `topic` in a ConsumerProtocolAssignment (a version prefix, then the body). */
function assignedPartitions(bytes: Uint8Array, topic: string): number[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const version = r.int16();
  // Newer versions only add fields at the end: read them as the newest version we know.
  const assignment = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
  return assignment.assignedPartitions.filter((t) => t.topic === topic).flatMap((t) => t.partitions);
}

type DescribedGroup = DescribeGroupsResponse["groups"][number];

async function describeGroup(client: WireClient, groupId: string): Promise<DescribedGroup> {
  const response = await client.send(ApiKey.DescribeGroups, 5, {
    groups: [groupId],
    includeAuthorizedOperations: false,
  });
  const group = response.groups[0];
  if (group === undefined) throw new Error(`DescribeGroups answered without group ${groupId}`);
  if (group.errorCode !== 0) throw new Error(`DescribeGroups ${groupId}: error code ${group.errorCode}`);
  return group;
}

/** Who owns which partitions of `topic`, by client id, from the coordinator (undefined unless Stable). */
async function stableAssignment(
  client: WireClient,
  protocol: GroupClient["protocol"],
  groupId: string,
  topic: string,
): Promise<Map<string, number[]> | undefined> {
  if (protocol === "classic") {
    const group = await describeGroup(client, groupId);
    if (group.groupState !== "Stable") return undefined;
    return new Map(group.members.map((m) => [m.clientId, assignedPartitions(m.memberAssignment, topic).sort()]));
  }
  const response = await client.send(ApiKey.ConsumerGroupDescribe, 0, {
    groupIds: [groupId],
    includeAuthorizedOperations: false,
  });
  const group = response.groups[0];
  if (group === undefined || group.errorCode !== 0) {
    throw new Error(`ConsumerGroupDescribe ${groupId}: error ${group?.errorCode} ${group?.errorMessage}`);
  }
  if (group.groupState !== "Stable") return undefined;
  const partitionsOf = (a: (typeof group.members)[number]["assignment"]): number[] =>
    a.topicPartitions
      .filter((t) => t.topicName === topic)
      .flatMap((t) => t.partitions)
      .sort();
  // Stable, and every member has reconciled to its target assignment.
  if (group.members.some((m) => partitionsOf(m.assignment).join() !== partitionsOf(m.targetAssignment).join())) {
    return undefined;
  }
  return new Map(group.members.map((m) => [m.clientId, partitionsOf(m.assignment)]));
}

/** Whether `assignment` gives each of the `partitions` to exactly one member, and only to `members`. */
function exactCover(assignment: Map<string, number[]>, members: readonly string[], partitions: number): boolean {
  if (assignment.size !== members.length || !members.every((m) => assignment.has(m))) return false;
  const owned = [...assignment.values()].flat().sort((a, b) => a - b);
  return owned.join() === Array.from({ length: partitions }, (_, p) => p).join();
}

/** Waits (bounded) until the group is Stable with exactly `members`, together owning each partition once. */
async function waitForAssignment(
  client: WireClient,
  options: {
    protocol: GroupClient["protocol"];
    groupId: string;
    topic: string;
    members: readonly MemberProcess[];
    timeoutMs: number;
  },
): Promise<Map<string, number[]>> {
  let last: Map<string, number[]> | undefined;
  const ids = options.members.map((m) => m.clientId);
  try {
    return await waitFor(
      async () => {
        for (const m of options.members) {
          if (!m.alive) throw new Error(`member ${m.describe()}`);
        }
        last = await stableAssignment(client, options.protocol, options.groupId, options.topic);
        return last !== undefined && exactCover(last, ids, partitionCount) ? last : undefined;
      },
      {
        timeoutMs: options.timeoutMs,
        intervalMs: 100,
        what: `group ${options.groupId} to be Stable with ${ids.join(", ")}`,
      },
    );
  } catch (error) {
    const seen = last === undefined ? "never Stable" : JSON.stringify([...last]);
    throw new Error(
      `${String(error)}; last assignment seen: ${seen}\n${options.members.map((m) => m.describe()).join("\n")}`,
      {
        cause: error,
      },
    );
  }
}

/** The group's committed offsets for partitions 0..count-1 of `topic` (-1 when none). */
async function committedOffsets(client: WireClient, groupId: string, topic: string, count: number): Promise<number[]> {
  const partitionIndexes = Array.from({ length: count }, (_, p) => p);
  const response = await client.send(ApiKey.OffsetFetch, 8, {
    groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }],
    requireStable: true,
  });
  const group = response.groups[0];
  if (group === undefined) throw new Error("OffsetFetch answered without the group");
  if (group.errorCode !== 0) throw new Error(`OffsetFetch ${groupId}: error code ${group.errorCode}`);
  const partitions = group.topics.find((t) => t.name === topic)?.partitions ?? [];
  return partitionIndexes.map((p) => {
    const entry = partitions.find((e) => e.partitionIndex === p);
    if (entry !== undefined && entry.errorCode !== 0)
      throw new Error(`OffsetFetch ${topic}-${p}: error ${entry.errorCode}`);
    return Number(entry?.committedOffset ?? -1n);
  });
}

async function waitForCommitted(
  client: WireClient,
  options: { groupId: string; topic: string; expected: readonly number[]; timeoutMs?: number },
): Promise<void> {
  let last: number[] = [];
  await waitFor(
    async () => {
      last = await committedOffsets(client, options.groupId, options.topic, options.expected.length);
      return last.join() === options.expected.join();
    },
    { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 100, what: `committed offsets ${options.expected.join()}` },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last committed: ${last.join()}`, { cause: error });
  });
}

// ---------------------------------------------------------------------------------------------- records

interface NumberedRecord {
  readonly partition: number;
  readonly value: string;
  readonly timestamp?: number;
}

/** Records `from`..`to`-1 with value `n-<i>`, round robin over `partitions`. */
function numbered(from: number, to: number, partitions = partitionCount): NumberedRecord[] {
  return Array.from({ length: to - from }, (_, k) => ({ partition: (from + k) % partitions, value: `n-${from + k}` }));
}

/**
 * One idempotent producer for the whole file (as an application would keep one), checking that
 * each send's records land at the offsets that follow the ones it sent before.
 */
class NumberedProducer {
  private readonly producer: Producer;
  private readonly nextOffsets = new Map<string, number>();

  constructor(bootstrap: string) {
    // Idempotent: a resent request (e.g. NOT_LEADER right after CreateTopics) must not duplicate records.
    this.producer = new Producer({
      clientId: "interop-groups-producer",
      bootstrapBrokers: [bootstrap],
      retries: 5,
      timeout: 30_000,
      autocreateTopics: false,
      idempotent: true,
    });
  }

  async send(topic: string, records: readonly NumberedRecord[]): Promise<void> {
    const result = await this.producer.send({
      acks: -1,
      messages: records.map((r) => ({
        topic,
        partition: r.partition,
        key: Buffer.from(r.value),
        value: Buffer.from(r.value),
        ...(r.timestamp === undefined ? {} : { timestamp: BigInt(r.timestamp) }),
      })),
    });
    const partitions = [...new Set(records.map((r) => r.partition))].sort((a, b) => a - b);
    assert.deepEqual(
      partitions.map((p) => [p, Number(result.offsets?.find((o) => o.topic === topic && o.partition === p)?.offset)]),
      partitions.map((p) => [p, this.nextOffsets.get(`${topic}/${p}`) ?? 0]),
      `base offsets of the produced batches in ${topic}`,
    );
    for (const r of records)
      this.nextOffsets.set(`${topic}/${r.partition}`, (this.nextOffsets.get(`${topic}/${r.partition}`) ?? 0) + 1);
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({
    clientId: "interop-groups-admin",
    bootstrapBrokers: [bootstrap],
    retries: 5,
    timeout: 30_000,
  });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    await waitFor(
      async () => (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitions.every((p) => p.leader >= 0),
      { timeoutMs: 20_000, intervalMs: 100, what: `leaders for ${topic}` },
    );
  } finally {
    await admin.close();
  }
}

/** Waits (bounded) until the members together printed every one of `values`. */
async function waitForDeliveries(
  members: readonly MemberProcess[],
  values: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const missing = (): string[] => {
    const seen = new Set(members.flatMap((m) => m.deliveries.map((d) => d.value)));
    return values.filter((v) => !seen.has(v));
  };
  await waitFor(() => missing().length === 0, {
    timeoutMs,
    intervalMs: 50,
    what: `${values.length} records to be consumed`,
  }).catch((error: unknown) => {
    throw new Error(
      `${String(error)}; missing ${missing().length}: ${missing().slice(0, 20).join(" ")}\n` +
        members.map((m) => `${m.describe()}\n(printed ${m.deliveries.length} records)`).join("\n"),
      { cause: error },
    );
  });
}

/** Checks that each of `values` was delivered exactly once overall, from the partition it was produced to. */
function assertExactlyOnce(members: readonly MemberProcess[], records: readonly NumberedRecord[]): void {
  const counts = new Map<string, number>();
  for (const m of members) for (const d of m.deliveries) counts.set(d.value, (counts.get(d.value) ?? 0) + 1);
  const expected = new Set(records.map((r) => r.value));
  const twice = [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
  const skipped = records.filter((r) => !counts.has(r.value)).map((r) => r.value);
  const unexpected = [...counts.keys()].filter((v) => !expected.has(v));
  assert.deepEqual(
    { twice, skipped, unexpected },
    { twice: [], skipped: [], unexpected: [] },
    "every record delivered exactly once",
  );
  const partitionOf = new Map(records.map((r) => [r.value, r.partition]));
  for (const m of members) {
    for (const d of m.deliveries) assert.equal(d.partition, partitionOf.get(d.value), `partition of ${d.value}`);
  }
}

// ---------------------------------------------------------------------------------------------- the tests

describe("consumer groups", () => {
  let current: { target: Target; producer: NumberedProducer } | undefined;
  before(async () => {
    const started = await startTarget(targetKind, { settings: brokerSettings });
    current = { target: started, producer: new NumberedProducer(started.bootstrap) };
  });
  after(async () => {
    await killAll();
    const c = current;
    current = undefined;
    await c?.producer.close().catch(() => undefined);
    await c?.target.stop();
  });
  const started = (): NonNullable<typeof current> => {
    if (current === undefined) throw new Error("the target is not running (did `before` fail?)");
    return current;
  };
  const target = (): Target => started().target;
  const producer = (): NumberedProducer => started().producer;

  /** Skips the test unless the target serves the classic group APIs; returns whether it does. */
  async function groupsServed(t: TestContext): Promise<boolean> {
    const pending = await consumerGroupsMissing(target().bootstrap);
    if (pending !== undefined) t.skip(pending);
    return pending === undefined;
  }

  for (const client of groupClients) {
    test(
      `${client.name}: ${memberCount} members share ${partitionCount} partitions; a killed member's partitions move after the session timeout; nothing skipped or read twice`,
      { skip: client.skip },
      async (t) => {
        if (!(await groupsServed(t))) return;
        if (
          client.protocol === "consumer" &&
          !(await advertisedApis(target().bootstrap)).has(ApiKey.ConsumerGroupHeartbeat)
        ) {
          t.skip(
            `the ${targetKind} target does not advertise ConsumerGroupHeartbeat (API key 68): the KIP-848 consumer protocol is not served`,
          );
          return;
        }
        const bootstrap = target().bootstrap;
        const topic = uniqueName("groups-topic");
        const groupId = uniqueName("groups");
        await createTopic(bootstrap, topic, partitionCount);
        const wire = await WireClient.connect(bootstrap, { clientId: "interop-groups-probe" });
        try {
          const members = Array.from({ length: memberCount }, (_, i) =>
            client.start({ bootstrap, topic, groupId, clientId: `${groupId}-m${i}` }),
          );

          // (a) every partition is owned by exactly one member.
          const first = await waitForAssignment(wire, {
            protocol: client.protocol,
            groupId,
            topic,
            members,
            timeoutMs: 60_000,
          });
          for (const [member, partitions] of first) {
            assert.ok(partitions.length > 0, `${member} owns no partition: ${JSON.stringify([...first])}`);
          }

          // (c) each record once, by the member that owns its partition.
          const batch1 = numbered(0, recordsPerBatch);
          await producer().send(topic, batch1);
          await waitForDeliveries(
            members,
            batch1.map((r) => r.value),
            30_000,
          );
          assertExactlyOnce(members, batch1);
          for (const m of members) {
            const owned = first.get(m.clientId) ?? [];
            const foreign = m.deliveries.filter((d) => !owned.includes(d.partition));
            assert.deepEqual(foreign, [], `${m.clientId} owns ${owned.join()} but read other partitions`);
          }
          const perPartition = recordsPerBatch / partitionCount;
          await waitForCommitted(wire, { groupId, topic, expected: Array<number>(partitionCount).fill(perPartition) });

          // (b) a member killed without leaving: its partitions move to the others only after the session timeout.
          const [victim, ...survivors] = members;
          assert.ok(victim !== undefined);
          await victim.stop("SIGKILL");
          const killedAt = Date.now();
          const batch2 = numbered(recordsPerBatch, 2 * recordsPerBatch);
          await producer().send(topic, batch2);
          const second = await waitForAssignment(wire, {
            protocol: client.protocol,
            groupId,
            topic,
            members: survivors,
            timeoutMs: sessionTimeoutMs + 60_000,
          });
          const movedAfterMs = Date.now() - killedAt;
          t.diagnostic(
            `assignment ${JSON.stringify([...first])}, after the kill ${JSON.stringify([...second])} (${movedAfterMs} ms)`,
          );
          assert.ok(
            movedAfterMs >= sessionTimeoutMs - heartbeatIntervalMs - 500,
            `the killed member's partitions moved after ${movedAfterMs} ms, before its session timeout of ${sessionTimeoutMs} ms`,
          );
          for (const p of first.get(victim.clientId) ?? []) {
            assert.ok(
              [...second.values()].some((owned) => owned.includes(p)),
              `partition ${p} of the killed member has a new owner`,
            );
          }

          // (c) committed offsets: the new owners resume where the killed member had committed.
          await waitForDeliveries(
            survivors,
            batch2.map((r) => r.value),
            30_000,
          );
          assertExactlyOnce(members, [...batch1, ...batch2]);
          await waitForCommitted(wire, {
            groupId,
            topic,
            expected: Array<number>(partitionCount).fill(2 * perPartition),
          });
        } finally {
          wire.close();
          await killAll();
        }
      },
    );
  }

  test(
    "kafka-consumer-groups: --list, --describe (lag), --reset-offsets (earliest, datetime, shift-by), --delete",
    { skip: kafkaMissing ?? false },
    async (t) => {
      if (!(await groupsServed(t))) return;
      const bootstrap = target().bootstrap;
      const server = ["--bootstrap-server", bootstrap];
      const partitions = 3;
      const topic = uniqueName("groups-tool-topic");
      const groupId = uniqueName("groups-tool");
      await createTopic(bootstrap, topic, partitions);

      // 30 records with CreateTime one second apart, ten minutes ago: n-i in partition i % 3.
      const base = Date.now() - 10 * 60_000;
      const old = numbered(0, 30, partitions).map((r, i) => ({ ...r, timestamp: base + i * 1000 }));
      await producer().send(topic, old);

      const wire = await WireClient.connect(bootstrap, { clientId: "interop-groups-probe" });
      /** Reads `count` records with the console consumer in the group (it commits and leaves on exit). */
      const consume = async (count: number): Promise<Delivery[]> => {
        const { stdout } = await kafkaToolOk(
          "console-consumer",
          [
            ...consoleConsumerArgs({ bootstrap, topic, groupId, clientId: `${groupId}-console` }, {}),
            "--max-messages",
            String(count),
            "--timeout-ms",
            "30000",
          ],
          { env: javaHeap },
        );
        return stdout.split("\n").flatMap((line) => parseConsoleDelivery(line) ?? []);
      };
      const resetOffsets = (...how: string[]): Promise<unknown> =>
        kafkaToolOk("consumer-groups", [
          ...server,
          "--group",
          groupId,
          "--topic",
          topic,
          "--reset-offsets",
          ...how,
          "--execute",
        ]);
      try {
        const read = await consume(30);
        assert.deepEqual(read.map((d) => d.value).sort(), old.map((r) => r.value).sort());
        await waitForCommitted(wire, { groupId, topic, expected: [10, 10, 10] });

        // Six more records, now: two per partition, so each partition lags by 2.
        const recent = numbered(30, 36, partitions);
        await producer().send(topic, recent);

        const listed = await kafkaToolOk("consumer-groups", [...server, "--list"]);
        assert.ok(listed.stdout.split("\n").includes(groupId), `--list lacks ${groupId}:\n${listed.stdout}`);

        const described = await kafkaToolOk("consumer-groups", [...server, "--describe", "--group", groupId]);
        assert.deepEqual(describedRows(described.stdout, groupId), [
          { topic, partition: 0, current: "10", end: "12", lag: "2" },
          { topic, partition: 1, current: "10", end: "12", lag: "2" },
          { topic, partition: 2, current: "10", end: "12", lag: "2" },
        ]);

        await resetOffsets("--to-earliest");
        assert.deepEqual(await committedOffsets(wire, groupId, topic, partitions), [0, 0, 0]);

        // To the CreateTime of n-16: the first records at or after it are n-18 (offset 6 of
        // partition 0), n-16 (offset 5 of partition 1) and n-17 (offset 5 of partition 2).
        const at = new Date(base + 16 * 1000).toISOString();
        await resetOffsets("--to-datetime", at);
        const resetTo = [6, 5, 5];
        assert.deepEqual(await committedOffsets(wire, groupId, topic, partitions), resetTo);
        const sinceAt = [...old.slice(16), ...recent];
        const reread = await consume(sinceAt.length);
        assert.deepEqual(reread.map((d) => d.value).sort(), sinceAt.map((r) => r.value).sort(), `re-read after ${at}`);
        resetTo.forEach((from, p) => {
          assert.deepEqual(
            reread.filter((d) => d.partition === p).map((d) => d.offset),
            Array.from({ length: 12 - from }, (_, k) => from + k),
            `offsets re-read from partition ${p}`,
          );
        });
        await waitForCommitted(wire, { groupId, topic, expected: [12, 12, 12] });

        await resetOffsets("--shift-by", "-3");
        assert.deepEqual(await committedOffsets(wire, groupId, topic, partitions), [9, 9, 9]);

        const deleted = await kafkaToolOk("consumer-groups", [...server, "--delete", "--group", groupId]);
        assert.match(
          deleted.stdout,
          new RegExp(`Deletion of requested consumer groups \\('${groupId}'\\) was successful`),
        );
        const relisted = await kafkaToolOk("consumer-groups", [...server, "--list"]);
        assert.ok(!relisted.stdout.split("\n").includes(groupId), `--list still has ${groupId}:\n${relisted.stdout}`);
        assert.deepEqual(await committedOffsets(wire, groupId, topic, partitions), [-1, -1, -1]);
      } finally {
        wire.close();
      }
    },
  );

  // Last: it restarts the target.
  test(
    "after a broker restart the committed offsets and a static member's group metadata are back",
    { skip: confluentMissing ?? false },
    async (t) => {
      if (!(await groupsServed(t))) return;
      const bootstrap = target().bootstrap;
      const topic = uniqueName("groups-restart-topic");
      const groupId = uniqueName("groups-restart");
      const partitions = 3;
      await createTopic(bootstrap, topic, partitions);
      const old = numbered(0, 30, partitions);
      await producer().send(topic, old);
      // Static membership, and a session long enough to outlast the restart: the member stays in
      // the group although its process is killed, so the group metadata is there to be reloaded.
      const member = {
        bootstrap,
        topic,
        groupId,
        clientId: `${groupId}-static`,
        groupInstanceId: `${groupId}-instance`,
        sessionTimeoutMs: 120_000,
      };
      let wire = await WireClient.connect(bootstrap, { clientId: "interop-groups-probe" });
      try {
        const first = startPythonMember(member);
        await waitForDeliveries(
          [first],
          old.map((r) => r.value),
          60_000,
        );
        assertExactlyOnce([first], old);
        await waitForCommitted(wire, { groupId, topic, expected: [10, 10, 10] });
        const before = await describeGroup(wire, groupId);
        assert.equal(before.groupState, "Stable");
        assert.equal(before.members.length, 1);
        assert.equal(before.members[0]?.groupInstanceId, member.groupInstanceId);
        assert.deepEqual(
          assignedPartitions(before.members[0]?.memberAssignment ?? new Uint8Array(0), topic).sort(),
          [0, 1, 2],
        );
        await first.stop("SIGKILL");

        wire.close();
        await target().restart();
        wire = await WireClient.connect(bootstrap, { clientId: "interop-groups-probe" });

        // Offsets (the coordinator may still be loading: retried within the bound).
        await waitForCommitted(wire, { groupId, topic, expected: [10, 10, 10] });
        // Group metadata: the same generation's state, member and assignment.
        const reloaded = await waitFor(
          async () => {
            const group = await describeGroup(wire, groupId);
            return group.groupState === "Stable" ? group : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 100, what: `${groupId} to be Stable after the restart` },
        );
        const view = (g: DescribedGroup): unknown => ({
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            metadata: Buffer.from(m.memberMetadata).toString("hex"),
            assignment: Buffer.from(m.memberAssignment).toString("hex"),
          })),
        });
        assert.deepEqual(view(reloaded), view(before));

        // The static member comes back and resumes from the committed offsets: only the new records.
        const recent = numbered(30, 45, partitions);
        await producer().send(topic, recent);
        const second = startPythonMember(member);
        await waitForDeliveries(
          [second],
          recent.map((r) => r.value),
          60_000,
        );
        assertExactlyOnce([second], recent);
        await waitForCommitted(wire, { groupId, topic, expected: [15, 15, 15] });
      } finally {
        wire.close();
        await killAll();
      }
    },
  );
});

/** The rows of `kafka-consumer-groups --describe` for `groupId`, by the header's column names. */
function describedRows(
  stdout: string,
  groupId: string,
): { topic: string; partition: number; current: string; end: string; lag: string }[] {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  const header =
    lines
      .find((l) => l.includes("CURRENT-OFFSET"))
      ?.trim()
      .split(/\s+/) ?? [];
  const column = (name: string): number => {
    const i = header.indexOf(name);
    assert.ok(i >= 0, `--describe has no ${name} column:\n${stdout}`);
    return i;
  };
  const at = (cells: readonly string[], name: string): string => cells[column(name)] ?? "";
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((cells) => cells[0] === groupId)
    .map((cells) => ({
      topic: at(cells, "TOPIC"),
      partition: Number(at(cells, "PARTITION")),
      current: at(cells, "CURRENT-OFFSET"),
      end: at(cells, "LOG-END-OFFSET"),
      lag: at(cells, "LAG"),
    }))
    .sort((a, b) => a.partition - b.partition);
}
