// Record batch v2 (magic 2), Kafka's unit of storage and transfer: encoding, header parsing,
// validation, iteration of batches and records, and in-place patching of broker-assigned fields.
import { Buffer } from "node:buffer";
import { DecodeError, ReadError } from "../errors.ts";
import { Reader } from "../primitives/reader.ts";
import { compress, compressionCodecOf, compressionId, decompress, type CompressionCodec } from "./compression.ts";
import { crc32c } from "./crc32c.ts";

export type TimestampType = "CreateTime" | "LogAppendTime";

// Byte positions of the header fields, as in Kafka's DefaultRecordBatch.
const baseOffsetAt = 0;
const batchLengthAt = 8;
const partitionLeaderEpochAt = 12;
const magicAt = 16;
const crcAt = 17;
const attributesAt = 21;
const lastOffsetDeltaAt = 23;
const baseTimestampAt = 27;
const maxTimestampAt = 35;
const producerIdAt = 43;
const producerEpochAt = 51;
const baseSequenceAt = 53;
const recordsCountAt = 57;

/** Bytes of the batch header; the records (possibly compressed) follow. */
export const batchHeaderBytes = 61;
/** baseOffset and batchLength: the bytes of a batch that batchLength does not count. */
export const logOverheadBytes = 12;
const batchLengthMin = batchHeaderBytes - logOverheadBytes;
/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const recordBytesMin = 7;
/** The smallest header: key length and value length. */
const headerBytesMin = 2;
const magicV2 = 2;

const compressionMask = 0x07;
const timestampTypeBit = 0x08;
const transactionalBit = 0x10;
const controlBit = 0x20;
const deleteHorizonBit = 0x40;

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
/** Numbers up to this magnitude zigzag-encode exactly as doubles (2 × 2^52 ≤ 2^53). */
const fastVarlongMax = 2 ** 52 - 1;

const utf8 = new TextDecoder("utf-8");
const noHeaders: readonly RecordHeader[] = Object.freeze([]);

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** The 61-byte header of a batch, read without touching the records. */
export interface RecordBatchHeader {
  readonly baseOffset: bigint;
  /** Bytes after the batchLength field; the whole batch is batchLength + 12 bytes. */
  readonly batchLength: number;
  readonly sizeBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly compression: CompressionCodec;
  readonly timestampType: TimestampType;
  readonly transactional: boolean;
  readonly control: boolean;
  readonly hasDeleteHorizon: boolean;
  readonly lastOffsetDelta: number;
  /** baseOffset + lastOffsetDelta: the offset after which the next batch starts. */
  readonly lastOffset: bigint;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

/** One whole batch found in a `records` field. */
export interface RecordBatchView {
  /** The batch's bytes: a view into the input, not a copy (patching it patches the input). */
  readonly bytes: Uint8Array;
  /** Where the batch starts in the input. */
  readonly position: number;
  readonly header: RecordBatchHeader;
}

export interface DecodedRecord {
  readonly offset: bigint;
  /** The record's own timestamp, or the batch's maxTimestamp when the batch uses LogAppendTime. */
  readonly timestamp: bigint;
  readonly offsetDelta: number;
  readonly attributes: number;
  /** Views into the batch (or into the decompressed records), not copies. */
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

export interface DecodedBatch {
  readonly header: RecordBatchHeader;
  readonly records: DecodedRecord[];
}

export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  readonly timestamp: bigint;
  /** Defaults to the record's index in the batch. */
  readonly offsetDelta?: number;
}

export interface EncodeRecordBatchOptions {
  readonly records: readonly RecordInput[];
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionCodec;
  readonly compressionLevel?: number;
  readonly timestampType?: TimestampType;
  readonly transactional?: boolean;
  readonly control?: boolean;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  /** Defaults to the first record's timestamp (-1 for an empty batch). */
  readonly baseTimestamp?: bigint;
  /** Defaults to the largest record timestamp; for LogAppendTime pass the append time. */
  readonly maxTimestamp?: bigint;
  /** Defaults to the largest offsetDelta; larger when compaction removed the last records. */
  readonly lastOffsetDelta?: number;
}

export interface DecodeRecordsOptions {
  /** Limit of the decompressed records of a compressed batch. */
  readonly maxBytes: number;
  /** Check the CRC before reading records (default true). */
  readonly verifyCrc?: boolean;
}

function fail(path: string, reason: string): never {
  throw new DecodeError({ api: "RecordBatch", version: magicV2, path, reason });
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------- header

/** Checks that a magic-2 batch header starts at `offset`. Returns the batch's size in bytes. */
function checkHeader(bytes: Uint8Array, view: DataView, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new RangeError(`offset ${offset} outside the input`);
  }
  const available = bytes.length - offset;
  if (available < batchHeaderBytes) fail("", `${available} bytes cannot hold a ${batchHeaderBytes}-byte batch header`);
  const batchLength = view.getInt32(offset + batchLengthAt);
  if (batchLength < batchLengthMin) fail("batchLength", `${batchLength} is below the minimum ${batchLengthMin}`);
  const magic = view.getInt8(offset + magicAt);
  if (magic !== magicV2) fail("magic", `unsupported magic ${magic} (only record batch v2 is supported)`);
  return batchLength + logOverheadBytes;
}

/** Checks that a whole magic-2 batch (as long as it declares) starts at `offset`. Returns its size. */
function checkFraming(bytes: Uint8Array, view: DataView, offset: number): number {
  const sizeBytes = checkHeader(bytes, view, offset);
  if (sizeBytes > bytes.length - offset) {
    fail(
      "batchLength",
      `${sizeBytes - logOverheadBytes} overruns the ${bytes.length - offset - logOverheadBytes} bytes available`,
    );
  }
  return sizeBytes;
}

function parseHeader(view: DataView, offset: number): RecordBatchHeader {
  const batchLength = view.getInt32(offset + batchLengthAt);
  const attributes = view.getInt16(offset + attributesAt);
  const compression = compressionCodecOf(attributes & compressionMask);
  if (compression === undefined) fail("attributes", `unknown compression type id ${attributes & compressionMask}`);
  const baseOffset = view.getBigInt64(offset + baseOffsetAt);
  const lastOffsetDelta = view.getInt32(offset + lastOffsetDeltaAt);
  return {
    baseOffset,
    batchLength,
    sizeBytes: batchLength + logOverheadBytes,
    partitionLeaderEpoch: view.getInt32(offset + partitionLeaderEpochAt),
    magic: view.getInt8(offset + magicAt),
    crc: view.getUint32(offset + crcAt),
    attributes,
    compression,
    timestampType: (attributes & timestampTypeBit) !== 0 ? "LogAppendTime" : "CreateTime",
    transactional: (attributes & transactionalBit) !== 0,
    control: (attributes & controlBit) !== 0,
    hasDeleteHorizon: (attributes & deleteHorizonBit) !== 0,
    lastOffsetDelta,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    baseTimestamp: view.getBigInt64(offset + baseTimestampAt),
    maxTimestamp: view.getBigInt64(offset + maxTimestampAt),
    producerId: view.getBigInt64(offset + producerIdAt),
    producerEpoch: view.getInt16(offset + producerEpochAt),
    baseSequence: view.getInt32(offset + baseSequenceAt),
    recordsCount: view.getInt32(offset + recordsCountAt),
  };
}

/**
 * Parses the 61-byte header of the batch at `offset` without reading its records or checking its
 * CRC; only the header needs to be present (e.g. read alone from a log segment).
 */
export function readBatchHeader(bytes: Uint8Array, offset = 0): RecordBatchHeader {
  const view = viewOf(bytes);
  checkHeader(bytes, view, offset);
  return parseHeader(view, offset);
}

/**
 * Checks the batch at `offset` short of reading its records: framing, magic, CRC (as Kafka's
 * DefaultRecordBatch.ensureValid), compression id, record count, and the offset range. The last is
 * stricter than Kafka's consumer (which never looks) and part of what its broker's LogValidator
 * demands of produced batches: lastOffsetDelta ≥ 0 and no more records than offsets. Returns the
 * header; throws DecodeError.
 */
export function validateBatch(bytes: Uint8Array, offset = 0): RecordBatchHeader {
  const view = viewOf(bytes);
  const sizeBytes = checkFraming(bytes, view, offset);
  const storedCrc = view.getUint32(offset + crcAt);
  const computedCrc = crc32c(bytes.subarray(offset + attributesAt, offset + sizeBytes));
  if (storedCrc !== computedCrc) fail("crc", `stored crc ${storedCrc} does not match computed crc ${computedCrc}`);
  const header = parseHeader(view, offset);
  if (header.recordsCount < 0) fail("recordsCount", `negative record count ${header.recordsCount}`);
  if (header.lastOffsetDelta < 0) fail("lastOffsetDelta", `negative lastOffsetDelta ${header.lastOffsetDelta}`);
  // Offset deltas are distinct and within [0, lastOffsetDelta]; compaction may only remove records.
  if (header.recordsCount - 1 > header.lastOffsetDelta) {
    fail("lastOffsetDelta", `${header.recordsCount} records cannot fit in offset deltas 0..${header.lastOffsetDelta}`);
  }
  if (header.compression === "none" && header.recordsCount * recordBytesMin > sizeBytes - batchHeaderBytes) {
    fail("recordsCount", `${header.recordsCount} records cannot fit in ${sizeBytes - batchHeaderBytes} bytes`);
  }
  return header;
}

// ---------------------------------------------------------------------------------------------- batches

/**
 * Iterates the batches concatenated in a `records` field. A fetch response may end with a partial
 * batch: iteration stops cleanly before it, and the generator returns the number of bytes left
 * over. Yields views (no copies); does not check CRCs (see validateBatch).
 */
export function* iterateBatches(records: Uint8Array): Generator<RecordBatchView, number, undefined> {
  const view = viewOf(records);
  let at = 0;
  while (at < records.length) {
    const available = records.length - at;
    if (available < logOverheadBytes) return available;
    const batchLength = view.getInt32(at + batchLengthAt);
    if (batchLength < batchLengthMin) fail("batchLength", `batch at byte ${at} declares ${batchLength} bytes`);
    if (batchLength > available - logOverheadBytes) return available;
    const sizeBytes = checkFraming(records, view, at);
    yield { bytes: records.subarray(at, at + sizeBytes), position: at, header: parseHeader(view, at) };
    at += sizeBytes;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------- records

/** Zigzag varlong; numbers that fit in 49 bits (nearly every timestamp delta) avoid BigInt arithmetic. */
function readVarlong(r: Reader): bigint {
  const start = r.offset;
  let result = 0;
  for (let shift = 0; shift < 49; shift += 7) {
    const b = r.uint8();
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return BigInt(result % 2 === 0 ? result / 2 : -(result + 1) / 2);
  }
  r.offset = start;
  return r.varlong();
}

/** Kafka reads any negative key, value or header value length as null. */
function readNullableBytes(r: Reader): Uint8Array | null {
  const n = r.varint();
  return n < 0 ? null : r.raw(n);
}

interface RecordContext {
  readonly baseOffset: bigint;
  readonly baseTimestamp: bigint;
  /** Set for LogAppendTime batches: every record's timestamp. */
  readonly logAppendTime: bigint | null;
}

function readRecord(r: Reader, context: RecordContext): DecodedRecord {
  const bodyBytes = r.varint();
  if (bodyBytes < recordBytesMin - 1) r.fail(`record length ${bodyBytes} is below the minimum ${recordBytesMin - 1}`);
  if (bodyBytes > r.remaining) r.fail(`record of ${bodyBytes} bytes overruns the ${r.remaining} bytes left`);
  const end = r.offset + bodyBytes;
  const outerEnd = r.end;
  r.end = end;
  const attributes = r.int8();
  const timestampDelta = readVarlong(r);
  const offsetDelta = r.varint();
  const key = readNullableBytes(r);
  const value = readNullableBytes(r);
  const headerCount = r.varint();
  if (headerCount < 0) r.fail(`negative header count ${headerCount}`);
  if (headerCount * headerBytesMin > r.remaining) r.fail(`${headerCount} headers cannot fit in ${r.remaining} bytes`);
  let headers = noHeaders;
  if (headerCount > 0) {
    const list: RecordHeader[] = [];
    for (let i = 0; i < headerCount; i++) {
      const keyBytes = r.varint();
      if (keyBytes < 0) r.fail(`header ${i} has a null key`);
      list.push({ key: utf8.decode(r.raw(keyBytes)), value: readNullableBytes(r) });
    }
    headers = list;
  }
  if (r.offset !== end) r.fail(`record has ${end - r.offset} bytes after its headers`);
  r.end = outerEnd;
  return {
    offset: context.baseOffset + BigInt(offsetDelta),
    timestamp: context.logAppendTime ?? context.baseTimestamp + timestampDelta,
    offsetDelta,
    attributes,
    key,
    value,
    headers,
  };
}

interface RecordSource {
  readonly header: RecordBatchHeader;
  readonly reader: Reader;
  readonly context: RecordContext;
}

/** Validates (unless told not to), decompresses when needed, and positions a reader on the records. */
function openRecords(batch: Uint8Array, options: DecodeRecordsOptions): RecordSource {
  let header: RecordBatchHeader;
  if (options.verifyCrc === false) {
    const view = viewOf(batch);
    checkFraming(batch, view, 0);
    header = parseHeader(view, 0);
  } else {
    header = validateBatch(batch);
  }
  if (header.recordsCount < 0) fail("recordsCount", `negative record count ${header.recordsCount}`);
  let reader: Reader;
  if (header.compression === "none") {
    reader = new Reader(batch, batchHeaderBytes, header.sizeBytes);
  } else {
    const data = decompress(header.compression, batch.subarray(batchHeaderBytes, header.sizeBytes), {
      maxBytes: options.maxBytes,
    });
    reader = new Reader(data);
  }
  if (header.recordsCount * recordBytesMin > reader.remaining) {
    fail("recordsCount", `${header.recordsCount} records cannot fit in ${reader.remaining} bytes`);
  }
  const context: RecordContext = {
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTime: header.timestampType === "LogAppendTime" ? header.maxTimestamp : null,
  };
  return { header, reader, context };
}

function recordAt(source: RecordSource, index: number): DecodedRecord {
  try {
    return readRecord(source.reader, source.context);
  } catch (error) {
    if (error instanceof ReadError) fail(`records[${index}]`, error.message);
    throw error;
  }
}

function checkNoneRemaining(source: RecordSource): void {
  const left = source.reader.remaining;
  if (left > 0) fail("records", `${left} bytes after the last of ${source.header.recordsCount} records`);
}

/**
 * Reads every record of one batch (decompressing if needed). Keys and values of an uncompressed
 * batch are views into `batch`. Throws only DecodeError for malformed input.
 */
export function decodeRecords(batch: Uint8Array, options: DecodeRecordsOptions): DecodedBatch {
  const source = openRecords(batch, options);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < source.header.recordsCount; i++) records.push(recordAt(source, i));
  checkNoneRemaining(source);
  return { header: source.header, records };
}

/** Like decodeRecords, but reads records one at a time (the batch is validated up front). */
export function* iterateRecords(
  batch: Uint8Array,
  options: DecodeRecordsOptions,
): Generator<DecodedRecord, void, undefined> {
  const source = openRecords(batch, options);
  for (let i = 0; i < source.header.recordsCount; i++) yield recordAt(source, i);
  checkNoneRemaining(source);
}

// ---------------------------------------------------------------------------------------------- encode

function sizeOfUvarint(u: number): number {
  let size = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function writeUvarint(out: Uint8Array, at: number, u: number): number {
  while (u >= 0x80) {
    out[at++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  out[at++] = u;
  return at;
}

function zigzag64(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

function sizeOfVarlong(delta: number | bigint): number {
  if (typeof delta === "number") return sizeOfUvarint(delta >= 0 ? delta * 2 : -delta * 2 - 1);
  let u = zigzag64(delta);
  let size = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    size++;
  }
  return size;
}

function writeVarlong(out: Uint8Array, at: number, delta: number | bigint): number {
  if (typeof delta === "number") return writeUvarint(out, at, delta >= 0 ? delta * 2 : -delta * 2 - 1);
  let u = zigzag64(delta);
  while (u >= 0x80n) {
    out[at++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  out[at++] = Number(u);
  return at;
}

function sizeOfNullableBytes(v: Uint8Array | null): number {
  return v === null ? 1 : sizeOfUvarint(zigzag32(v.length)) + v.length;
}

function writeNullableBytes(out: Uint8Array, at: number, v: Uint8Array | null): number {
  if (v === null) return writeUvarint(out, at, 1); // zigzag(-1)
  at = writeUvarint(out, at, zigzag32(v.length));
  out.set(v, at);
  return at + v.length;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} ${v} outside [${min}, ${max}]`);
}

function checkInt64(name: string, v: bigint): void {
  if (v < int64Min || v > int64Max) throw new RangeError(`${name} ${v} outside int64`);
}

interface PlannedRecord {
  readonly input: RecordInput;
  readonly offsetDelta: number;
  readonly timestampDelta: number | bigint;
  readonly bodyBytes: number;
  /** UTF-8 byte length of each header key, in order. */
  readonly headerKeyBytes: number[];
}

/** First pass: every record's size, so the batch is written once into an exactly sized buffer. */
function planRecords(
  records: readonly RecordInput[],
  baseTimestamp: bigint,
): { planned: PlannedRecord[]; totalBytes: number } {
  const planned: PlannedRecord[] = [];
  let totalBytes = 0;
  records.forEach((input, index) => {
    const offsetDelta = input.offsetDelta ?? index;
    checkInt(`records[${index}].offsetDelta`, offsetDelta, 0, int32Max);
    checkInt64(`records[${index}].timestamp`, input.timestamp);
    const delta = input.timestamp - baseTimestamp;
    checkInt64(`records[${index}] timestamp delta`, delta);
    const timestampDelta = delta >= -fastVarlongMax && delta <= fastVarlongMax ? Number(delta) : delta;
    const headers = input.headers ?? noHeaders;
    const headerKeyBytes: number[] = [];
    let bodyBytes =
      1 +
      sizeOfVarlong(timestampDelta) +
      sizeOfUvarint(zigzag32(offsetDelta)) +
      sizeOfNullableBytes(input.key) +
      sizeOfNullableBytes(input.value) +
      sizeOfUvarint(zigzag32(headers.length));
    for (const header of headers) {
      const keyBytes = Buffer.byteLength(header.key, "utf8");
      headerKeyBytes.push(keyBytes);
      bodyBytes += sizeOfUvarint(zigzag32(keyBytes)) + keyBytes + sizeOfNullableBytes(header.value);
    }
    checkInt(`records[${index}] size`, bodyBytes, 0, int32Max);
    totalBytes += sizeOfUvarint(zigzag32(bodyBytes)) + bodyBytes;
    planned.push({ input, offsetDelta, timestampDelta, bodyBytes, headerKeyBytes });
  });
  return { planned, totalBytes };
}

function writeRecords(out: Buffer, at: number, planned: readonly PlannedRecord[]): number {
  for (const record of planned) {
    at = writeUvarint(out, at, zigzag32(record.bodyBytes));
    out[at++] = 0; // record attributes: unused
    at = writeVarlong(out, at, record.timestampDelta);
    at = writeUvarint(out, at, zigzag32(record.offsetDelta));
    at = writeNullableBytes(out, at, record.input.key);
    at = writeNullableBytes(out, at, record.input.value);
    const headers = record.input.headers ?? noHeaders;
    at = writeUvarint(out, at, zigzag32(headers.length));
    headers.forEach((header, i) => {
      const keyBytes = record.headerKeyBytes[i] ?? 0;
      at = writeUvarint(out, at, zigzag32(keyBytes));
      at += out.write(header.key, at, keyBytes, "utf8");
      at = writeNullableBytes(out, at, header.value);
    });
  }
  return at;
}

/**
 * Encodes one record batch v2 with its CRC. Records are written straight into one buffer of the
 * exact size (each record's length prefix needs its size first, so sizes are planned up front).
 */
export function encodeRecordBatch(options: EncodeRecordBatchOptions): Uint8Array {
  const { records } = options;
  const compression = options.compression ?? "none";
  const baseOffset = options.baseOffset ?? 0n;
  const partitionLeaderEpoch = options.partitionLeaderEpoch ?? -1;
  const producerId = options.producerId ?? -1n;
  const producerEpoch = options.producerEpoch ?? -1;
  const baseSequence = options.baseSequence ?? -1;
  checkInt64("baseOffset", baseOffset);
  checkInt64("producerId", producerId);
  checkInt("partitionLeaderEpoch", partitionLeaderEpoch, int32Min, int32Max);
  checkInt("producerEpoch", producerEpoch, -(2 ** 15), 2 ** 15 - 1);
  checkInt("baseSequence", baseSequence, int32Min, int32Max);
  checkInt("record count", records.length, 0, int32Max);

  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? -1n;
  checkInt64("baseTimestamp", baseTimestamp);
  const { planned, totalBytes } = planRecords(records, baseTimestamp);
  let maxOffsetDelta = 0;
  let largestTimestamp = -1n;
  planned.forEach((record, i) => {
    if (record.offsetDelta > maxOffsetDelta) maxOffsetDelta = record.offsetDelta;
    if (i === 0 || record.input.timestamp > largestTimestamp) largestTimestamp = record.input.timestamp;
  });
  const maxTimestamp = options.maxTimestamp ?? largestTimestamp;
  checkInt64("maxTimestamp", maxTimestamp);
  const lastOffsetDelta = options.lastOffsetDelta ?? maxOffsetDelta;
  checkInt("lastOffsetDelta", lastOffsetDelta, maxOffsetDelta, int32Max);

  let out: Buffer;
  if (compression === "none") {
    out = Buffer.allocUnsafe(batchHeaderBytes + totalBytes);
    writeRecords(out, batchHeaderBytes, planned);
  } else {
    const plain = Buffer.allocUnsafe(totalBytes);
    writeRecords(plain, 0, planned);
    const compressed = compress(
      compression,
      plain,
      options.compressionLevel === undefined ? {} : { level: options.compressionLevel },
    );
    out = Buffer.allocUnsafe(batchHeaderBytes + compressed.length);
    out.set(compressed, batchHeaderBytes);
  }
  checkInt("batch size", out.length - logOverheadBytes, batchLengthMin, int32Max);

  let attributes = compressionId(compression);
  if (options.timestampType === "LogAppendTime") attributes |= timestampTypeBit;
  if (options.transactional === true) attributes |= transactionalBit;
  if (options.control === true) attributes |= controlBit;
  const view = viewOf(out);
  view.setBigInt64(baseOffsetAt, baseOffset);
  view.setInt32(batchLengthAt, out.length - logOverheadBytes);
  view.setInt32(partitionLeaderEpochAt, partitionLeaderEpoch);
  view.setInt8(magicAt, magicV2);
  view.setInt16(attributesAt, attributes);
  view.setInt32(lastOffsetDeltaAt, lastOffsetDelta);
  view.setBigInt64(baseTimestampAt, baseTimestamp);
  view.setBigInt64(maxTimestampAt, maxTimestamp);
  view.setBigInt64(producerIdAt, producerId);
  view.setInt16(producerEpochAt, producerEpoch);
  view.setInt32(baseSequenceAt, baseSequence);
  view.setInt32(recordsCountAt, records.length);
  view.setUint32(crcAt, crc32c(out.subarray(attributesAt)));
  return out;
}

// ---------------------------------------------------------------------------------------------- control

/** Kafka's ControlRecordType ids. */
const controlRecordTypes = [
  "abort",
  "commit",
  "leaderChange",
  "snapshotHeader",
  "snapshotFooter",
  "kraftVersion",
  "kraftVoters",
] as const;
export type ControlRecordType = (typeof controlRecordTypes)[number] | "unknown";

export interface ControlRecord {
  /** Version of the control record key (0 today). */
  readonly version: number;
  readonly typeId: number;
  readonly type: ControlRecordType;
  /** For abort and commit markers: the transaction coordinator's epoch, from the value. */
  readonly coordinatorEpoch?: number;
}

/** The key of a control record: version int16 (0), then type int16. */
export function encodeControlRecordKey(type: ControlRecordType | number): Uint8Array {
  const typeId = typeof type === "number" ? type : controlRecordTypes.findIndex((name) => name === type);
  checkInt("control record type", typeId, 0, 2 ** 15 - 1);
  const key = Buffer.alloc(4);
  key.writeInt16BE(typeId, 2);
  return key;
}

export interface EndTransactionMarkerOptions {
  readonly marker: "commit" | "abort";
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly timestamp: bigint;
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
}

/**
 * A control batch holding one commit or abort marker, as Kafka's
 * MemoryRecords.withEndTransactionMarker writes it (transactional, control, no sequence).
 */
export function encodeEndTransactionMarker(options: EndTransactionMarkerOptions): Uint8Array {
  checkInt("coordinatorEpoch", options.coordinatorEpoch, int32Min, int32Max);
  const value = Buffer.alloc(6); // version int16 0, coordinatorEpoch int32
  value.writeInt32BE(options.coordinatorEpoch, 2);
  return encodeRecordBatch({
    records: [{ key: encodeControlRecordKey(options.marker), value, timestamp: options.timestamp }],
    ...(options.baseOffset === undefined ? {} : { baseOffset: options.baseOffset }),
    ...(options.partitionLeaderEpoch === undefined ? {} : { partitionLeaderEpoch: options.partitionLeaderEpoch }),
    transactional: true,
    control: true,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: -1,
  });
}

/** Reads the key (and for markers, the value) of a record of a control batch. */
export function decodeControlRecord(record: Pick<DecodedRecord, "key" | "value">): ControlRecord {
  const { key, value } = record;
  if (key === null || key.length < 4) fail("controlRecord.key", `needs at least 4 bytes, has ${key?.length ?? "null"}`);
  const keyView = viewOf(key);
  const version = keyView.getInt16(0);
  const typeId = keyView.getInt16(2);
  const type = controlRecordTypes[typeId] ?? "unknown";
  if (type !== "abort" && type !== "commit") return { version, typeId, type };
  if (value === null || value.length < 6)
    fail("controlRecord.value", `needs at least 6 bytes, has ${value?.length ?? "null"}`);
  return { version, typeId, type, coordinatorEpoch: viewOf(value).getInt32(2) };
}

// ---------------------------------------------------------------------------------------------- patch

/** Sets baseOffset in place. It is outside the CRC, so nothing else changes. */
export function patchBaseOffset(batch: Uint8Array, baseOffset: bigint): void {
  checkInt64("baseOffset", baseOffset);
  const view = viewOf(batch);
  checkFraming(batch, view, 0);
  view.setBigInt64(baseOffsetAt, baseOffset);
}

/** Sets partitionLeaderEpoch in place. It is outside the CRC, so nothing else changes. */
export function patchPartitionLeaderEpoch(batch: Uint8Array, partitionLeaderEpoch: number): void {
  checkInt("partitionLeaderEpoch", partitionLeaderEpoch, int32Min, int32Max);
  const view = viewOf(batch);
  checkFraming(batch, view, 0);
  view.setInt32(partitionLeaderEpochAt, partitionLeaderEpoch);
}

/**
 * Stamps a batch with the broker's append time, as Kafka's DefaultRecordBatch.setMaxTimestamp does
 * for LogAppendTime topics: sets the timestamp type bit and maxTimestamp (baseTimestamp and the
 * records are untouched; readers take maxTimestamp as every record's timestamp) and recomputes the
 * CRC. Validate the batch first: the new CRC would otherwise hide earlier corruption.
 */
export function patchLogAppendTime(batch: Uint8Array, timestamp: bigint): void {
  checkInt64("timestamp", timestamp);
  const view = viewOf(batch);
  const sizeBytes = checkFraming(batch, view, 0);
  const attributes = view.getInt16(attributesAt);
  if ((attributes & timestampTypeBit) !== 0 && view.getBigInt64(maxTimestampAt) === timestamp) return;
  view.setInt16(attributesAt, attributes | timestampTypeBit);
  view.setBigInt64(maxTimestampAt, timestamp);
  view.setUint32(crcAt, crc32c(batch.subarray(attributesAt, sizeBytes)));
}
