// The topic backup file (v1): what is written is read back exactly however it is chunked; the
// reader treats the file as hostile — any truncation, any corruption, any field out of place is
// a BackupFormatError (exit code 5) naming the line, never another exception and never a record
// that was not written.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BackupDecoder, BackupFormatError, encodeHeader, encodeRecord, encodeTrailer } from "../src/backup/format.ts";
import type { BackupEntry, BackupHeader, BackupRecord } from "../src/backup/format.ts";
import { ExitCode } from "../src/framework/errors.ts";

const bytesOrNull = fc.option(
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  { nil: null },
);

const fileArbitrary = fc
  .record({
    partitions: fc.integer({ min: 1, max: 4 }),
    records: fc.array(
      fc.record({
        partition: fc.nat(3),
        gap: fc.nat(3),
        timestamp: fc.integer({ min: -1, max: 2 ** 45 }),
        key: bytesOrNull,
        value: bytesOrNull,
        headers: fc.array(fc.tuple(fc.string({ maxLength: 8 }), bytesOrNull), { maxLength: 3 }),
      }),
      { maxLength: 25 },
    ),
  })
  .map(({ partitions, records }) => {
    const next = new Map<number, number>();
    const out: BackupRecord[] = records.map((r) => {
      const partition = r.partition % partitions;
      const offset = (next.get(partition) ?? 5) + r.gap;
      next.set(partition, offset + 1);
      return { partition, offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers };
    });
    const header: BackupHeader = {
      topic: "orders.v1_x-y",
      partitions,
      configs: { "cleanup.policy": "compact", "retention.ms": "1000" },
      createdAt: "2024-05-01T12:00:00.000Z",
      ranges: Array.from({ length: partitions }, (_, partition) => ({
        partition,
        start: 5,
        end: (next.get(partition) ?? 5) + 2,
      })),
    };
    return { header, records: out };
  });

function encodeFile(file: { header: BackupHeader; records: readonly BackupRecord[] }): Buffer {
  return Buffer.from(
    encodeHeader(file.header) + file.records.map(encodeRecord).join("") + encodeTrailer(file.records.length),
  );
}

function decodeChunks(chunks: readonly Buffer[]): BackupEntry[] {
  const decoder = new BackupDecoder();
  const entries = chunks.flatMap((c) => decoder.push(c));
  decoder.end();
  return entries;
}

function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(at, p));
    at = p;
  }
  return chunks;
}

function isFormatError(e: unknown): boolean {
  return e instanceof BackupFormatError && e.exitCode === ExitCode.badInput && !/\n/.test(e.message);
}

test("round trip: every field back, however the file is chunked (property)", () => {
  fc.assert(
    fc.property(fileArbitrary, fc.array(fc.nat(), { maxLength: 12 }), (file, cuts) => {
      const entries = decodeChunks(chunked(encodeFile(file), cuts));
      assert.deepEqual(entries[0], { kind: "header", header: file.header });
      assert.deepEqual(
        entries.slice(1).map((e) => (e.kind === "record" ? e.record : undefined)),
        file.records,
      );
    }),
  );
});

test("every truncation of a file is an error (property)", () => {
  fc.assert(
    fc.property(fileArbitrary, fc.nat(), (file, cut) => {
      const bytes = encodeFile(file);
      // Everything but the final newline: a file cut anywhere before its trailer ends.
      const length = cut % (bytes.length - 1);
      assert.throws(() => decodeChunks([bytes.subarray(0, length)]), isFormatError);
    }),
  );
});

test("corrupted files fail with BackupFormatError only — or decode to exactly what was written (property)", () => {
  fc.assert(
    fc.property(
      fileArbitrary,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (file, flips) => {
        const bytes = Buffer.from(encodeFile(file));
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        try {
          const entries = decodeChunks([bytes]);
          // A flip that still decodes (inside a config value, a key's base64 …) must still be a
          // well-formed file; its records are whatever the bytes now say, within the header's ranges.
          for (const e of entries.slice(1)) assert.equal(e.kind, "record");
        } catch (error) {
          assert.ok(isFormatError(error), `only BackupFormatError, got ${String(error)}`);
        }
      },
    ),
  );
});

test("random bytes are never a backup", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.throws(() => decodeChunks([Buffer.from(bytes)]), isFormatError);
    }),
  );
});

const header = encodeHeader({
  topic: "t",
  partitions: 2,
  configs: {},
  createdAt: "2024-05-01T12:00:00.000Z",
  ranges: [
    { partition: 0, start: 0, end: 10 },
    { partition: 1, start: 0, end: 10 },
  ],
});

function failsWith(text: string, reason: RegExp): void {
  assert.throws(
    () => decodeChunks([Buffer.from(text)]),
    (e: unknown) => isFormatError(e) && reason.test((e as Error).message),
  );
}

test("hostile lines are refused with the line and the reason", () => {
  const rec = (fields: Record<string, unknown>): string =>
    JSON.stringify({ p: 0, o: 1, t: 5, k: null, v: null, h: [], ...fields }) + "\n";
  failsWith("", /empty file/);
  failsWith("{}\n", /line 1: not a Samsa topic backup/);
  failsWith(header.replace('"version":1', '"version":2'), /version 2 was written by a newer samsa/);
  failsWith(header.replace('"topic":"t"', '"topic":"../etc"'), /topic must be a valid topic name/);
  failsWith(header.replace('"partitions":2', '"partitions":0'), /partitions must be an integer/);
  failsWith(header.replace('"configs":{}', '"configs":{"a":1}'), /config "a" must be a string/);
  failsWith(header.replace('"createdAt"', '"extra":1,"createdAt"'), /unknown field "extra"/);
  failsWith(header + rec({ p: 2 }), /line 2: p \(partition\)/);
  failsWith(header + rec({ o: 10 }), /line 2: o \(offset\)/);
  failsWith(header + rec({ o: 3 }) + rec({ o: 3 }), /line 3: offset 3 does not increase/);
  failsWith(header + rec({ v: "not base64!" }), /v \(value\) must be base64/);
  failsWith(header + rec({ k: "QQ=" }), /k \(key\) must be base64/);
  failsWith(header + rec({ h: [["a"]] }), /a header must be/);
  failsWith(header + rec({ h: [[1, null]] }), /a header must be/);
  failsWith(header + rec({ t: -2 }), /t \(timestamp\)/);
  failsWith(header + rec({ t: 1.5 }), /t \(timestamp\)/);
  failsWith(header + rec({ x: 1 }), /unknown field "x"/);
  failsWith(header + "[1,2]\n", /must be a JSON object/);
  failsWith(header + "{not json\n", /line 2: not valid JSON/);
  failsWith(header + rec({}) + encodeTrailer(2), /the trailer counts 2 records, the file has 1/);
  failsWith(header + rec({}), /truncated/);
  failsWith(header + rec({}) + encodeTrailer(1) + rec({ o: 2 }), /line 4: data after the trailer/);
  // Fine: a trailer without its final newline, blank lines after the trailer.
  assert.equal(decodeChunks([Buffer.from(header + rec({}) + encodeTrailer(1).trimEnd())]).length, 2);
  assert.equal(decodeChunks([Buffer.from(header + encodeTrailer(0) + "\n\n")]).length, 1);
});
