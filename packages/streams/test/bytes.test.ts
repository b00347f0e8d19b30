import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { readInt32BE, readInt64BE, writeInt32BE, writeInt64BE } from "../src/bytes.ts";

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
