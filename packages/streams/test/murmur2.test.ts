import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import fc from "fast-check";
import { murmur2, partitionForKey, toPositive } from "../src/murmur2.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

test("murmur2 matches Kafka's Utils.murmur2 test vectors", () => {
  // From Kafka's UtilsTest.testMurmur2.
  const cases: [Uint8Array, number][] = [
    [encode("21"), -973932308],
    [encode("foobar"), -790332482],
    [encode("a-little-bit-long-string"), -985981536],
    [encode("a-little-bit-longer-string"), -1486304829],
    [encode("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971],
    [new Uint8Array([0x61, 0x62, 0x63]), 479470107],
  ];
  for (const [data, expected] of cases) assert.equal(murmur2(data), expected);
});

test("murmur2 agrees with kafkajs's Java-compatible implementation (differential)", () => {
  const require = createRequire(import.meta.url);
  const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: Buffer) => number;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.equal(murmur2(bytes), kafkajsMurmur2(Buffer.from(bytes)));
    }),
    { numRuns: 2000 },
  );
});

test("the default partitioner: toPositive(murmur2) % partitions", () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  const key = encode("foobar");
  assert.equal(partitionForKey(key, 12), (-790332482 & 0x7fffffff) % 12);
  fc.assert(
    fc.property(fc.uint8Array(), fc.integer({ min: 1, max: 1000 }), (bytes, partitions) => {
      const partition = partitionForKey(bytes, partitions);
      assert.ok(partition >= 0 && partition < partitions);
    }),
  );
  assert.throws(() => partitionForKey(key, 0), RangeError);
});
