// Byte layouts of windowed keys and timestamped values, against bytes Kafka Streams 4.4.0's own
// classes produced (WindowKeySchema.toStoreKeyBinary, SessionKeySchema.toBinary,
// TimeWindowedSerializer, SessionWindowedSerializer, ValueAndTimestampSerde), and round trips.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseSessionKey,
  parseWindowStoreKey,
  sessionKeyBytes,
  sessionWindowedSerde,
  timeWindowedSerde,
  valueAndTimestampSerde,
  windowEndMs,
  windowStoreKeyBytes,
} from "../src/state/window-key-schema.ts";
import { hex, longSerde, stringSerde } from "./window-harness.ts";

const context = { topic: "t", headers: [] };
const key = new TextEncoder().encode("key");

describe("Kafka's bytes", () => {
  test("window store key: key, start (int64), seqnum (int32)", () => {
    assert.equal(hex(windowStoreKeyBytes(key, 1_700_000_000_123, 0)), "6b65790000018bcfe5687b00000000");
    assert.equal(hex(windowStoreKeyBytes(key, 0, 2_147_483_647)), "6b657900000000000000007fffffff");
    assert.deepEqual(parseWindowStoreKey(windowStoreKeyBytes(key, 1_700_000_000_123, 7)), {
      keyBytes: key,
      windowStartMs: 1_700_000_000_123,
      seqnum: 7,
    });
  });

  test("session key: key, end (int64), start (int64)", () => {
    assert.equal(hex(sessionKeyBytes(key, 100, 200)), "6b657900000000000000c80000000000000064");
    assert.deepEqual(parseSessionKey(sessionKeyBytes(key, 100, 200)), { keyBytes: key, startMs: 100, endMs: 200 });
  });

  test("TimeWindowedSerializer: key, start; the deserializer derives the end from the window size", () => {
    const serde = timeWindowedSerde(stringSerde, 1_000);
    const bytes = serde.serialize({ key: "key", window: { startMs: 1_000, endMs: 2_000 } }, context);
    assert.equal(hex(bytes), "6b657900000000000003e8");
    assert.deepEqual(serde.deserialize(bytes, context), { key: "key", window: { startMs: 1_000, endMs: 2_000 } });
  });

  test("SessionWindowedSerializer: key, end, start", () => {
    const serde = sessionWindowedSerde(stringSerde);
    const bytes = serde.serialize({ key: "key", window: { startMs: 5, endMs: 9 } }, context);
    assert.equal(hex(bytes), "6b657900000000000000090000000000000005");
    assert.deepEqual(serde.deserialize(bytes, context), { key: "key", window: { startMs: 5, endMs: 9 } });
  });

  test("ValueAndTimestamp: timestamp (int64), then the value", () => {
    const serde = valueAndTimestampSerde(longSerde);
    const bytes = serde.serialize({ value: 42, timestampMs: 1_234_567 }, context);
    assert.equal(hex(bytes), "000000000012d687000000000000002a");
    assert.deepEqual(serde.deserialize(bytes, context), { value: 42, timestampMs: 1_234_567 });
  });
});

describe("round trips and limits", () => {
  const keyBytes = fc.uint8Array({ maxLength: 20 });
  const timestamp = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

  test("window store keys (property)", () => {
    fc.assert(
      fc.property(keyBytes, timestamp, fc.integer({ min: 0, max: 0x7fffffff }), (k, start, seqnum) => {
        assert.deepEqual(parseWindowStoreKey(windowStoreKeyBytes(k, start, seqnum)), {
          keyBytes: k,
          windowStartMs: start,
          seqnum,
        });
      }),
    );
  });

  test("session keys (property)", () => {
    fc.assert(
      fc.property(keyBytes, timestamp, timestamp, (k, a, b) => {
        const [startMs, endMs] = a <= b ? [a, b] : [b, a];
        assert.deepEqual(parseSessionKey(sessionKeyBytes(k, startMs, endMs)), { keyBytes: k, startMs, endMs });
      }),
    );
  });

  test("a window end past the largest safe integer is capped, as Kafka caps it at Long.MAX_VALUE", () => {
    assert.equal(windowEndMs(Number.MAX_SAFE_INTEGER - 5, 10), Number.MAX_SAFE_INTEGER);
    assert.equal(windowEndMs(5, 10), 15);
  });

  test("short or out-of-range input is refused", () => {
    assert.throws(() => parseWindowStoreKey(new Uint8Array(11)), RangeError);
    assert.throws(() => parseSessionKey(new Uint8Array(15)), RangeError);
    assert.throws(() => timeWindowedSerde(stringSerde, 10).deserialize(new Uint8Array(7), context), RangeError);
    assert.throws(() => windowStoreKeyBytes(key, 0, -1), RangeError);
    assert.throws(() => windowStoreKeyBytes(key, 0.5, 0), RangeError);
    const tooLarge = new Uint8Array(8).fill(0x7f);
    assert.throws(() => timeWindowedSerde(stringSerde, 10).deserialize(tooLarge, context), RangeError);
  });
});
