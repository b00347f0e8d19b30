// Hostile and demanding clients against an in-process broker: garbage, oversized and truncated
// frames, unknown APIs and versions, slow-loris, idle and surplus connections, pipelining,
// backpressure and a seeded fuzz run. Each attack must close only the offending connection, say
// why in a log line, and leave a well-behaved client connected alongside fully working.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { Socket } from "node:net";
import {
  apiSpecs,
  ApiKey,
  decodeResponseFrame,
  encodeRecordBatch,
  encodeRequestFrame,
  ErrorCode,
  FrameSplitter,
  iterateBatches,
  iterateRecords,
  peekCorrelationId,
} from "@samsa/protocol";
import type { Input, RequestByKey } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient, seededRandom as prng } from "@samsa/testkit";
import { advertisedApis } from "../src/handlers/index.ts";
import { createLogger, silentLogger, startBroker } from "../src/index.ts";
import type { Logger, RunningBroker } from "../src/index.ts";

const text = new TextEncoder();
const utf8 = new TextDecoder();

// ------------------------------------------------------------------------------------ helpers

type LogLine = Readonly<Record<string, unknown>>;

/** Collects the broker's JSON log lines so tests can assert on why a connection was closed. */
class LogCapture {
  readonly lines: LogLine[] = [];
  readonly logger: Logger = createLogger({
    level: "debug",
    sink: (line) => this.lines.push(JSON.parse(line) as LogLine),
  });

  mark(): number {
    return this.lines.length;
  }

  since(mark: number): LogLine[] {
    return this.lines.slice(mark);
  }

  /** The first "connection closed" line after `mark` whose reason matches. */
  closed(mark: number, reason: RegExp): Promise<LogLine> {
    return waitFor(
      () =>
        this.since(mark).find(
          (l) => l["message"] === "connection closed" && typeof l["reason"] === "string" && reason.test(l["reason"]),
        ),
      { timeoutMs: 3000, what: `a "connection closed" log line matching ${reason}` },
    );
  }
}

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** A request frame with a v1 header written by hand, for API keys/versions no encoder knows. */
function handmadeFrame(options: {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  body?: Uint8Array;
}): Uint8Array {
  const clientId = text.encode("hostile");
  const header = new Uint8Array(10 + clientId.length);
  const view = new DataView(header.buffer);
  view.setInt16(0, options.apiKey);
  view.setInt16(2, options.apiVersion);
  view.setInt32(4, options.correlationId);
  view.setInt16(8, clientId.length);
  header.set(clientId, 10);
  const body = options.body ?? new Uint8Array(0);
  return concat([int32(header.length + body.length), header, body]);
}

/** Rewrites a frame's size prefix to match its (possibly cut or grown) content. */
function withSizePrefix(frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  new DataView(out.buffer).setInt32(0, out.length - 4);
  return out;
}

function batchOf(values: readonly string[], timestampMs = Date.now()): Uint8Array {
  return encodeRecordBatch({
    records: values.map((v, i) => ({ key: null, value: text.encode(v), timestamp: BigInt(timestampMs + i) })),
  });
}

function valuesIn(records: Uint8Array | null): string[] {
  const out: string[] = [];
  if (records === null) return out;
  for (const batch of iterateBatches(records)) {
    for (const r of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) {
      out.push(r.value === null ? "" : utf8.decode(r.value));
    }
  }
  return out;
}

function produceBody(topic: string, records: Uint8Array, acks = 1): Input<RequestByKey[typeof ApiKey.Produce]> {
  return { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

function fetchBody(
  topic: string,
  fetchOffset: bigint,
  options: { maxWaitMs?: number; minBytes?: number } = {},
): Input<RequestByKey[typeof ApiKey.Fetch]> {
  return {
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
  };
}

let healthyRound = 0;

/** The well-behaved client's check: Metadata, then a Produce+Fetch round trip. */
async function assertHealthy(client: WireClient, topic: string): Promise<void> {
  const metadata = await client.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: true });
  assert.equal(metadata.topics[0]?.errorCode, 0, "metadata for the healthy client's topic");
  const value = `healthy-${++healthyRound}`;
  const produced = await client.send(ApiKey.Produce, 9, produceBody(topic, batchOf([value])));
  const partition = produced.responses[0]?.partitionResponses[0];
  assert.equal(partition?.errorCode, 0, "produce from the healthy client");
  const fetched = await client.send(ApiKey.Fetch, 12, fetchBody(topic, partition.baseOffset));
  const data = fetched.responses[0]?.partitions[0];
  assert.equal(data?.errorCode, 0, "fetch from the healthy client");
  assert.deepEqual(valuesIn(data.records), [value]);
}

/** A raw connection that collects whole response frames in arrival order. */
interface RawConnection {
  readonly socket: Socket;
  readonly frames: Uint8Array[];
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

function rawConnect(port: number, localAddress?: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      noDelay: true,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    const frames: Uint8Array[] = [];
    const splitter = new FrameSplitter({ frameBytesMax: 64 * 1024 * 1024 });
    let isClosed = false;
    const closed = new Promise<void>((resolveClosed) =>
      socket.once("close", () => {
        isClosed = true;
        resolveClosed();
      }),
    );
    socket.on("data", (chunk: Buffer) => frames.push(...splitter.push(chunk)));
    socket.on("error", () => undefined); // resets by the broker are expected here
    socket.once("connect", () => resolve({ socket, frames, closed, isClosed: () => isClosed }));
    socket.once("error", reject);
  });
}

/** The value of an unlabelled metric in the broker's Prometheus text. */
async function metric(broker: RunningBroker, name: string): Promise<number> {
  assert.ok(broker.metricsUrl !== undefined, "metrics endpoint enabled");
  const body = await (await fetch(`${broker.metricsUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
  assert.ok(match !== null, `metric ${name} present`);
  return Number(match[1]);
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------- malformed input

describe("hostile input on one connection", () => {
  const logs = new LogCapture();
  let broker: RunningBroker;
  let good: WireClient;
  const topic = uniqueName("server-healthy");

  before(async () => {
    broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: logs.logger,
      settings: {
        "socket.request.max.bytes": "65536",
        "samsa.request.read.timeout.ms": "300",
        "samsa.metrics.listen": "127.0.0.1:0",
      },
    });
    good = await WireClient.connect(broker.bootstrap, { clientId: "well-behaved" });
    await assertHealthy(good, topic);
  });

  after(async () => {
    good.close();
    await broker.close();
  });

  /** Sends `bytes` on a fresh connection; expects it closed with a matching reason, and `good` unaffected. */
  async function attack(bytes: Uint8Array, reason: RegExp): Promise<LogLine> {
    const mark = logs.mark();
    const errorsBefore = await metric(broker, "samsa_protocol_errors_total");
    const bad = await WireClient.connect(broker.bootstrap, { clientId: "hostile" });
    try {
      bad.writeRaw(bytes);
      await bad.waitForClose(3000);
    } finally {
      bad.close();
    }
    const line = await logs.closed(mark, reason);
    assert.ok(line["level"] === "warn" || line["level"] === "info", `logged at warn/info: ${JSON.stringify(line)}`);
    assert.equal(
      logs.since(mark).filter((l) => l["message"] === "request failed").length,
      0,
      "no handler failed unexpectedly",
    );
    assert.ok((await metric(broker, "samsa_protocol_errors_total")) > errorsBefore, "counted as a protocol error");
    await assertHealthy(good, topic);
    return line;
  }

  test("random garbage closes the connection", async () => {
    const random = prng(0x5a45a);
    await attack(randomBytes(random, 4096), /exceeds|negative|malformed|unsupported|not received whole/);
    // Garbage behind a plausible size prefix reaches the header decoder instead of the framer.
    await attack(concat([int32(60), randomBytes(random, 60)]), /malformed|unsupported/);
  });

  test("a size prefix above socket.request.max.bytes closes the connection", async () => {
    const line = await attack(concat([int32(65537), new Uint8Array(16)]), /65537 exceeds socket\.request\.max\.bytes/);
    assert.equal(line["level"], "warn");
    // Kafka's own limit check happens on the prefix alone: no body needs to follow.
    await attack(int32(0x7fffffff), /exceeds socket\.request\.max\.bytes/);
  });

  test("a negative size prefix closes the connection", async () => {
    await attack(int32(-1), /size -1/);
    await attack(int32(-0x80000000), /size -2147483648/);
  });

  test("a truncated frame followed by the client closing leaves nothing behind", async () => {
    const openBefore = await metric(broker, "samsa_connections");
    const mark = logs.mark();
    const bad = await WireClient.connect(broker.bootstrap);
    const frame = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, body: {} });
    bad.writeRaw(frame.subarray(0, frame.length - 3));
    await waitFor(async () => (await metric(broker, "samsa_connections")) === openBefore + 1, {
      timeoutMs: 2000,
      what: "the broker to count the connection",
    });
    bad.close();
    await logs.closed(mark, /peer closed/);
    await waitFor(async () => (await metric(broker, "samsa_connections")) === openBefore, {
      timeoutMs: 2000,
      what: "the connection gauge to drop back",
    });
    await assertHealthy(good, topic);
  });

  describe("a valid header with a truncated or garbled body", () => {
    const requests: { name: string; frame: Uint8Array }[] = [
      {
        name: "Produce v9",
        frame: encodeRequestFrame({
          apiKey: ApiKey.Produce,
          apiVersion: 9,
          correlationId: 1,
          body: produceBody(topic, batchOf(["a", "b"])),
        }),
      },
      {
        name: "Produce v3",
        frame: encodeRequestFrame({
          apiKey: ApiKey.Produce,
          apiVersion: 3,
          correlationId: 1,
          body: produceBody(topic, batchOf(["a", "b"])),
        }),
      },
      {
        name: "Fetch v12",
        frame: encodeRequestFrame({
          apiKey: ApiKey.Fetch,
          apiVersion: 12,
          correlationId: 1,
          body: fetchBody(topic, 0n),
        }),
      },
      {
        name: "Fetch v4",
        frame: encodeRequestFrame({
          apiKey: ApiKey.Fetch,
          apiVersion: 4,
          correlationId: 1,
          body: fetchBody(topic, 0n),
        }),
      },
      {
        name: "Metadata v12",
        frame: encodeRequestFrame({
          apiKey: ApiKey.Metadata,
          apiVersion: 12,
          correlationId: 1,
          body: { topics: [{ name: topic }] },
        }),
      },
      {
        name: "ListOffsets v7",
        frame: encodeRequestFrame({
          apiKey: ApiKey.ListOffsets,
          apiVersion: 7,
          correlationId: 1,
          body: { topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
        }),
      },
      {
        name: "InitProducerId v4",
        frame: encodeRequestFrame({
          apiKey: ApiKey.InitProducerId,
          apiVersion: 4,
          correlationId: 1,
          body: { transactionalId: null, producerId: -1n, producerEpoch: -1 },
        }),
      },
      {
        name: "ApiVersions v3",
        frame: encodeRequestFrame({
          apiKey: ApiKey.ApiVersions,
          apiVersion: 3,
          correlationId: 1,
          clientId: "x",
          body: { clientSoftwareName: "samsa-test", clientSoftwareVersion: "1.0" },
        }),
      },
    ];
    // size prefix + key + version + correlation id + client id "x" (+ tagged fields for flexible headers)
    const headerBytes = 4 + 2 + 2 + 4 + 3;
    for (const { name, frame } of requests) {
      test(`${name}: truncated body`, async () => {
        const bodyBytes = frame.length - headerBytes;
        assert.ok(bodyBytes > 2, "the body has something to cut");
        await attack(withSizePrefix(frame.subarray(0, headerBytes + Math.floor(bodyBytes / 2))), /malformed request/);
      });
      test(`${name}: garbled body`, async () => {
        const garbled = Uint8Array.from(frame);
        garbled.fill(0xff, headerBytes + 1);
        await attack(garbled, /malformed request/);
      });
    }
  });

  test("an unknown API key, and a known API without a handler, close the connection", async () => {
    await attack(handmadeFrame({ apiKey: 999, apiVersion: 0, correlationId: 3 }), /unsupported API 999 version 0/);
    await attack(handmadeFrame({ apiKey: -1, apiVersion: 0, correlationId: 3 }), /unsupported API -1 version 0/);
    // Which APIs have handlers changes as the broker grows: pick one the protocol layer knows but
    // the broker does not serve.
    const served = new Set(advertisedApis().map((a) => a.apiKey));
    const unserved = (Object.values(apiSpecs) as { key: ApiKey; versions: { min: number } }[]).find(
      (spec) => !served.has(spec.key),
    );
    if (unserved !== undefined) {
      const frame = encodeRequestFrame({
        apiKey: unserved.key,
        apiVersion: unserved.versions.min,
        correlationId: 3,
        body: {},
      });
      await attack(frame, new RegExp(`unsupported API ${unserved.key} version ${unserved.versions.min}$`));
    }
  });

  test("an unknown Produce version closes the connection; v0-v2 are answered with UNSUPPORTED_VERSION", async () => {
    await attack(handmadeFrame({ apiKey: 0, apiVersion: 99, correlationId: 4 }), /unsupported API 0 version 99/);
    // v0–v2 are advertised (as Kafka 4 does, for librdkafka's compression check) but refused.
    const client = await WireClient.connect(broker.bootstrap);
    try {
      const response = await client.send(ApiKey.Produce, 2, produceBody(topic, batchOf(["x"])));
      assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    } finally {
      client.close();
    }
  });

  test("an unsupported ApiVersions version is answered in v0 format with UNSUPPORTED_VERSION", async () => {
    const client = await WireClient.connect(broker.bootstrap);
    try {
      const correlationId = 4242;
      const frame = await client.sendRaw(
        handmadeFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 99, correlationId, body: new Uint8Array([0, 0, 0]) }),
        correlationId,
        3000,
      );
      const response = decodeResponseFrame(ApiKey.ApiVersions, 0, frame);
      assert.equal(response.correlationId, correlationId);
      assert.equal(response.body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      assert.deepEqual(response.body.apiKeys, [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 }]);
      // The connection stays open, so the client can retry with a version the broker serves.
      const retried = await client.send(ApiKey.ApiVersions, 3, {
        clientSoftwareName: "samsa-test",
        clientSoftwareVersion: "1.0",
      });
      assert.equal(retried.errorCode, 0);
      assert.ok(retried.apiKeys.some((k) => k.apiKey === ApiKey.Produce));
    } finally {
      client.close();
    }
    await assertHealthy(good, topic);
  });

  test("slow-loris: a request trickling in one byte every 50 ms is cut off at the read timeout", async () => {
    const mark = logs.mark();
    const bad = await WireClient.connect(broker.bootstrap);
    const frame = encodeRequestFrame({
      apiKey: ApiKey.Metadata,
      apiVersion: 12,
      correlationId: 5,
      clientId: "slow-loris-client-with-a-long-name",
      body: { topics: [{ name: topic }] },
    });
    const closed = bad.waitForClose(5000).then(() => true);
    const started = Date.now();
    let sent = 0;
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    // The pacing is what is under test, so this loop sleeps; it stops as soon as the broker hangs up.
    while (!isClosed && sent < frame.length - 1) {
      bad.writeRaw(frame.subarray(sent, sent + 1));
      sent++;
      await delay(50);
    }
    await closed;
    const elapsedMs = Date.now() - started;
    assert.ok(sent < frame.length - 1, `cut off before the request was complete (sent ${sent}/${frame.length})`);
    assert.ok(elapsedMs >= 300, `not before the read timeout (${elapsedMs} ms)`);
    const line = await logs.closed(mark, /request not received whole within 300 ms/);
    assert.equal(line["level"], "warn");
    await assertHealthy(good, topic);
  });

  test("pipelining: 50 mixed requests written at once are answered in request order", async () => {
    const pipeTopic = uniqueName("server-pipeline");
    await good.send(ApiKey.Metadata, 12, { topics: [{ name: pipeTopic }], allowAutoTopicCreation: true });
    const kinds = ["Metadata", "ApiVersions", "Produce1", "Produce0", "ListOffsets"] as const;
    const plan = Array.from({ length: 50 }, (_, i) => ({
      correlationId: i + 1,
      kind: kinds[i % kinds.length] ?? "Metadata",
    }));
    const frames = plan.map(({ correlationId, kind }) => {
      switch (kind) {
        case "Metadata":
          return encodeRequestFrame({
            apiKey: ApiKey.Metadata,
            apiVersion: 12,
            correlationId,
            body: { topics: [{ name: pipeTopic }], allowAutoTopicCreation: false },
          });
        case "ApiVersions":
          return encodeRequestFrame({
            apiKey: ApiKey.ApiVersions,
            apiVersion: 3,
            correlationId,
            body: { clientSoftwareName: "samsa-test", clientSoftwareVersion: "1.0" },
          });
        case "Produce1":
        case "Produce0":
          return encodeRequestFrame({
            apiKey: ApiKey.Produce,
            apiVersion: 9,
            correlationId,
            body: produceBody(pipeTopic, batchOf([`p-${correlationId}`]), kind === "Produce1" ? 1 : 0),
          });
        case "ListOffsets":
          return encodeRequestFrame({
            apiKey: ApiKey.ListOffsets,
            apiVersion: 7,
            correlationId,
            body: { topics: [{ name: pipeTopic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
          });
      }
    });
    const raw = await rawConnect(broker.port);
    try {
      raw.socket.write(concat(frames));
      const expected = plan.filter((p) => p.kind !== "Produce0");
      await waitFor(() => raw.frames.length >= expected.length, { timeoutMs: 5000, what: "40 responses" });
      assert.equal(raw.frames.length, expected.length, "acks=0 produces get no response");
      const produceOrder = plan
        .filter((p) => p.kind === "Produce1" || p.kind === "Produce0")
        .map((p) => p.correlationId);
      let lastLatest = -1n;
      expected.forEach(({ correlationId, kind }, i) => {
        const frame = raw.frames[i] ?? new Uint8Array(0);
        assert.equal(peekCorrelationId(frame), correlationId, `response ${i} in request order`);
        switch (kind) {
          case "Metadata":
            assert.equal(decodeResponseFrame(ApiKey.Metadata, 12, frame).body.topics[0]?.errorCode, 0);
            break;
          case "ApiVersions":
            assert.equal(decodeResponseFrame(ApiKey.ApiVersions, 3, frame).body.errorCode, 0);
            break;
          case "Produce1":
          case "Produce0": {
            const p = decodeResponseFrame(ApiKey.Produce, 9, frame).body.responses[0]?.partitionResponses[0];
            assert.equal(p?.errorCode, 0);
            // Appends happen in request order, acks=0 ones included.
            assert.equal(p.baseOffset, BigInt(produceOrder.indexOf(correlationId)));
            break;
          }
          case "ListOffsets": {
            const p = decodeResponseFrame(ApiKey.ListOffsets, 7, frame).body.topics[0]?.partitions[0];
            assert.equal(p?.errorCode, 0);
            assert.ok(p.offset >= lastLatest, "the latest offset never goes back");
            lastLatest = p.offset;
            break;
          }
        }
      });
      const fetched = await good.send(ApiKey.Fetch, 12, fetchBody(pipeTopic, 0n));
      assert.deepEqual(
        valuesIn(fetched.responses[0]?.partitions[0]?.records ?? null),
        produceOrder.map((id) => `p-${id}`),
      );
    } finally {
      raw.socket.destroy();
    }
  });

  test("fuzz: 200 mutated frames from several connections do not hurt the broker", async (t) => {
    // Deterministic by default; SAMSA_TEST_FUZZ_SEED replays (or explores) another run.
    const seed = Number(process.env["SAMSA_TEST_FUZZ_SEED"] ?? 0xf022);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const fuzzTopic = uniqueName("server-fuzz");
    await good.send(ApiKey.Metadata, 12, { topics: [{ name: fuzzTopic }], allowAutoTopicCreation: true });
    const templates: Uint8Array[] = [
      encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 0, correlationId: 1, body: { topics: [] } }),
      encodeRequestFrame({
        apiKey: ApiKey.Metadata,
        apiVersion: 12,
        correlationId: 1,
        body: { topics: [{ name: fuzzTopic }] },
      }),
      encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, body: {} }),
      encodeRequestFrame({
        apiKey: ApiKey.ApiVersions,
        apiVersion: 3,
        correlationId: 1,
        body: { clientSoftwareName: "fuzz", clientSoftwareVersion: "1" },
      }),
      encodeRequestFrame({
        apiKey: ApiKey.Produce,
        apiVersion: 3,
        correlationId: 1,
        body: produceBody(fuzzTopic, batchOf(["f1", "f2", "f3"])),
      }),
      encodeRequestFrame({
        apiKey: ApiKey.Produce,
        apiVersion: 11,
        correlationId: 1,
        body: produceBody(fuzzTopic, batchOf(["f4"])),
      }),
      encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 4, correlationId: 1, body: fetchBody(fuzzTopic, 0n) }),
      encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 1, body: fetchBody(fuzzTopic, 0n) }),
      encodeRequestFrame({
        apiKey: ApiKey.ListOffsets,
        apiVersion: 7,
        correlationId: 1,
        body: { topics: [{ name: fuzzTopic, partitions: [{ partitionIndex: 0, timestamp: -3n }] }] },
      }),
      encodeRequestFrame({
        apiKey: ApiKey.InitProducerId,
        apiVersion: 4,
        correlationId: 1,
        body: { transactionalId: null, producerId: -1n, producerEpoch: -1 },
      }),
    ];
    const mutate = (template: Uint8Array): Uint8Array => {
      let frame: Uint8Array = Uint8Array.from(template);
      const position = (): number => 4 + Math.floor(random() * (frame.length - 4));
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) {
        switch (Math.floor(random() * 6)) {
          case 0: {
            // flip a bit
            const at = position();
            frame[at] = (frame[at] ?? 0) ^ (1 << Math.floor(random() * 8));
            break;
          }
          case 1: // a random byte
            frame[position()] = Math.floor(random() * 256);
            break;
          case 2: {
            // a boundary value over an int32 (lengths, counts, offsets)
            const at = Math.min(position(), frame.length - 4);
            new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setInt32(
              at,
              pick([-1, 0, 0x7fffffff, -0x80000000, 0x10000]),
            );
            break;
          }
          case 3: // truncate
            frame = frame.slice(0, position());
            break;
          case 4: // append noise
            frame = concat([frame, randomBytes(random, 1 + Math.floor(random() * 32))]);
            break;
          default: // a boundary byte
            frame[position()] = pick([0x00, 0x7f, 0x80, 0xff]);
        }
      }
      // Mostly keep the framing consistent, so the mutation reaches the decoders.
      return random() < 0.95 ? withSizePrefix(frame) : frame;
    };
    const probe = (correlationId: number): Uint8Array =>
      encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId, body: {} });

    const mark = logs.mark();
    const connectionsBefore = await metric(broker, "samsa_connections");
    const rssBeforeBytes = process.memoryUsage().rss;
    const connections = 5;
    const framesPerConnection = 40;
    const plans = Array.from({ length: connections }, () =>
      Array.from({ length: framesPerConnection }, () => mutate(pick(templates))),
    );
    let closedByBroker = 0;
    let answered = 0;
    let stuck = 0;
    await Promise.all(
      plans.map(async (plan, c) => {
        let connection = await rawConnect(broker.port);
        for (const [i, frame] of plan.entries()) {
          // Each mutated frame is followed by a probe: either the connection survives and the
          // probe is answered, or the broker hangs up; a probe stuck behind a long poll or an
          // incomplete frame is given up on, and the connection replaced.
          const probeId = 900_000 + c * 1000 + i;
          const seen = connection.frames.length;
          connection.socket.write(concat([frame, probe(probeId)]));
          const outcome = await waitFor(
            () =>
              connection.frames.slice(seen).some((f) => peekCorrelationId(f) === probeId)
                ? "answered"
                : connection.isClosed()
                  ? "closed"
                  : undefined,
            { timeoutMs: 1500, intervalMs: 2, what: "the probe's answer or a hang-up" },
          ).catch(() => "stuck" as const);
          if (outcome === "answered") {
            answered++;
            continue;
          }
          if (outcome === "closed") closedByBroker++;
          else stuck++;
          connection.socket.destroy();
          connection = await rawConnect(broker.port);
        }
        connection.socket.destroy();
      }),
    );
    t.diagnostic(`seed ${seed}: ${answered} answered, ${closedByBroker} closed by the broker, ${stuck} given up on`);
    assert.ok(closedByBroker > 0, "some mutations were refused");
    assert.ok(answered > 0, "some mutations were still valid requests");
    const failures = logs.since(mark).filter((l) => l["message"] === "request failed");
    assert.deepEqual(failures, [], "no handler threw on mutated input");

    // A fresh client is served, and every fuzz connection is gone.
    const fresh = await WireClient.connect(broker.bootstrap);
    try {
      await assertHealthy(fresh, fuzzTopic);
    } finally {
      fresh.close();
    }
    await waitFor(async () => (await metric(broker, "samsa_connections")) === connectionsBefore, {
      timeoutMs: 3000,
      what: "every fuzz connection to be gone",
    });
    await assertHealthy(good, topic);
    const rssGrowthBytes = process.memoryUsage().rss - rssBeforeBytes;
    assert.ok(rssGrowthBytes < 256 * 1024 * 1024, `rss grew by ${rssGrowthBytes} bytes`);
  });
});

describe("the read timeout", () => {
  test("a steady stream whose chunks never end on a frame boundary is not mistaken for slow-loris", async () => {
    const logs = new LogCapture();
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: logs.logger,
      settings: { "samsa.request.read.timeout.ms": "500" },
    });
    // Each chunk completes one request and starts the next, so bytes are always buffered; but
    // every request arrives whole within 40 ms, so the 500 ms read timeout must never fire.
    const client = await WireClient.connect(broker.bootstrap);
    try {
      const count = 20;
      const frames = Array.from({ length: count }, (_, i) =>
        encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1000 + i, body: {} }),
      );
      const half = Math.floor((frames[0]?.length ?? 0) / 2);
      const started = Date.now();
      client.writeRaw(frames[0]?.subarray(0, half) ?? new Uint8Array(0));
      const responses: Promise<Uint8Array>[] = [];
      for (let i = 0; i < count; i++) {
        await delay(40); // the pacing is what is under test
        const rest = frames[i]?.subarray(half) ?? new Uint8Array(0);
        const next = frames[i + 1]?.subarray(0, half) ?? new Uint8Array(0);
        const response = client.sendRaw(concat([rest, next]), 1000 + i, 3000);
        response.catch(() => undefined); // awaited below; do not let an early rejection go unhandled
        responses.push(response);
      }
      const answered = await Promise.all(responses);
      assert.ok(Date.now() - started > 500, "the stream lasted longer than the read timeout");
      assert.deepEqual(
        answered.map((f) => peekCorrelationId(f)),
        frames.map((_, i) => 1000 + i),
      );
      assert.deepEqual(
        logs.lines.filter((l) => l["message"] === "connection closed"),
        [],
      );
    } finally {
      client.close();
      await broker.close();
    }
  });
});

// ------------------------------------------------------------------ connection limits

describe("connection limits", () => {
  test("an idle connection is closed after connections.max.idle.ms; an active one is not", async () => {
    const logs = new LogCapture();
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: logs.logger,
      settings: { "connections.max.idle.ms": "400" },
    });
    const topic = uniqueName("server-idle");
    const good = await WireClient.connect(broker.bootstrap);
    try {
      const mark = logs.mark();
      const started = Date.now();
      const idle = await WireClient.connect(broker.bootstrap);
      // One request, then silence: idle time counts from the last response.
      await idle.send(ApiKey.ApiVersions, 0, {});
      const idleClosed = idle.waitForClose(3000);
      let isClosed = false;
      void idleClosed.then(() => (isClosed = true));
      // The well-behaved client keeps talking (every 40 ms) and must survive.
      while (!isClosed && Date.now() - started < 3000) {
        await good.send(ApiKey.ApiVersions, 0, {});
        await delay(40);
      }
      await idleClosed;
      const elapsedMs = Date.now() - started;
      assert.ok(elapsedMs >= 400, `closed after ${elapsedMs} ms, not before the idle limit`);
      const line = await logs.closed(mark, /idle for more than 400 ms/);
      assert.equal(line["level"], "info");
      await assertHealthy(good, topic);
    } finally {
      good.close();
      await broker.close();
    }
  });

  test("max.connections.per.ip.overrides replaces the per-address limit for the addresses it names", async () => {
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: silentLogger,
      settings: { "max.connections.per.ip": "1", "max.connections.per.ip.overrides": "127.0.0.7:3,127.0.0.8:0" },
    });
    const opened: RawConnection[] = [];
    try {
      const outcomes = async (from: string, n: number): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < n; i++) {
          const c = await rawConnect(broker.port, from);
          opened.push(c);
          c.socket.write(encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, body: {} }));
          out.push(
            await Promise.race([
              c.closed.then(() => "closed"),
              waitFor(() => c.frames.length > 0 && "served", { timeoutMs: 5000, what: "an ApiVersions answer" }),
            ]),
          );
        }
        return out;
      };
      assert.deepEqual(await outcomes("127.0.0.7", 4), ["served", "served", "served", "closed"]);
      assert.deepEqual(await outcomes("127.0.0.9", 2), ["served", "closed"]);
      assert.deepEqual(await outcomes("127.0.0.8", 1), ["closed"]);
    } finally {
      for (const c of opened) c.socket.destroy();
      await broker.close();
    }
  });

  test("max.connections and max.connections.per.ip refuse extra connections", async () => {
    const logs = new LogCapture();
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: logs.logger,
      settings: {
        "max.connections": "3",
        "max.connections.per.ip": "2",
        "samsa.metrics.listen": "127.0.0.1:0",
      },
    });
    const topic = uniqueName("server-limits");
    const opened: RawConnection[] = [];
    const open = async (localAddress: string): Promise<RawConnection> => {
      const c = await rawConnect(broker.port, localAddress);
      opened.push(c);
      return c;
    };
    /** Open unless the broker hangs up; ApiVersions v0 is the probe. */
    const served = async (c: RawConnection): Promise<boolean> => {
      const before = c.frames.length;
      c.socket.write(encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, body: {} }));
      await Promise.race([
        c.closed,
        waitFor(() => c.frames.length > before, { timeoutMs: 3000, what: "an ApiVersions answer" }),
      ]);
      return !c.isClosed() && c.frames.length > before;
    };
    try {
      const first = await open("127.0.0.1");
      const second = await open("127.0.0.1");
      assert.ok(await served(first));
      assert.ok(await served(second));
      let mark = logs.mark();
      const thirdFromSameIp = await open("127.0.0.1");
      await thirdFromSameIp.closed;
      await waitFor(() => logs.since(mark).find((l) => l["message"] === "connection refused: too many connections"), {
        timeoutMs: 2000,
        what: "a refusal log line",
      });
      assert.equal(await metric(broker, "samsa_connections_rejected_total"), 1);

      // Another address is still welcome until the total limit is reached.
      const fromElsewhere = await open("127.0.0.2");
      assert.ok(await served(fromElsewhere));
      mark = logs.mark();
      const overTotal = await open("127.0.0.3");
      await overTotal.closed;
      await waitFor(() => logs.since(mark).find((l) => l["message"] === "connection refused: too many connections"), {
        timeoutMs: 2000,
        what: "a refusal log line",
      });
      assert.equal(await metric(broker, "samsa_connections_rejected_total"), 2);
      assert.equal(await metric(broker, "samsa_connections"), 3);

      // The connections that were accepted keep working; closing one frees a slot.
      assert.ok(await served(first));
      first.socket.destroy();
      await waitFor(async () => (await metric(broker, "samsa_connections")) === 2, {
        timeoutMs: 2000,
        what: "the broker to notice the closed connection",
      });
      const good = await WireClient.connect(broker.bootstrap);
      try {
        await assertHealthy(good, topic);
      } finally {
        good.close();
      }
    } finally {
      for (const c of opened) c.socket.destroy();
      await broker.close();
    }
  });
});

// ------------------------------------------------------------------------ backpressure

describe("backpressure", () => {
  test("with one request in flight at most, a connection still completes everything, in order", async () => {
    const logs = new LogCapture();
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: logs.logger,
      settings: {
        "samsa.connection.inflight.requests.max": "1",
        "samsa.connection.inflight.bytes.max": "1024",
        "samsa.request.read.timeout.ms": "300",
      },
    });
    const busy = uniqueName("server-busy");
    const quiet = uniqueName("server-quiet");
    const raw = await rawConnect(broker.port);
    try {
      const setup = await WireClient.connect(broker.bootstrap);
      await setup.send(ApiKey.Metadata, 12, {
        topics: [{ name: busy }, { name: quiet }],
        allowAutoTopicCreation: true,
      });
      setup.close();
      // A long poll on a quiet topic first: while it waits, reading pauses with a request
      // half-read. That pause is the broker's doing and must not count as a slow client.
      const longPollMs = 500;
      const frames: Uint8Array[] = [
        encodeRequestFrame({
          apiKey: ApiKey.Fetch,
          apiVersion: 12,
          correlationId: 1,
          body: fetchBody(quiet, 0n, { maxWaitMs: longPollMs, minBytes: 1 }),
        }),
      ];
      const padding = "x".repeat(10_000);
      const count = 40;
      for (let i = 0; i < count; i++) {
        const correlationId = 2 + i;
        frames.push(
          i % 2 === 0
            ? encodeRequestFrame({
                apiKey: ApiKey.Produce,
                apiVersion: 9,
                correlationId,
                body: produceBody(busy, batchOf([`b-${i}-${padding}`])),
              })
            : encodeRequestFrame({
                apiKey: ApiKey.Metadata,
                apiVersion: 12,
                correlationId,
                body: { topics: [{ name: busy }] },
              }),
        );
      }
      const started = Date.now();
      raw.socket.write(concat(frames));
      await waitFor(() => raw.frames.length === count + 1 || raw.isClosed(), {
        timeoutMs: 5000,
        what: "all responses",
      });
      const closedLines = logs.lines.filter(
        (l) => l["message"] === "connection closed" && l["reason"] !== "peer closed",
      );
      assert.deepEqual(closedLines, [], "the connection was not closed");
      assert.deepEqual(
        raw.frames.map((f) => peekCorrelationId(f)),
        Array.from({ length: count + 1 }, (_, i) => i + 1),
      );
      assert.ok(Date.now() - started >= longPollMs - 10, "the long poll held the line as long as it should");
      const fetched = decodeResponseFrame(ApiKey.Fetch, 12, raw.frames[0] ?? new Uint8Array(0)).body;
      assert.equal(fetched.responses[0]?.partitions[0]?.errorCode, 0);
      const good = await WireClient.connect(broker.bootstrap);
      try {
        const all = await good.send(ApiKey.Fetch, 12, fetchBody(busy, 0n));
        assert.equal(valuesIn(all.responses[0]?.partitions[0]?.records ?? null).length, count / 2);
        await assertHealthy(good, busy);
      } finally {
        good.close();
      }
    } finally {
      raw.socket.destroy();
      await broker.close();
    }
  });
});
