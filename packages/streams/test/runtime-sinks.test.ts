// Sink topics the application does not create: like Kafka Streams' producer, the runtime asks for a
// missing topic through Metadata with auto-creation allowed (the broker creates it when its
// auto.create.topics.enable says so), and otherwise fails with a clear error within a bounded time
// (Kafka's max.block.ms) through the uncaught-error policy, instead of waiting forever.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StreamsError } from "../src/runtime/errors.ts";
import type { StreamsState } from "../src/runtime/state.ts";
import { eventually, observations, passThroughPlan, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const quiet = { log() {} };
const harness = useRuntimeHarness({ prefix: "sinks" });
const { KafkaStreams } = harness;

const records = (count: number) => Array.from({ length: count }, (_, i) => [`k${i}`, `v${i}`] as const);

test("a missing sink topic is auto-created through Metadata (the broker allows it by default) and written", async () => {
  await harness.cluster.createTopic("auto-in", 2);
  const streams = new KafkaStreams(
    passThroughPlan({ applicationId: "auto", sourceTopics: ["auto-in"], output: "auto-out", observed: observations() }),
    {
      applicationId: "auto",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "auto"),
      logger: quiet,
    },
  );
  await harness.cluster.produce("auto-in", records(20));
  await streams.start();
  await eventually(async () =>
    assert.deepEqual(
      new Set((await harness.cluster.readAll("auto-out")).map((record) => str(record.value))),
      new Set(records(20).map(([, value]) => value)),
    ),
  );
  // With the broker's num.partitions (1 on both targets' defaults).
  assert.equal(await harness.cluster.partitionCount("auto-out"), 1);
  const closeStartedMs = Date.now();
  assert.equal(await streams.close({ timeoutMs: 30_000 }), true);
  assert.ok(Date.now() - closeStartedMs < 10_000, "close() does not wait out its timeout");
  assert.equal(streams.state, "NOT_RUNNING");
});

test("a missing sink topic that may not be created fails the application within maxBlockMs, with the topic named", async () => {
  await harness.cluster.createTopic("noauto-in", 1);
  const handled: unknown[] = [];
  const streams = new KafkaStreams(
    passThroughPlan({
      applicationId: "noauto",
      sourceTopics: ["noauto-in"],
      output: "noauto-out",
      observed: observations(),
    }),
    {
      applicationId: "noauto",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "noauto"),
      // Kafka's producer allow.auto.create.topics=false and max.block.ms.
      producer: { autocreateTopics: false, maxBlockMs: 2_000 },
      uncaughtErrorHandler: (error) => {
        handled.push(error);
        return "shutdown-client";
      },
      logger: quiet,
    },
  );
  const states: StreamsState[] = [];
  streams.onStateChange((next) => states.push(next));
  await harness.cluster.produce("noauto-in", records(3));
  const startedMs = Date.now();
  await streams.start();
  await streams.waitForState("ERROR", 20_000);
  assert.ok(Date.now() - startedMs < 15_000, "the error comes within a bounded time");
  assert.equal(handled.length, 1);
  const error = handled[0];
  assert.ok(error instanceof StreamsError, String(error));
  assert.match(error.message, /noauto-out/);
  assert.match(error.message, /2000 ms/);
  assert.deepEqual(states.slice(-2), ["PENDING_ERROR", "ERROR"]);
  // Nothing was created behind the application's back.
  await assert.rejects(harness.cluster.partitionCount("noauto-out"), /Unknown topic noauto-out/);
  const closeStartedMs = Date.now();
  assert.equal(await streams.close({ timeoutMs: 30_000 }), true);
  assert.ok(Date.now() - closeStartedMs < 10_000, "close() does not wait out its timeout");
});
