// Exactly-once, part 1 (issue #6): idempotent producers. The Java client (Kafka's
// VerifiableProducer) and librdkafka (confluent-kafka-python) produce numbered records while a
// proxy cuts every connection several times, or while the broker is killed with SIGKILL and
// restarted; reading the partitions back, every number is there exactly once, in order.
// Transactions: exactly-once-transactions.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { uniqueName } from "@samsa/testkit";
import {
  jsonLine,
  kafkaToolsMissing,
  pythonModuleMissing,
  readPartitionLog,
  repoRoot,
  runPythonClient,
  spawnKafkaClass,
  spawnWatched,
  systemPython,
  useProxiedTarget,
} from "./support.ts";
import type { WatchedProcess } from "./support.ts";

const javaSkip = kafkaToolsMissing() ?? false;
const librdkafkaSkip = pythonModuleMissing("confluent_kafka", "python3-confluent-kafka") ?? false;

/** Records per run and the pace they are produced at: long enough for several faults mid-stream. */
const recordCount = 4000;
const recordsPerSecond = 1000;
/** Where, as a fraction of the records acknowledged, the connections are cut. */
const cutFractions = [0.15, 0.3, 0.45, 0.6, 0.75];
/** Where the broker is killed. */
const crashFraction = 0.3;
/**
 * How long the proxy holds the broker's answers during the cut tests: a cut then always finds
 * requests the broker has handled but whose answers are lost, which the producer must retry
 * without writing them twice (without idempotence these runs do produce duplicates).
 */
const answerLatencyMs = 20;
/** A bound on one producer run, faults and a Kafka restart (~10-20 s on 2 cores) included. */
const producerTimeoutMs = 150_000;

interface Acked {
  readonly value: string;
  readonly partition: number;
  readonly offset: number;
}

/** What went wrong with a read-back sequence: duplicates, gaps, disorder, strangers (empty when right). */
function sequenceProblems(values: ReadonlyMap<number, readonly (string | null)[]>, count: number): string[] {
  const problems: string[] = [];
  const times = new Map<number, number>();
  for (const [partition, list] of values) {
    let previous = -1;
    for (const [index, text] of list.entries()) {
      const n = Number(text);
      if (text === null || !Number.isInteger(n) || String(n) !== text || n < 0 || n >= count) {
        problems.push(`partition ${partition}, record ${index}: unexpected value ${JSON.stringify(text)}`);
        continue;
      }
      if (n <= previous) problems.push(`partition ${partition}, record ${index}: ${n} after ${previous}`);
      previous = n;
      times.set(n, (times.get(n) ?? 0) + 1);
    }
  }
  const duplicated = [...times].filter(([, t]) => t > 1).map(([n, t]) => `${n} (${t} times)`);
  if (duplicated.length > 0) problems.push(`duplicates: ${duplicated.slice(0, 20).join(", ")}`);
  const missing = Array.from({ length: count }, (_, n) => n).filter((n) => !times.has(n));
  if (missing.length > 0) problems.push(`missing (${missing.length}): ${missing.slice(0, 20).join(", ")}`);
  return problems.slice(0, 40);
}

describe("exactly-once: idempotent producers through connection cuts and broker crashes", () => {
  const { target, proxy } = useProxiedTarget();

  async function createTopic(topic: string, partitions: number): Promise<void> {
    const answer = await runPythonClient<{ errors: Record<string, string | null> }>(
      "confluent_client.py",
      target().listenAddress,
      "create-topics",
      { topics: [{ name: topic, partitions }] },
    );
    assert.equal(answer.errors[topic], null, `creating ${topic}: ${answer.errors[topic]}`);
  }

  /**
   * Reads every partition back (plain Fetch, straight to the broker) and checks that the numbers
   * 0..count-1 are each there exactly once, increasing within each partition, and that every
   * acknowledgement the producer got names the offset the number really has.
   */
  async function assertExactlyOnce(topic: string, partitions: number, acked: readonly Acked[]): Promise<void> {
    const values = new Map<number, (string | null)[]>();
    const stored = new Map<string, string>(); // "partition/offset" -> value
    for (let partition = 0; partition < partitions; partition++) {
      const log = await readPartitionLog(target().listenAddress, { topic, partition, timeoutMs: 60_000 });
      values.set(
        partition,
        log.records.map((r) => r.value),
      );
      for (const r of log.records) stored.set(`${partition}/${r.offset}`, r.value ?? "null");
    }
    const problems = sequenceProblems(values, recordCount);
    const counts = [...values].map(([p, list]) => `partition ${p}: ${list.length} records`).join(", ");
    assert.deepEqual(problems, [], `${topic} (${counts}) is not exactly the numbers 0..${recordCount - 1}`);
    assert.equal(acked.length, recordCount, "acknowledgements");
    const wrong = acked.filter((a) => stored.get(`${a.partition}/${a.offset}`) !== a.value);
    assert.deepEqual(
      wrong
        .slice(0, 10)
        .map(
          (a) =>
            `${a.value} acked at ${a.partition}/${a.offset}, stored there: ${stored.get(`${a.partition}/${a.offset}`)}`,
        ),
      [],
      `${wrong.length} acknowledgements name the wrong offset`,
    );
  }

  async function withAnswerLatency<T>(run: () => Promise<T>): Promise<T> {
    proxy().latencyMs = answerLatencyMs;
    try {
      return await run();
    } finally {
      proxy().latencyMs = 0;
    }
  }

  /** Kills the broker and starts it again; the promise is awaited later (and never left unhandled). */
  function crashAndRestart(): Promise<void> {
    const restarting = target().restart({ hard: true });
    restarting.catch(() => undefined);
    return restarting;
  }

  /** Calls `fault(i)` once each time acknowledgements pass the next of `fractions`. */
  function faultsAt(fractions: readonly number[], fault: (i: number) => void): (acked: number) => void {
    let next = 0;
    return (acked) => {
      while (next < fractions.length && acked >= Math.floor(recordCount * (fractions[next] ?? 1))) fault(next++);
    };
  }

  // ---------------------------------------------------------------------------------------- Java

  /** VerifiableProducer: values are the decimal numbers 0..max-messages-1, keys null (sticky partitioner). */
  async function runVerifiableProducer(topic: string, onAcked: (acked: number) => void): Promise<Acked[]> {
    const dir = mkdtempSync(join(tmpdir(), "eos-java-"));
    const config = join(dir, "producer.properties");
    // VerifiableProducer sets retries=0, which idempotence refuses; a config file overrides it.
    writeFileSync(
      config,
      [
        "enable.idempotence=true",
        "acks=all",
        "retries=2147483647",
        "max.in.flight.requests.per.connection=5",
        "delivery.timeout.ms=120000",
        "request.timeout.ms=30000",
        "linger.ms=5",
        "reconnect.backoff.max.ms=1000",
        "",
      ].join("\n"),
    );
    const acked: Acked[] = [];
    let proc: WatchedProcess | undefined;
    try {
      proc = spawnKafkaClass(
        "org.apache.kafka.tools.VerifiableProducer",
        [
          "--topic",
          topic,
          "--bootstrap-server",
          proxy().address,
          "--max-messages",
          String(recordCount),
          "--throughput",
          String(recordsPerSecond),
          "--producer.config",
          config,
        ],
        {
          timeoutMs: producerTimeoutMs,
          onLine: (line) => {
            const event = jsonLine(line);
            if (event?.["name"] !== "producer_send_success") return;
            acked.push({
              value: String(event["value"]),
              partition: Number(event["partition"]),
              offset: Number(event["offset"]),
            });
            onAcked(acked.length);
          },
        },
      );
      const result = await proc.exit;
      const errors = proc.lines.filter((line) => jsonLine(line)?.["name"] === "producer_send_error");
      assert.deepEqual(errors.slice(0, 10), [], `send errors\n${proc.describe()}`);
      assert.equal(result.code, 0, `VerifiableProducer failed\n${proc.describe()}`);
      const summary = proc.lines.map(jsonLine).find((e) => e?.["name"] === "tool_data");
      assert.equal(summary?.["acked"], recordCount, `VerifiableProducer's own count\n${proc.describe()}`);
      return acked;
    } finally {
      proc?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("Java client (VerifiableProducer): connections cut mid-stream", { skip: javaSkip }, async () => {
    const topic = uniqueName("eos-idem-java-cut");
    await createTopic(topic, 2);
    const cuts: number[] = [];
    const acked = await withAnswerLatency(() =>
      runVerifiableProducer(
        topic,
        faultsAt(cutFractions, () => cuts.push(proxy().cutConnections())),
      ),
    );
    assert.equal(cuts.length, cutFractions.length, "every cut happened");
    assert.ok(
      cuts.every((n) => n > 0),
      `every cut found live connections to cut: ${cuts.join(", ")}`,
    );
    await assertExactlyOnce(topic, 2, acked);
  });

  test(
    "Java client (VerifiableProducer): broker killed (SIGKILL) and restarted mid-stream",
    { skip: javaSkip },
    async () => {
      const topic = uniqueName("eos-idem-java-crash");
      await createTopic(topic, 2);
      let restarted: Promise<void> | undefined;
      const acked = await runVerifiableProducer(
        topic,
        faultsAt([crashFraction], () => {
          restarted = crashAndRestart();
        }),
      );
      assert.ok(restarted !== undefined, "the broker was killed mid-stream");
      await restarted;
      await assertExactlyOnce(topic, 2, acked);
    },
  );

  // ---------------------------------------------------------------------------------------- librdkafka

  interface ProduceSequenceAnswer {
    readonly delivered: [string, number, number][];
    readonly errors: string[];
    readonly notices: string[];
  }

  /** confluent-kafka-python, enable.idempotence=True: value i to partition i % partitions. */
  async function runLibrdkafkaProducer(
    topic: string,
    partitions: number,
    onAcked: (acked: number) => void,
  ): Promise<Acked[]> {
    const script = join(repoRoot, "test/interop/python/exactly_once.py");
    const proc = spawnWatched(systemPython, [script, proxy().address, "produce-sequence"], {
      cwd: join(repoRoot, "test/interop/python"),
      env: { PYTHONDONTWRITEBYTECODE: "1" },
      input: JSON.stringify({ topic, partitions, count: recordCount, ratePerSecond: recordsPerSecond }),
      timeoutMs: producerTimeoutMs,
      onLine: (line) => {
        const progress = jsonLine(line)?.["progress"];
        if (typeof progress === "object" && progress !== null && "acked" in progress) onAcked(Number(progress.acked));
      },
    });
    try {
      const result = await proc.exit;
      assert.equal(result.code, 0, `the librdkafka producer failed\n${proc.describe()}`);
      const answer = jsonLine(proc.lines.at(-1) ?? "") as ProduceSequenceAnswer | undefined;
      assert.ok(answer?.delivered !== undefined, `no answer\n${proc.describe()}`);
      assert.deepEqual(answer.errors, [], `delivery errors\n${proc.describe()}`);
      return answer.delivered.map(([value, partition, offset]) => ({ value, partition, offset }));
    } finally {
      proc.kill();
    }
  }

  test("librdkafka (confluent-kafka-python): connections cut mid-stream", { skip: librdkafkaSkip }, async () => {
    const topic = uniqueName("eos-idem-rdkafka-cut");
    await createTopic(topic, 3);
    const cuts: number[] = [];
    const acked = await withAnswerLatency(() =>
      runLibrdkafkaProducer(
        topic,
        3,
        faultsAt(cutFractions, () => cuts.push(proxy().cutConnections())),
      ),
    );
    assert.equal(cuts.length, cutFractions.length, "every cut happened");
    assert.ok(
      cuts.every((n) => n > 0),
      `every cut found live connections to cut: ${cuts.join(", ")}`,
    );
    await assertExactlyOnce(topic, 3, acked);
  });

  test(
    "librdkafka (confluent-kafka-python): broker killed (SIGKILL) and restarted mid-stream",
    { skip: librdkafkaSkip },
    async () => {
      const topic = uniqueName("eos-idem-rdkafka-crash");
      await createTopic(topic, 3);
      let restarted: Promise<void> | undefined;
      const acked = await runLibrdkafkaProducer(
        topic,
        3,
        faultsAt([crashFraction], () => {
          restarted = crashAndRestart();
        }),
      );
      assert.ok(restarted !== undefined, "the broker was killed mid-stream");
      await restarted;
      await assertExactlyOnce(topic, 3, acked);
    },
  );
});
