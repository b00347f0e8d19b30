// Live fuzzing of the network edge: a real broker in its own process (broker-child.ts), with a
// PLAINTEXT and a SASL_PLAINTEXT listener and the ACL authorizer on, attacked from many
// connections while a well-behaved client keeps producing and fetching. Three kinds of workers:
// on PLAINTEXT (before any authentication) and on SASL connections after a login (as a user whose
// ACLs allow some resources and deny others; PLAIN, SCRAM and OAUTHBEARER in turn, sessions that
// end and re-authenticate), random frames and mutated valid requests of every
// advertised API × version (bit flips, truncation, size-prefix lies, boundary counts and lengths,
// random API keys and versions, frames split into trickled pieces, slow-loris); and attacks on the
// SASL login itself (sasl-attacks.ts). Checks: the broker never exits, its RSS stays within a
// bound, every malformed frame ends in an answer or a logged hang-up (never a hang outside
// long-polling APIs), every genuine login works and no bad credential logs in, and the
// well-behaved client's every request is answered correctly. Seeded: each worker has its own
// generator derived from the seed, and a failure names the seed, the worker and the frames.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ApiKey,
  encodeRecordBatch,
  encodeRequestFrame,
  iterateBatches,
  iterateRecords,
  peekCorrelationId,
} from "@samsa/protocol";
import { seededRandom, uniqueName, waitFor, WireClient } from "@samsa/testkit";
import { advertisedApis } from "../../src/handlers/index.ts";
import { Operation, PatternType, Permission, ResourceType } from "../../src/security/acl.ts";
import { saltedPassword, scramMechanisms } from "../../src/security/scram.ts";
import { delay, dice, frameMutator, handmadeFrame, hex, int32, rawConnect } from "./frames.ts";
import type { Dice, Raw } from "./frames.ts";
import {
  fuzzUser,
  loginForAttacks,
  mechanisms,
  oauthScope,
  reauthMs,
  saslAttackGenerator,
  saslLoginTimeoutMs,
  saslReceiveBytesMax,
  StuckError,
} from "./sasl-attacks.ts";

export interface LiveFuzzOptions {
  readonly seed: number;
  readonly durationMs: number;
  /** Hostile connections attacking at once. */
  readonly workers: number;
  readonly print: (line: string) => void;
}

export interface LiveFuzzReport {
  readonly seed: number;
  readonly failures: readonly string[];
  readonly attacks: number;
  readonly answered: number;
  readonly closedByBroker: number;
  /** Connections given up on while a long-polling request (Fetch, JoinGroup, SyncGroup) waited. */
  readonly longPolls: number;
  readonly closeLogLines: number;
  readonly healthyRounds: number;
  /** Attacks on the SASL login (each on its own connection), genuine logins that worked, bad ones refused. */
  readonly saslAttacks: number;
  readonly logins: number;
  readonly refusedLogins: number;
  readonly rssBaselineBytes: number;
  readonly rssMaxBytes: number;
}

/** A request that does not arrive whole within this is closed by the broker (slow-loris guard). */
const readTimeoutMs = 1000;
/**
 * How long an attack waits for its probe's answer or a hang-up: the read timeout, the sweep, and
 * generous slack for a loaded machine (only a real stall ever waits this long).
 */
const outcomeTimeoutMs = readTimeoutMs + 9000;
/**
 * RSS growth allowed over the broker's RSS once warmed up. Each fuzz connection holds at most
 * ~64 KiB of attack bytes at a time and stored data goes to disk (page cache is not RSS), so what a
 * correct broker adds is V8 heap slack and a few MiB of buffers; 192 MiB leaves room for GC
 * timing, yet a broker that allocated on a size prefix (the slow-loris attacks declare up to
 * socket.request.max.bytes, 100 MiB, each) or buffered without bound would cross it at once.
 */
const rssGrowthBytesMax = 192 * 1024 * 1024;
/** Pause between the well-behaved client's rounds (produce + fetch). */
const healthyPauseMs = 5;
/** API keys whose requests may legitimately wait (long polls, rebalances) before answering. */
const waitingApis = new Set<number>([ApiKey.Fetch, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.ShareFetch]);

const text = new TextEncoder();
const utf8 = new TextDecoder();

function templates(topic: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const api of advertisedApis()) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      out.push(encodeRequestFrame({ apiKey: api.apiKey as ApiKey, apiVersion: v, correlationId: 7, body: {} }));
    }
  }
  const records = encodeRecordBatch({
    records: [{ key: text.encode("k"), value: text.encode("fuzz"), timestamp: BigInt(Date.now()) }],
  });
  const partitions = [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 16 }];
  for (const v of [3, 7, 9, 11]) {
    out.push(
      encodeRequestFrame({
        apiKey: ApiKey.Produce,
        apiVersion: v,
        correlationId: 7,
        body: { acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] },
      }),
    );
  }
  for (const v of [4, 12]) {
    out.push(
      encodeRequestFrame({
        apiKey: ApiKey.Fetch,
        apiVersion: v,
        correlationId: 7,
        body: { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 16, topics: [{ topic, partitions }] },
      }),
    );
  }
  for (const v of [4, 12]) {
    out.push(
      encodeRequestFrame({
        apiKey: ApiKey.Metadata,
        apiVersion: v,
        correlationId: 7,
        body: { topics: [{ name: topic }], allowAutoTopicCreation: false },
      }),
    );
  }
  out.push(
    encodeRequestFrame({
      apiKey: ApiKey.ListOffsets,
      apiVersion: 7,
      correlationId: 7,
      body: { topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
    }),
  );
  return out;
}

interface Attack {
  readonly kind: string;
  /** Pieces written in order; a pause of `gapMs` between pieces. */
  readonly pieces: readonly Uint8Array[];
  readonly gapMs: number;
  /** Whether a probe (ApiVersions v0) follows, to tell a survived connection from a stuck one. */
  readonly probe: boolean;
  /**
   * Responses owed before the probe's if the connection survives: one per whole frame sent, except
   * a frame that reads as Produce (acks=0 is answered with nothing). Garbage and lies owe none.
   */
  readonly responsesMin: number;
  /** A request in it may wait (a long poll): a stall is then no finding. */
  readonly mayWait: boolean;
}

/** Whether some frame may wait before answering (a long poll), which excuses a stall. */
const mayWait = (frames: readonly Uint8Array[]): boolean => frames.some((f) => waitingApis.has(claimedApiKey(f)));

/** The API key a size-prefixed frame claims, or -1 when it is too short to say. */
function claimedApiKey(frame: Uint8Array): number {
  return frame.length >= 6 ? new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt16(4) : -1;
}

const owed = (frames: readonly Uint8Array[]): number =>
  frames.filter((f) => claimedApiKey(f) !== ApiKey.Produce).length;

function attackGenerator(d: Dice, pool: readonly Uint8Array[]): () => Attack {
  const { random, int, pick, noise } = d;
  const mutate = frameMutator(d);
  return () => {
    const roll = int(100);
    if (roll < 55) {
      const frame = mutate(pick(pool));
      return {
        kind: "mutated",
        pieces: [frame],
        gapMs: 0,
        probe: true,
        responsesMin: owed([frame]),
        mayWait: mayWait([frame]),
      };
    }
    if (roll < 62) {
      const frame = pick(pool);
      return {
        kind: "valid",
        pieces: [frame],
        gapMs: 0,
        probe: true,
        responsesMin: owed([frame]),
        mayWait: mayWait([frame]),
      };
    }
    if (roll < 68) {
      const frame = handmadeFrame(int(200) - 10, int(40) - 5, int(1 << 30), noise(int(64)));
      return {
        kind: "random-api",
        pieces: [frame],
        gapMs: 0,
        probe: true,
        responsesMin: owed([frame]),
        mayWait: mayWait([frame]),
      };
    }
    if (roll < 73)
      return { kind: "garbage", pieces: [noise(1 + int(256))], gapMs: 0, probe: true, responsesMin: 0, mayWait: false };
    if (roll < 80) {
      // A size prefix that lies: larger than what follows (the connection must not wait forever),
      // above the limit, or negative.
      const frame = pick(pool);
      const size = pick([frame.length + 1 + int(1000), 0x7fffffff, 104857600, 104857601, -1 - int(1000)]);
      return {
        kind: "size-lie",
        pieces: [Buffer.concat([int32(size), frame.subarray(4)])],
        gapMs: 0,
        probe: true,
        responsesMin: 0,
        mayWait: false,
      };
    }
    if (roll < 88) {
      // A valid or mutated frame (and the probe) in pieces, as a slow network would deliver them.
      const frame = random() < 0.5 ? pick(pool) : mutate(pick(pool));
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < frame.length;) {
        const n = 1 + int(Math.min(64, frame.length - i));
        pieces.push(frame.subarray(i, i + n));
        i += n;
      }
      const whole = pieces.length <= 40;
      return {
        kind: "pieces",
        pieces: pieces.slice(0, 40),
        gapMs: 1 + int(5),
        probe: whole,
        responsesMin: whole ? owed([frame]) : 0,
        mayWait: mayWait([frame]),
      };
    }
    if (roll < 94) {
      const burst = Array.from({ length: 2 + int(20) }, () => (random() < 0.7 ? pick(pool) : mutate(pick(pool))));
      return {
        kind: "pipelined",
        pieces: [Buffer.concat(burst)],
        gapMs: 0,
        probe: true,
        responsesMin: owed(burst),
        mayWait: mayWait(burst),
      };
    }
    if (roll < 97) {
      // A large frame trickled in one-byte writes (each often its own read), never finished.
      const pieces = [int32(1 << 20), ...Array.from({ length: 500 + int(2000) }, () => noise(1))];
      return { kind: "trickle", pieces, gapMs: 0, probe: false, responsesMin: 0, mayWait: false };
    }
    // Slow-loris: a size prefix (up to the limit) and a few bytes, then nothing.
    const size = pick([100, 65536, 104857600]);
    return {
      kind: "slow-loris",
      pieces: [Buffer.concat([int32(size), noise(int(8))])],
      gapMs: 0,
      probe: false,
      responsesMin: 0,
      mayWait: false,
    };
  };
}

/** The broker's resident set size (Linux /proc; elsewhere 0, which skips the memory check). */
function rssBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0; // the process is gone: its exit is reported on its own
  }
}

interface Child {
  readonly process: ChildProcess;
  /** The PLAINTEXT and SASL_PLAINTEXT listeners' ports. */
  ports: { readonly plaintext: number; readonly sasl: number };
  readonly logLines: string[];
  /** "request failed" log lines: a handler threw on some input. */
  readonly failedRequests: string[];
  exited: string | undefined;
}

async function startChild(dataDir: string): Promise<Child> {
  const settings = {
    "samsa.request.read.timeout.ms": String(readTimeoutMs),
    "samsa.log.durability": "os",
    "group.initial.rebalance.delay.ms": "0",
    listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
    "sasl.enabled.mechanisms": mechanisms.join(","),
    "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_${fuzzUser.name}="${fuzzUser.password}";`,
    "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config": `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="${oauthScope}";`,
    "connections.max.reauth.ms": String(reauthMs),
    "sasl.server.max.receive.size": String(saslReceiveBytesMax),
    "samsa.sasl.login.timeout.ms": String(saslLoginTimeoutMs),
    // The ACL authorizer: the well-behaved client (PLAINTEXT, ANONYMOUS) is a super user, the
    // authenticated fuzz workers are not (their ACLs are created at the start).
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": "User:ANONYMOUS",
  };
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "broker-child.ts"), JSON.stringify({ dataDir, settings })],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const logLines: string[] = [];
  const failedRequests: string[] = [];
  let stdout = "";
  let stderrTail = "";
  let partial = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes('"connection closed"')) logLines.push(line);
      else if (line.includes('"request failed"')) failedRequests.push(line.slice(0, 2000));
      else if (!line.startsWith("{")) stderrTail = (stderrTail + line + "\n").slice(-4000);
    }
  });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const started: Child = {
    process: child,
    ports: { plaintext: 0, sasl: 0 },
    logLines,
    failedRequests,
    exited: undefined,
  };
  child.once("exit", (code, signal) => {
    started.exited = `exited with code ${code} signal ${signal}; stderr: ${stderrTail}`;
  });
  const ports = await waitFor(
    () => {
      if (started.exited !== undefined) throw new Error(`the broker ${started.exited}`);
      const whole = stdout.split("\n").slice(0, -1); // the last piece may be an unfinished line
      const line = whole.find((l) => l.startsWith('{"port"'));
      if (line === undefined) return undefined;
      const listeners = (JSON.parse(line) as { listeners: Record<string, string> }).listeners;
      const port = (name: string): number => Number(/:(\d+)$/.exec(listeners[name] ?? "")?.[1] ?? NaN);
      return { plaintext: port("PLAINTEXT"), sasl: port("SASL_PLAINTEXT") };
    },
    { timeoutMs: 30_000, what: "the fuzzed broker to listen" },
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  started.ports = ports;
  return started;
}

const probeFrame = (correlationId: number): Uint8Array =>
  encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId, body: {} });

/** Whether the probe (when sent) was answered, the broker hung up, or neither within the timeout. */
function outcomeOf(conn: Raw, probeId: number | undefined, seen: number): Promise<"answered" | "closed" | "stuck"> {
  return waitFor(
    () =>
      probeId !== undefined && conn.frames.slice(seen).some((f) => f.length >= 4 && peekCorrelationId(f) === probeId)
        ? ("answered" as const)
        : conn.closed
          ? ("closed" as const)
          : undefined,
    { timeoutMs: outcomeTimeoutMs, intervalMs: 5, what: "an answer or a hang-up" },
  ).catch(() => "stuck" as const);
}

/**
 * The fuzz user's SCRAM credentials and ACLs: everything on topics named fuzz*, except altering
 * the fuzzed topic (a DENY), reading any group, describing the cluster, no transactional ids.
 */
async function grantFuzzUser(admin: WireClient, topic: string): Promise<void> {
  for (const mechanism of scramMechanisms) {
    const salt = randomBytes(16);
    const altered = await admin.send(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [
        {
          name: fuzzUser.name,
          mechanism: mechanism.code,
          iterations: 4096,
          salt,
          saltedPassword: saltedPassword(mechanism, fuzzUser.password, salt, 4096),
        },
      ],
    });
    if (altered.results.some((r) => r.errorCode !== 0))
      throw new Error(`SCRAM credentials: ${JSON.stringify(altered)}`);
  }
  const principal = `User:${fuzzUser.name}`;
  const acl = (
    resourceType: number,
    resourceName: string,
    patternType: number,
    operation: number,
    permission: number,
  ) => ({
    resourceType,
    resourceName,
    resourcePatternType: patternType,
    principal,
    host: "*",
    operation,
    permissionType: permission,
  });
  const created = await admin.send(ApiKey.CreateAcls, 3, {
    creations: [
      acl(ResourceType.TOPIC, "fuzz", PatternType.PREFIXED, Operation.ALL, Permission.ALLOW),
      acl(ResourceType.TOPIC, topic, PatternType.LITERAL, Operation.ALTER, Permission.DENY),
      acl(ResourceType.GROUP, "*", PatternType.LITERAL, Operation.READ, Permission.ALLOW),
      acl(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, Operation.DESCRIBE, Permission.ALLOW),
    ],
  });
  if (created.results.some((r) => r.errorCode !== 0)) throw new Error(`CreateAcls: ${JSON.stringify(created)}`);
}

/** Runs the live fuzz for `durationMs`; never throws for a finding, returns it in `failures`. */
export async function runLiveFuzz(options: LiveFuzzOptions): Promise<LiveFuzzReport> {
  const { seed, print } = options;
  const failures: string[] = [];
  const fail = (what: string): void => {
    if (failures.length < 20) failures.push(`seed ${seed}: ${what}`);
  };
  const dataDir = mkdtempSync(join(tmpdir(), "samsa-fuzz-"));
  const child = await startChild(dataDir);
  // Should this process die first (Ctrl-C, a test timeout), the broker must not outlive it.
  const killOnExit = (): void => void child.process.kill("SIGKILL");
  process.once("exit", killOnExit);
  let exitedState: string | undefined;
  child.process.once("exit", (code, signal) => (exitedState = `code ${code} signal ${signal}`));
  const topic = uniqueName("fuzz");
  const stats = {
    attacks: 0,
    answered: 0,
    closedByBroker: 0,
    longPolls: 0,
    healthyRounds: 0,
    saslAttacks: 0,
    logins: 0,
    refusedLogins: 0,
  };
  let rssBaselineBytes = 0;
  let rssMaxBytes = 0;
  try {
    const good = await WireClient.connect(`127.0.0.1:${child.ports.plaintext}`, { clientId: "well-behaved" });
    await good.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: true });
    await grantFuzzUser(good, topic);
    const pool = templates(topic);
    rssBaselineBytes = rssBytes(child.process.pid ?? 0);
    print(`seed ${seed}: ${pool.length} request templates, broker rss ${(rssBaselineBytes / 2 ** 20).toFixed(0)} MiB`);
    const deadline = Date.now() + options.durationMs;
    const running = (): boolean => Date.now() < deadline && exitedState === undefined && failures.length === 0;

    const sampler = setInterval(() => {
      if (exitedState !== undefined) return;
      const rss = rssBytes(child.process.pid ?? 0);
      rssMaxBytes = Math.max(rssMaxBytes, rss);
      if (rss - rssBaselineBytes > rssGrowthBytesMax && rss === rssMaxBytes)
        fail(`broker rss ${rss} bytes exceeds baseline + ${rssGrowthBytesMax}`);
    }, 250);

    const healthy = async (): Promise<void> => {
      while (running()) {
        const value = `healthy-${stats.healthyRounds}`;
        try {
          const produced = await good.send(
            ApiKey.Produce,
            9,
            {
              acks: -1,
              timeoutMs: 5000,
              topicData: [
                {
                  name: topic,
                  partitionData: [
                    {
                      index: 0,
                      records: encodeRecordBatch({
                        records: [{ key: null, value: text.encode(value), timestamp: BigInt(Date.now()) }],
                      }),
                    },
                  ],
                },
              ],
            },
            { timeoutMs: 10_000 },
          );
          const p = produced.responses[0]?.partitionResponses[0];
          if (p?.errorCode !== 0) throw new Error(`produce error ${p?.errorCode}`);
          const fetched = await good.send(
            ApiKey.Fetch,
            12,
            {
              maxWaitMs: 0,
              minBytes: 0,
              maxBytes: 1 << 20,
              topics: [
                { topic, partitions: [{ partition: 0, fetchOffset: p.baseOffset, partitionMaxBytes: 1 << 20 }] },
              ],
            },
            { timeoutMs: 10_000 },
          );
          const data = fetched.responses[0]?.partitions[0];
          if (data?.errorCode !== 0) throw new Error(`fetch error ${data?.errorCode}`);
          let got: string | undefined;
          for (const batch of data.records === null ? [] : iterateBatches(data.records)) {
            for (const r of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
              got ??= r.value === null ? "" : utf8.decode(r.value);
            }
          }
          if (got !== value) throw new Error(`fetched ${got} at offset ${p.baseOffset}, produced ${value}`);
          stats.healthyRounds++;
          // Paced: the client must be served, not flood the log (stored data would blur the memory check).
          await delay(healthyPauseMs);
        } catch (error) {
          fail(`the well-behaved client: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
      }
    };

    /** Attacks one connection after another; `open` makes a connection ready to attack. */
    const connectionWorker = async (w: number, d: Dice, open: () => Promise<Raw>): Promise<void> => {
      const next = attackGenerator(d, pool);
      let conn = await open();
      for (let i = 0; running(); i++) {
        const attack = next();
        stats.attacks++;
        const probeId = 0x40000000 + i;
        const seen = conn.frames.length;
        const label = (): string =>
          `worker ${w} attack ${i} (${attack.kind}, ${attack.pieces.length} writes): ${hex(Buffer.concat([...attack.pieces]))}`;
        for (const [p, piece] of attack.pieces.entries()) {
          if (conn.closed) break;
          conn.socket.write(piece);
          if (attack.gapMs > 0 && p < attack.pieces.length - 1) await delay(attack.gapMs);
          else if (attack.kind === "trickle" && p % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
        }
        if (attack.probe && !conn.closed) conn.socket.write(probeFrame(probeId));
        const outcome = await outcomeOf(conn, attack.probe ? probeId : undefined, seen);
        if (outcome === "answered") {
          stats.answered++;
          // Nothing silently dropped: every whole request before the probe was answered too.
          const responses = conn.frames.slice(seen).findIndex((f) => peekCorrelationId(f) === probeId);
          if (responses < attack.responsesMin) {
            fail(`${attack.responsesMin} responses owed before the probe, ${responses} came, after ${label()}`);
          }
          continue;
        }
        if (conn.corrupt) fail(`a response with a broken size prefix after ${label()}`);
        if (outcome === "closed") stats.closedByBroker++;
        else {
          // Neither answered nor closed: only a request that may wait (a long poll) excuses it.
          if (!attack.mayWait) {
            fail(`no answer and no hang-up within ${outcomeTimeoutMs} ms after ${label()}`);
          } else stats.longPolls++;
        }
        conn.socket.destroy();
        if (!running()) break;
        conn = await open();
      }
      conn.socket.destroy();
    };

    /** Attacks SASL logins, each on a fresh connection. */
    const saslWorker = async (w: number, d: Dice): Promise<void> => {
      const next = saslAttackGenerator(d, child.ports.sasl, outcomeTimeoutMs);
      for (let i = 0; running(); i++) {
        stats.attacks++;
        stats.saslAttacks++;
        const probeId = 0x50000000 + i;
        let result;
        try {
          result = await next();
        } catch (error) {
          if (!(error instanceof StuckError)) throw error;
          fail(`worker ${w} SASL attack ${i}: ${error.message}`);
          return;
        }
        const { attack, raw } = result;
        const label = (): string =>
          `worker ${w} SASL attack ${i} (${attack.kind}): ${attack.sent.map((f) => hex(f, 128)).join(" ")}`;
        const seen = raw.frames.length;
        if (attack.probe && !raw.closed) raw.socket.write(probeFrame(probeId));
        const outcome = await outcomeOf(raw, attack.probe ? probeId : undefined, seen);
        raw.socket.destroy();
        if (raw.corrupt) fail(`a response with a broken size prefix after ${label()}`);
        if (outcome === "answered") stats.answered++;
        if (outcome === "closed") stats.closedByBroker++;
        if (outcome === "stuck") fail(`no answer and no hang-up within ${outcomeTimeoutMs} ms after ${label()}`);
        else if (attack.expect === "login" && outcome !== "answered") fail(`a genuine login failed: ${label()}`);
        else if (attack.expect === "refused" && outcome !== "closed") fail(`a bad login was not refused: ${label()}`);
        else if (attack.expect === "login") stats.logins++;
        else if (attack.expect === "refused") stats.refusedLogins++;
      }
    };

    /** Worker roles in turn: before authentication, after a SASL login, and at the login itself. */
    const roles = ["plaintext", "authenticated", "plaintext", "sasl"] as const;
    const worker = async (w: number): Promise<void> => {
      const d = dice(seededRandom((seed ^ Math.imul(w + 1, 0x9e3779b1)) >>> 0));
      const role = roles[w % roles.length] ?? "plaintext";
      if (role === "sasl") return saslWorker(w, d);
      if (role === "plaintext") return connectionWorker(w, d, () => rawConnect(child.ports.plaintext));
      let logins = 0;
      return connectionWorker(w, d, async () => {
        const raw = await rawConnect(child.ports.sasl);
        const mechanism = mechanisms[logins++ % mechanisms.length] ?? "PLAIN";
        await loginForAttacks(raw, mechanism, outcomeTimeoutMs).catch((error: unknown) => {
          if (running()) fail(`worker ${w}: ${error instanceof Error ? error.message : String(error)}`);
        });
        return raw;
      });
    };

    const progress = setInterval(() => {
      print(
        `  ${stats.attacks} attacks: ${stats.answered} answered, ${stats.closedByBroker} closed by the broker, ` +
          `${stats.longPolls} long polls; ${stats.healthyRounds} healthy rounds; rss max ${(rssMaxBytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }, 10_000);
    try {
      await Promise.all([healthy(), ...Array.from({ length: options.workers }, (_, w) => worker(w))]);
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
      good.close();
    }
    if (exitedState !== undefined) fail(`the broker process exited (${exitedState}): ${child.exited ?? ""}`);
    else {
      // Every hang-up by the broker came with a log line saying why.
      await waitFor(() => child.logLines.length >= stats.closedByBroker, {
        timeoutMs: 2000,
        what: "close log lines",
      }).catch(() =>
        fail(`${stats.closedByBroker} connections closed by the broker but ${child.logLines.length} log lines`),
      );
      for (const line of child.failedRequests) fail(`a handler failed: ${line}`);
      if (stats.healthyRounds === 0) fail("the well-behaved client completed no round");
    }
  } finally {
    if (exitedState === undefined) {
      child.process.kill("SIGTERM");
      await waitFor(() => exitedState !== undefined, { timeoutMs: 10_000, what: "the broker to stop" }).catch(() =>
        child.process.kill("SIGKILL"),
      );
    }
    process.off("exit", killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { seed, failures, ...stats, closeLogLines: child.logLines.length, rssBaselineBytes, rssMaxBytes };
}
