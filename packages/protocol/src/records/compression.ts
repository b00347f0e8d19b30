// Kafka's record batch compression codecs (attribute bits 0-2): none, gzip, snappy, lz4, zstd.
// Decompression is bounded by a caller-given output limit and fails only with a DecodeError.
import { Buffer, kMaxLength } from "node:buffer";
import zlib from "node:zlib";
import { compressSync as lz4CompressBlock, uncompressSync as lz4DecompressPrefixed } from "lz4-napi";
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
      return lz4Compress(data);
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

/**
 * Copying snappy's output into a V8-owned buffer measured 2-4× faster than receiving the native
 * library's external buffer (docs/benchmarks.md), so both directions ask for a copy.
 */
const copyOutput = { copyOutputData: true } as const;

function snappyXerialCompress(data: Uint8Array): Uint8Array {
  const chunks: Buffer[] = [];
  let total = xerialHeader.length;
  for (let at = 0; at < data.length; at += xerialChunkBytes) {
    const chunk = snappyCompressSync(data.subarray(at, Math.min(data.length, at + xerialChunkBytes)), copyOutput);
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
    out = snappyUncompressSync(block, copyOutput);
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

const prime1 = 2654435761;
const prime2 = 2246822519;
const prime3 = 3266489917;
const prime4 = 668265263;
const prime5 = 374761393;

function round(accumulator: number, word: number): number {
  const sum = (accumulator + Math.imul(word, prime2)) >>> 0;
  return Math.imul((sum << 13) | (sum >>> 19), prime1) >>> 0;
}

/** XXH32 with seed 0: the checksum of LZ4 frame headers, blocks and content. */
export function xxh32(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let i = 0;
  let h: number;
  if (n >= 16) {
    let v1 = (prime1 + prime2) >>> 0;
    let v2 = prime2;
    let v3 = 0;
    let v4 = (0 - prime1) >>> 0;
    for (; i + 16 <= n; i += 16) {
      v1 = round(v1, view.getUint32(i, true));
      v2 = round(v2, view.getUint32(i + 4, true));
      v3 = round(v3, view.getUint32(i + 8, true));
      v4 = round(v4, view.getUint32(i + 12, true));
    }
    h =
      (((v1 << 1) | (v1 >>> 31)) +
        ((v2 << 7) | (v2 >>> 25)) +
        ((v3 << 12) | (v3 >>> 20)) +
        ((v4 << 18) | (v4 >>> 14))) >>>
      0;
  } else {
    h = prime5;
  }
  h = (h + n) >>> 0;
  for (; i + 4 <= n; i += 4) {
    h = (h + Math.imul(view.getUint32(i, true), prime3)) >>> 0;
    h = Math.imul((h << 17) | (h >>> 15), prime4) >>> 0;
  }
  for (; i < n; i++) {
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

const lz4Magic = 0x184d2204;
const lz4BlockMaxBytesById = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
/** Kafka's KafkaLZ4BlockOutputStream writes 64 KiB blocks (BD id 4) by default; so do we. */
const lz4BlockBytes = 64 * 1024;
const lz4BlockSizeId = 4;
/** FLG: version 01, independent blocks, no checksums, no content size, no dictionary id. */
const lz4Flg = 0x60;
const lz4Bd = lz4BlockSizeId << 4;
const lz4Header = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, lz4Flg, lz4Bd, 0);
lz4Header[6] = (xxh32(lz4Header.subarray(4, 6)) >>> 8) & 0xff;

/**
 * Writes an LZ4 frame as Kafka does: standard header and checksum, independent 64 KiB blocks, a
 * block stored uncompressed when compressing does not shrink it, then the end mark. Blocks come
 * from lz4-napi's size-prefixed block compressor (its own frame writer picks 4 MiB blocks, which
 * cost every reader a 4 MiB buffer).
 */
function lz4Compress(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [lz4Header];
  let total = lz4Header.length + 4;
  const input = toBuffer(data);
  for (let at = 0; at < input.length; at += lz4BlockBytes) {
    const chunk = input.subarray(at, Math.min(input.length, at + lz4BlockBytes));
    const block = lz4CompressBlock(chunk).subarray(4); // drop lz4-napi's uncompressed-size prefix
    const size = Buffer.allocUnsafe(4);
    const stored = block.length >= chunk.length;
    size.writeUInt32LE(stored ? (0x80000000 | chunk.length) >>> 0 : block.length);
    parts.push(size, stored ? chunk : block);
    total += 4 + (stored ? chunk.length : block.length);
  }
  parts.push(new Uint8Array(4)); // end mark
  return Buffer.concat(parts, total);
}

/**
 * Reads one LZ4 frame as Kafka's KafkaLZ4BlockInputStream does (and refuses what it refuses:
 * other versions, reserved bits, dependent blocks, dictionary ids, a bad header checksum). Each
 * block is inflated into a buffer no larger than the frame's block maximum nor the bytes still
 * allowed, so output is bounded by maxBytes before it is allocated. Block and content checksums
 * are verified when present. Bytes after the frame are ignored, as Kafka ignores them.
 */
function lz4Decompress(data: Uint8Array, maxBytes: number): Uint8Array {
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
  const contentChecksum = (flg & 0x04) !== 0;
  let at = 6;
  let contentBytes: bigint | null = null;
  if ((flg & 0x08) !== 0) {
    if (data.length - at < 9) fail("lz4", "truncated frame header");
    contentBytes = view.getBigUint64(at, true);
    if (contentBytes > BigInt(maxBytes)) fail("lz4", `content size ${contentBytes} exceeds the limit of ${maxBytes}`);
    at += 8;
  }
  if (view.getUint8(at) !== ((xxh32(data.subarray(4, at)) >>> 8) & 0xff)) fail("lz4", "frame header checksum mismatch");
  at += 1;

  const pieces: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    if (data.length - at < 4) fail("lz4", "truncated block size (no end mark)");
    const field = view.getUint32(at, true);
    at += 4;
    if (field === 0) break;
    const dataBytes = field & 0x7fffffff;
    if (dataBytes > blockMaxBytes) fail("lz4", `block of ${dataBytes} bytes exceeds the frame's ${blockMaxBytes}`);
    if (dataBytes + (blockChecksum ? 4 : 0) > data.length - at) fail("lz4", "truncated block");
    const block = data.subarray(at, at + dataBytes);
    at += dataBytes;
    if (blockChecksum) {
      if (view.getUint32(at, true) !== xxh32(block)) fail("lz4", "block checksum mismatch");
      at += 4;
    }
    const allowedBytes = Math.min(blockMaxBytes, maxBytes - total);
    let piece: Uint8Array;
    if (field >>> 31 === 1) {
      if (dataBytes > allowedBytes) fail("lz4", `more than ${maxBytes} decompressed bytes`);
      piece = block;
    } else {
      if (allowedBytes <= 0) fail("lz4", `more than ${maxBytes} decompressed bytes`);
      piece = lz4DecompressBlock(block, allowedBytes, allowedBytes < blockMaxBytes ? maxBytes : null);
    }
    total += piece.length;
    pieces.push(piece);
  }
  if (contentBytes !== null && BigInt(total) !== contentBytes) {
    fail("lz4", `${total} bytes where the frame header declares ${contentBytes}`);
  }
  if (contentChecksum && data.length - at < 4) fail("lz4", "truncated content checksum");
  const out = pieces.length === 1 && pieces[0] !== undefined ? pieces[0] : Buffer.concat(pieces, total);
  if (contentChecksum && view.getUint32(at, true) !== xxh32(out)) fail("lz4", "content checksum mismatch");
  return out;
}

/**
 * Inflates one raw LZ4 block into at most `capacityBytes` (lz4-napi's size-prefixed format takes
 * the prefix as the output capacity and fails if the block needs more). `limitBytes` names the
 * limit in the error when the capacity came from maxBytes rather than the block maximum.
 */
function lz4DecompressBlock(block: Uint8Array, capacityBytes: number, limitBytes: number | null): Buffer {
  const prefixed = Buffer.allocUnsafe(4 + block.length);
  prefixed.writeUInt32LE(capacityBytes, 0);
  prefixed.set(block, 4);
  try {
    return lz4DecompressPrefixed(prefixed);
  } catch (error) {
    const reason = reasonOf(error);
    if (limitBytes !== null && reason.includes("too small")) fail("lz4", `more than ${limitBytes} decompressed bytes`);
    return fail("lz4", reason);
  }
}
