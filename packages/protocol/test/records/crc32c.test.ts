// CRC-32C: known-answer vectors (the check value and RFC 3720's iSCSI vectors) and incremental use.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32c } from "../../src/records/index.ts";

test("known answers", () => {
  const vectors: [Uint8Array, number][] = [
    [new TextEncoder().encode("123456789"), 0xe3069283],
    [new Uint8Array(0), 0],
    [new Uint8Array(32), 0x8a9136aa],
    [new Uint8Array(32).fill(0xff), 0x62a8ab43],
    [Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    [Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ];
  for (const [input, expected] of vectors) assert.equal(crc32c(input), expected);
});

test("a view covers only its own bytes", () => {
  const backing = new Uint8Array(64).fill(0xaa);
  backing.set(new TextEncoder().encode("123456789"), 10);
  assert.equal(crc32c(backing.subarray(10, 19)), 0xe3069283);
});

test("property: summing piece by piece equals summing at once; result is unsigned", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
      const at = bytes.length === 0 ? 0 : cut % bytes.length;
      const whole = crc32c(bytes);
      assert.equal(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at))), whole);
      assert.ok(whole >= 0 && whole <= 0xffffffff);
    }),
  );
});
