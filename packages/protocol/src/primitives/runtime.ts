// Helpers shared by the generated codecs: the input type of encoders, shared defaults, and the
// conversion of low-level read failures into the one typed DecodeError.
import { DecodeError, EncodeError, ReadError } from "../errors.ts";
import type { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

/**
 * What an encoder accepts: the message type with every field optional, at any depth. A field
 * that is left out is written as its default, as Kafka's generated messages do.
 */
export type Input<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? readonly Input<E>[]
    : T extends object
      ? { readonly [K in keyof T]?: Input<T[K]> }
      : T;

export const zeroUuid = "00000000-0000-0000-0000-000000000000";
export const emptyBytes: Uint8Array = new Uint8Array(0);

/** Runs a decoder; any low-level failure becomes a DecodeError naming message, version and field. */
export function decodeWith<T>(name: string, version: number, r: Reader, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ReadError) throw new DecodeError({ api: name, version, path: r.path, reason: error.message });
    if (error instanceof RangeError) throw new DecodeError({ api: name, version, path: r.path, reason: error.message });
    throw error;
  }
}

export function checkVersion(name: string, version: number, min: number, max: number, decoding: boolean): void {
  if (Number.isInteger(version) && version >= min && version <= max) return;
  const reason = `version ${version} is outside ${min}-${max}`;
  if (decoding) throw new DecodeError({ api: name, version, path: "", reason });
  throw new EncodeError({ api: name, version, path: "", reason });
}

export function unsupportedField(name: string, version: number, path: string): never {
  throw new EncodeError({
    api: name,
    version,
    path,
    reason: "field has a non-default value but this version lacks it",
  });
}

export function nullNotAllowed(name: string, version: number, path: string): never {
  throw new EncodeError({ api: name, version, path, reason: "null is not allowed in this version" });
}

/** Encodes a tagged field's value on its own, so its size can be written before it. */
export function encodeTagged(write: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  write(w);
  return w.toBytes();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
