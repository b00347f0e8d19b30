// Request and response frames: header versions, and encoding/decoding of whole messages
// (header + body) for both the broker side and the client side. A frame here is the bytes after
// the 4-byte size prefix; encoders can add the prefix.
import { DecodeError } from "./errors.ts";
import { apiSpecs } from "./generated/index.ts";
import type { ApiKey, ApiSpec, RequestByKey, ResponseByKey } from "./generated/index.ts";
import { decodeRequestHeader as decodeHeaderBody, encodeRequestHeader } from "./generated/request-header.ts";
import type { RequestHeader } from "./generated/request-header.ts";
import { decodeResponseHeader as decodeResponseHeaderBody, encodeResponseHeader } from "./generated/response-header.ts";
import { Reader } from "./primitives/reader.ts";
import type { Input } from "./primitives/runtime.ts";
import { Writer } from "./primitives/writer.ts";

export type { RequestHeader };

/** The spec of an API key, or undefined for a key this protocol layer does not know. */
export function apiSpecOf(apiKey: number): ApiSpec<ApiKey> | undefined {
  return Object.hasOwn(apiSpecs, apiKey) ? (apiSpecs as Record<number, ApiSpec<ApiKey>>)[apiKey] : undefined;
}

export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const spec = apiSpecOf(apiKey);
  return spec !== undefined && apiVersion >= spec.flexibleVersions.min && apiVersion <= spec.flexibleVersions.max;
}

/** Request header version: 2 for flexible API versions, 1 otherwise. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** Response header version: 1 for flexible versions, 0 otherwise; ApiVersions always uses 0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === 18) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const spec = apiSpecOf(apiKey);
  return spec !== undefined && apiVersion >= spec.versions.min && apiVersion <= spec.versions.max;
}

/** A decoded request, discriminated by its API key. */
export type DecodedRequest = {
  [K in ApiKey]: {
    readonly apiKey: K;
    readonly apiVersion: number;
    readonly header: RequestHeader;
    readonly body: RequestByKey[K];
  };
}[ApiKey];

export interface DecodedRequestHeader {
  readonly header: RequestHeader;
  /** Whether the API key and version are known, so that the body can be decoded. */
  readonly supported: boolean;
  /** Reader positioned at the body when supported; at the end of what could be read otherwise. */
  readonly reader: Reader;
}

/**
 * Decodes a request header. For an unknown API or version the header is read as far as it is
 * version-independent (key, version, correlation id, client id), so the broker can still answer.
 */
export function decodeRequestFrameHeader(frame: Uint8Array): DecodedRequestHeader {
  const r = new Reader(frame);
  if (frame.length < 8)
    throw new DecodeError({
      api: "RequestHeader",
      version: 1,
      path: "",
      reason: "frame shorter than a request header",
    });
  const apiKey = r.int16();
  const apiVersion = r.int16();
  r.offset = 0;
  const supported = isSupportedVersion(apiKey, apiVersion);
  const version = supported ? requestHeaderVersion(apiKey, apiVersion) : 1;
  const header = decodeHeaderBody(r, version);
  return { header, supported, reader: r };
}

/** Decodes a whole request frame; throws DecodeError for unknown APIs/versions or malformed bytes. */
export function decodeRequestFrame(frame: Uint8Array): DecodedRequest {
  const { header, supported, reader } = decodeRequestFrameHeader(frame);
  const { requestApiKey: apiKey, requestApiVersion: apiVersion } = header;
  if (!supported) {
    throw new DecodeError({
      api: `ApiKey(${apiKey})`,
      version: apiVersion,
      path: "",
      reason: "unsupported API or version",
    });
  }
  const spec = apiSpecOf(apiKey);
  if (spec === undefined)
    throw new DecodeError({ api: `ApiKey(${apiKey})`, version: apiVersion, path: "", reason: "unknown API" });
  const body = spec.decodeRequest(reader, apiVersion);
  return { apiKey, apiVersion, header, body } as DecodedRequest;
}

export interface EncodeRequestOptions<K extends ApiKey> {
  readonly apiKey: K;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId?: string | null;
  readonly body: Input<RequestByKey[K]>;
}

/** Encodes a request frame with its 4-byte size prefix. */
export function encodeRequestFrame<K extends ApiKey>(options: EncodeRequestOptions<K>): Uint8Array {
  const w = new Writer(256);
  w.int32(0);
  encodeRequestHeader(w, requestHeaderVersion(options.apiKey, options.apiVersion), {
    requestApiKey: options.apiKey,
    requestApiVersion: options.apiVersion,
    correlationId: options.correlationId,
    clientId: options.clientId ?? null,
  });
  apiSpecs[options.apiKey].encodeRequest(w, options.apiVersion, options.body);
  w.patchInt32(0, w.length - 4);
  return w.toBytes();
}

export interface EncodeResponseOptions<K extends ApiKey> {
  readonly apiKey: K;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly body: Input<ResponseByKey[K]>;
}

/**
 * Encodes a response frame with its size prefix, as chunks: large record fields are referenced,
 * not copied, so a fetch response can be written with one vectored write.
 */
export function encodeResponseFrame<K extends ApiKey>(options: EncodeResponseOptions<K>): Uint8Array[] {
  const w = new Writer(256);
  w.int32(0);
  encodeResponseHeader(w, responseHeaderVersion(options.apiKey, options.apiVersion), {
    correlationId: options.correlationId,
  });
  apiSpecs[options.apiKey].encodeResponse(w, options.apiVersion, options.body);
  w.patchInt32(0, w.length - 4);
  return w.chunksView();
}

export interface DecodedResponse<K extends ApiKey> {
  readonly correlationId: number;
  readonly body: ResponseByKey[K];
}

/** Decodes a response frame (without size prefix) for a request of the given API and version. */
export function decodeResponseFrame<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Uint8Array,
): DecodedResponse<K> {
  const r = new Reader(frame);
  const header = decodeResponseHeaderBody(r, responseHeaderVersion(apiKey, apiVersion));
  const body = apiSpecs[apiKey].decodeResponse(r, apiVersion);
  return { correlationId: header.correlationId, body };
}

/** Reads only the correlation id of a response frame, to match it to its request. */
export function peekCorrelationId(frame: Uint8Array): number {
  if (frame.length < 4)
    throw new DecodeError({ api: "ResponseHeader", version: 0, path: "correlationId", reason: "frame too short" });
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(0);
}
