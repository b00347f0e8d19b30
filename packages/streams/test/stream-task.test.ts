// The task (Kafka's StreamTask) driven directly through the runtime contract: partition-group
// choice, stream time, punctuators, offsets, changelog and sink sends, error policies.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { silentLogger } from "../src/logger.ts";
import type { Processor, ProcessorContext } from "../src/processor.ts";
import type { RecordMetadata } from "../src/record.ts";
import type { ConsumedRecord, OutgoingRecord, TaskEnvironment, TopologyTask } from "../src/runtime-contract.ts";
import { Serdes } from "../src/serdes.ts";
import type { KeyValueStore } from "../src/state/store.ts";
import { Stores } from "../src/state/stores.ts";
import { ProcessingError } from "../src/topology/errors.ts";
import type { PlanOptions } from "../src/topology/plan-options.ts";
import { Topology } from "../src/topology/topology.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | null): string | null => (bytes === null ? null : new TextDecoder().decode(bytes));

function consumed(
  topic: string,
  offset: number,
  timestampMs: number,
  value: string | null = `v${offset}`,
  key: string | null = `k${offset}`,
): ConsumedRecord {
  return {
    topic,
    partition: 0,
    offset,
    key: key === null ? null : encode(key),
    value: value === null ? null : encode(value),
    timestampMs,
    headers: [],
  };
}

interface Harness {
  task: TopologyTask;
  sent: OutgoingRecord[];
  clock: { nowMs: number };
  commits: number;
}

function harness(topology: Topology, options: PlanOptions = {}): Harness {
  const sent: OutgoingRecord[] = [];
  const clock = { nowMs: 1000 };
  const result = { sent, clock, commits: 0 } as Harness;
  const env: TaskEnvironment = {
    applicationId: "app",
    stateDir: undefined,
    nowMs: () => clock.nowMs,
    send: (record) => sent.push(record),
    requestCommit: () => result.commits++,
  };
  result.task = topology
    .plan("app", { logger: silentLogger, ...options })
    .createTask({ subtopology: 0, partition: 0 }, env);
  result.task.initialize();
  return result;
}

interface Seen {
  key: string | null;
  value: string | null;
  timestampMs: number;
  streamTimeMs: number;
  metadata: RecordMetadata | undefined;
}

function recorder(
  seen: Seen[],
  setup?: (context: ProcessorContext<string, string>) => void,
): () => Processor<string | null, string | null, string, string> {
  return () => {
    let context: ProcessorContext<string, string>;
    return {
      init(c) {
        context = c;
        setup?.(c);
      },
      process(record) {
        seen.push({
          key: record.key,
          value: record.value,
          timestampMs: record.timestampMs,
          streamTimeMs: context.currentStreamTimeMs(),
          metadata: context.recordMetadata,
        });
      },
    };
  };
}

const twoTopics = (seen: Seen[], setup?: (context: ProcessorContext<string, string>) => void): Topology =>
  new Topology()
    .addSource({ name: "src", topics: ["a", "b"], key: Serdes.string(), value: Serdes.string() })
    .addProcessor({ name: "p", processor: recorder(seen, setup), parents: ["src"] });

describe("StreamTask", () => {
  test("picks the partition whose head has the lowest timestamp; stream time never goes back", () => {
    const seen: Seen[] = [];
    const { task } = harness(twoTopics(seen));
    task.enqueue([consumed("a", 0, 5), consumed("a", 1, 1)]);
    task.enqueue([consumed("b", 0, 3)]);
    assert.equal(task.bufferedCount(), 3);
    while (task.processNext());
    assert.deepEqual(
      seen.map((s) => [s.metadata?.topic, s.timestampMs, s.streamTimeMs]),
      [
        ["b", 3, 3],
        ["a", 5, 5],
        ["a", 1, 5],
      ],
    );
    assert.equal(task.bufferedCount(), 0);
    assert.equal(task.processNext(), false);
    assert.deepEqual(
      [...task.committableOffsets().values()],
      [
        { topic: "a", partition: 0, offset: 2 },
        { topic: "b", partition: 0, offset: 1 },
      ],
    );
  });

  test("record metadata, and records rejected from topics or partitions the task does not read", () => {
    const seen: Seen[] = [];
    const { task } = harness(twoTopics(seen));
    task.enqueue([consumed("a", 41, 1)]);
    task.processNext();
    assert.deepEqual(seen[0]?.metadata && { ...seen[0].metadata }, { ...consumed("a", 41, 1) });
    assert.throws(() => task.enqueue([consumed("c", 0, 1)]), /does not read topic c/);
    assert.throws(() => task.enqueue([{ ...consumed("a", 0, 1), partition: 1 }]), /reads partition 0/);
  });

  test("stream-time punctuators fire as stream time passes their interval (aligned to 0, missed intervals skipped)", () => {
    const fired: [number, RecordMetadata | undefined][] = [];
    let context!: ProcessorContext<string, string>;
    const { task } = harness(
      twoTopics([], (c) => {
        context = c;
        c.schedule(10, "stream-time", (timestampMs) => fired.push([timestampMs, context.recordMetadata]));
      }),
    );
    const at = (offset: number, timestampMs: number): void => {
      task.enqueue([consumed("a", offset, timestampMs)]);
      task.processNext();
    };
    at(0, 5); // first punctuation as soon as there is stream time
    at(1, 7);
    at(2, 3); // late record: stream time stays 7
    at(3, 10);
    at(4, 45); // 20, 30 and 40 were missed: one punctuation, next at 50
    at(5, 49);
    at(6, 50);
    assert.deepEqual(
      fired.map(([timestampMs]) => timestampMs),
      [5, 10, 45, 50],
    );
    assert.ok(
      fired.every(([, metadata]) => metadata === undefined),
      "no record metadata inside a punctuator",
    );
  });

  test("wall-clock punctuators fire on punctuateWallClock; cancel stops them", () => {
    const fired: number[] = [];
    let cancel = (): void => undefined;
    const { task, clock } = harness(
      twoTopics([], (c) => {
        const schedule = c.schedule(100, "wall-clock-time", (nowMs) => {
          fired.push(nowMs);
          if (fired.length === 3) cancel();
        });
        cancel = () => schedule.cancel();
      }),
    );
    // Scheduled at init: now (1000) + 100.
    task.punctuateWallClock(1099);
    task.punctuateWallClock(1100);
    task.punctuateWallClock(1350); // 1200 and 1300 missed: fires once, next at 1400
    task.punctuateWallClock(1400);
    task.punctuateWallClock(1500);
    assert.deepEqual(fired, [1100, 1350, 1400]);
    assert.equal(clock.nowMs, 1000);
  });

  test("punctuation intervals must be ≥ 1 ms", () => {
    assert.throws(() => harness(twoTopics([], (c) => c.schedule(0, "stream-time", () => undefined))), RangeError);
  });

  test("deserialization errors: log-and-fail (default) fails; log-and-continue skips and still commits past the record", () => {
    const broken: ConsumedRecord = { ...consumed("a", 0, 1), value: new Uint8Array([1, 2, 3]) };
    const int32Topology = (seen: Seen[]): Topology =>
      new Topology()
        .addSource({ name: "src", topics: "a", value: Serdes.int32() })
        .addProcessor({ name: "p", processor: recorder(seen), parents: ["src"] });
    const failing = harness(int32Topology([]));
    failing.task.enqueue([broken]);
    assert.throws(
      () => failing.task.processNext(),
      (e: unknown) => e instanceof ProcessingError && /cannot deserialize the record at a-0 offset 0/.test(e.message),
    );

    const seen: Seen[] = [];
    const continuing = harness(int32Topology(seen), { deserializationErrorHandler: "log-and-continue" });
    continuing.task.enqueue([
      broken,
      { ...consumed("a", 1, 2), value: Serdes.int32().serialize(7, { topic: "a", headers: [] }) },
    ]);
    while (continuing.task.processNext());
    assert.equal(seen.length, 1);
    assert.deepEqual([...continuing.task.committableOffsets().values()], [{ topic: "a", partition: 0, offset: 2 }]);

    const handled: number[] = [];
    const custom = harness(int32Topology([]), {
      deserializationErrorHandler: ({ record }) => {
        handled.push(record.offset);
        return "continue";
      },
    });
    custom.task.enqueue([broken]);
    assert.equal(custom.task.processNext(), false);
    assert.deepEqual(handled, [0]);
    assert.deepEqual([...custom.task.committableOffsets().values()], [{ topic: "a", partition: 0, offset: 1 }]);
  });

  test("invalid timestamps: negative fails by default; an extractor returning a negative time skips the record", () => {
    const failing = harness(twoTopics([]));
    failing.task.enqueue([consumed("a", 0, -1)]);
    assert.throws(() => failing.task.processNext(), /invalid \(negative\) timestamp -1/);

    const seen: Seen[] = [];
    const topology = new Topology()
      .addSource({
        name: "src",
        topics: "a",
        key: Serdes.string(),
        value: Serdes.string(),
        timestampExtractor: (record, partitionTimeMs) =>
          record.offset === 1 ? -1 : record.timestampMs + partitionTimeMs,
      })
      .addProcessor({ name: "p", processor: recorder(seen), parents: ["src"] });
    const { task } = harness(topology);
    task.enqueue([consumed("a", 0, 10), consumed("a", 1, 20), consumed("a", 2, 30)]);
    while (task.processNext());
    // Partition time starts at -1, then is 9 (the first extracted time).
    assert.deepEqual(
      seen.map((s) => s.timestampMs),
      [9, 39],
    );
  });

  test("sinks serialize and send with the record's time and headers; stores log to their changelog on the task's partition", () => {
    const topology = new Topology()
      .addSource({ name: "src", topics: "a", key: Serdes.string(), value: Serdes.string() })
      .addProcessor<string | null, string | null, string, number>({
        name: "count",
        processor: () => {
          let context: ProcessorContext<string, number>;
          let store: KeyValueStore<string, number>;
          return {
            init(c) {
              context = c;
              store = c.getStateStore("counts");
            },
            process(record) {
              const key = record.key ?? "";
              const count = (store.get(key) ?? 0) + 1;
              store.put(key, count);
              context.forward({
                key,
                value: count,
                timestampMs: record.timestampMs + 1,
                headers: [["h", encode("x")]],
              });
            },
          };
        },
        parents: ["src"],
      })
      .addStateStore(Stores.inMemoryKeyValueStore({ name: "counts", key: Serdes.string(), value: Serdes.long() }), [
        "count",
      ])
      .addSink({ name: "out", topic: "counts-out", key: Serdes.string(), value: Serdes.long(), parents: ["count"] });
    const { task, sent } = harness(topology);
    assert.deepEqual(
      task.stores.map((s) => [s.store.name, s.changelogTopic]),
      [["counts", "app-counts-changelog"]],
    );
    task.enqueue([consumed("a", 0, 100, "x", "k"), consumed("a", 1, 200, "y", "k")]);
    while (task.processNext());
    assert.deepEqual(
      sent.map((r) => [
        r.topic,
        r.partition,
        decode(r.key),
        Buffer.from(r.value ?? []).toString("hex"),
        r.timestampMs,
        r.headers.length,
      ]),
      [
        ["app-counts-changelog", 0, "k", "0000000000000001", 100, 0],
        ["counts-out", undefined, "k", "0000000000000001", 101, 1],
        ["app-counts-changelog", 0, "k", "0000000000000002", 200, 0],
        ["counts-out", undefined, "k", "0000000000000002", 201, 1],
      ],
    );
  });

  test("forward to a named child; unknown children, unconnected stores and processor errors fail with the task and record", () => {
    const reached: string[] = [];
    const child = (name: string) => (): Processor<unknown, unknown> => ({ process: () => void reached.push(name) });
    let mode = "left";
    const topology = new Topology()
      .addSource({ name: "src", topics: "a", key: Serdes.string(), value: Serdes.string() })
      .addProcessor({
        name: "router",
        processor: () => {
          let context: ProcessorContext<unknown, unknown>;
          return {
            init: (c) => (context = c),
            process(record) {
              if (mode === "store") context.getStateStore("nope");
              if (mode === "throw") throw new Error("boom");
              context.forward(record, mode);
            },
          };
        },
        parents: ["src"],
      })
      .addProcessor({ name: "left", processor: child("left"), parents: ["router"] })
      .addProcessor({ name: "right", processor: child("right"), parents: ["router"] });
    const { task } = harness(topology);
    const step = (offset: number): void => {
      task.enqueue([consumed("a", offset, offset)]);
      task.processNext();
    };
    step(0);
    mode = "right";
    step(1);
    assert.deepEqual(reached, ["left", "right"]);
    mode = "elsewhere";
    assert.throws(() => step(2), /unknown downstream node: elsewhere/);
    mode = "store";
    assert.throws(() => step(3), /router has no access to state store nope/);
    mode = "throw";
    assert.throws(
      () => step(4),
      (e: unknown) =>
        e instanceof ProcessingError &&
        /task 0_0: exception caught processing the record at a-0 offset 4: boom/.test(e.message) &&
        e.cause instanceof Error,
    );
  });

  test("commit requests reach the environment; close closes processors and stores", () => {
    let closed = 0;
    const topology = new Topology()
      .addSource({ name: "src", topics: "a" })
      .addProcessor({
        name: "p",
        processor: () => {
          let context: ProcessorContext<unknown, unknown>;
          return { init: (c) => (context = c), process: () => context.commit(), close: () => void closed++ };
        },
        parents: ["src"],
        stores: [],
      })
      .addStateStore(Stores.inMemoryKeyValueStore({ name: "s", key: Serdes.string(), value: Serdes.string() }), ["p"]);
    const h = harness(topology);
    h.task.enqueue([consumed("a", 0, 0)]);
    h.task.processNext();
    assert.equal(h.commits, 1);
    h.task.flush();
    h.task.close();
    assert.equal(closed, 1);
    assert.throws(() => (h.task.stores[0]?.store as KeyValueStore<string, string>).get("x"), /not open/);
    assert.throws(() => h.task.processNext(), /closed/);
  });
});
