import type { PathCert } from './cert-path.js';
import type { IdentityPattern } from './identity.js';

// GeneralName tags (RFC 5280 §4.2.1.6) that name a signer: rfc822Name, dNSName, URI. All three
// are IA5String, so anything outside printable ASCII is no name Aviary will compare.
const SAN_TAGS = [1, 2, 6];
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * The identities a certificate-mode leaf names: its email, DNS and URI subject alternative names;
 * only when it has none, its subject common names (as RFC 6125 §6.4.4 falls back to the CN). The
 * SAN's DER is read by @sigstore/core's ASN.1 parser (node:crypto gives it only as display
 * text); this only picks nodes by tag.
 */
export function certificateIdentities(c: PathCert): string[] {
  const san = c.info.extSubjectAltName?.valueObj.subs[0]?.subs ?? [];
  const names = san
    .filter((gn) => !gn.tag.constructed && SAN_TAGS.some((n) => gn.tag.isContextSpecific(n)))
    .map((gn) => gn.value.toString('latin1'));
  if (names.length > 0) return names.filter((n) => PRINTABLE_ASCII.test(n));
  return commonNames(c);
}

// OpenSSL decodes the names (any DirectoryString encoding, to UTF-8); several CNs come as a list.
function commonNames(c: PathCert): string[] {
  const cn: unknown = (c.node.toLegacyObject().subject as Record<string, unknown> | undefined)?.[
    'CN'
  ];
  const all = Array.isArray(cn) ? (cn as unknown[]) : [cn];
  return all.filter((v): v is string => typeof v === 'string' && v !== '');
}

/** Whether one of the leaf's identities is the exact subject, or fully matches the pattern. */
export function identityMatches(
  identities: readonly string[],
  want: string | IdentityPattern,
): boolean {
  return identities.some((id) => (typeof want === 'string' ? id === want : want.test(id)));
}
