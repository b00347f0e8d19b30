// Fuzz-style properties: whatever the bytes, the record batch decoders and the decompressors either
// succeed or throw DecodeError — never a RangeError, a native error or a hang.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../../src/errors.ts";
import {
  batchHeaderBytes,
  compress,
  compressionCodecs,
  crc32c,
  decodeControlRecord,
  decodeRecords,
  decompress,
  encodeRecordBatch,
  iterateBatches,
  iterateRecords,
  patchLogAppendTime,
  readBatchHeader,
  validateBatch,
} from "../../src/records/index.ts";
import { batchSpecArb } from "./arbitraries.ts";

const maxBytes = 1 << 20;
/** SAMSA_FUZZ_SCALE=20 runs twenty times as many cases, for a longer local hunt. */
const scale = Math.max(1, Number(process.env["SAMSA_FUZZ_SCALE"] ?? "1") || 1);
const timeout = 120_000 * scale;

function onlyDecodeError(name: string, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecodeError) return;
    assert.fail(`${name} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

/** Runs every decoding entry point over `bytes`. */
function decodeEverything(bytes: Uint8Array): void {
  onlyDecodeError("iterateBatches", () => {
    for (const view of iterateBatches(bytes)) {
      onlyDecodeError("validateBatch(view)", () => validateBatch(view.bytes));
      onlyDecodeError("decodeRecords(view)", () => decodeRecords(view.bytes, { maxBytes, verifyCrc: false }));
    }
  });
  onlyDecodeError("readBatchHeader", () => readBatchHeader(bytes));
  onlyDecodeError("validateBatch", () => validateBatch(bytes));
  onlyDecodeError("decodeRecords", () => decodeRecords(bytes, { maxBytes }));
  onlyDecodeError("decodeRecords without CRC", () => {
    for (const record of decodeRecords(bytes, { maxBytes, verifyCrc: false }).records) {
      onlyDecodeError("decodeControlRecord", () => decodeControlRecord(record));
    }
  });
  onlyDecodeError("iterateRecords without CRC", () => [...iterateRecords(bytes, { maxBytes, verifyCrc: false })]);
  onlyDecodeError("patchLogAppendTime", () => patchLogAppendTime(Uint8Array.from(bytes), 1n));
}

function resign(batch: Uint8Array): void {
  if (batch.length < 21) return;
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(17, crc32c(batch.subarray(21)));
}

interface Mutation {
  readonly edits: [number, number][];
  readonly truncateTo: number | null;
  /** Recompute the CRC afterwards, so the mutation reaches the code behind the CRC check. */
  readonly resign: boolean;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
  truncateTo: fc.option(fc.nat(), { nil: null }),
  resign: fc.boolean(),
});

function mutate(original: Uint8Array, mutation: Mutation): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const [position, value] of mutation.edits) if (bytes.length > 0) bytes[position % bytes.length] = value;
  if (mutation.truncateTo !== null) bytes = bytes.slice(0, mutation.truncateTo % (bytes.length + 1));
  if (mutation.resign) resign(bytes);
  return bytes;
}

describe("fuzz: record batches", () => {
  test("random bytes", { timeout }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => decodeEverything(bytes)),
      { numRuns: 3000 * scale },
    );
  });

  test("random bytes behind a plausible header", { timeout }, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: -2, max: 50 }),
        (body, compressionId, count) => {
          const batch = new Uint8Array(batchHeaderBytes + body.length);
          const view = new DataView(batch.buffer);
          view.setInt32(8, batch.length - 12);
          view.setInt8(16, 2);
          view.setInt16(21, compressionId);
          view.setInt32(23, Math.max(0, count - 1));
          view.setInt32(57, count);
          batch.set(body, batchHeaderBytes);
          resign(batch);
          decodeEverything(batch);
        },
      ),
      { numRuns: 3000 * scale },
    );
  });

  test("mutations of valid batches (every codec), with and without a fixed-up CRC", { timeout }, () => {
    fc.assert(
      fc.property(batchSpecArb, mutationArb, (spec, mutation) => {
        decodeEverything(mutate(encodeRecordBatch(spec), mutation));
      }),
      { numRuns: 1500 * scale },
    );
  });

  test("mutations of the records inside compressed batches (recompressed, CRC fixed)", { timeout }, () => {
    fc.assert(
      fc.property(
        batchSpecArb.filter((spec) => spec.compression !== "none"),
        mutationArb,
        (spec, mutation) => {
          const batch = encodeRecordBatch(spec);
          const plain = decompress(spec.compression, batch.subarray(batchHeaderBytes), { maxBytes });
          const records = mutate(plain, { ...mutation, resign: false });
          const compressed = compress(spec.compression, records);
          const rebuilt = new Uint8Array(batchHeaderBytes + compressed.length);
          rebuilt.set(batch.subarray(0, batchHeaderBytes));
          rebuilt.set(compressed, batchHeaderBytes);
          new DataView(rebuilt.buffer).setInt32(8, rebuilt.length - 12);
          resign(rebuilt);
          decodeEverything(rebuilt);
        },
      ),
      { numRuns: 800 * scale },
    );
  });
});

describe("fuzz: decompressors", () => {
  test("random bytes", { timeout }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...compressionCodecs), (bytes, codec) => {
        onlyDecodeError(`decompress ${codec}`, () => decompress(codec, bytes, { maxBytes }));
      }),
      { numRuns: 3000 * scale },
    );
  });

  test("mutations of valid compressed data", { timeout }, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom(...compressionCodecs),
        mutationArb,
        fc.integer({ min: 0, max: 4000 }),
        (data, codec, mutation, limit) => {
          const mutated = mutate(compress(codec, data), { ...mutation, resign: false });
          onlyDecodeError(`decompress ${codec}`, () => decompress(codec, mutated, { maxBytes: limit }));
        },
      ),
      { numRuns: 3000 * scale },
    );
  });
});
