// Errors of the `samsa` command and their exit codes: every failure ends as one line on stderr
// (what failed, why, what to try) and a documented exit code (docs/cli.md). Client-library and
// Kafka errors are translated here, in one place, so commands only say what they were doing.

/** Exit codes, documented in docs/cli.md and `samsa --help`. */
export const ExitCode = {
  ok: 0,
  /** The cluster refused or failed the request (a Kafka error), or the command failed otherwise. */
  failed: 1,
  /** The command line is wrong (unknown option, missing argument, bad value). */
  usage: 2,
  /** The cluster could not be reached (connection refused, timeout). */
  unreachable: 3,
  /** A named topic, partition or group does not exist. */
  notFound: 4,
  /** Input data is invalid (a backup file, a line of input). */
  badInput: 5,
  /** Interrupted by Ctrl-C (SIGINT) or SIGTERM before finishing. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override readonly name: string = "CliError";
  readonly exitCode: ExitCodeValue;
  /** What to try next, appended to the line ("try: ..."). */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.hint = options.hint;
  }
}

export class UsageError extends CliError {
  override readonly name: string = "UsageError";
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, ...(hint === undefined ? {} : { hint }) });
  }
}

export class NotFoundError extends CliError {
  override readonly name: string = "NotFoundError";
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.notFound, ...(hint === undefined ? {} : { hint }) });
  }
}

export class BadInputError extends CliError {
  override readonly name: string = "BadInputError";
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.badInput, ...options });
  }
}

export class InterruptedError extends CliError {
  override readonly name: string = "InterruptedError";
  constructor(message = "interrupted") {
    super(message, { exitCode: ExitCode.interrupted });
  }
}

// ---------------------------------------------------------------------------------------------- library errors

/** Kafka error names (e.g. TOPIC_ALREADY_EXISTS) inside a client-library error, however nested. */
export function kafkaErrorNames(error: unknown): string[] {
  const names: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as { apiId?: unknown; errors?: unknown; cause?: unknown };
    if (typeof record.apiId === "string" && !names.includes(record.apiId)) names.push(record.apiId);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
    visit(record.cause);
  };
  visit(error);
  return names;
}

/** Server-side error messages (Kafka's errorMessage fields) inside a client-library error. */
function serverMessages(error: unknown): string[] {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    const record = value as {
      serverErrorMessage?: unknown;
      apiId?: unknown;
      message?: unknown;
      errors?: unknown;
      cause?: unknown;
    };
    // The broker's own words first, else the client library's sentence for the error code.
    const text =
      typeof record.serverErrorMessage === "string" && record.serverErrorMessage !== ""
        ? record.serverErrorMessage.trim().replace(/\.$/, "")
        : typeof record.apiId === "string" && typeof record.message === "string"
          ? record.message.replace(/\.$/, "")
          : undefined;
    if (text !== undefined && !messages.includes(text)) messages.push(text);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner);
    visit(record.cause);
  };
  visit(error);
  return messages;
}

function hasCode(error: unknown, codes: readonly string[]): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown): boolean => {
    if (typeof value !== "object" || value === null || seen.has(value)) return false;
    seen.add(value);
    const record = value as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof record.code === "string" && codes.includes(record.code)) return true;
    if (Array.isArray(record.errors) && record.errors.some(visit)) return true;
    return visit(record.cause);
  };
  return visit(error);
}

/** Whether the error means the cluster could not be reached (as opposed to refusing a request). */
export function isUnreachable(error: unknown): boolean {
  return (
    hasCode(error, ["PLT_KFK_NETWORK", "PLT_KFK_TIMEOUT", "ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]) &&
    kafkaErrorNames(error).length === 0
  );
}

const notFoundNames = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "UNKNOWN_TOPIC_ID", "GROUP_ID_NOT_FOUND"]);

/** Kafka's error names as words, with hints for the common ones. */
const kafkaHints: Readonly<Record<string, string>> = {
  TOPIC_ALREADY_EXISTS: "pick another name, or 'samsa topic describe' it",
  UNKNOWN_TOPIC_OR_PARTITION: "'samsa topic list' shows the topics",
  INVALID_PARTITIONS: "partition counts must be at least 1",
  INVALID_REPLICATION_FACTOR: "a single-broker cluster needs --replicas 1",
  INVALID_CONFIG: "'samsa topic describe TOPIC' shows the current configs",
  INVALID_TOPIC_EXCEPTION: "topic names use letters, digits, '.', '_' and '-' (at most 249)",
  POLICY_VIOLATION: "the cluster's policy refused it",
  TOPIC_AUTHORIZATION_FAILED: "the principal lacks the ACL for this topic",
  CLUSTER_AUTHORIZATION_FAILED: "the principal lacks the cluster ACL",
  OFFSET_OUT_OF_RANGE: "'samsa topic describe TOPIC' shows the partition's offsets",
  RECORD_LIST_TOO_LARGE: "lower the batch size",
  MESSAGE_TOO_LARGE: "the record exceeds the topic's max.message.bytes",
  NOT_ENOUGH_REPLICAS: "fewer in-sync replicas than min.insync.replicas",
};

/**
 * One line for any error: `what: why (KAFKA_NAME)`, plus the hint. `what` says what the command
 * was doing ("creating topic orders").
 */
export function describeFailure(error: unknown, what: string): CliError {
  if (error instanceof CliError) return error;
  const names = kafkaErrorNames(error);
  if (names.length > 0) {
    const server = serverMessages(error);
    const first = names[0] ?? "";
    const words = first
      .toLowerCase()
      .replaceAll("_", " ")
      .replace(/ exception$/, "");
    const why = server.length > 0 ? `${server.join("; ")} (${names.join(", ")})` : `${words} (${names.join(", ")})`;
    const hint = kafkaHints[first];
    return new CliError(`${what}: ${why}`, {
      exitCode: notFoundNames.has(first) ? ExitCode.notFound : ExitCode.failed,
      ...(hint === undefined ? {} : { hint }),
      cause: error,
    });
  }
  if (isUnreachable(error)) {
    return new CliError(`${what}: cannot reach the cluster (${innermostMessage(error)})`, {
      exitCode: ExitCode.unreachable,
      hint: "check -b/--brokers or $SAMSA_BROKERS, and that the broker is running",
      cause: error,
    });
  }
  return new CliError(`${what}: ${innermostMessage(error)}`, { cause: error });
}

/** The most specific message of an error chain (the client library nests its causes). */
export function innermostMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  const seen = new Set<unknown>();
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const record = current as { message?: unknown; errors?: unknown; cause?: unknown };
    if (typeof record.message === "string" && record.message !== "") message = record.message;
    const errors: unknown = record.errors;
    current = Array.isArray(errors) && errors.length > 0 ? (errors as unknown[])[0] : record.cause;
  }
  return message.replace(/\s+/g, " ").trim();
}

/** The line printed for a failure: `samsa <command>: message (try: hint)`. */
export function failureLine(command: string, error: CliError): string {
  const prefix = command === "" ? "samsa" : `samsa ${command}`;
  const hint = error.hint === undefined ? "" : ` — try: ${error.hint}`;
  return `${prefix}: ${error.message}${hint}`.replace(/[\r\n]+/g, " ");
}
