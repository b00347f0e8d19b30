// fast-check generators and comparison helpers shared by the record batch tests.
import { Buffer } from "node:buffer";
import fc from "fast-check";
import type { CompressionCodec, DecodedRecord, RecordHeader, RecordInput } from "../../src/records/index.ts";
import { compressionCodecs } from "../../src/records/index.ts";

export const codecArb: fc.Arbitrary<CompressionCodec> = fc.constantFrom(...compressionCodecs);

const bytesArb = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    // Repetitive values, so that compressors actually find matches.
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat({ max: maxLength })).map(([unit, n]) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = unit[i % unit.length] ?? 0;
      return out;
    }),
  );

export const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ unit: "grapheme", maxLength: 12 }),
  value: fc.option(bytesArb(32), { nil: null }),
});

const timestampArb = fc.oneof(
  fc.bigInt({ min: 1_600_000_000_000n, max: 1_900_000_000_000n }),
  fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
);

export const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytesArb(64), { nil: null }),
  value: fc.option(bytesArb(512), { nil: null }),
  headers: fc.array(headerArb, { maxLength: 4 }),
  timestamp: timestampArb,
});

export interface BatchSpec {
  readonly records: RecordInput[];
  readonly compression: CompressionCodec;
  readonly baseOffset: bigint;
  readonly partitionLeaderEpoch: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly transactional: boolean;
}

export const batchSpecArb: fc.Arbitrary<BatchSpec> = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 20 }),
  compression: codecArb,
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
  producerEpoch: fc.integer({ min: -1, max: 2 ** 15 - 1 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
});

/** A record as plain data, for deepEqual against what was encoded. */
export interface PlainRecord {
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}

export const hex = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes).toString("hex");

export function plainRecord(record: Pick<DecodedRecord, "key" | "value" | "headers">): PlainRecord {
  return {
    key: hex(record.key),
    value: hex(record.value),
    headers: record.headers.map((h) => ({ key: h.key, value: hex(h.value) })),
  };
}

export function plainInput(record: RecordInput): PlainRecord {
  return plainRecord({ key: record.key, value: record.value, headers: record.headers ?? [] });
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
