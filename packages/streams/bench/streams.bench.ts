// Streams benchmark: Samsa Streams next to Kafka Streams (Java, 4.4.0 from Maven Central), the same
// topologies (topologies.ts and java/StreamsBench.java) on the same input in the same broker, each
// app its own process, one at a time. Writes the streams section of docs/benchmarks.md.
// Run: npm run bench:streams. Knobs (environment):
//   SAMSA_BENCH_STREAMS_RECORDS=200000   input records (1000000 for a longer, steadier run)
//   SAMSA_BENCH_STREAMS_CASES=map-filter,windowed-count,windowed-count:persistent,stream-table-join   (`:persistent`:
//                                        persistent stores, SQLite vs RocksDB; in memory otherwise)
//   SAMSA_BENCH_STREAMS_REPEATS=3        runs per framework and case; the report shows medians
//   SAMSA_BENCH_STREAMS_FRAMEWORKS=samsa,kafka-streams
//   SAMSA_BENCH_STREAMS_BROKER=samsa     or `kafka` (Apache Kafka 4.4 from scripts/kafka.sh)
//   SAMSA_BENCH_STREAMS_PARTITIONS=4  SAMSA_BENCH_STREAMS_KEYS=10000  SAMSA_BENCH_STREAMS_COMMIT_MS=1000
//   SAMSA_BENCH_STREAMS_PROFILE=1        then one more Samsa run per case under --cpu-prof: hotspots
//   SAMSA_BENCH_STREAMS_WRITE=0          print only; leave docs/benchmarks.md alone
//   SAMSA_BENCH_STREAMS_TIMEOUT_S=600    per run;  SAMSA_BENCH_STREAMS_DEADLINE_MIN=60 for everything
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { cpus, homedir, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { Admin } from "@platformatic/kafka";
import * as prettier from "prettier";
import { startTarget } from "@samsa/testkit";
import type { Target, TargetKind } from "@samsa/testkit";
import type { StoreType } from "../src/index.ts";
import { summarizeProfile } from "./cpu-profile.ts";
import type { ProfileSummary } from "./cpu-profile.ts";
import { events, loadEvents, profiles as profileEvents } from "./events.ts";
import type { EventsOptions } from "./events.ts";
import { isTopologyName, topologies } from "./topologies.ts";
import type { TopologyName } from "./topologies.ts";

// ---------------------------------------------------------------------------------------------- settings

const root = resolve(import.meta.dirname, "../../..");
const benchDir = import.meta.dirname;
const env = process.env;
const kafkaScript = join(root, "scripts/kafka.sh");
const kafkaVersion = env["SAMSA_KAFKA_VERSION"] ?? "4.4.0";
const cacheRoot = env["SAMSA_CACHE_DIR"] ?? join(homedir(), ".cache/samsa");

function positive(name: string, fallback: number): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function list(name: string, fallback: string): string[] {
  return (env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const records = positive("SAMSA_BENCH_STREAMS_RECORDS", 200_000);
const repeats = positive("SAMSA_BENCH_STREAMS_REPEATS", 3);
const partitions = positive("SAMSA_BENCH_STREAMS_PARTITIONS", 4);
const keys = positive("SAMSA_BENCH_STREAMS_KEYS", 10_000);
const commitIntervalMs = positive("SAMSA_BENCH_STREAMS_COMMIT_MS", 1000);
const runTimeoutMs = positive("SAMSA_BENCH_STREAMS_TIMEOUT_S", 600) * 1000;
const deadlineMs = positive("SAMSA_BENCH_STREAMS_DEADLINE_MIN", 60) * 60_000;
const profileEnabled = env["SAMSA_BENCH_STREAMS_PROFILE"] === "1";
const writeDocs = env["SAMSA_BENCH_STREAMS_WRITE"] !== "0";
const windowMs = 60_000;
/** Event time spans this much (ten 1-minute windows), ending a few minutes before the run. */
const eventSpanMs = 10 * 60_000;
const seed = 20261125;

const frameworkNames = ["samsa", "kafka-streams"] as const;
type Framework = (typeof frameworkNames)[number];
const frameworkLabels: Readonly<Record<Framework, string>> = {
  samsa: "Samsa Streams",
  "kafka-streams": `Kafka Streams ${kafkaVersion}`,
};

interface BenchCase {
  readonly id: string;
  readonly topology: TopologyName;
  readonly store: StoreType;
}

function selectedCases(): BenchCase[] {
  return list("SAMSA_BENCH_STREAMS_CASES", "map-filter,windowed-count,windowed-count:persistent,stream-table-join").map(
    (id) => {
      const [name = "", store = "in-memory"] = id.split(":");
      if (!isTopologyName(name)) throw new Error(`SAMSA_BENCH_STREAMS_CASES: unknown topology ${name}`);
      if (store !== "in-memory" && store !== "persistent") {
        throw new Error(`SAMSA_BENCH_STREAMS_CASES: store of ${name} is in-memory or persistent, got ${store}`);
      }
      return { id: store === "in-memory" ? name : `${name}:${store}`, topology: name, store };
    },
  );
}

function selectedFrameworks(): Framework[] {
  const wanted = list("SAMSA_BENCH_STREAMS_FRAMEWORKS", frameworkNames.join(","));
  for (const name of wanted) {
    if (!frameworkNames.some((f) => f === name)) throw new Error(`SAMSA_BENCH_STREAMS_FRAMEWORKS: unknown ${name}`);
  }
  return frameworkNames.filter((f) => wanted.includes(f));
}

function brokerKind(): TargetKind {
  const value = env["SAMSA_BENCH_STREAMS_BROKER"] ?? "samsa";
  if (value !== "samsa" && value !== "kafka")
    throw new Error(`SAMSA_BENCH_STREAMS_BROKER: samsa or kafka, got ${value}`);
  return value;
}

// ---------------------------------------------------------------------------------------------- processes

/** Child process groups still running: killed when the benchmark exits, however it exits. */
const liveGroups = new Set<number>();
const scratch = mkdtempSync(join(tmpdir(), "samsa-streams-bench-"));

process.on("exit", () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\nstreams bench: ${signal}, stopping what it started`);
    process.exit(130);
  });
}

interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

const outputCharsMax = 256 * 1024;

/** Runs a command in its own process group, output kept (bounded); the group is killed after `timeoutMs`. */
function runProcess(command: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    let stdout = "";
    let stderr = "";
    const child = spawn(command, args, { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout = (stdout + chunk).slice(-outputCharsMax);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-outputCharsMax);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) process.kill(-pid, "SIGKILL");
    }, timeoutMs);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      if (pid !== undefined) liveGroups.delete(pid);
      resolvePromise({ code, stdout, stderr, timedOut, ms: performance.now() - started });
    };
    child.once("error", (error) => {
      stderr += String(error);
      finish(null);
    });
    child.once("close", (code) => finish(code));
  });
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function commandOutput(command: string, args: readonly string[]): string {
  const r = spawnSync(command, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------- the Java side

interface JavaApp {
  readonly java: string;
  readonly classpath: string;
  readonly log4jConfig: string;
}

/**
 * Installs Kafka Streams (scripts/kafka.sh install-streams) and compiles java/*.java once per
 * content: classes are cached under the cache root, keyed by a hash of the sources and versions.
 */
async function prepareJava(): Promise<JavaApp> {
  const install = await runProcess("bash", [kafkaScript, "install-streams"], 600_000);
  if (install.code !== 0) throw new Error(`kafka.sh install-streams failed:\n${tail(install.stderr)}`);
  const streamsHome = (await runProcess("bash", [kafkaScript, "streams-home"], 10_000)).stdout.trim();
  const libs = join(streamsHome, "libs/*");
  const javaHome = env["JAVA_HOME"];
  const java = javaHome === undefined ? "java" : join(javaHome, "bin/java");
  const javac = javaHome === undefined ? "javac" : join(javaHome, "bin/javac");
  const sourceDir = join(benchDir, "java");
  const sources = readdirSync(sourceDir)
    .filter((f) => f.endsWith(".java"))
    .sort()
    .map((f) => join(sourceDir, f));
  const hash = createHash("sha256");
  hash.update(`kafka ${kafkaVersion}\n${commandOutput(javac, ["-version"])}\n`);
  for (const file of sources) hash.update(`${file.slice(sourceDir.length)}\n`).update(readFileSync(file));
  const classesDir = join(cacheRoot, "streams-bench-classes", hash.digest("hex").slice(0, 16));
  if (!existsSync(classesDir)) {
    mkdirSync(join(cacheRoot, "streams-bench-classes"), { recursive: true });
    const work = mkdtempSync(`${classesDir}.tmp-`);
    const compiled = await runProcess(javac, ["-d", work, "-cp", libs, ...sources], 300_000);
    if (compiled.code !== 0) {
      rmSync(work, { recursive: true, force: true });
      throw new Error(`javac failed:\n${tail(compiled.stdout + compiled.stderr, 40)}`);
    }
    renameSync(work, classesDir);
    console.log(`streams bench: compiled ${sources.length} Java file(s) into ${classesDir}`);
  }
  return { java, classpath: `${classesDir}:${libs}`, log4jConfig: join(streamsHome, "log4j2.xml") };
}

// ---------------------------------------------------------------------------------------------- topics

function newAdmin(bootstrap: string): Admin {
  return new Admin({
    clientId: "samsa-streams-bench",
    bootstrapBrokers: [bootstrap],
    timeout: 10_000,
    retries: 5,
    retryDelay: 300,
    connectTimeout: 5_000,
    requestTimeout: 30_000,
  });
}

async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = newAdmin(bootstrap);
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Creates a topic and waits (bounded) until every partition has a leader. */
async function createTopic(
  bootstrap: string,
  topic: string,
  count: number,
  configs: Readonly<Record<string, string>> = {},
): Promise<void> {
  await withAdmin(bootstrap, async (admin) => {
    await admin.createTopics({
      topics: [topic],
      partitions: count,
      replicas: 1,
      configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
    });
    const deadline = performance.now() + 30_000;
    for (;;) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const t = metadata?.topics.get(topic);
      if (t?.partitions.length === count && t.partitions.every((p) => p.leader >= 0)) return;
      if (performance.now() > deadline) throw new Error(`topic ${topic} has no leaders after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** Records in a topic: the sum of its partitions' high watermarks (nothing is deleted meanwhile). */
async function recordsIn(bootstrap: string, topic: string, count: number): Promise<number> {
  return withAdmin(bootstrap, async (admin) => {
    const listed = await admin.listOffsets({
      topics: [
        { name: topic, partitions: Array.from({ length: count }, (_, p) => ({ partitionIndex: p, timestamp: -1n })) },
      ],
    });
    let sum = 0n;
    for (const t of listed) for (const p of t.partitions) sum += p.offset;
    return Number(sum);
  });
}

/** Deletes the output topic and the application's internal topics (`<applicationId>-…`). */
async function deleteRunTopics(bootstrap: string, applicationId: string): Promise<void> {
  await withAdmin(bootstrap, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${applicationId}-`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  });
}

// ---------------------------------------------------------------------------------------------- runs

interface AppReport {
  readonly records: number;
  readonly elapsedMs: number;
  readonly cpuMs: number;
  readonly startToFirstMs: number;
  readonly processStartToFirstMs: number;
  readonly closeMs: number;
  readonly throughCloseMs: number;
  readonly throughCloseCpuMs: number;
  readonly firstMonoUs?: number;
  readonly lastMonoUs?: number;
}

interface RunResult {
  readonly framework: Framework;
  readonly caseId: string;
  readonly repeat: number;
  readonly recordsPerSec: number;
  /** Records per second of process CPU time (user + system, all threads): throughput per core. */
  readonly recordsPerCpuSec: number;
  /** CPU time ÷ elapsed time: how many cores the app kept busy. */
  readonly cores: number;
  /** The same from the first record to the end of close() (output flushed, offsets committed). */
  readonly throughClose: { readonly recordsPerSec: number; readonly recordsPerCpuSec: number };
  readonly report: AppReport;
  readonly outputRecords: number;
  readonly expectedOutput: number;
  readonly wallMs: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseReport(stdout: string): AppReport | undefined {
  const line = stdout
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (line === undefined) return undefined;
  const parsed: unknown = JSON.parse(line);
  if (!isRecord(parsed)) return undefined;
  const num = (name: string): number => {
    const value = parsed[name];
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`app report: ${name} is not a number`);
    return value;
  };
  const optional = (name: string): number | undefined => (typeof parsed[name] === "number" ? parsed[name] : undefined);
  const firstMonoUs = optional("firstMonoUs");
  const lastMonoUs = optional("lastMonoUs");
  return {
    records: num("records"),
    elapsedMs: num("elapsedMs"),
    cpuMs: num("cpuMs"),
    startToFirstMs: num("startToFirstMs"),
    processStartToFirstMs: num("processStartToFirstMs"),
    closeMs: num("closeMs"),
    throughCloseMs: num("throughCloseMs"),
    throughCloseCpuMs: num("throughCloseCpuMs"),
    ...(firstMonoUs === undefined ? {} : { firstMonoUs }),
    ...(lastMonoUs === undefined ? {} : { lastMonoUs }),
  };
}

interface RunContext {
  readonly bootstrap: string;
  readonly input: string;
  /** The table topic of stream-table-join. */
  readonly table: string;
  readonly java: JavaApp | undefined;
  readonly expected: ReadonlyMap<TopologyName, number>;
}

async function runOnce(options: {
  readonly context: RunContext;
  readonly framework: Framework;
  readonly benchCase: BenchCase;
  readonly repeat: number;
  readonly profileDir?: string;
}): Promise<RunResult> {
  const { context, framework, benchCase } = options;
  const tag = options.profileDir === undefined ? `r${options.repeat}` : "prof";
  const suffix = Math.random().toString(36).slice(2, 6);
  const applicationId = `sb-${framework}-${benchCase.id.replace(":", "-")}-${tag}-${suffix}`;
  const output = `${applicationId}-out`;
  const stateDir = mkdtempSync(join(scratch, "state-"));
  await createTopic(context.bootstrap, output, partitions);
  const appArgs = [
    "--topology",
    benchCase.topology,
    "--bootstrap",
    context.bootstrap,
    "--input",
    context.input,
    "--output",
    output,
    "--records",
    String(records),
    "--application-id",
    applicationId,
    "--state-dir",
    stateDir,
    "--commit-interval-ms",
    String(commitIntervalMs),
    "--store",
    benchCase.store,
    "--window-ms",
    String(windowMs),
    "--table",
    context.table,
    "--timeout-ms",
    String(runTimeoutMs),
  ];
  let command: string;
  let args: string[];
  if (framework === "samsa") {
    const profile = options.profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", options.profileDir];
    command = process.execPath;
    args = [...profile, join(benchDir, "streams-app.ts"), ...appArgs];
  } else {
    const java = context.java;
    if (java === undefined) throw new Error("the Java app is not prepared");
    command = java.java;
    args = [
      "-Djava.awt.headless=true",
      `-Dsamsa.log.level=${env["SAMSA_KAFKA_LOG_LEVEL"] ?? "WARN"}`,
      `-Dlog4j2.configurationFile=${java.log4jConfig}`,
      "-cp",
      java.classpath,
      "StreamsBench",
      ...appArgs,
    ];
  }
  try {
    const result = await runProcess(command, args, runTimeoutMs + 120_000);
    const report = result.code === 0 ? parseReport(result.stdout) : undefined;
    if (report === undefined) {
      throw new Error(
        `${framework} ${benchCase.id} exited with ${result.timedOut ? "a timeout" : `code ${result.code}`}:\n${tail(result.stderr)}\n${tail(result.stdout, 5)}`,
      );
    }
    const outputRecords = await recordsIn(context.bootstrap, output, partitions);
    return {
      framework,
      caseId: benchCase.id,
      repeat: options.repeat,
      recordsPerSec: (report.records / report.elapsedMs) * 1000,
      recordsPerCpuSec: (report.records / report.cpuMs) * 1000,
      cores: report.cpuMs / report.elapsedMs,
      throughClose: {
        recordsPerSec: (report.records / report.throughCloseMs) * 1000,
        recordsPerCpuSec: (report.records / report.throughCloseCpuMs) * 1000,
      },
      report,
      outputRecords,
      expectedOutput: context.expected.get(benchCase.topology) ?? Number.NaN,
      wallMs: result.ms,
    };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await deleteRunTopics(context.bootstrap, applicationId).catch((error: unknown) => {
      console.error(`streams bench: could not delete the topics of ${applicationId}: ${message(error)}`);
    });
  }
}

interface CaseProfile {
  readonly caseId: string;
  readonly recordsPerSec: number;
  readonly summary: ProfileSummary;
}

async function profileCase(context: RunContext, benchCase: BenchCase): Promise<CaseProfile> {
  const profileDir = mkdtempSync(join(scratch, "profile-"));
  const run = await runOnce({ context, framework: "samsa", benchCase, repeat: 0, profileDir });
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error("no .cpuprofile written");
  const { firstMonoUs, lastMonoUs } = run.report;
  const summary = summarizeProfile({
    profileJson: readFileSync(join(profileDir, file), "utf8"),
    root,
    top: 20,
    ...(firstMonoUs !== undefined && lastMonoUs !== undefined
      ? { windowUs: { fromUs: firstMonoUs, toUs: lastMonoUs } }
      : {}),
  });
  rmSync(profileDir, { recursive: true, force: true });
  return { caseId: benchCase.id, recordsPerSec: run.recordsPerSec, summary };
}

// ---------------------------------------------------------------------------------------------- main

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).toSorted((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function samsaVersion(): string {
  const commit = commandOutput("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = commandOutput("git", ["status", "--porcelain"]) !== "";
  return `${commit}${dirty ? " + uncommitted changes" : ""}`;
}

interface Results {
  readonly when: string;
  readonly runtimeMs: number;
  readonly machine: { cpu: string; cores: number; memoryGiB: number; kernel: string; load1: number[] };
  readonly versions: { node: string; java: string; samsa: string; kafka: string };
  readonly broker: TargetKind;
  readonly cases: readonly BenchCase[];
  readonly frameworks: readonly Framework[];
  readonly load: { records: number; bytes: number; ms: number };
  readonly runs: readonly RunResult[];
  readonly profiles: readonly CaseProfile[];
  readonly failures: readonly string[];
}

async function main(): Promise<void> {
  const started = performance.now();
  const deadline = setTimeout(() => {
    console.error(`streams bench: deadline of ${deadlineMs / 60_000} min passed; aborting`);
    process.exit(2);
  }, deadlineMs);
  deadline.unref();
  const cases = selectedCases();
  const frameworks = selectedFrameworks();
  const kind = brokerKind();
  const failures: string[] = [];
  const load1: number[] = [];
  const sampleLoad = (): void => void load1.push(loadavg()[0] ?? 0);

  const java = frameworks.includes("kafka-streams") ? await prepareJava() : undefined;
  console.log(`streams bench: starting a ${kind} broker`);
  // Samsa in relaxed durability (the OS writes back, as Kafka's defaults, which never fsync on
  // produce): the apps' throughput, not the disk's fsync rate, is what is measured.
  const broker: Target = await startTarget(kind, {
    settings:
      kind === "samsa"
        ? { "samsa.log.durability": "os", "group.initial.rebalance.delay.ms": "0" }
        : { "group.initial.rebalance.delay.ms": "0" },
  });
  let results: Results;
  try {
    const input = "streams-bench-events";
    const table = "streams-bench-profiles";
    await createTopic(broker.bootstrap, input, partitions);
    await createTopic(broker.bootstrap, table, partitions, { "cleanup.policy": "compact" });
    const firstTimestampMs = Math.floor((Date.now() - eventSpanMs - 5 * 60_000) / windowMs) * windowMs;
    const eventOptions: EventsOptions = { records, keys, firstTimestampMs, spanMs: eventSpanMs, seed };
    // The join's table first, stamped before every event: both frameworks read it before the events.
    if (cases.some((c) => c.topology === "stream-table-join")) {
      await loadEvents({
        bootstrap: broker.bootstrap,
        topic: table,
        partitions,
        source: profileEvents({ keys, timestampMs: firstTimestampMs - 60_000 }),
      });
    }
    const load = await loadEvents({
      bootstrap: broker.bootstrap,
      topic: input,
      partitions,
      source: events(eventOptions),
    });
    console.log(
      `streams bench: loaded ${load.records.toLocaleString("en-US")} records (${(load.bytes / 2 ** 20).toFixed(1)} MiB in batches) in ${(load.ms / 1000).toFixed(1)} s`,
    );
    const expected = new Map<TopologyName, number>();
    for (const c of cases) {
      const values = (function* () {
        for (const e of events(eventOptions)) yield e.value;
      })();
      expected.set(c.topology, topologies[c.topology].expectedOutput(values));
    }
    const context: RunContext = { bootstrap: broker.bootstrap, input, table, java, expected };

    const runs: RunResult[] = [];
    for (let repeat = 1; repeat <= repeats; repeat++) {
      for (const [caseIndex, benchCase] of cases.entries()) {
        // The order alternates, so drift on a shared machine hits both alike.
        const order = (repeat + caseIndex) % 2 === 0 ? frameworks : frameworks.toReversed();
        for (const framework of order) {
          sampleLoad();
          try {
            const run = await runOnce({ context, framework, benchCase, repeat });
            runs.push(run);
            const check = run.outputRecords === run.expectedOutput ? "ok" : `expected ${run.expectedOutput}`;
            console.log(
              `  ${benchCase.id.padEnd(26)} ${frameworkLabels[framework].padEnd(20)} run ${repeat}: ${Math.round(run.recordsPerSec).toLocaleString("en-US").padStart(9)} records/s, ${Math.round(run.recordsPerCpuSec).toLocaleString("en-US").padStart(9)} per CPU-second (${run.cores.toFixed(2)} cores), first record after ${Math.round(run.report.processStartToFirstMs)} ms, output ${run.outputRecords} (${check})`,
            );
            if (run.outputRecords !== run.expectedOutput) {
              failures.push(
                `${frameworkLabels[framework]} ${benchCase.id} run ${repeat}: ${run.outputRecords} output records, expected ${run.expectedOutput}`,
              );
            }
          } catch (error) {
            const text = `${frameworkLabels[framework]} ${benchCase.id} run ${repeat}: ${message(error)}`;
            console.error(`  FAILED ${text}`);
            failures.push(text);
          }
        }
      }
    }

    const profiles: CaseProfile[] = [];
    if (profileEnabled && frameworks.includes("samsa")) {
      for (const benchCase of cases) {
        try {
          const profile = await profileCase(context, benchCase);
          profiles.push(profile);
          printProfile(profile);
        } catch (error) {
          failures.push(`profile of ${benchCase.id}: ${message(error)}`);
        }
      }
    }
    sampleLoad();
    results = {
      when: new Date().toISOString(),
      runtimeMs: performance.now() - started,
      machine: {
        cpu: cpus()[0]?.model ?? "unknown CPU",
        cores: cpus().length,
        memoryGiB: totalmem() / 2 ** 30,
        kernel: `Linux ${release()}`,
        load1,
      },
      versions: {
        node: process.version,
        java: commandOutput(java?.java ?? "java", ["-version"]).split("\n")[0] ?? "",
        samsa: samsaVersion(),
        kafka: kafkaVersion,
      },
      broker: kind,
      cases,
      frameworks,
      load,
      runs,
      profiles,
      failures,
    };
  } finally {
    await broker.stop().catch((error: unknown) => console.error(`streams bench: broker stop: ${message(error)}`));
  }
  printSummary(results);
  if (writeDocs) await writeReport(results);
  clearTimeout(deadline);
}

// ---------------------------------------------------------------------------------------------- report

interface Summary {
  readonly benchCase: BenchCase;
  readonly per: Partial<Record<Framework, FrameworkSummary>>;
}

interface FrameworkSummary {
  readonly recordsPerSec: number;
  readonly recordsPerCpuSec: number;
  readonly cores: number;
  readonly firstMs: number;
  readonly closeMs: number;
  readonly throughCloseRecordsPerSec: number;
  readonly throughCloseRecordsPerCpuSec: number;
  readonly runs: readonly RunResult[];
}

function summarize(r: Results): Summary[] {
  return r.cases.map((benchCase) => ({
    benchCase,
    per: Object.fromEntries(
      r.frameworks.flatMap((framework) => {
        const runs = r.runs.filter((run) => run.caseId === benchCase.id && run.framework === framework);
        if (runs.length === 0) return [];
        return [
          [
            framework,
            {
              recordsPerSec: median(runs.map((run) => run.recordsPerSec)),
              recordsPerCpuSec: median(runs.map((run) => run.recordsPerCpuSec)),
              cores: median(runs.map((run) => run.cores)),
              firstMs: median(runs.map((run) => run.report.processStartToFirstMs)),
              closeMs: median(runs.map((run) => run.report.closeMs)),
              throughCloseRecordsPerSec: median(runs.map((run) => run.throughClose.recordsPerSec)),
              throughCloseRecordsPerCpuSec: median(runs.map((run) => run.throughClose.recordsPerCpuSec)),
              runs,
            },
          ],
        ];
      }),
    ),
  }));
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function ratio(samsa: number | undefined, kafka: number | undefined): string {
  if (samsa === undefined || kafka === undefined || !Number.isFinite(samsa) || !Number.isFinite(kafka) || kafka === 0) {
    return "–";
  }
  return `${(samsa / kafka).toFixed(2)}×`;
}

function caseLabel(c: BenchCase): string {
  if (!topologies[c.topology].stateful) return `\`${c.topology}\``;
  return `\`${c.topology}\` (${c.store === "in-memory" ? "in-memory stores" : "persistent stores: SQLite / RocksDB"})`;
}

function printSummary(r: Results): void {
  console.log("\nmedians:");
  for (const s of summarize(r)) {
    const samsa = s.per.samsa;
    const kafka = s.per["kafka-streams"];
    console.log(
      `  ${s.benchCase.id.padEnd(26)} records/s samsa ${fmt(samsa?.recordsPerSec ?? NaN)} kafka ${fmt(kafka?.recordsPerSec ?? NaN)} (${ratio(samsa?.recordsPerSec, kafka?.recordsPerSec)}); per CPU-second samsa ${fmt(samsa?.recordsPerCpuSec ?? NaN)} kafka ${fmt(kafka?.recordsPerCpuSec ?? NaN)} (${ratio(samsa?.recordsPerCpuSec, kafka?.recordsPerCpuSec)})`,
    );
  }
  if (r.failures.length > 0) console.log(`\nfailures:\n${r.failures.map((f) => `  ${f}`).join("\n")}`);
}

function printProfile(p: CaseProfile): void {
  const s = p.summary;
  console.log(
    `\nSamsa Streams CPU profile, ${p.caseId} (${fmt(p.recordsPerSec)} records/s under the profiler), ${s.windowed ? "first to last record" : "whole process (clock mismatch)"}: ${fmt(s.sampledMs)} ms sampled, ${fmt(s.idleMs)} ms idle`,
  );
  for (const h of s.functions) {
    console.log(`${fmt(h.selfMs).padStart(9)} ms ${h.busyPct.toFixed(1).padStart(5)}%  ${h.function}  ${h.location}`);
    for (const c of h.callers ?? []) console.log(`${"".padStart(22)}← ${c.pct.toFixed(0)}% ${c.caller}`);
  }
  console.log("  by the nearest frame in packages/ (its self time and what it calls outside packages/):");
  for (const h of s.ownFrames) {
    console.log(`${fmt(h.selfMs).padStart(9)} ms ${h.busyPct.toFixed(1).padStart(5)}%  ${h.function}  ${h.location}`);
  }
  console.log("  by file:");
  for (const f of s.files.slice(0, 10)) {
    console.log(`${fmt(f.selfMs).padStart(9)} ms ${f.busyPct.toFixed(1).padStart(5)}%  ${f.file}`);
  }
}

function runsText(runs: readonly RunResult[], pick: (run: RunResult) => number): string {
  return runs.map((run) => fmt(pick(run))).join(", ");
}

function profileLines(profiles: readonly CaseProfile[]): string[] {
  if (profiles.length === 0) return [];
  const lines: string[] = ["### Hotspots of Samsa Streams", ""];
  for (const p of profiles) {
    const s = p.summary;
    lines.push(
      `\`node --cpu-prof\`, ${p.caseId}: ${fmt(p.recordsPerSec)} records/s under the profiler; ${fmt(s.sampledMs)} ms sampled ${s.windowed ? "from the first input record to the last" : "over the whole process"}, ${fmt(s.idleMs)} ms of it idle. Self time of the top functions and files (share of the busy time).`,
      "",
      "| function | location | self ms | % busy | called mostly from |",
      "| :-- | :-- | --: | --: | :-- |",
      ...s.functions
        .slice(0, 15)
        .map(
          (h) =>
            `| \`${h.function}\` | ${h.location === "" ? "–" : `\`${h.location}\``} | ${fmt(h.selfMs)} | ${h.busyPct.toFixed(1)} | ${(h.callers ?? []).map((c) => `\`${c.caller}\` (${c.pct.toFixed(0)} %)`).join(", ")} |`,
        ),
      "",
      "Charged to the nearest function of the repository (`packages/…`) on each sampled stack — its own time plus what it calls in Node and in node_modules:",
      "",
      "| function | location | ms | % busy |",
      "| :-- | :-- | --: | --: |",
      ...s.ownFrames
        .slice(0, 12)
        .map(
          (h) =>
            `| \`${h.function}\` | ${h.location === "" ? "–" : `\`${h.location}\``} | ${fmt(h.selfMs)} | ${h.busyPct.toFixed(1)} |`,
        ),
      "",
      "| file | self ms | % busy |",
      "| :-- | --: | --: |",
      ...s.files.slice(0, 10).map((f) => `| \`${f.file}\` | ${fmt(f.selfMs)} | ${f.busyPct.toFixed(1)} |`),
      "",
    );
  }
  return lines;
}

async function writeReport(r: Results): Promise<void> {
  const summaries = summarize(r);
  const samsaLabel = frameworkLabels.samsa;
  const kafkaLabel = frameworkLabels["kafka-streams"];
  const m = r.machine;
  const v = r.versions;
  const loadMin = Math.min(...m.load1);
  const loadMax = Math.max(...m.load1);
  const main: string[] = [
    `| topology | ${samsaLabel} records/s | ${kafkaLabel} records/s | Samsa ÷ Kafka | ${samsaLabel} records per CPU-second | ${kafkaLabel} records per CPU-second | Samsa ÷ Kafka per core |`,
    "| :-- | --: | --: | --: | --: | --: | --: |",
  ];
  const detail: string[] = [
    `| topology | framework | records/s, each run | records per CPU-second, each run | cores busy | start to first record (ms) | close (ms) | records/s through close | per CPU-second through close |`,
    "| :-- | :-- | :-- | :-- | --: | --: | --: | --: | --: |",
  ];
  for (const s of summaries) {
    const samsa = s.per.samsa;
    const kafka = s.per["kafka-streams"];
    main.push(
      `| ${caseLabel(s.benchCase)} | ${fmt(samsa?.recordsPerSec ?? NaN)} | ${fmt(kafka?.recordsPerSec ?? NaN)} | ${ratio(samsa?.recordsPerSec, kafka?.recordsPerSec)} | ${fmt(samsa?.recordsPerCpuSec ?? NaN)} | ${fmt(kafka?.recordsPerCpuSec ?? NaN)} | **${ratio(samsa?.recordsPerCpuSec, kafka?.recordsPerCpuSec)}** |`,
    );
    for (const framework of r.frameworks) {
      const f = s.per[framework];
      if (f === undefined) continue;
      detail.push(
        `| ${caseLabel(s.benchCase)} | ${frameworkLabels[framework]} | ${runsText(f.runs, (run) => run.recordsPerSec)} | ${runsText(f.runs, (run) => run.recordsPerCpuSec)} | ${fmt(f.cores)} | ${fmt(f.firstMs)} | ${fmt(f.closeMs)} | ${fmt(f.throughCloseRecordsPerSec)} | ${fmt(f.throughCloseRecordsPerCpuSec)} |`,
      );
    }
  }
  const brokerText =
    r.broker === "samsa"
      ? "one Samsa broker (`samsa start` from the sources through `@samsa/testkit`, `samsa.log.durability=os`: the OS writes back, as Apache Kafka's defaults never fsync on produce, so the apps and not the disk's fsync rate are measured)"
      : `one Apache Kafka ${v.kafka} broker (\`scripts/kafka.sh\` through \`@samsa/testkit\`)`;
  const lines: string[] = [
    "<!-- bench:streams:start -->",
    "",
    "## Streams: Samsa Streams next to Kafka Streams (`packages/streams/bench/streams.bench.ts`)",
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB memory, ${m.kernel}; 1-minute load average during the run ${loadMin.toFixed(1)}–${loadMax.toFixed(1)} (the broker and the app under test included; other work on the machine adds noise). Versions: Node ${v.node}, Samsa ${v.samsa}, Kafka Streams ${v.kafka} (Maven Central, \`scripts/kafka.sh install-streams\`) on ${v.java}. Run ${r.when}, ${(r.runtimeMs / 60_000).toFixed(1)} min; regenerate with \`npm run bench:streams\` (\`SAMSA_BENCH_STREAMS_RECORDS=1000000\` for a longer run, \`SAMSA_BENCH_STREAMS_PROFILE=1\` to profile; the other knobs are at the top of the script).`,
    "",
    `Setup: ${brokerText}, shared by both frameworks in the same run. Input: ${r.load.records.toLocaleString("en-US")} keyed JSON click events (${keys.toLocaleString("en-US")} users, about 100 B values such as \`{"user":"user-0042","page":"/products/173","action":"click","amount":12,"ts":…}\`, event times rising evenly over ${eventSpanMs / 60_000} minutes) in a topic of ${partitions} partitions, written once before the runs (Kafka's partitioner). Each app is its own process (\`node\` for Samsa Streams, \`java\` with the JVM's defaults for Kafka Streams), runs alone, with a fresh application id, output topic and state directory, and exits after the last input record; ${repeats} run${repeats === 1 ? "" : "s"} per framework and topology, in alternating order, medians shown. Both sides: at_least_once, one stream thread (so ${partitions} tasks on one thread), commit interval ${commitIntervalMs} ms, no record cache (Kafka: \`statestore.cache.max.bytes=0\`, so both emit every update), changelogs on, stores in memory unless the row says otherwise (Kafka: \`dsl.store.suppliers.class\`), otherwise each library's defaults; after every run the harness checks the number of records in the output topic against the input.`,
    "",
    `Measured inside each app: a \`peek\` right after the source counts input records; the clock and the process's CPU time (user + system, all threads: JIT, GC and client threads included) are read at the first record and at the last, so process start, group join and close are not in the figures (shown apart; the last two columns count from the first record to the end of \`close()\`, when the output is flushed and the offsets committed). _Per core_ = records per CPU-second. The aim (issue #8) is ≥ 1.0× Kafka Streams per core.${
      r.load.records < 1_000_000
        ? ` **A short run:** Kafka Streams spends a good part of it in the JVM's warm-up (interpreted and freshly compiled code), which flatters Samsa Streams; the recorded figures should come from \`SAMSA_BENCH_STREAMS_RECORDS=1000000\` or more.`
        : ""
    }`,
    "",
    ...main,
    "",
    ...detail,
    "",
    `Topologies: ${r.cases
      .filter((c, i, all) => all.findIndex((o) => o.topology === c.topology) === i)
      .map((c) => `\`${c.topology}\` — ${topologies[c.topology].description}`)
      .join("; ")}. The Java twins are in \`packages/streams/bench/java/StreamsBench.java\`.`,
    "",
    ...profileLines(r.profiles),
  ];
  if (r.failures.length > 0) {
    lines.push("### Failures in this run", "");
    for (const f of r.failures) lines.push(`- ${f.split("\n")[0] ?? ""}`);
    lines.push("");
  }
  lines.push("<!-- bench:streams:end -->");
  const section = lines.join("\n");
  const docPath = join(root, "docs/benchmarks.md");
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
  const marker = /<!-- bench:streams:start -->[\s\S]*<!-- bench:streams:end -->/;
  const options = (await prettier.resolveConfig(docPath)) ?? {};
  // A function replacement: the section's text must not be read as `$` patterns.
  const markdown = marker.test(doc) ? doc.replace(marker, () => section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, await prettier.format(markdown, { ...options, parser: "markdown" }));
  console.log("streams bench: wrote the streams section of docs/benchmarks.md");
}

await main();
