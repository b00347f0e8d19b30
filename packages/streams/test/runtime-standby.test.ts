// Standby replicas on a broker: with numStandbyReplicas=1 every instance keeps a copy of the
// other instances' count stores, read from the changelogs; once the input is processed the copies
// equal the actives'. When an active instance closes, its tasks move to the instances holding
// their standbys, which restore nothing from the changelogs (the standby had it all) — with
// in-memory stores (the task object is handed over) and persistent ones (same task directory).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import type { KafkaStreams as Streams } from "../src/runtime/kafka-streams.ts";
import type { RestoreProgress } from "../src/runtime/changelog-reader.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "standby" });
const { KafkaStreams } = harness;

function countTopology(input: string, storeType: "in-memory" | "persistent") {
  const builder = new StreamsBuilder({ logger: silentLogger });
  builder
    .stream(input, { key: Serdes.string(), value: Serdes.string() })
    .groupByKey()
    .count({ storeName: "counts", storeType });
  return builder.build();
}

function records(from: number, count: number, keys: number): (readonly [string, string])[] {
  return Array.from({ length: count }, (_, i) => [`key-${(from + i) % keys}`, String(from + i)] as const);
}

function expected(total: number, keys: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < total; i++) counts.set(`key-${i % keys}`, (counts.get(`key-${i % keys}`) ?? 0) + 1);
  return counts;
}

/** Every entry of the `counts` store on one instance; with stale stores, its standby copies too. */
function localCounts(streams: Streams, stale: boolean): Map<string, number> {
  const view = streams.store<string, number, "keyValue">({
    storeName: "counts",
    type: "keyValue",
    enableStaleStores: stale,
  });
  return new Map([...view.all()].map(({ key, value }) => [key, value]));
}

async function scenario(options: {
  readonly app: string;
  readonly instances: number;
  readonly storeType: "in-memory" | "persistent";
  readonly processingGuarantee?: "at_least_once" | "exactly_once_v2";
}) {
  const { app } = options;
  const input = `${app}-in`;
  const partitions = 2 * options.instances;
  const keys = 24;
  await harness.cluster.createTopic(input, partitions);
  const restored = new Map<string, RestoreProgress[]>();
  const instance = (name: string): Streams => {
    const streams = new KafkaStreams(countTopology(input, options.storeType), {
      applicationId: app,
      bootstrapServers: harness.bootstrapServers,
      clientId: `${app}-${name}`,
      stateDir: join(harness.stateRoot, app, name),
      commitIntervalMs: 200,
      numStandbyReplicas: 1,
      processingGuarantee: options.processingGuarantee ?? "at_least_once",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 100, rebalanceTimeout: 10_000 },
      logger: silentLogger,
    });
    const progress: RestoreProgress[] = [];
    restored.set(name, progress);
    streams.onRestoreProgress((event) => progress.push(event));
    return streams;
  };
  const names = Array.from({ length: options.instances }, (_, index) => String.fromCharCode(97 + index));
  const all = names.map(instance);
  for (const streams of all) await streams.start();
  await eventually(() => {
    for (const streams of all) {
      assert.equal(streams.state, "RUNNING");
      assert.equal(streams.tasks.length, 2);
      assert.equal(streams.standbyTasks.length, 2);
      const active = new Set(streams.tasks.map((task) => task.partition));
      for (const standby of streams.standbyTasks) assert.ok(!active.has(standby.partition), "standby with its active");
    }
  }, 30_000);

  await harness.cluster.produce(input, records(0, 300, keys));
  const want = expected(300, keys);
  // Actives across instances hold every count; each instance's standbys hold the same values as the actives.
  await eventually(() => {
    const actives = new Map<string, number>();
    for (const streams of all) for (const [key, value] of localCounts(streams, false)) actives.set(key, value);
    assert.deepEqual(actives, want);
    for (const streams of all) {
      const withStandbys = localCounts(streams, true);
      const standbyOnly = [...withStandbys].filter(([key]) => !localCounts(streams, false).has(key));
      assert.ok(standbyOnly.length > 0);
      for (const [key, value] of standbyOnly) assert.equal(value, want.get(key), `standby copy of ${key}`);
      assert.equal(withStandbys.size, options.instances === 2 ? keys : withStandbys.size);
    }
  }, 30_000);

  // Close the first instance: its tasks move to the instances with their standbys, restoring nothing.
  const [leaving, ...staying] = all;
  assert.ok(leaving !== undefined);
  const movedPartitions = new Set(leaving.tasks.map((task) => task.partition));
  const changelogSizes = await harness.cluster.readAll(`${app}-counts-changelog`);
  const movedChangelogRecords = changelogSizes.filter((record) => movedPartitions.has(record.partition)).length;
  assert.ok(movedChangelogRecords > 0, "the moving tasks have changelog records a cold start would restore");
  const restoredBefore = new Map(
    staying.map((_, index) => [names[index + 1] ?? "", restored.get(names[index + 1] ?? "")?.length ?? 0]),
  );
  await leaving.close();
  await eventually(() => {
    const taken = new Set(staying.flatMap((streams) => streams.tasks.map((task) => task.partition)));
    for (const streams of staying) assert.equal(streams.state, "RUNNING");
    assert.equal(taken.size, partitions);
  }, 30_000);
  let restoredRecords = 0;
  let movedStores = 0;
  for (const [name, before] of restoredBefore)
    for (const event of (restored.get(name) ?? []).slice(before))
      if (event.done && movedPartitions.has(event.partition)) {
        movedStores++;
        restoredRecords += event.restoredRecords;
      }
  assert.ok(movedStores >= movedPartitions.size, "restoration of the moved tasks was reported");
  assert.equal(restoredRecords, 0, "the standbys were caught up: nothing to restore");

  // Processing goes on from the warm stores.
  await harness.cluster.produce(input, records(300, 120, keys));
  const wantAfter = expected(420, keys);
  await eventually(() => {
    const actives = new Map<string, number>();
    for (const streams of staying) for (const [key, value] of localCounts(streams, false)) actives.set(key, value);
    assert.deepEqual(actives, wantAfter);
  }, 30_000);
}

test("two instances, in-memory stores: standbys catch up and take over with nothing to restore", async () => {
  await scenario({ app: "standby-mem", instances: 2, storeType: "in-memory" });
});

test("three instances, persistent stores: standbys catch up and take over with nothing to restore", async () => {
  await scenario({ app: "standby-disk", instances: 3, storeType: "persistent" });
});

test("exactly once: standbys read the changelogs read_committed and take over with nothing to restore", async () => {
  await scenario({ app: "standby-eos", instances: 2, storeType: "in-memory", processingGuarantee: "exactly_once_v2" });
});
