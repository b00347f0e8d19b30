// The live fuzz harness's byte-level tools, shared by its attacks on open connections
// (live-fuzz.ts) and on SASL logins (sasl-attacks.ts): seeded dice, frame mutation (bit flips,
// boundary bytes, huge counts and varints, truncation, insertion, deletion, random API key and
// version), hand-made frames, and a raw connection that collects whatever the broker answers.
import { connect } from "node:net";
import type { Socket } from "node:net";
import { FrameSplitter } from "@samsa/protocol";

const text = new TextEncoder();

export const hex = (bytes: Uint8Array, max = 256): string =>
  Buffer.from(bytes.subarray(0, max)).toString("hex") + (bytes.length > max ? `…(${bytes.length} bytes)` : "");

export function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

export function withSizePrefix(frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  new DataView(out.buffer).setInt32(0, out.length - 4);
  return out;
}

/** A request frame with a v1 header written by hand, for API keys/versions no encoder knows. */
export function handmadeFrame(apiKey: number, apiVersion: number, correlationId: number, body: Uint8Array): Uint8Array {
  const clientId = text.encode("fuzz");
  const header = new Uint8Array(10 + clientId.length);
  const view = new DataView(header.buffer);
  view.setInt16(0, apiKey);
  view.setInt16(2, apiVersion);
  view.setInt32(4, correlationId);
  view.setInt16(8, clientId.length);
  header.set(clientId, 10);
  return Buffer.concat([int32(header.length + body.length), header, body]);
}

/** Valid requests: every advertised API × version with default fields, and richer ones for the data path. */

/** Seeded choices over a random source in [0, 1). */
export interface Dice {
  readonly random: () => number;
  readonly int: (n: number) => number;
  readonly pick: <T>(items: readonly T[]) => T;
  readonly noise: (n: number) => Uint8Array;
}

export function dice(random: () => number): Dice {
  const int = (n: number): number => Math.floor(random() * n);
  return {
    random,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    noise: (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256)),
  };
}

/** Mutates a size-prefixed frame 1–3 times and fixes its size prefix (the lies are separate attacks). */
export function frameMutator({ int, pick, noise }: Dice): (template: Uint8Array) => Uint8Array {
  return (template: Uint8Array): Uint8Array => {
    let frame: Uint8Array = Uint8Array.from(template);
    const at = (): number => 4 + int(Math.max(1, frame.length - 4));
    for (let m = 1 + int(3); m > 0 && frame.length > 4; m--) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      switch (int(8)) {
        case 0: {
          const i = Math.min(at(), frame.length - 1);
          frame[i] = (frame[i] ?? 0) ^ (1 << int(8));
          break;
        }
        case 1:
          frame[Math.min(at(), frame.length - 1)] = pick([0x00, 0x7f, 0x80, 0xff, int(256)]);
          break;
        case 2: // a huge or negative count/length over an int32
          if (frame.length >= 8)
            view.setInt32(Math.min(at(), frame.length - 4), pick([-2, -1, 0x7fffffff, 0x10000000]));
          break;
        case 3: {
          // a huge varint (compact counts and lengths)
          const i = Math.min(at(), frame.length - 1);
          frame.set([0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, frame.length - i), i);
          break;
        }
        case 4:
          frame = frame.slice(0, at());
          break;
        case 5: {
          const i = at();
          frame = Buffer.concat([frame.subarray(0, i), noise(1 + int(16)), frame.subarray(i)]);
          break;
        }
        case 6: // a random API key and version in a valid body
          if (frame.length < 8) break;
          view.setInt16(4, int(120) - 5);
          view.setInt16(6, int(24) - 2);
          break;
        default: {
          const i = at();
          frame = Buffer.concat([frame.subarray(0, i), frame.subarray(i + 1 + int(4))]);
        }
      }
    }
    return withSizePrefix(frame);
  };
}

export interface Raw {
  readonly socket: Socket;
  readonly frames: Uint8Array[];
  closed: boolean;
  /** The broker sent bytes that are not a valid response framing (a finding, not a hang-up). */
  corrupt: boolean;
}

export function rawConnect(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, noDelay: true });
    // Responses can be large (a Fetch): the client side is not what is under test.
    const splitter = new FrameSplitter({ frameBytesMax: 256 * 1024 * 1024 });
    const raw: Raw = { socket, frames: [], closed: false, corrupt: false };
    socket.on("data", (chunk: Buffer) => {
      try {
        raw.frames.push(...splitter.push(chunk));
      } catch {
        raw.corrupt = true;
        socket.destroy();
      }
    });
    socket.on("error", () => undefined); // resets by the broker are expected
    socket.once("close", () => (raw.closed = true));
    socket.once("connect", () => resolve(raw));
    socket.once("error", reject);
  });
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
