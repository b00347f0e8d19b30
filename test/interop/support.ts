// Shared helpers of the interoperability suite: the target (Samsa or Kafka, from SAMSA_TEST_TARGET)
// started once per test file, bounded child processes for the real clients, sample records, and a
// client-independent read-back path (Fetch through @samsa/testkit's WireClient).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { ApiKey, decodeRecords, iterateBatches } from "@samsa/protocol";
import type { CompressionCodec } from "@samsa/protocol";
import { startTarget, targetFromEnv, waitFor, WireClient } from "@samsa/testkit";
import type { Target, TargetKind } from "@samsa/testkit";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const targetKind: TargetKind = targetFromEnv();
export const codecs = ["none", "gzip", "snappy", "lz4", "zstd"] as const satisfies readonly CompressionCodec[];

/** The issue that brings consumer groups (FindCoordinator, JoinGroup, ...) to Samsa. */
export const consumerGroupsIssue = "#5";

/**
 * Starts the target in `before` and stops it in `after` (the stop is bounded and forced if need
 * be, and also happens when the test process exits early). Returns an accessor for the tests.
 */
export function useTarget(): () => Target {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget(targetKind);
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
