// How planned tasks behave where Kafka Streams has a config: what to do with a record that cannot
// be deserialized (default.deserialization.exception.handler) and where warnings go.
import type { Logger } from "../logger.ts";
import type { ConsumedRecord } from "../runtime-contract.ts";

export type DeserializationErrorAction = "continue" | "fail";

export interface DeserializationErrorContext {
  readonly record: ConsumedRecord;
  readonly error: unknown;
}

/** Kafka's LogAndFailExceptionHandler (default) / LogAndContinueExceptionHandler, or a function. */
export type DeserializationErrorHandler =
  "log-and-fail" | "log-and-continue" | ((context: DeserializationErrorContext) => DeserializationErrorAction);

export interface PlanOptions {
  readonly deserializationErrorHandler?: DeserializationErrorHandler;
  /** Warnings (skipped records, out-of-order table updates); default: JSON lines on stderr. */
  readonly logger?: Logger;
  /** What ProcessorContext.appConfigs() answers (e.g. the emit-final throttle of windowed aggregations). */
  readonly appConfigs?: Readonly<Record<string, string>>;
}
