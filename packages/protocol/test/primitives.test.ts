// Primitive types: known encodings from the protocol guide, bounds, and properties.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../src/index.ts";
import { ReadError } from "../src/errors.ts";
import { Reader } from "../src/primitives/reader.ts";
import { Writer } from "../src/primitives/writer.ts";

const bytesOf = (write: (w: Writer) => void): number[] => {
  const w = new Writer(4);
  write(w);
  return [...w.toBytes()];
};

describe("varints", () => {
  test("known unsigned varint encodings", () => {
    assert.deepEqual(
      bytesOf((w) => w.uvarint(0)),
      [0],
    );
    assert.deepEqual(
      bytesOf((w) => w.uvarint(127)),
      [0x7f],
    );
    assert.deepEqual(
      bytesOf((w) => w.uvarint(128)),
      [0x80, 0x01],
    );
    assert.deepEqual(
      bytesOf((w) => w.uvarint(300)),
      [0xac, 0x02],
    );
    assert.deepEqual(
      bytesOf((w) => w.uvarint(2 ** 32 - 1)),
      [0xff, 0xff, 0xff, 0xff, 0x0f],
    );
  });
  test("zigzag encodings", () => {
    assert.deepEqual(
      bytesOf((w) => w.varint(0)),
      [0],
    );
    assert.deepEqual(
      bytesOf((w) => w.varint(-1)),
      [1],
    );
    assert.deepEqual(
      bytesOf((w) => w.varint(1)),
      [2],
    );
    assert.deepEqual(
      bytesOf((w) => w.varint(-2147483648)),
      [0xff, 0xff, 0xff, 0xff, 0x0f],
    );
    assert.deepEqual(
      bytesOf((w) => w.varlong(-1n)),
      [1],
    );
    assert.deepEqual(
      bytesOf((w) => w.varlong(-(2n ** 63n))),
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    );
  });
  test("round trips", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        assert.equal(new Reader(Uint8Array.from(bytesOf((w) => w.varint(n)))).varint(), n);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        assert.equal(new Reader(Uint8Array.from(bytesOf((w) => w.varlong(n)))).varlong(), n);
      }),
    );
  });
  test("overlong varints are rejected", () => {
    assert.throws(() => new Reader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).uvarint(), ReadError);
    assert.throws(() => new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f])).uvarint(), ReadError);
    assert.throws(() => new Reader(Uint8Array.from(new Array<number>(11).fill(0x80))).varlong(), ReadError);
    assert.throws(() => new Reader(Uint8Array.from([0x80])).uvarint(), ReadError);
  });
});

describe("strings, bytes, arrays", () => {
  test("classic and compact strings, nulls", () => {
    assert.deepEqual(
      bytesOf((w) => w.string("ab", false)),
      [0, 2, 0x61, 0x62],
    );
    assert.deepEqual(
      bytesOf((w) => w.string("ab", true)),
      [3, 0x61, 0x62],
    );
    assert.deepEqual(
      bytesOf((w) => w.nullableString(null, false)),
      [0xff, 0xff],
    );
    assert.deepEqual(
      bytesOf((w) => w.nullableString(null, true)),
      [0],
    );
    assert.deepEqual(
      bytesOf((w) => w.nullableBytes(null, false)),
      [0xff, 0xff, 0xff, 0xff],
    );
    assert.equal(new Reader(Uint8Array.from([0, 2, 0xc3, 0xa9])).string(false), "é");
    assert.throws(() => new Reader(Uint8Array.from([0xff, 0xff])).string(false), ReadError);
    assert.throws(() => new Reader(Uint8Array.from([0, 5, 0x61])).string(false), ReadError);
  });
  test("bytes are views into the frame, not copies", () => {
    const frame = Uint8Array.from([0, 0, 0, 2, 9, 8]);
    const b = new Reader(frame).bytesField(false);
    assert.equal(b.buffer, frame.buffer);
    assert.deepEqual([...b], [9, 8]);
  });
  test("array lengths are checked against the bytes left", () => {
    const r = new Reader(Uint8Array.from([0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]));
    assert.throws(() => r.arrayLength(false, 4), /cannot fit/);
    assert.equal(new Reader(Uint8Array.from([0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8])).arrayLength(false, 4), 2);
    assert.equal(new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff])).arrayLength(false, 1), -1);
  });
  test("uuid", () => {
    const id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const bytes = Uint8Array.from(bytesOf((w) => w.uuid(id)));
    assert.equal(bytes.length, 16);
    assert.equal(new Reader(bytes).uuid(), id);
    assert.throws(() => new Writer().uuid("not-a-uuid"), TypeError);
  });
  test("tagged fields: unknown tags are skipped, overruns rejected", () => {
    // two tagged fields: tag 5 (2 bytes), tag 9 (1 byte); then one more byte.
    const r = new Reader(Uint8Array.from([2, 5, 2, 0xaa, 0xbb, 9, 1, 0xcc, 0x42]));
    const seen: number[] = [];
    r.taggedFields((tag) => {
      seen.push(tag);
      if (tag === 9) {
        assert.equal(r.uint8(), 0xcc);
        return true;
      }
      return false;
    });
    assert.deepEqual(seen, [5, 9]);
    assert.equal(r.uint8(), 0x42);
    assert.throws(() => new Reader(Uint8Array.from([1, 0, 9, 1])).taggedFields(() => false), /overruns/);
    // A known field that reads less than its declared size is malformed.
    assert.throws(
      () =>
        new Reader(Uint8Array.from([1, 0, 2, 1, 2])).taggedFields(() => {
          return true;
        }),
      /unread/,
    );
  });
});

describe("writer", () => {
  test("large byte fields are referenced, not copied; toBytes joins them", () => {
    const big = new Uint8Array(10_000).fill(7);
    const w = new Writer(16);
    w.int32(0);
    w.nullableBytes(big, false);
    w.int8(1);
    const chunks = w.chunksView();
    assert.ok(chunks.includes(big));
    w.patchInt32(0, w.length - 4);
    const all = w.toBytes();
    assert.equal(all.length, 4 + 4 + 10_000 + 1);
    assert.equal(new DataView(all.buffer, all.byteOffset).getInt32(0), all.length - 4);
  });
  test("grows across many writes", () => {
    const w = new Writer(1);
    for (let i = 0; i < 10_000; i++) w.int64(BigInt(i));
    const r = new Reader(w.toBytes());
    for (let i = 0; i < 10_000; i++) assert.equal(r.int64(), BigInt(i));
  });
});

test("DecodeError names API, version and path", () => {
  const e = new DecodeError({
    api: "FetchRequest",
    version: 12,
    path: "FetchRequest.topics[].partitions",
    reason: "x",
  });
  assert.match(e.message, /FetchRequest v12 at FetchRequest\.topics\[\]\.partitions: x/);
});
