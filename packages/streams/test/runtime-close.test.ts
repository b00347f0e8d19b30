// Embedded mode in one line, and a clean close: once the application and the broker are closed,
// no socket, timer or handle of theirs is left (the test process can exit).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startEmbeddedBroker } from "../src/runtime/embedded.ts";
import { KafkaStreams } from "../src/runtime/kafka-streams.ts";
import { TestCluster, countingPlan, eventually, observations } from "./runtime-fixtures.ts";

function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

test("start an embedded broker, run, close everything: no handles left", async () => {
  const before = resources();
  const stateDir = await mkdtemp(join(tmpdir(), "samsa-streams-close-"));
  const broker = await startEmbeddedBroker();
  const cluster = new TestCluster(broker.bootstrapServers);
  await cluster.createTopic("close-in", 2);
  await cluster.createTopic("close-out", 2);
  await cluster.produce("close-in", [
    ["a", "1"],
    ["b", "2"],
  ]);
  const observed = observations();
  const streams = new KafkaStreams(
    countingPlan({ applicationId: "close", sourceTopics: ["close-in"], output: "close-out", observed }),
    {
      applicationId: "close",
      bootstrapServers: broker.bootstrapServers,
      stateDir,
    },
  );
  await streams.start();
  await streams.waitForState("RUNNING");
  await eventually(() => assert.equal(observed.processed.length, 2));
  assert.equal(await streams.close({ timeoutMs: 10_000 }), true);
  await cluster.close();
  await broker.close();
  await rm(stateDir, { recursive: true, force: true });
  await new Promise((resolve) => setImmediate(resolve));
  const left = resources();
  for (const [name, count] of left)
    assert.ok(
      count <= (before.get(name) ?? 0),
      `${count} ${name} left (before: ${before.get(name) ?? 0}): ${[...left].join(", ")}`,
    );
});
