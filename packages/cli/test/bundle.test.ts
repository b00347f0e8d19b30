// The bundled broker (`npm run build` → packages/cli/dist/samsa.mjs, what `npm start` runs) starts,
// serves produce and fetch, runs client commands, and stops cleanly: the bundle must behave like the sources.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ApiKey, encodeRecordBatch, iterateBatches, iterateRecords } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";

const root = resolve(import.meta.dirname, "../../..");

test("the bundled samsa starts, produces, fetches and stops cleanly", async () => {
  // Built next to the real bundle (inside the repo, so the native codec packages resolve).
  const outfile = join(root, `packages/cli/dist/test-${process.pid}.mjs`);
  const dataDir = mkdtempSync(join(tmpdir(), "samsa-bundle-"));
  execFileSync(
    join(root, "node_modules/.bin/esbuild"),
    [
      join(root, "packages/cli/src/bin.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node22",
      "--external:snappy",
      "--external:lz4-napi",
      "--external:@node-rs/crc32",
      "--external:@platformatic/kafka", // loads its own .wasm from its package directory
      `--outfile=${outfile}`,
      "--log-level=warning",
    ],
    { stdio: "inherit" },
  );
  const child = spawn(process.execPath, [outfile, "start", "--data-dir", dataDir, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  try {
    const bootstrap = await waitFor(() => /samsa ready: bootstrap (\S+)/.exec(stdout)?.[1], {
      timeoutMs: 20_000,
      what: "the ready line",
    });
    const client = await WireClient.connect(bootstrap.replace(/,$/, ""));
    try {
      const topic = uniqueName("bundle");
      const meta = await client.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: true });
      const topicId = meta.topics[0]?.topicId ?? "";
      const records = encodeRecordBatch({
        compression: "lz4",
        records: [{ key: null, value: new TextEncoder().encode("from the bundle"), timestamp: BigInt(Date.now()) }],
      });
      const produced = await client.send(ApiKey.Produce, 11, {
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
      });
      assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, 0);
      const fetched = await client.send(ApiKey.Fetch, 17, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });
      const blob = fetched.responses[0]?.partitions[0]?.records ?? new Uint8Array(0);
      const values = [...iterateBatches(blob)].flatMap((b) =>
        [...iterateRecords(b.bytes, { maxBytes: 1 << 20 })].map((r) =>
          new TextDecoder().decode(r.value ?? new Uint8Array(0)),
        ),
      );
      assert.deepEqual(values, ["from the bundle"]);
      // The client commands run from the bundle too (the client library stays external).
      const listed = execFileSync(
        process.execPath,
        [outfile, "topic", "list", "-o", "json", "-b", bootstrap.replace(/,$/, "")],
        {
          encoding: "utf8",
        },
      );
      assert.ok(listed.includes(`"name":"${topic}"`), listed);
      const consumed = execFileSync(process.execPath, [outfile, "consume", topic, "-b", bootstrap.replace(/,$/, "")], {
        encoding: "utf8",
      });
      assert.equal(consumed, "from the bundle\n");
    } finally {
      client.close();
    }
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    child.kill("SIGKILL");
    rmSync(outfile, { force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
