// Client quotas set and read with Kafka's own kafka-configs (AlterClientQuotas and
// DescribeClientQuotas through the Java admin client), against Samsa and Apache Kafka alike:
// user, client-id, (user, client-id) and default entities; adding, describing, deleting; and a
// request_percentage quota throttling a client's requests (at most one quota window) on both; and
// an ip's connection_creation_rate (KIP-612) holding and closing its surplus connections.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApiKey } from "@samsa/protocol";
import { probeFrom, uniqueName, WireClient } from "@samsa/testkit";
import { kafkaToolOk, kafkaToolsMissing, useTarget } from "./support.ts";

const skip = kafkaToolsMissing() ?? false;

/** The `key=value` quota pairs in kafka-configs --describe output, values as numbers. */
function quotas(stdout: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const m of stdout.matchAll(
    /\b(producer_byte_rate|consumer_byte_rate|request_percentage|connection_creation_rate)=([0-9.]+)/g,
  )) {
    if (m[1] !== undefined) found.set(m[1], Number(m[2]));
  }
  return found;
}

describe("client quotas with kafka-configs", { skip }, () => {
  const target = useTarget();
  const configs = (args: string[]) => kafkaToolOk("configs", ["--bootstrap-server", target().bootstrap, ...args]);

  test("--alter --add-config, --describe and --delete-config for users, clients and defaults", async () => {
    const user = uniqueName("alice");
    const client = uniqueName("app");
    const userEntity = ["--entity-type", "users", "--entity-name", user];
    const pairEntity = [...userEntity, "--entity-type", "clients", "--entity-name", client];
    const defaultClients = ["--entity-type", "clients", "--entity-default"];

    await configs(["--alter", "--add-config", "producer_byte_rate=1024", ...userEntity]);
    await configs(["--alter", "--add-config", "consumer_byte_rate=2048", ...defaultClients]);
    await configs(["--alter", "--add-config", "producer_byte_rate=4096,consumer_byte_rate=8192", ...pairEntity]);

    assert.deepEqual(
      quotas((await configs(["--describe", ...userEntity])).stdout),
      new Map([["producer_byte_rate", 1024]]),
    );
    assert.deepEqual(
      quotas((await configs(["--describe", ...defaultClients])).stdout),
      new Map([["consumer_byte_rate", 2048]]),
    );
    assert.deepEqual(
      quotas((await configs(["--describe", ...pairEntity])).stdout),
      new Map([
        ["producer_byte_rate", 4096],
        ["consumer_byte_rate", 8192],
      ]),
    );
    // All users: the one with a quota is listed.
    const allUsers = (await configs(["--describe", "--entity-type", "users"])).stdout;
    assert.match(allUsers, new RegExp(`'${user}'`));

    await configs(["--alter", "--delete-config", "producer_byte_rate", ...userEntity]);
    await configs(["--alter", "--delete-config", "consumer_byte_rate", ...defaultClients]);
    assert.deepEqual(quotas((await configs(["--describe", ...userEntity])).stdout), new Map());
    assert.deepEqual(quotas((await configs(["--describe", ...defaultClients])).stdout), new Map());
    assert.equal(quotas((await configs(["--describe", ...pairEntity])).stdout).get("producer_byte_rate"), 4096);
  });

  test("request_percentage throttles a client's requests, by at most one quota window", async () => {
    const client = uniqueName("busy");
    const entity = ["--entity-type", "clients", "--entity-name", client];
    // 0.001 % of a thread: 10 µs of request processing per second, less than one request takes.
    await configs(["--alter", "--add-config", "request_percentage=0.001", ...entity]);
    assert.deepEqual(
      quotas((await configs(["--describe", ...entity])).stdout),
      new Map([["request_percentage", 0.001]]),
    );
    const busy = await WireClient.connect(target().bootstrap, { clientId: client });
    try {
      // Kafka applies a quota change asynchronously: send until a response is throttled.
      let throttleMs = 0;
      const deadline = Date.now() + 20_000;
      while (throttleMs === 0 && Date.now() < deadline) {
        throttleMs = (await busy.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false }))
          .throttleTimeMs;
      }
      assert.ok(throttleMs > 0, "no response was throttled within 20 s");
      assert.ok(throttleMs <= 1000, `throttle ${throttleMs} ms exceeds the 1 s quota window`);
    } finally {
      busy.close();
      await configs(["--alter", "--delete-config", "request_percentage", ...entity]);
    }
  });

  test("an ip's connection_creation_rate holds and closes its surplus connections; other addresses are served", async () => {
    // 127.0.0.0/8 is all loopback: only this test connects from 127.0.0.4.
    const from = "127.0.0.4";
    const entity = ["--entity-type", "ips", "--entity-name", from];
    await configs(["--alter", "--add-config", "connection_creation_rate=3", ...entity]);
    try {
      assert.deepEqual(
        quotas((await configs(["--describe", ...entity])).stdout),
        new Map([["connection_creation_rate", 3]]),
      );
      // With Kafka's 11 one-second windows a rate is measured over at least 10 s: about 30
      // connections in quick succession are allowed, then the surplus is held and closed.
      const outcomes: string[] = [];
      for (let i = 0; i < 120 && !outcomes.includes("closed"); i++)
        outcomes.push(await probeFrom(target().bootstrap, from));
      assert.ok(outcomes.includes("closed"), `no connection was throttled: ${outcomes.length} answered`);
      assert.ok(outcomes.filter((o) => o === "answered").length >= 3, outcomes.join(","));
      assert.equal(await probeFrom(target().bootstrap, "127.0.0.1"), "answered");
    } finally {
      await configs(["--alter", "--delete-config", "connection_creation_rate", ...entity]);
    }
  });
});
