// `samsa start` as a child process: the ready line, clean shutdown on SIGTERM/SIGINT (exit 0 and
// the clean-shutdown marker), one-line failures (port taken, data dir in use or unusable, bad
// settings), and settings from a .properties file, SAMSA_* variables and flags.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiKey } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const nodeBin = join(root, "node_modules/.bin/node");
const samsaBin = join(root, "packages/cli/src/bin.ts");

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Samsa {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<Exit>;
  /** Resolves with the bootstrap address once the ready line is printed; rejects if it exits first. */
  ready(timeoutMs?: number): Promise<string>;
  /** Ends the process if the test did not (so a failing test leaves nothing running). */
  cleanup(): Promise<void>;
}

/** Runs `samsa start ...args` with only the SAMSA_* variables given (none inherited). */
function samsaStart(args: readonly string[], env: Readonly<Record<string, string>> = {}): Samsa {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SAMSA_")));
  const child = spawn(nodeBin, [samsaBin, "start", ...args], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  let hasExited = false;
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async ready(timeoutMs = 30_000) {
      const match = await waitFor(
        () => {
          const m = /^samsa ready: bootstrap (\S+?)(?:,|$)/m.exec(out);
          if (m !== null) return m;
          if (hasExited) throw new Error(`samsa exited before it was ready: ${err}`);
          return undefined;
        },
        { timeoutMs, what: "the ready line" },
      ).catch((error: unknown) => {
        throw new Error(`not ready; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`, { cause: error });
      });
      return match[1] ?? "";
    },
    async cleanup() {
      if (!hasExited) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Waits (bounded) for the process to exit. */
async function exitOf(samsa: Samsa, timeoutMs = 30_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`samsa still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([samsa.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asserts a failed start: exit code 1, nothing on stdout, and on stderr one line for people
 * matching `reason` (after the broker's JSON log lines, if it got far enough to log).
 */
async function assertFails(samsa: Samsa, reason: RegExp): Promise<string> {
  const exit = await exitOf(samsa);
  assert.equal(exit.code, 1, `exit code 1; stderr: ${samsa.stderr()}`);
  assert.doesNotMatch(samsa.stdout(), /samsa ready/);
  const lines = samsa.stderr().split("\n").filter(Boolean);
  const forPeople = lines.filter((l) => !l.startsWith("{"));
  assert.equal(forPeople.length, 1, `one reason line on stderr: ${JSON.stringify(samsa.stderr())}`);
  const line = forPeople[0] ?? "";
  assert.equal(lines.at(-1), line, "the reason is the last line");
  const errors = lines.filter((l) => l.startsWith("{") && (JSON.parse(l) as { level?: unknown }).level === "error");
  assert.deepEqual(errors, [], "a refused start is not logged as a broker error");
  assert.match(line, /^samsa start: /);
  assert.match(line, reason);
  return line;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "samsa-cli-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The partition count of a topic auto-created through Metadata. */
async function partitionsOfNewTopic(bootstrap: string): Promise<number> {
  const client = await WireClient.connect(bootstrap);
  try {
    const topic = uniqueName("cli-start");
    const response = await client.send(ApiKey.Metadata, 12, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: true,
    });
    assert.equal(response.topics[0]?.errorCode, 0);
    return response.topics[0].partitions.length;
  } finally {
    client.close();
  }
}

/** Starts with `args`/`env`, returns the partition count of a new topic, stops with SIGINT. */
async function partitionsWith(
  dir: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<number> {
  const samsa = samsaStart(["--data-dir", join(dir, uniqueName("data")), "--listen", "127.0.0.1:0", ...args], env);
  try {
    const partitions = await partitionsOfNewTopic(await samsa.ready());
    samsa.child.kill("SIGINT");
    assert.equal((await exitOf(samsa)).code, 0, "SIGINT stops it cleanly");
    return partitions;
  } finally {
    await samsa.cleanup();
  }
}

describe("samsa start", { concurrency: true }, () => {
  test("prints the ready line, refuses a second instance on the port or the data dir, stops on SIGTERM", async (t) => {
    const dir = tempDir(t);
    const dataDir = join(dir, "data");
    const first = samsaStart(["--data-dir", dataDir, "--listen", "127.0.0.1:0"]);
    t.after(() => first.cleanup());
    const bootstrap = await first.ready();
    assert.match(bootstrap, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(bootstrap, "127.0.0.1:0", "the real port, not 0");
    const client = await WireClient.connect(bootstrap);
    try {
      const versions = await client.send(ApiKey.ApiVersions, 3, {
        clientSoftwareName: "samsa-test",
        clientSoftwareVersion: "1.0",
      });
      assert.equal(versions.errorCode, 0);
    } finally {
      client.close();
    }
    assert.ok(existsSync(join(dataDir, ".lock")), "the data dir is locked while running");

    const samePort = samsaStart(["--data-dir", join(dir, "other"), "--listen", bootstrap]);
    const sameDir = samsaStart(["--data-dir", dataDir, "--listen", "127.0.0.1:0"]);
    t.after(() => samePort.cleanup());
    t.after(() => sameDir.cleanup());
    await assertFails(samePort, /already in use/);
    await assertFails(sameDir, /in use/);

    first.child.kill("SIGTERM");
    const exit = await exitOf(first);
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${first.stderr()}`);
    assert.ok(existsSync(join(dataDir, ".clean-shutdown")), "the clean-shutdown marker is written");
    assert.ok(!existsSync(join(dataDir, ".lock")), "the lock is released");
    assert.equal(first.stdout().split("\n").filter(Boolean).length, 1, "stdout is just the ready line");
  });

  test("an unknown or invalid --set exits 1 naming the setting", async () => {
    const unknown = samsaStart(["--listen", "127.0.0.1:0", "--set", "num.partitons=3"]);
    const invalid = samsaStart(["--listen", "127.0.0.1:0", "--set", "num.partitions=zero"]);
    const malformed = samsaStart(["--listen", "127.0.0.1:0", "--set", "num.partitions"]);
    const badListen = samsaStart(["--listen", "localhost"]);
    try {
      await assertFails(unknown, /num\.partitons: unknown setting/);
      await assertFails(invalid, /num\.partitions: expected an integer/);
      await assertFails(malformed, /--set expects name=value/);
      await assertFails(badListen, /listeners: expected HOST:PORT/);
    } finally {
      await Promise.all([unknown, invalid, malformed, badListen].map((s) => s.cleanup()));
    }
  });

  test("an unknown SAMSA_* variable exits 1 naming the setting", async () => {
    const samsa = samsaStart(["--listen", "127.0.0.1:0"], { SAMSA_NUM_PARTITONS: "3" });
    try {
      await assertFails(samsa, /num\.partitons/);
    } finally {
      await samsa.cleanup();
    }
  });

  test("an unusable data dir exits 1 with a one-line reason", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "a-file");
    writeFileSync(file, "not a directory\n");
    const asDir = samsaStart(["--data-dir", file, "--listen", "127.0.0.1:0"]);
    const under = samsaStart(["--data-dir", join(file, "data"), "--listen", "127.0.0.1:0"]);
    try {
      await assertFails(asDir, /data directory is unusable/);
      await assertFails(under, /data directory is unusable/);
    } finally {
      await Promise.all([asDir.cleanup(), under.cleanup()]);
    }
  });

  test("a missing --config file exits 1", async () => {
    const samsa = samsaStart(["--config", join(tmpdir(), uniqueName("no-such")) + ".properties"]);
    try {
      await assertFails(samsa, /cannot read config file/);
    } finally {
      await samsa.cleanup();
    }
  });

  test("settings come from --config, SAMSA_* variables and flags, flags last", async (t) => {
    const dir = tempDir(t);
    const config = join(dir, "server.properties");
    writeFileSync(
      config,
      [
        "# a Kafka-style file",
        "num.partitions=3",
        "",
        "auto.create.topics.enable: true",
        "log.retention.hours=-1",
      ].join("\n"),
    );
    const [fromFile, envOverFile, flagOverEnv, envOnly] = await Promise.all([
      partitionsWith(dir, ["--config", config]),
      partitionsWith(dir, ["--config", config], { SAMSA_NUM_PARTITIONS: "2" }),
      partitionsWith(dir, ["--config", config, "--set", "num.partitions=4"], { SAMSA_NUM_PARTITIONS: "2" }),
      // The client commands' variables (security.ts) are not broker settings: start ignores them.
      partitionsWith(dir, [], {
        SAMSA_NUM_PARTITIONS: "5",
        SAMSA_SECURITY_PROTOCOL: "SASL_SSL",
        SAMSA_SASL_PASSWORD: "not-a-broker-setting",
        SAMSA_TLS_CA: "/nonexistent/ca.pem",
      }),
    ]);
    assert.equal(fromFile, 3, "the file applies");
    assert.equal(envOverFile, 2, "SAMSA_* beats the file");
    assert.equal(flagOverEnv, 4, "--set beats SAMSA_*");
    assert.equal(envOnly, 5, "SAMSA_* alone");
  });
});
