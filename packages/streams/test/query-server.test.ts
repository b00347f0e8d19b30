// The HTTP query helper with two instances in one process (two ports): every key answers the same
// JSON from either server — served locally or forwarded once to the instance that holds it —
// windows too; unknown keys and stores are 404, a second hop is refused with 503, an instance
// still rebalancing answers 503 with Retry-After, and requests are bounded.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { queryHopHeader, startQueryServer } from "../src/http/query-server.ts";
import type { QueryServer } from "../src/http/query-server.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { eventually } from "./runtime-fixtures.ts";
import { countsTopology, startSilentBroker } from "./query-fixtures.ts";
import { useRuntimeHarness } from "./runtime-harness.ts";

const servers: QueryServer[] = [];
const harness = useRuntimeHarness({
  prefix: "query-server",
  afterEach: async () => {
    for (const server of servers.splice(0)) await server.close();
  },
});
const { KafkaStreams } = harness;

const strings = Serdes.string();

/** A port nothing listens on right now (the application server must be known before the app starts). */
async function freePort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    retryAfter: response.headers.get("retry-after"),
  };
}

test("two instances answer every key with the same JSON, forwarding to the holder", async () => {
  const input = "qs-in";
  await harness.cluster.createTopic(input, 4);
  const ports = [await freePort(), await freePort()];
  const instances = ports.map(
    (port, index) =>
      new KafkaStreams(countsTopology(input), {
        applicationId: "qs",
        bootstrapServers: harness.bootstrapServers,
        clientId: `qs-${index}`,
        stateDir: join(harness.stateRoot, `qs-${index}`),
        commitIntervalMs: 200,
        applicationServer: `127.0.0.1:${port}`,
        consumer: { sessionTimeout: 10_000, heartbeatInterval: 100, rebalanceTimeout: 10_000 },
        logger: silentLogger,
      }),
  );
  for (const [index, streams] of instances.entries())
    servers.push(
      await startQueryServer({
        streams,
        port: ports[index] ?? 0,
        stores: { counts: { key: strings }, "window-counts": { key: strings } },
      }),
    );
  for (const streams of instances) await streams.start();
  await eventually(() => {
    for (const streams of instances) {
      assert.equal(streams.state, "RUNNING");
      assert.equal(streams.tasks.length, 2);
      assert.equal(streams.metadataForAllStreamsClients().length, 2);
    }
  }, 30_000);
  const keys = Array.from({ length: 20 }, (_, i) => `item/${i} é`);
  const records = keys.flatMap((key, i) => Array.from({ length: (i % 4) + 1 }, () => [key, "x"] as const));
  await harness.cluster.produce(input, records);
  const want = (key: string): number => records.filter(([k]) => k === key).length;

  const servedBy = new Set<unknown>();
  await eventually(async () => {
    for (const key of keys) {
      for (const server of servers) {
        const { status, body } = await getJson(`${server.url}/stores/counts/keys/${encodeURIComponent(key)}`);
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body["key"], key);
        assert.equal(body["value"], want(key));
        assert.equal(body["store"], "counts");
        servedBy.add(body["servedBy"]);
        const windows = await getJson(
          `${server.url}/stores/window-counts/keys/${encodeURIComponent(key)}/windows?from=0&to=${Date.now() + 60_000}`,
        );
        assert.equal(windows.status, 200);
        const list = windows.body["windows"] as { startMs: number; endMs: number; value: number }[];
        assert.equal(
          list.reduce((sum, window) => sum + window.value, 0),
          want(key),
        );
        for (const window of list) assert.equal(window.endMs - window.startMs, 60_000);
      }
    }
  }, 30_000);
  // Both instances served keys: half the answers were forwarded.
  assert.deepEqual([...servedBy].sort(), ports.map((port) => `127.0.0.1:${port}`).sort());

  const [one] = servers;
  assert.ok(one !== undefined);
  assert.equal((await getJson(`${one.url}/stores/counts/keys/missing-key`)).status, 404);
  assert.equal((await getJson(`${one.url}/stores/nope/keys/k`)).status, 404);
  assert.equal((await getJson(`${one.url}/nowhere`)).status, 404);
  assert.equal((await getJson(`${one.url}/stores/window-counts/keys/k/windows?from=-3`)).status, 400);
  assert.equal((await getJson(`${one.url}/stores/counts/keys/${"k".repeat(9000)}`)).status, 414);
  const posted = await fetch(`${one.url}/stores/counts/keys/k`, { method: "POST", body: "x" });
  assert.equal(posted.status, 405);
  await posted.arrayBuffer();

  // A request already forwarded once is not forwarded again.
  const remoteKey = keys.find(
    (key) => instances[0]?.queryMetadataForKey("counts", key, strings).activeHost.port !== ports[0],
  );
  assert.ok(remoteKey !== undefined);
  const hop = await getJson(`${one.url}/stores/counts/keys/${encodeURIComponent(remoteKey)}`, {
    [queryHopHeader]: "1",
  });
  assert.equal(hop.status, 503);
  assert.equal(hop.retryAfter, "1");

  const metadata = await getJson(`${one.url}/metadata`);
  assert.equal(metadata.status, 200);
  assert.equal((metadata.body["instances"] as unknown[]).length, 2);
  assert.equal(metadata.body["state"], "RUNNING");
});

test("an instance that is rebalancing answers 503 with Retry-After", async () => {
  const silent = await startSilentBroker();
  const port = await freePort();
  const stuck = new KafkaStreams(countsTopology("qs-stuck-in"), {
    applicationId: "qs-stuck",
    bootstrapServers: silent.bootstrapServers,
    stateDir: join(harness.stateRoot, "stuck"),
    applicationServer: `127.0.0.1:${port}`,
    client: { timeout: 60_000, retries: 0 },
    logger: silentLogger,
  });
  try {
    const server = await startQueryServer({ streams: stuck, port, stores: { counts: { key: strings } } });
    servers.push(server);
    const started = stuck.start().catch(() => undefined);
    assert.equal(stuck.state, "REBALANCING");
    const answer = await getJson(`${server.url}/stores/counts/keys/k`);
    assert.equal(answer.status, 503);
    assert.equal(answer.retryAfter, "1");
    assert.equal(typeof answer.body["error"], "string");
    await stuck.close({ timeoutMs: 5_000 });
    void started;
  } finally {
    silent.close();
  }
});
