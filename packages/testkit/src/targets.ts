// Test targets: a broker for an integration test, either Samsa (`samsa start` as a child process)
// or Apache Kafka (scripts/kafka.sh), each on a free loopback port with a temporary data directory.
// The same tests run against either; stopping is always clean-or-forced, never left behind.
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiKey } from "@samsa/protocol";
import { waitFor } from "./index.ts"; // a cycle (index re-exports this file), used only inside functions
import { WireClient } from "./wire-client.ts";

export type TargetKind = "samsa" | "kafka";

export interface Target {
  readonly kind: TargetKind;
  /** `127.0.0.1:PORT`; the same across restarts. */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Stops the broker (SIGTERM, then SIGKILL after a bounded wait) and removes its data directory. */
  stop(): Promise<void>;
  /**
   * Where the broker itself listens (`127.0.0.1:PORT`, the same across restarts). Equals
   * `bootstrap` unless `advertised.listeners` points elsewhere (e.g. at a proxy): Samsa's bootstrap
   * is its advertised address, Kafka's its own listener.
   */
  readonly listenAddress: string;
  /**
   * Stops the broker cleanly (or with `hard`, kills it) and starts it again on the same port and
   * data directory.
   */
  restart(options?: RestartOptions): Promise<void>;
  /** The last lines the broker printed, for failure messages. */
  outputTail(): string;
  /** `127.0.0.1:PORT` of each extra listener (StartTargetOptions.listeners) by name. */
  readonly listenerAddresses: ReadonlyMap<string, string>;
}

/** An extra listener beside the PLAINTEXT one tests bootstrap from (security tests). */
export interface TargetListener {
  /** Listener name, upper case (e.g. SASL_SSL, MTLS); its settings use `listener.name.<lower case>.`. */
  readonly name: string;
  readonly securityProtocol: "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";
}

export interface RestartOptions {
  /**
   * Kill the broker with SIGKILL instead of stopping it (no clean shutdown: a crash), then start
   * it again on the same port and data directory.
   */
  readonly hard?: boolean;
}

export interface StartTargetOptions {
  /**
   * Extra broker settings by their Kafka names. Samsa: `--set name=value`. Kafka: appended to the
   * server.properties that scripts/kafka.sh start wrote (a later line wins) and applied by a
   * restart right after the start (kafka.sh formats and starts in one step); kept across restart().
   */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Extra listeners, each on a free loopback port, added to `listeners`,
   * `advertised.listeners` and `listener.security.protocol.map` (their TLS/SASL settings go in
   * `settings`). The PLAINTEXT listener stays first and remains the bootstrap address.
   */
  readonly listeners?: readonly TargetListener[];
  /** Bound on becoming ready (default 30 s for Samsa, 90 s for Kafka). */
  readonly readyTimeoutMs?: number;
  /** Bound on a clean stop before SIGKILL (default 10 s). */
  readonly stopTimeoutMs?: number;
}

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const samsaBin = join(repoRoot, "packages/cli/src/bin.ts");
const kafkaScript = join(repoRoot, "scripts/kafka.sh");
const outputBytesMax = 64 * 1024;
const readyLine = /^samsa ready: bootstrap (\S+?),?(?:\s|$)/m;

/** The target the environment asks for: SAMSA_TEST_TARGET=samsa|kafka (default samsa). */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): TargetKind {
  const value = env["SAMSA_TEST_TARGET"] ?? "samsa";
  if (value === "" || value === "samsa") return "samsa";
  if (value === "kafka") return "kafka";
  throw new Error(`SAMSA_TEST_TARGET must be "samsa" or "kafka", got ${JSON.stringify(value)}`);
}

/** A loopback port nothing listens on right now (bind port 0, read it, close). Racy by nature. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port from bind(0)"))));
    });
  });
}

export async function startTarget(kind: TargetKind, options: StartTargetOptions = {}): Promise<Target> {
  switch (kind) {
    case "samsa":
      return startSamsa(options);
    case "kafka":
      return startKafka(options);
  }
}

// ---------------------------------------------------------------------------------------------- cleanup

/** Synchronous last-resort kills for targets still running when the test process exits. */
const emergencyKills = new Map<object, () => void>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const kill of emergencyKills.values()) {
      try {
        kill();
      } catch {
        // best effort: the process is exiting
      }
    }
    emergencyKills.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killAll();
      process.off(signal, onSignal);
      process.kill(process.pid, signal); // re-raise with the default action
    };
    process.on(signal, onSignal);
  }
}

function bounded(output: { text: string }, chunk: string): void {
  output.text += chunk;
  if (output.text.length > outputBytesMax) output.text = output.text.slice(-outputBytesMax);
}

function tail(text: string, lines = 30): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Removes a target's data directory, unless SAMSA_TEST_KEEP_DATA is set (to look at it after a failure). */
function removeDataDir(dataDir: string): void {
  if (process.env["SAMSA_TEST_KEEP_DATA"] === undefined) rmSync(dataDir, { recursive: true, force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------- samsa

interface SamsaProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnSamsa(
  listen: string,
  dataDir: string,
  settings: Readonly<Record<string, string>>,
  output: { text: string },
): SamsaProcess {
  const args = [samsaBin, "start", "--data-dir", dataDir, "--listen", listen];
  for (const [name, value] of Object.entries(settings)) args.push("--set", `${name}=${value}`);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], cwd: repoRoot });
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  // Always drain both pipes: a full pipe would block the broker.
  child.stdout?.on("data", (chunk: string) => bounded(output, chunk));
  child.stderr?.on("data", (chunk: string) => bounded(output, chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  return { child, exited };
}

async function waitReady(proc: SamsaProcess, output: { text: string }, timeoutMs: number): Promise<string> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((e) => (exit = e));
  return waitFor(
    () => {
      const match = readyLine.exec(output.text);
      if (match?.[1] !== undefined) return match[1];
      if (exit !== undefined) {
        throw new SamsaExitedError(`samsa exited during startup (code ${exit.code}, signal ${exit.signal})`);
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 20, what: "the 'samsa ready' line" },
  ).catch((error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof SamsaExitedError ? error.cause : error;
    throw new Error(
      `samsa did not start: ${cause instanceof Error ? cause.message : String(cause)}\n${tail(output.text)}`,
      {
        cause,
      },
    );
  });
}

class SamsaExitedError extends Error {}

/** SIGTERM, then SIGKILL after `timeoutMs`. Returns whether the stop was clean (exit code 0 on TERM). */
async function stopSamsaProcess(proc: SamsaProcess, timeoutMs: number): Promise<{ clean: boolean; detail: string }> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    return {
      clean: false,
      detail: `had already exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode})`,
    };
  }
  proc.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  const first = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (first !== "timeout") {
    return { clean: first.code === 0, detail: `exited with code ${first.code}, signal ${first.signal}` };
  }
  proc.child.kill("SIGKILL");
  await proc.exited;
  return { clean: false, detail: `ignored SIGTERM for ${timeoutMs} ms; killed` };
}

/** Free ports for the extra listeners, and the settings that add them (beside PLAINTEXT and, for Kafka, CONTROLLER). */
async function extraListeners(
  listeners: readonly TargetListener[],
  base: { listeners: string[]; protocolMap: string[] },
): Promise<{ addresses: Map<string, string>; settings: Record<string, string> }> {
  const addresses = new Map<string, string>();
  for (const l of listeners) addresses.set(l.name, `127.0.0.1:${await freePort()}`);
  if (listeners.length === 0) return { addresses, settings: {} };
  const extra = listeners.map((l) => `${l.name}://${addresses.get(l.name) ?? ""}`);
  return {
    addresses,
    settings: {
      listeners: [...base.listeners, ...extra].join(","),
      "listener.security.protocol.map": [
        ...base.protocolMap,
        ...listeners.map((l) => `${l.name}:${l.securityProtocol}`),
      ].join(","),
    },
  };
}

async function startSamsa(options: StartTargetOptions): Promise<Target> {
  installExitHooks();
  // `--listen` (added by spawnSamsa) becomes the PLAINTEXT listener in front of these.
  const extra = await extraListeners(options.listeners ?? [], { listeners: [], protocolMap: ["PLAINTEXT:PLAINTEXT"] });
  const settings = { ...extra.settings, ...options.settings };
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const dataDir = mkdtempSync(join(tmpdir(), "samsa-target-"));
  const output = { text: "" };
  const key = {};
  let proc: SamsaProcess | undefined;
  let listen = "";
  let bootstrap = "";

  const launch = async (): Promise<void> => {
    output.text = "";
    proc = spawnSamsa(listen, dataDir, settings, output);
    const child = proc.child;
    emergencyKills.set(key, () => {
      child.kill("SIGKILL");
      removeDataDir(dataDir);
    });
    bootstrap = await waitReady(proc, output, readyTimeoutMs);
  };
  const halt = async (): Promise<{ clean: boolean; detail: string }> => {
    if (proc === undefined) return { clean: true, detail: "not running" };
    const result = await stopSamsaProcess(proc, stopTimeoutMs);
    proc = undefined;
    emergencyKills.delete(key);
    return result;
  };

  const crash = async (): Promise<void> => {
    const running = proc;
    if (running === undefined) return;
    proc = undefined;
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL");
    await running.exited;
    emergencyKills.delete(key);
  };

  // The free port may be taken between finding it and the broker binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    listen = `127.0.0.1:${await freePort()}`;
    try {
      await launch();
      break;
    } catch (error) {
      await halt();
      if (attempt < 3 && /already in use/.test(output.text)) continue;
      removeDataDir(dataDir);
      throw error;
    }
  }

  return {
    kind: "samsa",
    get bootstrap() {
      return bootstrap;
    },
    dataDir,
    listenerAddresses: extra.addresses,
    outputTail: () => tail(output.text),
    async stop() {
      const result = await halt();
      const lastOutput = output.text;
      removeDataDir(dataDir);
      if (!result.clean) throw new Error(`samsa did not stop cleanly: ${result.detail}\n${tail(lastOutput)}`);
    },
    get listenAddress() {
      return listen;
    },
    async restart(restartOptions: RestartOptions = {}) {
      if (restartOptions.hard === true) {
        await crash();
      } else {
        const result = await halt();
        if (!result.clean) throw new Error(`samsa did not stop cleanly: ${result.detail}\n${tail(output.text)}`);
      }
      await launch();
    },
  };
}

// ---------------------------------------------------------------------------------------------- kafka

function runKafkaScript(args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      [kafkaScript, ...args],
      { cwd: repoRoot, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`scripts/kafka.sh ${args.join(" ")} failed: ${error.message}\n${tail(stderr)}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

function kafkaPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "kafka.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Ready means: a Metadata request answers with at least one broker and every partition has a leader. */
async function waitKafkaReady(bootstrap: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  await waitFor(
    async () => {
      if (!isAlive()) throw new Error("the Kafka broker process exited");
      let client: WireClient | undefined;
      try {
        client = await WireClient.connect(bootstrap, { timeoutMs: 2000 });
        const metadata = await client.send(ApiKey.Metadata, 12, { topics: null }, { timeoutMs: 5000 });
        const leaderless = metadata.topics.some((t) => t.partitions.some((p) => p.leaderId < 0));
        return metadata.brokers.length > 0 && !leaderless;
      } catch {
        return false;
      } finally {
        client?.close();
      }
    },
    { timeoutMs, intervalMs: 200, what: `Kafka at ${bootstrap} to serve metadata` },
  );
}

async function startKafka(options: StartTargetOptions): Promise<Target> {
  installExitHooks();
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const dataDir = mkdtempSync(join(tmpdir(), "kafka-target-"));
  const key = {};
  const outFile = join(dataDir, "kafka.out");
  const outputTail = (): string => {
    try {
      return tail(readFileSync(outFile, "utf8"));
    } catch {
      return "";
    }
  };
  emergencyKills.set(key, () => {
    const pid = kafkaPid(dataDir);
    if (pid !== undefined && pidAlive(pid)) process.kill(pid, "SIGKILL");
    removeDataDir(dataDir);
  });

  let bootstrap = "";
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        const { stdout } = await runKafkaScript(
          ["start", "--port", String(port), "--data-dir", dataDir],
          readyTimeoutMs + 30_000,
        );
        bootstrap = stdout.trim().split("\n").pop() ?? "";
        break;
      } catch (error) {
        await runKafkaScript(["stop", "--data-dir", dataDir], 60_000).catch(() => undefined);
        if (attempt < 3 && error instanceof Error && /already in use/.test(error.message)) continue;
        throw error;
      }
    }
  } catch (error) {
    emergencyKills.delete(key);
    removeDataDir(dataDir);
    throw error;
  }

  // kafka.sh stop sends TERM, waits up to 30 s, then KILL; bound it further with our own timeout.
  const halt = async (): Promise<{ clean: boolean; detail: string }> => {
    const pid = kafkaPid(dataDir);
    if (pid === undefined || !pidAlive(pid)) return { clean: false, detail: "was not running" };
    process.kill(pid, "SIGTERM");
    const stopped = await waitFor(() => !pidAlive(pid), {
      timeoutMs: stopTimeoutMs,
      intervalMs: 50,
      what: `Kafka (pid ${pid}) to exit after SIGTERM`,
    }).then(
      () => true,
      () => false,
    );
    if (!stopped) {
      process.kill(pid, "SIGKILL");
      await waitFor(() => !pidAlive(pid), { timeoutMs: 10_000, intervalMs: 50, what: `Kafka (pid ${pid}) to die` });
    }
    await runKafkaScript(["stop", "--data-dir", dataDir], 60_000); // tidies kafka.pid
    return stopped ? { clean: true, detail: "stopped" } : { clean: false, detail: "ignored SIGTERM; killed" };
  };

  const crash = async (): Promise<void> => {
    const pid = kafkaPid(dataDir);
    if (pid !== undefined && pidAlive(pid)) {
      process.kill(pid, "SIGKILL");
      await waitFor(() => !pidAlive(pid), { timeoutMs: 10_000, intervalMs: 20, what: `Kafka (pid ${pid}) to die` });
    }
    await runKafkaScript(["stop", "--data-dir", dataDir], 60_000); // tidies kafka.pid
  };

  // kafka.sh start formats a fresh cluster; a relaunch runs the same server.properties on the
  // existing log dirs instead (run-class execs java, so the child's pid is the broker's).
  const relaunch = async (why: string): Promise<void> => {
    const fd = openSync(outFile, "a");
    let child: ChildProcess;
    try {
      child = spawn("bash", [kafkaScript, "run-class", "kafka.Kafka", join(dataDir, "server.properties")], {
        cwd: repoRoot,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, KAFKA_TOOL_HEAP: process.env["SAMSA_KAFKA_HEAP"] ?? "-Xms256m -Xmx1g" },
      });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) throw new Error("could not spawn the Kafka broker");
    writeFileSync(join(dataDir, "kafka.pid"), `${child.pid}\n`);
    let exited = false;
    child.once("exit", () => (exited = true));
    child.unref();
    await waitKafkaReady(bootstrap, readyTimeoutMs, () => !exited).catch((error: unknown) => {
      throw new Error(`Kafka did not come back after ${why}: ${String(error)}\n${outputTail()}`, { cause: error });
    });
  };

  let extra: { addresses: Map<string, string>; settings: Record<string, string> } = {
    addresses: new Map(),
    settings: {},
  };
  if ((options.listeners ?? []).length > 0) {
    // kafka.sh wrote PLAINTEXT and CONTROLLER listeners; the extra ones join them.
    const properties = readFileSync(join(dataDir, "server.properties"), "utf8");
    const controller = /^controller\.quorum\.voters=\d+@(\S+)$/m.exec(properties)?.[1] ?? "";
    extra = await extraListeners(options.listeners ?? [], {
      listeners: [`PLAINTEXT://${bootstrap}`, `CONTROLLER://${controller}`],
      protocolMap: ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"],
    });
    extra.settings["advertised.listeners"] = [
      `PLAINTEXT://${bootstrap}`,
      ...[...extra.addresses].map(([name, address]) => `${name}://${address}`),
    ].join(",");
  }
  const settings = Object.entries({ ...extra.settings, ...options.settings });
  if (settings.length > 0) {
    try {
      const result = await halt();
      if (!result.clean) throw new Error(`Kafka did not stop cleanly: ${result.detail}\n${outputTail()}`);
      const lines = settings.map(([name, value]) => `${name}=${value}\n`).join("");
      appendFileSync(join(dataDir, "server.properties"), `# StartTargetOptions.settings\n${lines}`);
      await relaunch("applying settings");
    } catch (error) {
      await halt().catch(() => undefined);
      emergencyKills.delete(key);
      removeDataDir(dataDir);
      throw error;
    }
  }

  return {
    kind: "kafka",
    bootstrap,
    dataDir,
    listenerAddresses: extra.addresses,
    outputTail,
    async stop() {
      const result = await halt().finally(() => emergencyKills.delete(key));
      const lastOutput = outputTail();
      removeDataDir(dataDir);
      if (!result.clean) throw new Error(`Kafka did not stop cleanly: ${result.detail}\n${lastOutput}`);
    },
    listenAddress: bootstrap, // kafka.sh start (no --advertise) prints its own PLAINTEXT listener
    async restart(restartOptions: RestartOptions = {}) {
      if (restartOptions.hard === true) {
        await crash();
        await relaunch("a hard restart (SIGKILL)");
        return;
      }
      const result = await halt();
      if (!result.clean) throw new Error(`Kafka did not stop cleanly: ${result.detail}\n${outputTail()}`);
      await relaunch("restart");
    },
  };
}
