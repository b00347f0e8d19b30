// Growable writer of Kafka primitive types. Large byte fields (record batches) are kept as
// references rather than copied, so a response can be written to a socket as a list of chunks.
import { Buffer } from "node:buffer";

/** Byte fields at least this large are referenced, not copied, by Writer.bytesRef. */
const referenceBytesMin = 4096;
const uuidPattern = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

export class Writer {
  private buf: Buffer;
  private view: DataView;
  private pos = 0;
  /** Finished chunks before `buf`, in order. */
  private readonly chunks: Uint8Array[] = [];
  private chunksBytes = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunksBytes + this.pos;
  }

  private ensure(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
      this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    }
    this.pos = at + n;
    return at;
  }

  int8(v: number): void {
    const at = this.ensure(1);
    this.view.setInt8(at, v);
  }
  uint8(v: number): void {
    const at = this.ensure(1);
    this.view.setUint8(at, v);
  }
  bool(v: boolean): void {
    const at = this.ensure(1);
    this.view.setUint8(at, v ? 1 : 0);
  }
  int16(v: number): void {
    const at = this.ensure(2);
    this.view.setInt16(at, v);
  }
  uint16(v: number): void {
    const at = this.ensure(2);
    this.view.setUint16(at, v);
  }
  int32(v: number): void {
    const at = this.ensure(4);
    this.view.setInt32(at, v);
  }
  uint32(v: number): void {
    const at = this.ensure(4);
    this.view.setUint32(at, v);
  }
  int64(v: bigint): void {
    const at = this.ensure(8);
    this.view.setBigInt64(at, v);
  }
  float64(v: number): void {
    const at = this.ensure(8);
    this.view.setFloat64(at, v);
  }

  uvarint(v: number): void {
    let u = v >>> 0;
    while (u >= 0x80) {
      const at = this.ensure(1);
      this.buf[at] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    const at = this.ensure(1);
    this.buf[at] = u;
  }

  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      const at = this.ensure(1);
      this.buf[at] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    const at = this.ensure(1);
    this.buf[at] = Number(u);
  }

  uuid(v: string): void {
    if (!uuidPattern.test(v)) throw new TypeError(`not a UUID: ${v}`);
    const at = this.ensure(16);
    this.buf.write(v.replaceAll("-", ""), at, 16, "hex");
  }

  private utf8(v: string, compact: boolean): void {
    const n = Buffer.byteLength(v, "utf8");
    if (compact) this.uvarint(n + 1);
    else {
      if (n > 0x7fff) throw new RangeError(`string of ${n} bytes exceeds int16 length`);
      this.int16(n);
    }
    const at = this.ensure(n);
    this.buf.write(v, at, n, "utf8");
  }

  string(v: string, compact: boolean): void {
    this.utf8(v, compact);
  }

  nullableString(v: string | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int16(-1);
    } else this.utf8(v, compact);
  }

  nullableBytes(v: Uint8Array | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    if (compact) this.uvarint(v.length + 1);
    else this.int32(v.length);
    this.raw(v);
  }

  /** Writes bytes; a large value is referenced as its own chunk instead of copied. */
  raw(v: Uint8Array): void {
    if (v.length >= referenceBytesMin) {
      this.flushChunk();
      this.chunks.push(v);
      this.chunksBytes += v.length;
      return;
    }
    const at = this.ensure(v.length);
    this.buf.set(v, at);
  }

  arrayLength(n: number | null, compact: boolean): void {
    if (n === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
    } else if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  private flushChunk(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.chunksBytes += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(256, this.buf.length - this.pos));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = 0;
  }

  /** Overwrites 4 bytes at absolute position `at` (e.g. a size prefix written as a placeholder). */
  patchInt32(at: number, v: number): void {
    let base = 0;
    for (const chunk of [...this.chunks, this.buf.subarray(0, this.pos)]) {
      if (at >= base && at + 4 <= base + chunk.length) {
        new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).setInt32(at - base, v);
        return;
      }
      base += chunk.length;
    }
    throw new RangeError(`cannot patch 4 bytes at ${at}`);
  }

  /** The written bytes as chunks (no copy), e.g. for a vectored socket write. */
  chunksView(): Uint8Array[] {
    this.flushChunk();
    return [...this.chunks];
  }

  /** The written bytes as one contiguous array (copies when there are several chunks). */
  toBytes(): Uint8Array {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.pos);
    this.flushChunk();
    return Buffer.concat(this.chunks, this.chunksBytes);
  }
}
