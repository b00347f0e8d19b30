// kill -9 test: a child process appends with acknowledgements while this test kills it with
// SIGKILL at random moments, many times; after each restart every acknowledged record must be
// present, in order, densely, and nothing corrupt may be readable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LogManager } from "../../src/storage/log-manager.ts";
import { NodeFileBackend } from "../../src/storage/node-files.ts";
import { recordsIn } from "./support.ts";

const child = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
const iterations = Number(process.env["SAMSA_CRASH_ITERATIONS"] ?? 12);

/** Runs the child until it has acknowledged some records, kills it, returns the highest ack. */
async function runAndKill(dataDir: string, killAfterAcks: number): Promise<number> {
  const proc = spawn(process.execPath, [child, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  let highest = -1;
  let acks = 0;
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`child made no progress in 20 s: ${stderr}`));
    }, 20_000);
    let buffered = "";
    proc.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m === null) continue;
        highest = Math.max(highest, Number(m[1]));
        if (++acks === killAfterAcks) {
          proc.kill("SIGKILL");
          clearTimeout(timer);
        }
      }
    });
    proc.on("exit", () => {
      clearTimeout(timer);
      if (acks < killAfterAcks) reject(new Error(`child exited early: ${stderr}`));
      else resolve();
    });
  });
  return highest;
}

test(`kill -9 during appends loses no acknowledged record (${iterations} kills)`, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "samsa-crash-"));
  try {
    let acknowledged = -1;
    for (let i = 0; i < iterations; i++) {
      const killAfter = 5 + Math.floor(Math.random() * 200);
      acknowledged = Math.max(acknowledged, await runAndKill(dataDir, killAfter));
      const { manager } = await LogManager.open({ backend: new NodeFileBackend(), dataDir });
      const log = manager.log("crash", 0);
      assert.ok(log);
      let offset = 0;
      let expected = 0;
      while (offset < log.highWatermark) {
        const read = await log.read({ offset, maxBytes: 1 << 20, minOneBatch: true });
        assert.equal(read.errorCode, 0);
        const records = recordsIn(read.records).filter((r) => r.offset >= offset);
        for (const r of records) {
          assert.equal(r.offset, expected);
          assert.equal(r.value, `seq-${expected}`);
          expected++;
        }
        offset = expected;
      }
      assert.ok(expected > acknowledged, `iteration ${i}: records up to ${expected - 1}, acknowledged ${acknowledged}`);
      await manager.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
