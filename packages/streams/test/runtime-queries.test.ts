// Interactive queries on a broker: two instances with application servers and one standby each;
// queryMetadataForKey routes every key to the instance whose store holds it (and names the other
// as its standby), key-value, timestamped and window views read the right values there, metadata
// lists both instances and their partitions; typed errors for unknown stores, wrong types, moved
// partitions, a stopped application and a rebalance (stale stores allowed or not).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { silentLogger } from "../src/logger.ts";
import { partitionForKey } from "../src/murmur2.ts";
import { InvalidStateStoreError, keyQueryMetadataNotAvailable } from "../src/runtime/queries.ts";
import type { InvalidStateStoreReason } from "../src/runtime/queries.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually } from "./runtime-fixtures.ts";
import { countsTopology, startSilentBroker } from "./query-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const harness = useRuntimeHarness({ prefix: "queries" });
const { KafkaStreams } = harness;

const strings = Serdes.string();

function assertReason(reason: InvalidStateStoreReason): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof InvalidStateStoreError, `expected an InvalidStateStoreError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.equal(error.code, "INVALID_STATE_STORE");
    return true;
  };
}

test("queries routed by queryMetadataForKey read every key on the instance that holds it", async () => {
  const input = "iq-in";
  await harness.cluster.createTopic(input, 4);
  const keys = Array.from({ length: 30 }, (_, i) => `user-${i}`);
  const servers = ["127.0.0.1:7001", "127.0.0.1:7002"];
  const instances = servers.map(
    (server, index) =>
      new KafkaStreams(countsTopology(input), {
        applicationId: "iq",
        bootstrapServers: harness.bootstrapServers,
        clientId: `iq-${index}`,
        stateDir: join(harness.stateRoot, `iq-${index}`),
        commitIntervalMs: 200,
        numStandbyReplicas: 1,
        applicationServer: server,
        consumer: { sessionTimeout: 10_000, heartbeatInterval: 100, rebalanceTimeout: 10_000 },
        logger: silentLogger,
      }),
  );
  const [first] = instances;
  assert.ok(first !== undefined);
  assert.throws(() => first.store({ storeName: "counts", type: "keyValue" }), assertReason("NOT_RUNNING"));
  for (const streams of instances) await streams.start();
  await eventually(() => {
    for (const streams of instances) {
      assert.equal(streams.state, "RUNNING");
      assert.equal(streams.tasks.length, 2);
      assert.equal(streams.metadataForAllStreamsClients().length, 2);
    }
  }, 30_000);
  const records = keys.flatMap((key, i) => Array.from({ length: (i % 5) + 1 }, () => [key, "x"] as const));
  await harness.cluster.produce(input, records);
  const want = (key: string): number => records.filter(([k]) => k === key).length;

  const byServer = new Map(servers.map((server, index) => [server, instances[index]]));
  await eventually(() => {
    for (const key of keys) {
      for (const asked of instances) {
        const where = asked.queryMetadataForKey("counts", key, strings);
        // Kafka's default partitioner over the serialized key, among the source topic's partitions.
        assert.equal(where.partition, partitionForKey(Buffer.from(key), 4));
        const owner = byServer.get(`${where.activeHost.host}:${where.activeHost.port}`);
        assert.ok(owner !== undefined, `unknown host ${JSON.stringify(where.activeHost)}`);
        assert.deepEqual(
          where.standbyHosts.map((host) => `${host.host}:${host.port}`),
          servers.filter((server) => byServer.get(server) !== owner),
        );
        assert.ok(owner.tasks.some((task) => task.partition === where.partition));
        const counts = owner.store<string, number, "keyValue">({ storeName: "counts", type: "keyValue" });
        assert.equal(counts.get(key), want(key), `count of ${key}`);
        const stamped = owner.store<string, number, "timestampedKeyValue">({
          storeName: "counts",
          type: "timestampedKeyValue",
          partition: where.partition,
        });
        assert.equal(stamped.get(key)?.value, want(key));
        assert.ok((stamped.get(key)?.timestampMs ?? -1) > 0);
        const windows = owner.store<string, number, "window">({ storeName: "window-counts", type: "window" });
        const found = [...windows.fetchRange(key, 0, Number.MAX_SAFE_INTEGER)];
        assert.equal(
          found.reduce((sum, entry) => sum + entry.value, 0),
          want(key),
        );
        assert.deepEqual(
          [...windows.backwardFetch(key, 0, Number.MAX_SAFE_INTEGER)].map((entry) => entry.key.window.startMs),
          found.map((entry) => entry.key.window.startMs).reverse(),
        );
        // The other instance holds the key only as a standby copy.
        const other = instances.find((streams) => streams !== owner);
        assert.ok(other !== undefined);
        assert.equal(
          other.store<string, number, "keyValue">({ storeName: "counts", type: "keyValue" }).get(key),
          undefined,
        );
        assert.equal(
          other
            .store<string, number, "keyValue">({ storeName: "counts", type: "keyValue", enableStaleStores: true })
            .get(key),
          want(key),
        );
        assert.throws(
          () => other.store({ storeName: "counts", type: "keyValue", partition: where.partition }).get(key),
          assertReason("MIGRATED"),
        );
      }
    }
  }, 30_000);

  for (const streams of instances) {
    const all = streams.metadataForAllStreamsClients();
    assert.deepEqual(all.map((metadata) => `${metadata.hostInfo.host}:${metadata.hostInfo.port}`).sort(), servers);
    const partitions = all.flatMap((metadata) => metadata.topicPartitions.map((tp) => `${tp.topic}:${tp.partition}`));
    assert.deepEqual(partitions.sort(), ["iq-in:0", "iq-in:1", "iq-in:2", "iq-in:3"]);
    for (const metadata of all) {
      assert.deepEqual(metadata.stateStoreNames, ["counts", "window-counts"]);
      assert.equal(metadata.standbyTopicPartitions.length, 2);
    }
    assert.equal(streams.streamsMetadataForStore("counts").length, 2);
    const [local] = streams.metadataForLocalThreads();
    assert.deepEqual(
      local?.activeTasks.map((task) => task.taskId).sort(),
      streams.tasks.map((t) => `0_${t.partition}`).sort(),
    );
    assert.equal(local?.standbyTasks.length, 2);
    assert.equal(
      [...streams.store<string, number, "keyValue">({ storeName: "counts", type: "keyValue" }).all()].length +
        [
          ...instances
            .find((other) => other !== streams)!
            .store<string, number, "keyValue">({ storeName: "counts", type: "keyValue" })
            .all(),
        ].length,
      keys.length,
    );
  }

  assert.throws(() => first.store({ storeName: "nope", type: "keyValue" }), assertReason("UNKNOWN_STORE"));
  assert.throws(() => first.queryMetadataForKey("nope", "k", strings), assertReason("UNKNOWN_STORE"));
  assert.throws(() => first.store({ storeName: "counts", type: "window" }).fetch("k", 0), assertReason("WRONG_TYPE"));
  assert.throws(
    () => first.store({ storeName: "counts", type: "keyValue", partition: 9 }).get("k"),
    assertReason("INVALID_PARTITION"),
  );
  // A partitioner instead of a serializer.
  assert.equal(first.queryMetadataForKey("counts", "anything", (_key, count) => count - 1).partition, 3);
});

test("while rebalancing, queries fail with REBALANCING unless stale stores are allowed; no metadata yet", async () => {
  // A broker that accepts connections and never answers keeps start() in REBALANCING.
  const silent = await startSilentBroker();
  const stuck = new KafkaStreams(countsTopology("iq-stuck-in"), {
    applicationId: "iq-stuck",
    bootstrapServers: silent.bootstrapServers,
    stateDir: join(harness.stateRoot, "stuck"),
    applicationServer: "127.0.0.1:7009",
    client: { timeout: 60_000, retries: 0 },
    logger: silentLogger,
  });
  try {
    const started = stuck.start().catch(() => undefined);
    assert.equal(stuck.state, "REBALANCING");
    assert.throws(() => stuck.store({ storeName: "counts", type: "keyValue" }), assertReason("REBALANCING"));
    const stale = stuck.store<string, number, "keyValue">({
      storeName: "counts",
      type: "keyValue",
      enableStaleStores: true,
    });
    assert.throws(() => stale.get("k"), assertReason("MIGRATED"));
    assert.deepEqual(stuck.queryMetadataForKey("counts", "k", strings), keyQueryMetadataNotAvailable);
    assert.deepEqual(stuck.metadataForAllStreamsClients(), []);
    await stuck.close({ timeoutMs: 5_000 });
    assert.throws(() => stale.get("k"), assertReason("NOT_RUNNING"));
    void started;
  } finally {
    silent.close();
  }
});
