// A certificate subject as the string Kafka's principal builder starts from: Java's
// X500Principal.getName() (RFC 2253), read from the certificate's DER rather than from Node's
// printed subject, which differs for multi-valued RDNs and attributes RFC 2253 has no keyword for.
// RDNs last first, joined by `,`; AVAs of one RDN in certificate order, joined by `+`; keywords
// only for CN, C, L, ST, O, OU, STREET, DC and UID, other types as dotted OIDs with `#` and the
// value's DER in hex (as for values that are not strings); string values escaped as Java does.
// The input comes from a peer (after its chain verified): lengths and nesting are checked.

/** A certificate or name that is not the DER this reads. */
export class DistinguishedNameError extends Error {
  override readonly name = "DistinguishedNameError";
}

interface Tlv {
  readonly tag: number;
  /** Where the whole element starts and ends, and where its contents start. */
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DistinguishedNameError("truncated DER");
  const tag = der[at] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DistinguishedNameError("high tag numbers are not expected here");
  let length = der[at + 1] ?? 0;
  let contentStart = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new DistinguishedNameError("unsupported DER length");
    if (contentStart + bytes > limit) throw new DistinguishedNameError("truncated DER");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[contentStart + i] ?? 0);
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > limit) throw new DistinguishedNameError("truncated DER");
  return { tag, start: at, contentStart, end };
}

/** The elements inside a constructed element. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = readTlv(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function objectIdentifier(der: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== 0x06 || tlv.end === tlv.contentStart) throw new DistinguishedNameError("expected an OID");
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const byte = der[i] ?? 0;
    // DER: no leading 0x80 in an arc (Java refuses such an OID too).
    if (byte === 0x80 && (i === tlv.contentStart || !((der[i - 1] ?? 0) & 0x80))) {
      throw new DistinguishedNameError("an OID arc with a redundant leading byte");
    }
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    } else if (i === tlv.end - 1) throw new DistinguishedNameError("truncated OID");
  }
  const first = arcs[0] ?? 0n;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

/** The attribute types Java's RFC 2253 output names with a keyword. */
const keywords: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
};

const utf8 = new TextDecoder("utf-8");
const utf16be = new TextDecoder("utf-16be");

/** A string value as Java decodes it, or undefined for types Java prints in hex. */
function stringValue(der: Uint8Array, tlv: Tlv): string | undefined {
  const bytes = der.subarray(tlv.contentStart, tlv.end);
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return utf8.decode(bytes);
    case 0x1e: // BMPString
      return utf16be.decode(bytes);
    case 0x13: // PrintableString
    case 0x14: // T61String
    case 0x16: // IA5String
    case 0x1b: // GeneralString
      // Java reads these as ISO-8859-1 (one byte, one character).
      return Buffer.from(bytes).toString("latin1");
    default:
      return undefined;
  }
}

const escapees = new Set([",", "=", "+", "<", ">", "#", ";", '"', "\\"]);

function escapeValue(value: string): string {
  const chars: string[] = [];
  for (const c of value.split("")) {
    if (escapees.has(c)) chars.push("\\", c);
    else if (c === "\0") chars.push("\\", "0", "0");
    else chars.push(c);
  }
  // Leading and trailing spaces (and carriage returns) are escaped too, counted after the above.
  let lead = 0;
  while (lead < chars.length && (chars[lead] === " " || chars[lead] === "\r")) lead++;
  let trail = chars.length - 1;
  while (trail >= 0 && (chars[trail] === " " || chars[trail] === "\r")) trail--;
  return chars.map((c, i) => (i < lead || i > trail ? `\\${c}` : c)).join("");
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** An X.500 Name (its DER: a SEQUENCE of RDN SETs) in Java's RFC 2253 form. */
export function nameToDistinguishedName(der: Uint8Array, name: Tlv = readTlv(der, 0, der.length)): string {
  if (name.tag !== 0x30) throw new DistinguishedNameError("a Name is a SEQUENCE");
  const rdns = children(der, name).map((rdn) => {
    if (rdn.tag !== 0x31) throw new DistinguishedNameError("an RDN is a SET");
    const avas = children(der, rdn);
    if (avas.length === 0) throw new DistinguishedNameError("an empty RDN");
    return avas
      .map((ava) => {
        if (ava.tag !== 0x30) throw new DistinguishedNameError("an AVA is a SEQUENCE");
        const [type, value, ...rest] = children(der, ava);
        if (type === undefined || value === undefined || rest.length > 0) {
          throw new DistinguishedNameError("an AVA is a type and a value");
        }
        const oid = objectIdentifier(der, type);
        const keyword = keywords[oid];
        const text = keyword === undefined ? undefined : stringValue(der, value);
        if (keyword === undefined || text === undefined) {
          return `${keyword ?? oid}=#${hex(der.subarray(value.start, value.end))}`;
        }
        return `${keyword}=${escapeValue(text)}`;
      })
      .join("+");
  });
  return rdns.reverse().join(",");
}

/** The subject DN of a DER certificate (X509Certificate.raw), as Kafka's principal builder sees it. */
export function certificateDistinguishedName(certificate: Uint8Array): string {
  const outer = readTlv(certificate, 0, certificate.length);
  if (outer.tag !== 0x30) throw new DistinguishedNameError("a certificate is a SEQUENCE");
  const [tbs] = children(certificate, outer);
  if (tbs === undefined || tbs.tag !== 0x30) throw new DistinguishedNameError("no TBSCertificate");
  const fields = children(certificate, tbs);
  // [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject === undefined) throw new DistinguishedNameError("no subject");
  return nameToDistinguishedName(certificate, subject);
}
