// Broker benchmark: Samsa (durable mode `fsync` and relaxed mode `os`) side by side with Apache Kafka
// 4.4 on this machine, driven by Kafka's own perf tools with the same settings, targets alternating
// case by case. Writes the broker section of docs/benchmarks.md, docs/bench/broker.json and two SVG
// charts. Run: npm run bench:broker. Knobs (environment):
//   SAMSA_BENCH_QUICK=1              a two-case subset with a quarter of the records (a smoke run)
//   SAMSA_BENCH_SCALE=x              multiplies record counts and the latency probe's duration
//   SAMSA_BENCH_PARTITIONS=1,8  SAMSA_BENCH_RECORD_SIZES=100,1024  SAMSA_BENCH_ACKS=1,all
//   SAMSA_BENCH_COMPRESSION=none,lz4  SAMSA_BENCH_PRODUCERS=1,4      the produce matrix (any set: product)
//   SAMSA_BENCH_CONSUME=default|all|none  which cases are consumed again (default: 1 producer, acks=1)
//   SAMSA_BENCH_TARGETS=samsa-fsync,samsa-os,kafka
//   SAMSA_BENCH_PROFILE=1            also profile Samsa (--cpu-prof) on the 1 KB/1 partition/acks=1 case
//   SAMSA_BENCH_DIR=/path            where data directories go (default: the OS temp dir)
//   SAMSA_BENCH_DEADLINE_MIN=60      the whole run is aborted (everything killed) after this long
//   SAMSA_BENCH_RENDER=1             only re-render the docs from docs/bench/broker.json (no run)
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync } from "node:fs";
import { rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import * as prettier from "prettier";
import { freePort } from "@samsa/testkit";
import { parseConsumerPerf, parseProducerPerf } from "./perf-tools.ts";
import type { ConsumeResult, ProducerLine } from "./perf-tools.ts";

// ---------------------------------------------------------------------------------------------- settings

const root = resolve(import.meta.dirname, "../../..");
// The bundled broker (`npm run build`): what `npm start` runs; compiled JavaScript starts faster and
// uses less memory than the TypeScript sources (which Node strips at load time).
const samsaBin = join(root, "packages/cli/dist/samsa.mjs");
const kafkaScript = join(root, "scripts/kafka.sh");
const env = process.env;
const quick = env["SAMSA_BENCH_QUICK"] === "1";
const scale = Number(env["SAMSA_BENCH_SCALE"] ?? (quick ? 0.25 : 1));
const profileEnabled = env["SAMSA_BENCH_PROFILE"] === "1";
const benchBase = env["SAMSA_BENCH_DIR"] ?? tmpdir();
const deadlineMs = Number(env["SAMSA_BENCH_DEADLINE_MIN"] ?? 60) * 60_000;
const consumeMode = env["SAMSA_BENCH_CONSUME"] ?? "default";

/** Records per producer run for one producer; each of four concurrent producers sends half of it. */
const baseRecords: Readonly<Record<number, number>> = { 100: 600_000, 1024: 200_000 };
const batchBytes = 16_384;
const lingerMs = 5;
const latencyRatePerSec = Number(env["SAMSA_BENCH_LATENCY_RATE"] ?? 1000);
const latencyRecordBytes = 1024;
const latencyDurationMs = Math.round(Number(env["SAMSA_BENCH_LATENCY_SECONDS"] ?? 15) * 1000 * Math.min(1, scale));
const latencyWarmupMs = Math.min(2000, latencyDurationMs / 4);
const e2eToolRecords = Math.max(200, Math.round(2000 * Math.min(1, scale)));
const startupRuns = Number(env["SAMSA_BENCH_STARTUP_RUNS"] ?? (quick ? 1 : 3));
const outputBytesMax = 256 * 1024;
const groupApiKeys: Readonly<Record<number, string>> = {
  8: "OffsetCommit",
  9: "OffsetFetch",
  10: "FindCoordinator",
  11: "JoinGroup",
  12: "Heartbeat",
  14: "SyncGroup",
};

const targetNames = ["samsa-fsync", "samsa-os", "kafka"] as const;
type TargetName = (typeof targetNames)[number];
const targetLabels: Readonly<Record<TargetName, string>> = {
  "samsa-fsync": "Samsa durable (fsync)",
  "samsa-os": "Samsa relaxed (os)",
  kafka: "Kafka 4.4.0 (no fsync)",
};
const targetColors: Readonly<Record<TargetName, string>> = {
  "samsa-fsync": "#1f5fa8",
  "samsa-os": "#7fb2e5",
  kafka: "#e8822a",
};

type Acks = "1" | "all";
type Compression = "none" | "lz4";

interface ProduceCase {
  readonly partitions: number;
  readonly recordBytes: number;
  readonly acks: Acks;
  readonly compression: Compression;
  readonly producers: number;
}

function listEnv(name: string, fallback: string): string[] {
  return (env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function selectedTargets(): TargetName[] {
  const wanted = listEnv("SAMSA_BENCH_TARGETS", targetNames.join(","));
  for (const name of wanted) {
    if (!targetNames.some((t) => t === name)) throw new Error(`SAMSA_BENCH_TARGETS: unknown target ${name}`);
  }
  return targetNames.filter((t) => wanted.includes(t));
}

function produceCases(): ProduceCase[] {
  const matrixEnv = [
    "SAMSA_BENCH_PARTITIONS",
    "SAMSA_BENCH_RECORD_SIZES",
    "SAMSA_BENCH_ACKS",
    "SAMSA_BENCH_COMPRESSION",
    "SAMSA_BENCH_PRODUCERS",
  ];
  if (quick && !matrixEnv.some((name) => env[name] !== undefined)) {
    return [
      { partitions: 1, recordBytes: 1024, acks: "1", compression: "none", producers: 1 },
      { partitions: 8, recordBytes: 100, acks: "all", compression: "lz4", producers: 4 },
    ];
  }
  const cases: ProduceCase[] = [];
  for (const partitions of listEnv("SAMSA_BENCH_PARTITIONS", "1,8").map(Number)) {
    for (const recordBytes of listEnv("SAMSA_BENCH_RECORD_SIZES", "100,1024").map(Number)) {
      for (const acks of listEnv("SAMSA_BENCH_ACKS", "1,all")) {
        if (acks !== "1" && acks !== "all") throw new Error(`SAMSA_BENCH_ACKS: 1 or all, got ${acks}`);
        for (const compression of listEnv("SAMSA_BENCH_COMPRESSION", "none,lz4")) {
          if (compression !== "none" && compression !== "lz4") {
            throw new Error(`SAMSA_BENCH_COMPRESSION: none or lz4, got ${compression}`);
          }
          for (const producers of listEnv("SAMSA_BENCH_PRODUCERS", "1,4").map(Number)) {
            cases.push({ partitions, recordBytes, acks, compression, producers });
          }
        }
      }
    }
  }
  return cases;
}

function recordsPerProducer(c: ProduceCase): number {
  const base = baseRecords[c.recordBytes] ?? Math.round(200_000_000 / c.recordBytes);
  return Math.max(1000, Math.round((base * scale) / (c.producers === 1 ? 1 : 2)));
}

function consumed(c: ProduceCase): boolean {
  if (consumeMode === "none") return false;
  if (consumeMode === "all" || quick) return true;
  return c.producers === 1 && c.acks === "1";
}

function caseLabel(c: ProduceCase): string {
  const size = c.recordBytes >= 1024 ? `${c.recordBytes / 1024} KB` : `${c.recordBytes} B`;
  return `${c.partitions} part · ${size} · acks=${c.acks} · ${c.compression} · ${c.producers} prod`;
}

function caseId(c: ProduceCase): string {
  return `p${c.partitions}-r${c.recordBytes}-a${c.acks}-${c.compression}-x${c.producers}`;
}

// ---------------------------------------------------------------------------------------------- processes

/** Everything this run started that may still be alive: killed (SIGKILL) when the run exits. */
const liveProcesses = new Map<number, { readonly group: boolean }>();
let benchRoot = "";

function killNow(pid: number, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, "SIGKILL");
  } catch {
    // already gone
  }
}

process.on("exit", () => {
  for (const [pid, { group }] of liveProcesses) killNow(pid, group);
  liveProcesses.clear();
  if (benchRoot !== "") rmSync(benchRoot, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\nbroker bench: ${signal}, killing everything it started`);
    process.exit(130);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function appendBounded(output: { text: string }, chunk: string): void {
  output.text += chunk;
  if (output.text.length > outputBytesMax) output.text = output.text.slice(-outputBytesMax);
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

/** Runs a command in its own process group; the whole group is killed when `timeoutMs` passes. */
function runProcess(
  command: string,
  args: readonly string[],
  options: { readonly timeoutMs: number; readonly env?: NodeJS.ProcessEnv },
): Promise<ProcessResult> {
  return new Promise((resolvePromise) => {
    const start = performance.now();
    const stdout = { text: "" };
    const stderr = { text: "" };
    const child = spawn(command, args, {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ?? env,
    });
    const pid = child.pid;
    if (pid !== undefined) liveProcesses.set(pid, { group: true });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => appendBounded(stdout, chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => appendBounded(stderr, chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killNow(pid, true);
    }, options.timeoutMs);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      // The group may hold grandchildren (kafka.sh start leaves the broker there on purpose).
      if (pid !== undefined) liveProcesses.delete(pid);
      resolvePromise({ code, stdout: stdout.text, stderr: stderr.text, timedOut, ms: performance.now() - start });
    };
    child.once("error", (error) => {
      appendBounded(stderr, String(error));
      finish(null);
    });
    child.once("close", (code) => finish(code));
  });
}

function kafkaTool(name: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult> {
  return runProcess("bash", [kafkaScript, "tool", name, ...args], { timeoutMs });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function message(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return `${error.message}: ${error.errors.map(message).join("; ")}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Flushes dirty pages so one run's writeback does not land in the next run's fsyncs. */
async function syncDisks(): Promise<void> {
  await runProcess("sync", [], { timeoutMs: 120_000 });
}

// ---------------------------------------------------------------------------------------------- brokers

interface Broker {
  readonly target: TargetName;
  readonly bootstrap: string;
  /** The broker process itself (node for Samsa, java for Kafka). */
  readonly pid: number;
  readonly dataDir: string;
  alive(): boolean;
  /** Clean stop (SIGTERM), forced after a bounded wait; says whether it was clean. */
  stop(): Promise<boolean>;
  outputTail(): string;
}

function durabilityOf(target: TargetName): string {
  return target === "samsa-os" ? "os" : "fsync";
}

/**
 * Spawns `samsa start`. With `waitReady`, resolves once it prints its ready line; without, at once
 * (the startup measurement polls with produce requests instead).
 */
async function startSamsa(options: {
  readonly target: TargetName;
  readonly dataDir: string;
  readonly port: number;
  readonly nodeArgs?: readonly string[];
  readonly waitReady: boolean;
}): Promise<Broker> {
  const listen = `127.0.0.1:${options.port}`;
  const args = [
    ...(options.nodeArgs ?? []),
    samsaBin,
    "start",
    "--data-dir",
    options.dataDir,
    "--listen",
    listen,
    "--set",
    `samsa.log.durability=${durabilityOf(options.target)}`,
    // As the Kafka side (scripts/kafka.sh sets it): a group's first join is not held back 3 s.
    "--set",
    "group.initial.rebalance.delay.ms=0",
  ];
  const output = { text: "" };
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn samsa");
  liveProcesses.set(pid, { group: true });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => appendBounded(output, chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => appendBounded(output, chunk));
  let exited = false;
  const exitedPromise = new Promise<number | null>((r) => {
    child.once("exit", (code) => {
      exited = true;
      liveProcesses.delete(pid);
      r(code);
    });
  });
  const broker: Broker = {
    target: options.target,
    bootstrap: listen,
    pid,
    dataDir: options.dataDir,
    alive: () => !exited,
    outputTail: () => tail(output.text),
    async stop() {
      if (exited) return false;
      child.kill("SIGTERM");
      const code = await Promise.race([exitedPromise, sleep(30_000).then(() => "timeout" as const)]);
      if (code === "timeout") {
        killNow(pid, true);
        await exitedPromise;
        return false;
      }
      return code === 0;
    },
  };
  if (options.waitReady) {
    const deadline = performance.now() + 30_000;
    while (!/^samsa ready: /m.test(output.text)) {
      if (exited || performance.now() > deadline) {
        await broker.stop();
        throw new Error(`samsa did not become ready:\n${tail(output.text)}`);
      }
      await sleep(20);
    }
  }
  return broker;
}

function kafkaPidOf(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "kafka.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops a broker process by pid: SIGTERM, then SIGKILL after `timeoutMs`. */
async function stopPid(pid: number, timeoutMs: number): Promise<boolean> {
  if (!pidAlive(pid)) return false;
  process.kill(pid, "SIGTERM");
  const deadline = performance.now() + timeoutMs;
  while (pidAlive(pid) && performance.now() < deadline) await sleep(50);
  if (!pidAlive(pid)) return true;
  killNow(pid, false);
  while (pidAlive(pid)) await sleep(50);
  return false;
}

/** A fresh single-node KRaft Kafka from scripts/kafka.sh (formats `dataDir`, starts, waits for ready). */
async function startKafka(dataDir: string): Promise<Broker> {
  const port = await freePort();
  const result = await runProcess("bash", [kafkaScript, "start", "--port", String(port), "--data-dir", dataDir], {
    timeoutMs: 180_000,
  });
  const pid = kafkaPidOf(dataDir);
  if (pid !== undefined) liveProcesses.set(pid, { group: false });
  if (result.code !== 0 || pid === undefined) {
    if (pid !== undefined) await stopPid(pid, 10_000);
    throw new Error(`kafka.sh start failed (code ${result.code}):\n${tail(result.stderr)}`);
  }
  return kafkaBroker(dataDir, `127.0.0.1:${port}`, pid);
}

function kafkaBroker(dataDir: string, bootstrap: string, pid: number): Broker {
  return {
    target: "kafka",
    bootstrap,
    pid,
    dataDir,
    alive: () => pidAlive(pid),
    outputTail: () => {
      try {
        return tail(readFileSync(join(dataDir, "kafka.out"), "utf8"));
      } catch {
        return "";
      }
    },
    async stop() {
      const clean = await stopPid(pid, 30_000);
      liveProcesses.delete(pid);
      rmSync(join(dataDir, "kafka.pid"), { force: true });
      return clean;
    },
  };
}

let kafkaHomeCache: string | undefined;
async function kafkaHome(): Promise<string> {
  if (kafkaHomeCache !== undefined) return kafkaHomeCache;
  const result = await runProcess("bash", [kafkaScript, "home"], { timeoutMs: 10_000 });
  kafkaHomeCache = result.stdout.trim();
  return kafkaHomeCache;
}

/**
 * Starts Kafka again on an already formatted `dataDir` (what a restart is) with the same JVM flags
 * scripts/kafka.sh start uses, without waiting: for timing start-to-first-produce.
 */
async function spawnKafkaOnFormattedDir(dataDir: string, bootstrap: string): Promise<Broker> {
  const home = await kafkaHome();
  const javaBin = env["JAVA_HOME"] === undefined ? "java" : join(env["JAVA_HOME"], "bin/java");
  const heap = (env["SAMSA_KAFKA_HEAP"] ?? "-Xms256m -Xmx1g").split(/\s+/).filter((s) => s !== "");
  const out = openSync(join(dataDir, "kafka.out"), "a");
  let child: ChildProcess;
  try {
    child = spawn(
      javaBin,
      [
        ...heap,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        `-Dsamsa.log.level=${env["SAMSA_KAFKA_LOG_LEVEL"] ?? "WARN"}`,
        `-Dlog4j2.configurationFile=${join(home, "log4j2.xml")}`,
        "-cp",
        `${join(home, "libs")}/*`,
        "kafka.Kafka",
        join(dataDir, "server.properties"),
      ],
      { cwd: root, detached: true, stdio: ["ignore", out, out] },
    );
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn java");
  liveProcesses.set(pid, { group: true });
  child.unref();
  writeFileSync(join(dataDir, "kafka.pid"), `${pid}\n`);
  return kafkaBroker(dataDir, bootstrap, pid);
}

async function startTarget(target: TargetName): Promise<Broker> {
  const dataDir = mkdtempSync(join(benchRoot, `${target}-`));
  if (target === "kafka") return startKafka(dataDir);
  return startSamsa({ target, dataDir, port: await freePort(), waitReady: true });
}

// ---------------------------------------------------------------------------------------------- admin

function newAdmin(bootstrap: string): Admin {
  return new Admin({
    clientId: "samsa-broker-bench",
    bootstrapBrokers: [bootstrap],
    timeout: 10_000,
    retries: 5,
    retryDelay: 300,
    connectTimeout: 5_000,
    requestTimeout: 15_000,
  });
}

async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = newAdmin(bootstrap);
  try {
    return await withTimeout(fn(admin), 60_000, "admin request");
  } finally {
    await withTimeout(admin.close(), 5_000, "admin close").catch(() => undefined);
  }
}

/** Creates a topic and waits (bounded) until every partition has a leader. */
async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  await withAdmin(bootstrap, async (admin) => {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    const deadline = performance.now() + 20_000;
    for (;;) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const t = metadata?.topics.get(topic);
      if (t !== undefined && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) return;
      if (performance.now() > deadline) throw new Error(`topic ${topic} has no leaders after 20 s`);
      await sleep(100);
    }
  });
}

async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  await withAdmin(bootstrap, (admin) => admin.deleteTopics({ topics: [topic] }));
}

/** Whether the broker lists every API the Java consumer's classic group protocol needs. */
async function groupSupport(bootstrap: string): Promise<{ supported: boolean; missing: string[] }> {
  const apis = await withAdmin(bootstrap, (admin) => admin.listApis());
  const keys = new Set(apis.map((a) => a.apiKey));
  const missing = Object.entries(groupApiKeys)
    .filter(([key]) => !keys.has(Number(key)))
    .map(([, name]) => name);
  return { supported: missing.length === 0, missing };
}

// ---------------------------------------------------------------------------------------------- workloads

interface ProduceResult {
  /** Sum over the concurrent producers (as the tool reports them, MB = 2^20 bytes). */
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly records: number;
  readonly perProducer: readonly ProducerLine[];
  readonly wallMs: number;
}

async function runProduce(
  broker: Broker,
  topic: string,
  c: ProduceCase,
  perProducer = recordsPerProducer(c),
): Promise<ProduceResult> {
  const args = [
    "--topic",
    topic,
    "--num-records",
    String(perProducer),
    "--record-size",
    String(c.recordBytes),
    "--throughput",
    "-1",
    "--command-property",
    `bootstrap.servers=${broker.bootstrap}`,
    `acks=${c.acks}`,
    `compression.type=${c.compression}`,
    `batch.size=${batchBytes}`,
    `linger.ms=${lingerMs}`,
  ];
  // Bound: generous for 20 MB/s, never unbounded.
  const timeoutMs = 60_000 + Math.round((perProducer * c.recordBytes * c.producers) / 20_000);
  const start = performance.now();
  // All producers are started together; throughput is their sum.
  const results = await Promise.all(
    Array.from({ length: c.producers }, () => kafkaTool("producer-perf-test", args, timeoutMs)),
  );
  const wallMs = performance.now() - start;
  const lines: ProducerLine[] = [];
  for (const r of results) {
    const line = parseProducerPerf(r.stdout);
    if (r.code !== 0 || line === undefined || line.records !== perProducer) {
      throw new Error(
        `producer-perf-test ${r.timedOut ? "timed out" : `exited ${r.code}`}: ${tail(r.stdout + r.stderr, 6)}`,
      );
    }
    lines.push(line);
  }
  return {
    recordsPerSec: lines.reduce((s, l) => s + l.recordsPerSec, 0),
    mbPerSec: lines.reduce((s, l) => s + l.mbPerSec, 0),
    records: lines.reduce((s, l) => s + l.records, 0),
    perProducer: lines,
    wallMs,
  };
}

async function runConsume(broker: Broker, topic: string, records: number, recordBytes: number): Promise<ConsumeResult> {
  const timeoutMs = 90_000 + Math.round((records * recordBytes) / 20_000);
  const r = await kafkaTool(
    "consumer-perf-test",
    [
      "--bootstrap-server",
      broker.bootstrap,
      "--topic",
      topic,
      "--num-records",
      String(records),
      "--group",
      `bench-${topic}`,
      "--timeout",
      "30000",
    ],
    timeoutMs,
  );
  const parsed = r.code === 0 ? parseConsumerPerf(r.stdout) : undefined;
  if (parsed === undefined || parsed.records < records) {
    throw new Error(
      `consumer-perf-test ${r.timedOut ? "timed out" : `exited ${r.code}`}, ${parsed?.records ?? 0} of ${records} records: ${tail(r.stdout + r.stderr, 6)}`,
    );
  }
  return parsed;
}

interface LatencyPercentiles {
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

interface LatencyProbeResult extends LatencyPercentiles {
  readonly sent: number;
  readonly received: number;
  readonly measured: number;
}

function percentiles(samples: number[]): LatencyPercentiles {
  const sorted = samples.toSorted((a, b) => a - b);
  const at = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return {
    avgMs: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * End-to-end latency at a fixed rate: one producer (acks=all, one record per request) and a fetch
 * loop on a manually chosen partition (no group), in this process; latency = receive − send of each
 * record, the send time carried in the value. The first `latencyWarmupMs` are not counted.
 */
async function latencyProbe(broker: Broker, topic: string): Promise<LatencyProbeResult> {
  await createTopic(broker.bootstrap, topic, 1);
  const producer = new Producer({
    clientId: "samsa-bench-latency",
    bootstrapBrokers: [broker.bootstrap],
    acks: -1,
    retries: 3,
    maxInflights: 256,
    connectTimeout: 5_000,
    requestTimeout: 15_000,
  });
  const consumer = new Consumer({
    clientId: "samsa-bench-latency",
    groupId: "samsa-bench-unused", // never joined: fetch() below is a plain Fetch request
    bootstrapBrokers: [broker.bootstrap],
    connectTimeout: 5_000,
    requestTimeout: 15_000,
  });
  try {
    const metadata = await withTimeout(consumer.metadata({ topics: [topic] }), 20_000, "metadata");
    const info = metadata.topics.get(topic);
    const leader = info?.partitions[0]?.leader;
    if (info === undefined || leader === undefined) throw new Error(`no metadata for ${topic}`);
    const samples: number[] = [];
    let received = 0;
    let fetchOffset = 0n;
    let stopFetching = false;
    let measureFrom = Number.POSITIVE_INFINITY;
    const fetchLoop = async (): Promise<void> => {
      while (!stopFetching) {
        const response = await consumer.fetch({
          node: leader,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [
            {
              topicId: info.id,
              partitions: [
                {
                  partition: 0,
                  fetchOffset,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
        });
        const now = performance.now();
        for (const t of response.responses) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new Error(`fetch error code ${p.errorCode}`);
            for (const batch of p.records ?? []) {
              for (const record of batch.records) {
                const next = batch.firstOffset + BigInt(record.offsetDelta) + 1n;
                if (next <= fetchOffset) continue;
                fetchOffset = next;
                received++;
                const sentAt = record.value?.readDoubleLE(0) ?? Number.NaN;
                if (sentAt >= measureFrom) samples.push(now - sentAt);
              }
            }
          }
        }
      }
    };
    const fetching = fetchLoop();
    const pending: Promise<unknown>[] = [];
    const template = Buffer.alloc(latencyRecordBytes, 0x61);
    const send = (): void => {
      const value = Buffer.from(template);
      value.writeDoubleLE(performance.now(), 0);
      pending.push(producer.send({ messages: [{ topic, partition: 0, value }] }));
    };
    // Warm connections and metadata, then the fixed-rate run on an absolute schedule.
    send();
    await withTimeout(Promise.all(pending), 15_000, "first latency record");
    const start = performance.now();
    measureFrom = start + latencyWarmupMs;
    const total = Math.round((latencyRatePerSec * latencyDurationMs) / 1000);
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / latencyRatePerSec - performance.now();
      if (wait >= 1) await sleep(wait);
      send();
    }
    await withTimeout(Promise.all(pending), 30_000, "latency acks");
    const expected = total + 1;
    const deadline = performance.now() + 10_000;
    while (received < expected && performance.now() < deadline) await sleep(20);
    stopFetching = true;
    await withTimeout(fetching, 5_000, "fetch loop");
    if (samples.length === 0) throw new Error("no latency samples");
    return { ...percentiles(samples), sent: expected, received, measured: samples.length };
  } finally {
    await withTimeout(producer.close(), 5_000, "producer close").catch(() => undefined);
    await withTimeout(consumer.close(true), 5_000, "consumer close").catch(() => undefined);
    await deleteTopic(broker.bootstrap, topic).catch(() => undefined);
  }
}

interface Percentiles3 {
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

interface E2eToolResult {
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
}

function parseEndToEndLatency(stdout: string): E2eToolResult | undefined {
  const avg = /Avg latency: ([\d.]+) ms/.exec(stdout);
  const pct = /Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(stdout);
  if (avg === null || pct === null) return undefined;
  return { avgMs: Number(avg[1]), p50Ms: Number(pct[1]), p99Ms: Number(pct[2]), p999Ms: Number(pct[3]) };
}

/** Kafka's EndToEndLatency: one record at a time (send acks=all, wait, poll until it arrives). */
async function runEndToEndTool(broker: Broker, topic: string): Promise<E2eToolResult> {
  await createTopic(broker.bootstrap, topic, 1);
  try {
    const r = await kafkaTool(
      "e2e-latency",
      [
        "--bootstrap-server",
        broker.bootstrap,
        "--topic",
        topic,
        "--num-records",
        String(e2eToolRecords),
        "--producer-acks",
        "all",
        "--record-size",
        String(latencyRecordBytes),
      ],
      120_000,
    );
    const parsed = r.code === 0 ? parseEndToEndLatency(r.stdout) : undefined;
    if (parsed === undefined) {
      throw new Error(`e2e-latency ${r.timedOut ? "timed out" : `exited ${r.code}`}: ${tail(r.stdout + r.stderr, 6)}`);
    }
    return parsed;
  } finally {
    await deleteTopic(broker.bootstrap, topic).catch(() => undefined);
  }
}

interface Memory {
  readonly rssMb: number;
  readonly peakRssMb: number;
}

function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

/** One produce request with a short client timeout; true once the broker accepted the record. */
async function produceOnce(bootstrap: string, topic: string): Promise<boolean> {
  const producer = new Producer({
    clientId: "samsa-bench-startup",
    bootstrapBrokers: [bootstrap],
    acks: 1,
    retries: false,
    connectTimeout: 500,
    requestTimeout: 1_000,
    timeout: 1_000,
  });
  try {
    await withTimeout(
      producer.send({ messages: [{ topic, partition: 0, value: Buffer.from("x") }] }),
      2_000,
      "produce",
    );
    return true;
  } catch {
    return false;
  } finally {
    await withTimeout(producer.close(), 2_000, "close").catch(() => undefined);
  }
}

/** Start (on a data dir that holds one empty topic, as after a restart) to first acknowledged produce. */
async function measureStartup(target: TargetName, runs: number): Promise<number[]> {
  const dataDir = mkdtempSync(join(benchRoot, `startup-${target}-`));
  const topic = "startup";
  const first =
    target === "kafka"
      ? await startKafka(dataDir)
      : await startSamsa({ target, dataDir, port: await freePort(), waitReady: true });
  const bootstrap = first.bootstrap;
  try {
    await createTopic(bootstrap, topic, 1);
  } finally {
    await first.stop();
  }
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const port = Number(bootstrap.split(":")[1]);
    const start = performance.now();
    const broker =
      target === "kafka"
        ? await spawnKafkaOnFormattedDir(dataDir, bootstrap)
        : await startSamsa({ target, dataDir, port, waitReady: false });
    try {
      const deadline = start + 120_000;
      for (;;) {
        if (await produceOnce(bootstrap, topic)) break;
        if (!broker.alive()) throw new Error(`${target} exited during startup:\n${broker.outputTail()}`);
        if (performance.now() > deadline) throw new Error(`${target}: no successful produce within 120 s`);
        await sleep(25);
      }
      times.push(performance.now() - start);
    } finally {
      await broker.stop();
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  return times;
}

// ---------------------------------------------------------------------------------------------- profile

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children: readonly number[];
}

interface Hotspot {
  readonly function: string;
  readonly location: string;
  readonly selfMs: number;
  readonly selfPct: number;
  /** Share of the time the broker was not idle. */
  readonly busyPct: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.map((x) => (typeof x === "number" ? x : 0)) : [];
}

function parseProfileNodes(value: unknown): ProfileNode[] {
  if (!Array.isArray(value)) throw new Error("cpuprofile: no nodes");
  return value.map((node: unknown) => {
    if (!isRecord(node) || typeof node["id"] !== "number" || !isRecord(node["callFrame"])) {
      throw new Error("cpuprofile: malformed node");
    }
    const frame = node["callFrame"];
    return {
      id: node["id"],
      children: numbers(node["children"]),
      callFrame: {
        functionName: typeof frame["functionName"] === "string" ? frame["functionName"] : "",
        url: typeof frame["url"] === "string" ? frame["url"] : "",
        lineNumber: typeof frame["lineNumber"] === "number" ? frame["lineNumber"] : -1,
      },
    };
  });
}

/**
 * Self time per function from a V8 .cpuprofile (samples × time deltas), the top `count`. Only
 * samples inside `windowUs` (CLOCK_MONOTONIC µs, the clock V8 stamps profiles with on Linux) count,
 * so startup does not dilute the load; native functions are told apart by their nearest JS caller.
 */
function topSelfTime(
  profileJson: string,
  count: number,
  windowUs?: { readonly fromUs: number; readonly toUs: number },
): { hotspots: Hotspot[]; totalMs: number; windowed: boolean } {
  const profile: unknown = JSON.parse(profileJson);
  if (!isRecord(profile)) throw new Error("cpuprofile: not an object");
  const nodes = parseProfileNodes(profile["nodes"]);
  const samples = numbers(profile["samples"]);
  const deltas = numbers(profile["timeDeltas"]);
  const startUs = typeof profile["startTime"] === "number" ? profile["startTime"] : 0;
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of nodes) for (const child of n.children) parentOf.set(child, n.id);
  const shortUrl = (url: string): string => url.replace(`file://${root}/`, "").replace(/^file:\/\//, "");
  const describe = (node: ProfileNode): { fn: string; location: string } => {
    const frame = node.callFrame;
    const fn = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    if (frame.url !== "") return { fn, location: `${shortUrl(frame.url)}:${frame.lineNumber + 1}` };
    if (fn.startsWith("(")) return { fn, location: "" };
    // A native function: name the JS function that called it.
    for (let id = parentOf.get(node.id); id !== undefined; id = parentOf.get(id)) {
      const caller = nodeById.get(id)?.callFrame;
      if (caller !== undefined && caller.url !== "") {
        const name = caller.functionName === "" ? "(anonymous)" : caller.functionName;
        return { fn, location: `native, from ${name} ${shortUrl(caller.url)}:${caller.lineNumber + 1}` };
      }
    }
    return { fn, location: "native" };
  };
  const inWindow = (fromUs: number, toUs: number): boolean => {
    let t = startUs;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      if (t >= fromUs && t <= toUs) return true;
    }
    return false;
  };
  const windowed = windowUs !== undefined && inWindow(windowUs.fromUs, windowUs.toUs);
  const selfUs = new Map<string, { fn: string; location: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  let t = startUs;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (windowed && windowUs !== undefined && (t < windowUs.fromUs || t > windowUs.toUs)) continue;
    // The delta before the next sample is the time this sample stands for.
    const us = Math.max(0, deltas[i + 1] ?? 0);
    const node = nodeById.get(samples[i] ?? -1);
    if (node === undefined) continue;
    const { fn, location } = describe(node);
    const key = `${fn}@${location}`;
    const entry = selfUs.get(key) ?? { fn, location, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
    totalUs += us;
    if (fn === "(idle)") idleUs += us;
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const hotspots = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({
      function: e.fn,
      location: e.location,
      selfMs: e.us / 1000,
      selfPct: (e.us / Math.max(1, totalUs)) * 100,
      busyPct: e.fn === "(idle)" ? Number.NaN : (e.us / busyUs) * 100,
    }));
  return { hotspots, totalMs: totalUs / 1000, windowed };
}

/**
 * What the hotspots are and what to do about them, by function name (first match wins). Written
 * from the profile of this case; entries that do not match a hotspot are not printed.
 */
const hotspotNotes: readonly { readonly match: RegExp; readonly note: string }[] = [
  {
    match: /^\(idle\)@/,
    note: "Event loop waiting: in this case the broker is not saturated (one Java producer on 2 shared cores is the limit); busy % is what counts.",
  },
  {
    match: /^writeBuffer@native, from writeGeneric /,
    note: "Socket write of each produce response (on loopback the kernel delivers inline, so each write is costly). Responses are corked per flush, but each acks=1 response is ready when its own write completes, so a flush seldom carries more than one. Plan: flush at the end of the tick (setImmediate) so responses that complete together share one syscall.",
  },
  {
    match: /^fdatasync@/,
    note: "Handing fdatasync to the libuv pool. In fsync mode the high watermark waits for a sync, so even under acks=1 every write group starts a sync (up to 4 in flight per partition). Plan: one sync in flight per partition plus a short group-commit window (~1 ms), so many more appends share a sync.",
  },
  {
    match: /^(writeBuffers@native, from writev |writev@node:internal\/fs)/,
    note: "The vectored file write of each write group (copy into the page cache): inherent; fewer, larger groups (the sync change above) cut the call count.",
  },
  { match: /^\(program\)@/, note: "Native time V8 cannot attribute (libuv, syscall entry/exit): no direct action." },
  {
    match: /^crc32c@/,
    note: "CRC-32C of every produced batch (Kafka does it too, with the CPU's crc32 instruction). Plan: slicing-by-8 tables or a WASM path, when produce becomes CPU-bound.",
  },
  {
    match: /^\(garbage collector\)@/,
    note: "V8 GC: small; keep request data as views over the frame and avoid per-record objects.",
  },
  {
    match: /^(uvarint|varint|readVarlong|readVarint|readRecord)@/,
    note: "validateRecords walks every record (offset deltas, timestamps), decoding all varints into a record object. Plan: a skip-only varint walk that allocates nothing.",
  },
  {
    match: /^log@packages\/broker\/src\/storage\/log-manager/,
    note: "Partition lookup builds a `topic-partition` string key on every call. Plan: a Map per topic holding an array by partition index.",
  },
  {
    match: /^utf8@/,
    note: "String decoding per request (client id, topic names). Plan: cache decoded topic names by their bytes per connection.",
  },
  {
    match: /^(writeGroup|append|handle|run|enqueueWrite|afterWrite)@/,
    note: "The produce path itself (handler, append, write grouping): 1–2 % each, nothing to do yet.",
  },
];

interface ProfileResult {
  readonly when: string;
  readonly commit: string;
  readonly case: string;
  readonly target: TargetName;
  readonly mbPerSec: number;
  readonly recordsPerSec: number;
  readonly totalMs: number;
  /** Whether only the measured run's samples were counted (else the whole process). */
  readonly windowed: boolean;
  readonly hotspots: readonly Hotspot[];
}

async function runProfile(commit: string): Promise<ProfileResult> {
  const c: ProduceCase = { partitions: 1, recordBytes: 1024, acks: "1", compression: "none", producers: 1 };
  const target: TargetName = "samsa-fsync";
  const profileDir = mkdtempSync(join(benchRoot, "cpuprofile-"));
  const dataDir = mkdtempSync(join(benchRoot, "profile-data-"));
  const broker = await startSamsa({
    target,
    dataDir,
    port: await freePort(),
    nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
    waitReady: true,
  });
  let produce: ProduceResult;
  let windowUs: { fromUs: number; toUs: number };
  try {
    const topic = `profile-${caseId(c)}`;
    await createTopic(broker.bootstrap, topic, c.partitions);
    // A warm-up run first (V8 tiers up), then only the measured run's time window is counted.
    await runProduce(broker, topic, c, Math.round(recordsPerProducer(c) / 2));
    await syncDisks();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    produce = await runProduce(broker, topic, c);
    windowUs = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  } finally {
    const clean = await broker.stop(); // the profile is written on a clean exit
    if (!clean) console.error(`profiled samsa did not stop cleanly:\n${broker.outputTail()}`);
  }
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error("no .cpuprofile written");
  const { hotspots, totalMs, windowed } = topSelfTime(readFileSync(join(profileDir, file), "utf8"), 15, windowUs);
  console.log(
    `\nSamsa CPU profile, ${caseLabel(c)} (${produce.mbPerSec.toFixed(1)} MB/s under the profiler), ${windowed ? "the measured run only" : "whole process (clock mismatch: no samples in the run's window)"}:`,
  );
  console.log(`${"self ms".padStart(9)} ${"total%".padStart(7)} ${"busy%".padStart(6)}  function  location`);
  for (const h of hotspots) {
    const busy = Number.isNaN(h.busyPct) ? "" : h.busyPct.toFixed(1);
    console.log(
      `${h.selfMs.toFixed(0).padStart(9)} ${h.selfPct.toFixed(1).padStart(7)} ${busy.padStart(6)}  ${h.function}  ${h.location}`,
    );
  }
  return {
    when: new Date().toISOString(),
    commit,
    case: caseLabel(c),
    target,
    mbPerSec: produce.mbPerSec,
    recordsPerSec: produce.recordsPerSec,
    totalMs,
    windowed,
    hotspots,
  };
}

// ---------------------------------------------------------------------------------------------- run

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly note: string };
type PerTarget<T> = Partial<Record<TargetName, Outcome<T>>>;

interface CaseResult {
  readonly case: ProduceCase;
  readonly label: string;
  readonly recordsPerProducer: number;
  readonly produce: PerTarget<ProduceResult>;
  readonly consume?: PerTarget<ConsumeResult>;
}

interface Results {
  readonly when: string;
  readonly runtimeMs: number;
  readonly mode: string;
  readonly scale: number;
  readonly machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    dataDir: string;
    /** 1-minute load average sampled at each case (includes this benchmark's own processes). */
    load1Min: number;
    load1Max: number;
  };
  readonly versions: { node: string; samsa: string; kafka: string; java: string };
  readonly settings: Record<string, string | number>;
  readonly targets: readonly TargetName[];
  readonly groups: PerTarget<boolean>;
  readonly cases: readonly CaseResult[];
  readonly latencyProbe: PerTarget<LatencyProbeResult>;
  readonly latencyTool: PerTarget<E2eToolResult>;
  readonly memoryIdle: PerTarget<Memory>;
  readonly memoryAfterLoad: PerTarget<Memory>;
  readonly startupMs: PerTarget<{ medianMs: number; runsMs: number[] }>;
  readonly profile?: ProfileResult & { readonly carriedOver?: boolean };
  readonly failures: readonly string[];
}

function median(values: readonly number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  return n === 0 ? [] : items.map((_, i) => items[(i + by) % n] as T);
}

function commandOutput(command: string, args: readonly string[]): string {
  const r = spawnSync(command, args, { cwd: root, encoding: "utf8", timeout: 30_000 });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
}

function samsaVersion(): string {
  const commit = commandOutput("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = commandOutput("git", ["status", "--porcelain", "--untracked-files=no"]) !== "";
  return `${commit}${dirty ? " + uncommitted changes" : ""}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const elapsed = (): string => `t+${((performance.now() - started) / 60_000).toFixed(1)} min`;
  setTimeout(() => {
    console.error(`broker bench: deadline of ${deadlineMs / 60_000} min passed; aborting`);
    process.exit(2);
  }, deadlineMs).unref();
  mkdirSync(benchBase, { recursive: true });
  benchRoot = mkdtempSync(join(benchBase, "samsa-broker-bench-"));
  const targets = selectedTargets();
  const cases = produceCases();
  const failures: string[] = [];
  const fail = (what: string, error: unknown): { ok: false; note: string } => {
    const text = `${what}: ${message(error)}`;
    failures.push(text);
    console.error(`  FAILED ${text}`);
    return { ok: false, note: "failed" };
  };
  const commit = samsaVersion();
  console.log(
    `broker bench: ${quick ? "quick" : "default"} mode, scale ${scale}, ${cases.length} produce cases × ${targets.length} targets; data in ${benchRoot}`,
  );

  if (targets.includes("kafka")) {
    const install = await runProcess("bash", [kafkaScript, "install"], { timeoutMs: 900_000 });
    if (install.code !== 0) throw new Error(`kafka.sh install failed:\n${tail(install.stderr)}`);
  }
  const java = commandOutput("java", ["-version"]).split("\n")[0] ?? "unknown";

  // All targets run for the whole load phase; cases alternate the order so drift hits all.
  const brokers = new Map<TargetName, Broker>();
  const groups: PerTarget<boolean> = {};
  const memoryIdle: PerTarget<Memory> = {};
  const ensureBroker = async (target: TargetName): Promise<Broker> => {
    const current = brokers.get(target);
    if (current?.alive() === true) return current;
    if (current !== undefined) {
      failures.push(`${targetLabels[target]} exited during the run and was restarted:\n${current.outputTail()}`);
    }
    const broker = await startTarget(target);
    brokers.set(target, broker);
    return broker;
  };
  for (const target of targets) {
    try {
      const broker = await ensureBroker(target);
      await sleep(2000); // let the JVM / node settle before reading idle memory
      const idle = memoryOf(broker.pid);
      if (idle !== undefined) memoryIdle[target] = { ok: true, value: idle };
      const support = await groupSupport(broker.bootstrap);
      groups[target] = { ok: true, value: support.supported };
      console.log(
        `${targetLabels[target]}: up at ${broker.bootstrap} (pid ${broker.pid}); consumer groups ${support.supported ? "supported" : `missing ${support.missing.join(", ")}`}`,
      );
    } catch (error) {
      groups[target] = fail(`${targetLabels[target]}: start`, error);
    }
  }
  const supportsGroups = (target: TargetName): boolean => {
    const g = groups[target];
    return g?.ok === true && g.value;
  };
  const groupsPending = { ok: false, note: "n/a (consumer groups pending)" } as const;
  const loadSamples: number[] = [loadavg()[0] ?? NaN];

  // Warm-up, not recorded: the JVM's JIT and V8 tier up before the first measured case.
  const warmCase: ProduceCase = { partitions: 1, recordBytes: 1024, acks: "1", compression: "none", producers: 1 };
  for (const target of targets) {
    try {
      const broker = await ensureBroker(target);
      await createTopic(broker.bootstrap, "warmup", 1);
      const r = await runProduce(broker, "warmup", warmCase);
      if (supportsGroups(target)) await runConsume(broker, "warmup", r.records, warmCase.recordBytes);
      await deleteTopic(broker.bootstrap, "warmup");
      console.log(`  warmed up ${targetLabels[target]} (${r.mbPerSec.toFixed(1)} MB/s)`);
    } catch (error) {
      fail(`${targetLabels[target]}: warm-up`, error);
    }
  }

  const results: CaseResult[] = [];
  for (const [index, c] of cases.entries()) {
    const label = caseLabel(c);
    const produce: PerTarget<ProduceResult> = {};
    const consume: PerTarget<ConsumeResult> = {};
    loadSamples.push(loadavg()[0] ?? NaN);
    console.log(
      `\n[${index + 1}/${cases.length}] ${label}, ${recordsPerProducer(c)} records per producer (load ${loadavg()[0]?.toFixed(1)}, ${elapsed()})`,
    );
    for (const target of rotate(targets, index)) {
      const topic = `bench-${caseId(c)}`;
      let broker: Broker;
      try {
        broker = await ensureBroker(target);
        await createTopic(broker.bootstrap, topic, c.partitions);
      } catch (error) {
        produce[target] = fail(`${targetLabels[target]}: ${label}: setup`, error);
        continue;
      }
      try {
        await syncDisks();
        const r = await runProduce(broker, topic, c);
        produce[target] = { ok: true, value: r };
        console.log(
          `  ${targetLabels[target].padEnd(24)} produce ${r.mbPerSec.toFixed(1).padStart(7)} MB/s ${Math.round(r.recordsPerSec).toString().padStart(8)} rec/s`,
        );
        if (consumed(c)) {
          if (!supportsGroups(target)) {
            consume[target] = groupsPending;
          } else {
            try {
              const cr = await runConsume(broker, topic, r.records, c.recordBytes);
              consume[target] = { ok: true, value: cr };
              console.log(
                `  ${targetLabels[target].padEnd(24)} consume ${cr.fetchMbPerSec.toFixed(1).padStart(7)} MB/s ${Math.round(cr.fetchRecordsPerSec).toString().padStart(8)} rec/s (fetch only; join ${cr.rebalanceMs} ms)`,
              );
            } catch (error) {
              consume[target] = fail(`${targetLabels[target]}: ${label}: consume`, error);
            }
          }
        }
      } catch (error) {
        produce[target] = fail(`${targetLabels[target]}: ${label}: produce`, error);
      }
      await deleteTopic(broker.bootstrap, topic).catch((error: unknown) => {
        failures.push(`${targetLabels[target]}: delete ${topic}: ${message(error)}`);
      });
    }
    results.push({
      case: c,
      label,
      recordsPerProducer: recordsPerProducer(c),
      produce,
      ...(consumed(c) ? { consume } : {}),
    });
  }

  console.log(
    `\nend-to-end latency: ${latencyRatePerSec} records/s of ${latencyRecordBytes} B, acks=all (${elapsed()})`,
  );
  const probeResults: PerTarget<LatencyProbeResult> = {};
  const toolResults: PerTarget<E2eToolResult> = {};
  for (const [index, target] of rotate(targets, cases.length).entries()) {
    try {
      const broker = await ensureBroker(target);
      await syncDisks();
      const r = await withTimeout(latencyProbe(broker, `latency-probe-${index}`), latencyDurationMs + 120_000, "probe");
      probeResults[target] = { ok: true, value: r };
      console.log(
        `  ${targetLabels[target].padEnd(24)} probe p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, p99.9 ${r.p999Ms.toFixed(2)} ms (${r.measured} samples, ${r.received}/${r.sent} received)`,
      );
    } catch (error) {
      probeResults[target] = fail(`${targetLabels[target]}: latency probe`, error);
    }
  }
  for (const [index, target] of rotate(targets, cases.length + 1).entries()) {
    if (!supportsGroups(target)) {
      toolResults[target] = groupsPending;
      continue;
    }
    try {
      const broker = await ensureBroker(target);
      await syncDisks();
      const r = await runEndToEndTool(broker, `latency-tool-${index}`);
      toolResults[target] = { ok: true, value: r };
      console.log(
        `  ${targetLabels[target].padEnd(24)} EndToEndLatency avg ${r.avgMs} ms, p50 ${r.p50Ms}, p99 ${r.p99Ms}, p99.9 ${r.p999Ms} ms`,
      );
    } catch (error) {
      toolResults[target] = fail(`${targetLabels[target]}: EndToEndLatency`, error);
    }
  }

  loadSamples.push(loadavg()[0] ?? NaN);
  const memoryAfterLoad: PerTarget<Memory> = {};
  for (const target of targets) {
    const broker = brokers.get(target);
    const memory = broker?.alive() === true ? memoryOf(broker.pid) : undefined;
    if (memory !== undefined) memoryAfterLoad[target] = { ok: true, value: memory };
    else memoryAfterLoad[target] = fail(`${targetLabels[target]}: memory`, new Error("broker not running"));
  }
  for (const [target, broker] of brokers) {
    const clean = await broker.stop();
    if (!clean) failures.push(`${targetLabels[target]} did not stop cleanly:\n${broker.outputTail()}`);
    rmSync(broker.dataDir, { recursive: true, force: true });
  }
  brokers.clear();

  console.log(`\nstart to first produce (${startupRuns} runs each) (${elapsed()})`);
  const startupMs: PerTarget<{ medianMs: number; runsMs: number[] }> = {};
  for (const target of targets) {
    try {
      const runsMs = await measureStartup(target, startupRuns);
      startupMs[target] = { ok: true, value: { medianMs: median(runsMs), runsMs } };
      console.log(`  ${targetLabels[target].padEnd(24)} ${runsMs.map((ms) => ms.toFixed(0)).join(", ")} ms`);
    } catch (error) {
      startupMs[target] = fail(`${targetLabels[target]}: startup`, error);
    }
  }

  let profile: Results["profile"];
  if (profileEnabled) {
    console.log(`\nprofile (${elapsed()})`);
    try {
      profile = await runProfile(commit);
    } catch (error) {
      fail("profile", error);
    }
  }
  profile ??= previousProfile();

  const result: Results = {
    when: new Date().toISOString(),
    runtimeMs: performance.now() - started,
    mode: quick ? "quick" : "default",
    scale,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown CPU",
      cores: cpus().length,
      memoryGiB: totalmem() / 1024 ** 3,
      kernel: `Linux ${release()}`,
      dataDir: benchBase,
      load1Min: Math.min(...loadSamples),
      load1Max: Math.max(...loadSamples),
    },
    versions: { node: process.version, samsa: commit, kafka: kafkaVersion(), java },
    settings: {
      batchSize: batchBytes,
      lingerMs,
      throughput: -1,
      latencyRatePerSec,
      latencyRecordBytes,
      latencyDurationMs,
      latencyWarmupMs,
      e2eToolRecords,
      startupRuns,
    },
    targets,
    groups,
    cases: results,
    latencyProbe: probeResults,
    latencyTool: toolResults,
    memoryIdle,
    memoryAfterLoad,
    startupMs,
    ...(profile === undefined ? {} : { profile }),
    failures,
  };
  await writeReport(result);
  console.log(`\nbroker bench: done in ${(result.runtimeMs / 60_000).toFixed(1)} min, ${failures.length} failures`);
  rmSync(benchRoot, { recursive: true, force: true });
}

function kafkaVersion(): string {
  return env["SAMSA_KAFKA_VERSION"] ?? "4.4.0";
}

function previousProfile(): (ProfileResult & { carriedOver: boolean }) | undefined {
  try {
    const old: unknown = JSON.parse(readFileSync(join(root, "docs/bench/broker.json"), "utf8"));
    if (!isRecord(old) || !isRecord(old["profile"])) return undefined;
    // Written by this script; trusted to have the shape it wrote.
    return { ...(old["profile"] as unknown as ProfileResult), carriedOver: true };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- report

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

type Better = "higher" | "lower";

interface Row {
  readonly figure: string;
  readonly better: Better;
  readonly cells: Partial<Record<TargetName, number | string>>;
}

function cellText(cell: number | string | undefined): string {
  if (cell === undefined) return "–";
  return typeof cell === "number" ? fmt(cell) : cell;
}

function ratioText(samsa: number | string | undefined, kafka: number | string | undefined): string {
  if (typeof samsa !== "number" || typeof kafka !== "number" || kafka === 0) return "–";
  return `${(samsa / kafka).toFixed(2)}×`;
}

function table(rows: readonly Row[], unit: string): string {
  const head = `| ${unit} | better | ${targetLabels["samsa-fsync"]} | ${targetLabels["samsa-os"]} | ${targetLabels.kafka} | durable ÷ Kafka | relaxed ÷ Kafka |`;
  const lines = rows.map((r) => {
    const d = r.cells["samsa-fsync"];
    const o = r.cells["samsa-os"];
    const k = r.cells.kafka;
    const better = r.better === "higher" ? "higher ↑" : "lower ↓";
    return `| ${r.figure} | ${better} | ${cellText(d)} | ${cellText(o)} | ${cellText(k)} | ${ratioText(d, k)} | ${ratioText(o, k)} |`;
  });
  return [head, "| :-- | :-- | --: | --: | --: | --: | --: |", ...lines].join("\n");
}

function cellsOf<T>(per: PerTarget<T> | undefined, pick: (value: T) => number): Row["cells"] {
  const cells: Partial<Record<TargetName, number | string>> = {};
  for (const target of targetNames) {
    const outcome = per?.[target];
    if (outcome === undefined) continue;
    cells[target] = outcome.ok ? pick(outcome.value) : outcome.note;
  }
  return cells;
}

function wholeMs(cells: Row["cells"]): Row["cells"] {
  const out: Partial<Record<TargetName, number | string>> = {};
  for (const target of targetNames) {
    const cell = cells[target];
    if (cell !== undefined) out[target] = cell === 0 ? "< 1" : cell;
  }
  return out;
}

function geometricMeanRatio(cases: readonly CaseResult[], target: TargetName): number {
  const logs: number[] = [];
  for (const c of cases) {
    const s = c.produce[target];
    const k = c.produce.kafka;
    if (s?.ok === true && k?.ok === true && k.value.mbPerSec > 0)
      logs.push(Math.log(s.value.mbPerSec / k.value.mbPerSec));
  }
  return logs.length === 0 ? NaN : Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

interface ChartGroup {
  readonly label: string;
  readonly values: Partial<Record<TargetName, number>>;
}

/** A horizontal grouped bar chart (one group per row, one bar per target), plain SVG. */
function barChartSvg(options: {
  readonly title: string;
  readonly unit: string;
  readonly groups: readonly ChartGroup[];
  readonly targets: readonly TargetName[];
  readonly log: boolean;
}): string {
  const width = 960;
  const labelWidth = 280;
  const valueWidth = 80;
  const plotWidth = width - labelWidth - valueWidth - 20;
  const barHeight = 10;
  const groupGap = 10;
  const top = 64;
  const groupHeight = options.targets.length * (barHeight + 2) + groupGap;
  const plotHeight = options.groups.length * groupHeight;
  const height = top + plotHeight + 40;
  const all = options.groups.flatMap((g) => Object.values(g.values)).filter((v) => Number.isFinite(v) && v > 0);
  const maxValue = Math.max(1e-9, ...all);
  let scaleX: (v: number) => number;
  let ticks: number[];
  if (options.log) {
    const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...all, maxValue))));
    const hi = 10 ** Math.ceil(Math.log10(maxValue));
    const span = Math.max(1e-9, Math.log10(hi) - Math.log10(lo));
    scaleX = (v) => (Math.max(0, Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotWidth;
    ticks = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  } else {
    // A 1-2-2.5-5 step giving at most six ticks.
    const magnitude = 10 ** Math.floor(Math.log10(maxValue / 5));
    const tickStep = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude * 5 >= maxValue) ?? 10) * magnitude;
    const hi = Math.ceil(maxValue / tickStep) * tickStep;
    scaleX = (v) => (Math.max(0, v) / hi) * plotWidth;
    ticks = [];
    for (let t = 0; t <= hi * 1.0001; t += tickStep) ticks.push(t);
  }
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  let legendX = 10;
  for (const target of options.targets) {
    parts.push(
      `<rect x="${legendX}" y="32" width="12" height="12" fill="${targetColors[target]}"/>`,
      `<text x="${legendX + 16}" y="42">${escapeXml(targetLabels[target])}</text>`,
    );
    legendX += 16 + targetLabels[target].length * 6.5 + 20;
  }
  for (const t of ticks) {
    const x = labelWidth + scaleX(t);
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${top + plotHeight}" stroke="#dddddd"/>`,
      `<text x="${x.toFixed(1)}" y="${top + plotHeight + 14}" text-anchor="middle" fill="#555555">${escapeXml(String(Number(t.toPrecision(3))))}</text>`,
    );
  }
  parts.push(
    `<text x="${labelWidth + plotWidth / 2}" y="${top + plotHeight + 32}" text-anchor="middle" fill="#333333">${escapeXml(options.unit)}${options.log ? " (log scale)" : ""}</text>`,
  );
  options.groups.forEach((group, gi) => {
    const y0 = top + gi * groupHeight;
    const mid = y0 + (options.targets.length * (barHeight + 2)) / 2 + 4;
    parts.push(`<text x="${labelWidth - 8}" y="${mid}" text-anchor="end">${escapeXml(group.label)}</text>`);
    options.targets.forEach((target, ti) => {
      const value = group.values[target];
      const y = y0 + ti * (barHeight + 2);
      if (value === undefined || !Number.isFinite(value)) {
        parts.push(`<text x="${labelWidth + 4}" y="${y + barHeight - 1}" fill="#999999">n/a</text>`);
        return;
      }
      const w = Math.max(1, scaleX(value));
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${targetColors[target]}"/>`,
        `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + barHeight - 1}" fill="#333333">${escapeXml(fmt(value))}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function valueOf<T>(outcome: Outcome<T> | undefined, pick: (v: T) => number): number | undefined {
  return outcome?.ok === true ? pick(outcome.value) : undefined;
}

async function writeReport(r: Results): Promise<void> {
  const produceRows: Row[] = r.cases.map((c) => ({
    figure: c.label,
    better: "higher",
    cells: cellsOf(c.produce, (v) => v.mbPerSec),
  }));
  const produceRecordRows: Row[] = r.cases.map((c) => ({
    figure: c.label,
    better: "higher",
    cells: cellsOf(c.produce, (v) => v.recordsPerSec),
  }));
  const consumeRows: Row[] = r.cases
    .filter((c) => c.consume !== undefined)
    .flatMap((c) => [
      { figure: `${c.label}: MB/s`, better: "higher", cells: cellsOf(c.consume, (v) => v.fetchMbPerSec) },
      { figure: `${c.label}: group join ms`, better: "lower", cells: cellsOf(c.consume, (v) => v.rebalanceMs) },
    ]);
  const probe = r.latencyProbe;
  const tool = r.latencyTool;
  const latencyRows: Row[] = [
    { figure: "probe p50", better: "lower", cells: cellsOf(probe, (v) => v.p50Ms) },
    { figure: "probe p99", better: "lower", cells: cellsOf(probe, (v) => v.p99Ms) },
    { figure: "probe p99.9", better: "lower", cells: cellsOf(probe, (v) => v.p999Ms) },
    { figure: "probe max", better: "lower", cells: cellsOf(probe, (v) => v.maxMs) },
    { figure: "EndToEndLatency avg", better: "lower", cells: cellsOf(tool, (v) => v.avgMs) },
    // The tool truncates to whole milliseconds: 0 means under 1 ms.
    { figure: "EndToEndLatency p50", better: "lower", cells: wholeMs(cellsOf(tool, (v) => v.p50Ms)) },
    { figure: "EndToEndLatency p99", better: "lower", cells: wholeMs(cellsOf(tool, (v) => v.p99Ms)) },
    { figure: "EndToEndLatency p99.9", better: "lower", cells: wholeMs(cellsOf(tool, (v) => v.p999Ms)) },
  ];
  const resourceRows: Row[] = [
    { figure: "broker RSS after start, idle (MiB)", better: "lower", cells: cellsOf(r.memoryIdle, (v) => v.rssMb) },
    { figure: "broker RSS after the load (MiB)", better: "lower", cells: cellsOf(r.memoryAfterLoad, (v) => v.rssMb) },
    { figure: "broker peak RSS, VmHWM (MiB)", better: "lower", cells: cellsOf(r.memoryAfterLoad, (v) => v.peakRssMb) },
    {
      figure: `start to first produce, median of ${r.settings["startupRuns"]} (ms)`,
      better: "lower",
      cells: cellsOf(r.startupMs, (v) => v.medianMs),
    },
  ];
  const m = r.machine;
  const v = r.versions;
  const minutes = (r.runtimeMs / 60_000).toFixed(1);
  const gmD = geometricMeanRatio(r.cases, "samsa-fsync");
  const gmO = geometricMeanRatio(r.cases, "samsa-os");
  const lines: string[] = [
    "<!-- bench:broker:start -->",
    "",
    "## Broker: Samsa next to Apache Kafka (`packages/broker/bench/broker.bench.ts`)",
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB memory, ${m.kernel}; data directories on ${m.dataDir} (one disk for all); 1-minute load average during the run ${m.load1Min.toFixed(1)}–${m.load1Max.toFixed(1)} (this benchmark's own processes included; other work on the machine adds noise). Versions: Node ${v.node}, Samsa ${v.samsa}, Apache Kafka ${v.kafka} (KRaft, one combined broker+controller from \`scripts/kafka.sh\`, JVM \`-Xms256m -Xmx1g -XX:+UseG1GC\`), ${v.java}. Run ${r.when}, ${r.mode} mode (scale ${r.scale}), ${minutes} min; regenerate with \`npm run bench:broker\` (\`SAMSA_BENCH_QUICK=1\` for a smoke run, \`SAMSA_BENCH_PROFILE=1\` to profile).`,
    "",
    "Targets: _Samsa durable_ = `samsa start` with `samsa.log.durability=fsync` (the default: acks=all is answered after fdatasync, group commit); _Samsa relaxed_ = `os` (the OS writes back); _Kafka_ = Apache Kafka with its defaults, which never fsync on produce (flush.messages/flush.ms unset: durability comes from replication, and here there is one replica) — so Kafka is comparable to Samsa relaxed, and Samsa durable does strictly more work. All three run at once on loopback and are warmed up first (one unrecorded 1 KB produce and consume each); each case runs on every target before the next case, the order rotating case by case so drift hits all alike; `sync` runs before every measurement so one run's writeback does not land in the next.",
    "",
    `Produce: Kafka's \`kafka-producer-perf-test\` (through \`scripts/kafka.sh tool\`), \`--throughput -1\`, producer properties \`acks\`, \`compression.type\`, \`batch.size=${batchBytes}\`, \`linger.ms=${lingerMs}\`; a fresh topic per case and target (deleted after). One producer sends ${r.cases.length > 0 ? "a fixed count per record size" : "–"} (${Object.entries(
      baseRecords,
    )
      .map(([size, n]) => `${Math.round(n * r.scale).toLocaleString("en-US")} × ${size} B`)
      .join(
        ", ",
      )}); with four producers, four processes start together and each sends half that count, and the table shows their summed throughput (MB = 2^20 bytes, as the tool reports). Consume: \`kafka-consumer-perf-test\` with a new group reads back what was produced (the cases with one producer and acks=1); the figure is the tool's fetch.MB.sec (after the group join, which is shown separately). Geometric mean of produce MB/s over all cases: Samsa durable ${Number.isFinite(gmD) ? `${gmD.toFixed(2)}×` : "–"} Kafka, Samsa relaxed ${Number.isFinite(gmO) ? `${gmO.toFixed(2)}×` : "–"} Kafka. Each figure is one run: on a shared 2-core machine single cases move by up to ±50 % from run to run (the geometric means much less), so read directions and means rather than single rows.`,
    "",
    `![Produce throughput per case](bench/broker-throughput.svg)`,
    "",
    "### Produce throughput (MB/s)",
    "",
    table(produceRows, "case"),
    "",
    "### Produce throughput (records/s)",
    "",
    table(produceRecordRows, "case"),
    "",
    "### Consume (fetch MB/s, group join ms)",
    "",
    consumeRows.length === 0 ? "No consume cases in this run." : table(consumeRows, "case"),
    "",
    "### End-to-end latency (ms)",
    "",
    `Probe: a small in-process client (@platformatic/kafka) produces ${r.settings["latencyRatePerSec"]} records/s of ${r.settings["latencyRecordBytes"]} B for ${(Number(r.settings["latencyDurationMs"]) / 1000).toFixed(0)} s on an absolute schedule, one record per request with acks=all, to a 1-partition topic, and fetches that partition directly (no group, long poll 100 ms); latency = receive − send per record, the first ${(Number(r.settings["latencyWarmupMs"]) / 1000).toFixed(1)} s not counted. EndToEndLatency: Kafka's own tool, ${r.settings["e2eToolRecords"]} records of 1 KB one at a time (send with acks=all, wait for the ack, poll until it arrives); it reports whole milliseconds.`,
    "",
    `![End-to-end latency](bench/broker-latency.svg)`,
    "",
    table(latencyRows, "figure"),
    "",
    "### Resources",
    "",
    "RSS from /proc/PID/status (VmRSS, VmHWM) of the broker process (node for Samsa, java for Kafka) right after it started and after the whole load above. Start to first produce: the broker is spawned on a data directory holding one empty topic (for Kafka, already formatted: what a restart is; same JVM flags as above) and a fresh client tries one produce (acks=1, 1 s timeout) every 25 ms until one succeeds.",
    "",
    table(resourceRows, "figure"),
    "",
  ];
  lines.push(...profileSection(r.profile), "");
  if (r.failures.length > 0) {
    lines.push("### Failures in this run", "");
    for (const f of r.failures) lines.push(`- ${f.split("\n")[0] ?? ""}`);
    lines.push("");
  }
  lines.push("<!-- bench:broker:end -->");
  const section = lines.join("\n");

  const docPath = join(root, "docs/benchmarks.md");
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
  const marker = /<!-- bench:broker:start -->[\s\S]*<!-- bench:broker:end -->/;
  const options = (await prettier.resolveConfig(docPath)) ?? {};
  // A function replacement: the section's text must not be read as `$` patterns.
  const markdown = marker.test(doc) ? doc.replace(marker, () => section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, await prettier.format(markdown, { ...options, parser: "markdown" }));

  const benchDir = join(root, "docs/bench");
  mkdirSync(benchDir, { recursive: true });
  const jsonPath = join(benchDir, "broker.json");
  writeFileSync(jsonPath, await prettier.format(JSON.stringify(r), { ...options, parser: "json" }));

  const throughputGroups: ChartGroup[] = r.cases.map((c) => ({
    label: c.label,
    values: Object.fromEntries(
      targetNames.flatMap((t) => {
        const value = valueOf(c.produce[t], (p) => p.mbPerSec);
        return value === undefined ? [] : [[t, value]];
      }),
    ),
  }));
  writeFileSync(
    join(benchDir, "broker-throughput.svg"),
    barChartSvg({
      title: "Produce throughput per case (kafka-producer-perf-test, summed over producers)",
      unit: "MB/s (higher is better)",
      groups: throughputGroups,
      targets: r.targets,
      log: false,
    }),
  );
  const latencySeries: readonly { label: string; per: PerTarget<Percentiles3>; pick: (x: Percentiles3) => number }[] = [
    { label: "probe p50", per: probe, pick: (x) => x.p50Ms },
    { label: "probe p99", per: probe, pick: (x) => x.p99Ms },
    { label: "probe p99.9", per: probe, pick: (x) => x.p999Ms },
    { label: "EndToEndLatency avg", per: tool, pick: (x) => x.avgMs },
    { label: "EndToEndLatency p99", per: tool, pick: (x) => x.p99Ms },
    { label: "EndToEndLatency p99.9", per: tool, pick: (x) => x.p999Ms },
  ];
  const latencyGroups: ChartGroup[] = latencySeries.map(({ label, per, pick }) => ({
    label,
    values: Object.fromEntries(
      targetNames.flatMap((t) => {
        const value = valueOf(per[t], pick);
        return value === undefined ? [] : [[t, value]];
      }),
    ),
  }));
  writeFileSync(
    join(benchDir, "broker-latency.svg"),
    barChartSvg({
      title: `End-to-end latency, ${r.settings["latencyRatePerSec"]} records/s of 1 KB, acks=all`,
      unit: "ms (lower is better)",
      groups: latencyGroups,
      targets: r.targets,
      log: true,
    }),
  );
  console.log(`wrote docs/benchmarks.md (broker section), ${jsonPath}, broker-throughput.svg, broker-latency.svg`);
}

function profileSection(profile: Results["profile"]): string[] {
  if (profile === undefined) {
    return ["### Hotspots", "", "No CPU profile yet: run with `SAMSA_BENCH_PROFILE=1`."];
  }
  const lines = [
    "### Hotspots",
    "",
    `CPU profile of Samsa durable (\`node --cpu-prof\`), ${profile.case}: ${fmt(profile.mbPerSec)} MB/s under the profiler; ${fmt(profile.totalMs)} ms sampled${profile.windowed ? " during the measured run (after an unrecorded warm-up run)" : " over the whole process"}. Self time of the top 15 functions (busy = share of the time the broker was not idle)${profile.carriedOver === true ? `; carried over from the profiled run of ${profile.when} (Samsa ${profile.commit})` : ""}.`,
    "",
    "| function | location | self ms | % of total | % of busy | what it is, and the plan |",
    "| :-- | :-- | --: | --: | --: | :-- |",
  ];
  const noted = new Set<string>();
  for (const h of profile.hotspots) {
    const found = hotspotNotes.find((n) => n.match.test(`${h.function}@${h.location}`))?.note ?? "";
    const note = noted.has(found) ? "(see above)" : found;
    noted.add(found);
    const busy = Number.isFinite(h.busyPct) ? h.busyPct.toFixed(1) : "–";
    lines.push(
      `| \`${h.function}\` | ${h.location === "" ? "–" : `\`${h.location}\``} | ${fmt(h.selfMs)} | ${h.selfPct.toFixed(1)} | ${busy} | ${note} |`,
    );
  }
  return lines;
}

if (env["SAMSA_BENCH_RENDER"] === "1") {
  // Re-renders the section, charts and JSON from the last recorded results (after editing notes).
  const recorded: unknown = JSON.parse(readFileSync(join(root, "docs/bench/broker.json"), "utf8"));
  await writeReport(recorded as Results); // written by this script: trusted to have its shape
} else {
  await main();
}
