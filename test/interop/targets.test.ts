// The test target itself (@samsa/testkit startTarget): it starts on a free loopback port, restarts
// on the same address with its data, and stops cleanly — leaving no listener and no data behind.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { test } from "node:test";
import { ApiKey } from "@samsa/protocol";
import { startTarget, WireClient } from "@samsa/testkit";
import { targetKind } from "./support.ts";

function accepts(bootstrap: string): Promise<boolean> {
  const at = bootstrap.lastIndexOf(":");
  return new Promise((resolve) => {
    const socket = connect({ host: bootstrap.slice(0, at), port: Number(bootstrap.slice(at + 1)) });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function brokerCount(bootstrap: string): Promise<number> {
  const client = await WireClient.connect(bootstrap);
  try {
    return (await client.send(ApiKey.Metadata, 12, { topics: null })).brokers.length;
  } finally {
    client.close();
  }
}

test(`startTarget("${targetKind}"): start, restart on the same address, clean stop`, async () => {
  const target = await startTarget(targetKind);
  try {
    assert.equal(target.kind, targetKind);
    assert.match(target.bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(target.dataDir));
    assert.equal(await brokerCount(target.bootstrap), 1);
    const before = target.bootstrap;
    await target.restart();
    assert.equal(target.bootstrap, before);
    assert.equal(await brokerCount(target.bootstrap), 1);
  } finally {
    await target.stop();
  }
  assert.equal(await accepts(target.bootstrap), false, "nothing listens after stop");
  if (process.env["SAMSA_TEST_KEEP_DATA"] === undefined) {
    assert.equal(existsSync(target.dataDir), false, "the data directory is removed");
  }
});
