// startBroker in-process, driven over the wire: what ApiVersions advertises, topic auto-creation,
// produce/fetch round trips across versions (exact stored bytes), long polls, fetch size limits,
// fetch sessions, ListOffsets, idempotent producers, restart from disk, and the metrics endpoint.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  apiSpecs,
  ApiKey,
  decodeResponseFrame,
  encodeRecordBatch,
  encodeRequestFrame,
  ErrorCode,
  iterateBatches,
  iterateRecords,
  patchBaseOffset,
  patchPartitionLeaderEpoch,
} from "@samsa/protocol";
import type { EncodeRecordBatchOptions, Input, RequestByKey } from "@samsa/protocol";
import { uniqueName, WireClient } from "@samsa/testkit";
import { advertisedApis } from "../src/handlers/index.ts";
import { silentLogger, startBroker } from "../src/index.ts";
import type { RunningBroker } from "../src/index.ts";

const text = new TextEncoder();
const utf8 = new TextDecoder();
const zeroUuid = "00000000-0000-0000-0000-000000000000";

function batchOf(
  values: readonly string[],
  options: Omit<EncodeRecordBatchOptions, "records"> & { timestamps?: readonly number[] } = {},
): Uint8Array {
  const { timestamps, ...rest } = options;
  const now = Date.now();
  return encodeRecordBatch({
    ...rest,
    records: values.map((v, i) => ({
      key: null,
      value: text.encode(v),
      timestamp: BigInt(timestamps?.[i] ?? now + i),
    })),
  });
}

/** What the broker stores for a produced batch: the same bytes, offset and leader epoch patched. */
function storedAs(batch: Uint8Array, baseOffset: number): Uint8Array {
  const copy = Uint8Array.from(batch);
  patchBaseOffset(copy, BigInt(baseOffset));
  patchPartitionLeaderEpoch(copy, 0);
  return copy;
}

function valuesIn(records: Uint8Array | null): string[] {
  const out: string[] = [];
  for (const batch of iterateBatches(records ?? new Uint8Array(0))) {
    for (const r of iterateRecords(batch.bytes, { maxBytes: 1 << 20 })) out.push(utf8.decode(r.value ?? undefined));
  }
  return out;
}

function batchCount(records: Uint8Array | null): number {
  return [...iterateBatches(records ?? new Uint8Array(0))].length;
}

function produceBody(
  topic: string,
  partitions: readonly { index: number; records: Uint8Array }[],
  acks = 1,
): Input<RequestByKey[typeof ApiKey.Produce]> {
  return { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: partitions }] };
}

async function produce(
  client: WireClient,
  topic: string,
  records: Uint8Array,
  options: { partition?: number; version?: number; acks?: number } = {},
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = await client.send(
    ApiKey.Produce,
    options.version ?? 9,
    produceBody(topic, [{ index: options.partition ?? 0, records }], options.acks ?? 1),
  );
  const p = response.responses[0]?.partitionResponses[0];
  assert.ok(p !== undefined, "a partition response");
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function createTopic(client: WireClient, topic: string): Promise<{ topicId: string; partitions: number }> {
  const metadata = await client.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: true });
  const t = metadata.topics[0];
  assert.equal(t?.errorCode, 0, `topic ${topic} created`);
  return { topicId: t.topicId, partitions: t.partitions.length };
}

function fetchBody(
  partitions: readonly {
    topic: string;
    topicId?: string;
    partition: number;
    fetchOffset: bigint;
    partitionMaxBytes?: number;
  }[],
  options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; sessionId?: number } = {},
): Input<RequestByKey[typeof ApiKey.Fetch]> {
  // One topic entry per consecutive run of the same topic, as clients send them.
  const topics: {
    topic: string;
    topicId: string;
    partitions: { partition: number; fetchOffset: bigint; partitionMaxBytes: number }[];
  }[] = [];
  for (const p of partitions) {
    const last = topics.at(-1);
    const entry = {
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20,
    };
    if (last?.topic === p.topic) last.partitions.push(entry);
    else topics.push({ topic: p.topic, topicId: p.topicId ?? zeroUuid, partitions: [entry] });
  }
  return {
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: options.maxBytes ?? 1 << 20,
    sessionId: options.sessionId ?? 0,
    sessionEpoch: options.sessionId === undefined ? -1 : 1,
    topics,
  };
}

async function fetchRecords(
  client: WireClient,
  topic: string,
  fetchOffset: bigint,
  options: { version?: number; topicId?: string; partition?: number } = {},
): Promise<Uint8Array> {
  const response = await client.send(
    ApiKey.Fetch,
    options.version ?? 12,
    fetchBody(
      [
        {
          topic,
          partition: options.partition ?? 0,
          fetchOffset,
          ...(options.topicId === undefined ? {} : { topicId: options.topicId }),
        },
      ],
      // Data is expected: wait (bounded) until it is visible below the high watermark.
      { maxWaitMs: 2000, minBytes: 1 },
    ),
  );
  assert.equal(response.errorCode, 0);
  const p = response.responses[0]?.partitions[0];
  assert.equal(p?.errorCode, 0, "fetch partition error code");
  return p.records ?? new Uint8Array(0);
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// --------------------------------------------------------------------------------- tests

describe("an in-memory broker", () => {
  let broker: RunningBroker;
  let client: WireClient;

  before(async () => {
    broker = await startBroker({ inMemory: true, listen: "127.0.0.1:0", logger: silentLogger });
    client = await WireClient.connect(broker.bootstrap);
  });

  after(async () => {
    client.close();
    await broker.close();
  });

  test("bootstrap reports the port picked for port 0", () => {
    assert.notEqual(broker.port, 0);
    assert.equal(broker.bootstrap, `127.0.0.1:${broker.port}`);
  });

  test("ApiVersions advertises exactly the registered handlers, and nothing else", async () => {
    const expected = advertisedApis();
    for (const version of [0, 3, 4]) {
      const response = await client.send(ApiKey.ApiVersions, version, {
        clientSoftwareName: "samsa-test",
        clientSoftwareVersion: "1.0",
      });
      assert.equal(response.errorCode, 0);
      assert.deepEqual(
        response.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion })),
        expected,
        `ApiVersions v${version}`,
      );
    }
    for (const api of expected) {
      const spec = apiSpecs[api.apiKey as ApiKey];
      assert.ok(api.minVersion >= spec.versions.min && api.maxVersion <= spec.versions.max, `${spec.name} versions`);
    }
    // Nothing else is served: an API the protocol layer knows but the broker does not advertise,
    // and a version above an advertised range, close the connection.
    const advertised = new Set(expected.map((k) => k.apiKey));
    const specs = Object.values(apiSpecs) as { key: ApiKey; versions: { min: number; max: number } }[];
    const notServed = specs.find((spec) => !advertised.has(spec.key));
    const beyond = specs.find((spec) => {
      const api = expected.find((k) => k.apiKey === spec.key);
      return api !== undefined && api.apiKey !== ApiKey.ApiVersions && api.maxVersion < spec.versions.max;
    });
    for (const [apiKey, apiVersion] of [
      ...(notServed === undefined ? [] : [[notServed.key, notServed.versions.min] as const]),
      ...(beyond === undefined
        ? []
        : [[beyond.key, (expected.find((k) => k.apiKey === beyond.key)?.maxVersion ?? 0) + 1] as const]),
    ]) {
      const probe = await WireClient.connect(broker.bootstrap);
      probe.writeRaw(encodeRequestFrame({ apiKey, apiVersion, correlationId: 1, body: {} }));
      await probe.waitForClose(3000);
    }
  });

  test("every advertised API is served at every advertised version", async () => {
    let correlationId = 10_000;
    for (const api of advertisedApis()) {
      const apiKey = api.apiKey as ApiKey;
      // Defaults everywhere, except where a default would mean "no response" or an invalid name.
      const body =
        apiKey === ApiKey.Produce
          ? { acks: 1, timeoutMs: 1000 }
          : apiKey === ApiKey.ApiVersions
            ? { clientSoftwareName: "samsa-test", clientSoftwareVersion: "1.0" }
            : {};
      for (let apiVersion = api.minVersion; apiVersion <= api.maxVersion; apiVersion++) {
        const id = ++correlationId;
        const frame = await client.sendRaw(
          encodeRequestFrame({ apiKey, apiVersion, correlationId: id, clientId: "samsa-test", body }),
          id,
          5000,
        );
        const decoded = decodeResponseFrame(apiKey, apiVersion, frame);
        assert.equal(decoded.correlationId, id, `${apiSpecs[apiKey].name} v${apiVersion}`);
      }
    }
  });

  test("ApiVersions v3+ refuses malformed client software names with INVALID_REQUEST", async () => {
    const response = await client.send(ApiKey.ApiVersions, 3, {
      clientSoftwareName: "bad name!",
      clientSoftwareVersion: "1.0",
    });
    assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST);
  });

  test("Metadata auto-creates a topic when the client allows it, with num.partitions partitions", async () => {
    const topic = uniqueName("broker-auto");
    const refused = await client.send(ApiKey.Metadata, 12, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: false,
    });
    assert.equal(refused.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const { topicId, partitions } = await createTopic(client, topic);
    assert.notEqual(topicId, zeroUuid);
    assert.equal(partitions, 1);
    // By id (v10+), and an unknown id.
    const byId = await client.send(ApiKey.Metadata, 12, { topics: [{ name: null, topicId }] });
    assert.equal(byId.topics[0]?.name, topic);
    const unknownId = await client.send(ApiKey.Metadata, 12, {
      topics: [{ name: null, topicId: "0f0f0f0f-0000-4000-8000-000000000001" }],
    });
    assert.equal(unknownId.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    // v0 has no flag: it always may create; and an empty list means all topics.
    const viaV0 = uniqueName("broker-auto-v0");
    const v0 = await client.send(ApiKey.Metadata, 0, { topics: [{ name: viaV0 }] });
    assert.equal(v0.topics[0]?.errorCode, 0);
    const all = await client.send(ApiKey.Metadata, 0, { topics: [] });
    assert.ok(all.topics.some((t) => t.name === topic) && all.topics.some((t) => t.name === viaV0));
    // The one broker is this node, at the advertised address.
    assert.deepEqual(
      all.brokers.map((b) => [b.nodeId, b.host, b.port]),
      [[0, "127.0.0.1", broker.port]],
    );
  });

  test("Metadata refuses invalid topic names", async () => {
    const response = await client.send(ApiKey.Metadata, 12, {
      topics: [{ name: "no spaces allowed" }],
      allowAutoTopicCreation: true,
    });
    assert.equal(response.topics[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  test("Produce v3 and v11, then Fetch v4 and v17 (by topic id), return the stored bytes exactly", async () => {
    const topic = uniqueName("broker-roundtrip");
    const { topicId } = await createTopic(client, topic);
    const first = batchOf(["a", "b", "c"], { partitionLeaderEpoch: -1 });
    const second = batchOf(["d", "e"], { compression: "gzip" });
    const r1 = await produce(client, topic, first, { version: 3 });
    const r2 = await produce(client, topic, second, { version: 11 });
    assert.deepEqual(r1, { errorCode: 0, baseOffset: 0n });
    assert.deepEqual(r2, { errorCode: 0, baseOffset: 3n });
    const expected = Buffer.concat([storedAs(first, 0), storedAs(second, 3)]);
    const v4 = await fetchRecords(client, topic, 0n, { version: 4 });
    assert.deepEqual(Buffer.from(v4), expected);
    const v17 = await client.send(ApiKey.Fetch, 17, fetchBody([{ topic: "", topicId, partition: 0, fetchOffset: 0n }]));
    assert.equal(v17.responses[0]?.topicId, topicId);
    assert.deepEqual(Buffer.from(v17.responses[0]?.partitions[0]?.records ?? []), expected);
    assert.equal(v17.responses[0]?.partitions[0]?.highWatermark, 5n);
    assert.deepEqual(valuesIn(v4), ["a", "b", "c", "d", "e"]);
    // From the middle of the first batch: the whole batch comes back (clients skip what they did not ask for).
    assert.deepEqual(Buffer.from(await fetchRecords(client, topic, 1n)), expected);
    assert.deepEqual(Buffer.from(await fetchRecords(client, topic, 3n)), Buffer.from(storedAs(second, 3)));
    // An unknown topic id at v13+.
    const unknown = await client.send(
      ApiKey.Fetch,
      17,
      fetchBody([{ topic: "", topicId: "0f0f0f0f-0000-4000-8000-000000000002", partition: 0, fetchOffset: 0n }]),
    );
    assert.equal(unknown.responses[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  });

  test("Fetch long poll returns soon after a produce on another connection", async () => {
    const topic = uniqueName("broker-longpoll");
    await createTopic(client, topic);
    const consumer = await WireClient.connect(broker.bootstrap);
    try {
      const maxWaitMs = 5000;
      const started = Date.now();
      const fetching = consumer.send(
        ApiKey.Fetch,
        12,
        fetchBody([{ topic, partition: 0, fetchOffset: 0n }], { maxWaitMs, minBytes: 1 }),
      );
      await delay(100); // let the fetch park first: the wake-up is what is under test
      assert.equal((await produce(client, topic, batchOf(["wake up"]))).errorCode, 0);
      const response = await fetching;
      const elapsedMs = Date.now() - started;
      assert.ok(elapsedMs < maxWaitMs - 1000, `answered after ${elapsedMs} ms, well before max wait`);
      assert.deepEqual(valuesIn(response.responses[0]?.partitions[0]?.records ?? null), ["wake up"]);
    } finally {
      consumer.close();
    }
  });

  test("Fetch long poll returns after maxWaitMs when nothing arrives", async () => {
    const topic = uniqueName("broker-longpoll-idle");
    await createTopic(client, topic);
    const maxWaitMs = 300;
    const started = Date.now();
    const response = await client.send(
      ApiKey.Fetch,
      12,
      fetchBody([{ topic, partition: 0, fetchOffset: 0n }], { maxWaitMs, minBytes: 1 }),
    );
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs >= maxWaitMs - 5, `waited ${elapsedMs} ms`);
    assert.ok(elapsedMs < maxWaitMs + 2000, `but not much longer (${elapsedMs} ms)`);
    const p = response.responses[0]?.partitions[0];
    assert.equal(p?.errorCode, 0);
    assert.equal(p.records?.length ?? 0, 0);
  });

  test("Fetch honours partitionMaxBytes and maxBytes; the first partition with data gets at least one batch", async () => {
    // Two partitions in one response: the shared broker has num.partitions=1, so two topics.
    const topic = uniqueName("broker-limits");
    const other = uniqueName("broker-limits-b");
    await createTopic(client, topic);
    await createTopic(client, other);
    const padding = "x".repeat(1000);
    const batches = [0, 1, 2].map((i) => batchOf([`${i}-${padding}`]));
    const batchBytes = batches[0]?.length ?? 0;
    for (const b of batches) {
      assert.equal((await produce(client, topic, b)).errorCode, 0);
      assert.equal((await produce(client, other, Uint8Array.from(b))).errorCode, 0);
    }
    const both = (partitionMaxBytes: number, fromA = 0n): Parameters<typeof fetchBody>[0] => [
      { topic, partition: 0, fetchOffset: fromA, partitionMaxBytes },
      { topic: other, partition: 0, fetchOffset: 0n, partitionMaxBytes },
    ];
    const run = async (
      partitions: Parameters<typeof fetchBody>[0],
      maxBytes: number,
    ): Promise<[Uint8Array, Uint8Array]> => {
      const response = await client.send(ApiKey.Fetch, 12, fetchBody(partitions, { maxBytes }));
      const a = response.responses[0]?.partitions[0]?.records ?? new Uint8Array(0);
      const b = response.responses[1]?.partitions[0]?.records ?? new Uint8Array(0);
      return [a, b];
    };

    // Everything fits.
    let [a, b] = await run(both(1 << 20), 1 << 20);
    assert.deepEqual([batchCount(a), batchCount(b)], [3, 3]);
    // partitionMaxBytes below one batch: the first partition still gets one whole batch, the next none.
    [a, b] = await run(both(1), 1 << 20);
    assert.deepEqual([batchCount(a), batchCount(b)], [1, 0]);
    assert.ok(b.length <= 1);
    // Room for two and a half batches per partition: two whole batches each.
    const twoAndAHalf = Math.floor(batchBytes * 2.5);
    [a, b] = await run(both(twoAndAHalf), 1 << 20);
    assert.deepEqual([batchCount(a), batchCount(b)], [2, 2]);
    assert.ok(a.length <= twoAndAHalf && b.length <= twoAndAHalf);
    // maxBytes across the response: one and a half batches in all.
    const oneAndAHalf = Math.floor(batchBytes * 1.5);
    [a, b] = await run(both(1 << 20), oneAndAHalf);
    assert.deepEqual([batchCount(a), batchCount(b)], [1, 0]);
    assert.ok(a.length + b.length <= oneAndAHalf);
    // maxBytes of 1: still one batch, so a consumer can always make progress.
    [a, b] = await run(both(1 << 20), 1);
    assert.deepEqual([batchCount(a), batchCount(b)], [1, 0]);
    // When the first partition has nothing new, the first one with data gets the batch.
    [a, b] = await run(both(1 << 20, 3n), 1);
    assert.deepEqual([batchCount(a), batchCount(b)], [0, 1]);
  });

  test("Fetch with an unknown session id answers FETCH_SESSION_ID_NOT_FOUND", async () => {
    const topic = uniqueName("broker-session");
    await createTopic(client, topic);
    const response = await client.send(
      ApiKey.Fetch,
      12,
      fetchBody([{ topic, partition: 0, fetchOffset: 0n }], { sessionId: 12345 }),
    );
    assert.equal(response.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // A full fetch (session 0) is answered with session id 0: the broker keeps no sessions.
    const full = await client.send(ApiKey.Fetch, 12, fetchBody([{ topic, partition: 0, fetchOffset: 0n }]));
    assert.equal(full.errorCode, 0);
    assert.equal(full.sessionId, 0);
  });

  test("ListOffsets: earliest, latest, max timestamp and by timestamp", async () => {
    const topic = uniqueName("broker-offsets");
    await createTopic(client, topic);
    // offsets 0,1 at 1000,1001; 2,3,4 at 4000,5000,4500; 5 at 3000
    await produce(client, topic, batchOf(["a", "b"], { timestamps: [1000, 1001] }));
    await produce(client, topic, batchOf(["c", "d", "e"], { timestamps: [4000, 5000, 4500] }));
    await produce(client, topic, batchOf(["f"], { timestamps: [3000] }));
    const lookup = async (timestamp: bigint, version = 7): Promise<[number, bigint, bigint]> => {
      const response = await client.send(ApiKey.ListOffsets, version, {
        replicaId: -1,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1 }] }],
      });
      const p = response.topics[0]?.partitions[0];
      assert.ok(p !== undefined);
      return [p.errorCode, p.offset, p.timestamp];
    };
    assert.deepEqual(await lookup(-2n), [0, 0n, -1n], "earliest");
    assert.deepEqual(await lookup(-1n), [0, 6n, -1n], "latest");
    assert.deepEqual(await lookup(-1n, 1), [0, 6n, -1n], "latest at v1");
    assert.deepEqual(await lookup(-3n), [0, 3n, 5000n], "max timestamp: the record that has it");
    assert.deepEqual(await lookup(1001n), [0, 1n, 1001n], "exact timestamp");
    assert.deepEqual(await lookup(0n), [0, 0n, 1000n], "before everything");
    assert.deepEqual(await lookup(2000n), [0, 2n, 4000n], "first offset at or after");
    assert.deepEqual(await lookup(3000n), [0, 2n, 4000n], "the earliest offset, not the closest timestamp");
    assert.deepEqual(await lookup(4600n), [0, 3n, 5000n], "inside a batch");
    assert.deepEqual(await lookup(6000n), [0, -1n, -1n], "after everything");
    const unknown = await client.send(ApiKey.ListOffsets, 7, {
      topics: [{ name: uniqueName("broker-nope"), partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    assert.equal(unknown.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("InitProducerId hands out increasing ids; an idempotent producer's batches append", async () => {
    const init = async (
      producerId = -1n,
      producerEpoch = -1,
    ): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> =>
      client.send(ApiKey.InitProducerId, 4, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId,
        producerEpoch,
      });
    const first = await init();
    const second = await init();
    assert.equal(first.errorCode, 0);
    assert.equal(first.producerEpoch, 0);
    assert.ok(second.producerId > first.producerId, "ids increase");
    // As Kafka without a transactional id: a fresh id even when the client names its old one.
    const again = await init(first.producerId, 0);
    assert.ok(again.producerId > second.producerId, "a fresh id, not a bumped epoch");
    assert.equal(again.producerEpoch, 0);
    const transactional = await client.send(ApiKey.InitProducerId, 4, { transactionalId: "tx-1", producerId: -1n });
    assert.notEqual(transactional.errorCode, 0, "transactions are not served yet");

    const topic = uniqueName("broker-idempotent");
    await createTopic(client, topic);
    const { producerId } = second;
    const idempotent = (values: string[], baseSequence: number): Uint8Array =>
      batchOf(values, { producerId, producerEpoch: 0, baseSequence });
    assert.deepEqual(await produce(client, topic, idempotent(["i0", "i1", "i2"], 0)), { errorCode: 0, baseOffset: 0n });
    assert.deepEqual(await produce(client, topic, idempotent(["i3", "i4"], 3)), { errorCode: 0, baseOffset: 3n });
    // A retry of an appended batch gets its original offset and is not stored twice.
    assert.deepEqual(await produce(client, topic, idempotent(["i3", "i4"], 3)), { errorCode: 0, baseOffset: 3n });
    // A gap in the sequence is refused.
    const gap = await produce(client, topic, idempotent(["i9"], 9));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const stored = await fetchRecords(client, topic, 0n);
    assert.deepEqual(valuesIn(stored), ["i0", "i1", "i2", "i3", "i4"]);
    const headers = [...iterateBatches(stored)].map((b) => b.header);
    assert.deepEqual(
      headers.map((h) => [h.producerId, h.producerEpoch, h.baseSequence]),
      [
        [producerId, 0, 0],
        [producerId, 0, 3],
      ],
    );
  });
});

describe("a broker with auto.create.topics.enable=false", () => {
  test("Metadata and Produce for an unknown topic answer UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: silentLogger,
      settings: { "auto.create.topics.enable": "false" },
    });
    const client = await WireClient.connect(broker.bootstrap);
    try {
      const topic = uniqueName("broker-noauto");
      const v12 = await client.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: true });
      assert.equal(v12.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const v0 = await client.send(ApiKey.Metadata, 0, { topics: [{ name: topic }] });
      assert.equal(v0.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const produced = await produce(client, topic, batchOf(["nope"]));
      assert.equal(produced.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const all = await client.send(ApiKey.Metadata, 12, { topics: null });
      assert.ok(!all.topics.some((t) => t.name === topic), "nothing was created");
    } finally {
      client.close();
      await broker.close();
    }
  });

  test("num.partitions sets the partition count of auto-created topics", async () => {
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: silentLogger,
      settings: { "num.partitions": "3" },
    });
    const client = await WireClient.connect(broker.bootstrap);
    try {
      const topic = uniqueName("broker-three");
      assert.equal((await createTopic(client, topic)).partitions, 3);
      for (const partition of [0, 1, 2]) {
        assert.equal((await produce(client, topic, batchOf([`p${partition}`]), { partition })).errorCode, 0);
      }
      const outOfRange = await produce(client, topic, batchOf(["p3"]), { partition: 3 });
      assert.equal(outOfRange.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.deepEqual(valuesIn(await fetchRecords(client, topic, 0n, { partition: 2 })), ["p2"]);
    } finally {
      client.close();
      await broker.close();
    }
  });
});

describe("a broker on disk", () => {
  test("a restart keeps topics (same topic id) and data", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "samsa-broker-restart-"));
    try {
      const topic = uniqueName("broker-restart");
      const batch = batchOf(["kept-1", "kept-2"]);
      let topicId: string;
      let stored: Uint8Array;
      {
        const broker = await startBroker({ dataDir, listen: "127.0.0.1:0", logger: silentLogger });
        const client = await WireClient.connect(broker.bootstrap);
        try {
          ({ topicId } = await createTopic(client, topic));
          // acks=all: answered once durable, when the high watermark (what consumers see) has moved.
          assert.deepEqual(await produce(client, topic, batch, { acks: -1 }), { errorCode: 0, baseOffset: 0n });
          stored = await fetchRecords(client, topic, 0n);
          assert.deepEqual(Buffer.from(stored), Buffer.from(storedAs(batch, 0)));
        } finally {
          client.close();
          await broker.close();
        }
      }
      assert.ok(existsSync(join(dataDir, ".clean-shutdown")), "a clean shutdown is marked");
      const broker = await startBroker({ dataDir, listen: "127.0.0.1:0", logger: silentLogger });
      const client = await WireClient.connect(broker.bootstrap);
      try {
        const metadata = await client.send(ApiKey.Metadata, 12, { topics: null });
        const found = metadata.topics.find((t) => t.name === topic);
        assert.equal(found?.topicId, topicId, "same topic id after the restart");
        assert.deepEqual(Buffer.from(await fetchRecords(client, topic, 0n)), Buffer.from(stored));
        assert.deepEqual(
          Buffer.from(await fetchRecords(client, topic, 0n, { version: 17, topicId })),
          Buffer.from(stored),
        );
        // Offsets continue where they were.
        assert.deepEqual(await produce(client, topic, batchOf(["after"]), { acks: -1 }), {
          errorCode: 0,
          baseOffset: 2n,
        });
      } finally {
        client.close();
        await broker.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("the metrics endpoint", () => {
  test("serves Prometheus text with request counts by API, and /health", async () => {
    const broker = await startBroker({
      inMemory: true,
      listen: "127.0.0.1:0",
      logger: silentLogger,
      settings: { "samsa.metrics.listen": "127.0.0.1:0" },
    });
    const client = await WireClient.connect(broker.bootstrap);
    try {
      const url = broker.metricsUrl;
      assert.ok(url !== undefined, "metricsUrl is set");
      const port = Number(/^http:\/\/127\.0\.0\.1:(\d+)$/.exec(url)?.[1]);
      assert.ok(port > 0, `metricsUrl has the real port: ${url}`);
      const topic = uniqueName("broker-metrics");
      for (let i = 0; i < 3; i++)
        await client.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: true });
      for (let i = 0; i < 2; i++) await client.send(ApiKey.ApiVersions, 0, {});
      await produce(client, topic, batchOf(["m"]));

      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
      const body = await response.text();
      assert.match(body, /^# TYPE samsa_requests_total counter$/m);
      assert.match(body, /^samsa_requests_total\{api="Metadata"\} 3$/m);
      assert.match(body, /^samsa_requests_total\{api="ApiVersions"\} 2$/m);
      assert.match(body, /^samsa_requests_total\{api="Produce"\} 1$/m);
      assert.doesNotMatch(body, /api="Fetch"/, "no series for APIs never called");
      assert.match(body, /^samsa_connections 1$/m);
      assert.match(body, /^samsa_request_duration_seconds_count\{api="Metadata"\} 3$/m);
      assert.match(body, new RegExp(`^samsa_partition_log_end_offset\\{topic="${topic}",partition="0"\\} 1$`, "m"));
      // Every sample line is `name{labels} number`.
      for (const line of body.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
        assert.match(line, /^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/, line);
      }

      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok", clusterId: broker.clusterId });
      assert.equal((await fetch(`${url}/nothing-here`)).status, 404);
    } finally {
      client.close();
      await broker.close();
    }
  });
});
