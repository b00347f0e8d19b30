// Differential tests against Apache Kafka's own record code (kafka-clients, through
// test/java/RecordsInterop.java): our batches read by Kafka, Kafka's batches read by us, and the
// same verdict on mutated batches. Skipped when Java or the Kafka jars are absent.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { compressSync as snappyRawCompress } from "snappy";
import { compressFrameSync } from "lz4-napi";
import { DecodeError } from "../../src/errors.ts";
import {
  batchHeaderBytes,
  compress,
  compressionCodecs,
  crc32c,
  decodeControlRecord,
  decodeRecords,
  decompress,
  encodeEndTransactionMarker,
  encodeRecordBatch,
  iterateBatches,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  validateBatch,
  type CompressionCodec,
  type EncodeRecordBatchOptions,
  type RecordInput,
} from "../../src/records/index.ts";
import { batchSpecArb, hex } from "./arbitraries.ts";

const maxBytes = 64 * 1024 * 1024;
const t0 = 1_700_000_000_000n;
const javaSource = path.join(import.meta.dirname, "..", "java", "RecordsInterop.java");

/** The newest `libs` folder holding kafka-clients: $SAMSA_KAFKA_LIBS, or what scripts/kafka.sh install left. */
function findKafkaLibs(): string | null {
  const fromEnv = process.env["SAMSA_KAFKA_LIBS"];
  if (fromEnv !== undefined && fromEnv !== "") return existsSync(fromEnv) ? fromEnv : null;
  const cache = process.env["SAMSA_CACHE_DIR"] ?? path.join(homedir(), ".cache", "samsa");
  if (!existsSync(cache)) return null;
  const candidates = readdirSync(cache)
    .filter((name) => /^kafka-\d+(\.\d+)*$/.test(name))
    .map((name) => path.join(cache, name, "libs"))
    .filter(
      (libs) => existsSync(libs) && readdirSync(libs).some((f) => f.startsWith("kafka-clients-") && f.endsWith(".jar")),
    )
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return candidates.at(-1) ?? null;
}

function javaWorks(): boolean {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  return result.status === 0;
}

const libs = findKafkaLibs();
const skip =
  libs === null
    ? "Kafka jars not found: run `bash scripts/kafka.sh install` (or set SAMSA_KAFKA_LIBS to a folder of kafka-clients and its dependencies)"
    : !javaWorks()
      ? "no `java` on PATH (Java 17+ is needed)"
      : false;

// ------------------------------------------------------------------------------------------- shapes

type JsonLine = Record<string, unknown>;

const base64 = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes).toString("base64");

const javaControlType: Record<string, string> = {
  abort: "ABORT",
  commit: "COMMIT",
  leaderChange: "LEADER_CHANGE",
  snapshotHeader: "SNAPSHOT_HEADER",
  snapshotFooter: "SNAPSHOT_FOOTER",
  kraftVersion: "KRAFT_VERSION",
  kraftVoters: "KRAFT_VOTERS",
  unknown: "UNKNOWN",
};

/** Our reading of a records field, in the shape RecordsInterop.java prints. */
function ourLines(records: Uint8Array): JsonLine[] {
  const lines: JsonLine[] = [];
  for (const view of iterateBatches(records)) {
    const { header, records: decoded } = decodeRecords(view.bytes, { maxBytes });
    lines.push({
      t: "batch",
      baseOffset: String(header.baseOffset),
      lastOffset: String(header.lastOffset),
      count: header.recordsCount,
      sizeInBytes: header.sizeBytes,
      compression: header.compression,
      timestampType: header.timestampType,
      maxTimestamp: String(header.maxTimestamp),
      transactional: header.transactional,
      control: header.control,
      producerId: String(header.producerId),
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      crc: String(header.crc),
    });
    for (const record of decoded) {
      const line: JsonLine = {
        t: "record",
        offset: String(record.offset),
        timestamp: String(record.timestamp),
        key: base64(record.key),
        value: base64(record.value),
        headers: record.headers.map((h) => ({ key: h.key, value: base64(h.value) })),
      };
      if (header.control) {
        const control = decodeControlRecord(record);
        line["controlType"] = javaControlType[control.type];
        if (control.coordinatorEpoch !== undefined) line["coordinatorEpoch"] = control.coordinatorEpoch;
      }
      lines.push(line);
    }
  }
  return lines;
}

// ------------------------------------------------------------------------------------------- inputs

const utf8 = (s: string): Uint8Array => Buffer.from(s, "utf8");

/** The records RecordsInterop.java's build() appends, so both sides can encode the same batch. */
function interopRecords(): RecordInput[] {
  const large = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251);
  return [
    {
      key: utf8("key-0"),
      value: utf8("value-0"),
      timestamp: t0,
      headers: [
        { key: "h1", value: utf8("v1") },
        { key: "ключ☃", value: null },
        { key: "", value: new Uint8Array(0) },
      ],
    },
    { key: null, value: new Uint8Array(0), timestamp: t0 + 5n },
    { key: new Uint8Array(0), value: null, timestamp: t0 - 10n },
    { key: utf8("large"), value: large, timestamp: t0 + 1n },
    ...Array.from({ length: 200 }, (_, i) => ({
      key: utf8(`k${i}`),
      value: utf8(`value ${i} ${"x".repeat(i % 50)}`),
      timestamp: t0 + 100n + BigInt(i),
    })),
  ];
}

/** The batches RecordsInterop.java's encode() writes, in order, as our encoder options. */
function javaBatchesAsOptions(): (EncodeRecordBatchOptions | "commit" | "abort")[] {
  const records = interopRecords();
  return [
    ...compressionCodecs.map((compression, i) => ({
      records,
      compression,
      baseOffset: BigInt(i * 1000),
      partitionLeaderEpoch: 7,
    })),
    {
      records,
      compression: "lz4",
      baseOffset: 5000n,
      partitionLeaderEpoch: 9,
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 17,
      transactional: true,
    },
    {
      records,
      compression: "zstd",
      baseOffset: 6000n,
      partitionLeaderEpoch: 9,
      timestampType: "LogAppendTime",
      maxTimestamp: 1_800_000_000_000n,
    },
    "commit",
    "abort",
  ];
}

function marker(type: "commit" | "abort"): Uint8Array {
  return type === "commit"
    ? encodeEndTransactionMarker({
        marker: "commit",
        producerId: 4242n,
        producerEpoch: 3,
        coordinatorEpoch: 11,
        timestamp: t0 + 123n,
        baseOffset: 7000n,
        partitionLeaderEpoch: 9,
      })
    : encodeEndTransactionMarker({
        marker: "abort",
        producerId: 4242n,
        producerEpoch: 3,
        coordinatorEpoch: 12,
        timestamp: t0 + 124n,
        baseOffset: 7001n,
        partitionLeaderEpoch: 9,
      });
}

/** A batch whose records are compressed by `frame` instead of our encoder's choice of framing. */
function reframed(
  codec: CompressionCodec,
  records: RecordInput[],
  frame: (plain: Uint8Array) => Uint8Array,
  baseOffset: bigint,
): Uint8Array {
  const plain = encodeRecordBatch({ records, baseOffset });
  const compressed = frame(plain.subarray(batchHeaderBytes));
  const batch = new Uint8Array(batchHeaderBytes + compressed.length);
  batch.set(plain.subarray(0, batchHeaderBytes));
  batch.set(compressed, batchHeaderBytes);
  const view = new DataView(batch.buffer);
  view.setInt32(8, batch.length - 12);
  view.setInt16(21, compressionCodecs.indexOf(codec));
  view.setUint32(17, crc32c(batch.subarray(21)));
  return batch;
}

/** Our batches for Kafka to read: every codec and feature, plus framings other clients use. */
function ourBatches(): Uint8Array[] {
  const records = interopRecords();
  const batches: Uint8Array[] = javaBatchesAsOptions().map((options) =>
    typeof options === "string" ? marker(options) : encodeRecordBatch(options),
  );
  const patched = encodeRecordBatch({ records, compression: "gzip", compressionLevel: 9 });
  patchBaseOffset(patched, 9000n);
  patchPartitionLeaderEpoch(patched, 21);
  patchLogAppendTime(patched, 1_900_000_000_000n);
  batches.push(patched);
  batches.push(encodeRecordBatch({ records, compression: "zstd", compressionLevel: 19, baseOffset: 10_000n }));
  batches.push(reframed("snappy", records, (plain) => snappyRawCompress(plain), 11_000n));
  batches.push(
    reframed(
      "lz4",
      records,
      (plain) => compressFrameSync(Buffer.from(plain), { blockChecksums: true, contentChecksum: true }),
      12_000n,
    ),
  );
  batches.push(
    encodeRecordBatch({ records: [], baseOffset: 13_000n, lastOffsetDelta: 4, baseTimestamp: t0, maxTimestamp: t0 }),
  );
  return batches;
}

// ------------------------------------------------------------------------------------------- java

interface JavaRun {
  readonly decode: JsonLine[];
  readonly encode: JsonLine[];
  readonly check: JsonLine[];
  readonly javaBytes: Uint8Array;
}

interface CheckCase {
  readonly description: string;
  readonly bytes: Uint8Array;
}

function runJava(options: { ours: Uint8Array; cases: readonly CheckCase[] }): JavaRun {
  if (libs === null) throw new Error("no Kafka libs");
  const dir = mkdtempSync(path.join(tmpdir(), "samsa-records-interop-"));
  try {
    let source = readFileSync(javaSource, "utf8");
    // Kafka 4.4 moved the record classes to ...record.internal; older 3.8+/4.x jars have them in ...record.
    const clients = readdirSync(libs).find((f) => f.startsWith("kafka-clients-") && f.endsWith(".jar")) ?? "";
    const jar = readFileSync(path.join(libs, clients));
    if (!jar.includes("org/apache/kafka/common/record/internal/MemoryRecords.class")) {
      source = source.replaceAll("org.apache.kafka.common.record.internal.", "org.apache.kafka.common.record.");
    }
    const program = path.join(dir, "RecordsInterop.java");
    writeFileSync(program, source);
    writeFileSync(path.join(dir, "ours.bin"), options.ours);
    const cases = Buffer.concat(
      options.cases.flatMap((c) => {
        const length = Buffer.alloc(4);
        length.writeInt32BE(c.bytes.length);
        return [length, c.bytes];
      }),
    );
    writeFileSync(path.join(dir, "cases.bin"), cases);
    const args = [
      "-cp",
      `${libs}/*`,
      program,
      "decode",
      path.join(dir, "ours.bin"),
      "encode",
      path.join(dir, "java.bin"),
      "check",
      path.join(dir, "cases.bin"),
    ];
    const result = spawnSync("java", args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024, timeout: 180_000 });
    assert.equal(result.status, 0, `java failed (${String(result.status)}):\n${result.stderr.slice(0, 4000)}`);
    const lines = result.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as JsonLine);
    const pick = (src: string): JsonLine[] =>
      lines.filter((l) => l["src"] === src).map(({ src: _src, ...rest }) => rest);
    return {
      decode: pick("decode"),
      encode: pick("encode"),
      check: lines.filter((l) => l["t"] === "check"),
      javaBytes: readFileSync(path.join(dir, "java.bin")),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------- checks

/** Our verdict on a records field, as Java's check mode judges it: every batch valid, every record read. */
function ourVerdict(bytes: Uint8Array): { ok: boolean; records: number; error: string | null } {
  let records = 0;
  try {
    for (const view of iterateBatches(bytes)) {
      validateBatch(view.bytes);
      records += decodeRecords(view.bytes, { maxBytes }).records.length;
    }
    return { ok: true, records, error: null };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { ok: false, records, error: error.message };
  }
}

function resign(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(17, crc32c(batch.subarray(21)));
  return batch;
}

/** Mutated batches (CRC fixed up, so the mutation reaches the record parsers on both sides). */
function checkCases(): CheckCase[] {
  const cases: CheckCase[] = [];
  const specs = fc.sample(batchSpecArb, { numRuns: 300, seed: 20240601 });
  const editsArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });
  const recordEdits = fc.sample(editsArb, { numRuns: specs.length, seed: 7 });
  const headerEdits = fc.sample(editsArb, { numRuns: specs.length, seed: 8 });
  // Header bytes open to mutation: attributes and the timestamps, producer fields and sequence.
  // lastOffsetDelta and recordsCount are left alone: see knownDifferences.
  const headerPositions = [21, 22, ...Array.from({ length: 57 - 27 }, (_, i) => 27 + i)];
  specs.forEach((spec, i) => {
    const batch = encodeRecordBatch(spec);
    cases.push({ description: `valid ${spec.compression} batch #${i}`, bytes: batch });
    const plain =
      spec.compression === "none"
        ? batch.slice(batchHeaderBytes)
        : Uint8Array.from(decompress(spec.compression, batch.subarray(batchHeaderBytes), { maxBytes }));
    for (const [position, value] of recordEdits[i] ?? []) if (plain.length > 0) plain[position % plain.length] = value;
    const compressed = compress(spec.compression, plain);
    const mutated = new Uint8Array(batchHeaderBytes + compressed.length);
    mutated.set(batch.subarray(0, batchHeaderBytes));
    mutated.set(compressed, batchHeaderBytes);
    new DataView(mutated.buffer).setInt32(8, mutated.length - 12);
    cases.push({ description: `mutated records of ${spec.compression} batch #${i}`, bytes: resign(mutated) });
    const header = Uint8Array.from(batch);
    for (const [position, value] of headerEdits[i] ?? [])
      header[headerPositions[position % headerPositions.length] ?? 21] = value;
    cases.push({ description: `mutated header of ${spec.compression} batch #${i}`, bytes: resign(header) });
  });
  return cases;
}

/** A zigzag varint as hex. */
function varintHex(n: number): string {
  let u = ((n << 1) ^ (n >> 31)) >>> 0;
  let out = "";
  while (u >= 0x80) {
    out += ((u & 0x7f) | 0x80).toString(16).padStart(2, "0");
    u >>>= 7;
  }
  return out + u.toString(16).padStart(2, "0");
}

/** An uncompressed batch around hand-written records (each given as its body, in hex). */
function handWritten(bodies: string[], options: { count?: number; lastOffsetDelta?: number } = {}): Uint8Array {
  const records = Buffer.from(bodies.map((body) => varintHex(body.length / 2) + body).join(""), "hex");
  const batch = new Uint8Array(batchHeaderBytes + records.length);
  batch.set(encodeRecordBatch({ records: [] }));
  batch.set(records, batchHeaderBytes);
  const view = new DataView(batch.buffer);
  view.setInt32(8, batch.length - 12);
  view.setInt32(23, options.lastOffsetDelta ?? Math.max(0, bodies.length - 1));
  view.setInt32(57, options.count ?? bodies.length);
  return resign(batch);
}

// attributes, timestampDelta, offsetDelta, key length, key, value length, value, header count
const minimal = "00" + "00" + "00" + "01" + "01" + "00";

/**
 * Where we are stricter than Kafka's consumer-side checks, on purpose; Kafka's broker refuses
 * the first two at produce time too (LogValidator), and no client writes the others.
 */
const knownDifferences: { description: string; bytes: Uint8Array }[] = [
  {
    description: "more records than offsets 0..lastOffsetDelta",
    bytes: handWritten([minimal, minimal], { lastOffsetDelta: 0 }),
  },
  { description: "negative lastOffsetDelta", bytes: handWritten([minimal], { lastOffsetDelta: -5 }) },
  { description: "recordsCount 0 with record bytes after the header", bytes: handWritten([minimal], { count: 0 }) },
  {
    description: "5-byte varint with bits above 32 (Kafka drops them)",
    bytes: handWritten(["00" + "00" + "00" + "8080808070" + "01" + "00"]),
  },
  {
    description: "10-byte varlong with bits above 64 (Kafka drops them)",
    bytes: handWritten(["00" + "ffffffffffffffffff7f" + "00" + "01" + "01" + "00"]),
  },
];

/** Edge cases on which both must agree. */
const edgeCases: { description: string; bytes: Uint8Array }[] = [
  { description: "minimal record", bytes: handWritten([minimal]) },
  {
    description: "overlong varint of 5 bytes (0)",
    bytes: handWritten(["00" + "00" + "00" + "8080808000" + "01" + "00"]),
  },
  { description: "key length -3 reads as null", bytes: handWritten(["00" + "00" + "00" + "05" + "01" + "00"]) },
  {
    description: "header value length -3 reads as null",
    bytes: handWritten(["00" + "00" + "00" + "01" + "01" + "02" + "02" + "68" + "05"]),
  },
  {
    description: "negative header key length",
    bytes: handWritten(["00" + "00" + "00" + "01" + "01" + "02" + "01" + "01"]),
  },
  {
    description: "header count beyond the record",
    bytes: handWritten(["00" + "00" + "00" + "01" + "01" + "feffffff0f"]),
  },
  {
    description: "header key of invalid UTF-8",
    bytes: handWritten(["00" + "00" + "00" + "01" + "01" + "02" + "02" + "ff" + "01"]),
  },
  { description: "record length 0", bytes: handWritten([""]) },
  { description: "record with a byte after its headers", bytes: handWritten([minimal + "00"]) },
  { description: "11-byte varlong", bytes: handWritten(["00" + "ffffffffffffffffffff01" + "00" + "01" + "01" + "00"]) },
  { description: "negative offsetDelta", bytes: handWritten(["00" + "00" + "03" + "01" + "01" + "00"]) },
  { description: "two records with the same offsetDelta", bytes: handWritten([minimal, minimal]) },
  {
    description: "unused attribute bits 7-15 set",
    bytes: resign(Uint8Array.from(handWritten([minimal]), (b, i) => (i === 21 ? 0x7f : b))),
  },
  {
    description: "compression id 6",
    bytes: resign(Uint8Array.from(handWritten([minimal]), (b, i) => (i === 22 ? 0x06 : b))),
  },
];

describe("interop with Apache Kafka's record code", { skip }, () => {
  let run: JavaRun;
  let ours: Uint8Array;
  let cases: CheckCase[];

  before(() => {
    ours = Buffer.concat(ourBatches());
    cases = [...checkCases(), ...edgeCases, ...knownDifferences];
    run = runJava({ ours, cases });
  });

  test("Kafka reads our batches (every codec, markers, patched fields, raw snappy, checksummed lz4) as we do", () => {
    const expected = ourLines(ours);
    assert.equal(run.decode.length, expected.length);
    run.decode.forEach((line, i) => assert.deepEqual(line, expected[i], `line ${i}`));
  });

  test("we read Kafka's batches (every codec, producer state, LogAppendTime, markers) as Kafka does", () => {
    const batches = [...iterateBatches(run.javaBytes)];
    assert.equal(batches.length, javaBatchesAsOptions().length);
    for (const view of batches) validateBatch(view.bytes);
    const expected = ourLines(run.javaBytes);
    assert.equal(run.encode.length, expected.length);
    run.encode.forEach((line, i) => assert.deepEqual(expected[i], line, `line ${i}`));
  });

  test("our encoder writes what Kafka's MemoryRecordsBuilder writes: same header and same records bytes", () => {
    const javaBatches = [...iterateBatches(run.javaBytes)];
    javaBatchesAsOptions().forEach((options, i) => {
      const java = javaBatches[i];
      assert.ok(java);
      const mine = typeof options === "string" ? marker(options) : encodeRecordBatch(options);
      const header = java.header;
      if (header.compression === "none") {
        assert.equal(hex(mine), hex(java.bytes), `batch ${i}`);
        return;
      }
      // Compressed bytes differ between libraries; everything else must not.
      const strip = (b: Uint8Array): string =>
        hex(Buffer.concat([b.subarray(0, 8), b.subarray(12, 17), b.subarray(21, batchHeaderBytes)])) ?? "";
      assert.equal(strip(mine), strip(java.bytes), `header of batch ${i}`);
      const plain = (b: Uint8Array): string | null =>
        hex(decompress(header.compression, b.subarray(batchHeaderBytes), { maxBytes }));
      assert.equal(plain(mine), plain(java.bytes), `records of batch ${i}`);
    });
  });

  test("Kafka writes snappy with snappy-java's framing and lz4 as a standard frame", () => {
    const javaBatches = [...iterateBatches(run.javaBytes)];
    const snappy = javaBatches.find((b) => b.header.compression === "snappy");
    const lz4 = javaBatches.find((b) => b.header.compression === "lz4");
    assert.equal(
      hex(snappy?.bytes.subarray(batchHeaderBytes, batchHeaderBytes + 16) ?? null),
      "82534e41505059000000000100000001",
    );
    assert.equal(hex(lz4?.bytes.subarray(batchHeaderBytes, batchHeaderBytes + 4) ?? null), "04224d18");
  });

  test("same verdict as Kafka on mutated batches and edge cases", () => {
    assert.equal(run.check.length, cases.length);
    const known = new Set(knownDifferences.map((c) => c.description));
    const disagreements: string[] = [];
    cases.forEach((c, i) => {
      const java = run.check[i];
      const mine = ourVerdict(c.bytes);
      const agree = java?.["ok"] === mine.ok && (!mine.ok || java["records"] === mine.records);
      if (agree === known.has(c.description)) {
        disagreements.push(
          `${known.has(c.description) ? "(expected to differ) " : ""}${c.description}: Kafka ${java?.["ok"] === true ? "accepts" : `refuses (${String(java?.["error"])})`}, we ${mine.ok ? "accept" : `refuse (${mine.error ?? ""})`}`,
        );
      }
    });
    assert.ok(
      cases.filter((_, i) => run.check[i]?.["ok"] === false).length > 100,
      "the mutations reach Kafka's parsers",
    );
    assert.deepEqual(disagreements, []);
  });
});
