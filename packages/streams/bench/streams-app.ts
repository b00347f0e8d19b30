// The Samsa Streams side of streams.bench.ts, run as its own process (so its CPU time is its own):
// one topology of topologies.ts with the settings java/StreamsBench.java gives Kafka Streams, and
// the same measurement — clock and process CPU time (user + system, all threads) read at the first
// input record and at the N-th — printed as one JSON line on stdout.
//
// Usage: node packages/streams/bench/streams-app.ts --topology map-filter|windowed-count|stream-table-join
//   --bootstrap HOST:PORT --input TOPIC --output TOPIC --records N --application-id ID --state-dir DIR
//   [--commit-interval-ms 1000] [--store in-memory|persistent] [--window-ms 60000] [--timeout-ms 600000]
//   [--table TOPIC] (stream-table-join)
import { stderrJsonLogger } from "../src/index.ts";
import type { StoreType } from "../src/index.ts";
import { KafkaStreams } from "../src/runtime/index.ts";
import { isTopologyName, topologies } from "./topologies.ts";

const started = process.hrtime.bigint();

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i] ?? "";
    const value = argv[i + 1];
    if (!name.startsWith("--") || value === undefined) throw new Error(`expected --name value pairs, got ${name}`);
    out.set(name.slice(2), value);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
function required(name: string): string {
  const value = args.get(name);
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}
function integer(name: string, fallback: number): number {
  const value = Number(args.get(name) ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const topologyName = required("topology");
if (!isTopologyName(topologyName)) throw new Error(`unknown topology ${topologyName}`);
const records = integer("records", 0);
const timeoutMs = integer("timeout-ms", 600_000);
const store = args.get("store") ?? "in-memory";
if (store !== "in-memory" && store !== "persistent") throw new Error(`--store: in-memory or persistent, got ${store}`);
const storeType: StoreType = store;

interface Mark {
  readonly monoNs: bigint;
  readonly cpu: NodeJS.CpuUsage;
}
let count = 0;
let first: Mark | undefined;
let last: Mark | undefined;
let reached: () => void = () => undefined;
const done = new Promise<void>((resolve) => (reached = resolve));

function onInput(): void {
  if (count === 0) first = { monoNs: process.hrtime.bigint(), cpu: process.cpuUsage() };
  count++;
  if (count === records) {
    last = { monoNs: process.hrtime.bigint(), cpu: process.cpuUsage() };
    reached();
  }
}

const topology = topologies[topologyName]
  .build({
    input: required("input"),
    output: required("output"),
    onInput,
    storeType,
    windowMs: integer("window-ms", 60_000),
    table: args.get("table") ?? "",
    logger: stderrJsonLogger,
  })
  .build();
const streams = new KafkaStreams(topology, {
  applicationId: required("application-id"),
  bootstrapServers: required("bootstrap"),
  stateDir: required("state-dir"),
  processingGuarantee: "at_least_once",
  commitIntervalMs: integer("commit-interval-ms", 1000),
  uncaughtErrorHandler: "shutdown-client",
});
let failed = false;
const failure = new Promise<void>((resolve) => {
  streams.onStateChange((next) => {
    if (next === "ERROR") {
      failed = true;
      resolve();
    }
  });
});
let timer: NodeJS.Timeout | undefined;
const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));

await streams.start();
await Promise.race([done, failure, timedOut]);
clearTimeout(timer);
const closeStarted = process.hrtime.bigint();
// close() flushes the producer and commits: what is left of the work, reported apart.
const closedCleanly = await streams.close({ timeoutMs: 60_000 });
const closeEnd: Mark = { monoNs: process.hrtime.bigint(), cpu: process.cpuUsage() };

if (failed) {
  process.stderr.write("streams-app: the application failed (state ERROR)\n");
  process.exit(1);
}
if (first === undefined || last === undefined) {
  process.stderr.write(`streams-app: processed ${count} of ${records} records in ${timeoutMs} ms\n`);
  process.exit(1);
}
const ms = (ns: bigint): number => Number(ns) / 1e6;
const cpuUs = (mark: Mark): number => mark.cpu.user + mark.cpu.system;
process.stdout.write(
  `${JSON.stringify({
    framework: "samsa",
    topology: topologyName,
    records,
    elapsedMs: ms(last.monoNs - first.monoNs),
    cpuMs: (cpuUs(last) - cpuUs(first)) / 1000,
    startToFirstMs: ms(first.monoNs - started),
    // Node's own start (what a user waits for): process.uptime() counts from it.
    processStartToFirstMs: Math.round(process.uptime() * 1000 - ms(process.hrtime.bigint() - first.monoNs)),
    closeMs: ms(closeEnd.monoNs - closeStarted),
    // First record to the end of close(): the output flushed and the offsets committed.
    throughCloseMs: ms(closeEnd.monoNs - first.monoNs),
    throughCloseCpuMs: (cpuUs(closeEnd) - cpuUs(first)) / 1000,
    closedCleanly,
    // CLOCK_MONOTONIC in µs, the clock of V8's CPU profiles: the harness cuts a profile to this window.
    firstMonoUs: Number(first.monoNs / 1000n),
    lastMonoUs: Number(last.monoNs / 1000n),
  })}\n`,
);
process.exit(0);
