// Splits a byte stream into size-prefixed Kafka frames (sans-io): feed it what the socket reads,
// take whole frames out. A size above the limit or below zero is a protocol violation.
// Small reads that continue an incomplete frame are copied together into one staging buffer: kept
// one by one, a peer trickling a frame a byte per read would cost hundreds of bytes of bookkeeping
// per byte sent.

export class FrameSizeError extends Error {
  override readonly name = "FrameSizeError";
  readonly size: number;
  constructor(size: number, limit: number) {
    super(`frame of ${size} bytes is outside 0..${limit}`);
    this.size = size;
  }
}

/** Reads shorter than this that continue an incomplete frame are copied into a staging buffer. */
const smallChunkBytes = 1024;
const stagingBytes = 8192;

export class FrameSplitter {
  private readonly frameBytesMax: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Filled from the front and never rewritten, so frames handed out as views of it stay valid. */
  private staging: Uint8Array | undefined;
  private stagingUsed = 0;

  constructor(options: { frameBytesMax: number }) {
    this.frameBytesMax = options.frameBytesMax;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Buffers holding the bytes not yet returned (bounded by bufferedBytes / 1 KiB + 1 for trickled input). */
  get bufferedChunks(): number {
    return this.pending.length;
  }

  /** Adds received bytes and returns every frame now complete (without size prefixes). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      if (chunk.length < smallChunkBytes && this.pendingBytes > 0) this.stage(chunk);
      else this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.pendingBytes < 4) return frames;
      const head = this.peek(4);
      const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
      if (size < 0 || size > this.frameBytesMax) throw new FrameSizeError(size, this.frameBytesMax);
      if (this.pendingBytes < 4 + size) return frames;
      const whole = this.take(4 + size);
      frames.push(whole.subarray(4));
    }
  }

  /** Appends a small read to the staging buffer, extending the last pending view when it ends there. */
  private stage(chunk: Uint8Array): void {
    if (this.staging === undefined || this.stagingUsed + chunk.length > this.staging.length) {
      this.staging = new Uint8Array(stagingBytes);
      this.stagingUsed = 0;
    }
    const staging = this.staging;
    staging.set(chunk, this.stagingUsed);
    const last = this.pending[this.pending.length - 1];
    if (
      last !== undefined &&
      last.buffer === staging.buffer &&
      last.byteOffset + last.length === staging.byteOffset + this.stagingUsed
    ) {
      this.pending[this.pending.length - 1] = staging.subarray(
        last.byteOffset - staging.byteOffset,
        this.stagingUsed + chunk.length,
      );
    } else {
      this.pending.push(staging.subarray(this.stagingUsed, this.stagingUsed + chunk.length));
    }
    this.stagingUsed += chunk.length;
  }

  private peek(n: number): Uint8Array {
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) return first;
    return this.concat(n, false);
  }

  private take(n: number): Uint8Array {
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) {
      // A frame inside the staging buffer is copied out, so it does not keep the whole buffer alive.
      const out = first.buffer === this.staging?.buffer ? first.slice(0, n) : first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return out;
    }
    return this.concat(n, true);
  }

  private concat(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const part = this.pending[i];
      if (part === undefined) throw new Error("FrameSplitter: not enough buffered bytes");
      const use = Math.min(part.length, n - filled);
      out.set(part.subarray(0, use), filled);
      filled += use;
      if (consume) {
        if (use === part.length) {
          this.pending.shift();
        } else {
          this.pending[0] = part.subarray(use);
        }
      } else i++;
    }
    if (consume) this.pendingBytes -= n;
    return out;
  }
}
