// Record batch v2: round trips per codec, header fields, validation, batch iteration, patching and
// control records, including byte-exact comparisons with batches written by Kafka's Java client.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { DecodeError } from "../../src/errors.ts";
import {
  batchHeaderBytes,
  compressionCodecs,
  crc32c,
  decodeControlRecord,
  decodeRecords,
  encodeControlRecordKey,
  encodeEndTransactionMarker,
  encodeRecordBatch,
  iterateBatches,
  iterateRecords,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  readBatchHeader,
  validateBatch,
  type RecordInput,
} from "../../src/records/index.ts";
import { batchSpecArb, hex, plainInput, plainRecord, utf8 } from "./arbitraries.ts";

const maxBytes = 64 * 1024 * 1024;
const t0 = 1_700_000_000_000n;

/** Recomputes the CRC after a test edited CRC-covered bytes on purpose. */
function resign(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(17, crc32c(batch.subarray(21)));
  return batch;
}

function edit(batch: Uint8Array, change: (view: DataView) => void): Uint8Array {
  const copy = Uint8Array.from(batch);
  change(new DataView(copy.buffer));
  return copy;
}

function assertDecodeError(fn: () => unknown, path?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DecodeError, `expected DecodeError, got ${String(error)}`);
    assert.equal(error.api, "RecordBatch");
    if (path !== undefined) assert.equal(error.path, path);
    return true;
  });
}

const sampleRecords: RecordInput[] = [
  { key: utf8("key-0"), value: utf8("value-0"), timestamp: t0, headers: [{ key: "h1", value: utf8("v1") }] },
  { key: null, value: new Uint8Array(0), timestamp: t0 + 5n },
  { key: new Uint8Array(0), value: null, timestamp: t0 - 10n },
  {
    key: utf8("ключ☃🎉"),
    value: utf8("ünïcødé"),
    timestamp: t0,
    headers: [
      { key: "ключ☃🎉", value: null },
      { key: "", value: new Uint8Array(0) },
    ],
  },
];

describe("encodeRecordBatch and decodeRecords", () => {
  for (const compression of compressionCodecs) {
    test(`round trip with ${compression}: nulls, empty values, headers, unicode`, () => {
      const batch = encodeRecordBatch({ records: sampleRecords, compression, baseOffset: 100n });
      const header = validateBatch(batch);
      assert.equal(header.compression, compression);
      assert.equal(header.recordsCount, sampleRecords.length);
      assert.equal(header.lastOffsetDelta, sampleRecords.length - 1);
      assert.equal(header.lastOffset, 103n);
      assert.equal(header.baseTimestamp, t0);
      assert.equal(header.maxTimestamp, t0 + 5n);
      assert.equal(header.sizeBytes, batch.length);
      const decoded = decodeRecords(batch, { maxBytes });
      assert.deepEqual(decoded.records.map(plainRecord), sampleRecords.map(plainInput));
      assert.deepEqual(
        decoded.records.map((r) => [r.offset, r.timestamp, r.offsetDelta]),
        sampleRecords.map((r, i) => [100n + BigInt(i), r.timestamp, i]),
      );
    });

    test(`round trip with ${compression}: 5000 records and 1 MiB values`, () => {
      const large = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) % 251);
      const records: RecordInput[] = [
        { key: utf8("large"), value: large, timestamp: t0 },
        ...Array.from({ length: 5000 }, (_, i) => ({
          key: utf8(`k${i}`),
          value: utf8(`v${i}`.repeat(i % 7)),
          timestamp: t0 + BigInt(i),
        })),
      ];
      const batch = encodeRecordBatch({ records, compression });
      const decoded = decodeRecords(batch, { maxBytes });
      assert.equal(decoded.records.length, records.length);
      assert.ok(Buffer.from(large).equals(decoded.records[0]?.value ?? new Uint8Array(0)));
      assert.deepEqual(decoded.records.slice(1).map(plainRecord), records.slice(1).map(plainInput));
      assert.equal(decoded.header.maxTimestamp, t0 + 4999n);
    });
  }

  test("producer fields, flags and epochs are carried in the header", () => {
    const batch = encodeRecordBatch({
      records: sampleRecords,
      compression: "zstd",
      baseOffset: 2n ** 62n,
      partitionLeaderEpoch: 12,
      producerId: 2n ** 63n - 1n,
      producerEpoch: 32767,
      baseSequence: 2 ** 31 - 1,
      transactional: true,
    });
    const header = validateBatch(batch);
    assert.equal(header.baseOffset, 2n ** 62n);
    assert.equal(header.partitionLeaderEpoch, 12);
    assert.equal(header.producerId, 2n ** 63n - 1n);
    assert.equal(header.producerEpoch, 32767);
    assert.equal(header.baseSequence, 2 ** 31 - 1);
    assert.equal(header.transactional, true);
    assert.equal(header.control, false);
    assert.equal(header.timestampType, "CreateTime");
    assert.equal(header.magic, 2);
    assert.deepEqual(readBatchHeader(batch), header);
    // The header alone is enough (as when read from a segment without its records).
    assert.deepEqual(readBatchHeader(batch.subarray(0, batchHeaderBytes)), header);
    assert.deepEqual(readBatchHeader(Buffer.concat([Buffer.alloc(5), batch]), 5), header);
  });

  test("defaults: no producer, leader epoch -1, base timestamp of the first record", () => {
    const header = validateBatch(
      encodeRecordBatch({
        records: [
          { key: null, value: null, timestamp: 5n },
          { key: null, value: null, timestamp: 3n },
        ],
      }),
    );
    assert.equal(header.producerId, -1n);
    assert.equal(header.producerEpoch, -1);
    assert.equal(header.baseSequence, -1);
    assert.equal(header.partitionLeaderEpoch, -1);
    assert.equal(header.baseTimestamp, 5n);
    assert.equal(header.maxTimestamp, 5n);
    assert.equal(header.baseOffset, 0n);
  });

  test("offset deltas with gaps, lastOffsetDelta beyond the last record (compacted)", () => {
    const records = [
      { key: utf8("a"), value: null, timestamp: t0, offsetDelta: 0 },
      { key: utf8("b"), value: null, timestamp: t0, offsetDelta: 5 },
    ];
    const batch = encodeRecordBatch({ records, baseOffset: 10n, lastOffsetDelta: 9 });
    const decoded = decodeRecords(batch, { maxBytes });
    assert.equal(decoded.header.lastOffset, 19n);
    assert.deepEqual(
      decoded.records.map((r) => r.offset),
      [10n, 15n],
    );
    assert.throws(() => encodeRecordBatch({ records, lastOffsetDelta: 4 }), RangeError);
    assert.throws(
      () => encodeRecordBatch({ records: [{ key: null, value: null, timestamp: 0n, offsetDelta: -1 }] }),
      RangeError,
    );
  });

  test("timestamp deltas beyond 2^52 take the BigInt path both ways", () => {
    const records = [
      { key: null, value: null, timestamp: -(2n ** 63n) },
      { key: null, value: null, timestamp: 2n ** 62n },
      { key: null, value: null, timestamp: -(2n ** 62n) },
    ];
    const decoded = decodeRecords(encodeRecordBatch({ records, baseTimestamp: 0n }), { maxBytes });
    assert.deepEqual(
      decoded.records.map((r) => r.timestamp),
      records.map((r) => r.timestamp),
    );
    assert.throws(
      () => encodeRecordBatch({ records: [{ key: null, value: null, timestamp: 2n ** 63n - 1n }], baseTimestamp: -1n }),
      RangeError,
    );
  });

  test("an empty batch (all records compacted away) keeps its offset range", () => {
    const batch = encodeRecordBatch({
      records: [],
      baseOffset: 7n,
      lastOffsetDelta: 3,
      baseTimestamp: t0,
      maxTimestamp: t0,
    });
    const header = validateBatch(batch);
    assert.equal(header.recordsCount, 0);
    assert.equal(header.lastOffset, 10n);
    assert.equal(batch.length, batchHeaderBytes);
    assert.deepEqual(decodeRecords(batch, { maxBytes }).records, []);
  });

  test("LogAppendTime batches report maxTimestamp as every record's timestamp", () => {
    for (const compression of compressionCodecs) {
      const batch = encodeRecordBatch({
        records: sampleRecords,
        compression,
        timestampType: "LogAppendTime",
        maxTimestamp: t0 + 999n,
      });
      const decoded = decodeRecords(batch, { maxBytes });
      assert.equal(decoded.header.timestampType, "LogAppendTime");
      assert.ok(decoded.records.every((r) => r.timestamp === t0 + 999n));
    }
  });

  test("keys and values of an uncompressed batch are views into the batch, not copies", () => {
    const batch = encodeRecordBatch({ records: sampleRecords });
    const [first] = decodeRecords(batch, { maxBytes }).records;
    assert.ok(first?.value);
    assert.equal(first.value.buffer, batch.buffer);
    batch[first.value.byteOffset - batch.byteOffset] = 0x58; // "X"
    assert.equal(Buffer.from(first.value).toString(), "Xalue-0");
  });

  test("iterateRecords yields what decodeRecords returns", () => {
    for (const compression of compressionCodecs) {
      const batch = encodeRecordBatch({ records: sampleRecords, compression });
      assert.deepEqual([...iterateRecords(batch, { maxBytes })], decodeRecords(batch, { maxBytes }).records);
    }
  });

  test("a compressed batch larger than maxBytes once decompressed is refused", () => {
    const records = [{ key: null, value: new Uint8Array(100_000), timestamp: t0 }];
    for (const compression of compressionCodecs.filter((c) => c !== "none")) {
      const batch = encodeRecordBatch({ records, compression });
      assertDecodeError(() => decodeRecords(batch, { maxBytes: 50_000 }), `records(${compression})`);
      assert.equal(decodeRecords(batch, { maxBytes: 100_100 }).records.length, 1);
    }
  });

  test("property: random batches round trip", () => {
    fc.assert(
      fc.property(batchSpecArb, (spec) => {
        const batch = encodeRecordBatch(spec);
        const decoded = decodeRecords(batch, { maxBytes });
        assert.equal(decoded.header.compression, spec.compression);
        assert.equal(decoded.header.baseOffset, spec.baseOffset);
        assert.equal(decoded.header.producerId, spec.producerId);
        assert.equal(decoded.header.producerEpoch, spec.producerEpoch);
        assert.equal(decoded.header.baseSequence, spec.baseSequence);
        assert.equal(decoded.header.partitionLeaderEpoch, spec.partitionLeaderEpoch);
        assert.equal(decoded.header.transactional, spec.transactional);
        assert.deepEqual(decoded.records.map(plainRecord), spec.records.map(plainInput));
        assert.deepEqual(
          decoded.records.map((r) => [r.offset, r.timestamp]),
          spec.records.map((r, i) => [spec.baseOffset + BigInt(i), r.timestamp]),
        );
        const largest = spec.records.reduce(
          (max, r) => (r.timestamp > max ? r.timestamp : max),
          spec.records[0]?.timestamp ?? -1n,
        );
        assert.equal(decoded.header.maxTimestamp, largest);
      }),
      { numRuns: 200 },
    );
  });

  test("byte-identical to a batch written by Kafka's MemoryRecordsBuilder (4.4.0)", () => {
    // MemoryRecords.builder(NONE, CREATE_TIME, baseOffset 42, producer 7/1, baseSequence 5, leader epoch 3).
    const java = Buffer.from(
      "000000000000002a00000057000000030228b2a5310000000000020000018bcfe568000000018bcfe56be800000000000000070001000000050000000328000000026b0a68656c6c6f0404c3a90278026e010e00cf0f020101001000d00f0400027600",
      "hex",
    );
    const ours = encodeRecordBatch({
      baseOffset: 42n,
      partitionLeaderEpoch: 3,
      producerId: 7n,
      producerEpoch: 1,
      baseSequence: 5,
      records: [
        {
          key: utf8("k"),
          value: utf8("hello"),
          timestamp: t0,
          headers: [
            { key: "é", value: utf8("x") },
            { key: "n", value: null },
          ],
        },
        { key: null, value: null, timestamp: t0 - 1000n },
        { key: new Uint8Array(0), value: utf8("v"), timestamp: t0 + 1000n },
      ],
    });
    assert.equal(hex(ours), hex(java));
    const decoded = decodeRecords(java, { maxBytes });
    assert.deepEqual(
      decoded.records[0]?.headers.map((h) => h.key),
      ["é", "n"],
    );
  });
});

describe("validateBatch", () => {
  const batch = encodeRecordBatch({ records: sampleRecords, compression: "none", baseOffset: 5n });

  test("property: flipping any bit in the CRC-covered range is detected", () => {
    for (const compression of compressionCodecs) {
      const original = encodeRecordBatch({ records: sampleRecords, compression });
      fc.assert(
        fc.property(fc.integer({ min: 21, max: original.length - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
          const corrupt = Uint8Array.from(original);
          corrupt[at] = (corrupt[at] ?? 0) ^ (1 << bit);
          assertDecodeError(() => validateBatch(corrupt), "crc");
          assertDecodeError(() => decodeRecords(corrupt, { maxBytes }), "crc");
        }),
        { numRuns: 100 },
      );
    }
  });

  test("a corrupted stored CRC is detected", () => {
    for (let at = 17; at < 21; at++) {
      const corrupt = Uint8Array.from(batch);
      corrupt[at] = (corrupt[at] ?? 0) ^ 0x80;
      assertDecodeError(() => validateBatch(corrupt), "crc");
    }
  });

  test("fields outside the CRC (base offset, leader epoch) do not affect it", () => {
    const edited = edit(batch, (v) => {
      v.setBigInt64(0, 123n);
      v.setInt32(12, 77);
    });
    assert.equal(validateBatch(edited).baseOffset, 123n);
  });

  test("framing: too short, length below the minimum, length past the end, wrong magic", () => {
    assertDecodeError(() => validateBatch(batch.subarray(0, 60)), "");
    assertDecodeError(() => validateBatch(edit(batch, (v) => v.setInt32(8, 48))), "batchLength");
    assertDecodeError(() => validateBatch(edit(batch, (v) => v.setInt32(8, batch.length - 11))), "batchLength");
    assertDecodeError(() => validateBatch(edit(batch, (v) => v.setInt32(8, -1))), "batchLength");
    assertDecodeError(() => validateBatch(edit(batch, (v) => v.setInt8(16, 1))), "magic");
    assertDecodeError(() => validateBatch(batch.subarray(0, batch.length - 1)), "batchLength");
  });

  test("a batch followed by other bytes validates on its own; offset selects a batch", () => {
    const two = Buffer.concat([batch, batch]);
    assert.equal(validateBatch(two).sizeBytes, batch.length);
    assert.equal(validateBatch(two, batch.length).baseOffset, 5n);
    assert.throws(() => validateBatch(two, -1), RangeError);
  });

  test("counts and offset range: negative count, negative lastOffsetDelta, more records than offsets", () => {
    assertDecodeError(() => validateBatch(resign(edit(batch, (v) => v.setInt32(57, -1)))), "recordsCount");
    assertDecodeError(() => validateBatch(resign(edit(batch, (v) => v.setInt32(23, -1)))), "lastOffsetDelta");
    assertDecodeError(() => validateBatch(resign(edit(batch, (v) => v.setInt32(23, 1)))), "lastOffsetDelta");
    assertDecodeError(
      () =>
        validateBatch(
          resign(
            edit(batch, (v) => {
              v.setInt32(57, 1_000_000);
              v.setInt32(23, 1_000_000);
            }),
          ),
        ),
      "recordsCount",
    );
  });

  test("unknown compression id 5-7", () => {
    for (const id of [5, 6, 7]) {
      assertDecodeError(() => validateBatch(resign(edit(batch, (v) => v.setInt16(21, id)))), "attributes");
    }
  });

  test("record count disagreeing with the records present", () => {
    for (const compression of compressionCodecs) {
      const b = encodeRecordBatch({ records: sampleRecords, compression });
      const fewer = resign(edit(b, (v) => v.setInt32(57, sampleRecords.length - 1)));
      assertDecodeError(() => decodeRecords(fewer, { maxBytes }), "records");
      const more = resign(
        edit(b, (v) => {
          v.setInt32(57, sampleRecords.length + 1);
          v.setInt32(23, sampleRecords.length + 1);
        }),
      );
      assertDecodeError(() => decodeRecords(more, { maxBytes }));
    }
  });

  test("decodeRecords with verifyCrc false skips only the CRC", () => {
    const corrupt = edit(batch, (v) => v.setUint32(17, 0));
    assertDecodeError(() => decodeRecords(corrupt, { maxBytes }), "crc");
    assert.equal(decodeRecords(corrupt, { maxBytes, verifyCrc: false }).records.length, sampleRecords.length);
  });
});

describe("iterateBatches", () => {
  const batches = compressionCodecs.map((compression, i) =>
    encodeRecordBatch({ records: sampleRecords, compression, baseOffset: BigInt(i * 10) }),
  );
  const all = Buffer.concat(batches);

  test("yields each batch as a view, with its position and header", () => {
    const views = [...iterateBatches(all)];
    assert.equal(views.length, batches.length);
    let position = 0;
    views.forEach((view, i) => {
      assert.equal(view.position, position);
      assert.equal(view.bytes.buffer, all.buffer);
      assert.equal(hex(view.bytes), hex(batches[i] ?? null));
      assert.equal(view.header.baseOffset, BigInt(i * 10));
      assert.equal(view.header.compression, compressionCodecs[i]);
      validateBatch(view.bytes);
      position += view.bytes.length;
    });
  });

  test("stops cleanly at a trailing partial batch and returns its size", () => {
    const lastStart = all.length - (batches.at(-1)?.length ?? 0);
    for (let end = lastStart; end < all.length; end++) {
      const iterator = iterateBatches(all.subarray(0, end));
      let count = 0;
      let step = iterator.next();
      while (step.done !== true) {
        count++;
        step = iterator.next();
      }
      assert.equal(count, batches.length - 1);
      assert.equal(step.value, end - lastStart);
    }
  });

  test("empty input yields nothing", () => {
    assert.deepEqual([...iterateBatches(new Uint8Array(0))], []);
  });

  test("a length below the minimum is corruption, not a partial batch", () => {
    const corrupt = Buffer.concat([
      batches[0] ?? new Uint8Array(0),
      edit(batches[1] ?? new Uint8Array(0), (v) => v.setInt32(8, 10)),
    ]);
    assertDecodeError(() => [...iterateBatches(corrupt)], "batchLength");
  });

  test("a complete batch with another magic is refused", () => {
    assertDecodeError(() => [...iterateBatches(edit(all, (v) => v.setInt8(16, 1)))], "magic");
  });
});

describe("patching in place", () => {
  test("patchBaseOffset and patchPartitionLeaderEpoch leave the CRC and the records alone", () => {
    for (const compression of compressionCodecs) {
      const batch = encodeRecordBatch({ records: sampleRecords, compression });
      const before = hex(batch.subarray(16));
      patchBaseOffset(batch, 1000n);
      patchPartitionLeaderEpoch(batch, 42);
      assert.equal(hex(batch.subarray(16)), before);
      const decoded = decodeRecords(batch, { maxBytes });
      assert.equal(decoded.header.partitionLeaderEpoch, 42);
      assert.deepEqual(
        decoded.records.map((r) => r.offset),
        [1000n, 1001n, 1002n, 1003n],
      );
      assert.deepEqual(decoded.records.map(plainRecord), sampleRecords.map(plainInput));
    }
  });

  test("patchLogAppendTime sets the type bit and maxTimestamp, recomputes the CRC, keeps the records", () => {
    for (const compression of compressionCodecs) {
      const batch = encodeRecordBatch({ records: sampleRecords, compression, transactional: true });
      const records = hex(batch.subarray(batchHeaderBytes));
      patchLogAppendTime(batch, t0 + 12345n);
      const header = validateBatch(batch);
      assert.equal(header.timestampType, "LogAppendTime");
      assert.equal(header.maxTimestamp, t0 + 12345n);
      assert.equal(header.baseTimestamp, t0);
      assert.equal(header.transactional, true);
      assert.equal(header.compression, compression);
      assert.equal(hex(batch.subarray(batchHeaderBytes)), records);
      const decoded = decodeRecords(batch, { maxBytes });
      assert.ok(decoded.records.every((r) => r.timestamp === t0 + 12345n));
      assert.deepEqual(decoded.records.map(plainRecord), sampleRecords.map(plainInput));
    }
  });

  test("property: patches on random batches keep them valid and their records unchanged", () => {
    fc.assert(
      fc.property(
        batchSpecArb,
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        fc.bigInt({ min: 0n, max: 2n ** 50n }),
        (spec, baseOffset, epoch, appendTime) => {
          const batch = encodeRecordBatch(spec);
          patchBaseOffset(batch, baseOffset);
          patchPartitionLeaderEpoch(batch, epoch);
          patchLogAppendTime(batch, appendTime);
          const decoded = decodeRecords(batch, { maxBytes });
          assert.equal(decoded.header.baseOffset, baseOffset);
          assert.equal(decoded.header.partitionLeaderEpoch, epoch);
          assert.deepEqual(decoded.records.map(plainRecord), spec.records.map(plainInput));
          assert.ok(decoded.records.every((r, i) => r.timestamp === appendTime && r.offset === baseOffset + BigInt(i)));
        },
      ),
      { numRuns: 100 },
    );
  });

  test("patching a view from iterateBatches patches the enclosing records field", () => {
    const all = Buffer.concat([
      encodeRecordBatch({ records: sampleRecords }),
      encodeRecordBatch({ records: sampleRecords, compression: "lz4" }),
    ]);
    const positions = [...iterateBatches(all)].map((view) => view.position);
    for (const view of iterateBatches(all)) patchBaseOffset(view.bytes, 500n + BigInt(view.position));
    assert.deepEqual(
      [...iterateBatches(all)].map((view) => view.header.baseOffset),
      positions.map((position) => 500n + BigInt(position)),
    );
  });

  test("patching refuses something that is not a whole batch", () => {
    assertDecodeError(() => patchBaseOffset(new Uint8Array(20), 1n));
    assertDecodeError(
      () => patchLogAppendTime(encodeRecordBatch({ records: sampleRecords }).subarray(0, 70), 1n),
      "batchLength",
    );
  });
});

describe("control records", () => {
  // MemoryRecords.withEndTransactionMarker(7000, 1700000000123, 9, 4242, 3, COMMIT/11) and (7001, …124, ABORT/12).
  const javaCommit =
    "0000000000001b58000000420000000902c3e4d1800030000000000000018bcfe5687b0000018bcfe5687b00000000000010920003ffffffff000000012000000008000000010c00000000000b00";
  const javaAbort =
    "0000000000001b59000000420000000902f28b66f50030000000000000018bcfe5687c0000018bcfe5687c00000000000010920003ffffffff000000012000000008000000000c00000000000c00";

  test("commit and abort markers are byte-identical to Kafka's", () => {
    const commit = encodeEndTransactionMarker({
      marker: "commit",
      producerId: 4242n,
      producerEpoch: 3,
      coordinatorEpoch: 11,
      timestamp: t0 + 123n,
      baseOffset: 7000n,
      partitionLeaderEpoch: 9,
    });
    const abort = encodeEndTransactionMarker({
      marker: "abort",
      producerId: 4242n,
      producerEpoch: 3,
      coordinatorEpoch: 12,
      timestamp: t0 + 124n,
      baseOffset: 7001n,
      partitionLeaderEpoch: 9,
    });
    assert.equal(hex(commit), javaCommit);
    assert.equal(hex(abort), javaAbort);
  });

  test("markers decode as control batches", () => {
    for (const [bytes, type, epoch] of [
      [javaCommit, "commit", 11],
      [javaAbort, "abort", 12],
    ] as const) {
      const decoded = decodeRecords(Buffer.from(bytes, "hex"), { maxBytes });
      assert.equal(decoded.header.control, true);
      assert.equal(decoded.header.transactional, true);
      assert.equal(decoded.header.baseSequence, -1);
      assert.equal(decoded.records.length, 1);
      const [record] = decoded.records;
      assert.ok(record);
      assert.deepEqual(decodeControlRecord(record), {
        version: 0,
        typeId: type === "commit" ? 1 : 0,
        type,
        coordinatorEpoch: epoch,
      });
    }
  });

  test("other control types and malformed keys", () => {
    assert.deepEqual(decodeControlRecord({ key: encodeControlRecordKey("leaderChange"), value: null }), {
      version: 0,
      typeId: 2,
      type: "leaderChange",
    });
    assert.deepEqual(decodeControlRecord({ key: encodeControlRecordKey(99), value: null }), {
      version: 0,
      typeId: 99,
      type: "unknown",
    });
    assertDecodeError(() => decodeControlRecord({ key: new Uint8Array(3), value: null }), "controlRecord.key");
    assertDecodeError(() => decodeControlRecord({ key: null, value: null }), "controlRecord.key");
    assertDecodeError(
      () => decodeControlRecord({ key: encodeControlRecordKey("commit"), value: new Uint8Array(5) }),
      "controlRecord.value",
    );
  });
});
