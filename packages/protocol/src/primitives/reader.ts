// Bounds-checked reader of Kafka primitive types over one frame. Every length read from the
// input is checked against the bytes that remain before anything is allocated.
import { ReadError } from "../errors.ts";

const utf8 = new TextDecoder("utf-8");
const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class Reader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset: number;
  /** Exclusive end of what may be read; narrowed while a tagged field is read. */
  end: number;
  /** Field path of the value being read, for error messages. Set by generated decoders. */
  path = "";

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    if (offset < 0 || end > bytes.length || offset > end) throw new RangeError("reader bounds outside the buffer");
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(reason: string): never {
    throw new ReadError(reason);
  }

  private need(n: number): number {
    const at = this.offset;
    if (n > this.end - at) this.fail(`needs ${n} bytes, ${this.end - at} left`);
    this.offset = at + n;
    return at;
  }

  int8(): number {
    return this.view.getInt8(this.need(1));
  }
  uint8(): number {
    return this.view.getUint8(this.need(1));
  }
  bool(): boolean {
    return this.view.getUint8(this.need(1)) !== 0;
  }
  int16(): number {
    return this.view.getInt16(this.need(2));
  }
  uint16(): number {
    return this.view.getUint16(this.need(2));
  }
  int32(): number {
    return this.view.getInt32(this.need(4));
  }
  uint32(): number {
    return this.view.getUint32(this.need(4));
  }
  int64(): bigint {
    return this.view.getBigInt64(this.need(8));
  }
  float64(): number {
    return this.view.getFloat64(this.need(8));
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.uint8();
      if (shift === 28 && b > 0x0f) this.fail("unsigned varint exceeds 32 bits");
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return this.fail("unsigned varint longer than 5 bytes");
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag-encoded signed 64-bit varint. */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.uint8();
      if (shift === 63n && b > 0x01) this.fail("varlong exceeds 64 bits");
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    return this.fail("varlong longer than 10 bytes");
  }

  uuid(): string {
    const at = this.need(16);
    const b = this.bytes;
    let s = "";
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
      s += hex[b[at + i] ?? 0];
    }
    return s;
  }

  /** Length prefix of a string: int16 (classic) or uvarint+1 (compact). -1 means null. */
  private stringLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int16();
    if (n < -1) this.fail(`negative string length ${n}`);
    return n;
  }

  private utf8(n: number): string {
    const at = this.need(n);
    return utf8.decode(this.bytes.subarray(at, at + n));
  }

  string(compact: boolean): string {
    const n = this.stringLength(compact);
    if (n === -1) this.fail("null in a non-nullable string");
    return this.utf8(n);
  }

  nullableString(compact: boolean): string | null {
    const n = this.stringLength(compact);
    return n === -1 ? null : this.utf8(n);
  }

  /** Bytes are returned as a view into the frame, not copied. */
  nullableBytes(compact: boolean): Uint8Array | null {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) this.fail(`negative bytes length ${n}`);
    if (n === -1) return null;
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  bytesField(compact: boolean): Uint8Array {
    const b = this.nullableBytes(compact);
    if (b === null) this.fail("null in non-nullable bytes");
    return b;
  }

  /** Raw n bytes as a view. */
  raw(n: number): Uint8Array {
    if (n < 0) this.fail(`negative length ${n}`);
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  skip(n: number): void {
    this.need(n);
  }

  /**
   * Array element count; -1 means null. The count is refused when the remaining bytes could not
   * hold that many elements of at least `elementSizeMin` bytes, so nothing is over-allocated.
   */
  arrayLength(compact: boolean, elementSizeMin: number): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) this.fail(`negative array length ${n}`);
    if (n > 0 && n * Math.max(1, elementSizeMin) > this.end - this.offset) {
      this.fail(`array of ${n} elements cannot fit in ${this.end - this.offset} bytes`);
    }
    return n;
  }

  /** Skip-or-read loop over a tagged-field section, calling `field` for each tag. */
  taggedFields(field: (tag: number, size: number) => boolean): void {
    const count = this.uvarint();
    if (count > this.end - this.offset) this.fail(`${count} tagged fields cannot fit`);
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      if (size > this.end - this.offset) this.fail(`tagged field ${tag} of ${size} bytes overruns the frame`);
      const fieldEnd = this.offset + size;
      const outerEnd = this.end;
      this.end = fieldEnd;
      const known = field(tag, size);
      if (!known) this.offset = fieldEnd;
      else if (this.offset !== fieldEnd) this.fail(`tagged field ${tag} has ${fieldEnd - this.offset} unread bytes`);
      this.end = outerEnd;
    }
  }
}
