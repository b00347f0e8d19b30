// Typed failures of the protocol layer: one for hostile or malformed input (DecodeError),
// one for values that cannot be expressed in the requested version (EncodeError).

/** Where a decode failed: which message, which version, which field. */
export interface DecodeErrorContext {
  readonly message: string;
  readonly version: number;
  readonly path: string;
}

/** The only error a decoder throws, whatever the input bytes. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  readonly api: string;
  readonly version: number;
  readonly path: string;
  readonly reason: string;

  constructor(options: { api: string; version: number; path: string; reason: string }) {
    super(`cannot decode ${options.api} v${options.version} at ${options.path || "<root>"}: ${options.reason}`);
    this.api = options.api;
    this.version = options.version;
    this.path = options.path;
    this.reason = options.reason;
  }
}

/** A value that cannot be written in the chosen version (Kafka's UnsupportedVersionException). */
export class EncodeError extends Error {
  override readonly name = "EncodeError";
  readonly api: string;
  readonly version: number;
  readonly path: string;

  constructor(options: { api: string; version: number; path: string; reason: string }) {
    super(`cannot encode ${options.api} v${options.version} at ${options.path}: ${options.reason}`);
    this.api = options.api;
    this.version = options.version;
    this.path = options.path;
  }
}

/**
 * Thrown by Reader for a low-level violation; decoders convert it to DecodeError with the
 * message name and version, so callers only ever see DecodeError.
 */
export class ReadError extends Error {
  override readonly name = "ReadError";
}
