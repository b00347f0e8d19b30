import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Serdes, SerializationError, deserializerAt, deserializesDetached, type Serde } from "../src/serdes.ts";

const context = { topic: "t", headers: [] };

function roundTrip<T>(serde: Serde<T>, arbitrary: fc.Arbitrary<T>): void {
  fc.assert(
    fc.property(arbitrary, (value) => {
      assert.deepEqual(serde.deserialize(serde.serialize(value, context), context), value);
    }),
  );
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("Serdes", () => {
  test("round trips", () => {
    roundTrip(Serdes.string(), fc.string({ unit: "grapheme" }));
    roundTrip(
      Serdes.json<unknown>(),
      fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown),
    );
    roundTrip(Serdes.bytes(), fc.uint8Array());
    roundTrip(Serdes.int16(), fc.integer({ min: -0x8000, max: 0x7fff }));
    roundTrip(Serdes.int32(), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
    roundTrip(Serdes.int64(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    roundTrip(Serdes.long(), fc.maxSafeInteger());
    roundTrip(Serdes.float64(), fc.double());
    roundTrip(
      Serdes.float32(),
      fc.float({ noDefaultInfinity: false }).filter((v) => !Number.isNaN(v)),
    );
    roundTrip(Serdes.boolean(), fc.boolean());
    roundTrip(Serdes.uuid(), fc.uuid());
  });

  test("bytes are those of Kafka's serdes", () => {
    // Kafka's IntegerSerializer, LongSerializer, DoubleSerializer, ShortSerializer: big-endian.
    assert.equal(hex(Serdes.int32().serialize(1, context)), "00000001");
    assert.equal(hex(Serdes.int32().serialize(-2, context)), "fffffffe");
    assert.equal(hex(Serdes.int64().serialize(-1n, context)), "ffffffffffffffff");
    assert.equal(hex(Serdes.int64().serialize(258n, context)), "0000000000000102");
    assert.equal(hex(Serdes.long().serialize(258, context)), "0000000000000102");
    assert.equal(hex(Serdes.float64().serialize(1.5, context)), "3ff8000000000000");
    assert.equal(hex(Serdes.float32().serialize(1.5, context)), "3fc00000");
    assert.equal(hex(Serdes.int16().serialize(-1, context)), "ffff");
    assert.equal(hex(Serdes.boolean().serialize(true, context)), "01");
    assert.equal(hex(Serdes.string().serialize("héllo", context)), "68c3a96c6c6f");
    assert.equal(
      hex(Serdes.json<{ a: number }>().serialize({ a: 1 }, context)),
      hex(new TextEncoder().encode('{"a":1}')),
    );
    // long and int64 read each other's bytes.
    assert.equal(Serdes.long().deserialize(Serdes.int64().serialize(42n, context), context), 42);
  });

  test("wrong lengths and out-of-range values fail with SerializationError", () => {
    assert.throws(() => Serdes.int32().deserialize(new Uint8Array(3), context), SerializationError);
    assert.throws(() => Serdes.int64().deserialize(new Uint8Array(9), context), SerializationError);
    assert.throws(() => Serdes.int32().serialize(2 ** 31, context), SerializationError);
    assert.throws(() => Serdes.int32().serialize(1.5, context), SerializationError);
    assert.throws(() => Serdes.long().serialize(2 ** 53, context), SerializationError);
    assert.throws(
      () => Serdes.long().deserialize(Serdes.int64().serialize(2n ** 62n, context), context),
      SerializationError,
    );
    assert.throws(() => Serdes.json().deserialize(new TextEncoder().encode("{"), context), SerializationError);
    assert.throws(() => Serdes.json().serialize(undefined, context), SerializationError);
    assert.throws(() => Serdes.boolean().deserialize(new Uint8Array([2]), context), SerializationError);
    assert.throws(() => Serdes.uuid().serialize("not-a-uuid", context), SerializationError);
  });

  test("bytes are copied on deserialize (fetch buffers may be reused)", () => {
    const input = new Uint8Array([1, 2, 3]);
    const output = Serdes.bytes().deserialize(input, context);
    input[0] = 9;
    assert.deepEqual([...output], [1, 2, 3]);
  });

  test("deserializing views of a larger buffer", () => {
    const buffer = new Uint8Array([0xaa, 0, 0, 0, 7, 0xbb]);
    assert.equal(Serdes.int32().deserialize(buffer.subarray(1, 5), context), 7);
  });
});

describe("reading in place (deserializerAt) and detached values", () => {
  const builtIns: [string, Serde<unknown>, fc.Arbitrary<unknown>][] = [
    ["string", Serdes.string(), fc.string({ unit: "grapheme" })],
    ["json", Serdes.json<unknown>(), fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown)],
    ["int16", Serdes.int16(), fc.integer({ min: -0x8000, max: 0x7fff })],
    ["int32", Serdes.int32(), fc.integer({ min: -0x80000000, max: 0x7fffffff })],
    ["int64", Serdes.int64(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
    ["long", Serdes.long(), fc.maxSafeInteger()],
    ["float64", Serdes.float64(), fc.double()],
    ["boolean", Serdes.boolean(), fc.boolean()],
    ["uuid", Serdes.uuid(), fc.uuid()],
    ["bytes", Serdes.bytes(), fc.uint8Array()],
  ];

  const outcome = (read: () => unknown): unknown => {
    try {
      return { value: read() };
    } catch (error) {
      return { error: String(error) };
    }
  };

  test("the same values, and the same errors, as deserialize(bytes.subarray(offset))", () => {
    for (const [name, serde, values] of builtIns) {
      const readAt = deserializerAt(serde);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 9 }), values, fc.uint8Array({ maxLength: 3 }), (prefix, value, junk) => {
          const encoded = serde.serialize(value, context);
          for (const tail of [encoded, junk]) {
            const bytes = new Uint8Array([...prefix, ...tail]);
            assert.deepEqual(
              outcome(() => readAt(bytes, prefix.byteLength, context)),
              outcome(() => serde.deserialize(bytes.subarray(prefix.byteLength), context)),
              name,
            );
          }
        }),
        { numRuns: 50 },
      );
    }
    const custom: Serde<string> = { serialize: (v) => Buffer.from(v), deserialize: (b) => `${b.byteLength}` };
    assert.equal(deserializerAt(custom)(new Uint8Array(5), 2, context), "3");
  });

  test("built-in serdes return detached values; a custom serde is not assumed to", () => {
    for (const [name, serde] of builtIns) assert.ok(deserializesDetached(serde), name);
    assert.ok(!deserializesDetached({ serialize: (v: Uint8Array) => v, deserialize: (b) => b }));
  });

  test("string: a BOM stays (Java's new String(bytes, UTF_8) keeps it); malformed bytes become U+FFFD", () => {
    assert.equal(Serdes.string().deserialize(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]), context), "\ufeffhi");
    assert.equal(Serdes.string().deserialize(new Uint8Array([0x61, 0xff, 0x62]), context), "a\ufffdb");
  });

  test("bytes from a Buffer are copied too (Buffer's slice is a view)", () => {
    const input = Buffer.from([1, 2, 3]);
    const output = Serdes.bytes().deserialize(input, context);
    input[0] = 9;
    assert.deepEqual([...output], [1, 2, 3]);
  });
});
