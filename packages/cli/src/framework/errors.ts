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
  /** Input data is invalid (a backup file, a line of input, a client config file). */
  badInput: 5,
  /** Access denied: authentication failed (SASL, TLS certificates) or the principal lacks an ACL. */
  denied: 6,
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

/** A client config (--command-config file, a JAAS entry, key or certificate files) that cannot be used. */
export class ClientConfigError extends BadInputError {
  override readonly name: string = "ClientConfigError";
}

/** A login the broker refused without a Kafka error code (raised inside the client library's connect). */
export class AuthenticationRefused extends Error {
  override readonly name: string = "AuthenticationRefused";
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

/** The first error in a chain (causes and nested errors) that passes `test`. */
function findInChain<T>(error: unknown, test: (value: unknown) => value is T): T | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown): T | undefined => {
    if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
    seen.add(value);
    if (test(value)) return value;
    const record = value as { errors?: unknown; cause?: unknown };
    if (Array.isArray(record.errors))
      for (const inner of record.errors as unknown[]) {
        const found = visit(inner);
        if (found !== undefined) return found;
      }
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

/** Kafka errors that mean "who you are" or "what you may do" was refused (exit code 6). */
const deniedNames = new Set([
  "SASL_AUTHENTICATION_FAILED",
  "UNSUPPORTED_SASL_MECHANISM",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
]);

const saslHint =
  "check the SASL mechanism and the credentials (--command-config; --sasl-*, $SAMSA_SASL_PASSWORD, $SAMSA_SASL_TOKEN)";

/** Kafka's error names as words, with hints for the common ones. */
const kafkaHints: Readonly<Record<string, string>> = {
  TOPIC_ALREADY_EXISTS: "pick another name, or 'samsa topic describe' it",
  UNKNOWN_TOPIC_OR_PARTITION: "'samsa topic list' shows the topics",
  INVALID_PARTITIONS: "partition counts must be at least 1",
  INVALID_REPLICATION_FACTOR: "a single-broker cluster needs --replicas 1",
  INVALID_CONFIG: "'samsa topic describe TOPIC' shows the current configs",
  INVALID_TOPIC_EXCEPTION: "topic names use letters, digits, '.', '_' and '-' (at most 249)",
  POLICY_VIOLATION: "the cluster's policy refused it",
  SASL_AUTHENTICATION_FAILED: saslHint,
  UNSUPPORTED_SASL_MECHANISM: "--sasl-mechanism must be one the listener enables (sasl.enabled.mechanisms)",
  ILLEGAL_SASL_STATE: "does the listener use SASL? --security-protocol must match the listener's",
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
      exitCode: notFoundNames.has(first)
        ? ExitCode.notFound
        : names.some((n) => deniedNames.has(n))
          ? ExitCode.denied
          : ExitCode.failed,
      ...(hint === undefined ? {} : { hint }),
      cause: error,
    });
  }
  const refused = findInChain(error, (e): e is AuthenticationRefused => e instanceof AuthenticationRefused);
  if (refused !== undefined)
    return new CliError(`${what}: ${refused.message}`, { exitCode: ExitCode.denied, hint: saslHint, cause: error });
  const mismatch = protocolMismatch(error);
  if (mismatch !== undefined)
    return new CliError(`${what}: ${mismatch.message}`, { hint: mismatch.hint, cause: error });
  // A TLS failure in the error, else one a connection reported before the error said only "closed".
  const tls = tlsFailure(error) ?? (isUnreachable(error) ? observedTlsFailure : undefined);
  if (tls !== undefined) {
    return new CliError(`${what}: TLS handshake failed: ${tls.message} (${tls.code})`, {
      exitCode: ExitCode.denied,
      hint: tls.hint,
      cause: error,
    });
  }
  if (isUnreachable(error)) {
    return new CliError(`${what}: cannot reach the cluster (${innermostMessage(error)})`, {
      exitCode: ExitCode.unreachable,
      hint: "check -b/--brokers or $SAMSA_BROKERS, that the broker is running, and --security-protocol for a TLS or SASL listener",
      cause: error,
    });
  }
  return new CliError(`${what}: ${innermostMessage(error)}`, { cause: error });
}

// ---------------------------------------------------------------------------------------------- TLS failures

/** OpenSSL's certificate verification results (node:tls reports them as the error's code). */
const untrustedCodes = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
]);
const hostnameCodes = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH", "ERR_TLS_CERT_ALTNAME_FORMAT"]);

interface TlsFailure {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** The TLS failure inside a connection error: the broker's certificate refused, or ours. */
export function tlsFailure(error: unknown): TlsFailure | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown): TlsFailure | undefined => {
    if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
    seen.add(value);
    const record = value as { code?: unknown; message?: unknown; reason?: unknown; errors?: unknown; cause?: unknown };
    const code = typeof record.code === "string" ? record.code : "";
    // OpenSSL's errors carry a short `reason` ("tlsv13 alert certificate required") next to a long message.
    const text = typeof record.reason === "string" ? record.reason : record.message;
    const message =
      typeof text === "string"
        ? text
            .replace(/; if the root CA is installed locally.*$/s, "") // Node's advice names its own flags
            .replace(/\s+/g, " ")
            .trim()
        : code;
    if (untrustedCodes.has(code))
      return {
        code,
        message: `the broker's certificate is not trusted: ${message}`,
        hint: "give the CA that signed the broker's certificate: --tls-ca FILE, or ssl.truststore.location (PEM) in --command-config",
      };
    if (hostnameCodes.has(code))
      return {
        code,
        message: `the broker's certificate does not name the host: ${message}`,
        hint: "connect by a name the certificate holds, or set ssl.endpoint.identification.algorithm= (empty) in --command-config",
      };
    // An alert from the broker: it refused our certificate, or wanted one (mTLS).
    if (/^ERR_SSL_.*ALERT/.test(code))
      return {
        code,
        message: `the broker refused the connection: ${message}`,
        hint: "the listener wants a client certificate it trusts: --tls-cert FILE --tls-key FILE, or ssl.keystore.location (PEM)",
      };
    if (Array.isArray(record.errors)) {
      for (const inner of record.errors as unknown[]) {
        const found = visit(inner);
        if (found !== undefined) return found;
      }
    }
    return visit(record.cause);
  };
  return visit(error);
}

let observedTlsFailure: TlsFailure | undefined;

/**
 * Notes an error a connection reported by itself. A broker that refuses a client certificate
 * (TLS 1.3) sends its alert after the handshake completed: the request in flight then fails with
 * only "Connection closed", and this note keeps the reason for describeFailure.
 */
export function noteConnectionError(error: unknown): void {
  observedTlsFailure ??= tlsFailure(error);
}

/** A TLS client on a plaintext listener, or the other way round (the client library's words). */
function protocolMismatch(error: unknown): { message: string; hint: string } | undefined {
  const message = innermostMessage(error);
  if (/^Broker requires TLS/.test(message))
    return {
      message: "the listener uses TLS",
      hint: "--security-protocol SSL or SASL_SSL (with --tls-ca FILE unless its certificate is publicly trusted)",
    };
  if (/^TLS handshake failed|secure TLS connection was established|wrong version number/i.test(message))
    return {
      message: `the TLS handshake did not complete (${message}): does the listener use TLS?`,
      hint: "--security-protocol PLAINTEXT or SASL_PLAINTEXT",
    };
  return undefined;
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

/** The line printed for a failure: `samsa <command>: message (try: hint)`, with secrets masked. */
export function failureLine(command: string, error: CliError): string {
  const prefix = command === "" ? "samsa" : `samsa ${command}`;
  const hint = error.hint === undefined ? "" : ` — try: ${error.hint}`;
  return redactSecrets(`${prefix}: ${error.message}${hint}`.replace(/[\r\n]+/g, " "));
}

// ---------------------------------------------------------------------------------------------- secrets

const secrets = new Set<string>();

/**
 * Remembers a secret (a password, a token, a key's passphrase) so that no line the CLI writes to
 * stderr shows it, whatever a library or a broker puts into an error message.
 */
export function rememberSecret(secret: string): void {
  if (secret !== "") secrets.add(secret);
}

/** Secrets shorter than this are masked only where they stand alone (not inside words like "produce"). */
const secretCharsAnywhere = 4;

/** `text` with every remembered secret replaced by `***` (longest first, so none leaks in part). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= secretCharsAnywhere) out = out.replaceAll(secret, "***");
    else {
      const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "gu"), "***");
    }
  }
  return out;
}
