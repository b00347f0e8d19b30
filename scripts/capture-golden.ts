// scripts/capture-golden.ts — owns packages/protocol/test/fixtures/golden/: real Kafka protocol frames recorded by a TCP proxy between real clients (kcat/librdkafka, Kafka's Java CLI tools, kafkajs, @platformatic/kafka) and a real Apache Kafka 4.x broker.
//
// One command (not run in CI; its output is checked in):
//   node scripts/capture-golden.ts [--out DIR] [--clients librdkafka,java,kafkajs,platformatic]
//                                  [--kafka-port N] [--proxy-port N]
// Needs Java 17+ and mvn (scripts/kafka.sh install runs first and is a no-op once cached) and kcat
// (`apt-get install -y kcat`). It starts a single-node KRaft broker with scripts/kafka.sh whose PLAINTEXT
// listener advertises the proxy, so clients that reconnect after Metadata still go through the proxy; runs
// every client scenario through the proxy; stops the broker and the proxy; and only then, if every scenario
// passed, replaces the *.bin files, index.json and README.md in the output dir.
//
// Versions are negotiated as with a Samsa broker: the proxy asks Kafka for its ApiVersions up front, then
// answers every client ApiVersions itself (it is never forwarded) with, per API that Kafka and packages/protocol
// both know, the intersection of their version ranges, plus the feature levels Kafka sends for that version
// (capped where a level needs API versions no longer advertised; see FEATURE_NEEDS). Clients therefore send
// only versions our codecs implement. An ApiVersions version newer than ours gets Kafka's answer to that case
// (a v0 body with UNSUPPORTED_VERSION and ApiVersions' own range), and the client retries with one we support.
//
// A fixture is one frame without its 4-byte size prefix (request or response header + body), named
// <client>-<ApiName>-v<version>-<request|response>[-<variant>].bin; the variant names the record codec
// (none/gzip/snappy/lz4/zstd) or "txn" for Produce and Fetch (and the transactional InitProducerId), or
// "unsupported" for an ApiVersions request of a version newer than ours (its response is in the v0 format).
// The first exchange per (client, api, version, variant) is kept, request and response together, except for
// Fetch, Metadata and JoinGroup, where the exchange with the largest response wins (see PREFER_LARGEST).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import {
  ApiKey,
  apiSpecOf,
  apiSpecs,
  decodeRequestFrame,
  decodeRequestFrameHeader,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  ErrorCode,
  isSupportedVersion,
} from "@samsa/protocol";
import type {
  ApiVersionsResponse,
  ApiVersionsResponseApiVersion,
  ApiVersionsResponseFinalizedFeatureKey,
  ApiVersionsResponseSupportedFeatureKey,
} from "@samsa/protocol";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";

const REPO = path.resolve(import.meta.dirname, "..");
const KAFKA_SH = path.join(REPO, "scripts", "kafka.sh");
const DEFAULT_OUT = path.join(REPO, "packages", "protocol", "test", "fixtures", "golden");
const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
type Codec = (typeof CODECS)[number];
const CLIENTS = ["librdkafka", "java", "kafkajs", "platformatic"] as const;
type ClientName = (typeof CLIENTS)[number];
type Direction = "request" | "response";

/** Variants label these APIs unless a scenario says otherwise: the record codec matters only to them. */
const RECORD_APIS: readonly number[] = [ApiKey.Produce, ApiKey.Fetch];
/**
 * For these APIs a later exchange replaces the kept one when its response is larger (up to MAX_PREFERRED):
 * a Fetch response that carries records, a Metadata response that lists topics, the JoinGroup response
 * that carries the members rather than MEMBER_ID_REQUIRED.
 */
const PREFER_LARGEST: readonly number[] = [ApiKey.Fetch, ApiKey.Metadata, ApiKey.JoinGroup];
const MAX_PREFERRED = 64 * 1024;
const MAX_FRAME = 100 * 1024 * 1024;
const RECORDS_PER_CODEC = 3;
const WARMUP_TOPIC = "golden-warmup";

// Names as in Kafka's message definitions (74 under its pre-4.1 name, as packages/protocol uses).
const API_NAMES: ReadonlyMap<number, string> = new Map(
  [
    "Produce Fetch ListOffsets Metadata LeaderAndIsr StopReplica UpdateMetadata ControlledShutdown OffsetCommit",
    "OffsetFetch FindCoordinator JoinGroup Heartbeat LeaveGroup SyncGroup DescribeGroups ListGroups SaslHandshake",
    "ApiVersions CreateTopics DeleteTopics DeleteRecords InitProducerId OffsetForLeaderEpoch AddPartitionsToTxn",
    "AddOffsetsToTxn EndTxn WriteTxnMarkers TxnOffsetCommit DescribeAcls CreateAcls DeleteAcls DescribeConfigs",
    "AlterConfigs AlterReplicaLogDirs DescribeLogDirs SaslAuthenticate CreatePartitions CreateDelegationToken",
    "RenewDelegationToken ExpireDelegationToken DescribeDelegationToken DeleteGroups ElectLeaders",
    "IncrementalAlterConfigs AlterPartitionReassignments ListPartitionReassignments OffsetDelete",
    "DescribeClientQuotas AlterClientQuotas DescribeUserScramCredentials AlterUserScramCredentials Vote",
    "BeginQuorumEpoch EndQuorumEpoch DescribeQuorum AlterPartition UpdateFeatures Envelope FetchSnapshot",
    "DescribeCluster DescribeProducers BrokerRegistration BrokerHeartbeat UnregisterBroker DescribeTransactions",
    "ListTransactions AllocateProducerIds ConsumerGroupHeartbeat ConsumerGroupDescribe ControllerRegistration",
    "GetTelemetrySubscriptions PushTelemetry AssignReplicasToDirs ListClientMetricsResources",
    "DescribeTopicPartitions ShareGroupHeartbeat ShareGroupDescribe ShareFetch ShareAcknowledge AddRaftVoter",
    "RemoveRaftVoter UpdateRaftVoter InitializeShareGroupState ReadShareGroupState WriteShareGroupState",
    "DeleteShareGroupState ReadShareGroupStateSummary StreamsGroupHeartbeat StreamsGroupDescribe",
    "DescribeShareGroupOffsets AlterShareGroupOffsets DeleteShareGroupOffsets StreamsGroupTopologyDescriptionUpdate",
    "UnregisterController",
  ]
    .join(" ")
    .split(" ")
    .map((name, key) => [key, name] as const),
);

function apiName(key: number): string {
  return API_NAMES.get(key) ?? `Api${key}`;
}

function log(message: string): void {
  process.stderr.write(`capture-golden: ${message}\n`);
}

// ------------------------------------------------------------------------------------------ recording

interface IndexEntry {
  file: string;
  client: string;
  direction: Direction;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  correlationId: number;
  variant: string | null;
}

interface Pending {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  variant: string | null;
  request: Buffer;
}

interface Exchange {
  client: string;
  pending: Pending;
  response: Buffer;
}

/** Keeps one request/response exchange per (client, api, version, variant); labels come from the running scenario. */
class Recorder {
  client = "unlabelled";
  private variant: string | null = null;
  private variantApis: readonly number[] = RECORD_APIS;
  private readonly kept = new Map<string, Exchange>();
  private readonly seen = new Set<string>();

  setVariant(variant: string | null, apis: readonly number[] = RECORD_APIS): void {
    this.variant = variant;
    this.variantApis = apis;
  }

  onRequest(frame: Buffer): Pending | undefined {
    if (frame.length < 8) return undefined;
    const apiKey = frame.readInt16BE(0);
    return {
      apiKey,
      apiVersion: frame.readInt16BE(2),
      correlationId: frame.readInt32BE(4),
      variant: this.variantApis.includes(apiKey) ? this.variant : null,
      request: frame,
    };
  }

  onResponse(client: string, pending: Pending, response: Buffer): void {
    this.seen.add(`${client}/${pending.apiKey}`);
    const key = `${client}/${pending.apiKey}/${pending.apiVersion}/${pending.variant ?? ""}`;
    const current = this.kept.get(key);
    const replace =
      current === undefined ||
      (PREFER_LARGEST.includes(pending.apiKey) &&
        response.length > current.response.length &&
        response.length <= MAX_PREFERRED);
    if (replace) this.kept.set(key, { client, pending, response });
  }

  /** Whether `client` has had a response to `apiKey` through the proxy. */
  hasSeen(client: string, apiKey: number): boolean {
    return this.seen.has(`${client}/${apiKey}`);
  }

  fixtures(): { entry: IndexEntry; bytes: Buffer }[] {
    const out: { entry: IndexEntry; bytes: Buffer }[] = [];
    for (const { client, pending, response } of this.kept.values()) {
      for (const direction of ["request", "response"] as const) {
        const name = apiName(pending.apiKey);
        const suffix = pending.variant === null ? "" : `-${pending.variant}`;
        out.push({
          entry: {
            file: `${client}-${name}-v${pending.apiVersion}-${direction}${suffix}.bin`,
            client,
            direction,
            apiKey: pending.apiKey,
            apiName: name,
            apiVersion: pending.apiVersion,
            correlationId: pending.correlationId,
            variant: pending.variant,
          },
          bytes: direction === "request" ? pending.request : response,
        });
      }
    }
    return out.sort((a, b) => (a.entry.file < b.entry.file ? -1 : a.entry.file > b.entry.file ? 1 : 0));
  }
}

/** Splits a byte stream into Kafka frames (4-byte big-endian size prefix), handing each frame on without its prefix. */
class Framer {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly onFrame: (frame: Buffer) => void;

  constructor(onFrame: (frame: Buffer) => void) {
    this.onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 0 || size > MAX_FRAME) throw new Error(`implausible frame size ${size}`);
      if (this.buffered.length < 4 + size) return;
      const frame = Buffer.from(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
      this.onFrame(frame);
    }
  }
}

/** A frame with its 4-byte size prefix put back, for sending. */
function withSizePrefix(frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + frame.length);
  out.writeInt32BE(frame.length, 0);
  out.set(frame, 4);
  return out;
}

// ------------------------------------------------------------------------------------------ versions

/** Asks Kafka (directly, not through the proxy) for its ApiVersions, with our own request of `apiVersion`. */
async function queryBrokerApiVersions(
  port: number,
  apiVersion: number,
  timeoutMs = 10_000,
): Promise<ApiVersionsResponse> {
  const correlationId = 1;
  const socket = net.connect({ host: "127.0.0.1", port });
  let timer: NodeJS.Timeout | undefined;
  try {
    const frame = await new Promise<Buffer>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no ApiVersions answer from Kafka within ${timeoutMs} ms`)), timeoutMs);
      const framer = new Framer(resolve);
      socket.on("data", (chunk: Buffer) => {
        try {
          framer.push(chunk);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      socket.once("error", reject);
      socket.once("close", () => reject(new Error("Kafka closed the connection before answering ApiVersions")));
      socket.write(
        encodeRequestFrame({
          apiKey: ApiKey.ApiVersions,
          apiVersion,
          correlationId,
          clientId: "samsa-capture-golden",
          body: { clientSoftwareName: "samsa-capture-golden", clientSoftwareVersion: "0.1.0" },
        }),
      );
    });
    const response = decodeResponseFrame(ApiKey.ApiVersions, apiVersion, frame);
    if (response.correlationId !== correlationId) throw new Error(`ApiVersions answer for ${response.correlationId}`);
    if (response.body.errorCode !== 0)
      throw new Error(`Kafka answered ApiVersions v${apiVersion} with error ${response.body.errorCode}`);
    return response.body;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/**
 * Kafka's answers to ApiVersions v3 up to our newest version, by version: features exist from v3, and below v4
 * Kafka leaves out the supported features whose minVersion is 0 (older clients reject such ranges), so each
 * client version gets the features Kafka sends for it.
 */
async function queryBrokerFeatures(port: number): Promise<Map<number, ApiVersionsResponse>> {
  const answers = new Map<number, ApiVersionsResponse>();
  for (let v = 3; v <= apiSpecs[ApiKey.ApiVersions].versions.max; v++)
    answers.set(v, await queryBrokerApiVersions(port, v));
  return answers;
}

/**
 * Feature levels that oblige clients to use API versions: a broker may finalize such a level only if it offers
 * those versions. transaction.version 2 (KIP-890 part 2) makes the Java producer add partitions to transactions
 * through Produce v12 and finish them with EndTxn v5, instead of AddPartitionsToTxn; with a lower Produce it
 * would send Produce v11 for partitions never added, which Kafka rejects (TRANSACTION_ABORTABLE).
 */
const FEATURE_NEEDS: readonly { feature: string; level: number; needs: readonly [ApiKey, number][] }[] = [
  {
    feature: "transaction.version",
    level: 2,
    needs: [
      [ApiKey.Produce, 12],
      [ApiKey.EndTxn, 5],
    ],
  },
];

type Features = Pick<ApiVersionsResponse, "supportedFeatures" | "finalizedFeaturesEpoch" | "finalizedFeatures">;

/** What the proxy advertises, as a Samsa broker would: Kafka's answer capped to what packages/protocol implements. */
interface Advertised {
  apiKeys: ApiVersionsResponseApiVersion[];
  /** Kafka's feature levels, capped (see FEATURE_NEEDS), by ApiVersions version (3 up). */
  features: ReadonlyMap<number, Features>;
  /** How this differs from Kafka's answer, e.g. "Produce 0-13 -> 0-11" or "ShareFetch 1-2 -> none". */
  changes: string[];
}

/** `broker`: Kafka's answers to ApiVersions by version, from v3 (see queryBrokerFeatures). */
function negotiate(broker: ReadonlyMap<number, ApiVersionsResponse>): Advertised {
  const newest = [...broker.entries()].sort(([a], [b]) => b - a)[0]?.[1];
  if (newest === undefined) throw new Error("no ApiVersions answer from Kafka");
  const apiKeys: ApiVersionsResponseApiVersion[] = [];
  const changes: string[] = [];
  for (const theirs of newest.apiKeys) {
    const ours = apiSpecOf(theirs.apiKey)?.versions;
    const min = Math.max(theirs.minVersion, ours?.min ?? Infinity);
    const max = Math.min(theirs.maxVersion, ours?.max ?? -Infinity);
    if (min <= max) apiKeys.push({ apiKey: theirs.apiKey, minVersion: min, maxVersion: max });
    if (min === theirs.minVersion && max === theirs.maxVersion) continue;
    const range = min <= max ? `${min}-${max}` : "none";
    changes.push(`${apiName(theirs.apiKey)} ${theirs.minVersion}-${theirs.maxVersion} -> ${range}`);
  }
  // The highest level of each feature whose API versions are all advertised.
  const offers = (apiKey: number, version: number): boolean =>
    apiKeys.some((entry) => entry.apiKey === apiKey && entry.minVersion <= version && version <= entry.maxVersion);
  const maxLevel = new Map<string, number>();
  for (const { feature, level, needs } of FEATURE_NEEDS) {
    if (!needs.every(([apiKey, version]) => offers(apiKey, version))) {
      maxLevel.set(feature, Math.min(maxLevel.get(feature) ?? Infinity, level - 1));
    }
  }
  const features = new Map<number, Features>();
  for (const [version, answer] of broker) {
    const note = (change: string): void => {
      if (answer === newest) changes.push(change);
    };
    const supportedFeatures: ApiVersionsResponseSupportedFeatureKey[] = [];
    for (const feature of answer.supportedFeatures) {
      const maxVersion = Math.min(feature.maxVersion, maxLevel.get(feature.name) ?? Infinity);
      if (maxVersion >= feature.minVersion) supportedFeatures.push({ ...feature, maxVersion });
      if (maxVersion === feature.maxVersion) continue;
      const range = maxVersion >= feature.minVersion ? `${feature.minVersion}-${maxVersion}` : "none";
      note(`supported ${feature.name} ${feature.minVersion}-${feature.maxVersion} -> ${range}`);
    }
    const finalizedFeatures: ApiVersionsResponseFinalizedFeatureKey[] = [];
    for (const feature of answer.finalizedFeatures) {
      const cap = maxLevel.get(feature.name) ?? Infinity;
      const level = Math.min(feature.maxVersionLevel, cap);
      // Kafka lists a finalized feature with minVersionLevel = maxVersionLevel = its level, and none at level 0.
      if (level > 0) {
        finalizedFeatures.push({
          ...feature,
          maxVersionLevel: level,
          minVersionLevel: Math.min(feature.minVersionLevel, cap),
        });
      }
      if (level !== feature.maxVersionLevel) note(`finalized ${feature.name} ${feature.maxVersionLevel} -> ${level}`);
    }
    features.set(version, {
      supportedFeatures,
      finalizedFeaturesEpoch: answer.finalizedFeaturesEpoch,
      finalizedFeatures,
    });
  }
  return { apiKeys, features, changes };
}

/**
 * The proxy's answer to an ApiVersions request frame (with its size prefix), as a Samsa broker sends it: for a
 * version we implement, the advertised ranges, throttle 0 and (v3+) Kafka's feature levels; for a newer one,
 * what Kafka sends then: a v0 body with UNSUPPORTED_VERSION listing only ApiVersions' own range, so that the
 * client retries with a version in it. The response header is v0 either way. Throws for a malformed request.
 */
function answerApiVersions(request: Buffer, advertised: Advertised): { frame: Buffer; supported: boolean } {
  const apiVersion = request.readInt16BE(2);
  const correlationId = request.readInt32BE(4);
  if (!isSupportedVersion(ApiKey.ApiVersions, apiVersion)) {
    const { min, max } = apiSpecs[ApiKey.ApiVersions].versions;
    const chunks = encodeResponseFrame({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 0,
      correlationId,
      body: {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: min, maxVersion: max }],
      },
    });
    return { frame: Buffer.concat(chunks), supported: false };
  }
  decodeRequestFrame(request); // a broker decodes the request before answering: malformed bytes drop the connection
  const features = advertised.features.get(apiVersion) ?? {}; // none below v3
  const chunks = encodeResponseFrame({
    apiKey: ApiKey.ApiVersions,
    apiVersion,
    correlationId,
    body: { errorCode: 0, apiKeys: advertised.apiKeys, throttleTimeMs: 0, ...features },
  });
  return { frame: Buffer.concat(chunks), supported: true };
}

/** Whether Kafka answers this request: not a Produce with acks=0. */
function expectsResponse(pending: Pending): boolean {
  if (pending.apiKey !== ApiKey.Produce) return true;
  try {
    const decoded = decodeRequestFrame(pending.request);
    return decoded.apiKey !== ApiKey.Produce || decoded.body.acks !== 0;
  } catch {
    return true; // cannot tell: assume a response comes (a wrong guess fails the connection loudly)
  }
}

// ------------------------------------------------------------------------------------------ proxy

interface Proxy {
  close(): Promise<void>;
}

/** A response owed to the client: from Kafka (`local` null) or already made by the proxy (ApiVersions). */
interface Owed {
  pending: Pending;
  local: Buffer | null;
}

/**
 * A recording TCP proxy on 127.0.0.1:listenPort forwarding to the broker on 127.0.0.1:upstreamPort, except for
 * ApiVersions, which it answers itself with the `advertised` ranges (see answerApiVersions). Responses reach
 * the client in request order, as from a broker: a local answer waits behind requests still in flight upstream.
 */
async function startProxy(
  listenPort: number,
  upstreamPort: number,
  recorder: Recorder,
  advertised: Advertised,
): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const client = recorder.client; // connections are labelled by the scenario running when they open
    const upstream = net.connect({ host: "127.0.0.1", port: upstreamPort });
    const owed: Owed[] = [];
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    const flushLocal = (): void => {
      for (let head = owed[0]; head !== undefined && head.local !== null; head = owed[0]) {
        owed.shift();
        downstream.write(head.local);
      }
    };
    const requests = new Framer((frame) => {
      const pending = recorder.onRequest(frame);
      if (pending === undefined) throw new Error(`request frame of ${frame.length} bytes`);
      if (pending.apiKey === ApiKey.ApiVersions) {
        const { frame: answer, supported } = answerApiVersions(frame, advertised);
        const exchange = supported ? pending : { ...pending, variant: "unsupported" };
        recorder.onResponse(client, exchange, answer.subarray(4));
        owed.push({ pending: exchange, local: answer });
        flushLocal();
        return;
      }
      upstream.write(withSizePrefix(frame));
      if (expectsResponse(pending)) owed.push({ pending, local: null });
    });
    const responses = new Framer((frame) => {
      const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : undefined;
      const head = owed[0];
      if (head === undefined || head.local !== null || head.pending.correlationId !== correlationId) {
        throw new Error(`response with unexpected correlation id ${correlationId ?? "(none)"}`);
      }
      owed.shift();
      recorder.onResponse(client, head.pending, frame);
      downstream.write(withSizePrefix(frame));
      flushLocal();
    });
    const fail = (error: unknown): void => {
      log(`${client}: proxy connection dropped: ${error instanceof Error ? error.message : String(error)}`);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on("data", (chunk: Buffer) => {
      try {
        requests.push(chunk);
      } catch (error) {
        fail(error);
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      try {
        responses.push(chunk);
      } catch (error) {
        fail(error);
      }
    });
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: listenPort }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ------------------------------------------------------------------------------------------ processes

interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** When given, the process is stopped with SIGTERM once this holds (polled), and that counts as success. */
  until?: (stdout: string) => boolean;
}

/** Runs a command to completion (bounded), returning its stdout; rejects on a non-zero exit or a timeout. */
async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(command, args, {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  child.stdin.on("error", () => undefined); // a tool may exit before reading all of its input
  child.stdin.end(options.input ?? "");

  let stopping = false;
  let timedOut = false;
  const stop = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  const poll = setInterval(() => {
    if (!stopping && options.until?.(stdout) === true) {
      stopping = true;
      stop();
    }
  }, 100);
  const label = [command, ...args].join(" ");
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    if (timedOut && !stopping) throw new Error(`timed out after ${timeoutMs} ms: ${label}\n${stderr.slice(-2000)}`);
    if (!stopping && code !== 0) {
      throw new Error(`exit ${code ?? signal ?? "?"}: ${label}\n${stderr.slice(-2000)}`);
    }
    return stdout;
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
  }
}

/** Polls `condition` every 50 ms until it holds; rejects after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

// ------------------------------------------------------------------------------------------ scenarios

interface Context {
  bootstrap: string;
  recorder: Recorder;
  tmp: string;
}

const topicFor = (client: ClientName, variant: string): string => `golden-${client}-${variant}`;
const lineCount = (text: string): number => text.split("\n").filter((line) => line.length > 0).length;
const recordValue = (client: ClientName, variant: string, i: number): string => `${client} ${variant} record ${i}`;

async function captureLibrdkafka(ctx: Context): Promise<void> {
  const { recorder } = ctx;
  const kcat = (args: readonly string[], options?: RunOptions): Promise<string> =>
    run("kcat", ["-b", ctx.bootstrap, ...args], options);
  const input = (variant: string): string =>
    Array.from({ length: RECORDS_PER_CODEC }, (_, i) => `key-${i}:${recordValue("librdkafka", variant, i)}\n`).join("");

  recorder.setVariant(null);
  await kcat(["-L"]);
  for (const codec of CODECS) {
    recorder.setVariant(codec);
    const topic = topicFor("librdkafka", codec);
    await kcat(["-P", "-t", topic, "-z", codec, "-K", ":", "-H", "trace=librdkafka", "-H", `codec=${codec}`], {
      input: input(codec),
    });
    await kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-q"]);
  }

  // Transactional produce, then a read_committed fetch that returns the control (commit) batch too.
  recorder.setVariant("txn", [ApiKey.Produce, ApiKey.Fetch, ApiKey.InitProducerId]);
  const txnTopic = topicFor("librdkafka", "txn");
  await kcat(["-P", "-t", txnTopic, "-K", ":", "-X", "transactional.id=golden-librdkafka-txn"], {
    input: input("txn"),
  });
  await kcat(["-C", "-t", txnTopic, "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed"]);

  // Balanced consumer group: FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, Heartbeat, OffsetCommit, LeaveGroup.
  recorder.setVariant("none");
  await kcat(
    [
      "-u", // unbuffered stdout, so the stop condition sees the records
      "-G",
      "golden-librdkafka-group",
      topicFor("librdkafka", "none"),
      "-q",
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "heartbeat.interval.ms=100",
      "-X",
      "auto.commit.interval.ms=100",
    ],
    {
      timeoutMs: 30_000,
      until: (out) =>
        lineCount(out) >= RECORDS_PER_CODEC &&
        recorder.hasSeen("librdkafka", ApiKey.Heartbeat) &&
        recorder.hasSeen("librdkafka", ApiKey.OffsetCommit),
    },
  );
}

async function captureJava(ctx: Context): Promise<void> {
  const { recorder } = ctx;
  const b = ["--bootstrap-server", ctx.bootstrap];
  const tool = (name: string, args: readonly string[], options: RunOptions = {}): Promise<string> =>
    run("bash", [KAFKA_SH, "tool", name, ...args], { ...options, env: { SAMSA_KAFKA_LOG_LEVEL: "ERROR" } });
  const admin = topicFor("java", "admin");

  recorder.setVariant(null);
  await tool("topics", [...b, "--create", "--topic", admin, "--partitions", "2", "--config", "retention.ms=3600000"]);
  await tool("topics", [...b, "--describe", "--topic", admin]);
  await tool("topics", [...b, "--list"]);
  await tool("configs", [...b, "--describe", "--entity-type", "topics", "--entity-name", admin]);
  await tool("configs", [
    ...b,
    "--alter",
    "--entity-type",
    "topics",
    "--entity-name",
    admin,
    "--add-config",
    "retention.ms=7200000",
  ]);

  for (const codec of CODECS) {
    recorder.setVariant(codec);
    const topic = topicFor("java", codec);
    const lines = Array.from(
      { length: RECORDS_PER_CODEC },
      (_, i) => `trace:java,codec:${codec}\tkey-${i}\t${recordValue("java", codec, i)}\n`,
    ).join("");
    await tool(
      "console-producer",
      [
        ...b,
        "--topic",
        topic,
        "--compression-codec",
        codec,
        "--reader-property",
        "parse.key=true",
        "--reader-property",
        "parse.headers=true",
      ],
      { input: lines },
    );
    await tool("console-consumer", [
      ...b,
      "--topic",
      topic,
      "--group",
      `golden-java-${codec}`,
      "--from-beginning",
      "--max-messages",
      String(RECORDS_PER_CODEC),
      "--timeout-ms",
      "20000",
    ]);
  }

  // A classic group member that lives long enough to heartbeat; SIGTERM makes it commit and leave.
  recorder.setVariant("none");
  await tool(
    "console-consumer",
    [...b, "--topic", topicFor("java", "none"), "--group", "golden-java-heartbeat", "--from-beginning"].concat([
      "--command-property",
      "heartbeat.interval.ms=100",
      "--command-property",
      "auto.commit.interval.ms=100",
    ]),
    {
      timeoutMs: 30_000,
      until: (out) => lineCount(out) >= RECORDS_PER_CODEC && recorder.hasSeen("java", ApiKey.Heartbeat),
    },
  );
  // The KIP-848 consumer protocol (ConsumerGroupHeartbeat).
  await tool("console-consumer", [
    ...b,
    "--topic",
    topicFor("java", "none"),
    "--group",
    "golden-java-848",
    "--from-beginning",
    "--max-messages",
    String(RECORDS_PER_CODEC),
    "--timeout-ms",
    "20000",
    "--command-property",
    "group.protocol=consumer",
  ]);
  recorder.setVariant(null);
  await tool("consumer-groups", [...b, "--list"]);
  await tool("consumer-groups", [...b, "--describe", "--group", "golden-java-none"]);
  await tool("consumer-groups", [...b, "--describe", "--group", "golden-java-848"]);
  await tool("get-offsets", [...b, "--topic", topicFor("java", "none")]);

  // Transactions: the perf tool's transactional producer, then a read_committed consumer.
  recorder.setVariant("txn", [ApiKey.Produce, ApiKey.Fetch, ApiKey.InitProducerId]);
  const txnTopic = topicFor("java", "txn");
  await tool("producer-perf-test", [
    ...b,
    "--topic",
    txnTopic,
    "--num-records",
    String(RECORDS_PER_CODEC),
    "--record-size",
    "24",
    "--throughput",
    "-1",
    "--transactional-id",
    "golden-java-txn",
  ]);
  await tool("console-consumer", [
    ...b,
    "--topic",
    txnTopic,
    "--from-beginning",
    "--max-messages",
    String(RECORDS_PER_CODEC),
    "--timeout-ms",
    "20000",
    "--isolation-level",
    "read_committed",
  ]);
  recorder.setVariant(null);
  await tool("transactions", [...b, "list"]);
  await tool("transactions", [...b, "describe", "--transactional-id", "golden-java-txn"]);
  await tool("transactions", [...b, "describe-producers", "--topic", txnTopic, "--partition", "0"]);

  // ACLs (the broker runs with an authorizer; ANONYMOUS is a super user), then housekeeping APIs.
  const acl = ["--allow-principal", "User:alice", "--operation", "Read", "--topic", admin];
  await tool("acls", [...b, "--add", ...acl]);
  await tool("acls", [...b, "--list"]);
  await tool("acls", [...b, "--remove", ...acl, "--force"]);
  const offsets = path.join(ctx.tmp, "delete-records.json");
  await writeFile(offsets, JSON.stringify({ version: 1, partitions: [{ topic: admin, partition: 0, offset: 0 }] }));
  await tool("delete-records", [...b, "--offset-json-file", offsets]);
  await tool("metadata-quorum", [...b, "describe", "--status"]);
  await tool("features", [...b, "describe"]);
  await tool("log-dirs", [...b, "--describe", "--topic-list", admin]);
  await tool("topics", [...b, "--delete", "--topic", admin]);
}

async function captureKafkajs(ctx: Context): Promise<void> {
  const { recorder } = ctx;
  const kafka = new Kafka({ clientId: "golden-kafkajs", brokers: [ctx.bootstrap], logLevel: logLevel.NOTHING });
  // kafkajs ships only gzip; the other codecs need third-party plugins.
  const codecs = [
    ["none", CompressionTypes.None],
    ["gzip", CompressionTypes.GZIP],
  ] as const;

  recorder.setVariant(null);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const [codec, compression] of codecs) {
      recorder.setVariant(codec);
      await producer.send({
        topic: topicFor("kafkajs", codec),
        compression,
        messages: Array.from({ length: RECORDS_PER_CODEC }, (_, i) => ({
          key: `key-${i}`,
          value: recordValue("kafkajs", codec, i),
          headers: { trace: "kafkajs", codec },
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }

  for (const [codec] of codecs) {
    recorder.setVariant(codec);
    const consumer = kafka.consumer({
      groupId: `golden-kafkajs-${codec}`,
      heartbeatInterval: 100,
      maxWaitTimeInMs: 100,
    });
    let received = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topicFor("kafkajs", codec), fromBeginning: true });
      await consumer.run({
        eachMessage: () => {
          received += 1;
          return Promise.resolve();
        },
      });
      await waitFor(
        `kafkajs ${codec} consumer`,
        () =>
          received >= RECORDS_PER_CODEC &&
          recorder.hasSeen("kafkajs", ApiKey.Heartbeat) &&
          recorder.hasSeen("kafkajs", ApiKey.OffsetCommit),
      );
    } finally {
      await consumer.disconnect();
    }
  }

  recorder.setVariant(null);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: topicFor("kafkajs", "admin"), numPartitions: 2 }],
      waitForLeaders: true,
    });
    await admin.fetchTopicOffsets(topicFor("kafkajs", "none"));
    await admin.describeGroups(["golden-kafkajs-none"]);
    await admin.fetchOffsets({ groupId: "golden-kafkajs-none", topics: [topicFor("kafkajs", "none")] });
    await admin.deleteTopics({ topics: [topicFor("kafkajs", "admin")] });
  } finally {
    await admin.disconnect();
  }
}

async function capturePlatformatic(ctx: Context): Promise<void> {
  const { recorder } = ctx;
  const common = { clientId: "golden-platformatic", bootstrapBrokers: [ctx.bootstrap] };

  recorder.setVariant(null);
  const producer = new Producer({ ...common, serializers: stringSerializers, idempotent: true });
  try {
    for (const codec of CODECS) {
      recorder.setVariant(codec);
      await producer.send({
        compression: codec,
        messages: Array.from({ length: RECORDS_PER_CODEC }, (_, i) => ({
          topic: topicFor("platformatic", codec),
          key: `key-${i}`,
          value: recordValue("platformatic", codec, i),
          headers: { trace: "platformatic", codec },
        })),
      });
    }
  } finally {
    await producer.close();
  }

  const consume = async (codec: Codec, groupId: string, groupProtocol: "classic" | "consumer"): Promise<void> => {
    recorder.setVariant(codec);
    const base = { ...common, groupId, deserializers: stringDeserializers, maxWaitTime: 100 };
    const consumer =
      groupProtocol === "classic"
        ? new Consumer({ ...base, heartbeatInterval: 100 })
        : new Consumer({ ...base, groupProtocol: "consumer" });
    let received = 0;
    try {
      const stream = await consumer.consume({
        topics: [topicFor("platformatic", codec)],
        mode: MessagesStreamModes.EARLIEST,
      });
      stream.on("data", () => (received += 1));
      const heartbeat = groupProtocol === "classic" ? ApiKey.Heartbeat : ApiKey.ConsumerGroupHeartbeat;
      await waitFor(
        `platformatic ${codec} consumer`,
        () =>
          received >= RECORDS_PER_CODEC &&
          recorder.hasSeen("platformatic", heartbeat) &&
          recorder.hasSeen("platformatic", ApiKey.OffsetCommit),
      );
      await stream.close();
    } finally {
      await consumer.close(true);
    }
  };
  for (const codec of CODECS) await consume(codec, `golden-platformatic-${codec}`, "classic");
  await consume("none", "golden-platformatic-848", "consumer");
}

const SCENARIOS: Record<ClientName, (ctx: Context) => Promise<void>> = {
  librdkafka: captureLibrdkafka,
  java: captureJava,
  kafkajs: captureKafkajs,
  platformatic: capturePlatformatic,
};

/** Topics the scenarios produce to, created up front (not through the proxy) so no client sees auto-creation. */
function setupTopics(clients: readonly ClientName[]): string[] {
  const topics: string[] = [];
  for (const client of clients) {
    if (client === "kafkajs") topics.push(topicFor(client, "none"), topicFor(client, "gzip"));
    else topics.push(...CODECS.map((codec) => topicFor(client, codec)));
    if (client === "librdkafka" || client === "java") topics.push(topicFor(client, "txn"));
  }
  return topics;
}

/**
 * Creates the scenario topics and loads the group and transaction coordinators through the broker's
 * internal listener (not the proxy), so that no client's first Metadata, FindCoordinator or InitProducerId
 * is answered with a transient error (UNKNOWN_TOPIC_OR_PARTITION, COORDINATOR_NOT_AVAILABLE, ...).
 */
async function prepareBroker(internalBootstrap: string, topics: readonly string[]): Promise<void> {
  const kafka = new Kafka({ clientId: "golden-setup", brokers: [internalBootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [...topics, WARMUP_TOPIC].map((topic) => ({ topic })), waitForLeaders: true });
    await admin.describeGroups(["golden-warmup"]); // FindCoordinator(group) creates and loads __consumer_offsets
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ transactionalId: "golden-warmup", idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const txn = await producer.transaction(); // creates and loads __transaction_state
    await txn.send({ topic: WARMUP_TOPIC, messages: [{ value: "warmup" }] });
    await txn.commit();
  } finally {
    await producer.disconnect();
  }
}

// ------------------------------------------------------------------------------------------ main

/** Problems decoding the fixtures with packages/protocol: none are expected, as versions are negotiated to ours. */
function undecodable(fixtures: readonly { entry: IndexEntry; bytes: Buffer }[]): string[] {
  const problems: string[] = [];
  for (const { entry, bytes } of fixtures) {
    try {
      if (entry.direction === "request") {
        // A request of a version newer than ours has only its version-independent header fields decoded.
        if (entry.variant === "unsupported") decodeRequestFrameHeader(bytes);
        else decodeRequestFrame(bytes);
        continue;
      }
      const spec = apiSpecOf(entry.apiKey);
      if (spec === undefined) throw new Error("unknown API");
      // An UNSUPPORTED_VERSION ApiVersions answer is in the v0 format, whatever the request's version.
      decodeResponseFrame(spec.key, entry.variant === "unsupported" ? 0 : entry.apiVersion, bytes);
    } catch (error) {
      problems.push(`${entry.file} does not decode: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

async function writeFixtures(
  out: string,
  recorder: Recorder,
  versions: readonly string[],
  changes: readonly string[],
): Promise<{ entry: IndexEntry; size: number }[]> {
  await mkdir(out, { recursive: true });
  for (const name of await readdir(out)) {
    if (name.endsWith(".bin") || name === "index.json" || name === "README.md") await rm(path.join(out, name));
  }
  const fixtures = recorder.fixtures();
  for (const { entry, bytes } of fixtures) await writeFile(path.join(out, entry.file), bytes);
  // One entry per line: a third of the size of indented JSON, and still a readable diff.
  const index = fixtures.map(({ entry }) => `  ${JSON.stringify(entry)}`);
  await writeFile(path.join(out, "index.json"), `[\n${index.join(",\n")}\n]\n`);
  const readme = [
    "# Golden frames",
    "",
    "Real Kafka protocol frames recorded between real clients and a real broker by `scripts/capture-golden.ts`",
    "(regenerate with `node scripts/capture-golden.ts`; not run in CI). Each `.bin` file is one frame without its",
    "4-byte size prefix: request header + body, or response header + body. `index.json` describes every file;",
    "a request and its response share `correlationId`. `variant` is the record codec (or `txn`) for Produce, Fetch",
    "and the transactional InitProducerId, `unsupported` for an ApiVersions request newer than ours, else null.",
    "",
    "## Versions",
    "",
    "The frames are those clients exchange with a Samsa broker: the recording proxy never forwards ApiVersions but",
    "answers it itself, as Samsa does, so clients negotiate down to the versions packages/protocol implements. It",
    "asks Kafka for its ApiVersions up front, then advertises, for every API that both Kafka and packages/protocol",
    "know, the intersection of their version ranges (APIs with none are left out), throttle 0 and, from v3, the",
    "supported and finalized features Kafka sends for that ApiVersions version (below v4 it leaves out supported",
    "features whose minVersion is 0), except feature levels that need API versions no longer advertised:",
    "transaction.version 2 needs Produce v12 and EndTxn v5 (KIP-890 part 2; without them the Java producer would send",
    "Produce v11 for partitions it never added to the transaction), so it is capped to 1. So:",
    "",
    "- **ApiVersions responses are the proxy's capped answer** (encoded by packages/protocol), not Kafka's; every",
    "  other response is Kafka's own bytes.",
    "- An ApiVersions request newer than ours is answered as Kafka answers one newer than its own: a **v0-format**",
    "  body with errorCode 35 (UNSUPPORTED_VERSION) listing only ApiVersions' own range, whereupon the client",
    "  retries with a version in it. That exchange is kept with variant `unsupported`; its response decodes as",
    "  ApiVersions v0 whatever its `apiVersion` in `index.json` says (the request's version).",
    "",
    "What the proxy advertised differently from Kafka (Kafka -> advertised):",
    "",
    ...(changes.length === 0 ? ["- none"] : changes.map((range) => `- ${range}`)),
    "",
    "## Recorded with",
    "",
    ...versions.map((version) => `- ${version}`),
    "",
  ].join("\n");
  await writeFile(path.join(out, "README.md"), readme);
  return fixtures.map(({ entry, bytes }) => ({ entry, size: bytes.length }));
}

async function clientVersions(clients: readonly ClientName[]): Promise<string[]> {
  const kafkaHome = (await run("bash", [KAFKA_SH, "home"])).trim();
  const kafkaVersion = path.basename(kafkaHome).replace(/^kafka-/, "");
  const versions = [`broker: Apache Kafka ${kafkaVersion} (scripts/kafka.sh, KRaft single node)`];
  const packageVersion = async (name: string): Promise<string> => {
    const text = await readFile(path.join(REPO, "node_modules", name, "package.json"), "utf8");
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && "version" in parsed ? String(parsed.version) : "?";
  };
  for (const client of clients) {
    switch (client) {
      case "librdkafka": {
        const banner = await run("kcat", ["-V"]);
        const kcat = /Version (\S+)/.exec(banner)?.[1] ?? "?";
        const librdkafka = /librdkafka (\S+)/.exec(banner)?.[1] ?? "?";
        versions.push(`librdkafka: librdkafka ${librdkafka} via kcat ${kcat}`);
        break;
      }
      case "java":
        versions.push(`java: Apache Kafka ${kafkaVersion} Java client, via its CLI tools`);
        break;
      case "kafkajs":
        versions.push(`kafkajs: kafkajs ${await packageVersion("kafkajs")}`);
        break;
      case "platformatic":
        versions.push(`platformatic: @platformatic/kafka ${await packageVersion("@platformatic/kafka")}`);
        break;
    }
  }
  return versions;
}

/** kafkajs 2.2.4 arms timers with negative delays, which Node reports as TimeoutNegativeWarning: drop just those. */
function silenceKafkajsTimerWarnings(): void {
  const printers = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const print of printers) print(warning);
  });
}

async function main(): Promise<void> {
  silenceKafkajsTimerWarnings();
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: DEFAULT_OUT },
      clients: { type: "string", default: CLIENTS.join(",") },
      "kafka-port": { type: "string" },
      "proxy-port": { type: "string" },
    },
  });
  const clients = values.clients.split(",").map((name) => {
    const client = CLIENTS.find((c) => c === name);
    if (client === undefined) throw new Error(`unknown client ${name}; known: ${CLIENTS.join(",")}`);
    return client;
  });
  if (clients.includes("librdkafka"))
    await run("kcat", ["-V"]).catch(() => Promise.reject(new Error("kcat not found: apt-get install -y kcat")));
  if (!existsSync(KAFKA_SH)) throw new Error(`${KAFKA_SH} missing`);

  const started = Date.now();
  await run("bash", [KAFKA_SH, "install"], { timeoutMs: 600_000 });
  const kafkaPort = values["kafka-port"] !== undefined ? Number(values["kafka-port"]) : await freePort();
  const proxyPort = values["proxy-port"] !== undefined ? Number(values["proxy-port"]) : await freePort();
  const tmp = await mkdtemp(path.join(os.tmpdir(), "samsa-golden-"));
  const dataDir = path.join(tmp, "kafka");
  const recorder = new Recorder();
  let proxy: Proxy | undefined;
  let changes: string[];
  let kafkaStarted = false;
  try {
    const kafkaArgs = [
      "start",
      "--port",
      String(kafkaPort),
      "--data-dir",
      dataDir,
      "--advertise",
      `127.0.0.1:${proxyPort}`,
    ];
    const bootstrap = (await run("bash", [KAFKA_SH, ...kafkaArgs, "--authorizer"], { timeoutMs: 120_000 })).trim();
    kafkaStarted = true;
    const internal = (await readFile(path.join(dataDir, "internal-bootstrap"), "utf8")).trim();
    const advertised = negotiate(await queryBrokerFeatures(kafkaPort));
    changes = advertised.changes;
    proxy = await startProxy(proxyPort, kafkaPort, recorder, advertised);
    log(
      `broker up (proxy ${bootstrap} -> 127.0.0.1:${kafkaPort}, internal ${internal}) after ${Date.now() - started} ms`,
    );
    log(`proxy advertises ${advertised.apiKeys.length} APIs; Kafka -> advertised: ${changes.join(", ")}`);

    await prepareBroker(internal, setupTopics(clients));

    const ctx: Context = { bootstrap, recorder, tmp };
    for (const client of clients) {
      const t0 = Date.now();
      recorder.client = client;
      await SCENARIOS[client](ctx);
      recorder.client = "unlabelled";
      log(`${client}: done in ${Date.now() - t0} ms`);
    }
  } finally {
    try {
      if (kafkaStarted || existsSync(path.join(dataDir, "kafka.pid"))) {
        await run("bash", [KAFKA_SH, "stop", "--data-dir", dataDir], { timeoutMs: 60_000 });
      }
    } finally {
      await proxy?.close();
      await rm(tmp, { recursive: true, force: true });
    }
  }

  for (const problem of undecodable(recorder.fixtures())) log(`warning: ${problem}`);
  const versions = await clientVersions(clients);
  const written = await writeFixtures(values.out, recorder, versions, changes);
  const total = written.reduce((sum, { size }) => sum + size, 0);
  for (const { entry, size } of written) {
    process.stdout.write(`${entry.file.padEnd(72)} ${String(size).padStart(7)}\n`);
  }
  process.stdout.write(
    `${written.length} fixtures, ${total} bytes, in ${Date.now() - started} ms\n${versions.join("\n")}\n`,
  );
  if (total > 512 * 1024) log(`warning: fixtures total ${total} bytes`);
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
