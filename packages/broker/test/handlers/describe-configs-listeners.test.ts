// DescribeConfigs of the broker lists every listener (name://host:port) and, when any listener
// advertises another address, every advertised one — as Kafka's `listeners` and
// `advertised.listeners` read back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "@samsa/protocol";
import { WireClient } from "@samsa/testkit";
import { silentLogger, startBroker } from "../../src/index.ts";

test("the broker's listeners and advertised listeners, all of them, by name", async () => {
  const broker = await startBroker({
    inMemory: true,
    logger: silentLogger,
    settings: {
      listeners: "INTERNAL://127.0.0.1:0,EXTERNAL://127.0.0.1:0",
      "advertised.listeners": "INTERNAL://127.0.0.1:0,EXTERNAL://broker.example.com:29092",
      "listener.security.protocol.map": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
    },
  });
  const address = broker.listeners.get("INTERNAL");
  assert.ok(address !== undefined);
  const client = await WireClient.connect(address);
  try {
    const response = await client.send(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 4, resourceName: "0", configurationKeys: ["listeners", "advertised.listeners"] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const configs = new Map((response.results[0]?.configs ?? []).map((c) => [c.name, c.value]));
    assert.equal(configs.get("listeners"), "INTERNAL://127.0.0.1:0,EXTERNAL://127.0.0.1:0");
    assert.equal(configs.get("advertised.listeners"), "INTERNAL://127.0.0.1:0,EXTERNAL://broker.example.com:29092");
  } finally {
    client.close();
    await broker.close();
  }
});
