// The runtime against an embedded Samsa broker: states, a pass-through and a counting topology,
// internal topics, commit and resume after a clean restart, restoration from the changelog.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { murmur2 } from "@platformatic/kafka";
import type { RestoreProgress } from "../src/runtime/changelog-reader.ts";
import type { StreamsState } from "../src/runtime/state.ts";
import { StreamsError } from "../src/runtime/errors.ts";
import type { CountStore } from "./runtime-fixtures.ts";
import { countingPlan, eventually, latestByKey, observations, passThroughPlan, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "processing" });
const { KafkaStreams } = harness;

const fast = {
  commitIntervalMs: 200,
  consumer: { sessionTimeout: 6000, heartbeatInterval: 200, rebalanceTimeout: 6000 },
} as const;

test("a pass-through topology: states from CREATED to NOT_RUNNING, every record copied to the key's partition", async () => {
  await harness.cluster.createTopic("pt-in", 3);
  await harness.cluster.createTopic("pt-out", 4);
  const observed = observations();
  const streams = new KafkaStreams(
    passThroughPlan({ applicationId: "pt", sourceTopics: ["pt-in"], output: "pt-out", observed }),
    {
      applicationId: "pt",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "pt"),
      ...fast,
    },
  );
  const states: StreamsState[] = [streams.state];
  streams.onStateChange((next) => states.push(next));
  await harness.cluster.produce(
    "pt-in",
    Array.from({ length: 30 }, (_, i) => [`k${i}`, `v${i}`] as const),
  );
  await streams.start();
  await streams.waitForState("RUNNING");
  assert.deepEqual(
    streams.tasks.map((task) => task.partition),
    [0, 1, 2],
  );
  await eventually(async () => assert.equal((await harness.cluster.readAll("pt-out")).length, 30));
  const output = await harness.cluster.readAll("pt-out");
  for (const record of output) {
    const expected = (murmur2(Buffer.from(record.key ?? new Uint8Array()), false) & 0x7fffffff) % 4;
    assert.equal(record.partition, expected, `key ${str(record.key)}`);
  }
  assert.deepEqual(
    output.map((record) => str(record.value)).sort(),
    Array.from({ length: 30 }, (_, i) => `v${i}`).sort(),
  );
  assert.equal(await streams.close({ timeoutMs: 10_000 }), true);
  assert.deepEqual(states, ["CREATED", "REBALANCING", "RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING"]);
  assert.deepEqual(observed.closed.sort(), ["0_0", "0_1", "0_2"]);
});

test("counting: changelog created compacted with the task count; offsets committed; a clean restart resumes without reprocessing", async () => {
  await harness.cluster.createTopic("cnt-in", 2);
  await harness.cluster.createTopic("cnt-out", 2);
  const observed = observations();
  const run = () =>
    new KafkaStreams(countingPlan({ applicationId: "cnt", sourceTopics: ["cnt-in"], output: "cnt-out", observed }), {
      applicationId: "cnt",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "cnt"),
      ...fast,
    });
  await harness.cluster.produce("cnt-in", [
    ["a", "1"],
    ["b", "1"],
    ["a", "2"],
  ]);
  const first = run();
  await first.start();
  await first.waitForState("RUNNING");
  await eventually(() => assert.equal(observed.processed.length, 3));
  await first.close();
  assert.equal(await harness.cluster.partitionCount("cnt-counts-changelog"), 2);
  assert.equal(await harness.cluster.topicConfig("cnt-counts-changelog", "cleanup.policy"), "compact");

  await harness.cluster.produce("cnt-in", [
    ["a", "3"],
    ["c", "1"],
  ]);
  const second = run();
  await second.start();
  await second.waitForState("RUNNING");
  await eventually(() => assert.equal(observed.processed.length, 5));
  await eventually(async () =>
    assert.deepEqual(
      latestByKey(await harness.cluster.readAll("cnt-out")),
      new Map([
        ["a", "3"],
        ["b", "1"],
        ["c", "1"],
      ]),
    ),
  );
  await second.close();
  const offsets = observed.processed.map((record) => `${record.partition}@${record.offset}`);
  assert.equal(new Set(offsets).size, offsets.length, `no record processed twice: ${offsets.join(" ")}`);
});

test("restoration: after the local state is wiped, stores are rebuilt from the changelog with progress reported", async () => {
  await harness.cluster.createTopic("rst-in", 2);
  await harness.cluster.createTopic("rst-out", 2);
  const observed = observations();
  const stores = new Map<string, CountStore>();
  const run = () =>
    new KafkaStreams(
      countingPlan({
        applicationId: "rst",
        sourceTopics: ["rst-in"],
        output: "rst-out",
        observed,
        persistent: true,
        stores,
      }),
      {
        applicationId: "rst",
        bootstrapServers: harness.bootstrapServers,
        stateDir: join(harness.stateRoot, "rst"),
        ...fast,
      },
    );
  const input = Array.from({ length: 40 }, (_, i) => [`key${i % 5}`, `${i}`] as const);
  await harness.cluster.produce("rst-in", input);
  const first = run();
  await first.start();
  await first.waitForState("RUNNING");
  await eventually(() => assert.equal(observed.processed.length, 40));
  await first.close();

  // A restart with local state: persistent stores restore only what follows their checkpoint.
  const warm = run();
  const warmProgress: RestoreProgress[] = [];
  warm.onRestoreProgress((progress) => warmProgress.push(progress));
  await warm.start();
  await warm.waitForState("RUNNING");
  assert.equal(
    [...stores.values()].reduce((sum, store) => sum + store.restoredRecords, 0),
    0,
  );
  assert.ok(warmProgress.every((progress) => progress.totalRecords === 0 && progress.done));
  await warm.close();

  await warm.cleanUp();
  const cold = run();
  const progress: RestoreProgress[] = [];
  cold.onRestoreProgress((event) => progress.push(event));
  await cold.start();
  await cold.waitForState("RUNNING");
  const totals = new Map<string, number>();
  for (const store of stores.values())
    for (const [key, count] of store.entries) totals.set(key, (totals.get(key) ?? 0) + count);
  assert.deepEqual(totals, new Map(Array.from({ length: 5 }, (_, i) => [`key${i}`, 8])));
  const done = progress.filter((event) => event.done);
  assert.deepEqual(done.map((event) => event.partition).sort(), [0, 1]);
  assert.equal(
    done.reduce((sum, event) => sum + event.restoredRecords, 0),
    40,
  );
  assert.ok(
    done.every(
      (event) =>
        event.storeName === "counts" &&
        event.topic === "rst-counts-changelog" &&
        event.restoredRecords <= event.totalRecords,
    ),
  );
  await harness.cluster.produce("rst-in", [["key0", "x"]]);
  await eventually(async () => assert.equal(latestByKey(await harness.cluster.readAll("rst-out")).get("key0"), "9"));
  await cold.close();
});

test("start fails clearly when topics are not co-partitioned, and the application ends in ERROR", async () => {
  await harness.cluster.createTopic("cp-left", 2);
  await harness.cluster.createTopic("cp-right", 3);
  const streams = new KafkaStreams(
    passThroughPlan({
      applicationId: "cp",
      sourceTopics: ["cp-left", "cp-right"],
      copartitionGroups: [["cp-left", "cp-right"]],
      output: "cp-out",
      observed: observations(),
    }),
    {
      applicationId: "cp",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "cp"),
      logger: { log() {} },
    },
  );
  await assert.rejects(
    streams.start(),
    (error: unknown) => error instanceof StreamsError && error.code === "NOT_COPARTITIONED",
  );
  assert.equal(streams.state, "ERROR");
  assert.equal(await streams.close(), true);
});

test("a missing source topic is an error at start", async () => {
  const streams = new KafkaStreams(
    passThroughPlan({
      applicationId: "missing",
      sourceTopics: ["does-not-exist"],
      output: "x",
      observed: observations(),
    }),
    {
      applicationId: "missing",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "missing"),
      logger: { log() {} },
    },
  );
  await assert.rejects(
    streams.start(),
    (error: unknown) => error instanceof StreamsError && error.code === "MISSING_SOURCE_TOPIC",
  );
  assert.equal(streams.state, "ERROR");
});
