// Kafka's record batch compression codecs (attribute bits 0-2): none, gzip, snappy, lz4, zstd.
// Decompression is bounded by a caller-given output limit and fails only with a DecodeError.
import { Buffer, kMaxLength } from "node:buffer";
import zlib from "node:zlib";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from "snappy";
import { DecodeError } from "../errors.ts";

/** Kafka's compression type names, indexed by their attribute id. */
export const compressionCodecs = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type CompressionCodec = (typeof compressionCodecs)[number];

/** The attribute id of a codec (0 none … 4 zstd). */
export function compressionId(codec: CompressionCodec): number {
  return compressionCodecs.indexOf(codec);
}

/** The codec of an attribute id, or undefined for the unused ids 5-7. */
export function compressionCodecOf(id: number): CompressionCodec | undefined {
  return compressionCodecs[id];
}

export interface CompressOptions {
  /** gzip 1-9 (Kafka's default 6 is zlib's default), zstd 1-22 (default 3); ignored by snappy and lz4. */
  readonly level?: number;
}

export interface DecompressOptions {
  /** Decompressed bytes beyond this are refused before they are allocated (or as soon as seen). */
  readonly maxBytes: number;
}

/** snappy-java's stream header: magic, then version 1 and minimum compatible version 1 (int32 BE). */
const xerialHeader = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1);
const xerialMagicBytes = 8;
/** snappy-java's SnappyOutputStream block size, so our chunks look like the Java client's. */
const xerialChunkBytes = 32 * 1024;

function fail(codec: CompressionCodec, reason: string): never {
  throw new DecodeError({ api: "RecordBatch", version: 2, path: `records(${codec})`, reason });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function compress(codec: CompressionCodec, data: Uint8Array, options: CompressOptions = {}): Uint8Array {
  switch (codec) {
    case "none":
      return data;
    case "gzip":
      return zlib.gzipSync(data, options.level === undefined ? {} : { level: options.level });
    case "snappy":
      return snappyXerialCompress(data);
    case "lz4":
      // lz4-napi writes a standard LZ4 frame (independent blocks, correct header checksum), which is
      // what Kafka's KafkaLZ4BlockInputStream and librdkafka read for magic v2.
      return compressFrameSync(toBuffer(data));
    case "zstd":
      return zlib.zstdCompressSync(
        data,
        options.level === undefined ? {} : { params: { [zlib.constants.ZSTD_c_compressionLevel]: options.level } },
      );
  }
}

export function decompress(codec: CompressionCodec, data: Uint8Array, options: DecompressOptions): Uint8Array {
  const { maxBytes } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    throw new RangeError(`maxBytes must be a byte count: ${maxBytes}`);
  switch (codec) {
    case "none":
      if (data.length > maxBytes) fail(codec, `${data.length} bytes exceed the limit of ${maxBytes}`);
      return data;
    case "gzip":
    case "zstd":
      return zlibDecompress(codec, data, maxBytes);
    case "snappy":
      return snappyDecompress(data, maxBytes);
    case "lz4":
      return lz4Decompress(data, maxBytes);
  }
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function zlibDecompress(codec: "gzip" | "zstd", data: Uint8Array, maxBytes: number): Uint8Array {
  // zlib stops inflating once maxOutputLength is reached, so a decompression bomb costs at most the limit.
  const maxOutputLength = Math.max(1, Math.min(maxBytes, kMaxLength));
  let out: Buffer;
  try {
    out =
      codec === "gzip"
        ? zlib.gunzipSync(data, { maxOutputLength })
        : zlib.zstdDecompressSync(data, { maxOutputLength });
  } catch (error) {
    fail(codec, reasonOf(error));
  }
  if (out.length > maxBytes) fail(codec, `more than ${maxBytes} decompressed bytes`);
  return out;
}

// ---------------------------------------------------------------------------------------------- snappy

function snappyXerialCompress(data: Uint8Array): Uint8Array {
  const chunks: Buffer[] = [];
  let total = xerialHeader.length;
  for (let at = 0; at < data.length; at += xerialChunkBytes) {
    const chunk = snappyCompressSync(data.subarray(at, Math.min(data.length, at + xerialChunkBytes)));
    chunks.push(chunk);
    total += 4 + chunk.length;
  }
  const out = Buffer.allocUnsafe(total);
  out.set(xerialHeader, 0);
  let pos = xerialHeader.length;
  for (const chunk of chunks) {
    out.writeInt32BE(chunk.length, pos);
    out.set(chunk, pos + 4);
    pos += 4 + chunk.length;
  }
  return out;
}

function hasXerialMagic(data: Uint8Array, at: number): boolean {
  if (data.length - at < xerialMagicBytes) return false;
  for (let i = 0; i < xerialMagicBytes; i++) if (data[at + i] !== xerialHeader[i]) return false;
  return true;
}

/** The uncompressed length a raw snappy block declares in its leading uvarint (at most 32 bits). */
function snappyDeclaredLength(block: Uint8Array): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = block[i];
    if (b === undefined) fail("snappy", "truncated block length");
    if (i === 4 && b > 0x0f) fail("snappy", "block length exceeds 32 bits");
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return result;
  }
  return fail("snappy", "block length longer than 5 bytes");
}

function snappyBlock(block: Uint8Array, declaredBytes: number): Buffer {
  let out: string | Buffer;
  try {
    out = snappyUncompressSync(block);
  } catch (error) {
    fail("snappy", reasonOf(error));
  }
  if (typeof out === "string" || out.length !== declaredBytes)
    fail("snappy", "block does not match its declared length");
  return out;
}

/**
 * Accepts both snappy-java's framing (what the Java client writes) and a single raw block (what
 * some other clients write), as snappy-java's SnappyInputStream and librdkafka do.
 */
function snappyDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  if (!hasXerialMagic(data, 0)) {
    const declaredBytes = snappyDeclaredLength(data);
    if (declaredBytes > maxBytes) fail("snappy", `${declaredBytes} declared bytes exceed the limit of ${maxBytes}`);
    return snappyBlock(data, declaredBytes);
  }
  // First pass: frame every chunk and add up the declared lengths before anything is inflated.
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks: Uint8Array[] = [];
  const declared: number[] = [];
  let total = 0;
  let at = 0;
  while (at < data.length) {
    // A header can repeat where two snappy-java streams were concatenated.
    if (hasXerialMagic(data, at)) {
      if (data.length - at < xerialHeader.length) fail("snappy", "truncated stream header");
      at += xerialHeader.length;
      continue;
    }
    if (data.length - at < 4) fail("snappy", "truncated chunk length");
    const chunkBytes = view.getInt32(at);
    at += 4;
    if (chunkBytes < 0 || chunkBytes > data.length - at)
      fail("snappy", `chunk of ${chunkBytes} bytes overruns the input`);
    if (chunkBytes === 0) continue;
    const block = data.subarray(at, at + chunkBytes);
    at += chunkBytes;
    const declaredBytes = snappyDeclaredLength(block);
    total += declaredBytes;
    if (total > maxBytes) fail("snappy", `more than ${maxBytes} declared bytes`);
    blocks.push(block);
    declared.push(declaredBytes);
  }
  if (blocks.length === 1 && blocks[0] !== undefined && declared[0] !== undefined) {
    return snappyBlock(blocks[0], declared[0]);
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  blocks.forEach((block, i) => {
    const piece = snappyBlock(block, declared[i] ?? 0);
    out.set(piece, pos);
    pos += piece.length;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------- lz4

const lz4Magic = 0x184d2204;
const lz4BlockMaxBytesById = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

interface Lz4Block {
  /** Start of the 4-byte block size field. */
  readonly at: number;
  /** Bytes of block data (the field's low 31 bits). */
  readonly dataBytes: number;
  readonly uncompressed: boolean;
}

interface Lz4Frame {
  readonly flg: number;
  readonly bd: number;
  readonly blockMaxBytes: number;
  readonly blockChecksum: boolean;
  readonly blocks: Lz4Block[];
  /** End of the frame (after the end mark and the optional content checksum). */
  readonly end: number;
  /** An upper bound of the decompressed size, from the block sizes alone. */
  readonly boundBytes: number;
}

/**
 * Walks an LZ4 frame's structure without decompressing it: checks what Kafka's
 * KafkaLZ4BlockInputStream checks (version, reserved bits, independent blocks, header checksum,
 * block sizes) and bounds the output. Kafka reads one frame and ignores what follows it.
 */
function lz4ScanFrame(data: Uint8Array, maxBytes: number): Lz4Frame {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 7) fail("lz4", "truncated frame header");
  if (view.getUint32(0, true) !== lz4Magic) fail("lz4", "not an LZ4 frame (bad magic)");
  const flg = view.getUint8(4);
  const bd = view.getUint8(5);
  if (flg >> 6 !== 1) fail("lz4", `unsupported frame version ${flg >> 6}`);
  if ((flg & 0x03) !== 0) fail("lz4", "reserved or dictionary-id bits set in FLG");
  if ((flg & 0x20) === 0) fail("lz4", "dependent blocks are not supported (Kafka requires independent blocks)");
  if ((bd & 0x8f) !== 0) fail("lz4", "reserved bits set in BD");
  const blockMaxBytes = lz4BlockMaxBytesById[(bd >> 4) & 0x07] ?? 0;
  if (blockMaxBytes === 0) fail("lz4", `unsupported block size id ${(bd >> 4) & 0x07}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSizeSet = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  let at = 6;
  if (contentSizeSet) {
    if (data.length - at < 9) fail("lz4", "truncated frame header");
    const contentBytes = view.getBigUint64(at, true);
    if (contentBytes > BigInt(maxBytes)) fail("lz4", `content size ${contentBytes} exceeds the limit of ${maxBytes}`);
    at += 8;
  }
  const checksum = (xxh32Small(data.subarray(4, at)) >>> 8) & 0xff;
  if (view.getUint8(at) !== checksum) fail("lz4", "frame header checksum mismatch");
  at += 1;
  const blocks: Lz4Block[] = [];
  let boundBytes = 0;
  for (;;) {
    if (data.length - at < 4) fail("lz4", "truncated block size (no end mark)");
    const field = view.getUint32(at, true);
    if (field === 0) {
      at += 4;
      break;
    }
    const dataBytes = field & 0x7fffffff;
    const uncompressed = field >>> 31 === 1;
    if (dataBytes > blockMaxBytes) fail("lz4", `block of ${dataBytes} bytes exceeds the frame's ${blockMaxBytes}`);
    const blockEnd = at + 4 + dataBytes + (blockChecksum ? 4 : 0);
    if (blockEnd > data.length) fail("lz4", "truncated block");
    blocks.push({ at, dataBytes, uncompressed });
    // An LZ4 sequence yields at most 255 bytes per input byte plus a small constant.
    boundBytes += uncompressed ? dataBytes : Math.min(blockMaxBytes, dataBytes * 256 + 64);
    at = blockEnd;
  }
  if (contentChecksum) {
    if (data.length - at < 4) fail("lz4", "truncated content checksum");
    at += 4;
  }
  return { flg, bd, blockMaxBytes, blockChecksum, blocks, end: at, boundBytes };
}

function lz4Decompress(data: Uint8Array, maxBytes: number): Uint8Array {
  const frame = lz4ScanFrame(data, maxBytes);
  if (frame.boundBytes <= maxBytes) {
    // The common case: the whole frame cannot exceed the limit, so let the native decoder run it
    // in one call (it also enforces the block maximum and checks block and content checksums).
    let out: Buffer;
    try {
      out = decompressFrameSync(toBuffer(data.subarray(0, frame.end)));
    } catch (error) {
      fail("lz4", reasonOf(error));
    }
    if (out.length > maxBytes) fail("lz4", `more than ${maxBytes} decompressed bytes`);
    return out;
  }
  return lz4DecompressByBlock(data, frame, maxBytes);
}

/**
 * The bound was not tight enough: decode block by block (each wrapped in a one-block frame, so no
 * block may inflate past the frame's block maximum) and stop as soon as the limit is passed. The
 * content checksum is not verified on this path, as Kafka's own reader never verifies it.
 */
function lz4DecompressByBlock(data: Uint8Array, frame: Lz4Frame, maxBytes: number): Uint8Array {
  const flg = 0x60 | (frame.blockChecksum ? 0x10 : 0);
  const header = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, flg, frame.bd, 0);
  header[6] = (xxh32Small(header.subarray(4, 6)) >>> 8) & 0xff;
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (const block of frame.blocks) {
    const dataStart = block.at + 4;
    let piece: Uint8Array;
    if (block.uncompressed) {
      piece = data.subarray(dataStart, dataStart + block.dataBytes);
    } else {
      const blockBytes = 4 + block.dataBytes + (frame.blockChecksum ? 4 : 0);
      const oneBlock = Buffer.alloc(header.length + blockBytes + 4);
      oneBlock.set(header, 0);
      oneBlock.set(data.subarray(block.at, block.at + blockBytes), header.length);
      try {
        piece = decompressFrameSync(oneBlock);
      } catch (error) {
        fail("lz4", reasonOf(error));
      }
    }
    total += piece.length;
    if (total > maxBytes) fail("lz4", `more than ${maxBytes} decompressed bytes`);
    pieces.push(piece);
  }
  return Buffer.concat(pieces, total);
}

const prime1 = 2654435761;
const prime2 = 2246822519;
const prime3 = 3266489917;
const prime4 = 668265263;
const prime5 = 374761393;

/** XXH32 with seed 0 of fewer than 16 bytes: all an LZ4 frame descriptor checksum needs. */
export function xxh32Small(bytes: Uint8Array): number {
  if (bytes.length >= 16) throw new RangeError("xxh32Small handles fewer than 16 bytes");
  let h = (prime5 + bytes.length) >>> 0;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    const word =
      ((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0;
    h = (h + Math.imul(word, prime3)) >>> 0;
    h = Math.imul((h << 17) | (h >>> 15), prime4) >>> 0;
  }
  for (; i < bytes.length; i++) {
    h = (h + Math.imul(bytes[i] ?? 0, prime5)) >>> 0;
    h = Math.imul((h << 11) | (h >>> 21), prime1) >>> 0;
  }
  h ^= h >>> 15;
  h = Math.imul(h, prime2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, prime3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
