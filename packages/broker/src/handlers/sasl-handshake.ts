// SaslHandshake: the client names a SASL mechanism; the answer lists the enabled ones. Only part
// of a login on a SASL listener (security/session.ts), or of a re-authentication when the session
// expires (KIP-368); anywhere else it is ILLEGAL_SASL_STATE. After version 0 the SASL tokens come as bare frames (the session handles them), after
// version 1 in SaslAuthenticate requests.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

export const saslHandshakeHandler = defineHandler({
  apiKey: ApiKey.SaslHandshake,
  versions: { min: 0, max: 1 },
  async handle(context, request) {
    const session = context.security;
    if (session === undefined || !session.expectsHandshake) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    }
    const result = session.handshake(request.mechanism, context.apiVersion);
    if (result.errorCode === "none") return { errorCode: 0, mechanisms: result.mechanisms };
    await session.failureDelay(context.broker.closing);
    return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: result.mechanisms };
  },
});
