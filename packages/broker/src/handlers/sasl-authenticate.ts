// SaslAuthenticate: one SASL token of the mechanism SaslHandshake chose, evaluated by the
// connection's session (security/session.ts). A failed login is answered with
// SASL_AUTHENTICATION_FAILED after connection.failed.authentication.delay.ms, then the connection closes.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const saslAuthenticateHandler = defineHandler({
  apiKey: ApiKey.SaslAuthenticate,
  versions: { min: 0, max: 2 },
  async handle(context, request) {
    const session = context.security;
    if (session === undefined || !session.expectsAuthenticate) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: "SaslAuthenticate request received outside a SASL authentication",
        authBytes: new Uint8Array(0),
        sessionLifetimeMs: 0n,
      };
    }
    const outcome = session.authenticate(request.authBytes);
    if (outcome.ok) {
      // No re-authentication (connections.max.reauth.ms is 0): sessions do not expire.
      return { errorCode: 0, errorMessage: null, authBytes: outcome.token, sessionLifetimeMs: 0n };
    }
    await session.failureDelay(context.broker.closing);
    return {
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: outcome.errorMessage,
      authBytes: new Uint8Array(0),
      sessionLifetimeMs: 0n,
    };
  },
});
