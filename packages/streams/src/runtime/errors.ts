// Errors the runtime raises to applications: one class with a code, whether retrying can help,
// and the underlying cause (a client library error, a task's exception).

export type StreamsErrorCode =
  /** A source topic the topology reads does not exist. */
  | "MISSING_SOURCE_TOPIC"
  /** Topics that must be co-partitioned (joins, multi-topic sources) have different partition counts. */
  | "NOT_COPARTITIONED"
  /** An internal topic exists with another partition count than the topology needs. */
  | "INTERNAL_TOPIC_MISMATCH"
  /** The partition counts of internal topics could not be resolved (a cycle, a missing sub-topology). */
  | "INVALID_TOPOLOGY"
  /** The group moved this instance's tasks elsewhere before it could commit (Kafka's TaskMigratedException). */
  | "TASK_MIGRATED"
  /** Sending a record failed for good (Kafka's production exception). */
  | "SEND_FAILED"
  /** A processor, store or punctuator threw (Kafka's StreamsException wrapping the cause). */
  | "PROCESSING_FAILED"
  /** The application is in a state where the call is not allowed (start twice, cleanUp while running). */
  | "ILLEGAL_STATE"
  | "INVALID_CONFIG"
  /** An interactive query cannot be answered here now (Kafka's InvalidStateStoreException and subclasses). */
  | "INVALID_STATE_STORE"
  | "TIMEOUT";

export class StreamsError extends Error {
  readonly code: StreamsErrorCode;
  readonly retriable: boolean;

  constructor(code: StreamsErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StreamsError";
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
