// SaslAuthenticate: one SASL token of the mechanism SaslHandshake chose, evaluated by the
// connection's session (security/session.ts). A completed login answers its session lifetime
// (KIP-368: connections.max.reauth.ms, or the OAUTHBEARER token's expiry; 0 when the session does
// not end). A failed login is answered with SASL_AUTHENTICATION_FAILED after
// connection.failed.authentication.delay.ms (or, like Kafka, not at all when a re-authentication
// switched mechanisms), then the connection closes.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler, noResponse } from "../context.ts";

export const saslAuthenticateHandler = defineHandler({
  apiKey: ApiKey.SaslAuthenticate,
  versions: { min: 0, max: 2 },
  async handle(context, request) {
    const session = context.security;
    if (session === undefined || !session.expectsAuthenticate) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: "SaslAuthenticate request received after successful authentication",
        authBytes: new Uint8Array(0),
        sessionLifetimeMs: 0n,
      };
    }
    const outcome = await session.authenticate(request.authBytes, context.broker.closing);
    if (outcome.ok) {
      return {
        errorCode: 0,
        errorMessage: "", // as Kafka answers
        authBytes: outcome.token,
        sessionLifetimeMs: BigInt(outcome.sessionLifetimeMs),
      };
    }
    await session.failureDelay(context.broker.closing);
    if (outcome.errorMessage === undefined) return noResponse;
    return {
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: outcome.errorMessage,
      authBytes: new Uint8Array(0),
      sessionLifetimeMs: 0n,
    };
  },
});
