// Who a connection is: Kafka's principal (`User:<name>`), ANONYMOUS until a SASL login or a client
// certificate says otherwise. The authorizer reads it from the request context.

export interface KafkaPrincipal {
  readonly type: "User";
  readonly name: string;
}

export const anonymousPrincipal: KafkaPrincipal = { type: "User", name: "ANONYMOUS" };

export function userPrincipal(name: string): KafkaPrincipal {
  return { type: "User", name };
}

export function formatPrincipal(principal: KafkaPrincipal): string {
  return `${principal.type}:${principal.name}`;
}

/**
 * A certificate subject as Kafka's default principal builder names it: the RFC 2253 form of the
 * distinguished name, most specific attribute first (`CN=alice,OU=eng,O=Example,C=US`). Node prints
 * the subject one attribute per line in certificate order, so the lines are reversed; characters
 * RFC 2253 reserves are escaped. An approximation (multi-valued RDNs, attributes without an RFC
 * 2253 keyword): the server reads the DER instead (distinguished-name.ts) and uses this only if
 * that fails.
 */
export function subjectToDistinguishedName(subject: string): string {
  return subject
    .split("\n")
    .filter((line) => line !== "")
    .reverse()
    .map((line) => {
      const at = line.indexOf("=");
      if (at < 0) return line;
      const value = line
        .slice(at + 1)
        .replace(/\\(.)/g, "$1")
        .replace(/([,+"\\<>;])/g, "\\$1")
        .replace(/^([ #])/, "\\$1")
        .replace(/ $/, "\\ ");
      return `${line.slice(0, at)}=${value}`;
    })
    .join(",");
}
