// Shared helpers of the interoperability suite: the target (Samsa or Kafka, from SAMSA_TEST_TARGET)
// started once per test file (optionally behind a connection-cutting proxy), bounded child
// processes for the real clients (run to completion, or watched line by line while they run),
// sample records, and a client-independent read-back path (Fetch through @samsa/testkit's
// WireClient), including which transaction each record belongs to and how it ended.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { ApiKey, decodeControlRecord, decodeRecords, iterateBatches } from "@samsa/protocol";
import type { CompressionCodec } from "@samsa/protocol";
import { startProxy, startTarget, targetFromEnv, uniqueName, waitFor, WireClient } from "@samsa/testkit";
import type { StartTargetOptions, TcpProxy, Target, TargetKind } from "@samsa/testkit";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const targetKind: TargetKind = targetFromEnv();
export const codecs = ["none", "gzip", "snappy", "lz4", "zstd"] as const satisfies readonly CompressionCodec[];

/** The issue that brings consumer groups (FindCoordinator, JoinGroup, ...) to Samsa. */
export const consumerGroupsIssue = "#5";

/**
 * Starts the target in `before` and stops it in `after` (the stop is bounded and forced if need
 * be, and also happens when the test process exits early). Returns an accessor for the tests.
 */
export function useTarget(options: StartTargetOptions = {}): () => Target {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget(targetKind, options);
  });
  after(async () => {
    const t = target;
    target = undefined;
    await t?.stop();
  });
  return () => {
    if (target === undefined) throw new Error("the target is not running (did `before` fail?)");
    return target;
  };
}

// ---------------------------------------------------------------------------------------------- processes

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly input?: string | Uint8Array;
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

const outputBytesMax = 64 * 1024 * 1024;

/** Runs a command to completion, killing it (SIGKILL) after `timeoutMs` (default 60 s). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= outputBytesMax) into.push(chunk);
    };
    child.stdout.on("data", collect(stdout));
    child.stderr.on("data", collect(stderr));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        elapsedMs: Date.now() - started,
      });
    });
    child.stdin.on("error", () => undefined); // a client that exits early closes its stdin
    child.stdin.end(options.input ?? "");
  });
}

function describeRun(what: string, result: RunResult): string {
  const how = result.signal === "SIGKILL" ? "was killed (timeout)" : `exited with ${result.code ?? result.signal}`;
  return `${what} ${how} after ${result.elapsedMs} ms\n--- stdout\n${clip(result.stdout)}\n--- stderr\n${clip(result.stderr)}`;
}

function clip(text: string, charsMax = 6000): string {
  return text.length <= charsMax ? text : `${text.slice(0, charsMax / 2)}\n[...]\n${text.slice(-charsMax / 2)}`;
}

/** Like run, but a non-zero exit is an error carrying the command's output. */
export async function runOk(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(describeRun(`${command} ${args.join(" ")}`, result));
  return result;
}

/** The absolute path of a command on PATH, or undefined. */
export function which(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path !== "" ? path : undefined;
}

// ---------------------------------------------------------------------------------------------- python

/**
 * Debian's python3-confluent-kafka and python3-kafka install into the system interpreter; the
 * python3 first on PATH may be another one (pyenv), so the system one is used when present.
 */
export const systemPython = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Whether the system Python runs `code` without an error. */
export function pythonCan(code: string): boolean {
  return spawnSync(systemPython, ["-c", code], { encoding: "utf8", timeout: 30_000 }).status === 0;
}

/** Why a Python module cannot be used (undefined when it can). */
export function pythonModuleMissing(module: string, aptPackage: string): string | undefined {
  if (pythonCan(`import ${module}`)) return undefined;
  return `${module} is not importable by ${systemPython} (apt-get install ${aptPackage}; .ci/run installs it)`;
}

/** A modern librdkafka: confluent-kafka-python from PyPI in a venv, its bundled librdkafka in libDir. */
export interface ModernLibrdkafka {
  /** The venv's interpreter, with confluent_kafka importable. */
  readonly python: string;
  /** Holds librdkafka.so.1: LD_LIBRARY_PATH for kcat. */
  readonly libDir: string;
  /** The confluent-kafka version installed. */
  readonly version: string;
}

/**
 * The install of scripts/librdkafka.sh (its `home`, so the cache dir and version come from the same
 * SAMSA_CACHE_DIR / SAMSA_CONFLUENT_KAFKA_VERSION logic), or why there is none.
 */
export function modernLibrdkafka(): ModernLibrdkafka | string {
  const home = spawnSync("bash", [join(repoRoot, "scripts/librdkafka.sh"), "home"], { encoding: "utf8" }).stdout.trim();
  const python = join(home, "bin/python");
  const libDir = join(home, "lib");
  const marker = join(home, ".installed");
  if (home === "" || !existsSync(marker) || !existsSync(python) || !existsSync(join(libDir, "librdkafka.so.1")))
    return `confluent-kafka is not installed in ${home} (run: bash scripts/librdkafka.sh install; .ci/run does)`;
  return { python, libDir, version: readFileSync(marker, "utf8").trim() };
}

// Produces one message with confluent-kafka-python and reads it back; on an authentication error
// (reported through error_cb while flushing) prints it and stops. Either answer names the
// librdkafka the client runs on.
const roundTripScript = `
import json, sys
from confluent_kafka import Consumer, KafkaError, Producer, libversion
req = json.load(sys.stdin)
errors = []
def on_error(err):
    errors.append(err)
conf = dict(req["conf"], **{"bootstrap.servers": req["bootstrap"], "error_cb": on_error})
producer = Producer(conf)
producer.produce(req["topic"], req["value"].encode())
for _ in range(40):
    remaining = producer.flush(0.5)
    auth = [e for e in errors if e.code() == KafkaError._AUTHENTICATION]
    if auth or not remaining:
        break
if auth or remaining:
    print(json.dumps({"error": str(auth[0]) if auth else "not delivered", "auth": bool(auth), "librdkafka": libversion()[0]}))
    sys.exit(0)
consumer = Consumer(dict(conf, **{"group.id": req["topic"], "auto.offset.reset": "earliest"}))
consumer.subscribe([req["topic"]])
value = None
for _ in range(60):
    msg = consumer.poll(0.5)
    if msg is not None and msg.error() is None:
        value = msg.value().decode()
        break
consumer.close()
print(json.dumps({"value": value, "librdkafka": libversion()[0]}))
`;

export interface PythonRoundTrip {
  readonly value?: string | null;
  readonly error?: string;
  readonly auth?: boolean;
  readonly librdkafka: string;
}

/**
 * One message through confluent-kafka-python with client config `conf` (security settings):
 * produced to a fresh topic and consumed back (checked equal), or the authentication error.
 */
export async function confluentRoundTrip(options: {
  readonly conf: Readonly<Record<string, string | boolean>>;
  readonly bootstrap: string;
  readonly interpreter?: string;
  readonly topicPrefix: string;
}): Promise<PythonRoundTrip> {
  const topic = uniqueName(options.topicPrefix);
  const result = await runOk(options.interpreter ?? systemPython, ["-c", roundTripScript], {
    input: JSON.stringify({ conf: options.conf, bootstrap: options.bootstrap, topic, value: `hello ${topic}` }),
    timeoutMs: 90_000,
  });
  const answer = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as PythonRoundTrip;
  if (answer.value !== undefined) assert.equal(answer.value, `hello ${topic}`);
  return answer;
}

export interface SampleRecord {
  readonly partition: number;
  readonly offset?: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly (readonly [string, string | null])[];
  readonly timestamp: number;
  readonly timestampType?: string;
}

/** Runs test/interop/python/<script> <bootstrap> <command> with a JSON request; returns its JSON answer. */
export async function runPythonClient<T>(
  script: string,
  bootstrap: string,
  command: string,
  request: unknown,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const result = await run(systemPython, [join(repoRoot, "test/interop/python", script), bootstrap, command], {
    input: JSON.stringify(request),
    timeoutMs: options.timeoutMs ?? 90_000,
    cwd: join(repoRoot, "test/interop/python"),
    env: { PYTHONDONTWRITEBYTECODE: "1" }, // no __pycache__ in the tree
  });
  if (result.code !== 0) throw new Error(describeRun(`${script} ${command}`, result));
  const lastLine = result.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(lastLine) as T;
}

// ---------------------------------------------------------------------------------------------- kafka tools

/** Why Kafka's Java tools cannot be used (undefined when they can). */
export function kafkaToolsMissing(): string | undefined {
  if (which("java") === undefined) return "java is not installed (Kafka's CLI tools need it)";
  const home = spawnSync("bash", [join(repoRoot, "scripts/kafka.sh"), "home"], { encoding: "utf8" }).stdout.trim();
  if (!existsSync(join(home, ".installed")))
    return `Kafka is not installed in ${home} (run: bash scripts/kafka.sh install)`;
  return undefined;
}

/** Runs one of Kafka's CLI tools (scripts/kafka.sh tool NAME ...). */
export function kafkaTool(name: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run("bash", [join(repoRoot, "scripts/kafka.sh"), "tool", name, ...args], {
    timeoutMs: 120_000,
    ...options,
  });
}

export async function kafkaToolOk(name: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await kafkaTool(name, args, options);
  if (result.code !== 0) throw new Error(describeRun(`kafka-${name} ${args.join(" ")}`, result));
  return result;
}

/**
 * Kafka's console consumer reading `count` values of `topic` from the start (with a client config
 * file, e.g. for a secured listener); returns them in order. `extra` adds arguments (a partition).
 */
export async function consoleConsume(
  bootstrap: string,
  topic: string,
  count: number,
  commandConfig: string,
  extra: readonly string[] = ["--from-beginning"],
): Promise<string[]> {
  const consumed = await kafkaToolOk("console-consumer", [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    ...extra,
    "--max-messages",
    String(count),
    "--timeout-ms",
    "30000",
    "--command-config",
    commandConfig,
  ]);
  return consumed.stdout.trim().split("\n");
}

// ---------------------------------------------------------------------------------------------- records

export interface SampleRecordsOptions {
  readonly count: number;
  readonly partitions?: number;
  /** Whether the client can send a header whose value is null (kafka-python cannot). */
  readonly nullHeaderValues?: boolean;
  /** Whether the client can send a null key / null value. */
  readonly nullKeys?: boolean;
  readonly nullValues?: boolean;
}

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString("base64");

/**
 * Records with everything a client must carry unchanged: binary and unicode keys and values, an
 * empty value, a large compressible value, repeated and empty headers, explicit timestamps (in the
 * recent past, so no broker rejects them). Bytes are base64 (the Python scripts' exchange format).
 */
export function sampleRecords(options: SampleRecordsOptions): SampleRecord[] {
  const partitions = options.partitions ?? 1;
  const timestampBase = Date.now() - 10 * 60_000;
  const records: SampleRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const key =
      options.nullKeys === true && i % 7 === 3
        ? null
        : i % 5 === 1
          ? b64(Uint8Array.from([0, 255, i & 0xff, 0x80, 10]))
          : b64(`key-${i}-ключ`);
    let value: string | null;
    if (options.nullValues === true && i % 11 === 5) value = null;
    else if (i % 9 === 4) value = b64("");
    else if (i % 13 === 6) value = b64(`large-${i}-${"abcdefghij".repeat(10_000)}`);
    else if (i % 5 === 2) value = b64(Uint8Array.from({ length: 64 }, (_, j) => (i * 31 + j * 7) & 0xff));
    else value = b64(`value ${i}: ünïcødé ✓ 🚀`);
    const headers: [string, string | null][] = [];
    if (i % 3 !== 0) headers.push(["trace-id", b64(`trace-${i}`)]);
    if (i % 4 === 1) headers.push(["dup", b64("one")], ["dup", b64("two")]);
    if (i % 4 === 2) headers.push(["empty", b64("")]);
    if (i % 6 === 5) headers.push(["nul", options.nullHeaderValues === true ? null : b64("not-null")]);
    records.push({ partition: i % partitions, key, value, headers, timestamp: timestampBase + i * 1000 });
  }
  return records;
}

/** What a consumed record is compared by (offsets differ by client; order within a partition must not). */
export function comparable(record: SampleRecord): Omit<SampleRecord, "offset" | "timestampType"> {
  return {
    partition: record.partition,
    key: record.key,
    value: record.value,
    headers: record.headers.map(([k, v]) => [k, v] as const),
    timestamp: record.timestamp,
  };
}

/** Records grouped by partition in produce order: what reading each partition back must yield. */
export function byPartition<T extends { partition: number }>(records: readonly T[]): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const r of records) grouped.set(r.partition, [...(grouped.get(r.partition) ?? []), r]);
  return new Map([...grouped.entries()].sort(([a], [b]) => a - b));
}

// ---------------------------------------------------------------------------------------------- wire

export interface FetchedRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly { readonly key: string; readonly value: Uint8Array | null }[];
  readonly timestamp: bigint;
  readonly timestampType: "CreateTime" | "LogAppendTime";
  /** The codec of the stored batch the record came in: shows what the producer really sent. */
  readonly batchCodec: CompressionCodec;
}

const fetchVersion = 12; // the newest Fetch with topic names; both targets serve it

/**
 * Reads a partition from offset 0 until at least `count` records arrived (bounded by `timeoutMs`),
 * with plain Fetch requests: a read-back path independent of the client under test.
 */
export async function fetchRecords(
  bootstrap: string,
  options: { topic: string; partition: number; count: number; timeoutMs?: number },
): Promise<FetchedRecord[]> {
  const client = await WireClient.connect(bootstrap, { clientId: "interop-readback" });
  const records: FetchedRecord[] = [];
  let nextOffset = 0n;
  try {
    await waitFor(
      async () => {
        const response = await client.send(ApiKey.Fetch, fetchVersion, {
          replicaId: -1,
          maxWaitMs: 200,
          minBytes: 1,
          maxBytes: 32 * 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: options.topic,
              partitions: [
                { partition: options.partition, fetchOffset: nextOffset, partitionMaxBytes: 16 * 1024 * 1024 },
              ],
            },
          ],
        });
        const data = response.responses[0]?.partitions[0];
        if (data === undefined) throw new Error(`Fetch answered without partition ${options.partition}`);
        if (data.errorCode !== 0) throw new Error(`Fetch error code ${data.errorCode}`);
        for (const batch of iterateBatches(data.records ?? new Uint8Array(0))) {
          const decoded = decodeRecords(batch.bytes, { maxBytes: 64 * 1024 * 1024 });
          if (decoded.header.control) continue;
          for (const r of decoded.records) {
            if (r.offset < nextOffset) continue;
            records.push({
              partition: options.partition,
              offset: r.offset,
              key: r.key === null ? null : Uint8Array.from(r.key),
              value: r.value === null ? null : Uint8Array.from(r.value),
              headers: r.headers.map((h) => ({
                key: h.key,
                value: h.value === null ? null : Uint8Array.from(h.value),
              })),
              timestamp: r.timestamp,
              timestampType: decoded.header.timestampType,
              batchCodec: decoded.header.compression,
            });
          }
          nextOffset = decoded.header.lastOffset + 1n;
        }
        return records.length >= options.count ? true : undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 20_000,
        intervalMs: 10,
        what: `${options.count} records in ${options.topic}-${options.partition}`,
      },
    );
  } finally {
    client.close();
  }
  return records;
}

/** A fetched record in the exchange format of sampleRecords (base64 bytes, number timestamp). */
export function fetchedAsSample(record: FetchedRecord): SampleRecord {
  return {
    partition: record.partition,
    key: record.key === null ? null : b64(record.key),
    value: record.value === null ? null : b64(record.value),
    headers: record.headers.map((h) => [h.key, h.value === null ? null : b64(h.value)] as const),
    timestamp: Number(record.timestamp),
  };
}

/** The API versions a target advertises. */
export async function advertisedApis(bootstrap: string): Promise<Map<number, { min: number; max: number }>> {
  const client = await WireClient.connect(bootstrap, { clientId: "interop-probe" });
  try {
    const response = await client.send(ApiKey.ApiVersions, 3, {
      clientSoftwareName: "samsa-interop",
      clientSoftwareVersion: "0.1.0",
    });
    return new Map(response.apiKeys.map((a) => [a.apiKey, { min: a.minVersion, max: a.maxVersion }]));
  } finally {
    client.close();
  }
}

/** Why a test needs to wait for consumer groups on this target (undefined when groups are served). */
export async function consumerGroupsMissing(bootstrap: string): Promise<string | undefined> {
  const apis = await advertisedApis(bootstrap);
  const needed = [ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.OffsetFetch];
  const missing = needed.filter((k) => !apis.has(k));
  if (missing.length === 0) return undefined;
  return `pending consumer groups (${consumerGroupsIssue}): the ${targetKind} target does not advertise API keys ${missing.join(", ")}`;
}

/**
 * Checks that the producer really used `codec`: brokers store batches as produced, so the stored
 * batch holding the compressible record must carry the codec. Other batches may be uncompressed
 * (librdkafka sends a batch uncompressed when compressing does not make it smaller).
 *
 * librdkafka before 2.10 also sends uncompressed, silently, when the broker's ApiVersions does not
 * list Produce v0 (gzip, snappy) or FindCoordinator v0 (lz4): Kafka 4 keeps advertising them for
 * that reason (KAFKA-18659) and answers an actual v0-v2 Produce with UNSUPPORTED_VERSION.
 */
export async function assertProducerCompressed(
  bootstrap: string,
  options: { topic: string; partition?: number; codec: CompressionCodec; count: number; compressibleOffset: number },
): Promise<void> {
  const stored = await fetchRecords(bootstrap, {
    topic: options.topic,
    partition: options.partition ?? 0,
    count: options.count,
  });
  const seen = new Set(stored.map((r) => r.batchCodec));
  const compressible = stored.find((r) => r.offset === BigInt(options.compressibleOffset));
  assert.ok(
    compressible?.batchCodec === options.codec && [...seen].every((c) => c === options.codec || c === "none"),
    `the producer was asked for ${options.codec}, but the stored batches use ${[...seen].join(", ")} ` +
      `(the batch with offset ${options.compressibleOffset}: ${compressible?.batchCodec ?? "missing"})`,
  );
}

// ---------------------------------------------------------------------------------------------- proxied target

/**
 * Like useTarget, but the target advertises a TCP proxy (`advertised.listeners=PLAINTEXT://<proxy>`)
 * so that clients, after bootstrapping, talk to the broker only through it, and a test can cut
 * every connection mid-stream. Kafka's own inter-broker listener is that PLAINTEXT listener too,
 * so its internal connections (transaction markers to itself) also go through the proxy.
 */
export function useProxiedTarget(): { target: () => Target; proxy: () => TcpProxy } {
  let target: Target | undefined;
  let proxy: TcpProxy | undefined;
  before(async () => {
    proxy = await startProxy();
    target = await startTarget(targetKind, { settings: { "advertised.listeners": `PLAINTEXT://${proxy.address}` } });
    proxy.upstream = target.listenAddress;
  });
  after(async () => {
    const t = target;
    const p = proxy;
    target = undefined;
    proxy = undefined;
    try {
      await t?.stop();
    } finally {
      await p?.close();
    }
  });
  return {
    target: () => {
      if (target === undefined) throw new Error("the target is not running (did `before` fail?)");
      return target;
    },
    proxy: () => {
      if (proxy === undefined) throw new Error("the proxy is not running (did `before` fail?)");
      return proxy;
    },
  };
}

// ---------------------------------------------------------------------------------------------- watched processes

export interface WatchedProcess {
  readonly pid: number | undefined;
  /** Complete stdout lines so far. */
  readonly lines: readonly string[];
  /** Resolves when the process has exited and its pipes are closed. */
  readonly exit: Promise<RunResult>;
  readonly exited: boolean;
  /** Writes to its stdin (which stays open until the process exits or `endInput`). */
  write(text: string): void;
  endInput(): void;
  kill(signal?: NodeJS.Signals): void;
  /**
   * Resolves with the first value `match` returns for a stdout line (from `fromLine` on), or
   * rejects when the process exits first or `timeoutMs` passes; the error carries the output.
   */
  waitForLine<T>(
    match: (line: string, index: number) => T | undefined,
    options: { timeoutMs: number; what: string; fromLine?: number },
  ): Promise<T>;
  /** What it printed (tails of stdout and stderr) and how it ended, for failure messages. */
  describe(): string;
}

export interface WatchOptions extends RunOptions {
  /** Called for every stdout line as it arrives (to react at once, e.g. cut connections). */
  readonly onLine?: (line: string) => void;
}

const watched = new Set<ChildProcess>();
let watchedExitHook = false;

/**
 * Starts a command and watches its output line by line while it runs. It is killed (SIGKILL)
 * after `timeoutMs` (default 120 s) and when the test process exits; tests kill it themselves
 * in `finally`.
 */
export function spawnWatched(command: string, args: readonly string[], options: WatchOptions = {}): WatchedProcess {
  if (!watchedExitHook) {
    watchedExitHook = true;
    process.on("exit", () => {
      for (const child of watched) child.kill("SIGKILL");
    });
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  watched.add(child);
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let partial = "";
  let stdoutBytes = 0;
  let stderr = "";
  let exitResult: RunResult | undefined;
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > outputBytesMax) return;
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      options.onLine?.(line);
    }
    for (const listener of listeners) listener();
  });
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-256 * 1024);
  });
  child.stdin.on("error", () => undefined); // a process that exits early closes its stdin
  if (options.input !== undefined) child.stdin.end(options.input);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exit = new Promise<RunResult>((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(timer);
      watched.delete(child);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      watched.delete(child);
      if (partial !== "") {
        lines.push(partial);
        options.onLine?.(partial);
        partial = "";
      }
      exitResult = {
        code,
        signal,
        stdout: lines.join("\n"),
        stderr,
        elapsedMs: Date.now() - started,
      };
      resolve(exitResult);
      for (const listener of listeners) listener();
    });
  });
  const describe = (): string => {
    const how =
      exitResult === undefined
        ? `still running after ${Date.now() - started} ms`
        : `exited with ${exitResult.code ?? exitResult.signal} after ${exitResult.elapsedMs} ms`;
    return `${command} ${args.join(" ")}: ${how}\n--- stdout (last lines)\n${lines.slice(-40).join("\n")}\n--- stderr\n${clip(stderr)}`;
  };
  return {
    pid: child.pid,
    lines,
    exit,
    get exited() {
      return exitResult !== undefined;
    },
    write: (text) => {
      child.stdin.write(text);
    },
    endInput: () => {
      child.stdin.end();
    },
    kill: (signal = "SIGKILL") => {
      if (exitResult === undefined) child.kill(signal);
    },
    describe,
    waitForLine<T>(
      match: (line: string, index: number) => T | undefined,
      waitOptions: { timeoutMs: number; what: string; fromLine?: number },
    ): Promise<T> {
      let cursor = waitOptions.fromLine ?? 0;
      return new Promise<T>((resolve, reject) => {
        const finish = (): void => {
          clearTimeout(deadline);
          listeners.delete(check);
        };
        const check = (): void => {
          for (; cursor < lines.length; cursor++) {
            const value = match(lines[cursor] ?? "", cursor);
            if (value !== undefined) {
              finish();
              resolve(value);
              return;
            }
          }
          if (exitResult !== undefined) {
            finish();
            reject(new Error(`waiting for ${waitOptions.what}: the process ended first\n${describe()}`));
          }
        };
        const deadline = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`timed out after ${waitOptions.timeoutMs} ms waiting for ${waitOptions.what}\n${describe()}`),
          );
        }, waitOptions.timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs one of Kafka's classes (scripts/kafka.sh run-class, which execs java: the pid is the JVM's). */
export function spawnKafkaClass(
  className: string,
  args: readonly string[],
  options: WatchOptions = {},
): WatchedProcess {
  return spawnWatched("bash", [join(repoRoot, "scripts/kafka.sh"), "run-class", className, ...args], options);
}

/** A JSON object from a line, or undefined when the line is not one (tools also print log lines). */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- python sessions

/** What a Python session reports for a failed step (a librdkafka KafkaError, or another exception). */
export interface PythonError {
  readonly name: string;
  readonly code: number | null;
  readonly text: string;
  readonly fatal: boolean | null;
  readonly retriable: boolean | null;
  readonly txnRequiresAbort: boolean | null;
}

export type SessionAnswer<T> = ({ readonly ok: true } & T) | { readonly error: PythonError };

/**
 * A long-lived Python client driven step by step: test/interop/python/<script> <bootstrap> session
 * reads one JSON request per line and answers each with one JSON line, in order.
 */
export class PythonSession {
  private answered = 0;
  private readonly proc: WatchedProcess;
  private readonly name: string;

  private constructor(proc: WatchedProcess, name: string) {
    this.proc = proc;
    this.name = name;
  }

  static async start(script: string, bootstrap: string, options: { timeoutMs?: number } = {}): Promise<PythonSession> {
    const proc = spawnWatched(systemPython, [join(repoRoot, "test/interop/python", script), bootstrap, "session"], {
      cwd: join(repoRoot, "test/interop/python"),
      env: { PYTHONDONTWRITEBYTECODE: "1" },
      timeoutMs: options.timeoutMs ?? 240_000,
    });
    const session = new PythonSession(proc, script);
    await proc.waitForLine((line) => (jsonLine(line)?.["ready"] === true ? true : undefined), {
      timeoutMs: 30_000,
      what: `${script} session to start`,
    });
    session.answered = proc.lines.length;
    return session;
  }

  /** Sends one step and returns its answer (an error answer is a value, not a rejection). */
  async call<T extends object = object>(request: object, timeoutMs = 90_000): Promise<SessionAnswer<T>> {
    const from = this.answered;
    this.proc.write(`${JSON.stringify(request)}\n`);
    const { answer, index } = await this.proc.waitForLine(
      (line, i) => {
        const json = jsonLine(line);
        return json === undefined ? undefined : { answer: json, index: i };
      },
      { timeoutMs, what: `the answer of ${this.name} to ${JSON.stringify(request).slice(0, 200)}`, fromLine: from },
    );
    this.answered = index + 1;
    return answer as SessionAnswer<T>;
  }

  /** Like call, but an error answer is a rejection carrying the session's output. */
  async ok<T extends object = object>(request: object, timeoutMs = 90_000): Promise<T> {
    const answer = await this.call<T>(request, timeoutMs);
    if ("error" in answer) {
      throw new Error(
        `${this.name} ${JSON.stringify(request).slice(0, 200)} failed: ${JSON.stringify(answer.error)}\n${this.proc.describe()}`,
      );
    }
    return answer;
  }

  describe(): string {
    return this.proc.describe();
  }

  /** Asks the session to end, and kills it when it does not within a bound. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.proc.exited) return;
    this.proc.write(`${JSON.stringify({ op: "close" })}\n`);
    this.proc.endInput();
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    await this.proc.exit.finally(() => clearTimeout(timer));
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }
}

// ---------------------------------------------------------------------------------------------- transactions

export type TransactionOutcome = "committed" | "aborted" | "open" | "none";

export interface LoggedRecord {
  readonly partition: number;
  readonly offset: bigint;
  /** The key as UTF-8 text. */
  readonly key: string | null;
  /** The value as UTF-8 text (the exactly-once tests write decimal numbers and short labels). */
  readonly value: string | null;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly transactional: boolean;
  /**
   * How the record's transaction ended, by the commit or abort marker that follows it for its
   * producer id: "open" when no marker follows yet, "none" for a record outside transactions.
   */
  readonly outcome: TransactionOutcome;
}

export interface PartitionLog {
  readonly records: readonly LoggedRecord[];
  readonly markers: readonly { readonly offset: bigint; readonly producerId: bigint; readonly type: string }[];
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
}

/**
 * Reads a whole partition (read_uncommitted, control batches included) up to its high watermark
 * with plain Fetch requests and tells for each record how its transaction ended: what a
 * read_committed consumer may see, judged independently of any client.
 */
export async function readPartitionLog(
  bootstrap: string,
  options: { topic: string; partition: number; timeoutMs?: number },
): Promise<PartitionLog> {
  const records: {
    partition: number;
    offset: bigint;
    key: string | null;
    value: string | null;
    producerId: bigint;
    producerEpoch: number;
    transactional: boolean;
    outcome: TransactionOutcome;
  }[] = [];
  const markers: { offset: bigint; producerId: bigint; type: string }[] = [];
  const pending = new Map<bigint, number[]>(); // producer id -> indexes of its records awaiting a marker
  const ends = await readToHighWatermark(
    bootstrap,
    { ...options, clientId: "interop-txn-readback" },
    (decoded, from) => {
      const { header } = decoded;
      if (header.control) {
        for (const r of decoded.records) {
          const control = decodeControlRecord(r);
          markers.push({ offset: r.offset, producerId: header.producerId, type: control.type });
          if (control.type !== "commit" && control.type !== "abort") continue;
          const outcome = control.type === "commit" ? "committed" : "aborted";
          for (const index of pending.get(header.producerId) ?? []) {
            const record = records[index];
            if (record !== undefined) record.outcome = outcome;
          }
          pending.delete(header.producerId);
        }
        return;
      }
      for (const r of decoded.records) {
        if (r.offset < from) continue;
        if (header.transactional) {
          const list = pending.get(header.producerId) ?? [];
          list.push(records.length);
          pending.set(header.producerId, list);
        }
        records.push({
          partition: options.partition,
          offset: r.offset,
          key: r.key === null ? null : Buffer.from(r.key).toString("utf8"),
          value: r.value === null ? null : Buffer.from(r.value).toString("utf8"),
          producerId: header.producerId,
          producerEpoch: header.producerEpoch,
          transactional: header.transactional,
          outcome: header.transactional ? "open" : "none",
        });
      }
    },
  );
  return { records, markers, ...ends };
}

/**
 * Reads a partition (read_uncommitted, control batches included) from offset 0 up to the high
 * watermark it had when the read ended, with plain Fetch requests (independent of any client),
 * handing every decoded batch to `visit` with the offset its new records start at.
 */
async function readToHighWatermark(
  bootstrap: string,
  options: { topic: string; partition: number; timeoutMs?: number; clientId: string },
  visit: (decoded: ReturnType<typeof decodeRecords>, from: bigint) => void,
): Promise<{ highWatermark: bigint; lastStableOffset: bigint }> {
  const client = await WireClient.connect(bootstrap, { clientId: options.clientId });
  let nextOffset = 0n;
  let highWatermark = -1n;
  let lastStableOffset = -1n;
  try {
    await waitFor(
      async () => {
        const response = await client.send(ApiKey.Fetch, fetchVersion, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 32 * 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: options.topic,
              partitions: [
                { partition: options.partition, fetchOffset: nextOffset, partitionMaxBytes: 16 * 1024 * 1024 },
              ],
            },
          ],
        });
        const data = response.responses[0]?.partitions[0];
        if (data === undefined) throw new Error(`Fetch answered without partition ${options.partition}`);
        if (data.errorCode !== 0)
          throw new Error(`Fetch ${options.topic}-${options.partition}: error code ${data.errorCode}`);
        highWatermark = data.highWatermark;
        lastStableOffset = data.lastStableOffset;
        for (const batch of iterateBatches(data.records ?? new Uint8Array(0))) {
          const decoded = decodeRecords(batch.bytes, { maxBytes: 64 * 1024 * 1024 });
          if (decoded.header.lastOffset < nextOffset) continue;
          visit(decoded, nextOffset);
          nextOffset = decoded.header.lastOffset + 1n;
        }
        return nextOffset >= highWatermark ? true : undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 30_000,
        intervalMs: 10,
        what: `${options.topic}-${options.partition} read up to its high watermark`,
      },
    );
  } finally {
    client.close();
  }
  return { highWatermark, lastStableOffset };
}

/** A group's committed offset for one partition (-1 when none) and the partition's error code. */
export async function committedOffset(
  bootstrap: string,
  options: { groupId: string; topic: string; partition: number; requireStable: boolean },
): Promise<{ offset: bigint; errorCode: number }> {
  const client = await WireClient.connect(bootstrap, { clientId: "interop-offset-fetch" });
  try {
    const response = await client.send(ApiKey.OffsetFetch, 8, {
      groups: [{ groupId: options.groupId, topics: [{ name: options.topic, partitionIndexes: [options.partition] }] }],
      requireStable: options.requireStable,
    });
    const group = response.groups[0];
    if (group === undefined) throw new Error("OffsetFetch answered without the group");
    const entry = group.topics
      .find((t) => t.name === options.topic)
      ?.partitions.find((p) => p.partitionIndex === options.partition);
    return { offset: entry?.committedOffset ?? -1n, errorCode: entry?.errorCode ?? group.errorCode };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------- streams

export interface PartitionRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
}

/**
 * Every record of a partition (read_uncommitted, control records left out) from offset 0 up to the
 * high watermark it had when the read ended, with plain Fetch requests (independent of any client).
 */
export async function readPartition(
  bootstrap: string,
  options: { topic: string; partition: number; timeoutMs?: number },
): Promise<{ records: PartitionRecord[]; highWatermark: number }> {
  const records: PartitionRecord[] = [];
  const ends = await readToHighWatermark(
    bootstrap,
    { ...options, clientId: "interop-partition-reader" },
    (decoded, from) => {
      if (decoded.header.control) return;
      for (const r of decoded.records) {
        if (r.offset < from) continue;
        records.push({
          partition: options.partition,
          offset: Number(r.offset),
          key: r.key === null ? null : Uint8Array.from(r.key),
          value: r.value === null ? null : Uint8Array.from(r.value),
          timestamp: Number(r.timestamp),
        });
      }
    },
  );
  return { records, highWatermark: Number(ends.highWatermark) };
}

/** The latest offsets (high watermarks) of partitions 0..partitions-1 of a topic (ListOffsets, latest). */
export async function endOffsets(bootstrap: string, topic: string, partitions: number): Promise<number[]> {
  const client = await WireClient.connect(bootstrap, { clientId: "interop-end-offsets" });
  try {
    const response = await client.send(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, p) => ({
            partitionIndex: p,
            timestamp: -1n,
            currentLeaderEpoch: -1,
          })),
        },
      ],
    });
    const answered = response.topics[0]?.partitions ?? [];
    return Array.from({ length: partitions }, (_, p) => {
      const entry = answered.find((e) => e.partitionIndex === p);
      if (entry === undefined || entry.errorCode !== 0)
        throw new Error(`ListOffsets ${topic}-${p}: error code ${entry?.errorCode ?? "(no answer)"}`);
      return Number(entry.offset);
    });
  } finally {
    client.close();
  }
}

/** A group's committed offsets for partitions 0..partitions-1 of a topic (-1 where none). */
export async function committedOffsets(
  bootstrap: string,
  options: { groupId: string; topic: string; partitions: number },
): Promise<number[]> {
  const client = await WireClient.connect(bootstrap, { clientId: "interop-offset-fetch" });
  try {
    const indexes = Array.from({ length: options.partitions }, (_, p) => p);
    const response = await client.send(ApiKey.OffsetFetch, 8, {
      groups: [{ groupId: options.groupId, topics: [{ name: options.topic, partitionIndexes: indexes }] }],
      requireStable: false,
    });
    const group = response.groups[0];
    if (group === undefined || group.errorCode !== 0)
      throw new Error(`OffsetFetch ${options.groupId}: error code ${group?.errorCode ?? "(no answer)"}`);
    const entries = group.topics.find((t) => t.name === options.topic)?.partitions ?? [];
    return indexes.map((p) => {
      const entry = entries.find((e) => e.partitionIndex === p);
      if (entry !== undefined && entry.errorCode !== 0)
        throw new Error(`OffsetFetch ${options.topic}-${p}: error code ${entry.errorCode}`);
      return Number(entry?.committedOffset ?? -1n);
    });
  } finally {
    client.close();
  }
}
