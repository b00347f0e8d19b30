import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  bytesToLatin1,
  copyBytes,
  readInt32BE,
  readInt64BE,
  toBuffer,
  utf8ToString,
  writeInt32BE,
  writeInt64BE,
} from "../src/bytes.ts";

test("int64 and int32 helpers agree with DataView (Java's big-endian layout)", () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), fc.integer({ min: -0x80000000, max: 0x7fffffff }), (long, int) => {
      const bytes = new Uint8Array(12);
      writeInt64BE(bytes, 0, long);
      writeInt32BE(bytes, 8, int);
      const view = new DataView(bytes.buffer);
      assert.equal(view.getBigInt64(0), BigInt(long));
      assert.equal(view.getInt32(8), int);
      assert.equal(readInt64BE(bytes, 0), long);
      assert.equal(readInt32BE(bytes, 8), int);
    }),
  );
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, 2n ** 53n);
  assert.equal(readInt64BE(bytes, 0), undefined);
  new DataView(bytes.buffer).setBigInt64(0, -(2n ** 53n));
  assert.equal(readInt64BE(bytes, 0), undefined);
  new DataView(bytes.buffer).setBigInt64(0, -(2n ** 63n));
  assert.equal(readInt64BE(bytes, 0), undefined);
});

describe("byte arrays on the hot path", () => {
  test("toBuffer: a Buffer as is, a small array copied, a large one viewed", () => {
    const buffer = Buffer.from([1, 2, 3]);
    assert.equal(toBuffer(buffer), buffer);
    const small = new Uint8Array([4, 5, 6]);
    const smallBuffer = toBuffer(small);
    assert.ok(Buffer.isBuffer(smallBuffer));
    assert.deepEqual([...smallBuffer], [4, 5, 6]);
    small[0] = 9;
    assert.equal(smallBuffer[0], 4, "small arrays are copied (a view would move them off V8's heap)");
    const large = new Uint8Array(100).fill(7);
    const largeBuffer = toBuffer(large.subarray(10, 90));
    assert.equal(largeBuffer.byteLength, 80);
    large[10] = 8;
    assert.equal(largeBuffer[0], 8, "large arrays are viewed");
  });

  test("copyBytes: an exact, unshared, plain copy (Buffer's slice would be a view)", () => {
    const pooled = Buffer.from("pooled bytes");
    const copy = copyBytes(pooled.subarray(0, 6));
    assert.ok(!Buffer.isBuffer(copy));
    assert.equal(copy.byteLength, 6);
    assert.equal(copy.buffer.byteLength, 6);
    pooled[0] = 0x50;
    assert.equal(Buffer.from(copy).toString(), "pooled");
  });

  test("bytesToLatin1 orders as Kafka's Bytes.compareTo (unsigned, shorter prefix first)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }), (a, b) => {
        const bytes = Math.sign(Buffer.compare(a, b));
        const [x, y] = [bytesToLatin1(a), bytesToLatin1(b)];
        assert.equal(x < y ? -1 : x > y ? 1 : 0, bytes);
      }),
    );
  });

  test("utf8ToString decodes as TextDecoder (U+FFFD for malformed input) but keeps a BOM, as Java does", () => {
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), (bytes, at) => {
        const offset = Math.min(at, bytes.byteLength);
        assert.equal(utf8ToString(bytes), decoder.decode(bytes));
        assert.equal(utf8ToString(bytes, offset), decoder.decode(bytes.subarray(offset)));
        assert.equal(utf8ToString(Buffer.from(bytes), offset), decoder.decode(bytes.subarray(offset)));
      }),
    );
    assert.equal(utf8ToString(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), "\ufeffA");
  });
});
