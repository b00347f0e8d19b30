// Failure handling: the uncaught-error policy (replace the thread, or shut the client down), the
// deserialization-error policy handed to the topology, global stores, and a clean close that leaves no
// sockets or timers behind.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StreamsError } from "../src/runtime/errors.ts";
import type { PlannableTopology } from "../src/runtime/kafka-streams.ts";
import type { PlanOptions } from "../src/topology/plan-options.ts";
import type { StreamsState } from "../src/runtime/state.ts";
import { eventually, globalTablePlan, observations, passThroughPlan, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const quiet = { log() {} };
const harness = useRuntimeHarness({ prefix: "errors" });
const { KafkaStreams } = harness;

const records = (count: number) => Array.from({ length: count }, (_, i) => [`k${i}`, `v${i}`] as const);

test("replace-thread: the loop restarts after an error, from the last commit, and the application keeps running", async () => {
  await harness.cluster.createTopic("rt-in", 1);
  await harness.cluster.createTopic("rt-out", 1);
  const observed = observations();
  let failures = 0;
  observed.failOn = (record) => record.offset === 7 && failures++ === 0;
  const handled: unknown[] = [];
  const streams = new KafkaStreams(
    passThroughPlan({ applicationId: "rt", sourceTopics: ["rt-in"], output: "rt-out", observed }),
    {
      applicationId: "rt",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "rt"),
      commitIntervalMs: 60_000,
      uncaughtErrorHandler: (error) => {
        handled.push(error);
        return "replace-thread";
      },
      logger: quiet,
    },
  );
  const states: StreamsState[] = [];
  streams.onStateChange((next) => states.push(next));
  await harness.cluster.produce("rt-in", records(10));
  await streams.start();
  await eventually(() => assert.equal(new Set(observed.processed.map((record) => record.offset)).size, 10));
  await streams.waitForState("RUNNING");
  assert.equal(handled.length, 1);
  assert.ok(
    handled[0] instanceof StreamsError &&
      handled[0].code === "PROCESSING_FAILED" &&
      /poison record/.test(handled[0].message),
  );
  assert.deepEqual(states.slice(0, 4), ["REBALANCING", "RUNNING", "REBALANCING", "RUNNING"]);
  // Nothing was committed before the failure: offsets 0–6 ran twice (what they sent before the
  // failure was dropped unsent), everything at least once.
  assert.equal(observed.processed.length, 17);
  await eventually(async () =>
    assert.deepEqual(
      new Set((await harness.cluster.readAll("rt-out")).map((record) => str(record.value))),
      new Set(records(10).map(([, value]) => value)),
    ),
  );
  assert.equal(await streams.close(), true);
  assert.equal(streams.state, "NOT_RUNNING");
});

test("shutdown-client (the default): the application stops in ERROR without committing", async () => {
  await harness.cluster.createTopic("sc-in", 1);
  const observed = observations();
  observed.failOn = (record) => record.offset === 3;
  const streams = new KafkaStreams(
    passThroughPlan({ applicationId: "sc", sourceTopics: ["sc-in"], output: "sc-in-copy", observed }),
    {
      applicationId: "sc",
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, "sc"),
      logger: quiet,
    },
  );
  await harness.cluster.createTopic("sc-in-copy", 1);
  const states: StreamsState[] = [];
  streams.onStateChange((next) => states.push(next));
  await harness.cluster.produce("sc-in", records(5));
  await streams.start();
  await streams.waitForState("ERROR");
  assert.deepEqual(states, ["REBALANCING", "RUNNING", "PENDING_ERROR", "ERROR"]);
  assert.equal(observed.processed.length, 3);
  assert.equal(await streams.close(), true);
  await assert.rejects(
    streams.start(),
    (error: unknown) => error instanceof StreamsError && error.code === "ILLEGAL_STATE",
  );
});

test("a topology is planned with the application's deserialization-error policy and logger", async () => {
  await harness.cluster.createTopic("de-in", 1);
  const received: (PlanOptions | undefined)[] = [];
  const handler = (): "continue" => "continue";
  const topology: PlannableTopology = {
    plan(applicationId, options) {
      received.push(options);
      return passThroughPlan({ applicationId, sourceTopics: ["de-in"], output: "de-in", observed: observations() });
    },
  };
  const streams = new KafkaStreams(topology, {
    applicationId: "de",
    bootstrapServers: harness.bootstrapServers,
    stateDir: join(harness.stateRoot, "de"),
    defaultDeserializationErrorHandler: handler,
    logger: quiet,
  });
  assert.equal(received.length, 1);
  assert.equal(received[0]?.deserializationErrorHandler, handler);
  assert.equal(received[0]?.logger, quiet);
  new KafkaStreams(topology, { applicationId: "de2", bootstrapServers: harness.bootstrapServers });
  assert.equal(received[1]?.deserializationErrorHandler, "log-and-fail");
  assert.throws(
    () =>
      new KafkaStreams(
        passThroughPlan({ applicationId: "other", sourceTopics: ["de-in"], output: "x", observed: observations() }),
        { applicationId: "de3", bootstrapServers: harness.bootstrapServers },
      ),
    (error: unknown) => error instanceof StreamsError && error.code === "INVALID_CONFIG",
  );
  await streams.start();
  await streams.waitForState("RUNNING");
});

test("global stores are bootstrapped before RUNNING and kept up to date afterwards", async () => {
  await harness.cluster.createTopic("gt-table", 2);
  await harness.cluster.createTopic("gt-in", 1);
  await harness.cluster.createTopic("gt-out", 1);
  await harness.cluster.produce("gt-table", [
    ["x", "1"],
    ["y", "2"],
    ["z", "3"],
    ["x", "4"],
  ]);
  const table = new Map<string, string>();
  const streams = new KafkaStreams(
    globalTablePlan({
      applicationId: "gt",
      globalTopic: "gt-table",
      source: "gt-in",
      output: "gt-out",
      table,
      observed: observations(),
    }),
    { applicationId: "gt", bootstrapServers: harness.bootstrapServers, stateDir: join(harness.stateRoot, "gt") },
  );
  let tableAtRunning: Map<string, string> | undefined;
  streams.onStateChange((next) => {
    if (next === "RUNNING") tableAtRunning ??= new Map(table);
  });
  const progress: string[] = [];
  streams.onRestoreProgress((event) => {
    if (event.done) progress.push(`${event.storeName}/${event.partition}`);
  });
  await streams.start();
  await streams.waitForState("RUNNING");
  assert.deepEqual(
    tableAtRunning,
    new Map([
      ["x", "4"],
      ["y", "2"],
      ["z", "3"],
    ]),
  );
  assert.deepEqual(progress.sort(), ["global-table/0", "global-table/1"]);
  await harness.cluster.produce("gt-table", [["w", "5"]]);
  await eventually(() => assert.equal(table.get("w"), "5"));
  await streams.close();
});
