// Public API of @samsa/protocol: Kafka's wire protocol without I/O.
export * from "./generated/index.ts";
export * from "./generated/request-header.ts";
export * from "./generated/response-header.ts";
export * from "./generated/consumer-protocol-subscription.ts";
export * from "./generated/consumer-protocol-assignment.ts";
export * from "./frames.ts";
export * from "./framing.ts";
export * from "./error-codes.ts";
export * from "./records/index.ts";
export { DecodeError, EncodeError } from "./errors.ts";
export { Reader } from "./primitives/reader.ts";
export { Writer } from "./primitives/writer.ts";
export type { Input } from "./primitives/runtime.ts";
