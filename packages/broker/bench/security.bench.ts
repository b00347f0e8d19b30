// `npm run bench:security`: what TLS and SASL cost, on Samsa next to Apache Kafka in the same run.
// Each broker is started through @samsa/testkit's targets (Samsa as `samsa start` with
// samsa.log.durability=os — Kafka does not fsync on produce either — and Kafka 4.4.0 from
// scripts/kafka.sh) with three listeners: PLAINTEXT, SSL (TLS 1.3, no client certificate) and
// SASL_SSL (SCRAM-SHA-512 over TLS). For each listener, Kafka's kafka-producer-perf-test sends the
// records (1 KiB, acks=all, batch.size 16384, linger.ms 5) to a fresh one-partition topic and
// kafka-consumer-perf-test reads them back with a new group; the figures are the tools' MB/s
// (MB = 2^20 bytes). Targets alternate case by case; each case runs `SAMSA_BENCH_REPEATS` times and
// the median is shown. Rewrites its section of docs/benchmarks.md (between bench:security markers).
//
//   SAMSA_BENCH_RECORDS=200000   records per run
//   SAMSA_BENCH_REPEATS=3        runs per case (the median is recorded)
//   SAMSA_BENCH_QUICK=1          a smoke run: 20,000 records, one run per case
import { execFile } from "node:child_process";
import { rmSync, writeFileSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { ApiKey } from "@samsa/protocol";
import { generateTestCertificates, startTarget, uniqueName, WireClient } from "@samsa/testkit";
import type { Target, TargetKind, TestCertificates } from "@samsa/testkit";
import * as prettier from "prettier";
import { parseConsumerPerf, parseProducerPerf } from "./perf-tools.ts";

const root = resolve(import.meta.dirname, "../../..");
const kafkaScript = join(root, "scripts/kafka.sh");
const docsPath = join(root, "docs/benchmarks.md");
const env = process.env;
const quick = env["SAMSA_BENCH_QUICK"] === "1";
const records = Number(env["SAMSA_BENCH_RECORDS"] ?? (quick ? 20_000 : 200_000));
const repeats = Number(env["SAMSA_BENCH_REPEATS"] ?? (quick ? 1 : 3));
const recordBytes = 1024;
const user = { name: "bench", password: "bench-secret" };
const listenerNames = ["PLAINTEXT", "SSL", "SASL_SSL"] as const;
type ListenerName = (typeof listenerNames)[number];
const kinds: readonly TargetKind[] = ["samsa", "kafka"];

interface Measured {
  readonly produceMbPerSec: number[];
  readonly consumeMbPerSec: number[];
}

class BenchError extends Error {
  override readonly name = "BenchError";
}

/** Runs a Kafka tool (bounded); its stdout, or a BenchError with the output's tail. */
function kafkaTool(name: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      "bash",
      [kafkaScript, "tool", name, ...args],
      { cwd: root, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) resolvePromise(stdout);
        else reject(new BenchError(`${name} failed: ${error.message}\n${(stdout + stderr).slice(-2000)}`));
      },
    );
  });
}

function clientConfig(dir: string, listener: ListenerName, certs: TestCertificates): string {
  const path = join(dir, `client-${listener}.properties`);
  const tls = ["ssl.truststore.type=PEM", `ssl.truststore.location=${certs.caCert}`];
  const lines =
    listener === "PLAINTEXT"
      ? []
      : listener === "SSL"
        ? ["security.protocol=SSL", ...tls]
        : [
            "security.protocol=SASL_SSL",
            "sasl.mechanism=SCRAM-SHA-512",
            `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.name}" password="${user.password}";`,
            ...tls,
          ];
  writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
  return path;
}

async function start(kind: TargetKind, certs: TestCertificates): Promise<Target> {
  const target = await startTarget(kind, {
    listeners: [
      { name: "SSL", securityProtocol: "SSL" },
      { name: "SASL_SSL", securityProtocol: "SASL_SSL" },
    ],
    settings: {
      "sasl.enabled.mechanisms": "SCRAM-SHA-512",
      "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": certs.serverPem,
      ...(kind === "samsa" ? { "samsa.log.durability": "os" } : {}),
    },
  });
  const admin = await WireClient.connect(target.bootstrap);
  try {
    const salt = randomBytes(16);
    const altered = await admin.send(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [
        {
          name: user.name,
          mechanism: 2, // SCRAM-SHA-512
          iterations: 4096,
          salt,
          saltedPassword: pbkdf2Sync(user.password, salt, 4096, 64, "sha512"),
        },
      ],
    });
    if (altered.results.some((r) => r.errorCode !== 0)) throw new BenchError(`SCRAM user: ${JSON.stringify(altered)}`);
  } finally {
    admin.close();
  }
  return target;
}

function addressOf(target: Target, listener: ListenerName): string {
  return listener === "PLAINTEXT" ? target.bootstrap : (target.listenerAddresses.get(listener) ?? "");
}

async function createTopic(target: Target, topic: string): Promise<void> {
  const admin = await WireClient.connect(target.bootstrap);
  try {
    const created = await admin.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    if (created.topics.some((t) => t.errorCode !== 0))
      throw new BenchError(`create ${topic}: ${JSON.stringify(created)}`);
  } finally {
    admin.close();
  }
}

async function runCase(target: Target, listener: ListenerName, config: string): Promise<[number, number]> {
  const topic = uniqueName(`bench-sec-${listener.toLowerCase()}`);
  await createTopic(target, topic);
  const address = addressOf(target, listener);
  const timeoutMs = 120_000 + Math.round((records * recordBytes) / 10_000);
  const produced = parseProducerPerf(
    await kafkaTool(
      "producer-perf-test",
      [
        "--topic",
        topic,
        "--num-records",
        String(records),
        "--record-size",
        String(recordBytes),
        "--throughput",
        "-1",
        "--command-config",
        config,
        "--command-property",
        `bootstrap.servers=${address}`,
        "acks=all",
        "batch.size=16384",
        "linger.ms=5",
      ],
      timeoutMs,
    ),
  );
  if (produced === undefined || produced.records !== records) throw new BenchError(`produce on ${listener} fell short`);
  const consumed = parseConsumerPerf(
    await kafkaTool(
      "consumer-perf-test",
      [
        "--bootstrap-server",
        address,
        "--topic",
        topic,
        "--num-records",
        String(records),
        "--group",
        `bench-${topic}`,
        "--timeout",
        "30000",
        "--command-config",
        config,
      ],
      timeoutMs,
    ),
  );
  if (consumed === undefined || consumed.records < records) throw new BenchError(`consume on ${listener} fell short`);
  return [produced.mbPerSec, consumed.fetchMbPerSec];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function render(results: ReadonlyMap<string, Measured>, started: Date, minutes: number): Promise<string> {
  const get = (kind: TargetKind, listener: ListenerName): Measured =>
    results.get(`${kind}/${listener}`) ?? { produceMbPerSec: [], consumeMbPerSec: [] };
  const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "–");
  const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "–");
  const rows = listenerNames.map((listener) => {
    const s = get("samsa", listener);
    const k = get("kafka", listener);
    const [sp, kp, sc, kc] = [
      median(s.produceMbPerSec),
      median(k.produceMbPerSec),
      median(s.consumeMbPerSec),
      median(k.consumeMbPerSec),
    ];
    return `| ${listener} | ${fmt(sp)} | ${fmt(kp)} | ${ratio(sp, kp)} | ${fmt(sc)} | ${fmt(kc)} | ${ratio(sc, kc)} |`;
  });
  const cost = (kind: TargetKind, listener: ListenerName, which: keyof Measured): string => {
    const base = median(get(kind, "PLAINTEXT")[which]);
    const value = median(get(kind, listener)[which]);
    return Number.isFinite(value / base) ? `${Math.round((1 - value / base) * 100)} %` : "–";
  };
  const text = [
    "## Security: TLS and SASL next to Apache Kafka (`packages/broker/bench/security.bench.ts`)",
    "",
    `Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; Apache Kafka 4.4.0 (scripts/kafka.sh, JVM defaults of that script). Run ${started.toISOString()}, ${minutes.toFixed(1)} min; regenerate with \`npm run bench:security\`.`,
    "",
    `Each broker has three listeners: PLAINTEXT, SSL (TLS, no client certificate) and SASL_SSL (SCRAM-SHA-512 over TLS); certificates from openssl (RSA 2048). Samsa runs with \`samsa.log.durability=os\` (Kafka does not fsync on produce either). Per listener and broker: \`kafka-producer-perf-test\` sends ${records.toLocaleString("en-US")} records of ${recordBytes} B (acks=all, batch.size=16384, linger.ms=5) to a fresh one-partition topic, then \`kafka-consumer-perf-test\` reads them back with a new group (fetch MB/s, after the group join). MB = 2^20 bytes, as the tools report. Median of ${repeats} run(s); targets alternate case by case. One 2-core machine runs broker and tools: single figures move by ±20–30 % between runs.`,
    "",
    "| listener | Samsa produce MB/s | Kafka produce MB/s | Samsa ÷ Kafka | Samsa consume MB/s | Kafka consume MB/s | Samsa ÷ Kafka |",
    "| :-- | --: | --: | --: | --: | --: | --: |",
    ...rows,
    "",
    `Cost of encryption against PLAINTEXT on the same broker — produce: Samsa SSL ${cost("samsa", "SSL", "produceMbPerSec")}, SASL_SSL ${cost("samsa", "SASL_SSL", "produceMbPerSec")}; Kafka SSL ${cost("kafka", "SSL", "produceMbPerSec")}, SASL_SSL ${cost("kafka", "SASL_SSL", "produceMbPerSec")}. Consume: Samsa SSL ${cost("samsa", "SSL", "consumeMbPerSec")}, SASL_SSL ${cost("samsa", "SASL_SSL", "consumeMbPerSec")}; Kafka SSL ${cost("kafka", "SSL", "consumeMbPerSec")}, SASL_SSL ${cost("kafka", "SASL_SSL", "consumeMbPerSec")}. SASL adds a login per connection (SCRAM: 4096 PBKDF2 iterations on each side) and nothing per record. Samsa encrypts with node:tls (OpenSSL in the Node process) on its one event loop; Kafka's network threads use the JDK's TLS. Where both brokers show the same TLS figure, the part they share — the Java client tool decrypting on the same two cores — is the likely bound.`,
  ].join("\n");
  return prettier.format(text, { parser: "markdown", printWidth: 120 });
}

function writeSection(section: string): void {
  const startMarker = "<!-- bench:security:start -->";
  const endMarker = "<!-- bench:security:end -->";
  const docs = readFileSync(docsPath, "utf8");
  const block = `${startMarker}\n\n${section.trim()}\n\n${endMarker}`;
  const at = docs.indexOf(startMarker);
  const end = docs.indexOf(endMarker);
  const next =
    at >= 0 && end > at
      ? docs.slice(0, at) + block + docs.slice(end + endMarker.length)
      : `${docs.trimEnd()}\n\n${block}\n`;
  writeFileSync(docsPath, next);
}

async function main(): Promise<void> {
  const started = new Date();
  const certs = generateTestCertificates();
  const targets = new Map<TargetKind, Target>();
  const results = new Map<string, Measured>();
  try {
    for (const kind of kinds) targets.set(kind, await start(kind, certs));
    const configs = new Map(listenerNames.map((l) => [l, clientConfig(certs.dir, l, certs)] as const));
    let turn = 0;
    for (let r = 0; r < repeats; r++) {
      for (const listener of listenerNames) {
        // The order of targets alternates, so drift over the run hits both alike.
        const order = turn++ % 2 === 0 ? kinds : [...kinds].reverse();
        for (const kind of order) {
          const target = targets.get(kind);
          if (target === undefined) continue;
          const [produce, consume] = await runCase(target, listener, configs.get(listener) ?? "");
          const key = `${kind}/${listener}`;
          const m = results.get(key) ?? { produceMbPerSec: [], consumeMbPerSec: [] };
          m.produceMbPerSec.push(produce);
          m.consumeMbPerSec.push(consume);
          results.set(key, m);
          console.log(`${kind} ${listener}: produce ${produce.toFixed(1)} MB/s, consume ${consume.toFixed(1)} MB/s`);
        }
      }
    }
  } finally {
    for (const target of targets.values()) await target.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  }
  const section = await render(results, started, (Date.now() - started.getTime()) / 60_000);
  writeSection(section);
  console.log(section);
}

await main();
