// Exactly once across processes (runtime-eos-child.ts), on the embedded broker or Apache Kafka
// (SAMSA_TEST_TARGET=kafka): an application killed with SIGKILL while its transactions are open,
// then restarted, still gives a read_committed reader exactly one output per input, and its
// persistent store and changelog hold exactly the recomputed counts; an instance frozen past its
// session timeout (a zombie) cannot commit once the group gave its tasks away — no duplicates.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startTarget } from "@samsa/testkit";
import { startEmbeddedBroker } from "../src/runtime/embedded.ts";
import type { EmbeddedBroker } from "../src/runtime/embedded.ts";
import { KafkaStreams } from "../src/runtime/kafka-streams.ts";
import type { EosChildOptions } from "./runtime-eos-child.ts";
import { CommittedReader, countingMismatch } from "./runtime-eos-support.ts";
import { TestCluster, countingPlan, eventually, observations, str } from "./runtime-fixtures.ts";

// The coordinator looks for timed-out transactions every second (Kafka's default: 10 s).
const brokerSettings = {
  "group.initial.rebalance.delay.ms": "0",
  "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
};

let broker: EmbeddedBroker;
let cluster: TestCluster;
let reader: CommittedReader;
let stateRoot: string;
const children = new Set<ChildProcess>();

before(async () => {
  if (process.env["SAMSA_TEST_TARGET"] === "kafka") {
    const target = await startTarget("kafka", { settings: brokerSettings });
    broker = { bootstrapServers: target.bootstrap, close: () => target.stop() };
  } else broker = await startEmbeddedBroker({ settings: brokerSettings });
  cluster = new TestCluster(broker.bootstrapServers);
  reader = new CommittedReader(broker.bootstrapServers);
  stateRoot = await mkdtemp(join(tmpdir(), "samsa-streams-eos-crash-"));
});

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await reader.close();
  await cluster.close();
  await broker.close();
  await rm(stateRoot, { recursive: true, force: true });
});

interface Child {
  readonly process: ChildProcess;
  /** Every JSON line the child printed so far. */
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

function startChild(options: EosChildOptions): Child {
  const child = spawn(process.execPath, [join(import.meta.dirname, "runtime-eos-child.ts"), JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ message: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { process: child, lines, exited };
}

const said = (child: Child, message: string): boolean => child.lines.some((line) => line["message"] === message);

test("SIGKILL while transactions are open, twice, then a restart: exactly one output per input, store = recomputation", async () => {
  const app = "eos-crash";
  const input = `${app}-in`;
  const output = `${app}-out`;
  await cluster.createTopic(input, 2);
  await cluster.createTopic(output, 2);
  const options: EosChildOptions = {
    bootstrapServers: broker.bootstrapServers,
    applicationId: app,
    input,
    output,
    stateDir: join(stateRoot, app),
    topology: "dsl",
    commitIntervalMs: 100,
    transactionTimeoutMs: 3_000,
  };
  const inputs: (readonly [string, string])[] = [];
  let sent = 0;
  const produceMore = async (count: number): Promise<void> => {
    const batch = Array.from({ length: count }, (_, i) => [`k${(sent + i) % 13}`, `v${sent + i}`] as const);
    sent += count;
    inputs.push(...batch);
    await reader.produce(input, batch);
  };
  for (let kill = 0; kill < 2; kill++) {
    const child = startChild(options);
    await eventually(() => said(child, "running"), 60_000);
    // Keep input flowing so transactions are open when the kill comes.
    const target = (await reader.readCommitted(output, 2)).length + 400;
    for (let round = 0; round < 200; round++) {
      await produceMore(20);
      if ((await reader.readCommitted(output, 2)).length >= target) break;
    }
    assert.ok((await reader.readCommitted(output, 2)).length >= target, "the application made progress");
    child.process.kill("SIGKILL");
    await child.exited;
  }
  await produceMore(100);
  const last = startChild(options);
  await eventually(async () => (await reader.readCommitted(output, 2)).length >= inputs.length, 120_000);
  // The outputs of the killed instances' open transactions never became visible.
  assert.equal(countingMismatch(inputs, await reader.readCommitted(output, 2)), undefined);
  assert.ok(
    (await reader.readUncommitted(output, 2)).length >= inputs.length,
    "aborted outputs are in the log, invisible to read_committed",
  );
  // The store's changelog holds each count as a long (the store's value bytes).
  const changelog = new Map<string, string>();
  for (const record of await reader.readCommitted(`${app}-counts-changelog`, 2))
    changelog.set(str(record.key), String(Buffer.from(record.value ?? new Uint8Array(8)).readBigInt64BE(0)));
  for (let k = 0; k < 13; k++)
    assert.equal(changelog.get(`k${k}`), String(inputs.filter(([key]) => key === `k${k}`).length), `k${k}`);
  // A clean close, then one more record per key on the same state directory: each count goes on
  // from the persistent store (restored from its checkpoint and the committed changelog tail).
  last.process.kill("SIGTERM");
  assert.equal(await last.exited, 0);
  const again = startChild(options);
  const extra = Array.from({ length: 13 }, (_, k) => [`k${k}`, "again"] as const);
  inputs.push(...extra);
  await reader.produce(input, extra);
  await eventually(async () => (await reader.readCommitted(output, 2)).length >= inputs.length, 60_000);
  assert.equal(countingMismatch(inputs, await reader.readCommitted(output, 2)), undefined);
  again.process.kill("SIGTERM");
  assert.equal(await again.exited, 0);
});

test("a zombie (frozen past its session timeout) cannot commit after the group moved its tasks: no duplicates", async () => {
  const app = "eos-zombie";
  const input = `${app}-in`;
  const output = `${app}-out`;
  await cluster.createTopic(input, 2);
  await cluster.createTopic(output, 2);
  const first = Array.from({ length: 60 }, (_, i) => [`k${i % 5}`, `a${i}`] as const);
  // The zombie keeps its transaction open (no commit interval comes) and a transaction timeout
  // longer than the test: only the group's generation can stop it.
  const zombie = startChild({
    bootstrapServers: broker.bootstrapServers,
    applicationId: app,
    input,
    output,
    stateDir: join(stateRoot, `${app}-zombie`),
    topology: "counting",
    commitIntervalMs: 600_000,
    transactionTimeoutMs: 120_000,
  });
  await eventually(() => said(zombie, "running"), 60_000);
  await reader.produce(input, first);
  await eventually(async () => (await reader.readUncommitted(output, 2)).length === first.length, 30_000);
  assert.equal((await reader.readCommitted(output, 2)).length, 0);
  zombie.process.kill("SIGSTOP");

  const observed = observations();
  const healthy = new KafkaStreams(countingPlan({ applicationId: app, sourceTopics: [input], output, observed }), {
    applicationId: app,
    bootstrapServers: broker.bootstrapServers,
    stateDir: join(stateRoot, `${app}-healthy`),
    processingGuarantee: "exactly_once_v2",
    consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000 },
    logger: { log() {} },
  });
  try {
    await healthy.start();
    // The group drops the frozen member after its session timeout and gives everything to this one.
    await eventually(() => observed.processed.length >= first.length, 60_000);
    await eventually(() => healthy.state === "RUNNING" && healthy.tasks.length === 2, 30_000);

    zombie.process.kill("SIGCONT");
    await eventually(() => zombie.lines.some((line) => String(line["message"]).startsWith("tasks migrated")), 60_000);
    const second = Array.from({ length: 40 }, (_, i) => [`k${i % 5}`, `b${i}`] as const);
    await reader.produce(input, second);
    const inputs = [...first, ...second];
    // The zombie's open transaction was aborted, so the log's stable offset moves past it.
    await eventually(async () => (await reader.readCommitted(output, 2)).length >= inputs.length, 60_000);
    assert.equal(countingMismatch(inputs, await reader.readCommitted(output, 2)), undefined);
  } finally {
    await healthy.close({ timeoutMs: 20_000 });
    zombie.process.kill("SIGTERM");
    await zombie.exited;
  }
});
