// IP addresses as the broker's per-address limits and quotas name them (max.connections.per.ip
// overrides, connection_creation_rate ip entities), so that a peer's socket address and the
// address an operator wrote compare equal.
import { isIP } from "node:net";

/**
 * An IP address as limits and quotas name it: IPv4-mapped IPv6 addresses (a dual-stack listener's view of an
 * IPv4 peer) as IPv4, IPv6 in its compressed lower-case form.
 */
export function canonicalIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIP(address) !== 6) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}
