// A task's readiness to process (Kafka's max.task.idle.ms, KIP-695), driven directly: an empty
// input partition whose lag is unknown or positive makes the task wait, lag 0 lets it go on (after
// max.task.idle.ms of wall-clock time), -1 never waits; and a property: with the true lags reported,
// the order records are processed in does not depend on how their fetches were interleaved.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { silentLogger } from "../src/logger.ts";
import type { ConsumedRecord, TaskEnvironment } from "../src/runtime-contract.ts";
import { resolveOptions } from "../src/runtime/options.ts";
import { StreamsError } from "../src/runtime/errors.ts";
import { Serdes } from "../src/serdes.ts";
import type { StreamTask } from "../src/topology/stream-task.ts";
import { Topology } from "../src/topology/topology.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function record(topic: string, offset: number, timestampMs: number): ConsumedRecord {
  return {
    topic,
    partition: 0,
    offset,
    key: encode(`${topic}${offset}`),
    value: encode("v"),
    timestampMs,
    headers: [],
  };
}

interface Harness {
  readonly task: StreamTask;
  /** `topic@offset` of every record processed, in order. */
  readonly seen: string[];
  /** Processes while the task says it may (as the runtime's loop does); returns how many. */
  run(nowMs: number): number;
}

/** A task reading topics "a" and "b" (partition 0), as the two sides of a join would be. */
function harness(maxTaskIdleMs?: number): Harness {
  const seen: string[] = [];
  const topology = new Topology()
    .addSource({ name: "src-a", topics: ["a"], key: Serdes.string(), value: Serdes.string() })
    .addSource({ name: "src-b", topics: ["b"], key: Serdes.string(), value: Serdes.string() })
    .addProcessor({
      name: "p",
      parents: ["src-a", "src-b"],
      processor: () => {
        let topic: () => string = () => "";
        return {
          init(context) {
            topic = () => `${context.recordMetadata?.topic}@${context.recordMetadata?.offset}`;
          },
          process() {
            seen.push(topic());
          },
        };
      },
    });
  const env: TaskEnvironment = {
    applicationId: "app",
    stateDir: undefined,
    nowMs: () => 0,
    send: () => undefined,
    requestCommit: () => undefined,
    ...(maxTaskIdleMs === undefined ? {} : { maxTaskIdleMs }),
  };
  const task = topology
    .plan("app", { logger: silentLogger })
    .createTask({ subtopology: 0, partition: 0 }, env) as StreamTask;
  task.initialize();
  return {
    task,
    seen,
    run(nowMs) {
      let processed = 0;
      while (task.readiness(nowMs) !== "waiting" && task.processNext()) processed++;
      return processed;
    },
  };
}

describe("StreamTask readiness (max.task.idle.ms)", () => {
  test("an empty partition whose lag is unknown (never fetched) makes the task wait", () => {
    const h = harness();
    h.task.enqueue([record("a", 0, 10), record("a", 1, 11)]);
    assert.equal(h.task.readiness(0), "waiting");
    assert.equal(h.run(0), 0);
    assert.equal(h.run(1_000_000), 0, "no amount of wall-clock time helps while the lag is unknown");
    // The fetch of b answers: nothing there (lag 0), so a goes on.
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.run(0), 2);
    assert.deepEqual(h.seen, ["a@0", "a@1"]);
    assert.equal(h.task.enforcedProcessingTotal, 2);
  });

  test("an empty partition with a positive lag waits for its records, then processing follows timestamps", () => {
    const h = harness();
    h.task.enqueue([record("a", 0, 10), record("a", 1, 30)]);
    h.task.updateFetchedLag("a", 0, 0);
    h.task.updateFetchedLag("b", 0, 2);
    assert.equal(h.task.readiness(0), "waiting");
    assert.equal(h.run(0), 0);
    h.task.enqueue([record("b", 0, 5), record("b", 1, 20)]);
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.task.readiness(0), "ready");
    assert.equal(h.run(0), 4);
    assert.deepEqual(h.seen, ["b@0", "a@0", "b@1", "a@1"]);
  });

  test("a partition that runs dry mid-way makes the task wait again while it lags", () => {
    const h = harness();
    h.task.enqueue([record("a", 0, 10), record("a", 1, 11), record("a", 2, 12)]);
    h.task.enqueue([record("b", 0, 1)]);
    h.task.updateFetchedLag("b", 0, 5);
    assert.equal(h.run(0), 1, "b's buffered record goes first, then b is empty with records on the broker");
    assert.deepEqual(h.seen, ["b@0"]);
    assert.equal(h.task.readiness(0), "waiting");
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.run(0), 3);
  });

  test("lag 0 proceeds at once by default; with every partition buffered the task is ready, with none it waits", () => {
    const h = harness(0);
    assert.equal(h.task.readiness(0), "waiting", "nothing buffered anywhere");
    h.task.updateFetchedLag("a", 0, 0);
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.task.readiness(0), "waiting", "nothing buffered, lags known");
    h.task.enqueue([record("a", 0, 10)]);
    h.task.enqueue([record("b", 0, 20)]);
    assert.equal(h.task.readiness(0), "ready");
    assert.equal(h.task.enforcedProcessingTotal, 0);
    assert.equal(h.run(0), 2);
    assert.equal(h.task.enforcedProcessingTotal, 1, "b@0 went with a empty at lag 0");
  });

  test("max.task.idle.ms > 0 waits that long (wall clock) at lag 0, from when the task had to wait", () => {
    const h = harness(100);
    h.task.updateFetchedLag("b", 0, 0);
    h.task.enqueue([record("a", 0, 10)]);
    assert.equal(h.run(1000), 0);
    assert.equal(h.run(1099), 0);
    assert.equal(h.run(1100), 1, "deadline 1000 + 100 reached");
    assert.equal(h.task.enforcedProcessingTotal, 1);

    // b gets a record (the timer stops) and runs dry again: a new wait starts then.
    h.task.enqueue([record("a", 1, 30)]);
    h.task.enqueue([record("b", 0, 20)]);
    assert.equal(h.run(2000), 1, "b@0 (the lower timestamp) goes; then b is empty again");
    assert.deepEqual(h.seen, ["a@0", "b@0"]);
    assert.equal(h.run(2099), 0);
    h.task.enqueue([record("b", 1, 25)]);
    assert.equal(h.run(2099), 1, "b's record arrived in time and goes first (timestamp 25 < 30); b is empty again");
    assert.equal(h.run(2198), 0);
    assert.equal(h.run(2199), 1);
    assert.deepEqual(h.seen, ["a@0", "b@0", "b@1", "a@1"]);
  });

  test("a lag that turns positive while idling stops the timer: the wait is for the records", () => {
    const h = harness(100);
    h.task.updateFetchedLag("b", 0, 0);
    h.task.enqueue([record("a", 0, 10)]);
    assert.equal(h.run(1000), 0);
    h.task.updateFetchedLag("b", 0, 1);
    assert.equal(h.run(5000), 0, "positive lag waits however long");
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.run(5050), 0, "a new idle period starts at 5050");
    assert.equal(h.run(5150), 1);
  });

  test("-1 never waits (and is not counted as enforced processing)", () => {
    const h = harness(-1);
    h.task.enqueue([record("a", 0, 10), record("a", 1, 11)]);
    assert.equal(h.task.readiness(0), "enforced");
    assert.equal(h.run(0), 2);
    assert.equal(h.task.enforcedProcessingTotal, 0);
    assert.equal(h.task.readiness(0), "waiting", "nothing buffered");
  });

  test("per-partition buffered counts; bad settings and partitions are refused", () => {
    const h = harness();
    h.task.enqueue([record("a", 0, 10), record("a", 1, 11)]);
    assert.equal(h.task.bufferedCountOf("a", 0), 2);
    assert.equal(h.task.bufferedCountOf("b", 0), 0);
    assert.throws(() => h.task.updateFetchedLag("c", 0, 0), /does not read c-0/);
    assert.throws(() => h.task.updateFetchedLag("a", 1, 0), /does not read a-1/);
    assert.throws(() => harness(-2), RangeError);
    const base = { applicationId: "app", bootstrapServers: "localhost:9092" };
    assert.equal(resolveOptions(base).maxTaskIdleMs, 0);
    assert.equal(resolveOptions({ ...base, maxTaskIdleMs: -1 }).maxTaskIdleMs, -1);
    assert.throws(() => resolveOptions({ ...base, maxTaskIdleMs: -2 }), StreamsError);
    assert.throws(() => resolveOptions({ ...base, maxTaskIdleMs: 1.5 }), StreamsError);
  });

  test("clearBuffered (a task kept through a rebalance) drops buffered records and lags, keeps committed progress", () => {
    const h = harness();
    h.task.enqueue([record("a", 0, 10), record("a", 1, 11), record("a", 2, 12)]);
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.run(0), 3);
    h.task.enqueue([record("a", 3, 13), record("a", 4, 14)]);
    h.task.updateFetchedLag("a", 0, 0);
    h.task.clearBuffered();
    assert.equal(h.task.bufferedCount(), 0);
    assert.deepEqual([...h.task.committableOffsets().values()], [{ topic: "a", partition: 0, offset: 3 }]);
    // Fetched again from offset 3: processed once each, after b's lag is known again.
    h.task.enqueue([record("a", 3, 13), record("a", 4, 14)]);
    assert.equal(h.run(0), 0, "b's lag is unknown again");
    h.task.updateFetchedLag("b", 0, 0);
    assert.equal(h.run(0), 2);
    assert.deepEqual(h.seen, ["a@0", "a@1", "a@2", "a@3", "a@4"]);
  });

  test("property: with true lags reported, the processing order does not depend on how fetches interleave", () => {
    const partitionRecords = fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 12 });
    // A schedule step: fetch up to `count` records of a partition, or let the task process.
    const step = fc.oneof(
      fc.record({ kind: fc.constantFrom("a", "b"), count: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant("process"), count: fc.constant(0) }),
    );
    fc.assert(
      fc.property(partitionRecords, partitionRecords, fc.array(step, { maxLength: 30 }), (tsA, tsB, schedule) => {
        const logs = {
          a: tsA.map((timestampMs, offset) => record("a", offset, timestampMs)),
          b: tsB.map((timestampMs, offset) => record("b", offset, timestampMs)),
        };
        // Everything present at once (what the test driver sees).
        const all = harness();
        all.task.enqueue(logs.a);
        all.task.enqueue(logs.b);
        while (all.task.processNext());

        const fetched = harness();
        const positions = { a: 0, b: 0 };
        const fetch = (topic: "a" | "b", count: number): void => {
          const chunk = logs[topic].slice(positions[topic], positions[topic] + count);
          fetched.task.enqueue(chunk);
          positions[topic] += chunk.length;
          fetched.task.updateFetchedLag(topic, 0, logs[topic].length - positions[topic]);
        };
        for (const { kind, count } of schedule) {
          if (kind === "process") fetched.run(0);
          else fetch(kind, count);
        }
        // Then the runtime's loop: fetch what is left, a few at a time, processing in between.
        while (positions.a < logs.a.length || positions.b < logs.b.length) {
          fetch("a", 2);
          fetch("b", 3);
          fetched.run(0);
        }
        fetch("a", 0);
        fetch("b", 0);
        fetched.run(0);
        assert.deepEqual(fetched.seen, all.seen);
      }),
      { numRuns: 300 },
    );
  });
});
