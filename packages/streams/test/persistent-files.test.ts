// Checkpoint files (atomic replace, unreadable counts as absent) and locks on stores and task
// directories, within a process and across processes, including a holder killed with SIGKILL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readCheckpointFile, removeCheckpointFile, writeCheckpointFile } from "../src/state/checkpoint.ts";
import { lockStateDirectory, StateDirectoryLockedError } from "../src/state/persistent-lock.ts";
import { persistentKeyValueStore } from "../src/state/persistent-kv-store.ts";
import { storeContext, stringSerde, tempStateDir } from "./store-behaviour.ts";

describe("checkpoint files", () => {
  test("write, replace, read, remove; no temp file left behind", () => {
    const dir = tempStateDir();
    const path = join(dir, "store.checkpoint");
    assert.equal(readCheckpointFile(path), undefined);
    writeCheckpointFile(path, 0);
    assert.equal(readCheckpointFile(path), 0);
    writeCheckpointFile(path, 123_456_789_012);
    assert.equal(readCheckpointFile(path), 123_456_789_012);
    assert.deepEqual(readdirSync(dir), ["store.checkpoint"]);
    removeCheckpointFile(path);
    assert.equal(existsSync(path), false);
    removeCheckpointFile(path);
  });

  test("a file that is not a checkpoint counts as absent; bad offsets are refused", () => {
    const dir = tempStateDir();
    const path = join(dir, "store.checkpoint");
    for (const text of ["", "{", "[]", '{"version":1}', '{"version":2,"offset":5}', '{"version":1,"offset":1.5}']) {
      writeFileSync(path, text);
      assert.equal(readCheckpointFile(path), undefined, text);
    }
    assert.throws(() => writeCheckpointFile(path, -1), RangeError);
    assert.throws(() => writeCheckpointFile(path, Number.NaN), RangeError);
  });
});

/** Runs a child process that takes a lock (a task directory, or a store) and holds it until killed. */
async function holdInChild(what: "directory" | "store", dir: string): Promise<{ kill(): Promise<void> }> {
  const lockModule = new URL("../src/state/persistent-lock.ts", import.meta.url).href;
  const storeModule = new URL("../src/state/persistent-kv-store.ts", import.meta.url).href;
  const script =
    what === "directory"
      ? `import { lockStateDirectory } from ${JSON.stringify(lockModule)};
         lockStateDirectory(${JSON.stringify(dir)});`
      : `import { persistentKeyValueStore } from ${JSON.stringify(storeModule)};
         const serde = { serialize: (v) => Buffer.from(v), deserialize: (b) => Buffer.from(b).toString() };
         const store = persistentKeyValueStore({ name: "held", key: serde, value: serde }).build();
         store.init({ applicationId: "app", partition: 0, stateDir: ${JSON.stringify(dir)}, changelog: undefined });`;
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", `${script}\nconsole.log("locked"); setInterval(() => {}, 1000);`],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child did not lock in time: ${stderr}`)), 10_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.includes("locked")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`the child exited: ${stderr}`)));
  });
  return {
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

function isLocked(error: unknown): boolean {
  return error instanceof StateDirectoryLockedError && error.code === "STATE_DIRECTORY_LOCKED" && error.retriable;
}

describe("locks", () => {
  test("a task directory is locked by one holder in this process at a time", () => {
    const dir = tempStateDir();
    const lock = lockStateDirectory(dir);
    assert.throws(() => lockStateDirectory(dir), isLocked);
    lock.release();
    lock.release();
    lockStateDirectory(dir).release();
  });

  test("a task directory locked by another process cannot be locked; its lock goes with the process (SIGKILL)", async () => {
    const dir = tempStateDir();
    const holder = await holdInChild("directory", dir);
    assert.throws(() => lockStateDirectory(dir), isLocked);
    await holder.kill();
    lockStateDirectory(dir).release();
  });

  test("a store open in another process cannot be opened here, until that process dies", async () => {
    const dir = tempStateDir();
    const holder = await holdInChild("store", dir);
    const store = persistentKeyValueStore({ name: "held", key: stringSerde, value: stringSerde }).build();
    assert.throws(() => store.init(storeContext({ stateDir: dir, changelog: undefined })), isLocked);
    await holder.kill();
    store.init(storeContext({ stateDir: dir, changelog: undefined }));
    store.put("a", "1");
    store.close();
  });
});
