// Compression codecs: round trips, output limits against decompression bombs, snappy-java framing
// (and raw snappy), and the LZ4 frame format Kafka expects.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import fc from "fast-check";
import { compressFrameSync, compressSync as lz4RawBlock, decompressFrameSync } from "lz4-napi";
import { compressSync as snappyRawCompress } from "snappy";
import { DecodeError } from "../../src/errors.ts";
import { compress, compressionCodecOf, compressionCodecs, compressionId, decompress } from "../../src/records/index.ts";
import { xxh32 } from "../../src/records/compression.ts";
import { hex } from "./arbitraries.ts";

function assertDecodeError(fn: () => unknown, reason?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DecodeError, `expected DecodeError, got ${String(error)}`);
    if (reason !== undefined) assert.match(error.reason, reason);
    return true;
  });
}

function text(bytes: number): Uint8Array {
  const words = ["kafka", "samsa", "record", "batch", "offset", "partition", "leader", "epoch"];
  let s = "";
  for (let i = 0; s.length < bytes; i++) s += `${words[(i * 7) % words.length] ?? ""} ${i % 97} `;
  return Buffer.from(s.slice(0, bytes));
}

function random(bytes: number): Uint8Array {
  let x = 0x9e3779b9;
  return Uint8Array.from({ length: bytes }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

const samples: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["1 byte", Uint8Array.of(7)],
  ["100 bytes of text", text(100)],
  ["32 KiB - 1", text(32 * 1024 - 1)],
  ["32 KiB", text(32 * 1024)],
  ["32 KiB + 1", text(32 * 1024 + 1)],
  ["1 MiB of text", text(1024 * 1024)],
  ["1 MiB random", random(1024 * 1024)],
];

describe("codec ids", () => {
  test("ids follow Kafka's attribute bits", () => {
    assert.deepEqual(
      compressionCodecs.map((c) => compressionId(c)),
      [0, 1, 2, 3, 4],
    );
    assert.equal(compressionCodecOf(3), "lz4");
    assert.equal(compressionCodecOf(5), undefined);
  });
});

describe("round trips", () => {
  for (const codec of compressionCodecs) {
    for (const [name, data] of samples) {
      test(`${codec}: ${name}`, () => {
        const compressed = compress(codec, data);
        const out = decompress(codec, compressed, { maxBytes: data.length });
        assert.ok(Buffer.from(out).equals(data));
        if (data.length > 0) assertDecodeError(() => decompress(codec, compressed, { maxBytes: data.length - 1 }));
      });
    }
  }

  test("compression levels for gzip and zstd", () => {
    const data = text(200_000);
    for (const codec of ["gzip", "zstd"] as const) {
      const fast = compress(codec, data, { level: 1 });
      const best = compress(codec, data, { level: codec === "gzip" ? 9 : 19 });
      assert.notEqual(hex(best), hex(fast), "the level reaches the compressor");
      assert.ok(Buffer.from(decompress(codec, best, { maxBytes: data.length })).equals(data));
    }
  });

  test("property: arbitrary bytes round trip through every codec", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom(...compressionCodecs), (data, codec) => {
        assert.ok(Buffer.from(decompress(codec, compress(codec, data), { maxBytes: data.length })).equals(data));
      }),
      { numRuns: 300 },
    );
  });
});

describe("decompression bombs are stopped at maxBytes", () => {
  const zeros = new Uint8Array(16 * 1024 * 1024);
  for (const codec of compressionCodecs.filter((c) => c !== "none")) {
    test(codec, () => {
      const bomb = compress(codec, zeros);
      assert.ok(bomb.length < zeros.length / 20);
      assertDecodeError(() => decompress(codec, bomb, { maxBytes: 1024 * 1024 }));
    });
  }

  test("maxBytes must be a byte count", () => {
    assert.throws(() => decompress("gzip", new Uint8Array(0), { maxBytes: -1 }), RangeError);
    assert.throws(() => decompress("gzip", new Uint8Array(0), { maxBytes: 1.5 }), RangeError);
  });
});

describe("snappy", () => {
  const xerialHeader = "82534e415050590000000001" + "00000001";

  test("encodes snappy-java's framing: magic, versions, then 32 KiB chunks", () => {
    const data = text(100_000);
    const framed = Buffer.from(compress("snappy", data));
    assert.equal(framed.subarray(0, 16).toString("hex"), xerialHeader);
    let at = 16;
    let chunks = 0;
    while (at < framed.length) {
      const n = framed.readInt32BE(at);
      const declared = Buffer.from(
        decompress("snappy", framed.subarray(at + 4, at + 4 + n), { maxBytes: 32 * 1024 }),
      ).length;
      assert.ok(declared <= 32 * 1024);
      at += 4 + n;
      chunks++;
    }
    assert.equal(at, framed.length);
    assert.equal(chunks, Math.ceil(data.length / (32 * 1024)));
  });

  test("decodes raw snappy blocks (as librdkafka and some clients write)", () => {
    for (const [, data] of samples) {
      const raw = snappyRawCompress(data);
      assert.ok(Buffer.from(decompress("snappy", raw, { maxBytes: data.length })).equals(data));
    }
  });

  test("decodes concatenated snappy-java streams and skips empty chunks", () => {
    const a = text(40_000);
    const b = random(1000);
    const both = Buffer.concat([compress("snappy", a), Buffer.alloc(4), compress("snappy", b)]);
    assert.ok(Buffer.from(decompress("snappy", both, { maxBytes: 41_000 })).equals(Buffer.concat([a, b])));
  });

  test("a declared length beyond the limit is refused before decompressing", () => {
    const hostile = Buffer.from("ffffffff0f00", "hex"); // declares 4 GiB - 1
    assertDecodeError(() => decompress("snappy", hostile, { maxBytes: 1024 * 1024 }), /declared bytes exceed/);
    const framed = Buffer.concat([Buffer.from(xerialHeader, "hex"), Buffer.from("00000006ffffffff0f00", "hex")]);
    assertDecodeError(() => decompress("snappy", framed, { maxBytes: 1024 * 1024 }), /declared bytes/);
  });

  test("malformed framing and blocks", () => {
    const header = Buffer.from(xerialHeader, "hex");
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["truncated stream header", header.subarray(0, 12)],
      ["truncated chunk length", Buffer.concat([header, Buffer.from("0000", "hex")])],
      ["negative chunk length", Buffer.concat([header, Buffer.from("ffffffff00", "hex")])],
      ["chunk overruns", Buffer.concat([header, Buffer.from("0000000a0101", "hex")])],
      ["block shorter than declared", snappyRawCompress(text(100)).subarray(0, 20)],
      ["varint longer than 5 bytes", Buffer.from("ffffffffff01", "hex")],
    ];
    for (const [name, input] of cases) {
      assert.throws(() => decompress("snappy", input, { maxBytes: 1 << 20 }), DecodeError, name);
    }
  });
});

describe("lz4", () => {
  const data = text(300_000);

  test("xxh32 known answers, and agreement with lz4-napi's block and content checksums", () => {
    assert.equal(xxh32(new Uint8Array(0)), 0x02cc5d05);
    assert.equal(xxh32(Buffer.from("a")), 0x550d7456);
    assert.equal(xxh32(Buffer.from("abc")), 0x32d153ff);
    assert.equal(xxh32(Buffer.from("Nobody inspects the spammish repetition")), 0xe2293b2f);
    for (const input of [text(15), text(16), text(1000), random(70_001)]) {
      const frame = compressFrameSync(Buffer.from(input), { contentChecksum: true });
      assert.equal(frame.readUInt32LE(frame.length - 4), xxh32(input));
    }
  });

  test("writes Kafka's frame: magic, version 1, independent 64 KiB blocks, correct header checksum", () => {
    for (const input of [text(100), data, random(100_000), new Uint8Array(0)]) {
      const frame = Buffer.from(compress("lz4", input));
      assert.equal(frame.readUInt32LE(0), 0x184d2204);
      assert.equal(frame[4], 0x60, "FLG: version 01, independent blocks, no checksums");
      assert.equal(frame[5], 0x40, "BD: 64 KiB blocks");
      assert.equal(frame[6], (xxh32(frame.subarray(4, 6)) >>> 8) & 0xff);
      assert.equal(frame.readUInt32LE(frame.length - 4), 0, "ends with the end mark");
      // An independent decoder reads it back.
      assert.ok(decompressFrameSync(frame).equals(input));
    }
  });

  test("incompressible blocks are stored uncompressed", () => {
    const input = random(100_000);
    const frame = Buffer.from(compress("lz4", input));
    assert.equal(frame.readUInt32LE(7), (0x80000000 | 65536) >>> 0);
    assert.ok(Buffer.from(decompress("lz4", frame, { maxBytes: input.length })).equals(input));
  });

  test("reads lz4-napi's own frames (4 MiB blocks, checksums)", () => {
    for (const options of [{}, { blockChecksums: true }, { contentChecksum: true, blockChecksums: true }]) {
      const frame = compressFrameSync(Buffer.from(data), options);
      assert.ok(Buffer.from(decompress("lz4", frame, { maxBytes: data.length })).equals(data));
      assertDecodeError(() => decompress("lz4", frame, { maxBytes: data.length - 1 }), /more than/);
    }
  });

  /** Rewrites FLG (and optionally inserts a content size) and fixes the header checksum. */
  function reframe(frame: Uint8Array, options: { flg?: number; contentBytes?: bigint }): Buffer {
    const b = Buffer.from(frame);
    const flg = (options.flg ?? b[4] ?? 0) | (options.contentBytes === undefined ? 0 : 0x08);
    const size = Buffer.alloc(options.contentBytes === undefined ? 0 : 8);
    if (options.contentBytes !== undefined) size.writeBigUInt64LE(options.contentBytes);
    const descriptor = Buffer.concat([Uint8Array.of(flg, b[5] ?? 0), size]);
    const checksum = (xxh32(descriptor) >>> 8) & 0xff;
    return Buffer.concat([b.subarray(0, 4), descriptor, Uint8Array.of(checksum), b.subarray(7)]);
  }

  test("block and content checksums are verified", () => {
    const frame = compressFrameSync(Buffer.from(data), { blockChecksums: true, contentChecksum: true });
    // The last 12 bytes: block checksum, end mark, content checksum.
    const badBlockChecksum = Buffer.from(frame);
    badBlockChecksum[frame.length - 12] = (badBlockChecksum[frame.length - 12] ?? 0) ^ 1;
    assertDecodeError(() => decompress("lz4", badBlockChecksum, { maxBytes: data.length }), /block checksum/);
    const badContentChecksum = Buffer.from(frame);
    badContentChecksum[frame.length - 1] = (badContentChecksum[frame.length - 1] ?? 0) ^ 1;
    assertDecodeError(() => decompress("lz4", badContentChecksum, { maxBytes: data.length }), /content checksum/);
  });

  test("a content size in the header is checked against the limit", () => {
    const frame = reframe(compress("lz4", data), { contentBytes: BigInt(data.length) });
    assert.ok(Buffer.from(decompress("lz4", frame, { maxBytes: data.length })).equals(data));
    assertDecodeError(() => decompress("lz4", frame, { maxBytes: data.length - 1 }), /content size/);
    const wrongSize = reframe(compress("lz4", data), { contentBytes: BigInt(data.length - 1) });
    assertDecodeError(() => decompress("lz4", wrongSize, { maxBytes: data.length }), /declares/);
  });

  test("the limit is enforced across blocks and inside a block", () => {
    const frame = compress("lz4", data); // 64 KiB blocks
    for (const limit of [0, 1, 65_535, 65_536, 65_537, 200_000, data.length - 1]) {
      assertDecodeError(() => decompress("lz4", frame, { maxBytes: limit }), /more than/);
    }
    assert.equal(decompress("lz4", frame, { maxBytes: data.length }).length, data.length);
  });

  test("uncompressed blocks are accepted", () => {
    const header = reframe(
      Buffer.concat([Buffer.from("04224d18", "hex"), Uint8Array.of(0x60, 0x40, 0), Buffer.alloc(4)]),
      {},
    );
    const payload = random(1000);
    const size = Buffer.alloc(4);
    size.writeUInt32LE((0x80000000 | payload.length) >>> 0);
    const frame = Buffer.concat([header.subarray(0, 7), size, payload, Buffer.alloc(4)]);
    assert.ok(Buffer.from(decompress("lz4", frame, { maxBytes: 1000 })).equals(payload));
    assert.ok(Buffer.from(decompress("lz4", frame, { maxBytes: 10_000 })).equals(payload));
  });

  test("what Kafka refuses is refused: dependent blocks, dictionary ids, bad checksum, bad version, missing end mark", () => {
    const frame = compress("lz4", data);
    const flg = frame[4] ?? 0;
    assertDecodeError(
      () => decompress("lz4", reframe(frame, { flg: flg & ~0x20 }), { maxBytes: 1 << 20 }),
      /dependent/,
    );
    assertDecodeError(
      () => decompress("lz4", reframe(frame, { flg: flg | 0x01 }), { maxBytes: 1 << 20 }),
      /dictionary/,
    );
    assertDecodeError(
      () => decompress("lz4", reframe(frame, { flg: (flg & 0x3f) | 0x80 }), { maxBytes: 1 << 20 }),
      /version/,
    );
    const badChecksum = Buffer.from(frame);
    badChecksum[6] = (badChecksum[6] ?? 0) ^ 0xff;
    assertDecodeError(() => decompress("lz4", badChecksum, { maxBytes: 1 << 20 }), /checksum/);
    assertDecodeError(() => decompress("lz4", frame.subarray(0, frame.length - 4), { maxBytes: 1 << 20 }), /end mark/);
    assertDecodeError(() => decompress("lz4", Buffer.from("04224d18", "hex"), { maxBytes: 1 << 20 }), /truncated/);
    assertDecodeError(() => decompress("lz4", random(100), { maxBytes: 1 << 20 }), /magic/);
  });

  test("a block declaring more than the frame's block maximum is refused", () => {
    const frame = Buffer.from(compress("lz4", text(100)));
    frame[5] = 0x40; // 64 KiB blocks
    const fixed = reframe(frame, {});
    fixed.writeUInt32LE(70_000, 7);
    assertDecodeError(() => decompress("lz4", fixed, { maxBytes: 1 << 20 }), /exceeds/);
  });

  test("a block that inflates past the frame's block maximum is refused", () => {
    const block = lz4RawBlock(Buffer.alloc(100_000)).subarray(4); // one raw block of 100 000 zeros
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length);
    const frame = Buffer.concat([compress("lz4", new Uint8Array(0)).subarray(0, 7), size, block, Buffer.alloc(4)]);
    assertDecodeError(() => decompress("lz4", frame, { maxBytes: 1 << 20 }));
  });
});

describe("gzip and zstd", () => {
  test("garbage and truncation are DecodeErrors", () => {
    for (const codec of ["gzip", "zstd"] as const) {
      const good = compress(codec, text(10_000));
      assertDecodeError(() => decompress(codec, random(100), { maxBytes: 1 << 20 }));
      assertDecodeError(() => decompress(codec, good.subarray(0, good.length - 10), { maxBytes: 1 << 20 }));
    }
  });

  test("output equals zlib's own", () => {
    const data = text(50_000);
    assert.equal(hex(decompress("gzip", zlib.gzipSync(data), { maxBytes: 50_000 })), hex(data));
    assert.equal(hex(decompress("zstd", zlib.zstdCompressSync(data), { maxBytes: 50_000 })), hex(data));
  });
});
