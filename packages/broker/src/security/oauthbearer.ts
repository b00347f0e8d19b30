// SASL/OAUTHBEARER (RFC 7628, Kafka's KIP-255 with KIP-342 extensions) on the broker: the client's
// first message (`n,[a=authzid],^Aauth=Bearer <token>^A[key=value^A]...^A`), the validator that
// turns a token into a principal (Kafka's unsecured JWS validator by default, or one the embedding
// app passes to startBroker), and the exchange: a valid token completes with an empty answer; an
// invalid one is answered with RFC 7628's JSON error, and the client's `^A` that follows fails the
// login with that JSON as the error message, as Kafka's OAuthBearerSaslServer does.

/** What a validator returns for a good token. */
export interface OAuthBearerValidated {
  /** The principal's name: requests on the connection run as `User:<principalName>`. */
  readonly principalName: string;
  /**
   * When the token expires, in milliseconds since the epoch (Kafka's OAuthBearerToken.lifetimeMs).
   * The session then ends at the latest then: the client must re-authenticate before it (KIP-368).
   * Undefined: only connections.max.reauth.ms bounds the session.
   */
  readonly lifetimeMs?: number | undefined;
}

export interface OAuthBearerValidationContext {
  /** The listener the login came in on (upper case). */
  readonly listener: string;
  /** Aborted when the validation must stop (the login took too long, or the broker is stopping). */
  readonly signal: AbortSignal;
}

/**
 * Validates a bearer token and the client's SASL extensions. A token that is not acceptable is
 * refused by throwing an OAuthBearerValidationError; any other error is an internal failure (the
 * client is told only that the login failed).
 */
export type OAuthBearerValidator = (
  token: string,
  extensions: ReadonlyMap<string, string>,
  context: OAuthBearerValidationContext,
) => Promise<OAuthBearerValidated>;

/** RFC 6750 / RFC 7628 error statuses a validator may answer. */
export type OAuthBearerErrorStatus = "invalid_token" | "insufficient_scope" | "invalid_request";

/** A token refused by a validator: the client gets RFC 7628's JSON error with this status. */
export class OAuthBearerValidationError extends Error {
  override readonly name = "OAuthBearerValidationError";
  readonly status: OAuthBearerErrorStatus;
  /** The scope the token lacks (insufficient_scope). */
  readonly scope: string | undefined;
  /** Where the client may find the authorization server's configuration. */
  readonly openidConfiguration: string | undefined;

  /** `message` is for the broker's log only (never sent to the client). */
  constructor(
    message: string,
    options: { status?: OAuthBearerErrorStatus; scope?: string; openidConfiguration?: string } = {},
  ) {
    super(message);
    this.status = options.status ?? (options.scope === undefined ? "invalid_token" : "insufficient_scope");
    this.scope = options.scope;
    this.openidConfiguration = options.openidConfiguration;
  }
}

/**
 * A failed OAUTHBEARER exchange. `clientMessage` is what the client is told when it is more than
 * the generic failure; `message` is for the log and never carries the token.
 */
export class OAuthBearerError extends Error {
  override readonly name = "OAuthBearerError";
  readonly clientMessage: string | undefined;
  constructor(message: string, clientMessage?: string) {
    super(message);
    this.clientMessage = clientMessage;
  }
}

export interface OAuthBearerClientFirst {
  readonly token: string;
  /** The authorization id of the gs2 header (`a=`), as sent (empty when absent). */
  readonly authorizationId: string;
  /** KIP-342 extensions: every key=value pair but `auth`. */
  readonly extensions: ReadonlyMap<string, string>;
}

const separator = "\u0001";
// RFC 7628 §3.1 as Kafka reads it: a saslname of ASCII other than ',' and '=' (or =2C / =3D),
// alphabetic keys, values of printable ASCII, space, tab, CR and LF.
/* eslint-disable no-control-regex -- RFC 7628 separates the parts with ^A (0x01) */
const clientFirstPattern =
  /^n,(?:a=((?:[\x01-\x2b\x2d-\x3c\x3e-\x7f]|=2C|=3D)+))?,\x01((?:[A-Za-z]+=[\x21-\x7e \t\r\n]+\x01)*)\x01$/;
/* eslint-enable no-control-regex */
const authPattern = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

/** Parses the client's first message; throws OAuthBearerError when it is malformed. */
export function parseClientFirst(message: Uint8Array): OAuthBearerClientFirst {
  const text = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("utf8");
  const m = clientFirstPattern.exec(text);
  if (m === null) throw new OAuthBearerError("invalid OAUTHBEARER client first message");
  const pairs = new Map<string, string>();
  for (const pair of (m[2] ?? "").split(separator)) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    pairs.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const auth = pairs.get("auth");
  if (auth === undefined) throw new OAuthBearerError("invalid OAUTHBEARER client first message: 'auth' not specified");
  pairs.delete("auth");
  const a = authPattern.exec(auth);
  if (a === null) throw new OAuthBearerError("invalid OAUTHBEARER client first message: invalid 'auth' format");
  if ((a[1] ?? "").toLowerCase() !== "bearer") {
    throw new OAuthBearerError("invalid scheme in OAUTHBEARER client first message");
  }
  return { token: a[2] ?? "", authorizationId: m[1] ?? "", extensions: pairs };
}

/** The client's first message (tests and tools). */
export function encodeClientFirst(options: {
  token: string;
  authorizationId?: string;
  extensions?: ReadonlyMap<string, string>;
}): Uint8Array {
  const authzid =
    options.authorizationId === undefined || options.authorizationId === "" ? "" : `a=${options.authorizationId}`;
  let pairs = `auth=Bearer ${options.token}${separator}`;
  for (const [key, value] of options.extensions ?? []) pairs += `${key}=${value}${separator}`;
  return Buffer.from(`n,${authzid},${separator}${pairs}${separator}`, "utf8");
}

/** RFC 7628 §3.2.2's error, formatted as Kafka writes it. */
export function errorChallenge(error: OAuthBearerValidationError): string {
  let json = `{"status":${JSON.stringify(error.status)}`;
  if (error.scope !== undefined) json += `, "scope":${JSON.stringify(error.scope)}`;
  if (error.openidConfiguration !== undefined) {
    json += `, "openid-configuration":${JSON.stringify(error.openidConfiguration)}`;
  }
  return `${json}}`;
}

export type OAuthBearerStep =
  | { readonly complete: false; readonly challenge: Uint8Array }
  | { readonly complete: true; readonly principalName: string; readonly lifetimeMs: number | undefined };

/**
 * One server-side exchange. `evaluate` answers each client message: the JSON error challenge for
 * a refused token (the client's `^A` then fails the login with it), completion for a good one.
 * Throws OAuthBearerError when the login fails.
 */
export class OAuthBearerServer {
  private readonly validator: OAuthBearerValidator;
  private readonly listener: string;
  /** Set after an error challenge: the client's `^A` then fails the login with it. */
  private pendingError: { readonly json: string; readonly reason: string } | undefined;

  constructor(options: { validator: OAuthBearerValidator; listener: string }) {
    this.validator = options.validator;
    this.listener = options.listener;
  }

  /** `signal` bounds the validator: when it aborts, the login fails. */
  async evaluate(message: Uint8Array, signal: AbortSignal): Promise<OAuthBearerStep> {
    const pending = this.pendingError;
    if (message.length === 1 && message[0] === 1 && pending !== undefined) {
      throw new OAuthBearerError(pending.reason, pending.json);
    }
    // As Kafka: anything else after an error challenge is a new first message.
    this.pendingError = undefined;
    const first = parseClientFirst(message);
    let validated: OAuthBearerValidated;
    try {
      validated = await this.validate(first, { listener: this.listener, signal });
    } catch (error) {
      if (!(error instanceof OAuthBearerValidationError)) {
        throw new OAuthBearerError(
          `token validation failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const json = errorChallenge(error);
      this.pendingError = { json, reason: `${error.status}: ${error.message}` };
      return { complete: false, challenge: Buffer.from(json, "utf8") };
    }
    const principalName = validated.principalName;
    if (typeof principalName !== "string" || principalName.trim() === "") {
      throw new OAuthBearerError("the validator returned no principal name");
    }
    if (first.authorizationId !== "" && first.authorizationId !== principalName) {
      throw new OAuthBearerError(
        "authorization id differs from the token's principal name",
        `Authentication failed: Client requested an authorization id (${first.authorizationId}) that is different from the token's principal name (${principalName})`,
      );
    }
    const lifetimeMs = validated.lifetimeMs;
    if (lifetimeMs !== undefined && !(typeof lifetimeMs === "number" && !Number.isNaN(lifetimeMs))) {
      throw new OAuthBearerError("the validator returned an invalid lifetimeMs");
    }
    return { complete: true, principalName, lifetimeMs };
  }

  /** Runs the validator, bounded by the context's signal. */
  private validate(
    first: OAuthBearerClientFirst,
    context: OAuthBearerValidationContext,
  ): Promise<OAuthBearerValidated> {
    const { signal } = context;
    if (signal.aborted) return Promise.reject(new Error("validation aborted"));
    return new Promise<OAuthBearerValidated>((resolve, reject) => {
      const onAbort = (): void => reject(new Error("validation did not complete in time"));
      signal.addEventListener("abort", onAbort, { once: true });
      const settle = (): void => signal.removeEventListener("abort", onAbort);
      // The validator may throw synchronously: that is a refusal (or failure) like a rejection.
      Promise.resolve()
        .then(() => this.validator(first.token, first.extensions, context))
        .then(
          (value) => {
            settle();
            resolve(value);
          },
          (error: unknown) => {
            settle();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
    });
  }
}
