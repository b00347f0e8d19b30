// Streams (issue #8): the examples in examples/ — word count, page views per user per minute
// (tumbling windows, emit-final, grace) and a table aggregation (sum by region with adder and
// subtractor) — run as child processes against the target (Samsa or Apache Kafka). Each run:
//
//   1. input part A, then part B while the application runs; killed with SIGKILL mid-stream, right
//      after a commit while it is still processing (so records are processed but not committed);
//   2. restarted on the same state directory (persistent stores: checkpoint + changelog tail); the
//      rest of B; killed with SIGKILL again once everything is processed and committed;
//   3. restarted with the state directory wiped (every store comes back from its changelog); part
//      C; stopped with SIGTERM, which must close cleanly.
//
// What at-least-once promises, and what is asserted. Kafka Streams under at_least_once commits
// consumed offsets only after the changelog and output records of the processed input are
// acknowledged, so a crash loses nothing; but records processed after the last commit are
// processed again, on top of state restored from the changelog, which already holds their effect.
// Final results can therefore exceed the true ones, and only by the effect of the records that were
// processed but not committed when the process died. The test reads, after each kill, the group's
// committed offsets and the end of every topic, and at the end every topic, and checks each run
// against a recomputation: the changelog records a run wrote must be exactly those that processing
// its input (from the committed offsets, on top of the state restored from the changelog) gives;
// the repartition records likewise; the final results must equal the true results plus precisely
// the double-applied effect of the processed-but-uncommitted records (zero when there were none);
// emit-final writes each window once per run, with the value of its window then, so a window's
// results differ across runs only when records in it were processed again; late records are
// dropped. Internal topics must exist with Kafka Streams' configs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { TestContext } from "node:test";
import { changeSerde, partitionForKey, Serdes } from "@samsa/streams";
import { uniqueName, waitFor, WaitTimeoutError, seededRandom as random } from "@samsa/testkit";
import {
  committedOffsets,
  endOffsets,
  readPartition,
  repoRoot,
  run,
  spawnWatched,
  targetKind,
  useTarget,
} from "./support.ts";
import type { PartitionRecord, WatchedProcess } from "./support.ts";
import {
  createTopics as createTopicsOn,
  inputProducer,
  kafkaClient,
  topicConfigs as topicConfigsOf,
  waitForReady,
} from "./streams-support.ts";
import type { InputProducer, InputRecord, TopicSpec } from "./streams-support.ts";

/** Partitions of every user topic (so two tasks per sub-topology). */
const partitions = 2;
const commitIntervalMs = 1000;
/** The group's session timeout: how long a restarted instance waits for the killed one to leave. */
const sessionTimeoutMs = 6000;
/** Bound on one child process (it is killed by then). */
const processTimeoutMs = 150_000;
const graceMs = 10_000;
const windowMs = 60_000;
const windowRetentionMs = 600_000;

// ---------------------------------------------------------------------------------------------- data

const utf8 = new TextEncoder();
const partitionOf = (key: string): number => partitionForKey(utf8.encode(key), partitions);

function pick<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** An example's input: part A before it starts, B in batches while it runs, C after the second restart. */
interface Input {
  readonly a: readonly InputRecord[];
  readonly b: readonly (readonly InputRecord[])[];
  readonly c: readonly InputRecord[];
}

// ---------------------------------------------------------------------------------------------- reading

const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString("utf8"));
const long = (bytes: Uint8Array | null): number | null =>
  bytes === null ? null : Serdes.long().deserialize(bytes, ctx);
const ctx = { topic: "", headers: [] };

function textOf(bytes: Uint8Array | null, what: string): string {
  const value = text(bytes);
  if (value === null) throw new Error(`${what}: unexpected null`);
  return value;
}

function longOf(bytes: Uint8Array | null, what: string): number {
  const value = long(bytes);
  if (value === null) throw new Error(`${what}: unexpected null`);
  return value;
}

/** Records with offsets in [from, to). */
const between = (records: readonly PartitionRecord[], from: number, to: number): PartitionRecord[] =>
  records.filter((r) => r.offset >= from && r.offset < to);

/** Offsets per topic: [partition] → offset. */
type Offsets = ReadonlyMap<string, readonly number[]>;

interface Snapshot {
  /** Ends (high watermarks) of every topic of the application. */
  readonly ends: Offsets;
  /** Committed offsets of the topics it consumes (0 where nothing was committed). */
  readonly committed: Offsets;
}

function offsetsOf(offsets: Offsets, topic: string): readonly number[] {
  const found = offsets.get(topic);
  if (found === undefined) throw new Error(`no offsets for ${topic}`);
  return found;
}

function at(offsets: readonly number[], partition: number): number {
  const offset = offsets[partition];
  if (offset === undefined) throw new Error(`no offset for partition ${partition}`);
  return offset;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Counts of equal strings. */
function tally(items: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** What differs between two multisets (empty when equal), for assertion messages. */
function multisetDifference(actual: Iterable<string>, expected: Iterable<string>): string[] {
  const a = tally(actual);
  const e = tally(expected);
  const problems: string[] = [];
  for (const key of new Set([...a.keys(), ...e.keys()])) {
    const got = a.get(key) ?? 0;
    const want = e.get(key) ?? 0;
    if (got !== want) problems.push(`${key}: ${got} instead of ${want}`);
  }
  return problems.sort().slice(0, 30);
}

/** Whether every item of `small` is in `large` at least as often. */
function multisetMissing(small: Iterable<string>, large: Iterable<string>): string[] {
  const l = tally(large);
  const problems: string[] = [];
  for (const [key, count] of tally(small))
    if ((l.get(key) ?? 0) < count) problems.push(`${key}: ${count} > ${l.get(key) ?? 0}`);
  return problems.sort().slice(0, 30);
}

/** Asserts two sequences are equal, naming the first difference. */
function assertSequence(actual: readonly string[], expected: readonly string[], what: string): void {
  const length = Math.max(actual.length, expected.length);
  for (let i = 0; i < length; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(
        `${what}: record ${i} of ${actual.length} is ${actual[i] ?? "(missing)"}, expected ${expected[i] ?? "(none)"} ` +
          `(of ${expected.length})\n  actual:   ${actual.slice(Math.max(0, i - 3), i + 4).join(" | ")}\n` +
          `  expected: ${expected.slice(Math.max(0, i - 3), i + 4).join(" | ")}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------- scenario

interface ScenarioSpec {
  readonly script: string;
  readonly name: string;
  readonly input: Input;
  readonly inputConfigs?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
  /** Internal topics by suffix (`<appId>-<suffix>`): the topics the application consumes besides the input. */
  readonly repartitionTopics: readonly string[];
  readonly changelogTopics: readonly string[];
  /** Give the cluster as SAMSA_BROKERS instead of --bootstrap. */
  readonly bootstrapFromEnv?: boolean;
  /** Run after part C is produced, before waiting for the application to finish (e.g. closing windows). */
  readonly afterPartC?: (produce: (records: readonly InputRecord[]) => Promise<void>) => Promise<void>;
}

interface ScenarioResult {
  readonly appId: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  /** After the first kill (mid-stream) and after the second (at rest). */
  readonly kill1: Snapshot;
  readonly kill2: Snapshot;
  /** Every record of every topic at the end, by topic and partition. */
  readonly topics: ReadonlyMap<string, readonly (readonly PartitionRecord[])[]>;
  /** stderr of the last run (the one after the wiped state directory). */
  readonly lastRunStderr: string;
}

function recordsOf(result: ScenarioResult, topic: string, partition: number): readonly PartitionRecord[] {
  const records = result.topics.get(topic)?.[partition];
  if (records === undefined) throw new Error(`${topic}-${partition} was not read`);
  return records;
}

function allRecordsOf(result: ScenarioResult, topic: string): PartitionRecord[] {
  return Array.from({ length: partitions }, (_, p) => recordsOf(result, topic, p)).flat();
}

describe(`streams examples against ${targetKind}: SIGKILL, restart, restore from changelogs`, () => {
  // kafka.sh already configures Kafka with group.initial.rebalance.delay.ms=0; Samsa gets the same.
  const target = useTarget({ settings: targetKind === "samsa" ? { "group.initial.rebalance.delay.ms": "0" } : {} });
  const createTopics = (topics: readonly TopicSpec[]): Promise<void> =>
    createTopicsOn(target().bootstrap, topics, partitions);
  const topicConfigs = (topics: readonly string[]): ReturnType<typeof topicConfigsOf> =>
    topicConfigsOf(target().bootstrap, topics);
  const producer = (topic: string): InputProducer => inputProducer(target().bootstrap, topic, partitions);

  async function snapshot(options: {
    groupId: string;
    topics: readonly string[];
    consumed: readonly string[];
  }): Promise<Snapshot> {
    const bootstrap = target().bootstrap;
    const ends = new Map<string, number[]>();
    for (const topic of options.topics) ends.set(topic, await endOffsets(bootstrap, topic, partitions));
    const committed = new Map<string, number[]>();
    for (const topic of options.consumed) {
      const offsets = await committedOffsets(bootstrap, { groupId: options.groupId, topic, partitions });
      committed.set(
        topic,
        offsets.map((o) => Math.max(0, o)),
      );
    }
    return { ends, committed };
  }

  /**
   * A snapshot that no longer changes: a killed process may leave a request in flight that the
   * broker still appends, so two equal snapshots 300 ms apart are required.
   */
  async function settledSnapshot(options: Parameters<typeof snapshot>[0]): Promise<Snapshot> {
    let previous = JSON.stringify([]);
    return waitFor(
      async () => {
        const current = await snapshot(options);
        const serialized = JSON.stringify([[...current.ends], [...current.committed]]);
        const settled = serialized === previous;
        previous = serialized;
        if (!settled) await new Promise((resolve) => setTimeout(resolve, 300));
        return settled ? current : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 1, what: "offsets to settle after the kill" },
    );
  }

  /** Whether the group has committed the end of every topic it consumes (all input processed and committed). */
  async function atRest(options: Parameters<typeof snapshot>[0]): Promise<Snapshot | undefined> {
    const s = await snapshot({ ...options, topics: options.consumed });
    for (const topic of options.consumed) {
      const ends = offsetsOf(s.ends, topic);
      const committed = offsetsOf(s.committed, topic);
      if (ends.some((end, p) => at(committed, p) !== end)) return undefined;
    }
    return s;
  }

  function startApp(spec: ScenarioSpec, args: readonly string[]): WatchedProcess {
    return spawnWatched(process.execPath, [join(repoRoot, "examples", spec.script), ...args], {
      timeoutMs: processTimeoutMs,
      env: { SAMSA_BROKERS: spec.bootstrapFromEnv === true ? target().bootstrap : "" },
    });
  }

  /** Waits for the readiness line, which must name the target (not an embedded broker). */
  async function waitReady(proc: WatchedProcess): Promise<void> {
    const line = await waitForReady(proc);
    assert.ok(line.includes(` bootstrap=${target().bootstrap} `), `the application runs on the target: ${line}`);
  }

  async function kill(proc: WatchedProcess): Promise<void> {
    proc.kill("SIGKILL");
    const result = await proc.exit;
    assert.equal(result.signal, "SIGKILL", `the application ended before it was killed\n${proc.describe()}`);
  }

  async function runScenario(t: TestContext, spec: ScenarioSpec): Promise<ScenarioResult> {
    const id = uniqueName(spec.name);
    const appId = `${id}-app`;
    const inputTopic = `${id}-in`;
    const outputTopic = `${id}-out`;
    const internal = [...spec.repartitionTopics, ...spec.changelogTopics].map((suffix) => `${appId}-${suffix}`);
    const allTopics = [inputTopic, outputTopic, ...internal];
    const consumed = [inputTopic, ...spec.repartitionTopics.map((suffix) => `${appId}-${suffix}`)];
    const progressTopic = `${appId}-${spec.changelogTopics[0] ?? ""}`;
    const stateDir = mkdtempSync(join(tmpdir(), "samsa-streams-interop-"));
    const args = [
      ...(spec.bootstrapFromEnv === true ? [] : ["--bootstrap", target().bootstrap]),
      ...["--application-id", appId, "--state-dir", stateDir],
      ...["--input", inputTopic, "--output", outputTopic],
      ...["--commit-interval-ms", String(commitIntervalMs), "--session-timeout-ms", String(sessionTimeoutMs)],
      ...(spec.extraArgs ?? []),
    ];
    const group = { groupId: appId, topics: allTopics, consumed };
    const input = producer(inputTopic);
    let proc: WatchedProcess | undefined;
    const started = Date.now();
    const phase = (what: string): void => t.diagnostic(`${spec.name}: ${what} at ${Date.now() - started} ms`);
    try {
      await createTopics([
        { name: inputTopic, ...(spec.inputConfigs === undefined ? {} : { configs: spec.inputConfigs }) },
        { name: outputTopic },
      ]);
      await input.send(spec.input.a);

      // Run 1: catch up on A, then process B as it arrives; killed right after a commit, mid-stream.
      proc = startApp(spec, args);
      await waitReady(proc);
      const afterA = await waitFor(() => atRest(group), { timeoutMs: 30_000, what: "part A processed and committed" });
      phase("run 1 processed part A");
      let batchesSent = 0;
      let stopB = false;
      const producingB = (async () => {
        for (const batch of spec.input.b) {
          if (stopB) return;
          await input.send(batch);
          batchesSent++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      producingB.catch(() => undefined); // awaited (and rethrown) after the kill
      try {
        const committedA = sum(offsetsOf(afterA.committed, inputTopic));
        await waitFor(async () => sum(offsetsOf((await snapshot(group)).committed, inputTopic)) > committedA, {
          timeoutMs: 20_000,
          intervalMs: 20,
          what: "a commit of part of B",
        });
        const progressAtCommit = sum(await endOffsets(target().bootstrap, progressTopic, partitions));
        await waitFor(
          async () => sum(await endOffsets(target().bootstrap, progressTopic, partitions)) > progressAtCommit,
          {
            timeoutMs: 5000,
            intervalMs: 10,
            what: "processing after that commit",
          },
        );
      } catch (error) {
        // Nothing to process after a commit (a slow machine, B all sent): killed at rest, which the checks allow.
        if (!(error instanceof WaitTimeoutError)) throw error;
        t.diagnostic(`${spec.name}: ${error.message}; killing anyway`);
      }
      await kill(proc);
      stopB = true;
      await producingB;
      const kill1 = await settledSnapshot(group);
      phase(`run 1 killed after ${batchesSent} of ${spec.input.b.length} batches of B`);

      // Run 2: the same state directory; the rest of B; killed once everything is processed and committed.
      proc = startApp(spec, args);
      await waitReady(proc);
      phase("run 2 ready");
      for (const batch of spec.input.b.slice(batchesSent)) await input.send(batch);
      await waitFor(() => atRest(group), { timeoutMs: 60_000, what: "part B processed and committed" });
      await kill(proc);
      const kill2 = await settledSnapshot(group);
      phase("run 2 killed at rest");

      // Run 3: the state directory wiped, so every store is restored from its changelog; part C; SIGTERM.
      rmSync(stateDir, { recursive: true, force: true });
      proc = startApp(spec, args);
      await waitReady(proc);
      phase("run 3 ready");
      await input.send(spec.input.c);
      await spec.afterPartC?.((records) => input.send(records));
      await waitFor(() => atRest(group), { timeoutMs: 60_000, what: "part C processed and committed" });
      proc.kill("SIGTERM");
      const exit = await proc.exit;
      assert.equal(exit.code, 0, `SIGTERM must close the application cleanly\n${proc.describe()}`);
      assert.ok(proc.lines.includes("closed"), `no "closed" line\n${proc.describe()}`);
      phase("run 3 closed");

      const topics = new Map<string, PartitionRecord[][]>();
      for (const topic of allTopics) {
        const read: PartitionRecord[][] = [];
        for (let p = 0; p < partitions; p++)
          read.push((await readPartition(target().bootstrap, { topic, partition: p })).records);
        topics.set(topic, read);
      }
      return { appId, inputTopic, outputTopic, kill1, kill2, topics, lastRunStderr: exit.stderr };
    } finally {
      proc?.kill("SIGKILL");
      await proc?.exit.catch(() => undefined);
      await input.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }

  /** Changelogs compacted (windowed: compact,delete, retention + 1 day), repartition topics deleting and kept forever. */
  async function assertInternalTopics(
    result: ScenarioResult,
    expected: Readonly<Record<string, Readonly<Record<string, string>>>>,
  ): Promise<void> {
    const names = Object.keys(expected).map((suffix) => `${result.appId}-${suffix}`);
    const described = await topicConfigs(names);
    for (const [suffix, configs] of Object.entries(expected)) {
      const name = `${result.appId}-${suffix}`;
      const topic = described.get(name);
      assert.equal(topic?.partitions, partitions, `${name}: partitions`);
      for (const [config, value] of Object.entries(configs))
        assert.equal(topic?.configs.get(config), value, `${name}: ${config}`);
    }
  }

  // -------------------------------------------------------------------------------------------- word count

  test("word count: exact counts after recomputing what at-least-once processed twice", async (t) => {
    const words = ["kafka", "samsa", "stream", "table", "window", "topic", "broker", "record", "offset", "commit"];
    const next = random(8);
    let lineNumber = 0;
    const line = (): InputRecord => ({
      key: `line-${lineNumber++}`,
      value: Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(next, words))
        .map((w, i) => (i === 0 ? w.toUpperCase() : w))
        .join(separator(next)),
    });
    const lines = (count: number): InputRecord[] => Array.from({ length: count }, line);
    const result = await runScenario(t, {
      script: "word-count.ts",
      name: "streams-wc",
      input: { a: lines(150), b: Array.from({ length: 60 }, () => lines(15)), c: lines(150) },
      repartitionTopics: ["word-counts-repartition"],
      changelogTopics: ["word-counts-changelog"],
    });
    await assertInternalTopics(result, {
      "word-counts-changelog": { "cleanup.policy": "compact" },
      "word-counts-repartition": { "cleanup.policy": "delete", "retention.ms": "-1" },
    });
    verifyWordCount(t, result);
  });

  // -------------------------------------------------------------------------------------------- clickstream

  test("clickstream windows: emit-final once per window and run, late records dropped, counts recomputed", async (t) => {
    const users = ["ana", "ben", "chen", "dara", "eli", "fay"];
    const next = random(1234);
    const startMs = Math.floor((Date.now() - 3 * 3_600_000) / windowMs) * windowMs;
    const pages = ["/", "/search", "/cart", "/checkout", "/help"];
    let clock = startMs;
    let count = 0;
    /** Page views 1.5 s apart; with `disorder`, every 9th 6 s early (within grace), every 23rd 75 s early (late). */
    const views = (n: number, disorder: boolean): InputRecord[] =>
      Array.from({ length: n }, () => {
        clock += 1500;
        count++;
        const shiftMs = !disorder ? 0 : count % 23 === 0 ? -75_000 : count % 9 === 0 ? -6000 : 0;
        return { key: pick(next, users), value: pick(next, pages), timestamp: clock + shiftMs };
      });
    const a = views(160, true);
    const b = Array.from({ length: 50 }, () => views(10, false));
    // C opens with one view per partition at the newest time so far: a restarted task's stream time
    // starts at the first record it processes (as Kafka's processors do), so C's first records must
    // not be late ones for the late-record checks to mean what they say.
    clock += 1500;
    const opening = [0, 1].map((p) => ({ key: usersOn(users, p)[0] ?? "", value: "/", timestamp: clock }));
    const c = [...opening, ...views(80, true)];
    const tickTimeMs = clock + 30 * 60_000;
    const result = await runScenario(t, {
      script: "clickstream-windows.ts",
      name: "streams-clicks",
      input: { a, b, c },
      extraArgs: ["--grace-ms", String(graceMs), "--retention-ms", String(windowRetentionMs)],
      repartitionTopics: [],
      changelogTopics: ["page-views-per-minute-changelog"],
      // Stream time 30 minutes on (a page view of a user per partition that only ever does this)
      // closes every window; twice, more than the emit-final throttle (1 s of wall-clock time) apart.
      afterPartC: async (produce) => {
        for (let round = 0; round < 2; round++) {
          await produce([0, 1].map((p) => ({ key: tickUser(p), value: "/tick", timestamp: tickTimeMs })));
          await new Promise((resolve) => setTimeout(resolve, 1500));
        }
      },
    });
    await assertInternalTopics(result, {
      "page-views-per-minute-changelog": {
        "cleanup.policy": "compact,delete",
        "retention.ms": String(windowRetentionMs + 86_400_000),
      },
    });
    verifyClickstream(t, result);
  });

  // -------------------------------------------------------------------------------------------- table aggregation

  test("table aggregation: sums by region equal the recomputation with adder and subtractor", async (t) => {
    const regions = ["emea", "amer", "apac", "latam"];
    const accounts = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(2, "0")}`);
    const next = random(42);
    const live = new Map<string, { region: string; balance: number }>();
    const balance = (): number => 100 * (1 + Math.floor(next() * 500));
    const update = (): InputRecord => {
      const id = pick(next, accounts);
      const current = live.get(id);
      const roll = next();
      let value: { region: string; balance: number } | null;
      if (current === undefined) value = { region: pick(next, regions), balance: balance() };
      else if (roll < 0.55) value = { region: current.region, balance: balance() };
      else if (roll < 0.85)
        value = {
          region: pick(
            next,
            regions.filter((r) => r !== current.region),
          ),
          balance: current.balance,
        };
      else value = null;
      if (value === null) live.delete(id);
      else live.set(id, value);
      return { key: id, value: value === null ? null : JSON.stringify(value) };
    };
    const a = accounts.map((id) => {
      const value = { region: pick(next, regions), balance: balance() };
      live.set(id, value);
      return { key: id, value: JSON.stringify(value) };
    });
    const b = Array.from({ length: 60 }, () => Array.from({ length: 8 }, update));
    const c = Array.from({ length: 80 }, update);
    const result = await runScenario(t, {
      script: "table-aggregation.ts",
      name: "streams-table",
      input: { a, b, c },
      inputConfigs: { "cleanup.policy": "compact" },
      bootstrapFromEnv: true,
      repartitionTopics: ["balance-by-region-repartition"],
      changelogTopics: ["balance-by-region-changelog", "accounts-changelog"],
    });
    await assertInternalTopics(result, {
      "accounts-changelog": { "cleanup.policy": "compact" },
      "balance-by-region-changelog": { "cleanup.policy": "compact" },
      "balance-by-region-repartition": { "cleanup.policy": "delete", "retention.ms": "-1" },
    });
    verifyTableAggregation(t, result);
  });
});

describe("streams embedded mode: an in-process Samsa broker, started in one line", () => {
  test("examples/embedded.ts counts its sample lines on an embedded broker and exits", async () => {
    const result = await run(process.execPath, [join(repoRoot, "examples/embedded.ts")], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, `embedded.ts failed\n${result.stdout}\n${result.stderr}`);
    const counts = new Map<string, number>();
    for (const line of result.stdout.split("\n")) {
      const match = /^(\p{L}+) (\d+)$/u.exec(line);
      if (match?.[1] !== undefined) counts.set(match[1], Number(match[2]));
    }
    assert.deepEqual(
      [...counts].filter(([word]) => ["kafka", "samsa", "apps", "run", "streams"].includes(word)).sort(),
      [
        ["apps", 2],
        ["kafka", 3],
        ["run", 2],
        ["samsa", 2],
        ["streams", 1],
      ],
    );
    assert.match(result.stdout, /^counted 11 words$/m);
  });

  test("examples/word-count.ts without --bootstrap or SAMSA_BROKERS runs on its own embedded broker", async () => {
    const proc = spawnWatched(
      process.execPath,
      [join(repoRoot, "examples/word-count.ts"), "--application-id", uniqueName("embedded-wc")],
      { timeoutMs: 60_000, env: { SAMSA_BROKERS: "" } },
    );
    try {
      const bootstrap = await proc.waitForLine((line) => /^embedded Samsa broker at (\S+) /.exec(line)?.[1], {
        timeoutMs: 30_000,
        what: "the embedded broker's address",
      });
      const ready = await waitForReady(proc);
      assert.ok(ready.includes(` bootstrap=${bootstrap} `), ready);
      const producer = kafkaClient(bootstrap).producer({ idempotent: true });
      await producer.connect();
      try {
        await producer.send({
          topic: "text-lines",
          messages: [
            { key: "1", value: "To be, or not to be" },
            { key: "2", value: "that is the question" },
          ],
        });
      } finally {
        await producer.disconnect();
      }
      await waitFor(
        async () => {
          const counts = new Map<string, number>();
          for (let p = 0; p < partitions; p++)
            for (const r of (await readPartition(bootstrap, { topic: "word-counts", partition: p })).records)
              counts.set(textOf(r.key, "word"), longOf(r.value, "count"));
          return counts.get("to") === 2 && counts.get("be") === 2 && counts.get("question") === 1 && counts.size === 8;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: "the counts on the embedded broker" },
      );
      proc.kill("SIGTERM");
      const exit = await proc.exit;
      assert.equal(exit.code, 0, proc.describe());
      assert.ok(proc.lines.includes("closed"), proc.describe());
    } finally {
      proc.kill("SIGKILL");
      await proc.exit.catch(() => undefined);
    }
  });
});

/** A separator between words, sometimes with punctuation and several spaces (the tokenizer's business). */
function separator(next: () => number): string {
  return pick(next, [" ", " ", " ", ", ", "  ", " - ", "! "]);
}

function usersOn(users: readonly string[], partition: number): string[] {
  return users.filter((u) => partitionOf(u) === partition);
}

/** A user key on `partition` that no real user has: its window never closes (nothing comes after it). */
function tickUser(partition: number): string {
  for (let i = 0; i < 1000; i++) if (partitionOf(`~tick-${i}`) === partition) return `~tick-${i}`;
  throw new Error(`no tick key for partition ${partition}`);
}

const isTick = (user: string): boolean => user.startsWith("~tick-");

// ================================================================================================ word count

function wordsOf(line: string): string[] {
  return line
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/**
 * Sub-topology 0 splits lines into words and writes them to the repartition topic (keyed by
 * word); sub-topology 1 counts them (changelog and output: word → count). Checked per run:
 * - sub-topology 1 wrote, per partition, exactly the counts that counting its repartition records
 *   gives: from zero in run 1 (a prefix: it was killed), from the restored counts and the committed
 *   offset in runs 2 and 3 (all of it: they got to rest); at least what it had committed;
 * - sub-topology 0 wrote the words of the lines from the committed offsets in runs 2 and 3, and in
 *   run 1 at least those of the committed lines and at most those of the lines it could have read;
 * - final counts = true counts + (words of lines processed again by sub-topology 0) + (words counted
 *   again by sub-topology 1): both zero when the kill found nothing processed but uncommitted.
 */
function verifyWordCount(t: TestContext, result: ScenarioResult): void {
  const { appId, inputTopic, outputTopic, kill1, kill2 } = result;
  const repartition = `${appId}-word-counts-repartition`;
  const changelog = `${appId}-word-counts-changelog`;
  const wordsIn = (records: readonly PartitionRecord[]): string[] =>
    records.flatMap((r) => wordsOf(textOf(r.value, "a line")));
  const keysIn = (records: readonly PartitionRecord[]): string[] => records.map((r) => textOf(r.key, "a word"));
  const E = (s: Snapshot, topic: string, p: number): number => at(offsetsOf(s.ends, topic), p);
  const C = (s: Snapshot, topic: string, p: number): number => at(offsetsOf(s.committed, topic), p);

  // Sub-topology 0: lines → words in the repartition topic.
  const inputRun = (from: (p: number) => number, to: (p: number) => number): string[] =>
    Array.from({ length: partitions }, (_, p) =>
      wordsIn(between(recordsOf(result, inputTopic, p), from(p), to(p))),
    ).flat();
  const repartitionRun = (from: (p: number) => number, to: (p: number) => number): string[] =>
    Array.from({ length: partitions }, (_, p) =>
      keysIn(between(recordsOf(result, repartition, p), from(p), to(p))),
    ).flat();
  const run1Words = repartitionRun(
    () => 0,
    (p) => E(kill1, repartition, p),
  );
  assert.deepEqual(
    multisetMissing(
      inputRun(
        () => 0,
        (p) => C(kill1, inputTopic, p),
      ),
      run1Words,
    ),
    [],
    "run 1 wrote the words of every line it committed",
  );
  assert.deepEqual(
    multisetMissing(
      run1Words,
      inputRun(
        () => 0,
        (p) => E(kill1, inputTopic, p),
      ),
    ),
    [],
    "run 1 wrote only words of lines it could have read",
  );
  assert.deepEqual(
    multisetDifference(
      repartitionRun(
        (p) => E(kill1, repartition, p),
        (p) => E(kill2, repartition, p),
      ),
      inputRun(
        (p) => C(kill1, inputTopic, p),
        (p) => E(kill2, inputTopic, p),
      ),
    ),
    [],
    "run 2 wrote the words of the lines from the committed offsets on",
  );
  assert.deepEqual(
    multisetDifference(
      repartitionRun(
        (p) => E(kill2, repartition, p),
        () => Number.MAX_SAFE_INTEGER,
      ),
      inputRun(
        (p) => C(kill2, inputTopic, p),
        () => Number.MAX_SAFE_INTEGER,
      ),
    ),
    [],
    "run 3 wrote the words of the lines from the committed offsets on",
  );

  // Sub-topology 1: words → counts (changelog), per partition and run.
  const final = new Map<string, number>();
  let countedAgain = 0;
  for (let p = 0; p < partitions; p++) {
    const words = recordsOf(result, repartition, p);
    const logged = recordsOf(result, changelog, p);
    const counts = new Map<string, number>();
    const count = (records: readonly PartitionRecord[]): string[] =>
      keysIn(records).map((word) => {
        const n = (counts.get(word) ?? 0) + 1;
        counts.set(word, n);
        return `${word}=${n}`;
      });
    const asLogged = (records: readonly PartitionRecord[]): string[] =>
      records.map((r) => `${textOf(r.key, "changelog key")}=${longOf(r.value, "changelog value")}`);
    // Run 1: from nothing, a prefix of its repartition partition (one changelog record per word).
    const run1 = between(logged, 0, E(kill1, changelog, p));
    assert.ok(
      run1.length >= C(kill1, repartition, p) && run1.length <= E(kill1, repartition, p),
      `run 1 logged ${run1.length} counts in partition ${p}: at least the ${C(kill1, repartition, p)} committed, at most the ${E(kill1, repartition, p)} written`,
    );
    assertSequence(asLogged(run1), count(words.slice(0, run1.length)), `run 1 counts, partition ${p}`);
    countedAgain += run1.length - C(kill1, repartition, p);
    // Run 2: restored counts (the changelog's), from the committed offset to the end it got to.
    const run2 = between(logged, E(kill1, changelog, p), E(kill2, changelog, p));
    assertSequence(
      asLogged(run2),
      count(between(words, C(kill1, repartition, p), E(kill2, repartition, p))),
      `run 2 counts, partition ${p} (restored, then from the committed offset)`,
    );
    // Run 3: restored from the changelog alone.
    const run3 = between(logged, E(kill2, changelog, p), Number.MAX_SAFE_INTEGER);
    assertSequence(
      asLogged(run3),
      count(between(words, C(kill2, repartition, p), Number.MAX_SAFE_INTEGER)),
      `run 3 counts, partition ${p} (restored from the changelog alone)`,
    );
    for (const [word, n] of counts) final.set(word, n);
  }

  // The output topic ends with the final counts.
  const output = new Map<string, number>();
  for (const r of allRecordsOf(result, outputTopic))
    output.set(textOf(r.key, "output key"), longOf(r.value, "output value"));
  assert.deepEqual(new Map([...output].sort()), new Map([...final].sort()), "the last count per word in the output");

  // At least once: true counts, plus exactly what was processed twice.
  const truth = tally(allRecordsOf(result, inputTopic).flatMap((r) => wordsOf(textOf(r.value, "a line"))));
  const writtenTwice = tally(run1Words);
  for (const word of inputRun(
    () => 0,
    (p) => C(kill1, inputTopic, p),
  ))
    writtenTwice.set(word, (writtenTwice.get(word) ?? 0) - 1);
  const countedTwice = new Map<string, number>();
  for (let p = 0; p < partitions; p++) {
    const run1Logged = E(kill1, changelog, p);
    for (const word of keysIn(between(recordsOf(result, repartition, p), C(kill1, repartition, p), run1Logged)))
      countedTwice.set(word, (countedTwice.get(word) ?? 0) + 1);
  }
  const problems: string[] = [];
  for (const word of new Set([...truth.keys(), ...final.keys()])) {
    const expected = (truth.get(word) ?? 0) + (writtenTwice.get(word) ?? 0) + (countedTwice.get(word) ?? 0);
    if (final.get(word) !== expected)
      problems.push(
        `${word}: ${final.get(word)} ≠ ${truth.get(word)} true + ${writtenTwice.get(word) ?? 0} split again + ${countedTwice.get(word) ?? 0} counted again`,
      );
  }
  assert.deepEqual(problems, [], "final counts = true counts + what at-least-once processed twice");
  const overcount = sum([...final.values()]) - sum([...truth.values()]);
  t.diagnostic(
    `word count: ${sum([...truth.values()])} words; lines processed but not committed at the kill: ` +
      `${sum(Array.from({ length: partitions }, (_, p) => E(kill1, inputTopic, p) - C(kill1, inputTopic, p)))} read, ` +
      `${countedAgain} counts logged but not committed; final counts exceed the true ones by ${overcount}`,
  );
}

// ================================================================================================ clickstream

interface PageView {
  readonly user: string;
  readonly timestamp: number;
}

/** One task's window counts (Kafka's KStreamWindowAggregate over a tumbling window, count). */
class WindowCounter {
  readonly counts: Map<string, number>;
  /** The processor's stream time: not kept across restarts (as in Kafka), so it starts afresh each run. */
  streamTimeMs = -1;
  dropped = 0;

  constructor(restored: ReadonlyMap<string, number> = new Map()) {
    this.counts = new Map(restored);
  }

  /** Processes one view; returns the changelog record it writes (`user@start=count`), or undefined when dropped. */
  process(view: PageView): string | undefined {
    this.streamTimeMs = Math.max(this.streamTimeMs, view.timestamp);
    const startMs = Math.floor(view.timestamp / windowMs) * windowMs;
    if (startMs + windowMs <= this.streamTimeMs - graceMs) {
      this.dropped++;
      return undefined;
    }
    const window = `${view.user}@${startMs}`;
    const n = (this.counts.get(window) ?? 0) + 1;
    this.counts.set(window, n);
    return `${window}=${n}`;
  }

  run(views: readonly PageView[]): string[] {
    return views.flatMap((v) => this.process(v) ?? []);
  }
}

function pageViews(records: readonly PartitionRecord[]): PageView[] {
  return records.map((r) => ({ user: textOf(r.key, "user"), timestamp: r.timestamp }));
}

/** The window store's changelog key: user bytes, window start (int64), sequence number (int32). */
function windowOf(key: Uint8Array | null): string {
  if (key === null || key.length < 12) throw new Error("a window changelog key of fewer than 12 bytes");
  const bytes = Buffer.from(key);
  const startMs = Number(bytes.readBigInt64BE(bytes.length - 12));
  return `${bytes.subarray(0, bytes.length - 12).toString("utf8")}@${startMs}`;
}

/**
 * One task per input partition counts views per user and minute (changelog: (user, start) →
 * count). Checked per partition and run: the changelog is exactly what counting the run's views
 * gives (from nothing in run 1, a prefix; on the restored counts from the committed offset in runs
 * 2 and 3, with stream time starting afresh), and at least what was committed. Emit-final: every
 * closed window is written, once per run at most, with its count then: the true count in run 1,
 * the recomputed one afterwards (a window whose views were processed twice may have two results
 * across runs; any other only identical ones); no open window is written; late views are dropped.
 */
function verifyClickstream(t: TestContext, result: ScenarioResult): void {
  const { appId, inputTopic, outputTopic, kill1, kill2 } = result;
  const changelog = `${appId}-page-views-per-minute-changelog`;
  const E = (s: Snapshot, topic: string, p: number): number => at(offsetsOf(s.ends, topic), p);
  const C = (s: Snapshot, topic: string, p: number): number => at(offsetsOf(s.committed, topic), p);
  const asLogged = (records: readonly PartitionRecord[]): string[] =>
    records.map((r) => `${windowOf(r.key)}=${longOf(r.value, "changelog value")}`);
  const lastValues = (records: readonly PartitionRecord[]): Map<string, number> =>
    new Map(records.map((r) => [windowOf(r.key), longOf(r.value, "changelog value")]));

  const truth = new Map<string, number>(); // single pass over all views: what a crash-free run counts
  const afterRun2 = new Map<string, number>();
  const final = new Map<string, number>();
  const processedTwice = new Set<string>(); // windows with views processed but not committed at the kill
  let lateInRun3 = 0;
  let droppedInTruth = 0;
  for (let p = 0; p < partitions; p++) {
    const views = recordsOf(result, inputTopic, p);
    const logged = recordsOf(result, changelog, p);
    const singlePass = new WindowCounter();
    singlePass.run(pageViews(views));
    for (const [w, n] of singlePass.counts) truth.set(w, n);
    droppedInTruth += singlePass.dropped;

    // Run 1: from nothing; a prefix of what counting every view it could have read gives.
    const run1 = between(logged, 0, E(kill1, changelog, p));
    const possible = new WindowCounter().run(pageViews(between(views, 0, E(kill1, inputTopic, p))));
    const committed = new WindowCounter().run(pageViews(between(views, 0, C(kill1, inputTopic, p))));
    assert.ok(
      run1.length >= committed.length,
      `run 1, partition ${p}: ${run1.length} counts logged, ${committed.length} committed`,
    );
    assertSequence(asLogged(run1), possible.slice(0, run1.length), `run 1 window counts, partition ${p}`);
    for (const entry of possible.slice(committed.length, run1.length)) processedTwice.add(entry.split("=")[0] ?? "");

    // Run 2: restored counts, views from the committed offset on.
    const run2Counter = new WindowCounter(lastValues(run1));
    const run2 = between(logged, E(kill1, changelog, p), E(kill2, changelog, p));
    assertSequence(
      asLogged(run2),
      run2Counter.run(pageViews(between(views, C(kill1, inputTopic, p), E(kill2, inputTopic, p)))),
      `run 2 window counts, partition ${p} (restored, then from the committed offset)`,
    );
    for (const [w, n] of run2Counter.counts) afterRun2.set(w, n);

    // Run 3: restored from the changelog alone.
    const run3Counter = new WindowCounter(lastValues(between(logged, 0, E(kill2, changelog, p))));
    const run3 = between(logged, E(kill2, changelog, p), Number.MAX_SAFE_INTEGER);
    assertSequence(
      asLogged(run3),
      run3Counter.run(pageViews(between(views, C(kill2, inputTopic, p), Number.MAX_SAFE_INTEGER))),
      `run 3 window counts, partition ${p} (restored from the changelog alone)`,
    );
    lateInRun3 += run3Counter.dropped;
    for (const [w, n] of run3Counter.counts) final.set(w, n);
  }
  assert.ok(
    droppedInTruth >= 4 && lateInRun3 >= 2,
    `the input has late views (${droppedInTruth}, ${lateInRun3} in part C)`,
  );
  const dropWarnings = result.lastRunStderr.split("\n").filter((l) => l.includes("Skipping record for expired window"));
  assert.equal(dropWarnings.length, lateInRun3, "run 3 logged each late view it dropped");

  // Emit-final.
  type Emitted = { readonly window: string; readonly views: number; readonly run: 1 | 2 | 3 };
  const emitted: Emitted[] = [];
  for (let p = 0; p < partitions; p++) {
    for (const r of recordsOf(result, outputTopic, p)) {
      const value = JSON.parse(textOf(r.value, "output value")) as {
        user: string;
        windowStartMs: number;
        windowEndMs: number;
        views: number;
      };
      assert.equal(value.user, textOf(r.key, "output key"));
      assert.equal(value.windowEndMs - value.windowStartMs, windowMs);
      const run = r.offset < E(kill1, outputTopic, p) ? 1 : r.offset < E(kill2, outputTopic, p) ? 2 : 3;
      emitted.push({ window: `${value.user}@${value.windowStartMs}`, views: value.views, run });
    }
  }
  const problems: string[] = [];
  const byWindow = new Map<string, Emitted[]>();
  for (const e of emitted) byWindow.set(e.window, [...(byWindow.get(e.window) ?? []), e]);
  for (const [window, results] of byWindow) {
    if (isTick(window)) problems.push(`${window}: an open window was written`);
    for (const run of [1, 2, 3] as const)
      if (results.filter((e) => e.run === run).length > 1)
        problems.push(`${window}: written more than once in run ${run}`);
    for (const e of results) {
      const expected = e.run === 1 ? truth.get(window) : e.run === 2 ? afterRun2.get(window) : final.get(window);
      if (e.views !== expected) problems.push(`${window}: ${e.views} in run ${e.run}, expected ${expected}`);
    }
    if (new Set(results.map((e) => e.views)).size > 1 && !processedTwice.has(window))
      problems.push(
        `${window}: different results (${results.map((e) => e.views).join(", ")}) though no view of it was processed twice`,
      );
  }
  for (const [window, views] of final) {
    if (isTick(window)) continue;
    const last = byWindow.get(window)?.at(-1);
    if (last?.views !== views) problems.push(`${window}: final ${views} not written (last written: ${last?.views})`);
  }
  assert.deepEqual(problems.slice(0, 30), [], "emit-final results");
  const overcounted = [...final].filter(([w, n]) => !isTick(w) && n !== truth.get(w));
  t.diagnostic(
    `clickstream: ${[...truth.keys()].filter((w) => !isTick(w)).length} windows, ${emitted.length} results written ` +
      `(${emitted.filter((e) => e.run > 1).length} after restarts); ${droppedInTruth} late views dropped; ` +
      `${processedTwice.size} window(s) had views processed twice, ${overcounted.length} of them end above the true count`,
  );
}

// ================================================================================================ table aggregation

interface Account {
  readonly region: string;
  readonly balance: number;
}

/** A repartition record of the grouped table: region, new and old balance (Kafka's Change). */
interface Regrouped {
  readonly region: string;
  readonly newBalance: number | undefined;
  readonly oldBalance: number | undefined;
}

const regroupedText = (r: Regrouped): string => `${r.region}:+${r.newBalance ?? "-"}/-${r.oldBalance ?? "-"}`;

/** The table of accounts (KTableSource with old values) and its regrouping (KTableRepartitionMap). */
class AccountsTable {
  readonly accounts: Map<string, Account>;

  constructor(restored: ReadonlyMap<string, Account> = new Map()) {
    this.accounts = new Map(restored);
  }

  /** Processes updates; returns the changelog records and the regrouped changes they produce. */
  run(updates: readonly PartitionRecord[]): { logged: string[]; regrouped: Regrouped[] } {
    const logged: string[] = [];
    const regrouped: Regrouped[] = [];
    for (const u of updates) {
      const id = textOf(u.key, "account id");
      const value = text(u.value);
      const next = value === null ? undefined : (JSON.parse(value) as Account);
      const old = this.accounts.get(id);
      if (next === undefined) this.accounts.delete(id);
      else this.accounts.set(id, next);
      logged.push(`${id}=${next === undefined ? "null" : `${next.region}/${next.balance}`}`);
      if (old !== undefined && next !== undefined && old.region === next.region) {
        regrouped.push({ region: next.region, newBalance: next.balance, oldBalance: old.balance });
        continue;
      }
      if (old !== undefined) regrouped.push({ region: old.region, newBalance: undefined, oldBalance: old.balance });
      if (next !== undefined) regrouped.push({ region: next.region, newBalance: next.balance, oldBalance: undefined });
    }
    return { logged, regrouped };
  }
}

/** Totals per region (KTableReduce with adder and subtractor). */
class RegionTotals {
  readonly totals: Map<string, number>;

  constructor(restored: ReadonlyMap<string, number> = new Map()) {
    this.totals = new Map(restored);
  }

  run(changes: readonly Regrouped[]): string[] {
    return changes.map((c) => {
      let total = this.totals.get(c.region);
      if (c.oldBalance !== undefined && total !== undefined) total -= c.oldBalance;
      if (c.newBalance !== undefined) total = total === undefined ? c.newBalance : total + c.newBalance;
      if (total === undefined) this.totals.delete(c.region);
      else this.totals.set(c.region, total);
      return `${c.region}=${total ?? "null"}`;
    });
  }
}

const changes = changeSerde(Serdes.long());

function regrouped(records: readonly PartitionRecord[]): Regrouped[] {
  return records.map((r) => {
    if (r.value === null) throw new Error("a null repartition value");
    const change = changes.deserialize(r.value, ctx);
    return { region: textOf(r.key, "region"), newBalance: change.newValue, oldBalance: change.oldValue };
  });
}

function delta(c: Regrouped): number {
  return (c.newBalance ?? 0) - (c.oldBalance ?? 0);
}

function regionSums(accounts: Iterable<Account>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const a of accounts) sums.set(a.region, (sums.get(a.region) ?? 0) + a.balance);
  return sums;
}

/**
 * Sub-topology 0 keeps the table of accounts (changelog: account → value) and regroups each
 * change by region (repartition topic: region → Change(new, old)); sub-topology 1 sums them
 * (changelog and output: region → total). Checked per run as for the word count; then: final
 * totals = true totals + the changes summed twice by sub-topology 1 + (what sub-topology 0 sent
 * before the kill − the accounts it restored): both zero when the kill found nothing uncommitted.
 */
function verifyTableAggregation(t: TestContext, result: ScenarioResult): void {
  const { appId, inputTopic, outputTopic, kill1, kill2 } = result;
  const accountsLog = `${appId}-accounts-changelog`;
  const repartition = `${appId}-balance-by-region-repartition`;
  const totalsLog = `${appId}-balance-by-region-changelog`;
  const E = (s: Snapshot, topic: string, p: number): number => at(offsetsOf(s.ends, topic), p);
  const C = (s: Snapshot, topic: string, p: number): number => at(offsetsOf(s.committed, topic), p);
  const end = Number.MAX_SAFE_INTEGER;
  const accountsAsLogged = (records: readonly PartitionRecord[]): string[] =>
    records.map((r) => {
      const value = text(r.value);
      const account = value === null ? undefined : (JSON.parse(value) as Account);
      return `${textOf(r.key, "account id")}=${account === undefined ? "null" : `${account.region}/${account.balance}`}`;
    });
  const restoredAccounts = (records: readonly PartitionRecord[]): Map<string, Account> => {
    const restored = new Map<string, Account>();
    for (const r of records) {
      const value = text(r.value);
      if (value === null) restored.delete(textOf(r.key, "account id"));
      else restored.set(textOf(r.key, "account id"), JSON.parse(value) as Account);
    }
    return restored;
  };

  // Sub-topology 0, per input partition and run: the accounts' changelog and the regrouped changes.
  const sentRun = new Map<number, Regrouped[]>([
    [1, []],
    [2, []],
    [3, []],
  ]);
  const minimalRun1: Regrouped[] = [];
  const restored1 = new Map<string, Account>();
  const finalAccounts = new Map<string, Account>();
  for (let p = 0; p < partitions; p++) {
    const updates = recordsOf(result, inputTopic, p);
    const logged = recordsOf(result, accountsLog, p);
    const run1 = between(logged, 0, E(kill1, accountsLog, p));
    const possible = new AccountsTable().run(between(updates, 0, E(kill1, inputTopic, p)));
    assert.ok(
      run1.length >= C(kill1, inputTopic, p),
      `run 1 logged ${run1.length} accounts in partition ${p}, committed ${C(kill1, inputTopic, p)}`,
    );
    assertSequence(
      accountsAsLogged(run1),
      possible.logged.slice(0, run1.length),
      `run 1 accounts changelog, partition ${p}`,
    );
    sentRun.get(1)?.push(...possible.regrouped);
    minimalRun1.push(...new AccountsTable().run(between(updates, 0, C(kill1, inputTopic, p))).regrouped);
    for (const [id, a] of restoredAccounts(run1)) restored1.set(id, a);

    const table2 = new AccountsTable(restoredAccounts(run1));
    const run2 = table2.run(between(updates, C(kill1, inputTopic, p), E(kill2, inputTopic, p)));
    assertSequence(
      accountsAsLogged(between(logged, E(kill1, accountsLog, p), E(kill2, accountsLog, p))),
      run2.logged,
      `run 2 accounts changelog, partition ${p}`,
    );
    sentRun.get(2)?.push(...run2.regrouped);
    const table3 = new AccountsTable(restoredAccounts(between(logged, 0, E(kill2, accountsLog, p))));
    const run3 = table3.run(between(updates, C(kill2, inputTopic, p), end));
    assertSequence(
      accountsAsLogged(between(logged, E(kill2, accountsLog, p), end)),
      run3.logged,
      `run 3 accounts changelog, partition ${p}`,
    );
    sentRun.get(3)?.push(...run3.regrouped);
    for (const [id, a] of table3.accounts) finalAccounts.set(id, a);
  }
  const repartitionRun = (from: (q: number) => number, to: (q: number) => number): Regrouped[] =>
    Array.from({ length: partitions }, (_, q) =>
      regrouped(between(recordsOf(result, repartition, q), from(q), to(q))),
    ).flat();
  const run1Sent = repartitionRun(
    () => 0,
    (q) => E(kill1, repartition, q),
  );
  assert.deepEqual(
    multisetMissing(minimalRun1.map(regroupedText), run1Sent.map(regroupedText)),
    [],
    "run 1 regrouped every committed update",
  );
  assert.deepEqual(
    multisetMissing(run1Sent.map(regroupedText), (sentRun.get(1) ?? []).map(regroupedText)),
    [],
    "run 1 regrouped only updates it could have read",
  );
  assert.deepEqual(
    multisetDifference(
      repartitionRun(
        (q) => E(kill1, repartition, q),
        (q) => E(kill2, repartition, q),
      ).map(regroupedText),
      (sentRun.get(2) ?? []).map(regroupedText),
    ),
    [],
    "run 2 regrouped the updates from the committed offsets on, from the restored accounts",
  );
  assert.deepEqual(
    multisetDifference(
      repartitionRun(
        (q) => E(kill2, repartition, q),
        () => end,
      ).map(regroupedText),
      (sentRun.get(3) ?? []).map(regroupedText),
    ),
    [],
    "run 3 regrouped the updates from the committed offsets on, from the accounts restored from the changelog",
  );

  // Sub-topology 1, per repartition partition and run: totals.
  const final = new Map<string, number>();
  const summedTwice = new Map<string, number>();
  for (let q = 0; q < partitions; q++) {
    const changesIn = recordsOf(result, repartition, q);
    const logged = recordsOf(result, totalsLog, q);
    const asLogged = (records: readonly PartitionRecord[]): string[] =>
      records.map((r) => `${textOf(r.key, "region")}=${long(r.value) ?? "null"}`);
    const lastTotals = (records: readonly PartitionRecord[]): Map<string, number> => {
      const totals = new Map<string, number>();
      for (const r of records) {
        const v = long(r.value);
        if (v === null) totals.delete(textOf(r.key, "region"));
        else totals.set(textOf(r.key, "region"), v);
      }
      return totals;
    };
    const run1 = between(logged, 0, E(kill1, totalsLog, q));
    assert.ok(
      run1.length >= C(kill1, repartition, q) && run1.length <= E(kill1, repartition, q),
      `run 1 logged ${run1.length} totals in partition ${q}: committed ${C(kill1, repartition, q)}, written ${E(kill1, repartition, q)}`,
    );
    assertSequence(
      asLogged(run1),
      new RegionTotals().run(regrouped(changesIn.slice(0, run1.length))),
      `run 1 totals, partition ${q}`,
    );
    for (const c of regrouped(between(changesIn, C(kill1, repartition, q), run1.length)))
      summedTwice.set(c.region, (summedTwice.get(c.region) ?? 0) + delta(c));
    const run2 = between(logged, E(kill1, totalsLog, q), E(kill2, totalsLog, q));
    assertSequence(
      asLogged(run2),
      new RegionTotals(lastTotals(run1)).run(
        regrouped(between(changesIn, C(kill1, repartition, q), E(kill2, repartition, q))),
      ),
      `run 2 totals, partition ${q} (restored, then from the committed offset)`,
    );
    const totals3 = new RegionTotals(lastTotals(between(logged, 0, E(kill2, totalsLog, q))));
    assertSequence(
      asLogged(between(logged, E(kill2, totalsLog, q), end)),
      totals3.run(regrouped(between(changesIn, C(kill2, repartition, q), end))),
      `run 3 totals, partition ${q} (restored from the changelog alone)`,
    );
    for (const [region, total] of totals3.totals) final.set(region, total);
  }

  const output = new Map<string, number | null>();
  for (const r of allRecordsOf(result, outputTopic)) output.set(textOf(r.key, "region"), long(r.value));
  assert.deepEqual(new Map([...output].sort()), new Map([...final].sort()), "the last total per region in the output");

  // The accounts' table ends as the input says; the totals are its sums plus what at-least-once did twice.
  const latest = new Map<string, Account>();
  for (const r of allRecordsOf(result, inputTopic)) {
    const value = text(r.value);
    if (value === null) latest.delete(textOf(r.key, "account id"));
    else latest.set(textOf(r.key, "account id"), JSON.parse(value) as Account);
  }
  assert.deepEqual(new Map([...finalAccounts].sort()), new Map([...latest].sort()), "the table of accounts");
  const truth = regionSums(latest.values());
  const sentBeforeKill = new Map<string, number>();
  for (const c of run1Sent) sentBeforeKill.set(c.region, (sentBeforeKill.get(c.region) ?? 0) + delta(c));
  const restoredSums = regionSums(restored1.values());
  const problems: string[] = [];
  for (const region of new Set([...truth.keys(), ...final.keys()])) {
    const skew = (sentBeforeKill.get(region) ?? 0) - (restoredSums.get(region) ?? 0);
    const expected = (truth.get(region) ?? 0) + (summedTwice.get(region) ?? 0) + skew;
    if (final.get(region) !== expected)
      problems.push(
        `${region}: ${final.get(region)} ≠ ${truth.get(region) ?? 0} true + ${summedTwice.get(region) ?? 0} summed twice + ${skew} regrouped vs restored`,
      );
  }
  assert.deepEqual(problems, [], "final totals = true totals + what at-least-once processed twice");
  t.diagnostic(
    `table aggregation: ${latest.size} accounts in ${truth.size} regions; totals off the true ones by ` +
      `${[...final].map(([r, v]) => `${r} ${v - (truth.get(r) ?? 0)}`).join(", ")} (changes summed twice at the kill: ` +
      `${[...summedTwice].map(([r, v]) => `${r} ${v}`).join(", ") || "none"})`,
  );
}
