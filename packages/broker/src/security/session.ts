// One connection's security state: the listener it came in on, its principal, and on SASL
// listeners the authentication state machine. Before a login completes only ApiVersions (once,
// first), SaslHandshake and then SaslAuthenticate are admitted; anything else closes the
// connection, as Kafka does. A failed login is logged (principal, mechanism, peer — never a
// secret) and answered after connection.failed.authentication.delay.ms, then the connection closes.
//
// Sessions (KIP-368): a login completes with a session lifetime when connections.max.reauth.ms is
// positive or the credential expires (an OAUTHBEARER token): the smaller of the two. Before it ends
// the client re-authenticates on the same connection (SaslHandshake + SaslAuthenticate again, at
// most once a second; requests already in flight carry on), with the same mechanism and principal.
// A request other than that SaslHandshake after the session ended closes the connection, as Kafka.
import { setTimeout as sleep } from "node:timers/promises";
import { ApiKey } from "@samsa/protocol";
import type { Logger } from "../logger.ts";
import type { ScramCredentialStore } from "./credential-store.ts";
import type { ListenerConfig, SaslMechanismName } from "./listeners.ts";
import { OAuthBearerError, OAuthBearerServer } from "./oauthbearer.ts";
import type { OAuthBearerValidator } from "./oauthbearer.ts";
import { PlainError, verifyPlain } from "./plain.ts";
import { anonymousPrincipal, formatPrincipal, userPrincipal } from "./principal.ts";
import type { KafkaPrincipal } from "./principal.ts";
import { ScramError, ScramServer, scramMechanismByName } from "./scram.ts";
import { unsecuredJwsValidator, unsecuredValidatorOptions } from "./unsecured-jws.ts";

export type SaslState = "handshakeOrVersions" | "handshake" | "authenticate" | "complete" | "failed";

export type Admission = { readonly admit: true } | { readonly admit: false; readonly reason: string };

/**
 * A token's evaluation: the answer (with the session lifetime once the login completes, else 0),
 * or a failure with what the client is told (undefined: no answer, as Kafka), before the close.
 */
export type AuthenticateOutcome =
  | { readonly ok: true; readonly token: Uint8Array; readonly sessionLifetimeMs: number }
  | { readonly ok: false; readonly errorMessage: string | undefined };

/** Kafka accepts a re-authentication at most once a second; an earlier SaslHandshake is ILLEGAL_SASL_STATE. */
export const reauthenticationIntervalMsMin = 1000;

const apiName = (apiKey: number): string =>
  Object.entries(ApiKey).find(([, key]) => key === apiKey)?.[0] ?? `API ${apiKey}`;

export class ConnectionSecurity {
  readonly listener: ListenerConfig;
  private readonly logger: Logger;
  private readonly credentials: ScramCredentialStore;
  private readonly peer: string;
  private readonly failedDelayMs: number;
  private principalValue: KafkaPrincipal;
  private saslState: SaslState;
  private mechanismValue: SaslMechanismName | undefined;
  private scram: ScramServer | undefined;
  private oauthBearer: OAuthBearerServer | undefined;
  private readonly oauthBearerValidator: OAuthBearerValidator | undefined;
  private readonly loginTimeoutMs: number;
  private readonly nowMs: () => number;
  /** SaslHandshake v0: the tokens that follow are bare size-prefixed frames, not SaslAuthenticate. */
  private rawTokens = false;
  /** A token is being evaluated (a second one sent before its answer fails the login). */
  private evaluating = false;
  /** When the current login (or re-authentication) began. */
  private loginStartedMs: number;
  /** When the session of the completed login ends (undefined: never). */
  private sessionExpiresAtMs: number | undefined;
  private lastReauthenticationStartMs: number | undefined;
  /** Set while re-authenticating: who the connection was, which must not change. */
  private reauthentication: { readonly principal: KafkaPrincipal; readonly mechanism: SaslMechanismName } | undefined;
  /** A re-authentication asked for another mechanism: its SaslAuthenticate fails without an answer. */
  private badReauthenticationMechanism: string | undefined;
  /** Set when the connection must close once the response being prepared has been written. */
  closeAfterResponse: string | undefined;

  constructor(options: {
    listener: ListenerConfig;
    logger: Logger;
    credentials: ScramCredentialStore;
    peer: string;
    failedAuthenticationDelayMs: number;
    /** The TLS client certificate's principal, when one was presented and verified. */
    certificatePrincipal?: KafkaPrincipal;
    /** Validates OAUTHBEARER tokens instead of Kafka's unsecured validator (startBroker's option). */
    oauthBearerValidator?: OAuthBearerValidator | undefined;
    /** Bounds a token validation (samsa.sasl.login.timeout.ms); default 10 s. */
    loginTimeoutMs?: number;
    /** Tests move time by hand. */
    nowMs?: () => number;
  }) {
    this.listener = options.listener;
    this.logger = options.logger;
    this.credentials = options.credentials;
    this.peer = options.peer;
    this.failedDelayMs = options.failedAuthenticationDelayMs;
    this.principalValue = options.certificatePrincipal ?? anonymousPrincipal;
    this.saslState = options.listener.sasl === undefined ? "complete" : "handshakeOrVersions";
    this.oauthBearerValidator = options.oauthBearerValidator;
    this.loginTimeoutMs = options.loginTimeoutMs ?? 10_000;
    this.nowMs = options.nowMs ?? Date.now;
    this.loginStartedMs = this.nowMs();
  }

  /** The principal requests on this connection run as (for the authorizer). */
  get principal(): KafkaPrincipal {
    return this.principalValue;
  }

  get state(): SaslState {
    return this.saslState;
  }

  get authenticated(): boolean {
    return this.saslState === "complete";
  }

  /** When the session ends (ms since the epoch), or undefined when it does not. */
  get sessionExpiresAt(): number | undefined {
    return this.sessionExpiresAtMs;
  }

  /** Whether a login (or re-authentication) under way has taken longer than `timeoutMs`. */
  loginOverdue(nowMs: number, timeoutMs: number): boolean {
    if (this.listener.sasl === undefined) return false;
    if (this.saslState === "complete" || this.saslState === "failed") return false;
    return nowMs - this.loginStartedMs > timeoutMs;
  }

  /** The largest request accepted now: sasl.server.max.receive.size until a SASL login completes. */
  requestBytesMax(saslReceiveBytesMax: number): number | undefined {
    return this.authenticated ? undefined : saslReceiveBytesMax;
  }

  /** Whether a request may run now; called in arrival order, before the request is decoded. */
  admit(apiKey: number): Admission {
    const name = apiName(apiKey);
    switch (this.saslState) {
      case "complete": {
        const expiresAt = this.sessionExpiresAtMs;
        if (expiresAt === undefined) return { admit: true };
        const now = this.nowMs();
        const last = this.lastReauthenticationStartMs;
        if (apiKey === ApiKey.SaslHandshake && (last === undefined || now - last >= reauthenticationIntervalMsMin)) {
          this.beginReauthentication(now);
          return { admit: true };
        }
        if (now > expiresAt) {
          return {
            admit: false,
            reason: `${name} request after the SASL session expired (${now - expiresAt} ms ago) without re-authentication`,
          };
        }
        return { admit: true };
      }
      case "handshakeOrVersions":
        if (apiKey === ApiKey.ApiVersions) {
          this.saslState = "handshake";
          return { admit: true };
        }
        if (apiKey === ApiKey.SaslHandshake) return { admit: true };
        return { admit: false, reason: `unexpected ${name} request during SASL handshake` };
      case "handshake":
        if (apiKey === ApiKey.SaslHandshake) return { admit: true };
        return { admit: false, reason: `unexpected ${name} request during SASL handshake` };
      case "authenticate":
        if (apiKey === ApiKey.SaslAuthenticate) return { admit: true };
        return { admit: false, reason: `unexpected ${name} request during SASL authentication` };
      case "failed":
        return { admit: false, reason: `${name} request after a failed SASL authentication` };
    }
  }

  /** Whether SaslHandshake/SaslAuthenticate are part of a login now (false: after it, or no SASL). */
  get expectsHandshake(): boolean {
    return this.saslState === "handshakeOrVersions" || this.saslState === "handshake";
  }

  get expectsAuthenticate(): boolean {
    return this.saslState === "authenticate" && !this.rawTokens;
  }

  /** After SaslHandshake v0 the next frames are bare SASL tokens (no request header). */
  get expectsRawToken(): boolean {
    return this.saslState === "authenticate" && this.rawTokens;
  }

  /**
   * Evaluates a bare token (SaslHandshake v0) and returns the size-prefixed answer; a failure has
   * no answer (the connection closes after the delay).
   */
  async rawToken(frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array[] | undefined> {
    const outcome = await this.authenticate(frame, signal);
    if (!outcome.ok) {
      await this.failureDelay(signal);
      return undefined;
    }
    const size = new Uint8Array(4);
    new DataView(size.buffer).setInt32(0, outcome.token.length);
    return [size, outcome.token];
  }

  /** A SaslHandshake on an authenticated connection whose session expires: the login starts again. */
  private beginReauthentication(nowMs: number): void {
    const mechanism = this.mechanismValue;
    if (mechanism === undefined) throw new Error("re-authentication without a completed login");
    this.reauthentication = { principal: this.principalValue, mechanism };
    this.lastReauthenticationStartMs = nowMs;
    this.loginStartedMs = nowMs;
    this.saslState = "handshake";
    this.scram = undefined;
    this.oauthBearer = undefined;
    this.badReauthenticationMechanism = undefined;
    this.logger.log("debug", "re-authentication started", {
      principal: formatPrincipal(this.principalValue),
      client: this.peer,
      listener: this.listener.name,
    });
  }

  /** SaslHandshake: picks the mechanism; an unknown one fails the login. */
  handshake(mechanism: string, version: number): { errorCode: "none" | "unsupported"; mechanisms: string[] } {
    const enabled = [...(this.listener.sasl?.mechanisms ?? [])];
    const chosen = enabled.find((m) => m === mechanism);
    if (chosen === undefined) {
      this.fail({ mechanism, user: undefined, reason: "unsupported SASL mechanism" });
      return { errorCode: "unsupported", mechanisms: enabled };
    }
    const previous = this.reauthentication?.mechanism;
    if (previous !== undefined && previous !== chosen) {
      // As Kafka: the handshake succeeds, the SaslAuthenticate that follows fails without an answer.
      this.badReauthenticationMechanism = `SASL mechanism '${chosen}' requested by client is not supported for re-authentication of mechanism '${previous}'`;
    }
    this.mechanismValue = chosen;
    const scramMechanism = scramMechanismByName(chosen);
    if (scramMechanism !== undefined) {
      this.scram = new ScramServer({
        mechanism: scramMechanism,
        lookup: (user) => this.credentials.get(user, scramMechanism.name),
      });
    }
    if (chosen === "OAUTHBEARER") {
      this.oauthBearer = new OAuthBearerServer({
        validator:
          this.oauthBearerValidator ??
          unsecuredJwsValidator(this.listener.sasl?.oauthBearer ?? unsecuredValidatorOptions(new Map()), this.nowMs),
        listener: this.listener.name,
      });
    }
    this.saslState = "authenticate";
    this.rawTokens = version === 0;
    return { errorCode: "none", mechanisms: enabled };
  }

  /** Delay before a failed login is answered (connection.failed.authentication.delay.ms). */
  failureDelay(signal: AbortSignal): Promise<void> {
    if (this.failedDelayMs <= 0) return Promise.resolve();
    return sleep(this.failedDelayMs, undefined, { signal, ref: false }).catch(() => undefined);
  }

  /**
   * SaslAuthenticate: evaluates one token of the chosen mechanism. `signal` (the broker stopping)
   * and samsa.sasl.login.timeout.ms bound an OAUTHBEARER validator.
   */
  async authenticate(token: Uint8Array, signal: AbortSignal): Promise<AuthenticateOutcome> {
    const mechanism = this.mechanismValue ?? "";
    const badMechanism = this.badReauthenticationMechanism;
    if (badMechanism !== undefined) {
      this.fail({ mechanism, user: undefined, reason: badMechanism });
      return { ok: false, errorMessage: undefined };
    }
    if (this.evaluating) {
      this.fail({ mechanism, user: undefined, reason: "a SASL token sent before the previous one was answered" });
      return { ok: false, errorMessage: this.genericFailure(mechanism) };
    }
    this.evaluating = true;
    try {
      if (mechanism === "PLAIN") {
        const user = verifyPlain(token, this.listener.sasl?.plainUsers ?? new Map<string, string>());
        return this.succeed({ user, token: new Uint8Array(0), credentialExpiresAtMs: undefined });
      }
      const oauthBearer = this.oauthBearer;
      if (oauthBearer !== undefined) {
        const step = await oauthBearer.evaluate(
          token,
          AbortSignal.any([signal, AbortSignal.timeout(this.loginTimeoutMs)]),
        );
        if (this.saslState !== "authenticate") throw new OAuthBearerError("the login ended during the validation");
        if (!step.complete) return { ok: true, token: step.challenge, sessionLifetimeMs: 0 };
        return this.succeed({
          user: step.principalName,
          token: new Uint8Array(0),
          credentialExpiresAtMs: step.lifetimeMs,
        });
      }
      const scram = this.scram;
      if (scram === undefined) throw new ScramError("no SASL mechanism chosen");
      const answer = scram.evaluate(token);
      if (scram.complete) return this.succeed({ user: scram.user, token: answer, credentialExpiresAtMs: undefined });
      return { ok: true, token: answer, sessionLifetimeMs: 0 };
    } catch (error) {
      if (!(error instanceof PlainError) && !(error instanceof ScramError) && !(error instanceof OAuthBearerError)) {
        throw error;
      }
      const user = mechanism === "PLAIN" ? plainUser(token) : this.scram?.user || undefined;
      this.fail({ mechanism, user, reason: error.message });
      return {
        ok: false,
        errorMessage:
          (error instanceof PlainError || error instanceof OAuthBearerError ? error.clientMessage : undefined) ??
          this.genericFailure(mechanism),
      };
    } finally {
      this.evaluating = false;
    }
  }

  /** What Kafka tells a client whose credentials were refused, without saying why. */
  private genericFailure(mechanism: string): string {
    const what = this.reauthentication === undefined ? "authentication" : "re-authentication";
    return `Authentication failed during ${what} due to invalid credentials with SASL mechanism ${mechanism}`;
  }

  private succeed(login: {
    user: string;
    token: Uint8Array;
    credentialExpiresAtMs: number | undefined;
  }): AuthenticateOutcome {
    const principal = userPrincipal(login.user);
    const previous = this.reauthentication;
    const mechanism = this.mechanismValue ?? "";
    if (previous !== undefined && formatPrincipal(previous.principal) !== formatPrincipal(principal)) {
      const message =
        `Cannot change principals during re-authentication from ` +
        `${previous.principal.type}.${previous.principal.name}: ${principal.type}.${principal.name}`;
      this.fail({ mechanism, user: login.user, reason: message });
      return { ok: false, errorMessage: message };
    }
    const nowMs = this.nowMs();
    const sessionLifetimeMs = this.sessionLifetimeMs(login.credentialExpiresAtMs, nowMs);
    this.principalValue = principal;
    this.saslState = "complete";
    this.reauthentication = undefined;
    this.sessionExpiresAtMs = sessionLifetimeMs === undefined ? undefined : nowMs + sessionLifetimeMs;
    this.logger.log("info", previous === undefined ? "authenticated" : "re-authenticated", {
      principal: formatPrincipal(this.principalValue),
      mechanism: this.mechanismValue,
      client: this.peer,
      listener: this.listener.name,
      sessionLifetimeMs,
    });
    return { ok: true, token: login.token, sessionLifetimeMs: sessionLifetimeMs ?? 0 };
  }

  /**
   * Kafka's rule: connections.max.reauth.ms for the mechanism when positive, the credential's
   * remaining lifetime when it expires, the smaller when both; never negative. Undefined: no end.
   */
  private sessionLifetimeMs(credentialExpiresAtMs: number | undefined, nowMs: number): number | undefined {
    const maxReauthMs = this.listener.sasl?.connectionsMaxReauthMs.get(this.mechanismValue ?? "PLAIN") ?? 0;
    const expires =
      credentialExpiresAtMs === undefined || !Number.isFinite(credentialExpiresAtMs)
        ? undefined
        : credentialExpiresAtMs;
    if (expires === undefined && maxReauthMs <= 0) return undefined;
    const remainingMs = expires === undefined ? Number.MAX_SAFE_INTEGER : Math.floor(expires - nowMs);
    const lifetimeMs = maxReauthMs > 0 ? Math.min(remainingMs, maxReauthMs) : remainingMs;
    return Math.min(Math.max(0, lifetimeMs), Number.MAX_SAFE_INTEGER);
  }

  private fail(what: { mechanism: string; user: string | undefined; reason: string }): void {
    this.saslState = "failed";
    this.closeAfterResponse =
      this.reauthentication === undefined ? "failed authentication" : "failed re-authentication";
    this.logger.log("warn", "failed authentication", {
      principal: what.user === undefined ? undefined : `User:${what.user}`,
      mechanism: what.mechanism,
      client: this.peer,
      listener: this.listener.name,
      reauthentication: this.reauthentication === undefined ? undefined : true,
      reason: what.reason,
    });
  }
}

/** The user name of a PLAIN token for the log (never the password), when it can be read. */
function plainUser(token: Uint8Array): string | undefined {
  const parts = Buffer.from(token).toString("utf8").split("\u0000");
  return parts.length === 3 && parts[1] !== "" ? parts[1] : undefined;
}
