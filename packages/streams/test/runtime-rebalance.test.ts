// Two instances of one application in one process: partitions (tasks) move between them through
// the consumer group, state follows through the changelog, and a clean rebalance commits before
// partitions move, so no record is processed twice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { StreamsState } from "../src/runtime/state.ts";
import { countingPlan, eventually, latestByKey, observations } from "./runtime-fixtures.ts";
import type { Observations } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "rebalance" });
const { KafkaStreams } = harness;

function batch(from: number, count: number): (readonly [string, string])[] {
  return Array.from({ length: count }, (_, i) => [`k${(from + i) % 8}`, String(from + i)] as const);
}

function expectedCounts(total: number): Map<string, string> {
  const counts = new Map<string, number>();
  for (let i = 0; i < total; i++) counts.set(`k${i % 8}`, (counts.get(`k${i % 8}`) ?? 0) + 1);
  return new Map([...counts].map(([key, count]) => [key, String(count)]));
}

function assertNoDuplicates(observed: Observations): void {
  const seen = observed.processed.map((record) => `${record.partition}@${record.offset}`);
  assert.equal(new Set(seen).size, seen.length, "a record was processed twice");
}

test("tasks move to a second instance and back; state follows; nothing is processed twice", async () => {
  await harness.cluster.createTopic("rb-in", 4);
  await harness.cluster.createTopic("rb-out", 4);
  const observed = observations();
  const instance = (name: string) =>
    new KafkaStreams(countingPlan({ applicationId: "rb", sourceTopics: ["rb-in"], output: "rb-out", observed }), {
      applicationId: "rb",
      bootstrapServers: harness.bootstrapServers,
      clientId: `rb-${name}`,
      stateDir: join(harness.stateRoot, name),
      commitIntervalMs: 60_000,
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 100, rebalanceTimeout: 10_000 },
    });
  const a = instance("a");
  const statesOfA: StreamsState[] = [];
  a.onStateChange((next) => statesOfA.push(next));
  await harness.cluster.produce("rb-in", batch(0, 40));
  await a.start();
  await a.waitForState("RUNNING");
  await eventually(() => assert.equal(observed.processed.length, 40));
  assert.equal(a.tasks.length, 4);

  const b = instance("b");
  await b.start();
  await eventually(() => {
    assert.equal(a.state, "RUNNING");
    assert.equal(b.state, "RUNNING");
    assert.equal(a.tasks.length, 2);
    assert.equal(b.tasks.length, 2);
  });
  assert.ok(statesOfA.includes("REBALANCING"));
  await harness.cluster.produce("rb-in", batch(40, 40));
  await eventually(() => assert.equal(observed.processed.length, 80));
  await eventually(async () =>
    assert.deepEqual(latestByKey(await harness.cluster.readAll("rb-out")), expectedCounts(80)),
  );
  assertNoDuplicates(observed);

  await b.close();
  await eventually(() => {
    assert.equal(a.state, "RUNNING");
    assert.equal(a.tasks.length, 4);
  });
  await harness.cluster.produce("rb-in", batch(80, 40));
  await eventually(() => assert.equal(observed.processed.length, 120));
  await eventually(async () =>
    assert.deepEqual(latestByKey(await harness.cluster.readAll("rb-out")), expectedCounts(120)),
  );
  assertNoDuplicates(observed);
  await a.close();
});

test("after a crash (no commit), a new instance processes from the last commit: duplicates, never a gap", async () => {
  await harness.cluster.createTopic("crash-in", 2);
  await harness.cluster.createTopic("crash-out", 2);
  const observed = observations();
  const options = (name: string) => ({
    applicationId: "crash",
    bootstrapServers: harness.bootstrapServers,
    stateDir: join(harness.stateRoot, name),
    commitIntervalMs: 3_600_000,
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 100, rebalanceTimeout: 10_000 },
    logger: { log() {} },
  });
  await harness.cluster.produce("crash-in", batch(0, 20));
  observed.failOn = (record) => record.offset === 5 && record.partition === 0;
  const crashing = new KafkaStreams(
    countingPlan({ applicationId: "crash", sourceTopics: ["crash-in"], output: "crash-out", observed }),
    options("x"),
  );
  await crashing.start();
  await crashing.waitForState("ERROR");
  const processedBeforeCrash = observed.processed.length;
  assert.ok(processedBeforeCrash > 0);
  delete observed.failOn;

  const recovering = new KafkaStreams(
    countingPlan({ applicationId: "crash", sourceTopics: ["crash-in"], output: "crash-out", observed }),
    options("y"),
  );
  await recovering.start();
  await eventually(() => assert.equal(observed.processed.length, processedBeforeCrash + 20));
  const times = new Map<string, number>();
  for (const record of observed.processed) {
    const key = `${record.partition}@${record.offset}`;
    times.set(key, (times.get(key) ?? 0) + 1);
  }
  assert.equal(times.size, 20, "every input record was processed");
  for (const count of times.values()) assert.ok(count === 1 || count === 2);
  await recovering.close();
});
