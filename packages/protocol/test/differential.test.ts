// Differential tests against two independent Kafka client implementations, kafkajs (2.x,
// CommonJS, older non-flexible versions) and @platformatic/kafka (2.x, ESM, every version up to
// the newest flexible ones):
//   1. requests encoded by the foreign library decode with ours to the values it was given, and
//      the request header (api key, version, correlation id, client id) is right;
//   2. responses encoded by ours parse with the foreign library to the values we encoded;
//   3. byte for byte: our encoding of the same request equals theirs, and re-encoding what we
//      decoded from their bytes gives their bytes back.
// The foreign libraries frame requests the way their connections do (kafkajs:
// src/protocol/request.js; platformatic: Connection#send in dist/network/connection.js, whose
// send() we capture with a stand-in connection so that the header flags are the library's own).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import * as pk from "@platformatic/kafka";
import {
  ApiKey,
  apiSpecs,
  decodeRequestFrame,
  decodeRequestFrameHeader,
  encodeRequestFrame,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
} from "../src/index.ts";
import type { Input, RequestByKey, RequestHeader, ResponseByKey } from "../src/index.ts";

// ---------------------------------------------------------------------------------------------
// Generic helpers

// Non-ASCII, so that string lengths are checked to be byte lengths.
const CLIENT_ID = "samsa-différentiel-客户端";
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const TOPIC_ID = "3f2c8a4e-9b1d-4c7e-8a5f-0d6e1b2c3a4f";
const TOPIC_ID_2 = "a1b2c3d4-e5f6-4789-8abc-def012345678";
const DIR_ID = "0f1e2d3c-4b5a-4968-8776-655443322110";

/** A correlation id per API and version, with a high byte set so int32 handling is exercised. */
function correlationIdOf(apiKey: number, version: number): number {
  return 0x5a000000 + apiKey * 256 + version;
}

/** `value` when `cond` holds, else nothing: for spreading version-dependent fields. */
function when<T extends object>(cond: boolean, value: T): T | Record<never, never> {
  return cond ? value : {};
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v++) out.push(v);
  return out;
}

function utf8(s: string): Buffer {
  return Buffer.from(s, "utf8");
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Byte equality with a readable report: the first differing offset and the bytes around it. */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, label: string): void {
  if (Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const from = Math.max(0, i - 8);
  assert.fail(
    `${label}: ${actual.length} bytes vs ${expected.length} expected, first difference at offset ${i}\n` +
      `  ours/actual: …${hex(actual.subarray(from, i + 16))}\n` +
      `  theirs:      …${hex(expected.subarray(from, i + 16))}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Checks that `actual` contains `expected`: every key of an expected object must be present with
 * a matching value (extra keys in `actual` are ignored), arrays match element-wise with equal
 * lengths, bytes match by content (Buffer and Uint8Array alike), everything else is `===`.
 */
function assertMatches(actual: unknown, expected: unknown, path = "$"): void {
  if (expected instanceof Uint8Array) {
    assert.ok(actual instanceof Uint8Array, `${path}: expected bytes, got ${String(actual)}`);
    assert.equal(hex(actual), hex(expected), `${path}: bytes differ`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${String(actual)}`);
    const got: readonly unknown[] = actual;
    const want: readonly unknown[] = expected;
    assert.equal(got.length, want.length, `${path}: array length`);
    want.forEach((e, i) => assertMatches(got[i], e, `${path}[${i}]`));
    return;
  }
  if (isRecord(expected)) {
    assert.ok(isRecord(actual), `${path}: expected an object, got ${String(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      assert.ok(key in actual, `${path}.${key}: missing`);
      assertMatches(actual[key], value, `${path}.${key}`);
    }
    return;
  }
  assert.strictEqual(actual, expected, `${path}`);
}

function assertSizePrefix(frame: Uint8Array): void {
  assert.ok(frame.length >= 4, "frame has a size prefix");
  const size = new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0);
  assert.equal(size, frame.length - 4, "size prefix equals the frame length");
}

/**
 * Decodes a request frame (with size prefix) with ours: through the public decodeRequestFrame,
 * and again through the header decoder and the API's body decoder to check that the body
 * decoder consumed every byte.
 */
function decodeOurRequest<K extends ApiKey>(
  apiKey: K,
  frameWithSize: Uint8Array,
): { header: RequestHeader; body: RequestByKey[K] } {
  assertSizePrefix(frameWithSize);
  const frame = frameWithSize.subarray(4);
  const whole = decodeRequestFrame(frame);
  assert.equal(whole.apiKey, apiKey, "api key");
  const { header, supported, reader } = decodeRequestFrameHeader(frame);
  assert.ok(supported, "version supported");
  const body = apiSpecs[apiKey].decodeRequest(reader, header.requestApiVersion);
  assert.equal(reader.remaining, 0, "the request body decoder consumed the whole frame");
  assert.deepStrictEqual(whole.body, body);
  return { header: whole.header, body };
}

function encodeOurRequest<K extends ApiKey>(apiKey: K, apiVersion: number, body: Input<RequestByKey[K]>): Uint8Array {
  return encodeRequestFrame({
    apiKey,
    apiVersion,
    correlationId: correlationIdOf(apiKey, apiVersion),
    clientId: CLIENT_ID,
    body,
  });
}

function expectedHeader(apiKey: number, apiVersion: number): RequestHeader {
  return {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId: correlationIdOf(apiKey, apiVersion),
    clientId: CLIENT_ID,
  };
}

type Awaitable<T> = T | Promise<T>;

// ---------------------------------------------------------------------------------------------
// @platformatic/kafka harness

type PPayload = () => pk.Writer | Promise<pk.Writer>;
type PParser = (correlationId: number, apiKey: number, apiVersion: number, reader: pk.Reader) => unknown;

/** What an API of platformatic hands to Connection#send. */
interface PSend {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly payload: PPayload;
  readonly parse: PParser;
  readonly requestHeaderTagged: boolean;
  readonly responseHeaderTagged: boolean;
}

/** The bit of a platformatic API object (from createAPI) the harness needs besides calling it. */
interface PApi {
  readonly key: number;
  readonly version: number;
}

/** Calls a platformatic API with a stand-in connection and returns what it asked to send. */
function pCapture(api: PApi, args: readonly unknown[]): PSend {
  let sent: PSend | undefined;
  const connection = {
    send(
      apiKey: number,
      apiVersion: number,
      payload: PPayload,
      parse: PParser,
      requestHeaderTagged: boolean,
      responseHeaderTagged: boolean,
    ): void {
      sent = { apiKey, apiVersion, payload, parse, requestHeaderTagged, responseHeaderTagged };
    },
  };
  // createAPI's function is (connection, ...args, callback?) => void.
  (api as unknown as (connection: unknown, ...rest: unknown[]) => void)(connection, ...args);
  if (sent === undefined) throw new Error("the platformatic API did not call send()");
  return sent;
}

/** The request frame (with size prefix) exactly as platformatic's Connection#send builds it. */
async function pRequestFrame(send: PSend): Promise<Uint8Array> {
  const payload = await send.payload();
  const writer = pk.Writer.create()
    .appendInt16(send.apiKey)
    .appendInt16(send.apiVersion)
    .appendInt32(correlationIdOf(send.apiKey, send.apiVersion))
    .appendString(CLIENT_ID, false);
  if (send.requestHeaderTagged) writer.appendTaggedFields();
  writer.appendFrom(payload).prependLength();
  return new Uint8Array(writer.buffer);
}

/** Feeds our response frame to platformatic's parser as Connection#onData does. */
function pParseResponse(send: PSend, chunks: readonly Uint8Array[]): { parsed: unknown; reader: pk.Reader } {
  const frameWithSize = concat(chunks);
  assertSizePrefix(frameWithSize);
  const reader = pk.Reader.from(Buffer.from(frameWithSize.subarray(4)));
  const correlationId = reader.readInt32();
  assert.equal(correlationId, correlationIdOf(send.apiKey, send.apiVersion), "correlation id");
  // Connection#onData skips one byte: an empty tagged-field section.
  if (send.responseHeaderTagged) assert.equal(reader.readUnsignedVarInt(), 0, "empty response header tags");
  const parsed = send.parse(correlationId, send.apiKey, send.apiVersion, reader);
  return { parsed, reader };
}

interface PlatformaticCase<K extends ApiKey> {
  readonly apiKey: K;
  /** The library's API objects, one per version (e.g. pk.metadataV0.api … pk.metadataV12.api). */
  readonly apis: readonly PApi[];
  /** Arguments for the API call (createRequest's parameters), for a version. */
  readonly args: (v: number) => readonly unknown[];
  /** What the request must decode to with ours (only the fields the version carries). */
  readonly request: (v: number) => Awaitable<Input<RequestByKey[K]>>;
  /** The response body we encode. */
  readonly response: (v: number) => Input<ResponseByKey[K]>;
  /** What platformatic's parser must return for it (a subset of its output). */
  readonly parsed: (v: number) => unknown;
}

function platformaticSuite<K extends ApiKey>(name: string, c: PlatformaticCase<K>): void {
  describe(`@platformatic/kafka ${name}`, () => {
    for (const api of c.apis) {
      const v = api.version;
      test(`v${v}: their request decodes with ours`, async () => {
        const send = pCapture(api, c.args(v));
        assert.equal(send.apiKey, c.apiKey);
        assert.equal(send.apiVersion, v);
        assert.equal(
          send.requestHeaderTagged,
          requestHeaderVersion(c.apiKey, v) === 2,
          "request header version (tagged fields) agrees",
        );
        const { header, body } = decodeOurRequest(c.apiKey, await pRequestFrame(send));
        assert.deepStrictEqual(header, expectedHeader(c.apiKey, v));
        assertMatches(body, await c.request(v), "request");
      });

      test(`v${v}: request bytes, ours = theirs (and re-encoding what we decoded)`, async () => {
        const theirs = await pRequestFrame(pCapture(api, c.args(v)));
        const ours = encodeOurRequest(c.apiKey, v, await c.request(v));
        assertSameBytes(ours, theirs, "our encoding of the same values");
        const { body } = decodeOurRequest(c.apiKey, theirs);
        assertSameBytes(
          encodeOurRequest(c.apiKey, v, body as Input<RequestByKey[K]>),
          theirs,
          "re-encoding of what we decoded",
        );
      });

      test(`v${v}: our response parses with theirs`, () => {
        const send = pCapture(api, c.args(v));
        assert.equal(
          send.responseHeaderTagged,
          responseHeaderVersion(c.apiKey, v) === 1,
          "response header version (tagged fields) agrees",
        );
        const chunks = encodeResponseFrame({
          apiKey: c.apiKey,
          apiVersion: v,
          correlationId: correlationIdOf(c.apiKey, v),
          body: c.response(v),
        });
        const { parsed, reader } = pParseResponse(send, chunks);
        assert.equal(reader.remaining, 0, "their parser consumed the whole response");
        assertMatches(parsed, c.parsed(v), "parsed");
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// kafkajs harness (CommonJS internals)

const require = createRequire(import.meta.url);

interface KEncoder {
  readonly buffer: Buffer;
  size(): number;
}
interface KRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  encode(): Promise<KEncoder>;
}
interface KResponse {
  decode(rawData: Buffer): Promise<unknown>;
  parse(data: unknown): Promise<unknown>;
}
interface KProtocol {
  readonly versions: readonly string[];
  protocol(options: { version: number }): (args: Record<string, unknown>) => {
    request: KRequest;
    response: KResponse;
  };
}

const kRequests = (require("kafkajs/src/protocol/requests/index.js") as { requests: Record<string, KProtocol> })
  .requests;
const kBuildRequest = require("kafkajs/src/protocol/request.js") as (options: {
  correlationId: number;
  clientId: string | null;
  request: KRequest;
}) => Promise<KEncoder>;
const kRecordBatch = (
  require("kafkajs/src/protocol/recordBatch/v0/index.js") as {
    RecordBatch: (options: Record<string, unknown>) => Promise<KEncoder>;
  }
).RecordBatch;
const kRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (
  options: Record<string, unknown>,
) => KEncoder;
const kMessageSet = require("kafkajs/src/protocol/messageSet/index.js") as (
  options: Record<string, unknown>,
) => KEncoder;
const KDecoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => object;
const kRecordBatchDecoder = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (
  decoder: object,
) => Promise<unknown>;

function kLookup(
  name: string,
  version: number,
  args: Record<string, unknown>,
): { request: KRequest; response: KResponse } {
  const protocol = kRequests[name];
  if (protocol === undefined) throw new Error(`kafkajs has no request ${name}`);
  assert.ok(protocol.versions.includes(String(version)), `kafkajs implements ${name} v${version}`);
  return protocol.protocol({ version })(args);
}

/** The request frame (with size prefix) as kafkajs's Connection builds it (protocol/request.js). */
async function kRequestFrame(request: KRequest): Promise<Uint8Array> {
  const encoder = await kBuildRequest({
    correlationId: correlationIdOf(request.apiKey, request.apiVersion),
    clientId: CLIENT_ID,
    request,
  });
  return new Uint8Array(encoder.buffer);
}

/** kafkajs's Connection strips the size and the correlation id and hands the rest to decode(). */
function kResponsePayload(apiKey: number, version: number, chunks: readonly Uint8Array[]): Buffer {
  const frameWithSize = concat(chunks);
  assertSizePrefix(frameWithSize);
  const view = new DataView(frameWithSize.buffer, frameWithSize.byteOffset);
  assert.equal(view.getInt32(4), correlationIdOf(apiKey, version), "correlation id");
  // kafkajs only speaks non-flexible versions: response header v0, nothing after the id.
  assert.equal(responseHeaderVersion(apiKey, version), 0);
  return Buffer.from(frameWithSize.subarray(8));
}

interface KafkajsCase<K extends ApiKey> {
  /** A suffix for the suite's title, to tell several suites of one API apart. */
  readonly label?: string;
  readonly apiKey: K;
  readonly versions: readonly number[];
  /** kafkajs's arguments for protocol({ version })(args). */
  readonly args: (v: number) => Record<string, unknown>;
  readonly request: (v: number) => Awaitable<Input<RequestByKey[K]>>;
  readonly response: (v: number) => Input<ResponseByKey[K]>;
  /** What kafkajs's decode() (and parse(), which returns it unchanged on success) must return. */
  readonly decoded: (v: number) => unknown;
  /** Further checks of the decoded request (e.g. decoding the record batches inside). */
  readonly checkRequest?: (body: RequestByKey[K], v: number) => Awaitable<void>;
}

function kafkajsSuite<K extends ApiKey>(name: string, c: KafkajsCase<K>): void {
  describe(`kafkajs ${name}${c.label === undefined ? "" : ` (${c.label})`}`, () => {
    for (const v of c.versions) {
      test(`v${v}: their request decodes with ours`, async () => {
        const { request } = kLookup(name, v, c.args(v));
        assert.equal(request.apiKey, c.apiKey);
        assert.equal(request.apiVersion, v);
        // kafkajs always writes request header v1 (no tagged fields): it has no flexible versions.
        assert.equal(requestHeaderVersion(c.apiKey, v), 1);
        const { header, body } = decodeOurRequest(c.apiKey, await kRequestFrame(request));
        assert.deepStrictEqual(header, expectedHeader(c.apiKey, v));
        assertMatches(body, await c.request(v), "request");
        await c.checkRequest?.(body, v);
      });

      test(`v${v}: request bytes, ours = theirs (and re-encoding what we decoded)`, async () => {
        const theirs = await kRequestFrame(kLookup(name, v, c.args(v)).request);
        assertSameBytes(encodeOurRequest(c.apiKey, v, await c.request(v)), theirs, "our encoding of the same values");
        const { body } = decodeOurRequest(c.apiKey, theirs);
        assertSameBytes(
          encodeOurRequest(c.apiKey, v, body as Input<RequestByKey[K]>),
          theirs,
          "re-encoding of what we decoded",
        );
      });

      test(`v${v}: our response decodes with theirs`, async () => {
        const { response } = kLookup(name, v, c.args(v));
        const chunks = encodeResponseFrame({
          apiKey: c.apiKey,
          apiVersion: v,
          correlationId: correlationIdOf(c.apiKey, v),
          body: c.response(v),
        });
        const decoded = await response.decode(kResponsePayload(c.apiKey, v, chunks));
        assertMatches(decoded, c.decoded(v), "decoded");
        assertMatches(await response.parse(decoded), c.decoded(v), "parsed");
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Record batches built by the foreign libraries

interface KMessage {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly timestamp: number;
  readonly headers?: Record<string, string>;
}

const kMessagesA: readonly KMessage[] = [
  { key: utf8("k-0"), value: utf8("v-0"), timestamp: 1_700_000_000_000, headers: { trace: "abc" } },
  { key: utf8("k-1"), value: utf8("value-1"), timestamp: 1_700_000_000_250 },
];
const kMessagesB: readonly KMessage[] = [{ key: null, value: utf8("v-2"), timestamp: 1_700_000_000_100 }];

/** The record batch kafkajs's Produce v3+ encoder builds for a partition (produce/v3/request.js). */
async function kProduceBatch(
  messages: readonly KMessage[],
  options: { producerId: number; producerEpoch: number; firstSequence?: number; transactional: boolean },
): Promise<Uint8Array> {
  const timestamps = messages.map((m) => m.timestamp).sort();
  const firstTimestamp = timestamps[0] ?? 0;
  const records = messages.map((m, i) =>
    kRecord({ ...m, offsetDelta: i, timestampDelta: m.timestamp - firstTimestamp }),
  );
  const batch = await kRecordBatch({
    compression: 0,
    records,
    firstTimestamp,
    maxTimestamp: timestamps[timestamps.length - 1],
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    firstSequence: options.firstSequence,
    transactional: options.transactional,
    lastOffsetDelta: records.length - 1,
  });
  return new Uint8Array(batch.buffer);
}

/** The legacy message set kafkajs's Produce v0-v2 encoders build (magic 0 for v0-v1, 1 for v2). */
function kMessageSetOf(messages: readonly KMessage[], produceVersion: number): Uint8Array {
  const set =
    produceVersion <= 1
      ? kMessageSet({ messageVersion: 0, entries: messages })
      : kMessageSet({ messageVersion: 1, compression: 0, entries: messages });
  return new Uint8Array(set.buffer);
}

function pMessages(): pk.MessageRecord[] {
  return [
    {
      topic: "orders",
      partition: 0,
      key: utf8("k-0"),
      value: utf8("v-0"),
      headers: new Map([[utf8("trace"), utf8("abc")]]),
      timestamp: 1_700_000_000_000n,
    },
    { topic: "orders", partition: 0, key: utf8("k-1"), value: utf8("value-1"), timestamp: 1_700_000_000_250n },
    { topic: "orders", partition: 2, value: utf8("v-2"), timestamp: 1_700_000_000_100n },
    { topic: "payments", partition: 1, key: utf8("p"), value: utf8("pay"), timestamp: 1_700_000_000_300n },
  ];
}

const pBatchOptions = { transactionalId: "txn-1", producerId: 4242n, producerEpoch: 3 };

/** The record batch platformatic builds for the messages of one topic-partition. */
function pBatch(topic: string, partition: number): Uint8Array {
  const messages = pMessages().filter((m) => m.topic === topic && m.partition === partition);
  return new Uint8Array(pk.createRecordsBatch(messages, pBatchOptions).buffer);
}

/** Decodes record batches with platformatic's reader (to cross-check bytes either library built). */
function pReadBatches(records: Uint8Array): pk.RecordsBatch[] {
  const reader = pk.Reader.from(Buffer.from(records));
  const batches = pk.readRecordsBatches(reader);
  assert.equal(reader.remaining, 0, "the record batches span the whole records field");
  return batches;
}

/**
 * What a broker would return to kafkajs's Fetch: legacy message sets for v0-v3 (magic 0 for
 * v0-v1, 1 for v2-v3, offsets 0..n-1), record batches from v4.
 */
async function kFetchRecordsFor(v: number): Promise<Uint8Array> {
  if (v <= 3) return new Uint8Array(kMessageSet({ messageVersion: v <= 1 ? 0 : 1, entries: kMessagesA }).buffer);
  return kProduceBatch(kMessagesA, { producerId: -1, producerEpoch: 0, transactional: false });
}

// kafkajs builds record batches asynchronously; build the ones its Fetch tests need up front.
const kFetchRecords = new Map<number, Uint8Array>();
for (const v of range(0, 11)) kFetchRecords.set(v, await kFetchRecordsFor(v));

// ---------------------------------------------------------------------------------------------
// ApiVersions

function apiVersionsResponse(v: number): Input<ResponseByKey[typeof ApiKey.ApiVersions]> {
  return {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 3, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ],
    ...when(v >= 1, { throttleTimeMs: 7 }),
    ...when(v >= 3, {
      supportedFeatures: [{ name: "metadata.version", minVersion: 1, maxVersion: 20 }],
      finalizedFeaturesEpoch: 42n,
      finalizedFeatures: [{ name: "metadata.version", maxVersionLevel: 20, minVersionLevel: 1 }],
      zkMigrationReady: true,
    }),
  };
}

platformaticSuite("ApiVersions", {
  apiKey: ApiKey.ApiVersions,
  apis: [pk.apiVersionsV0.api, pk.apiVersionsV1.api, pk.apiVersionsV2.api, pk.apiVersionsV3.api, pk.apiVersionsV4.api],
  args: () => ["samsa-client", "1.2.3"],
  request: (v) => when(v >= 3, { clientSoftwareName: "samsa-client", clientSoftwareVersion: "1.2.3" }),
  response: apiVersionsResponse,
  parsed: (v) => apiVersionsResponse(v),
});

kafkajsSuite("ApiVersions", {
  apiKey: ApiKey.ApiVersions,
  versions: [0, 1, 2],
  args: () => ({}),
  request: () => ({}),
  response: apiVersionsResponse,
  decoded: (v) => ({
    errorCode: 0,
    apiVersions: [
      { apiKey: 0, minVersion: 3, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ],
    ...when(v === 1, { throttleTime: 7 }),
    ...when(v === 2, { throttleTime: 0, clientSideThrottleTime: 7 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Metadata

function metadataResponse(v: number): Input<ResponseByKey[typeof ApiKey.Metadata]> {
  return {
    ...when(v >= 3, { throttleTimeMs: 11 }),
    brokers: [
      { nodeId: 1, host: "broker-1.local", port: 9092, ...when(v >= 1, { rack: "rack-a" }) },
      { nodeId: 2, host: "broker-2.local", port: 19093, ...when(v >= 1, { rack: null }) },
    ],
    ...when(v >= 2, { clusterId: "cluster-xyz" }),
    ...when(v >= 1, { controllerId: 2 }),
    topics: [
      {
        errorCode: 0,
        name: "orders",
        ...when(v >= 10, { topicId: TOPIC_ID }),
        ...when(v >= 1, { isInternal: v >= 2 }),
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 1,
            ...when(v >= 7, { leaderEpoch: 5 }),
            replicaNodes: [1, 2],
            isrNodes: [1],
            ...when(v >= 5, { offlineReplicas: [2] }),
          },
          { errorCode: 0, partitionIndex: 1, leaderId: 2, replicaNodes: [2, 1], isrNodes: [2, 1] },
        ],
        ...when(v >= 8, { topicAuthorizedOperations: 0x0df8 }),
      },
    ],
    ...when(v >= 8 && v <= 10, { clusterAuthorizedOperations: 0x0ff0 }),
  };
}

platformaticSuite("Metadata", {
  apiKey: ApiKey.Metadata,
  apis: [
    pk.metadataV0.api,
    pk.metadataV1.api,
    pk.metadataV2.api,
    pk.metadataV3.api,
    pk.metadataV4.api,
    pk.metadataV5.api,
    pk.metadataV6.api,
    pk.metadataV7.api,
    pk.metadataV8.api,
    pk.metadataV9.api,
    pk.metadataV10.api,
    pk.metadataV11.api,
    pk.metadataV12.api,
  ],
  // (topics, allowAutoTopicCreation, includeTopicAuthorizedOperations, includeClusterAuthorizedOperations)
  args: () => [["orders", "payments"], false, true, true],
  request: (v) => ({
    topics: [
      { name: "orders", ...when(v >= 10, { topicId: ZERO_UUID }) },
      { name: "payments", ...when(v >= 10, { topicId: ZERO_UUID }) },
    ],
    ...when(v >= 4, { allowAutoTopicCreation: false }),
    ...when(v >= 8, { includeTopicAuthorizedOperations: true }),
    ...when(v >= 8 && v <= 10, { includeClusterAuthorizedOperations: true }),
  }),
  response: metadataResponse,
  parsed: (v) => metadataResponse(v),
});

kafkajsSuite("Metadata", {
  apiKey: ApiKey.Metadata,
  versions: range(0, 6),
  args: () => ({ topics: ["orders", "payments"], allowAutoTopicCreation: false }),
  request: (v) => ({
    topics: [{ name: "orders" }, { name: "payments" }],
    ...when(v >= 4, { allowAutoTopicCreation: false }),
  }),
  response: metadataResponse,
  decoded: (v) => ({
    brokers: [
      { nodeId: 1, host: "broker-1.local", port: 9092, ...when(v >= 1, { rack: "rack-a" }) },
      { nodeId: 2, host: "broker-2.local", port: 19093, ...when(v >= 1, { rack: null }) },
    ],
    ...when(v >= 1, { controllerId: 2 }),
    ...when(v >= 2, { clusterId: "cluster-xyz" }),
    ...when(v >= 3 && v <= 5, { throttleTime: 11 }),
    ...when(v === 6, { throttleTime: 0, clientSideThrottleTime: 11 }),
    topicMetadata: [
      {
        topicErrorCode: 0,
        topic: "orders",
        ...when(v >= 1, { isInternal: v >= 2 }),
        partitionMetadata: [
          {
            partitionErrorCode: 0,
            partitionId: 0,
            leader: 1,
            replicas: [1, 2],
            isr: [1],
            ...when(v >= 5, { offlineReplicas: [2] }),
          },
          { partitionErrorCode: 0, partitionId: 1, leader: 2, replicas: [2, 1], isr: [2, 1] },
        ],
      },
    ],
  }),
});

describe("kafkajs request header with a null client id", () => {
  test("Metadata v1", async () => {
    const { request } = kLookup("Metadata", 1, { topics: ["orders"] });
    const frame = await kBuildRequest({ correlationId: 7, clientId: null, request });
    const { header, body } = decodeOurRequest(ApiKey.Metadata, new Uint8Array(frame.buffer));
    assert.deepStrictEqual(header, { requestApiKey: 3, requestApiVersion: 1, correlationId: 7, clientId: null });
    assertMatches(body, { topics: [{ name: "orders" }] });
    const ours = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 1, correlationId: 7, clientId: null, body });
    assertSameBytes(ours, new Uint8Array(frame.buffer), "our encoding with a null client id");
  });
});

describe("kafkajs Metadata: an empty topic list is sent as null (all topics)", () => {
  for (const v of range(1, 6)) {
    test(`v${v}`, async () => {
      const { request } = kLookup("Metadata", v, { topics: [] });
      const { body } = decodeOurRequest(ApiKey.Metadata, await kRequestFrame(request));
      assert.equal(body.topics, null);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Produce

function produceResponse(v: number): Input<ResponseByKey[typeof ApiKey.Produce]> {
  return {
    responses: [
      {
        name: "orders",
        partitionResponses: [
          {
            index: 0,
            errorCode: 0,
            baseOffset: 100n,
            ...when(v >= 2, { logAppendTimeMs: 1_700_000_000_999n }),
            ...when(v >= 5, { logStartOffset: 3n }),
            ...when(v >= 8, { recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: null }], errorMessage: null }),
            ...when(v >= 10, { currentLeader: { leaderId: 1, leaderEpoch: 7 } }),
          },
          { index: 2, errorCode: 0, baseOffset: 0n },
        ],
      },
    ],
    ...when(v >= 1, { throttleTimeMs: 12 }),
    ...when(v >= 10, { nodeEndpoints: [{ nodeId: 1, host: "broker-1.local", port: 9092, rack: "rack-a" }] }),
  };
}

platformaticSuite("Produce", {
  apiKey: ApiKey.Produce,
  apis: [
    pk.produceV3.api,
    pk.produceV4.api,
    pk.produceV5.api,
    pk.produceV6.api,
    pk.produceV7.api,
    pk.produceV8.api,
    pk.produceV9.api,
    pk.produceV10.api,
    pk.produceV11.api,
  ],
  args: () => [-1, 1500, pMessages(), pBatchOptions],
  request: () => ({
    transactionalId: "txn-1",
    acks: -1,
    timeoutMs: 1500,
    topicData: [
      {
        name: "orders",
        partitionData: [
          { index: 0, records: pBatch("orders", 0) },
          { index: 2, records: pBatch("orders", 2) },
        ],
      },
      { name: "payments", partitionData: [{ index: 1, records: pBatch("payments", 1) }] },
    ],
  }),
  response: produceResponse,
  parsed: produceResponse,
});

describe("@platformatic/kafka Produce: the record batches we decode are the ones it built", () => {
  test("v11 batches read back with platformatic's and kafkajs's record batch decoders", async () => {
    const send = pCapture(pk.produceV11.api, [-1, 1500, pMessages(), pBatchOptions]);
    const { body } = decodeOurRequest(ApiKey.Produce, await pRequestFrame(send));
    const orders0 = body.topicData[0]?.partitionData[0]?.records;
    assert.ok(orders0 instanceof Uint8Array);
    const [batch] = pReadBatches(orders0);
    assertMatches(batch, {
      magic: 2,
      producerId: 4242n,
      producerEpoch: 3,
      lastOffsetDelta: 1,
      firstTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_250n,
      records: [
        {
          offsetDelta: 0,
          timestampDelta: 0n,
          key: utf8("k-0"),
          value: utf8("v-0"),
          headers: [[utf8("trace"), utf8("abc")]],
        },
        { offsetDelta: 1, timestampDelta: 250n, key: utf8("k-1"), value: utf8("value-1"), headers: [] },
      ],
    });
    const viaKafkajs = await kRecordBatchDecoder(new KDecoder(Buffer.from(orders0)));
    assertMatches(viaKafkajs, {
      producerId: "4242",
      inTransaction: true,
      records: [
        {
          key: utf8("k-0"),
          value: utf8("v-0"),
          offset: "0",
          timestamp: "1700000000000",
          headers: { trace: utf8("abc") },
        },
        { key: utf8("k-1"), value: utf8("value-1"), offset: "1", timestamp: "1700000000250" },
      ],
    });
  });
});

function kProduceArgs(): Record<string, unknown> {
  return {
    acks: -1,
    timeout: 1500,
    compression: 0,
    transactionalId: "txn-1",
    producerId: 4242,
    producerEpoch: 3,
    topicData: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, firstSequence: 5, messages: kMessagesA },
          { partition: 2, messages: kMessagesB },
        ],
      },
    ],
  };
}

async function kProduceRecords(v: number, which: "A" | "B"): Promise<Uint8Array> {
  const messages = which === "A" ? kMessagesA : kMessagesB;
  if (v <= 2) return kMessageSetOf(messages, v);
  return kProduceBatch(messages, {
    producerId: 4242,
    producerEpoch: 3,
    transactional: true,
    ...(which === "A" ? { firstSequence: 5 } : {}),
  });
}

kafkajsSuite("Produce", {
  apiKey: ApiKey.Produce,
  versions: range(0, 7),
  args: kProduceArgs,
  request: async (v) => ({
    ...when(v >= 3, { transactionalId: "txn-1" }),
    acks: -1,
    timeoutMs: 1500,
    topicData: [
      {
        name: "orders",
        partitionData: [
          { index: 0, records: await kProduceRecords(v, "A") },
          { index: 2, records: await kProduceRecords(v, "B") },
        ],
      },
    ],
  }),
  checkRequest: async (body, v) => {
    const records = body.topicData[0]?.partitionData[0]?.records;
    assert.ok(records instanceof Uint8Array);
    if (v >= 3) {
      // A v2 record batch: readable by kafkajs's decoder and, across libraries, by platformatic's.
      const decoded = await kRecordBatchDecoder(new KDecoder(Buffer.from(records)));
      assertMatches(decoded, {
        producerId: "4242",
        producerEpoch: 3,
        firstSequence: 5,
        inTransaction: true,
        records: [
          {
            key: utf8("k-0"),
            value: utf8("v-0"),
            offset: "0",
            timestamp: "1700000000000",
            headers: { trace: utf8("abc") },
          },
          { key: utf8("k-1"), value: utf8("value-1"), offset: "1", timestamp: "1700000000250" },
        ],
      });
      assertMatches(pReadBatches(records), [
        {
          magic: 2,
          producerId: 4242n,
          firstSequence: 5,
          records: [
            { key: utf8("k-0"), value: utf8("v-0"), headers: [[utf8("trace"), utf8("abc")]] },
            { key: utf8("k-1"), value: utf8("value-1") },
          ],
        },
      ]);
    } else {
      // A legacy message set: magic byte at offset 16 (offset int64, size int32, crc int32).
      assert.equal(records[16], v <= 1 ? 0 : 1, "message format magic");
    }
  },
  response: produceResponse,
  decoded: (v) => ({
    topics: [
      {
        topicName: "orders",
        partitions: [
          {
            partition: 0,
            errorCode: 0,
            ...(v <= 2 ? { offset: "100" } : { baseOffset: "100" }),
            ...when(v === 2, { timestamp: "1700000000999" }),
            ...when(v >= 3, { logAppendTime: "1700000000999" }),
            ...when(v >= 5, { logStartOffset: "3" }),
          },
          { partition: 2, errorCode: 0, ...(v <= 2 ? { offset: "0" } : { baseOffset: "0" }) },
        ],
      },
    ],
    ...when(v >= 1 && v <= 5, { throttleTime: 12 }),
    ...when(v >= 6, { throttleTime: 0, clientSideThrottleTime: 12 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Fetch

function fetchResponse(v: number, records: Uint8Array): Input<ResponseByKey[typeof ApiKey.Fetch]> {
  return {
    ...when(v >= 1, { throttleTimeMs: 9 }),
    ...when(v >= 7, { errorCode: 0, sessionId: 77 }),
    responses: [
      {
        ...(v <= 12 ? { topic: "orders" } : { topicId: TOPIC_ID }),
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 200n,
            ...when(v >= 4, { lastStableOffset: 190n }),
            ...when(v >= 5, { logStartOffset: 10n }),
            ...when(v >= 12, {
              divergingEpoch: { epoch: 3, endOffset: 150n },
              currentLeader: { leaderId: 1, leaderEpoch: 4 },
              snapshotId: { endOffset: 99n, epoch: 2 },
            }),
            ...when(v >= 4, { abortedTransactions: [{ producerId: 4242n, firstOffset: 120n }] }),
            ...when(v >= 11, { preferredReadReplica: 2 }),
            records,
          },
          {
            partitionIndex: 1,
            errorCode: 0,
            highWatermark: 0n,
            ...when(v >= 4, { abortedTransactions: null }),
            records: null,
          },
        ],
      },
    ],
    ...when(v >= 16, { nodeEndpoints: [{ nodeId: 2, host: "broker-2.local", port: 19093, rack: "rack-b" }] }),
  };
}

const pFetchRecords = new Uint8Array(
  pk.createRecordsBatch(
    pMessages().filter((m) => m.topic === "orders" && m.partition === 0),
    {},
  ).buffer,
);

platformaticSuite("Fetch", {
  apiKey: ApiKey.Fetch,
  apis: [
    pk.fetchV4.api,
    pk.fetchV5.api,
    pk.fetchV6.api,
    pk.fetchV7.api,
    pk.fetchV8.api,
    pk.fetchV9.api,
    pk.fetchV10.api,
    pk.fetchV11.api,
    pk.fetchV12.api,
    pk.fetchV13.api,
    pk.fetchV14.api,
    pk.fetchV15.api,
    pk.fetchV16.api,
    pk.fetchV17.api,
  ],
  // (maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopicsData, rackId)
  args: (v) => [
    500,
    1,
    1_048_576,
    1,
    77,
    3,
    [
      {
        topicId: v <= 12 ? "orders" : TOPIC_ID,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: 4,
            fetchOffset: 123n,
            lastFetchedEpoch: 2,
            partitionMaxBytes: 65_536,
            ...when(v >= 17, { replicaDirectoryId: DIR_ID }),
          },
        ],
      },
    ],
    [v <= 12 ? { topic: "gone", partitions: [5, 6] } : { topicId: TOPIC_ID_2, partitions: [5, 6] }],
    "rack-b",
  ],
  request: (v) => ({
    ...when(v <= 14, { replicaId: -1 }),
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1_048_576,
    isolationLevel: 1,
    ...when(v >= 7, { sessionId: 77, sessionEpoch: 3 }),
    topics: [
      {
        ...(v <= 12 ? { topic: "orders" } : { topicId: TOPIC_ID }),
        partitions: [
          {
            partition: 0,
            ...when(v >= 9, { currentLeaderEpoch: 4 }),
            fetchOffset: 123n,
            ...when(v >= 12, { lastFetchedEpoch: 2 }),
            ...when(v >= 5, { logStartOffset: -1n }),
            partitionMaxBytes: 65_536,
            ...when(v >= 17, { replicaDirectoryId: DIR_ID }),
          },
        ],
      },
    ],
    ...when(v >= 7, {
      forgottenTopicsData: [{ ...(v <= 12 ? { topic: "gone" } : { topicId: TOPIC_ID_2 }), partitions: [5, 6] }],
    }),
    ...when(v >= 11, { rackId: "rack-b" }),
  }),
  response: (v) => fetchResponse(v, pFetchRecords),
  parsed: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 9 }),
    ...when(v >= 7, { errorCode: 0, sessionId: 77 }),
    responses: [
      {
        topicId: v <= 12 ? "orders" : TOPIC_ID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 200n,
            lastStableOffset: 190n,
            ...when(v >= 5, { logStartOffset: 10n }),
            ...when(v >= 12, {
              divergingEpoch: { epoch: 3, endOffset: 150n },
              currentLeader: { leaderId: 1, leaderEpoch: 4 },
              snapshotId: { endOffset: 99n, epoch: 2 },
            }),
            abortedTransactions: [{ producerId: 4242n, firstOffset: 120n }],
            ...when(v >= 11, { preferredReadReplica: 2 }),
            records: [
              {
                magic: 2,
                lastOffsetDelta: 1,
                records: [
                  { offsetDelta: 0, key: utf8("k-0"), value: utf8("v-0"), headers: [[utf8("trace"), utf8("abc")]] },
                  { offsetDelta: 1, key: utf8("k-1"), value: utf8("value-1") },
                ],
              },
            ],
          },
          { partitionIndex: 1, errorCode: 0, highWatermark: 0n, abortedTransactions: null, records: null },
        ],
      },
    ],
    ...when(v >= 16, { nodeEndpoints: [{ nodeId: 2, host: "broker-2.local", port: 19093, rack: "rack-b" }] }),
  }),
});

kafkajsSuite("Fetch", {
  apiKey: ApiKey.Fetch,
  versions: range(0, 11),
  args: () => ({
    replicaId: -1,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 1_048_576,
    isolationLevel: 1,
    sessionId: 77,
    sessionEpoch: 3,
    topics: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, currentLeaderEpoch: 4, fetchOffset: "123", logStartOffset: "10", maxBytes: 65_536 },
        ],
      },
    ],
    forgottenTopics: [{ topic: "gone", partitions: [5, 6] }],
    rackId: "rack-b",
  }),
  request: (v) => ({
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    ...when(v >= 3, { maxBytes: 1_048_576 }),
    ...when(v >= 4, { isolationLevel: 1 }),
    ...when(v >= 7, { sessionId: 77, sessionEpoch: 3 }),
    topics: [
      {
        topic: "orders",
        partitions: [
          {
            partition: 0,
            ...when(v >= 9, { currentLeaderEpoch: 4 }),
            fetchOffset: 123n,
            ...when(v >= 5, { logStartOffset: 10n }),
            partitionMaxBytes: 65_536,
          },
        ],
      },
    ],
    ...when(v >= 7, { forgottenTopicsData: [{ topic: "gone", partitions: [5, 6] }] }),
    ...when(v >= 11, { rackId: "rack-b" }),
  }),
  response: (v) => {
    const records = kFetchRecords.get(v);
    assert.ok(records !== undefined, "records prepared");
    return fetchResponse(v, records);
  },
  decoded: (v) => ({
    // From v8 kafkajs reports the broker's throttle as client-side (KIP-219).
    ...when(v >= 1 && v <= 7, { throttleTime: 9 }),
    ...when(v >= 8, { throttleTime: 0, clientSideThrottleTime: 9 }),
    ...when(v >= 7, { errorCode: 0, sessionId: 77 }),
    responses: [
      {
        topicName: "orders",
        partitions: [
          {
            partition: 0,
            errorCode: 0,
            highWatermark: "200",
            ...when(v >= 4, {
              lastStableOffset: "190",
              abortedTransactions: [{ producerId: "4242", firstOffset: "120" }],
            }),
            ...when(v >= 5, { lastStartOffset: "10" }),
            ...when(v >= 11, { preferredReadReplica: 2 }),
            messages: [
              {
                key: utf8("k-0"),
                value: utf8("v-0"),
                offset: "0",
                ...when(v >= 2, { timestamp: "1700000000000" }),
                ...when(v >= 4, { headers: { trace: utf8("abc") } }),
              },
              {
                key: utf8("k-1"),
                value: utf8("value-1"),
                offset: "1",
                ...when(v >= 2, { timestamp: "1700000000250" }),
              },
            ],
          },
          { partition: 1, errorCode: 0, highWatermark: "0", messages: [] },
        ],
      },
    ],
  }),
});

// ---------------------------------------------------------------------------------------------
// ListOffsets

platformaticSuite("ListOffsets", {
  apiKey: ApiKey.ListOffsets,
  apis: [
    pk.listOffsetsV0.api,
    pk.listOffsetsV1.api,
    pk.listOffsetsV2.api,
    pk.listOffsetsV3.api,
    pk.listOffsetsV4.api,
    pk.listOffsetsV5.api,
    pk.listOffsetsV6.api,
    pk.listOffsetsV7.api,
    pk.listOffsetsV8.api,
    pk.listOffsetsV9.api,
  ],
  args: () => [
    -1,
    1,
    [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, currentLeaderEpoch: 5, timestamp: -1n },
          { partitionIndex: 1, currentLeaderEpoch: 5, timestamp: 1_700_000_000_000n },
        ],
      },
    ],
  ],
  request: (v) => ({
    replicaId: -1,
    ...when(v >= 2, { isolationLevel: 1 }),
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 0,
            ...when(v >= 4, { currentLeaderEpoch: 5 }),
            timestamp: -1n,
            ...when(v === 0, { maxNumOffsets: 1 }),
          },
          {
            partitionIndex: 1,
            ...when(v >= 4, { currentLeaderEpoch: 5 }),
            timestamp: 1_700_000_000_000n,
            ...when(v === 0, { maxNumOffsets: 1 }),
          },
        ],
      },
    ],
  }),
  response: (v) => ({
    ...when(v >= 2, { throttleTimeMs: 3 }),
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            ...when(v === 0, { oldStyleOffsets: [500n] }),
            ...when(v >= 1, { timestamp: 1_700_000_000_000n, offset: 500n }),
            ...when(v >= 4, { leaderEpoch: 5 }),
          },
        ],
      },
    ],
  }),
  parsed: (v) => ({
    ...when(v >= 2, { throttleTimeMs: 3 }),
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            offset: 500n,
            ...when(v >= 1, { timestamp: 1_700_000_000_000n }),
            ...when(v >= 4, { leaderEpoch: 5 }),
          },
        ],
      },
    ],
  }),
});

kafkajsSuite("ListOffsets", {
  apiKey: ApiKey.ListOffsets,
  versions: range(0, 3),
  args: () => ({
    replicaId: -1,
    isolationLevel: 1,
    topics: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, timestamp: -1, maxNumOffsets: 3 },
          { partition: 1, timestamp: 1_700_000_000_000 },
        ],
      },
    ],
  }),
  request: (v) => ({
    replicaId: -1,
    ...when(v >= 2, { isolationLevel: 1 }),
    topics: [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, timestamp: -1n, ...when(v === 0, { maxNumOffsets: 3 }) },
          { partitionIndex: 1, timestamp: 1_700_000_000_000n, ...when(v === 0, { maxNumOffsets: 1 }) },
        ],
      },
    ],
  }),
  response: (v) => ({
    ...when(v >= 2, { throttleTimeMs: 3 }),
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            ...when(v === 0, { oldStyleOffsets: [500n, 0n] }),
            ...when(v >= 1, { timestamp: 1_700_000_000_000n, offset: 500n }),
          },
        ],
      },
    ],
  }),
  decoded: (v) => ({
    ...when(v === 2, { throttleTime: 3 }),
    ...when(v === 3, { throttleTime: 0, clientSideThrottleTime: 3 }),
    responses: [
      {
        topic: "orders",
        partitions: [
          {
            partition: 0,
            errorCode: 0,
            ...(v === 0 ? { offsets: ["500", "0"] } : { timestamp: "1700000000000", offset: "500" }),
          },
        ],
      },
    ],
  }),
});

// ---------------------------------------------------------------------------------------------
// FindCoordinator

platformaticSuite("FindCoordinator", {
  apiKey: ApiKey.FindCoordinator,
  apis: [
    pk.findCoordinatorV0.api,
    pk.findCoordinatorV1.api,
    pk.findCoordinatorV2.api,
    pk.findCoordinatorV3.api,
    pk.findCoordinatorV4.api,
    pk.findCoordinatorV5.api,
    pk.findCoordinatorV6.api,
  ],
  args: (v) => [v === 0 ? 0 : 1, v >= 4 ? ["txn-a", "txn-b"] : ["txn-a"]],
  request: (v) =>
    v >= 4 ? { keyType: 1, coordinatorKeys: ["txn-a", "txn-b"] } : { key: "txn-a", ...when(v >= 1, { keyType: 1 }) },
  response: (v) =>
    v >= 4
      ? {
          throttleTimeMs: 5,
          coordinators: [
            { key: "txn-a", nodeId: 3, host: "coord-3.local", port: 9094, errorCode: 0, errorMessage: null },
            { key: "txn-b", nodeId: 1, host: "coord-1.local", port: 9092, errorCode: 0, errorMessage: null },
          ],
        }
      : {
          ...when(v >= 1, { throttleTimeMs: 5, errorMessage: null }),
          errorCode: 0,
          nodeId: 3,
          host: "coord-3.local",
          port: 9094,
        },
  parsed: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 5 }),
    coordinators:
      v >= 4
        ? [
            { key: "txn-a", nodeId: 3, host: "coord-3.local", port: 9094, errorCode: 0, errorMessage: null },
            { key: "txn-b", nodeId: 1, host: "coord-1.local", port: 9092, errorCode: 0, errorMessage: null },
          ]
        : [{ nodeId: 3, host: "coord-3.local", port: 9094, errorCode: 0, ...when(v >= 1, { errorMessage: null }) }],
  }),
});

kafkajsSuite("GroupCoordinator", {
  apiKey: ApiKey.FindCoordinator,
  versions: range(0, 2),
  args: () => ({ groupId: "grp-a", coordinatorType: 1 }),
  request: (v) => ({ key: "grp-a", ...when(v >= 1, { keyType: 1 }) }),
  response: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 5, errorMessage: "fine" }),
    errorCode: 0,
    nodeId: 3,
    host: "coord-3.local",
    port: 9094,
  }),
  decoded: (v) => ({
    errorCode: 0,
    coordinator: { nodeId: 3, host: "coord-3.local", port: 9094 },
    ...when(v >= 1, { errorMessage: "fine" }),
    ...when(v === 1, { throttleTime: 5 }),
    ...when(v === 2, { throttleTime: 0, clientSideThrottleTime: 5 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// JoinGroup

const rangeMetadata = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115, 255, 255, 255, 255]);
const rrMetadata = new Uint8Array([9]);

function joinGroupResponse(v: number): Input<ResponseByKey[typeof ApiKey.JoinGroup]> {
  return {
    ...when(v >= 2, { throttleTimeMs: 4 }),
    errorCode: 0,
    generationId: 12,
    ...when(v >= 7, { protocolType: "consumer" }),
    protocolName: "range",
    leader: "member-1",
    ...when(v >= 9, { skipAssignment: true }),
    memberId: "member-2",
    members: [
      { memberId: "member-1", ...when(v >= 5, { groupInstanceId: "instance-1" }), metadata: rangeMetadata },
      { memberId: "member-2", ...when(v >= 5, { groupInstanceId: null }), metadata: rrMetadata },
    ],
  };
}

platformaticSuite("JoinGroup", {
  apiKey: ApiKey.JoinGroup,
  apis: [
    pk.joinGroupV0.api,
    pk.joinGroupV1.api,
    pk.joinGroupV2.api,
    pk.joinGroupV3.api,
    pk.joinGroupV4.api,
    pk.joinGroupV5.api,
    pk.joinGroupV6.api,
    pk.joinGroupV7.api,
    pk.joinGroupV8.api,
    pk.joinGroupV9.api,
  ],
  args: () => [
    "grp",
    30_000,
    60_000,
    "member-1",
    "instance-1",
    "consumer",
    [
      { name: "range", metadata: Buffer.from(rangeMetadata) },
      { name: "roundrobin", metadata: Buffer.from(rrMetadata) },
    ],
    "rebalance please",
  ],
  request: (v) => ({
    groupId: "grp",
    sessionTimeoutMs: 30_000,
    ...when(v >= 1, { rebalanceTimeoutMs: 60_000 }),
    memberId: "member-1",
    ...when(v >= 5, { groupInstanceId: "instance-1" }),
    protocolType: "consumer",
    protocols: [
      { name: "range", metadata: rangeMetadata },
      { name: "roundrobin", metadata: rrMetadata },
    ],
    ...when(v >= 8, { reason: "rebalance please" }),
  }),
  response: joinGroupResponse,
  parsed: joinGroupResponse,
});

kafkajsSuite("JoinGroup", {
  apiKey: ApiKey.JoinGroup,
  versions: range(0, 5),
  args: () => ({
    groupId: "grp",
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    memberId: "",
    groupInstanceId: "instance-1",
    protocolType: "consumer",
    groupProtocols: [
      { name: "range", metadata: Buffer.from(rangeMetadata) },
      { name: "roundrobin", metadata: Buffer.from(rrMetadata) },
    ],
  }),
  request: (v) => ({
    groupId: "grp",
    sessionTimeoutMs: 30_000,
    ...when(v >= 1, { rebalanceTimeoutMs: 60_000 }),
    memberId: "",
    ...when(v >= 5, { groupInstanceId: "instance-1" }),
    protocolType: "consumer",
    protocols: [
      { name: "range", metadata: rangeMetadata },
      { name: "roundrobin", metadata: rrMetadata },
    ],
  }),
  response: joinGroupResponse,
  decoded: (v) => ({
    errorCode: 0,
    generationId: 12,
    groupProtocol: "range",
    leaderId: "member-1",
    memberId: "member-2",
    members: [
      { memberId: "member-1", memberMetadata: rangeMetadata, ...when(v >= 5, { groupInstanceId: "instance-1" }) },
      { memberId: "member-2", memberMetadata: rrMetadata, ...when(v >= 5, { groupInstanceId: null }) },
    ],
    ...when(v === 2, { throttleTime: 4 }),
    ...when(v >= 3, { throttleTime: 0, clientSideThrottleTime: 4 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// SyncGroup

const assignmentBytes = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115, 0, 0, 0, 1, 0, 0, 0, 0]);

platformaticSuite("SyncGroup", {
  apiKey: ApiKey.SyncGroup,
  apis: [
    pk.syncGroupV0.api,
    pk.syncGroupV1.api,
    pk.syncGroupV2.api,
    pk.syncGroupV3.api,
    pk.syncGroupV4.api,
    pk.syncGroupV5.api,
  ],
  args: () => [
    "grp",
    12,
    "member-1",
    "instance-1",
    "consumer",
    "range",
    [
      { memberId: "member-1", assignment: Buffer.from(assignmentBytes) },
      { memberId: "member-2", assignment: Buffer.alloc(0) },
    ],
  ],
  request: (v) => ({
    groupId: "grp",
    generationId: 12,
    memberId: "member-1",
    ...when(v >= 3, { groupInstanceId: "instance-1" }),
    ...when(v >= 5, { protocolType: "consumer", protocolName: "range" }),
    assignments: [
      { memberId: "member-1", assignment: assignmentBytes },
      { memberId: "member-2", assignment: new Uint8Array(0) },
    ],
  }),
  response: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 2 }),
    errorCode: 0,
    ...when(v >= 5, { protocolType: "consumer", protocolName: "range" }),
    assignment: assignmentBytes,
  }),
  parsed: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 2 }),
    errorCode: 0,
    ...when(v >= 5, { protocolType: "consumer", protocolName: "range" }),
    assignment: assignmentBytes,
  }),
});

kafkajsSuite("SyncGroup", {
  apiKey: ApiKey.SyncGroup,
  versions: range(0, 3),
  args: () => ({
    groupId: "grp",
    generationId: 12,
    memberId: "member-1",
    groupInstanceId: "instance-1",
    groupAssignment: [
      { memberId: "member-1", memberAssignment: Buffer.from(assignmentBytes) },
      { memberId: "member-2", memberAssignment: Buffer.alloc(0) },
    ],
  }),
  request: (v) => ({
    groupId: "grp",
    generationId: 12,
    memberId: "member-1",
    ...when(v >= 3, { groupInstanceId: "instance-1" }),
    assignments: [
      { memberId: "member-1", assignment: assignmentBytes },
      { memberId: "member-2", assignment: new Uint8Array(0) },
    ],
  }),
  response: (v) => ({ ...when(v >= 1, { throttleTimeMs: 2 }), errorCode: 0, assignment: assignmentBytes }),
  decoded: (v) => ({
    errorCode: 0,
    memberAssignment: assignmentBytes,
    ...when(v === 1, { throttleTime: 2 }),
    ...when(v >= 2, { throttleTime: 0, clientSideThrottleTime: 2 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Heartbeat

platformaticSuite("Heartbeat", {
  apiKey: ApiKey.Heartbeat,
  apis: [pk.heartbeatV0.api, pk.heartbeatV1.api, pk.heartbeatV2.api, pk.heartbeatV3.api, pk.heartbeatV4.api],
  args: () => ["grp", 12, "member-1", "instance-1"],
  request: (v) => ({
    groupId: "grp",
    generationId: 12,
    memberId: "member-1",
    ...when(v >= 3, { groupInstanceId: "instance-1" }),
  }),
  response: (v) => ({ ...when(v >= 1, { throttleTimeMs: 1 }), errorCode: 0 }),
  parsed: (v) => ({ ...when(v >= 1, { throttleTimeMs: 1 }), errorCode: 0 }),
});

kafkajsSuite("Heartbeat", {
  apiKey: ApiKey.Heartbeat,
  versions: range(0, 3),
  args: () => ({ groupId: "grp", groupGenerationId: 12, memberId: "member-1", groupInstanceId: null }),
  request: (v) => ({
    groupId: "grp",
    generationId: 12,
    memberId: "member-1",
    ...when(v >= 3, { groupInstanceId: null }),
  }),
  response: (v) => ({ ...when(v >= 1, { throttleTimeMs: 1 }), errorCode: 0 }),
  decoded: (v) => ({
    errorCode: 0,
    ...when(v === 1, { throttleTime: 1 }),
    ...when(v >= 2, { throttleTime: 0, clientSideThrottleTime: 1 }),
  }),
});

describe("non-zero error codes in our responses reach the foreign libraries", () => {
  // 27 = REBALANCE_IN_PROGRESS
  for (const v of range(0, 3)) {
    test(`kafkajs Heartbeat v${v}: parse() rejects with the code`, async () => {
      const { response } = kLookup("Heartbeat", v, { groupId: "grp", groupGenerationId: 12, memberId: "m" });
      const chunks = encodeResponseFrame({
        apiKey: ApiKey.Heartbeat,
        apiVersion: v,
        correlationId: correlationIdOf(ApiKey.Heartbeat, v),
        body: { errorCode: 27 },
      });
      const decoded = await response.decode(kResponsePayload(ApiKey.Heartbeat, v, chunks));
      assertMatches(decoded, { errorCode: 27 });
      await assert.rejects(response.parse(decoded), (error: unknown) => {
        assertMatches(error, { code: 27, type: "REBALANCE_IN_PROGRESS" });
        return true;
      });
    });
  }
  for (const api of [pk.heartbeatV0.api, pk.heartbeatV4.api]) {
    test(`@platformatic/kafka Heartbeat v${api.version}: the parser throws a ResponseError with the code`, () => {
      const send = pCapture(api, ["grp", 12, "m", null]);
      const chunks = encodeResponseFrame({
        apiKey: ApiKey.Heartbeat,
        apiVersion: api.version,
        correlationId: correlationIdOf(ApiKey.Heartbeat, api.version),
        body: { errorCode: 27, throttleTimeMs: 5 },
      });
      assert.throws(
        () => pParseResponse(send, chunks),
        (error: unknown) => {
          assert.ok(error instanceof pk.ResponseError);
          assertMatches(error, {
            errors: [{ apiCode: 27, apiId: "REBALANCE_IN_PROGRESS" }],
            response: { errorCode: 27, ...when(api.version >= 1, { throttleTimeMs: 5 }) },
          });
          return true;
        },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// LeaveGroup

platformaticSuite("LeaveGroup", {
  apiKey: ApiKey.LeaveGroup,
  apis: [
    pk.leaveGroupV0.api,
    pk.leaveGroupV1.api,
    pk.leaveGroupV2.api,
    pk.leaveGroupV3.api,
    pk.leaveGroupV4.api,
    pk.leaveGroupV5.api,
  ],
  args: () => [
    "grp",
    [
      { memberId: "member-1", groupInstanceId: "instance-1", reason: "bye" },
      { memberId: "member-2", groupInstanceId: null, reason: null },
    ],
  ],
  request: (v) =>
    v <= 2
      ? { groupId: "grp", memberId: "member-1" }
      : {
          groupId: "grp",
          members: [
            { memberId: "member-1", groupInstanceId: "instance-1", ...when(v >= 5, { reason: "bye" }) },
            { memberId: "member-2", groupInstanceId: null, ...when(v >= 5, { reason: null }) },
          ],
        },
  response: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 1 }),
    errorCode: 0,
    ...when(v >= 3, {
      members: [
        { memberId: "member-1", groupInstanceId: "instance-1", errorCode: 0 },
        { memberId: "member-2", groupInstanceId: null, errorCode: 0 },
      ],
    }),
  }),
  parsed: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 1 }),
    errorCode: 0,
    ...when(v >= 3, {
      members: [
        { memberId: "member-1", groupInstanceId: "instance-1", errorCode: 0 },
        { memberId: "member-2", groupInstanceId: null, errorCode: 0 },
      ],
    }),
  }),
});

kafkajsSuite("LeaveGroup", {
  apiKey: ApiKey.LeaveGroup,
  versions: range(0, 3),
  args: () => ({ groupId: "grp", memberId: "member-1", groupInstanceId: "instance-1" }),
  request: (v) =>
    v <= 2
      ? { groupId: "grp", memberId: "member-1" }
      : { groupId: "grp", members: [{ memberId: "member-1", groupInstanceId: "instance-1" }] },
  response: (v) => ({
    ...when(v >= 1, { throttleTimeMs: 1 }),
    errorCode: 0,
    ...when(v >= 3, { members: [{ memberId: "member-1", groupInstanceId: "instance-1", errorCode: 0 }] }),
  }),
  decoded: (v) => ({
    errorCode: 0,
    ...when(v === 1, { throttleTime: 1 }),
    ...when(v >= 2, { throttleTime: 0, clientSideThrottleTime: 1 }),
    ...when(v >= 3, { members: [{ memberId: "member-1", groupInstanceId: "instance-1", errorCode: 0 }] }),
  }),
});

// ---------------------------------------------------------------------------------------------
// OffsetCommit

function offsetCommitResponse(v: number): Input<ResponseByKey[typeof ApiKey.OffsetCommit]> {
  return {
    ...when(v >= 3, { throttleTimeMs: 1 }),
    topics: [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 0 },
        ],
      },
    ],
  };
}

platformaticSuite("OffsetCommit", {
  apiKey: ApiKey.OffsetCommit,
  apis: [
    pk.offsetCommitV0.api,
    pk.offsetCommitV1.api,
    pk.offsetCommitV2.api,
    pk.offsetCommitV3.api,
    pk.offsetCommitV4.api,
    pk.offsetCommitV5.api,
    pk.offsetCommitV6.api,
    pk.offsetCommitV7.api,
    pk.offsetCommitV8.api,
    pk.offsetCommitV9.api,
  ],
  args: () => [
    "grp",
    12,
    "member-1",
    "instance-1",
    [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, committedOffset: 500n, committedLeaderEpoch: 5, committedMetadata: "meta" },
          { partitionIndex: 1, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
    ],
  ],
  request: (v) => ({
    groupId: "grp",
    ...when(v >= 1, { generationIdOrMemberEpoch: 12, memberId: "member-1" }),
    ...when(v >= 7, { groupInstanceId: "instance-1" }),
    ...when(v >= 2 && v <= 4, { retentionTimeMs: -1n }),
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 500n,
            ...when(v >= 6, { committedLeaderEpoch: 5 }),
            ...when(v === 1, { commitTimestamp: -1n }),
            committedMetadata: "meta",
          },
          {
            partitionIndex: 1,
            committedOffset: 0n,
            ...when(v >= 6, { committedLeaderEpoch: -1 }),
            ...when(v === 1, { commitTimestamp: -1n }),
            committedMetadata: null,
          },
        ],
      },
    ],
  }),
  response: offsetCommitResponse,
  parsed: offsetCommitResponse,
});

kafkajsSuite("OffsetCommit", {
  apiKey: ApiKey.OffsetCommit,
  versions: range(0, 5),
  args: () => ({
    groupId: "grp",
    groupGenerationId: 12,
    memberId: "member-1",
    retentionTime: 86_400_000,
    topics: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, offset: "500", metadata: "meta", timestamp: 1_700_000_000_000 },
          { partition: 1, offset: "0", timestamp: 1_700_000_000_001 },
        ],
      },
    ],
  }),
  request: (v) => ({
    groupId: "grp",
    ...when(v >= 1, { generationIdOrMemberEpoch: 12, memberId: "member-1" }),
    ...when(v >= 2 && v <= 4, { retentionTimeMs: 86_400_000n }),
    topics: [
      {
        name: "orders",
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 500n,
            ...when(v === 1, { commitTimestamp: 1_700_000_000_000n }),
            committedMetadata: "meta",
          },
          {
            partitionIndex: 1,
            committedOffset: 0n,
            ...when(v === 1, { commitTimestamp: 1_700_000_000_001n }),
            committedMetadata: null,
          },
        ],
      },
    ],
  }),
  response: offsetCommitResponse,
  decoded: (v) => ({
    ...when(v === 3, { throttleTime: 1 }),
    ...when(v >= 4, { throttleTime: 0, clientSideThrottleTime: 1 }),
    responses: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, errorCode: 0 },
          { partition: 1, errorCode: 0 },
        ],
      },
    ],
  }),
});

// ---------------------------------------------------------------------------------------------
// OffsetFetch

function offsetFetchPartitions(v: number): object[] {
  return [
    {
      partitionIndex: 0,
      committedOffset: 500n,
      ...when(v >= 5, { committedLeaderEpoch: 5 }),
      metadata: "meta",
      errorCode: 0,
    },
    {
      partitionIndex: 1,
      committedOffset: -1n,
      ...when(v >= 5, { committedLeaderEpoch: -1 }),
      metadata: null,
      errorCode: 0,
    },
  ];
}

function offsetFetchResponse(v: number): Input<ResponseByKey[typeof ApiKey.OffsetFetch]> {
  if (v >= 8) {
    return {
      throttleTimeMs: 1,
      groups: [
        { groupId: "grp", topics: [{ name: "orders", partitions: offsetFetchPartitions(v) }], errorCode: 0 },
        { groupId: "grp-2", topics: [], errorCode: 0 },
      ],
    };
  }
  return {
    ...when(v >= 3, { throttleTimeMs: 1 }),
    topics: [{ name: "orders", partitions: offsetFetchPartitions(v) }],
    ...when(v >= 2, { errorCode: 0 }),
  };
}

platformaticSuite("OffsetFetch", {
  apiKey: ApiKey.OffsetFetch,
  apis: [
    pk.offsetFetchV0.api,
    pk.offsetFetchV1.api,
    pk.offsetFetchV2.api,
    pk.offsetFetchV3.api,
    pk.offsetFetchV4.api,
    pk.offsetFetchV5.api,
    pk.offsetFetchV6.api,
    pk.offsetFetchV7.api,
    pk.offsetFetchV8.api,
    pk.offsetFetchV9.api,
  ],
  args: () => [
    [
      { groupId: "grp", memberId: "member-1", memberEpoch: 7, topics: [{ name: "orders", partitionIndexes: [0, 1] }] },
      { groupId: "grp-2", memberId: null, memberEpoch: -1, topics: null },
    ],
    true,
  ],
  request: (v) =>
    v >= 8
      ? {
          groups: [
            {
              groupId: "grp",
              ...when(v >= 9, { memberId: "member-1", memberEpoch: 7 }),
              topics: [{ name: "orders", partitionIndexes: [0, 1] }],
            },
            { groupId: "grp-2", ...when(v >= 9, { memberId: null, memberEpoch: -1 }), topics: null },
          ],
          requireStable: true,
        }
      : {
          groupId: "grp",
          topics: [{ name: "orders", partitionIndexes: [0, 1] }],
          ...when(v >= 7, { requireStable: true }),
        },
  response: offsetFetchResponse,
  parsed: offsetFetchResponse,
});

kafkajsSuite("OffsetFetch", {
  apiKey: ApiKey.OffsetFetch,
  versions: range(1, 4),
  args: () => ({ groupId: "grp", topics: [{ topic: "orders", partitions: [{ partition: 0 }, { partition: 1 }] }] }),
  request: () => ({ groupId: "grp", topics: [{ name: "orders", partitionIndexes: [0, 1] }] }),
  response: offsetFetchResponse,
  decoded: (v) => ({
    responses: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, offset: "500", metadata: "meta", errorCode: 0 },
          { partition: 1, offset: "-1", metadata: null, errorCode: 0 },
        ],
      },
    ],
    ...when(v >= 2, { errorCode: 0 }),
    ...when(v === 3, { throttleTime: 1 }),
    ...when(v === 4, { throttleTime: 0, clientSideThrottleTime: 1 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// CreateTopics

function createTopicsResponse(v: number): Input<ResponseByKey[typeof ApiKey.CreateTopics]> {
  return {
    ...when(v >= 2, { throttleTimeMs: 1 }),
    topics: [
      {
        name: "orders",
        ...when(v >= 7, { topicId: TOPIC_ID }),
        errorCode: 0,
        ...when(v >= 1, { errorMessage: null }),
        ...when(v >= 5, {
          numPartitions: 3,
          replicationFactor: 2,
          configs: [
            { name: "cleanup.policy", value: "compact", readOnly: false, configSource: 1, isSensitive: false },
            { name: "sasl.jaas.config", value: null, readOnly: true, configSource: 5, isSensitive: true },
          ],
        }),
      },
      {
        name: "manual",
        ...when(v >= 7, { topicId: TOPIC_ID_2 }),
        errorCode: 0,
        ...when(v >= 1, { errorMessage: null }),
        ...when(v >= 5, { numPartitions: 2, replicationFactor: 2, configs: null }),
      },
    ],
  };
}

platformaticSuite("CreateTopics", {
  apiKey: ApiKey.CreateTopics,
  apis: [
    pk.createTopicsV0.api,
    pk.createTopicsV1.api,
    pk.createTopicsV2.api,
    pk.createTopicsV3.api,
    pk.createTopicsV4.api,
    pk.createTopicsV5.api,
    pk.createTopicsV6.api,
    pk.createTopicsV7.api,
  ],
  args: () => [
    [
      {
        name: "orders",
        numPartitions: 3,
        replicationFactor: 2,
        assignments: [],
        configs: [
          { name: "cleanup.policy", value: "compact" },
          { name: "retention.ms", value: null },
        ],
      },
      {
        name: "manual",
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1, 2] },
          { partitionIndex: 1, brokerIds: [2, 3] },
        ],
        configs: [],
      },
    ],
    30_000,
    true,
  ],
  request: (v) => ({
    topics: [
      {
        name: "orders",
        numPartitions: 3,
        replicationFactor: 2,
        assignments: [],
        configs: [
          { name: "cleanup.policy", value: "compact" },
          { name: "retention.ms", value: null },
        ],
      },
      {
        name: "manual",
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1, 2] },
          { partitionIndex: 1, brokerIds: [2, 3] },
        ],
        configs: [],
      },
    ],
    timeoutMs: 30_000,
    ...when(v >= 1, { validateOnly: true }),
  }),
  response: createTopicsResponse,
  parsed: createTopicsResponse,
});

kafkajsSuite("CreateTopics", {
  apiKey: ApiKey.CreateTopics,
  versions: range(0, 3),
  args: () => ({
    topics: [
      {
        topic: "orders",
        numPartitions: 3,
        replicationFactor: 2,
        configEntries: [
          { name: "cleanup.policy", value: "compact" },
          { name: "retention.ms", value: null },
        ],
      },
      {
        topic: "manual",
        replicaAssignment: [
          { partition: 0, replicas: [1, 2] },
          { partition: 1, replicas: [2, 3] },
        ],
      },
    ],
    validateOnly: true,
    timeout: 30_000,
  }),
  request: (v) => ({
    topics: [
      {
        name: "orders",
        numPartitions: 3,
        replicationFactor: 2,
        assignments: [],
        configs: [
          { name: "cleanup.policy", value: "compact" },
          { name: "retention.ms", value: null },
        ],
      },
      {
        name: "manual",
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1, 2] },
          { partitionIndex: 1, brokerIds: [2, 3] },
        ],
        configs: [],
      },
    ],
    timeoutMs: 30_000,
    ...when(v >= 1, { validateOnly: true }),
  }),
  response: createTopicsResponse,
  decoded: (v) => ({
    // kafkajs sorts the results by topic name.
    topicErrors: [
      { topic: "manual", errorCode: 0, ...when(v >= 1, { errorMessage: null }) },
      { topic: "orders", errorCode: 0, ...when(v >= 1, { errorMessage: null }) },
    ],
    ...when(v === 2, { throttleTime: 1 }),
    ...when(v === 3, { throttleTime: 0, clientSideThrottleTime: 1 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// DeleteTopics

function deleteTopicsResponse(v: number): Input<ResponseByKey[typeof ApiKey.DeleteTopics]> {
  return {
    ...when(v >= 1, { throttleTimeMs: 1 }),
    responses: [
      { name: "orders", ...when(v >= 6, { topicId: TOPIC_ID }), errorCode: 0, ...when(v >= 5, { errorMessage: null }) },
      { name: "payments", ...when(v >= 6, { topicId: TOPIC_ID_2 }), errorCode: 0 },
    ],
  };
}

platformaticSuite("DeleteTopics", {
  apiKey: ApiKey.DeleteTopics,
  apis: [
    pk.deleteTopicsV0.api,
    pk.deleteTopicsV1.api,
    pk.deleteTopicsV2.api,
    pk.deleteTopicsV3.api,
    pk.deleteTopicsV4.api,
    pk.deleteTopicsV5.api,
    pk.deleteTopicsV6.api,
  ],
  args: (v) => [
    v >= 6 ? [{ name: "orders" }, { name: null, topicId: TOPIC_ID_2 }] : [{ name: "orders" }, { name: "payments" }],
    15_000,
  ],
  request: (v) =>
    v >= 6
      ? {
          topics: [
            { name: "orders", topicId: ZERO_UUID },
            { name: null, topicId: TOPIC_ID_2 },
          ],
          timeoutMs: 15_000,
        }
      : { topicNames: ["orders", "payments"], timeoutMs: 15_000 },
  response: deleteTopicsResponse,
  parsed: deleteTopicsResponse,
});

kafkajsSuite("DeleteTopics", {
  apiKey: ApiKey.DeleteTopics,
  versions: range(0, 1),
  args: () => ({ topics: ["orders", "payments"], timeout: 15_000 }),
  request: () => ({ topicNames: ["orders", "payments"], timeoutMs: 15_000 }),
  response: deleteTopicsResponse,
  decoded: (v) => ({
    topicErrors: [
      { topic: "orders", errorCode: 0 },
      { topic: "payments", errorCode: 0 },
    ],
    ...when(v === 1, { throttleTime: 0, clientSideThrottleTime: 1 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// InitProducerId

function initProducerIdResponse(): Input<ResponseByKey[typeof ApiKey.InitProducerId]> {
  return { throttleTimeMs: 1, errorCode: 0, producerId: 9_007_199_254_740_993n, producerEpoch: 4 };
}

platformaticSuite("InitProducerId", {
  apiKey: ApiKey.InitProducerId,
  apis: [
    pk.initProducerIdV0.api,
    pk.initProducerIdV1.api,
    pk.initProducerIdV2.api,
    pk.initProducerIdV3.api,
    pk.initProducerIdV4.api,
    pk.initProducerIdV5.api,
  ],
  args: () => ["txn-1", 60_000, 4242n, 3],
  request: (v) => ({
    transactionalId: "txn-1",
    transactionTimeoutMs: 60_000,
    ...when(v >= 3, { producerId: 4242n, producerEpoch: 3 }),
  }),
  response: initProducerIdResponse,
  parsed: initProducerIdResponse,
});

kafkajsSuite("InitProducerId", {
  apiKey: ApiKey.InitProducerId,
  versions: range(0, 1),
  args: () => ({ transactionalId: null, transactionTimeout: 60_000 }),
  request: () => ({ transactionalId: null, transactionTimeoutMs: 60_000 }),
  response: initProducerIdResponse,
  decoded: (v) => ({
    errorCode: 0,
    producerId: "9007199254740993",
    producerEpoch: 4,
    ...(v === 0 ? { throttleTime: 1 } : { throttleTime: 0, clientSideThrottleTime: 1 }),
  }),
});

// ---------------------------------------------------------------------------------------------
// DescribeConfigs

function describeConfigsResponse(v: number): Input<ResponseByKey[typeof ApiKey.DescribeConfigs]> {
  return {
    throttleTimeMs: 1,
    results: [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: "orders",
        configs: [
          {
            name: "cleanup.policy",
            value: "compact",
            readOnly: false,
            ...when(v === 0, { isDefault: false }),
            ...when(v >= 1, { configSource: 1 }),
            isSensitive: false,
            ...when(v >= 1, { synonyms: [{ name: "log.cleanup.policy", value: "delete", source: 5 }] }),
            ...when(v >= 3, { configType: 2, documentation: "How to clean up." }),
          },
          {
            name: "sasl.jaas.config",
            value: null,
            readOnly: true,
            ...when(v === 0, { isDefault: true }),
            ...when(v >= 1, { configSource: 5 }),
            isSensitive: true,
          },
        ],
      },
    ],
  };
}

platformaticSuite("DescribeConfigs", {
  apiKey: ApiKey.DescribeConfigs,
  apis: [
    pk.describeConfigsV0.api,
    pk.describeConfigsV1.api,
    pk.describeConfigsV2.api,
    pk.describeConfigsV3.api,
    pk.describeConfigsV4.api,
  ],
  args: () => [
    [
      { resourceType: 2, resourceName: "orders", configurationKeys: ["cleanup.policy", "retention.ms"] },
      { resourceType: 4, resourceName: "1", configurationKeys: null },
    ],
    true,
    true,
  ],
  request: (v) => ({
    resources: [
      { resourceType: 2, resourceName: "orders", configurationKeys: ["cleanup.policy", "retention.ms"] },
      { resourceType: 4, resourceName: "1", configurationKeys: null },
    ],
    ...when(v >= 1, { includeSynonyms: true }),
    ...when(v >= 3, { includeDocumentation: true }),
  }),
  response: describeConfigsResponse,
  parsed: (v) => {
    const body = describeConfigsResponse(v);
    // platformatic's v0 parser drops is_default (it reports configSource -1 instead).
    if (v === 0) {
      return {
        ...body,
        results: body.results?.map((r) => ({ ...r, configs: r.configs?.map(({ isDefault: _, ...c }) => c) })),
      };
    }
    return body;
  },
});

kafkajsSuite("DescribeConfigs", {
  apiKey: ApiKey.DescribeConfigs,
  versions: range(0, 2),
  args: () => ({
    resources: [
      { type: 2, name: "orders", configNames: ["cleanup.policy", "retention.ms"] },
      { type: 4, name: "1", configNames: [] },
    ],
    includeSynonyms: true,
  }),
  request: (v) => ({
    resources: [
      { resourceType: 2, resourceName: "orders", configurationKeys: ["cleanup.policy", "retention.ms"] },
      // kafkajs writes an empty list as null ("all configs").
      { resourceType: 4, resourceName: "1", configurationKeys: null },
    ],
    ...when(v >= 1, { includeSynonyms: true }),
  }),
  response: describeConfigsResponse,
  decoded: (v) => ({
    ...(v <= 1 ? { throttleTime: 1 } : { throttleTime: 0, clientSideThrottleTime: 1 }),
    resources: [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: "orders",
        configEntries: [
          {
            configName: "cleanup.policy",
            configValue: "compact",
            readOnly: false,
            isDefault: false,
            // v0 has no config_source on the wire; kafkajs derives TOPIC_CONFIG (1) for a topic.
            configSource: 1,
            isSensitive: false,
            ...when(v >= 1, {
              configSynonyms: [{ configName: "log.cleanup.policy", configValue: "delete", configSource: 5 }],
            }),
          },
          {
            configName: "sasl.jaas.config",
            configValue: null,
            readOnly: true,
            ...when(v === 0, { isDefault: true }),
            ...when(v >= 1, { isDefault: true, configSource: 5 }),
            isSensitive: true,
          },
        ],
      },
    ],
  }),
});

// ---------------------------------------------------------------------------------------------
// SaslHandshake

platformaticSuite("SaslHandshake", {
  apiKey: ApiKey.SaslHandshake,
  apis: [pk.saslHandshakeV0.api, pk.saslHandshakeV1.api],
  args: () => ["PLAIN"],
  request: () => ({ mechanism: "PLAIN" }),
  response: () => ({ errorCode: 0, mechanisms: ["PLAIN", "SCRAM-SHA-256"] }),
  parsed: () => ({ errorCode: 0, mechanisms: ["PLAIN", "SCRAM-SHA-256"] }),
});

kafkajsSuite("SaslHandshake", {
  apiKey: ApiKey.SaslHandshake,
  versions: range(0, 1),
  args: () => ({ mechanism: "SCRAM-SHA-512" }),
  request: () => ({ mechanism: "SCRAM-SHA-512" }),
  response: () => ({ errorCode: 0, mechanisms: ["PLAIN", "SCRAM-SHA-512"] }),
  decoded: () => ({ errorCode: 0, enabledMechanisms: ["PLAIN", "SCRAM-SHA-512"] }),
});

// ---------------------------------------------------------------------------------------------
// Edge values: lengths that need multi-byte varints in flexible versions (compact strings,
// arrays, bytes and records longer than 127 / 16383), non-ASCII text and int64 extremes.

const longName = (i: number): string => `topic-${"ü".repeat(70)}-${i}`; // > 127 bytes
const manyTopics = Array.from({ length: 150 }, (_, i) => longName(i));
const bigValue = Buffer.alloc(20_000, 0x61); // a record of ~20 KB: a 3-byte uvarint size

platformaticSuite("Metadata (150 long non-ASCII topic names)", {
  apiKey: ApiKey.Metadata,
  apis: [pk.metadataV1.api, pk.metadataV9.api, pk.metadataV12.api],
  args: () => [manyTopics, true, false, false],
  request: (v) => ({
    topics: manyTopics.map((name) => ({ name, ...when(v >= 10, { topicId: ZERO_UUID }) })),
    ...when(v >= 4, { allowAutoTopicCreation: true }),
  }),
  response: (v) => ({
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: "brøker-ü.example", port: 9092, rack: "r".repeat(200) }],
    clusterId: "c".repeat(300),
    controllerId: 1,
    topics: manyTopics.map((name, i) => ({
      errorCode: 0,
      name,
      ...when(v >= 10, { topicId: TOPIC_ID }),
      isInternal: false,
      partitions: [
        {
          errorCode: 0,
          partitionIndex: i,
          leaderId: 1,
          replicaNodes: range(0, 199),
          isrNodes: range(0, 129),
        },
      ],
    })),
  }),
  parsed: (v) => ({
    brokers: [{ nodeId: 1, host: "brøker-ü.example", port: 9092, rack: "r".repeat(200) }],
    ...when(v >= 2, { clusterId: "c".repeat(300) }),
    topics: manyTopics.map((name, i) => ({
      errorCode: 0,
      name,
      ...when(v >= 10, { topicId: TOPIC_ID }),
      partitions: [{ partitionIndex: i, replicaNodes: range(0, 199), isrNodes: range(0, 129) }],
    })),
  }),
});

const bigMessages = (): pk.MessageRecord[] => [
  { topic: "big", partition: 0, key: utf8("k".repeat(200)), value: bigValue, timestamp: 1_700_000_000_000n },
];

platformaticSuite("Produce (a 20 KB record)", {
  apiKey: ApiKey.Produce,
  apis: [pk.produceV3.api, pk.produceV9.api, pk.produceV11.api],
  args: () => [1, 30_000, bigMessages(), {}],
  request: () => ({
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: "big",
        partitionData: [{ index: 0, records: new Uint8Array(pk.createRecordsBatch(bigMessages(), {}).buffer) }],
      },
    ],
  }),
  response: (v) => ({
    responses: [
      {
        name: "big",
        partitionResponses: [
          {
            index: 0,
            errorCode: 0,
            baseOffset: 9_223_372_036_854_775_807n,
            logAppendTimeMs: -1n,
            logStartOffset: -9_223_372_036_854_775_808n,
            ...when(v >= 8, { errorMessage: "m".repeat(130) }),
          },
        ],
      },
    ],
    throttleTimeMs: 2_147_483_647,
  }),
  parsed: (v) => ({
    responses: [
      {
        name: "big",
        partitionResponses: [
          {
            index: 0,
            errorCode: 0,
            baseOffset: 9_223_372_036_854_775_807n,
            logAppendTimeMs: -1n,
            ...when(v >= 5, { logStartOffset: -9_223_372_036_854_775_808n }),
            ...when(v >= 8, { errorMessage: "m".repeat(130) }),
          },
        ],
      },
    ],
    throttleTimeMs: 2_147_483_647,
  }),
});

const bigBatch = new Uint8Array(pk.createRecordsBatch(bigMessages(), {}).buffer);

platformaticSuite("Fetch (a 20 KB record batch)", {
  apiKey: ApiKey.Fetch,
  apis: [pk.fetchV11.api, pk.fetchV12.api, pk.fetchV17.api],
  args: (v) => [
    0,
    0,
    2_147_483_647,
    0,
    0,
    -1,
    [
      {
        topicId: v <= 12 ? "big" : TOPIC_ID,
        partitions: [
          { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1_048_576 },
        ],
      },
    ],
    [],
    "",
  ],
  request: (v) => ({
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 2_147_483_647,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        ...(v <= 12 ? { topic: "big" } : { topicId: TOPIC_ID }),
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1_048_576,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  }),
  response: (v) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        ...(v <= 12 ? { topic: "big" } : { topicId: TOPIC_ID }),
        partitions: [
          { partitionIndex: 0, errorCode: 0, highWatermark: 1n, abortedTransactions: null, records: bigBatch },
        ],
      },
    ],
  }),
  parsed: (v) => ({
    responses: [
      {
        topicId: v <= 12 ? "big" : TOPIC_ID,
        partitions: [
          {
            partitionIndex: 0,
            highWatermark: 1n,
            records: [{ records: [{ key: utf8("k".repeat(200)), value: bigValue }] }],
          },
        ],
      },
    ],
  }),
});

const longMetadata = new Uint8Array(Buffer.alloc(300, 7));

platformaticSuite("JoinGroup (long non-ASCII ids, 300-byte metadata)", {
  apiKey: ApiKey.JoinGroup,
  apis: [pk.joinGroupV5.api, pk.joinGroupV6.api, pk.joinGroupV9.api],
  args: () => [
    "gröup-" + "g".repeat(150),
    45_000,
    300_000,
    "mémber-" + "m".repeat(150),
    null,
    "consumer",
    [{ name: "cooperative-sticky", metadata: Buffer.from(longMetadata) }],
    null,
  ],
  request: (v) => ({
    groupId: "gröup-" + "g".repeat(150),
    sessionTimeoutMs: 45_000,
    rebalanceTimeoutMs: 300_000,
    memberId: "mémber-" + "m".repeat(150),
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "cooperative-sticky", metadata: longMetadata }],
    ...when(v >= 8, { reason: null }),
  }),
  response: (v) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: -1,
    ...when(v >= 7, { protocolType: null }),
    protocolName: v >= 7 ? null : "",
    leader: "",
    memberId: "mémber-" + "m".repeat(150),
    members: Array.from({ length: 130 }, (_, i) => ({
      memberId: `m-${i}`,
      groupInstanceId: null,
      metadata: longMetadata,
    })),
  }),
  parsed: (v) => ({
    generationId: -1,
    ...when(v >= 7, { protocolType: null, protocolName: null }),
    memberId: "mémber-" + "m".repeat(150),
    members: Array.from({ length: 130 }, (_, i) => ({
      memberId: `m-${i}`,
      groupInstanceId: null,
      metadata: longMetadata,
    })),
  }),
});

platformaticSuite("InitProducerId (int64 and int16 extremes)", {
  apiKey: ApiKey.InitProducerId,
  apis: [pk.initProducerIdV1.api, pk.initProducerIdV5.api],
  args: () => [null, 2_147_483_647, 9_223_372_036_854_775_807n, 32_767],
  request: (v) => ({
    transactionalId: null,
    transactionTimeoutMs: 2_147_483_647,
    ...when(v >= 3, { producerId: 9_223_372_036_854_775_807n, producerEpoch: 32_767 }),
  }),
  response: () => ({
    throttleTimeMs: 0,
    errorCode: 0,
    producerId: -9_223_372_036_854_775_808n,
    producerEpoch: -32_768,
  }),
  parsed: () => ({ producerId: -9_223_372_036_854_775_808n, producerEpoch: -32_768 }),
});

kafkajsSuite("InitProducerId", {
  label: "non-ASCII transactional id, int64 max",
  apiKey: ApiKey.InitProducerId,
  versions: [1],
  args: () => ({ transactionalId: "tx-ü".repeat(40), transactionTimeout: 2_147_483_647 }),
  request: () => ({ transactionalId: "tx-ü".repeat(40), transactionTimeoutMs: 2_147_483_647 }),
  response: () => ({ throttleTimeMs: 0, errorCode: 0, producerId: 9_223_372_036_854_775_807n, producerEpoch: 32_767 }),
  decoded: () => ({ producerId: "9223372036854775807", producerEpoch: 32_767 }),
});

platformaticSuite("DescribeConfigs (long documentation, many synonyms)", {
  apiKey: ApiKey.DescribeConfigs,
  apis: [pk.describeConfigsV3.api, pk.describeConfigsV4.api],
  args: () => [[{ resourceType: 2, resourceName: "orders", configurationKeys: manyTopics }], false, true],
  request: () => ({
    resources: [{ resourceType: 2, resourceName: "orders", configurationKeys: manyTopics }],
    includeSynonyms: false,
    includeDocumentation: true,
  }),
  response: () => ({
    throttleTimeMs: 0,
    results: [
      {
        errorCode: 0,
        errorMessage: "é".repeat(100),
        resourceType: 2,
        resourceName: "orders",
        configs: [
          {
            name: "retention.ms",
            value: "604800000",
            readOnly: false,
            configSource: 5,
            isSensitive: false,
            synonyms: Array.from({ length: 140 }, (_, i) => ({
              name: `syn-${i}`,
              value: i % 2 === 0 ? null : "x".repeat(i),
              source: 4,
            })),
            configType: 5,
            documentation: "The number of milliseconds to keep a log segment. ".repeat(40),
          },
        ],
      },
    ],
  }),
  parsed: () => ({
    results: [
      {
        errorMessage: "é".repeat(100),
        configs: [
          {
            synonyms: Array.from({ length: 140 }, (_, i) => ({
              name: `syn-${i}`,
              value: i % 2 === 0 ? null : "x".repeat(i),
              source: 4,
            })),
            configType: 5,
            documentation: "The number of milliseconds to keep a log segment. ".repeat(40),
          },
        ],
      },
    ],
  }),
});
