// Exactly once (processingGuarantee "exactly_once_v2") in one process, on the embedded broker (or
// Apache Kafka with SAMSA_TEST_TARGET=kafka): outputs, changelog writes and offsets commit in one
// transaction, so a read_committed reader sees each output once; a processing error aborts the
// transaction and the replaced thread restores the committed state; emit-final keeps its progress
// in the commit metadata, so a restart does not emit a closed window again (both guarantees).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Producer } from "@platformatic/kafka";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { EmitStrategy, TimeWindows } from "../src/dsl/windows.ts";
import { silentLogger } from "../src/logger.ts";
import { EMIT_INTERVAL_CONFIG } from "../src/processors/window-aggregation.ts";
import type { ProcessingGuarantee } from "../src/runtime/options.ts";
import { Serdes } from "../src/serdes.ts";
import { CommittedReader, countingMismatch } from "./runtime-eos-support.ts";
import type { CountStore } from "./runtime-fixtures.ts";
import { countingPlan, eventually, observations, str } from "./runtime-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

let reader: CommittedReader;
const quiet = { log() {} };
const harness = useRuntimeHarness({
  prefix: "eos",
  closeTimeoutMs: 20_000,
  before: () => {
    reader = new CommittedReader(harness.bootstrapServers);
  },
  after: () => reader.close(),
});
const { KafkaStreams } = harness;

test("exactly once: each input's output and changelog write commit with its offset; a restart reprocesses nothing", async () => {
  const app = "eos-count";
  await harness.cluster.createTopic(`${app}-in`, 2);
  await harness.cluster.createTopic(`${app}-out`, 2);
  const inputs = Array.from({ length: 300 }, (_, i) => [`k${i % 7}`, `v${i}`] as const);
  await reader.produce(`${app}-in`, inputs);
  const observed = observations();
  const run = () =>
    new KafkaStreams(
      countingPlan({ applicationId: app, sourceTopics: [`${app}-in`], output: `${app}-out`, observed }),
      {
        applicationId: app,
        bootstrapServers: harness.bootstrapServers,
        stateDir: join(harness.stateRoot, app),
        processingGuarantee: "exactly_once_v2",
        logger: quiet,
      },
    );
  const first = run();
  await first.start();
  await eventually(async () => (await reader.readCommitted(`${app}-out`, 2)).length === inputs.length, 30_000);
  const outputs = await reader.readCommitted(`${app}-out`, 2);
  assert.equal(countingMismatch(inputs, outputs), undefined);
  // The changelog, as read_committed restoration sees it, ends with each key's count.
  const changelog = new Map<string, string>();
  for (const record of await reader.readCommitted(`${app}-counts-changelog`, 2))
    changelog.set(str(record.key), str(record.value));
  for (let k = 0; k < 7; k++)
    assert.equal(changelog.get(`k${k}`), String(inputs.filter(([key]) => key === `k${k}`).length));
  await first.close();
  assert.equal(observed.processed.length, inputs.length);

  const second = run();
  await second.start();
  await second.waitForState("RUNNING", 30_000);
  await reader.produce(`${app}-in`, [["k0", "last"]]);
  await eventually(async () => (await reader.readCommitted(`${app}-out`, 2)).length === inputs.length + 1, 30_000);
  assert.equal(observed.processed.length, inputs.length + 1, "nothing committed is processed again");
  assert.equal(countingMismatch([...inputs, ["k0", "last"]], await reader.readCommitted(`${app}-out`, 2)), undefined);
});

test("exactly once: a processing error aborts the transaction; the replaced thread restores the committed state", async () => {
  const app = "eos-abort";
  await harness.cluster.createTopic(`${app}-in`, 1);
  await harness.cluster.createTopic(`${app}-out`, 1);
  const inputs = Array.from({ length: 10 }, (_, i) => ["a", `v${i}`] as const);
  const observed = observations();
  let failures = 0;
  observed.failOn = (record) => {
    if (record.offset !== 7 || failures > 0) return false;
    failures++;
    return true;
  };
  const stores = new Map<string, CountStore>();
  const streams = new KafkaStreams(
    countingPlan({
      applicationId: app,
      sourceTopics: [`${app}-in`],
      output: `${app}-out`,
      observed,
      stores,
      persistent: true,
    }),
    {
      applicationId: app,
      bootstrapServers: harness.bootstrapServers,
      stateDir: join(harness.stateRoot, app),
      processingGuarantee: "exactly_once_v2",
      // No commit until close: records 0–6 stay in the open transaction.
      commitIntervalMs: 600_000,
      uncaughtErrorHandler: "replace-thread",
      logger: quiet,
    },
  );
  await streams.start();
  await reader.produce(`${app}-in`, inputs.slice(0, 7));
  // Their outputs and changelog writes reach the log, uncommitted.
  await eventually(async () => (await reader.readUncommitted(`${app}-out`, 1)).length === 7, 30_000);
  assert.equal((await reader.readCommitted(`${app}-out`, 1)).length, 0);
  await reader.produce(`${app}-in`, inputs.slice(7));
  // Record 7 fails; the new thread processes everything again from the committed state (nothing).
  await eventually(() => observed.processed.length === 7 + inputs.length, 30_000);
  assert.equal(failures, 1);
  assert.equal(
    stores.get("0_0")?.entries.get("a"),
    inputs.length,
    "the new task's count starts from the committed changelog",
  );
  await streams.close();
  const committed = await reader.readCommitted(`${app}-out`, 1);
  assert.equal(countingMismatch(inputs, committed), undefined);
  assert.equal(
    (await reader.readUncommitted(`${app}-out`, 1)).length,
    7 + inputs.length,
    "the aborted outputs stay in the log",
  );
  const changelog = await reader.readCommitted(`${app}-counts-changelog`, 1);
  assert.deepEqual(
    changelog.map((record) => str(record.value)),
    inputs.map((_, i) => String(i + 1)),
  );
});

/** A windowed count with emit-final (10 s windows, 5 s grace), emit throttle off. */
function emitFinalPlan(app: string) {
  const builder = new StreamsBuilder({ logger: silentLogger });
  builder
    .stream(`${app}-in`, { key: Serdes.string(), value: Serdes.string() })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(10_000, 5_000))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count()
    .toStream()
    .to(`${app}-out`, { value: Serdes.long() });
  return builder.build().plan(app, { logger: silentLogger, appConfigs: { [EMIT_INTERVAL_CONFIG]: "0" } });
}

for (const guarantee of ["at_least_once", "exactly_once_v2"] as const satisfies readonly ProcessingGuarantee[]) {
  test(`emit-final (${guarantee}): after a restart, a window closed before it is not emitted again`, async () => {
    const app = `eos-final-${guarantee === "at_least_once" ? "alos" : "eos"}`;
    await harness.cluster.createTopic(`${app}-in`, 1);
    await harness.cluster.createTopic(`${app}-out`, 1);
    const run = () =>
      new KafkaStreams(emitFinalPlan(app), {
        applicationId: app,
        bootstrapServers: harness.bootstrapServers,
        stateDir: join(harness.stateRoot, app),
        processingGuarantee: guarantee,
        commitIntervalMs: 100,
        logger: quiet,
      });
    const outputs = async (): Promise<string[]> =>
      (await reader.readCommitted(`${app}-out`, 1)).map((record) => {
        const key = record.key ?? new Uint8Array();
        const startMs = Buffer.from(key).readBigInt64BE(key.length - 8);
        const count = Buffer.from(record.value ?? new Uint8Array()).readBigInt64BE(0);
        return `${Buffer.from(key.subarray(0, key.length - 8)).toString()}@${startMs}=${count}`;
      });
    // Window [0, 10 s) closes when stream time reaches 15 s.
    await reader.produce(`${app}-in`, [
      ["a", "1", 1_000],
      ["a", "2", 2_000],
      ["a", "3", 15_000],
    ]);
    const first = run();
    await first.start();
    await eventually(async () => (await outputs()).length === 1, 30_000);
    await first.close();
    assert.deepEqual(await outputs(), ["a@0=2"]);

    // The restarted task restores window [0, 10 s) from the changelog (it is within retention);
    // the next record moves the close time on, and only [10 s, 20 s) may be emitted.
    const second = run();
    await second.start();
    await reader.produce(`${app}-in`, [
      ["a", "4", 16_000],
      ["a", "5", 40_000],
    ]);
    await eventually(async () => (await outputs()).length >= 2, 30_000);
    await second.close();
    assert.deepEqual(await outputs(), ["a@0=2", "a@10000=2"]);
  });
}

test("exactly once: a global table reads committed data only (an aborted transaction's rows are not joined)", async () => {
  const app = "eos-global";
  await harness.cluster.createTopic(`${app}-rates`, 1);
  await harness.cluster.createTopic(`${app}-in`, 1);
  await harness.cluster.createTopic(`${app}-out`, 1);
  await reader.produce(`${app}-rates`, [["eur", "1.0"]]);
  // One aborted and one committed transaction on the global topic, before the application starts.
  const producer = new Producer({
    clientId: "eos-global-rates",
    bootstrapBrokers: [harness.bootstrapServers],
    idempotent: true,
    transactionalId: `${app}-rates-writer`,
    producerId: -1n,
    producerEpoch: -1,
  });
  try {
    for (const [currency, commit] of [
      ["usd", false],
      ["gbp", true],
    ] as const) {
      const transaction = await producer.beginTransaction();
      await transaction.send({
        messages: [{ topic: `${app}-rates`, key: Buffer.from(currency), value: Buffer.from("2.0"), partition: 0 }],
      });
      if (commit) await transaction.commit();
      else await transaction.abort();
    }
  } finally {
    await producer.close();
  }
  const builder = new StreamsBuilder();
  const rates = builder.globalTable(`${app}-rates`, { key: Serdes.string(), value: Serdes.string() });
  builder
    .stream(`${app}-in`, { key: Serdes.string(), value: Serdes.string() })
    .join(
      rates,
      (_key, currency) => currency,
      (currency, rate) => `${currency}@${rate}`,
    )
    .to(`${app}-out`, { key: Serdes.string(), value: Serdes.string() });
  const streams = new KafkaStreams(builder.build(), {
    applicationId: app,
    bootstrapServers: harness.bootstrapServers,
    stateDir: join(harness.stateRoot, app),
    processingGuarantee: "exactly_once_v2",
    logger: quiet,
  });
  await streams.start();
  await reader.produce(`${app}-in`, [
    ["o1", "eur"],
    ["o2", "usd"],
    ["o3", "gbp"],
  ]);
  await eventually(async () => (await reader.readCommitted(`${app}-out`, 1)).length === 2, 30_000);
  const joined = (await reader.readCommitted(`${app}-out`, 1)).map((r) => str(r.value));
  assert.deepEqual(joined, ["eur@1.0", "gbp@2.0"], "the aborted usd rate is not in the global table");
});
