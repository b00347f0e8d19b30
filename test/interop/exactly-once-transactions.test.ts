// Exactly-once, part 2 (issue #6): transactions. Kafka's TransactionalMessageCopier (the Java
// client) copies a topic transactionally while it is killed twice and restarted, and while a
// proxy cuts every connection; librdkafka (confluent-kafka-python) commits and aborts, sends
// consumer offsets in a transaction; a zombie producer (Java, librdkafka) is fenced;
// kafka-transactions.sh lists and describes what is going on. Who may see what is judged twice:
// by real read_committed / read_uncommitted consumers, and by reading the log with plain Fetch
// requests and following each producer's commit and abort markers.
// Idempotent producers: exactly-once.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { uniqueName, waitFor } from "@samsa/testkit";
import {
  committedOffset,
  jsonLine,
  kafkaToolOk,
  kafkaToolsMissing,
  PythonSession,
  pythonModuleMissing,
  readPartitionLog,
  runPythonClient,
  spawnKafkaClass,
  useProxiedTarget,
} from "./support.ts";
import type { LoggedRecord, PartitionLog, SessionAnswer, WatchedProcess } from "./support.ts";

const javaSkip = kafkaToolsMissing() ?? false;
const librdkafkaSkip = pythonModuleMissing("confluent_kafka", "python3-confluent-kafka") ?? false;

/** Kafka's error code for OffsetFetch with requireStable while a transaction holds offsets. */
const UNSTABLE_OFFSET_COMMIT = 88;
/** How librdkafka names being fenced: its own _FENCED, or the broker's error as it came. */
const fencedNames = new Set(["_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"]);

/** How the Java client names being fenced (an exception's simple class name, anywhere in the cause chain). */
const javaFencedErrors = new Set(["ProducerFencedException", "InvalidProducerEpochException"]);

/**
 * Two Java producers with one transactional.id, step by step, one JSON line per step: run with
 * java's single-file source launcher (Kafka's tools have no interactive transactional producer).
 */
const zombieJavaSource = String.raw`import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Two producers with one transactional.id: the older one (the zombie) must be fenced. */
public class TransactionalZombie {
  interface Step { void run() throws Exception; }

  static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("transactional.id", transactionalId);
    props.put("max.block.ms", "30000");
    props.put("request.timeout.ms", "15000");
    props.put("delivery.timeout.ms", "30000");
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  static String quote(String text) {
    return text == null ? "null" : "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  static void step(String name, Step step) {
    try {
      step.run();
      System.out.println("{\"step\":" + quote(name) + ",\"ok\":true}");
    } catch (Exception error) {
      List<String> chain = new ArrayList<>();
      for (Throwable t = error; t != null && chain.size() < 8; t = t.getCause()) chain.add(quote(t.getClass().getSimpleName()));
      System.out.println("{\"step\":" + quote(name) + ",\"ok\":false,\"errors\":" + chain + ",\"message\":" + quote(String.valueOf(error.getMessage())) + "}");
    }
    System.out.flush();
  }

  public static void main(String[] args) {
    String bootstrap = args[0], topic = args[1], transactionalId = args[2];
    KafkaProducer<String, String> zombie = producer(bootstrap, transactionalId);
    KafkaProducer<String, String> successor = producer(bootstrap, transactionalId);
    step("zombie-init", zombie::initTransactions);
    step("zombie-begin", zombie::beginTransaction);
    step("zombie-send", () -> zombie.send(new ProducerRecord<>(topic, 0, null, "zombie-0")).get());
    step("successor-init", successor::initTransactions);
    step("zombie-send-after-fencing", () -> zombie.send(new ProducerRecord<>(topic, 0, null, "zombie-1")).get());
    step("zombie-commit", zombie::commitTransaction);
    step("successor-begin", successor::beginTransaction);
    step("successor-send", () -> successor.send(new ProducerRecord<>(topic, 0, null, "successor-0")).get());
    step("successor-commit", successor::commitTransaction);
    zombie.close(Duration.ofSeconds(5));
    successor.close(Duration.ofSeconds(5));
  }
}
`;

type Isolation = "read_committed" | "read_uncommitted";
type Consumed = [partition: number, offset: number, value: string | null];

describe("exactly-once: transactions", () => {
  const { target, proxy } = useProxiedTarget();
  /** Clients bootstrap at the proxy; after the bootstrap, the target sends them there anyway. */
  const bootstrap = (): string => proxy().address;
  /** The read-back path goes straight to the broker. */
  const direct = (): string => target().listenAddress;

  async function createTopics(topics: readonly { name: string; partitions: number }[]): Promise<void> {
    const answer = await runPythonClient<{ errors: Record<string, string | null> }>(
      "confluent_client.py",
      bootstrap(),
      "create-topics",
      { topics },
    );
    for (const { name } of topics) assert.equal(answer.errors[name], null, `creating ${name}: ${answer.errors[name]}`);
  }

  /** Non-transactional (idempotent) records with the values first..first+count-1, all to partition 0. */
  async function produceNumbers(topic: string, count: number, first = 0): Promise<void> {
    const answer = await runPythonClient<{ delivered: unknown[]; errors: string[] }>(
      "exactly_once.py",
      bootstrap(),
      "produce-sequence",
      { topic, partitions: 1, count, first },
    );
    assert.deepEqual(answer.errors, []);
    assert.equal(answer.delivered.length, count);
  }

  /** What a librdkafka consumer sees, from the beginning to the end (the last stable offset for read_committed). */
  async function consume(topic: string, partitions: readonly number[], isolation: Isolation): Promise<Consumed[]> {
    const answer = await runPythonClient<{ records: Consumed[] }>(
      "exactly_once.py",
      bootstrap(),
      "consume",
      { topic, partitions, isolation, timeoutMs: 60_000 },
      { timeoutMs: 90_000 },
    );
    return answer.records;
  }

  const valuesOf = (records: readonly Consumed[], partition: number): (string | null)[] =>
    records.filter(([p]) => p === partition).map(([, , v]) => v);
  const logValues = (log: PartitionLog, outcome?: LoggedRecord["outcome"]): (string | null)[] =>
    log.records.filter((r) => outcome === undefined || r.outcome === outcome).map((r) => r.value);

  /**
   * The logs of the partitions once no transaction is open in them: commit and abort markers are
   * written after EndTxn is answered, so a consumer right after a commit may not see it yet.
   */
  async function stableLogs(topic: string, partitions: readonly number[]): Promise<PartitionLog[]> {
    let last: PartitionLog[] = [];
    return waitFor(
      async () => {
        last = [];
        for (const partition of partitions) last.push(await readPartitionLog(direct(), { topic, partition }));
        const stable = last.every(
          (log) => log.lastStableOffset === log.highWatermark && !log.records.some((r) => r.outcome === "open"),
        );
        return stable ? last : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `no open transaction in ${topic}` },
    ).catch((error: unknown) => {
      const open = last.flatMap((log) => log.records.filter((r) => r.outcome === "open"));
      throw new Error(`${String(error)}; open: ${open.length} records, from ${open[0]?.partition}/${open[0]?.offset}`, {
        cause: error,
      });
    });
  }

  /** Waits until a group's offset for partition 0 is `expected` and no transaction holds it. */
  async function stableOffset(options: {
    groupId: string;
    topic: string;
    expected: bigint;
    what: string;
  }): Promise<void> {
    let last: { offset: bigint; errorCode: number } | undefined;
    await waitFor(
      async () => {
        last = await committedOffset(direct(), { ...options, partition: 0, requireStable: true });
        return last.errorCode === 0 && last.offset === options.expected;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `${options.what}: ${options.expected}` },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last seen ${last?.offset} (error code ${last?.errorCode})`, { cause: error });
    });
  }

  /**
   * The read_committed consumer saw exactly the committed (and non-transactional) records of the
   * log, by offset, up to the last stable offset: never an aborted or open one.
   */
  function assertCommittedView(log: PartitionLog, consumed: readonly Consumed[], partition: number): void {
    const visible = log.records
      .filter((r) => (r.outcome === "committed" || r.outcome === "none") && r.offset < log.lastStableOffset)
      .map((r) => [partition, Number(r.offset), r.value]);
    const seen = consumed.filter(([p]) => p === partition);
    assert.deepEqual(seen, visible, `read_committed view of partition ${partition}`);
    const hidden = new Set(
      log.records.filter((r) => r.outcome === "aborted" || r.outcome === "open").map((r) => Number(r.offset)),
    );
    const leaked = seen.filter(([, offset]) => hidden.has(offset));
    assert.deepEqual(leaked, [], `read_committed saw aborted or open records of partition ${partition}`);
  }

  // ---------------------------------------------------------------------------------------- Java

  test(
    "Java client (TransactionalMessageCopier): killed twice (once mid-transaction) and restarted, each input copied exactly once",
    { skip: javaSkip },
    async (t) => {
      const input = uniqueName("eos-copier-in");
      const output = uniqueName("eos-copier-out");
      const transactionalId = uniqueName("eos-copier");
      const groupId = uniqueName("eos-copier-group");
      const count = 3000;
      const killAfter = 600; // records copied (committed) by one run before it is killed
      await createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      await produceNumbers(input, count);

      const args = [
        "--input-topic",
        input,
        "--input-partition",
        "0",
        "--output-topic",
        output,
        "--broker-list",
        bootstrap(),
        "--transactional-id",
        transactionalId,
        "--consumer-group",
        groupId,
        "--use-group-metadata",
        "--transaction-size",
        "50",
        "--enable-random-aborts",
        // A killed run may leave its offsets pending in an open transaction; the next run reads
        // its position (read_committed: stable offsets only) before it fences the old one, so it
        // waits for the coordinator to abort that transaction on timeout: keep the timeout short.
        "--transaction-timeout",
        "10000",
      ];
      const progress = (line: string): number | undefined => {
        const status = jsonLine(line);
        return status?.["stage"] === "ProcessLoop" ? Number(status["totalProcessed"]) : undefined;
      };
      const runs: string[] = [];
      const copy = (): WatchedProcess =>
        spawnKafkaClass("org.apache.kafka.tools.TransactionalMessageCopier", args, { timeoutMs: 150_000 });
      const copiedEnough = (copier: WatchedProcess): Promise<true> =>
        copier.waitForLine((line) => ((progress(line) ?? 0) >= killAfter ? true : undefined), {
          timeoutMs: 120_000,
          what: `${killAfter} records copied`,
        });

      // Run 1 is killed as soon as it reports enough copied: between two transactions, mostly.
      let first: WatchedProcess | undefined;
      try {
        first = copy();
        await copiedEnough(first);
        first.kill("SIGKILL");
        await first.exit;
        runs.push(first.describe());
      } finally {
        first?.kill();
      }

      // Run 2 is frozen (SIGSTOP) and looked at until it is caught with a transaction open in the
      // output, and killed right then.
      let second: WatchedProcess | undefined;
      let openAtKill: readonly bigint[];
      try {
        const copier = copy();
        second = copier;
        await copiedEnough(copier);
        openAtKill = await waitFor(
          async () => {
            copier.kill("SIGSTOP");
            const log = await readPartitionLog(direct(), { topic: output, partition: 0 }).catch((error: unknown) => {
              copier.kill("SIGCONT");
              throw error;
            });
            const open = log.records.filter((r) => r.outcome === "open").map((r) => r.offset);
            if (open.length > 0) {
              copier.kill("SIGKILL");
              return open;
            }
            copier.kill("SIGCONT");
            if (copier.exited)
              throw new Error(`the copier ended before it was caught mid-transaction\n${copier.describe()}`);
            return undefined;
          },
          { timeoutMs: 60_000, intervalMs: 5, what: "the second copier caught with a transaction open" },
        );
        const result = await copier.exit;
        runs.push(copier.describe());
        assert.equal(result.signal, "SIGKILL", `run 2 was to be killed mid-transaction\n${copier.describe()}`);
      } finally {
        second?.kill();
      }

      // Run 3 finishes the copy while every connection is cut now and then (the broker's own
      // connections to itself, which carry Kafka's transaction markers, included).
      let last: WatchedProcess | undefined;
      const cuts: number[] = [];
      const cutAt = [300, 700, 1100];
      try {
        last = spawnKafkaClass("org.apache.kafka.tools.TransactionalMessageCopier", args, {
          timeoutMs: 150_000,
          onLine: (line) => {
            const copied = progress(line) ?? 0;
            while (cuts.length < cutAt.length && copied >= (cutAt[cuts.length] ?? Infinity)) {
              cuts.push(proxy().cutConnections());
            }
          },
        });
        const result = await last.exit;
        assert.equal(result.code, 0, `the last run was to finish the copy\n${last.describe()}\n\n${runs.join("\n\n")}`);
      } finally {
        last?.kill();
      }
      assert.equal(cuts.length, cutAt.length, "the connections were cut during the last run");
      assert.ok(
        cuts.every((n) => n > 0),
        `every cut found live connections: ${cuts.join(", ")}`,
      );

      const [log] = await stableLogs(output, [0]);
      assert.ok(log !== undefined);
      const numbers = Array.from({ length: count }, (_, i) => String(i));
      const committed = await consume(output, [0], "read_committed");
      assert.deepEqual(valuesOf(committed, 0), numbers, "read_committed sees each input once, in order");
      const uncommitted = await consume(output, [0], "read_uncommitted");
      assert.ok(
        uncommitted.length > count,
        `read_uncommitted sees the aborted copies too (random aborts, killed runs): ${uncommitted.length} records`,
      );
      assert.deepEqual(logValues(log, "committed"), numbers, "the committed records of the log");
      assert.ok(logValues(log, "aborted").length > 0, "some copies were aborted");
      // Aborted when the successor fenced it; committed when the killed run had asked for the
      // commit before it was frozen (the coordinator finishes what it was asked): either way, one
      // outcome for the whole transaction.
      const outcomes = new Set(openAtKill.map((offset) => log.records.find((r) => r.offset === offset)?.outcome));
      assert.ok(
        outcomes.size === 1 && (outcomes.has("aborted") || outcomes.has("committed")),
        `the transaction open when run 2 was killed ended ${[...outcomes].join(" and ")}`,
      );
      t.diagnostic(`the transaction open when run 2 was killed ended ${[...outcomes].join("")}`);
      assertCommittedView(log, committed, 0);
      assert.deepEqual(
        uncommitted.map(([, offset, value]) => [offset, value]),
        log.records.map((r) => [Number(r.offset), r.value]),
        "read_uncommitted sees every data record",
      );
      await stableOffset({
        groupId,
        topic: input,
        expected: BigInt(count),
        what: "the offset committed with the copies",
      });
    },
  );

  // ---------------------------------------------------------------------------------------- librdkafka

  async function session(): Promise<PythonSession> {
    return PythonSession.start("exactly_once.py", bootstrap());
  }

  test(
    "librdkafka: committed data is visible to read_committed, aborted never, open only once committed",
    { skip: librdkafkaSkip },
    async () => {
      const topic = uniqueName("eos-txn");
      await createTopics([{ name: topic, partitions: 2 }]);
      const labels = (prefix: string, partition: number): string[] =>
        Array.from({ length: 5 }, (_, i) => `${prefix}-p${partition}-${i}`);
      const producer = await session();
      try {
        await producer.ok({ op: "init", transactionalId: uniqueName("eos-txn-id") });
        await producer.ok({ op: "begin" });
        for (const p of [0, 1])
          await producer.ok({ op: "produce", topic, partition: p, values: labels("committed", p) });
        await producer.ok({ op: "commit" });
        await producer.ok({ op: "begin" });
        for (const p of [0, 1]) await producer.ok({ op: "produce", topic, partition: p, values: labels("aborted", p) });
        await producer.ok({ op: "abort" });
        await producer.ok({ op: "begin" });
        await producer.ok({ op: "produce", topic, partition: 0, values: labels("open", 0) });

        // While the third transaction is open, partition 0 is stable only up to its first record.
        const open = await readPartitionLog(direct(), { topic, partition: 0 });
        const firstOpen = open.records.find((r) => r.value === "open-p0-0");
        assert.equal(
          open.lastStableOffset,
          firstOpen?.offset,
          "last stable offset: the open transaction's first record",
        );
        assert.deepEqual(logValues(open, "open"), labels("open", 0));
        const whileOpen = await consume(topic, [0, 1], "read_committed");
        for (const p of [0, 1])
          assert.deepEqual(valuesOf(whileOpen, p), labels("committed", p), `read_committed, partition ${p}, open`);
        assertCommittedView(open, whileOpen, 0);
        const allWhileOpen = await consume(topic, [0, 1], "read_uncommitted");
        assert.deepEqual(valuesOf(allWhileOpen, 0), [
          ...labels("committed", 0),
          ...labels("aborted", 0),
          ...labels("open", 0),
        ]);
        assert.deepEqual(valuesOf(allWhileOpen, 1), [...labels("committed", 1), ...labels("aborted", 1)]);

        await producer.ok({ op: "commit" });
        const logs = await stableLogs(topic, [0, 1]);
        const afterCommit = await consume(topic, [0, 1], "read_committed");
        assert.deepEqual(valuesOf(afterCommit, 0), [...labels("committed", 0), ...labels("open", 0)]);
        assert.deepEqual(valuesOf(afterCommit, 1), labels("committed", 1));
        for (const p of [0, 1]) {
          const log = logs[p];
          assert.ok(log !== undefined);
          assert.deepEqual(logValues(log, "aborted"), labels("aborted", p), `aborted records of partition ${p}`);
          assert.deepEqual(
            log.markers.map((m) => m.type),
            p === 0 ? ["commit", "abort", "commit"] : ["commit", "abort"],
            `markers of partition ${p}`,
          );
          assert.equal(log.lastStableOffset, log.highWatermark, `partition ${p} is stable to its end`);
          assertCommittedView(log, afterCommit, p);
        }
        const all = await consume(topic, [0, 1], "read_uncommitted");
        for (const p of [0, 1]) assert.equal(valuesOf(all, p).filter((v) => v?.startsWith("aborted-")).length, 5);
      } finally {
        await producer.close();
      }
    },
  );

  test(
    "librdkafka: send_offsets_to_transaction — a group's offsets are visible only after the commit",
    { skip: librdkafkaSkip },
    async () => {
      const input = uniqueName("eos-offsets-in");
      const output = uniqueName("eos-offsets-out");
      const groupId = uniqueName("eos-offsets-group");
      await createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      await produceNumbers(input, 10);
      const offsetOf = (requireStable: boolean): Promise<{ offset: bigint; errorCode: number }> =>
        committedOffset(direct(), { groupId, topic: input, partition: 0, requireStable });
      const waitStable = (expected: bigint, what: string): Promise<void> =>
        stableOffset({ groupId, topic: input, expected, what });
      const numbers = (from: number, to: number): string[] =>
        Array.from({ length: to - from }, (_, i) => String(from + i));

      const producer = await session();
      try {
        await producer.ok({ op: "init", transactionalId: uniqueName("eos-offsets-id") });
        // Copy 0..4, with the input offset 5, and look before committing.
        await producer.ok({ op: "begin" });
        await producer.ok({ op: "produce", topic: output, partition: 0, values: numbers(0, 5) });
        await producer.ok({ op: "send-offsets", groupId, offsets: [[input, 0, 5]] });
        assert.deepEqual(await offsetOf(false), { offset: -1n, errorCode: 0 }, "no offset before the commit");
        assert.deepEqual(
          await offsetOf(true),
          { offset: -1n, errorCode: UNSTABLE_OFFSET_COMMIT },
          "requireStable: the offset is pending in a transaction",
        );
        await producer.ok({ op: "commit" });
        await waitStable(5n, "the offset 5 committed with the transaction");

        // An aborted copy of 5..9 leaves the offset where it was.
        await producer.ok({ op: "begin" });
        await producer.ok({ op: "produce", topic: output, partition: 0, values: numbers(5, 10) });
        await producer.ok({ op: "send-offsets", groupId, offsets: [[input, 0, 10]] });
        await producer.ok({ op: "abort" });
        await waitStable(5n, "the offset still 5 after the abort");
        assert.deepEqual(await offsetOf(false), { offset: 5n, errorCode: 0 });

        await producer.ok({ op: "begin" });
        await producer.ok({ op: "produce", topic: output, partition: 0, values: numbers(5, 10) });
        await producer.ok({ op: "send-offsets", groupId, offsets: [[input, 0, 10]] });
        await producer.ok({ op: "commit" });
        await waitStable(10n, "the offset 10 committed with the second copy");
      } finally {
        await producer.close();
      }
      await stableLogs(output, [0]);
      assert.deepEqual(valuesOf(await consume(output, [0], "read_committed"), 0), numbers(0, 10));
      assert.equal((await consume(output, [0], "read_uncommitted")).length, 15);

      // A member of the group starts where the transactions left it.
      await produceNumbers(input, 3, 10);
      const member = await runPythonClient<{ records: { value: string | null }[] }>(
        "confluent_client.py",
        bootstrap(),
        "subscribe",
        { topic: input, groupId, count: 3, timeoutMs: 60_000 },
      );
      assert.deepEqual(
        member.records.map((r) => (r.value === null ? null : Buffer.from(r.value, "base64").toString("utf8"))),
        ["10", "11", "12"],
        "a group member resumes from the transactionally committed offset",
      );
    },
  );

  test(
    "Java client: a zombie producer (same transactional.id, older epoch) is fenced",
    { skip: javaSkip },
    async () => {
      const topic = uniqueName("eos-zombie-java");
      await createTopics([{ name: topic, partitions: 1 }]);
      const dir = mkdtempSync(join(tmpdir(), "eos-zombie-"));
      const source = join(dir, "TransactionalZombie.java");
      writeFileSync(source, zombieJavaSource);
      let proc: WatchedProcess | undefined;
      try {
        proc = spawnKafkaClass(source, [bootstrap(), topic, uniqueName("eos-zombie-java-id")], {
          timeoutMs: 120_000,
        });
        const result = await proc.exit;
        assert.equal(result.code, 0, proc.describe());
        const steps = new Map(
          proc.lines.map(jsonLine).flatMap((s) => (s === undefined ? [] : [[String(s["step"]), s]])),
        );
        for (const name of ["zombie-init", "zombie-begin", "zombie-send", "successor-init"]) {
          assert.equal(steps.get(name)?.["ok"], true, `${name}\n${proc.describe()}`);
        }
        for (const name of ["zombie-send-after-fencing", "zombie-commit"]) {
          const step = steps.get(name);
          const errors = Array.isArray(step?.["errors"]) ? step["errors"].map(String) : [];
          assert.ok(
            step?.["ok"] === false && errors.some((e) => javaFencedErrors.has(e)),
            `${name} must fail as fenced: ${JSON.stringify(step)}\n${proc.describe()}`,
          );
        }
        for (const name of ["successor-begin", "successor-send", "successor-commit"]) {
          assert.equal(steps.get(name)?.["ok"], true, `${name}\n${proc.describe()}`);
        }
      } finally {
        proc?.kill();
        rmSync(dir, { recursive: true, force: true });
      }
      const [log] = await stableLogs(topic, [0]);
      assert.ok(log !== undefined);
      const committed = await consume(topic, [0], "read_committed");
      assert.deepEqual(valuesOf(committed, 0), ["successor-0"], "only the successor's data is committed");
      assert.deepEqual(
        log.records.filter((r) => r.value?.startsWith("zombie-")).map((r) => [r.value, r.outcome]),
        [["zombie-0", "aborted"]],
        "the zombie's record is aborted (and the one sent after fencing never written)",
      );
      assertCommittedView(log, committed, 0);
    },
  );

  test(
    "librdkafka: a zombie producer (same transactional.id, older epoch) is fenced",
    { skip: librdkafkaSkip },
    async () => {
      const topic = uniqueName("eos-zombie");
      const transactionalId = uniqueName("eos-zombie-id");
      await createTopics([{ name: topic, partitions: 1 }]);
      const zombie = await session();
      const successor = await session();
      try {
        await zombie.ok({ op: "init", transactionalId });
        await zombie.ok({ op: "begin" });
        await zombie.ok({ op: "produce", topic, partition: 0, values: ["zombie-0", "zombie-1"] });

        // A second producer with the same transactional.id: a newer epoch, the old transaction aborted.
        await successor.ok({ op: "init", transactionalId });
        const produced = await zombie.call({ op: "produce", topic, partition: 0, values: ["zombie-2"] });
        const committed = await zombie.call({ op: "commit" });
        const fenced = (answer: SessionAnswer<object>): boolean =>
          "error" in answer && fencedNames.has(answer.error.name);
        assert.ok(
          fenced(produced) || fenced(committed),
          `the zombie is fenced: produce → ${JSON.stringify(produced)}, commit → ${JSON.stringify(committed)}\n${zombie.describe()}`,
        );
        assert.ok("error" in committed, `the zombie's commit must fail: ${JSON.stringify(committed)}`);
        assert.equal(committed.error.fatal, true, `being fenced is fatal: ${JSON.stringify(committed.error)}`);

        await successor.ok({ op: "begin" });
        await successor.ok({ op: "produce", topic, partition: 0, values: ["successor-0", "successor-1"] });
        await successor.ok({ op: "commit" });
      } finally {
        await zombie.close();
        await successor.close();
      }
      const [log] = await stableLogs(topic, [0]);
      assert.ok(log !== undefined);
      const committed = await consume(topic, [0], "read_committed");
      assert.deepEqual(
        valuesOf(committed, 0),
        ["successor-0", "successor-1"],
        "only the successor's data is committed",
      );
      const zombieRecords = log.records.filter((r) => r.value?.startsWith("zombie-"));
      assert.ok(
        zombieRecords.length >= 2,
        `the zombie's first records are in the log: ${JSON.stringify(logValues(log))}`,
      );
      assert.deepEqual(
        zombieRecords.map((r) => r.outcome),
        zombieRecords.map(() => "aborted"),
        "the zombie's records are aborted",
      );
      const successorRecords = log.records.filter((r) => r.value?.startsWith("successor-"));
      const [zombieRecord] = zombieRecords;
      const [successorRecord] = successorRecords;
      assert.ok(zombieRecord !== undefined && successorRecord !== undefined);
      assert.equal(successorRecord.producerId, zombieRecord.producerId, "one producer id for one transactional.id");
      assert.ok(successorRecord.producerEpoch > zombieRecord.producerEpoch, "the successor has a newer epoch");
      assertCommittedView(log, committed, 0);
    },
  );

  // ---------------------------------------------------------------------------------------- kafka-transactions.sh

  /** The rows of a tab-separated table as kafka-transactions.sh prints it, by column name. */
  function table(stdout: string): Record<string, string>[] {
    const [header, ...rows] = stdout.split("\n").filter((line) => line.trim() !== "");
    const names = (header ?? "").split("\t").map((name) => name.trim());
    return rows.map((row) => {
      const cells = row.split("\t").map((cell) => cell.trim());
      return Object.fromEntries(
        names.map((name, i): [string, string] => [name, cells[i] ?? ""]).filter(([name]) => name !== ""),
      );
    });
  }

  test(
    "kafka-transactions.sh: list, describe and describe-producers show an open and then a committed transaction",
    { skip: javaSkip || librdkafkaSkip },
    async () => {
      const topic = uniqueName("eos-tool");
      const transactionalId = uniqueName("eos-tool-id");
      await createTopics([{ name: topic, partitions: 1 }]);
      const tool = async (args: readonly string[]): Promise<Record<string, string>[]> =>
        table((await kafkaToolOk("transactions", ["--bootstrap-server", bootstrap(), ...args])).stdout);
      const producer = await session();
      try {
        await producer.ok({ op: "init", transactionalId });
        await producer.ok({ op: "begin" });
        await producer.ok({ op: "produce", topic, partition: 0, values: ["a", "b", "c"] });
        const log = await readPartitionLog(direct(), { topic, partition: 0 });
        const producerId = String(log.records[0]?.producerId);
        const producerEpoch = String(log.records[0]?.producerEpoch);

        const listed = (await tool(["list"])).find((row) => row["TransactionalId"] === transactionalId);
        assert.deepEqual(
          listed && { ProducerId: listed["ProducerId"], TransactionState: listed["TransactionState"] },
          { ProducerId: producerId, TransactionState: "Ongoing" },
          `kafka-transactions list: ${JSON.stringify(listed)}`,
        );
        assert.match(listed?.["Coordinator"] ?? "", /^\d+$/);

        const [described] = await tool(["describe", "--transactional-id", transactionalId]);
        assert.deepEqual(
          described && {
            TransactionalId: described["TransactionalId"],
            ProducerId: described["ProducerId"],
            ProducerEpoch: described["ProducerEpoch"],
            TransactionState: described["TransactionState"],
            TopicPartitions: described["TopicPartitions"],
          },
          {
            TransactionalId: transactionalId,
            ProducerId: producerId,
            ProducerEpoch: producerEpoch,
            TransactionState: "Ongoing",
            TopicPartitions: `${topic}-0`,
          },
          `kafka-transactions describe: ${JSON.stringify(described)}`,
        );
        assert.match(described?.["CoordinatorId"] ?? "", /^\d+$/);
        assert.match(described?.["TransactionTimeoutMs"] ?? "", /^[1-9]\d*$/);
        assert.match(described?.["CurrentTransactionStartTimeMs"] ?? "", /^[1-9]\d*$/);
        assert.match(described?.["TransactionDurationMs"] ?? "", /^\d+$/);

        const producers = await tool(["describe-producers", "--topic", topic, "--partition", "0"]);
        const ours = producers.find((row) => row["ProducerId"] === producerId);
        assert.deepEqual(
          ours && {
            ProducerEpoch: ours["ProducerEpoch"],
            LastSequence: ours["LastSequence"],
            CurrentTransactionStartOffset: ours["CurrentTransactionStartOffset"],
          },
          { ProducerEpoch: producerEpoch, LastSequence: "2", CurrentTransactionStartOffset: "0" },
          `kafka-transactions describe-producers: ${JSON.stringify(producers)}`,
        );

        await producer.ok({ op: "commit" });
        // The coordinator answers EndTxn in PrepareCommit and completes once the markers are written.
        let after: Record<string, string> | undefined;
        await waitFor(
          async () => {
            [after] = await tool(["describe", "--transactional-id", transactionalId]);
            return after?.["TransactionState"] === "CompleteCommit";
          },
          { timeoutMs: 60_000, intervalMs: 100, what: `${transactionalId} in CompleteCommit` },
        ).catch((error: unknown) => {
          throw new Error(`${String(error)}; last described: ${JSON.stringify(after)}`, { cause: error });
        });
        assert.equal(after?.["TopicPartitions"], "", "no partitions once committed");
        const [producerAfter] = await tool(["describe-producers", "--topic", topic, "--partition", "0"]);
        assert.equal(
          producerAfter?.["CurrentTransactionStartOffset"],
          "None",
          `no open transaction: ${JSON.stringify(producerAfter)}`,
        );
      } finally {
        await producer.close();
      }
    },
  );
});
