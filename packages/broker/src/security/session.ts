// One connection's security state: the listener it came in on, its principal, and on SASL
// listeners the authentication state machine. Before a login completes only ApiVersions (once,
// first), SaslHandshake and then SaslAuthenticate are admitted; anything else closes the
// connection, as Kafka does. A failed login is logged (principal, mechanism, peer — never a
// secret) and answered after connection.failed.authentication.delay.ms, then the connection closes.
import { setTimeout as sleep } from "node:timers/promises";
import { ApiKey } from "@samsa/protocol";
import type { Logger } from "../logger.ts";
import type { ScramCredentialStore } from "./credential-store.ts";
import type { ListenerConfig, SaslMechanismName } from "./listeners.ts";
import { PlainError, verifyPlain } from "./plain.ts";
import { anonymousPrincipal, formatPrincipal, userPrincipal } from "./principal.ts";
import type { KafkaPrincipal } from "./principal.ts";
import { ScramError, ScramServer, scramMechanismByName } from "./scram.ts";

export type SaslState = "handshakeOrVersions" | "handshake" | "authenticate" | "complete" | "failed";

export type Admission = { readonly admit: true } | { readonly admit: false; readonly reason: string };

export type AuthenticateOutcome =
  { readonly ok: true; readonly token: Uint8Array } | { readonly ok: false; readonly errorMessage: string };

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
  /** SaslHandshake v0: the tokens that follow are bare size-prefixed frames, not SaslAuthenticate. */
  private rawTokens = false;
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
  }) {
    this.listener = options.listener;
    this.logger = options.logger;
    this.credentials = options.credentials;
    this.peer = options.peer;
    this.failedDelayMs = options.failedAuthenticationDelayMs;
    this.principalValue = options.certificatePrincipal ?? anonymousPrincipal;
    this.saslState = options.listener.sasl === undefined ? "complete" : "handshakeOrVersions";
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

  /** The largest request accepted now: sasl.server.max.receive.size until a SASL login completes. */
  requestBytesMax(saslReceiveBytesMax: number): number | undefined {
    return this.authenticated ? undefined : saslReceiveBytesMax;
  }

  /** Whether a request may run now; called in arrival order, before the request is decoded. */
  admit(apiKey: number): Admission {
    const name = apiName(apiKey);
    switch (this.saslState) {
      case "complete":
        return { admit: true };
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
    const outcome = this.authenticate(frame);
    if (!outcome.ok) {
      await this.failureDelay(signal);
      return undefined;
    }
    const size = new Uint8Array(4);
    new DataView(size.buffer).setInt32(0, outcome.token.length);
    return [size, outcome.token];
  }

  /** SaslHandshake: picks the mechanism; an unknown one fails the login. */
  handshake(mechanism: string, version: number): { errorCode: "none" | "unsupported"; mechanisms: string[] } {
    const enabled = [...(this.listener.sasl?.mechanisms ?? [])];
    const chosen = enabled.find((m) => m === mechanism);
    if (chosen === undefined) {
      this.fail({ mechanism, user: undefined, reason: "unsupported SASL mechanism" });
      return { errorCode: "unsupported", mechanisms: enabled };
    }
    this.mechanismValue = chosen;
    const scramMechanism = scramMechanismByName(chosen);
    if (scramMechanism !== undefined) {
      this.scram = new ScramServer({
        mechanism: scramMechanism,
        lookup: (user) => this.credentials.get(user, scramMechanism.name),
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

  /** SaslAuthenticate: evaluates one token of the chosen mechanism. */
  authenticate(token: Uint8Array): AuthenticateOutcome {
    const mechanism = this.mechanismValue ?? "";
    try {
      if (mechanism === "PLAIN") {
        const user = verifyPlain(token, this.listener.sasl?.plainUsers ?? new Map<string, string>());
        return this.succeed(user, new Uint8Array(0));
      }
      const scram = this.scram;
      if (scram === undefined) throw new ScramError("no SASL mechanism chosen");
      const answer = scram.evaluate(token);
      if (scram.complete) return this.succeed(scram.user, answer);
      return { ok: true, token: answer };
    } catch (error) {
      if (!(error instanceof PlainError) && !(error instanceof ScramError)) throw error;
      const user = mechanism === "PLAIN" ? plainUser(token) : this.scram?.user || undefined;
      this.fail({ mechanism, user, reason: error.message });
      return {
        ok: false,
        errorMessage:
          (error instanceof PlainError ? error.clientMessage : undefined) ??
          `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
      };
    }
  }

  private succeed(user: string, token: Uint8Array): AuthenticateOutcome {
    this.principalValue = userPrincipal(user);
    this.saslState = "complete";
    this.logger.log("info", "authenticated", {
      principal: formatPrincipal(this.principalValue),
      mechanism: this.mechanismValue,
      client: this.peer,
      listener: this.listener.name,
    });
    return { ok: true, token };
  }

  private fail(what: { mechanism: string; user: string | undefined; reason: string }): void {
    this.saslState = "failed";
    this.closeAfterResponse = "failed authentication";
    this.logger.log("warn", "failed authentication", {
      principal: what.user === undefined ? undefined : `User:${what.user}`,
      mechanism: what.mechanism,
      client: this.peer,
      listener: this.listener.name,
      reason: what.reason,
    });
  }
}

/** The user name of a PLAIN token for the log (never the password), when it can be read. */
function plainUser(token: Uint8Array): string | undefined {
  const parts = Buffer.from(token).toString("utf8").split("\u0000");
  return parts.length === 3 && parts[1] !== "" ? parts[1] : undefined;
}
