// Frames: header version rules, whole request/response frames, and the stream splitter.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ApiKey,
  apiSpecs,
  decodeRequestFrame,
  decodeRequestFrameHeader,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  errorInfo,
  ErrorCode,
  FrameSizeError,
  FrameSplitter,
  requestHeaderVersion,
  responseHeaderVersion,
} from "../src/index.ts";

const join = (chunks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

describe("header versions", () => {
  test("request header v2 for flexible versions, v1 otherwise", () => {
    assert.equal(requestHeaderVersion(ApiKey.Metadata, 8), 1);
    assert.equal(requestHeaderVersion(ApiKey.Metadata, 9), 2);
    assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
  });
  test("response header v1 for flexible versions, but ApiVersions always v0", () => {
    assert.equal(responseHeaderVersion(ApiKey.Fetch, 11), 0);
    assert.equal(responseHeaderVersion(ApiKey.Fetch, 12), 1);
    assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0);
    assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 4), 0);
  });
  test("the registry has the 72 broker APIs with sane versions", () => {
    const specs = Object.values(apiSpecs);
    assert.equal(specs.length, 72);
    for (const s of specs) assert.ok(s.versions.min <= s.versions.max, s.name);
  });
});

describe("request frames", () => {
  test("Metadata v12 round trip through a frame", () => {
    const frame = encodeRequestFrame({
      apiKey: ApiKey.Metadata,
      apiVersion: 12,
      correlationId: 42,
      clientId: "samsa-test",
      body: {
        topics: [{ topicId: "00000000-0000-0000-0000-000000000000", name: "orders" }],
        allowAutoTopicCreation: true,
      },
    });
    const size = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
    assert.equal(size, frame.length - 4);
    const decoded = decodeRequestFrame(frame.subarray(4));
    assert.equal(decoded.apiKey, ApiKey.Metadata);
    assert.equal(decoded.header.correlationId, 42);
    assert.equal(decoded.header.clientId, "samsa-test");
    if (decoded.apiKey !== ApiKey.Metadata) assert.fail("wrong api");
    assert.equal(decoded.body.topics?.[0]?.name, "orders");
    assert.equal(decoded.body.allowAutoTopicCreation, true);
  });
  test("an unsupported version still yields the header, for an UNSUPPORTED_VERSION answer", () => {
    const frame = encodeRequestFrame({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 0,
      correlationId: 7,
      clientId: "c",
      body: {},
    });
    const bytes = Uint8Array.from(frame.subarray(4));
    new DataView(bytes.buffer).setInt16(2, 99);
    const { header, supported } = decodeRequestFrameHeader(bytes);
    assert.equal(supported, false);
    assert.equal(header.requestApiVersion, 99);
    assert.equal(header.correlationId, 7);
    assert.equal(header.clientId, "c");
  });
});

describe("response frames", () => {
  test("ApiVersions v3 response uses header v0 (no tagged fields after the correlation id)", () => {
    const chunks = encodeResponseFrame({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 3,
      correlationId: 5,
      body: { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }] },
    });
    const frame = join(chunks).subarray(4);
    // correlation id, then directly the int16 error code.
    assert.deepEqual([...frame.subarray(0, 6)], [0, 0, 0, 5, 0, 0]);
    const decoded = decodeResponseFrame(ApiKey.ApiVersions, 3, frame);
    assert.equal(decoded.correlationId, 5);
    assert.equal(decoded.body.apiKeys[0]?.maxVersion, 11);
  });
  test("large fetch records are passed through as their own chunk", () => {
    const records = new Uint8Array(64 * 1024).fill(3);
    const chunks = encodeResponseFrame({
      apiKey: ApiKey.Fetch,
      apiVersion: 16,
      correlationId: 1,
      body: {
        responses: [{ topicId: "11111111-2222-3333-4444-555555555555", partitions: [{ partitionIndex: 0, records }] }],
      },
    });
    assert.ok(chunks.includes(records), "records are referenced, not copied");
    const decoded = decodeResponseFrame(ApiKey.Fetch, 16, join(chunks).subarray(4));
    assert.equal(decoded.body.responses[0]?.partitions[0]?.records?.length, records.length);
  });
});

describe("FrameSplitter", () => {
  test("splits frames however the stream is chunked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
        (payloads, cuts) => {
          const stream = join(
            payloads.map((p) => {
              const f = new Uint8Array(4 + p.length);
              new DataView(f.buffer).setInt32(0, p.length);
              f.set(p, 4);
              return f;
            }),
          );
          const splitter = new FrameSplitter({ frameBytesMax: 1024 });
          const out: Uint8Array[] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const n = cuts[i++ % cuts.length] ?? 1;
            out.push(...splitter.push(stream.subarray(at, at + n)));
            at += n;
          }
          assert.deepEqual(
            out.map((f) => [...f]),
            payloads.map((p) => [...p]),
          );
          assert.equal(splitter.bufferedBytes, 0);
        },
      ),
    );
  });
  test("frames stay intact across small and large reads, whatever comes after them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 500, max: 5000 })), {
          minLength: 1,
          maxLength: 10,
        }),
        (payloads, cuts) => {
          const stream = join(
            payloads.map((p) => {
              const f = new Uint8Array(4 + p.length);
              new DataView(f.buffer).setInt32(0, p.length);
              f.set(p, 4);
              return f;
            }),
          );
          const splitter = new FrameSplitter({ frameBytesMax: 4096 });
          const out: Uint8Array[] = [];
          for (let at = 0, i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            // A fresh copy per read, as a socket delivers it.
            out.push(...splitter.push(stream.slice(at, at + n)));
            at += n;
          }
          assert.deepEqual(
            out.map((f) => [...f]),
            payloads.map((p) => [...p]),
          );
          assert.equal(splitter.bufferedBytes, 0);
        },
      ),
    );
  });
  test("a frame trickled in one byte per read is held in a few buffers, not one per read", () => {
    // Regression (live fuzz): 4 connections trickling ~700 KB each grew the broker by ~530 MB.
    const size = 1 << 20;
    const splitter = new FrameSplitter({ frameBytesMax: size });
    assert.deepEqual(splitter.push(Uint8Array.from([0, 0x10, 0, 0])), []);
    const trickled = 100_000;
    for (let i = 0; i < trickled; i++) assert.deepEqual(splitter.push(Uint8Array.of(i & 0xff)), []);
    assert.equal(splitter.bufferedBytes, 4 + trickled);
    assert.ok(splitter.bufferedChunks <= Math.ceil(trickled / 1024) + 1, `${splitter.bufferedChunks} buffers`);
    const rest = Uint8Array.from({ length: size - trickled }, (_, i) => (trickled + i) & 0xff);
    const frames = splitter.push(rest);
    assert.equal(frames.length, 1);
    const frame = frames[0] ?? new Uint8Array(0);
    assert.equal(frame.length, size);
    assert.ok(frame.every((b, i) => b === (i & 0xff)));
    assert.equal(splitter.bufferedBytes, 0);
  });
  test("oversized and negative sizes are refused", () => {
    assert.throws(
      () => new FrameSplitter({ frameBytesMax: 100 }).push(Uint8Array.from([0, 0, 0, 101])),
      FrameSizeError,
    );
    assert.throws(
      () => new FrameSplitter({ frameBytesMax: 100 }).push(Uint8Array.from([0xff, 0xff, 0xff, 0xff])),
      FrameSizeError,
    );
  });
});

test("error table", () => {
  assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
  assert.equal(errorInfo(3).retriable, true);
  assert.equal(errorInfo(ErrorCode.UNSUPPORTED_VERSION).name, "UNSUPPORTED_VERSION");
  assert.equal(errorInfo(ErrorCode.NOT_LEADER_OR_FOLLOWER).retriable, true);
  assert.equal(errorInfo(ErrorCode.TOPIC_AUTHORIZATION_FAILED).retriable, false);
  assert.equal(errorInfo(9999).name, "UNKNOWN");
});
