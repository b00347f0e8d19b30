// close() while the stream thread is taking on an assignment (reading committed offsets, restoring
// stores): the assignment gives up, the thread's loop ends and close finishes — it must not leave
// the thread waiting for a next assignment. The exactly-once zombie test (runtime-eos-crash) hit
// this when its resumed instance got its tasks back just as it was asked to stop.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { uniqueName } from "@samsa/testkit";
import { startEmbeddedBroker } from "../src/runtime/embedded.ts";
import type { EmbeddedBroker } from "../src/runtime/embedded.ts";
import { KafkaStreams } from "../src/runtime/kafka-streams.ts";
import type { StreamsState } from "../src/runtime/state.ts";
import { TestCluster, countingPlan, observations } from "./runtime-fixtures.ts";

let broker: EmbeddedBroker;
let cluster: TestCluster;
let stateRoot: string;

before(async () => {
  broker = await startEmbeddedBroker();
  cluster = new TestCluster(broker.bootstrapServers);
  stateRoot = await mkdtemp(join(tmpdir(), "samsa-streams-close-assigning-"));
});

after(async () => {
  await cluster.close();
  await broker.close();
  await rm(stateRoot, { recursive: true, force: true });
});

for (const guarantee of ["at_least_once", "exactly_once_v2"] as const) {
  test(`${guarantee}: close() during the restoration of a new assignment ends the thread`, async () => {
    const app = uniqueName("close-assigning");
    const input = `${app}-in`;
    const output = `${app}-out`;
    await cluster.createTopic(input, 2);
    await cluster.createTopic(output, 2);
    const streams = new KafkaStreams(
      countingPlan({ applicationId: app, sourceTopics: [input], output, observed: observations() }),
      {
        applicationId: app,
        bootstrapServers: broker.bootstrapServers,
        stateDir: join(stateRoot, app),
        processingGuarantee: guarantee,
      },
    );
    const states: StreamsState[] = [];
    streams.onStateChange((next) => states.push(next));
    // The first restore report comes from inside the assignment: close right there.
    let closing: Promise<boolean> | undefined;
    streams.onRestoreProgress(() => {
      closing ??= streams.close({ timeoutMs: 20_000 });
    });
    await streams.start();
    await streams.waitForState(["PENDING_SHUTDOWN", "NOT_RUNNING"], 30_000);
    assert.ok(closing !== undefined, "close() was called from the restore listener");
    assert.equal(await closing, true, "close() finished (the thread's loop ended)");
    assert.equal(streams.state, "NOT_RUNNING");
    assert.ok(!states.includes("RUNNING"), `the interrupted assignment did not run: ${states.join(" → ")}`);
  });
}
