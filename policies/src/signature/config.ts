import { createHash, X509Certificate } from 'node:crypto';
import { parsePathCert, unprocessedCritical, type PathCert } from './cert-path.js';
import type { CertificateAuthority } from './certificate-mode.js';
import { SignatureConfigError } from './errors.js';
import { compileSubjectRegExp, type IdentityPattern } from './identity.js';
import type { KeyAuthority } from './key-mode.js';
import type { KeylessAuthority, KeylessGroup } from './keyless.js';
import { parseTrustedKey } from './keys.js';
import { pemCertificates } from './pem.js';
import { refusePublicRoots } from './public-roots.js';
import { isObject } from '../object.js';
import { keylessVerifier } from './trusted-root.js';
import type { Authority, SignatureVerifierOptions } from './types.js';

export const DEFAULT_TRUSTED_ROOT = 'public-good';
export const DEFAULT_CACHE_SIZE = 1000;

/** Everything `verify` needs, parsed and checked once when the verifier is built. */
export interface CompiledConfig {
  keys: KeyAuthority[];
  keyless: KeylessGroup[];
  certificates: CertificateAuthority[];
  allowCompat: boolean;
  /** Per authority name, the extra in-toto predicate types it vouches for. */
  predicateTypes: ReadonlyMap<string, ReadonlySet<string>>;
  cacheSize: number;
  fingerprint: string;
}

function bad(message: string, cause?: unknown): never {
  throw new SignatureConfigError(
    'SIG_CONFIG_INVALID',
    message,
    cause === undefined ? {} : { cause },
  );
}

// Policies are schema-checked before they get here, but the verifier is a trust boundary of its
// own (the CLI and tests build it directly), so it re-checks every shape it relies on.
export function compileConfig(opts: SignatureVerifierOptions): CompiledConfig {
  if (!isObject(opts) || !Array.isArray(opts.authorities)) bad('authorities must be an array');
  const cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0)
    bad('cacheSize must be a non-negative integer');
  const roots = opts.trustedRoots ?? {};

  const keys: KeyAuthority[] = [];
  const keylessByRoot = new Map<string, KeylessAuthority[]>();
  const certificates: CertificateAuthority[] = [];
  const names = new Set<string>();
  const predicateTypes = new Map<string, ReadonlySet<string>>();
  for (const a of opts.authorities as unknown[]) {
    const name = isObject(a) ? a['name'] : undefined;
    if (typeof name !== 'string' || name === '')
      bad('every authority must be an object with a non-empty name');
    if (names.has(name)) bad(`authority name "${name}" is used twice`);
    names.add(name);
    const fields = a as Record<string, unknown>;
    predicateTypes.set(name, compilePredicateTypes(name, fields['predicateTypes']));
    const kinds = (['key', 'keyless', 'certificate'] as const).filter((k) => isObject(fields[k]));
    if (kinds.length !== 1)
      bad(`authority "${name}" must set exactly one of key, keyless, certificate (an object)`);
    const authority = a as Authority;
    if ('key' in authority) keys.push(compileKey(name, authority.key));
    else if ('certificate' in authority)
      certificates.push(compileCertificate(name, authority.certificate, roots));
    else {
      const { trustedRoot = DEFAULT_TRUSTED_ROOT } = authority.keyless;
      if (typeof trustedRoot !== 'string' || !Object.hasOwn(roots, trustedRoot)) {
        bad(`authority "${name}": trusted root "${String(trustedRoot)}" was not supplied`);
      }
      keylessByRoot.set(trustedRoot, [
        ...(keylessByRoot.get(trustedRoot) ?? []),
        compileKeyless(name, authority.keyless),
      ]);
    }
  }

  const keyless: KeylessGroup[] = [];
  const rootDigests: Record<string, string> = {};
  for (const [rootName, authorities] of keylessByRoot) {
    try {
      keyless.push({ verifier: keylessVerifier(roots[rootName]), authorities });
    } catch (e) {
      bad(`trusted root "${rootName}" is unusable: ${(e as Error).message}`, e);
    }
    rootDigests[rootName] = createHash('sha256')
      .update(JSON.stringify(roots[rootName]))
      .digest('hex');
  }
  const allowCompat = opts.allowCompatPredicate === true;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ authorities: opts.authorities, rootDigests, allowCompat }))
    .digest('hex');
  return { keys, keyless, certificates, allowCompat, predicateTypes, cacheSize, fingerprint };
}

function compilePredicateTypes(name: string, types: unknown): ReadonlySet<string> {
  if (types === undefined) return new Set();
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string' && t !== ''))
    bad(`authority "${name}": predicateTypes must be a list of non-empty strings`);
  return new Set(types as string[]);
}

function compileKey(name: string, key: Extract<Authority, { key: unknown }>['key']): KeyAuthority {
  const { publicKey, hashAlgorithm } = key;
  if (typeof publicKey !== 'string') bad(`authority "${name}": key.publicKey must be a PEM string`);
  if (hashAlgorithm !== undefined && !['sha256', 'sha384', 'sha512'].includes(hashAlgorithm)) {
    bad(`authority "${name}": key.hashAlgorithm must be sha256, sha384 or sha512`);
  }
  try {
    return { name, key: parseTrustedKey(publicKey, hashAlgorithm) };
  } catch (e) {
    return bad(`authority "${name}": unusable public key: ${(e as Error).message}`, e);
  }
}

function compileKeyless(
  name: string,
  keyless: Extract<Authority, { keyless: unknown }>['keyless'],
): KeylessAuthority {
  const { issuer } = keyless;
  if (typeof issuer !== 'string' || issuer === '')
    bad(`authority "${name}": keyless.issuer is required`);
  // Without a subject any identity of the issuer would pass (for GitHub: any repository's workflow).
  return { name, issuer, subject: compileIdentity(name, 'keyless', keyless) };
}

/** Exactly one of `subject`, `subjectRegExp`: the signer an authority names. */
function compileIdentity(
  name: string,
  kind: string,
  { subject, subjectRegExp }: { subject?: unknown; subjectRegExp?: unknown },
): string | IdentityPattern {
  if (typeof subject === 'string' && subject !== '' && subjectRegExp === undefined) return subject;
  if (typeof subjectRegExp === 'string' && subject === undefined)
    return compileSubjectRegExp(subjectRegExp, name);
  return bad(
    `authority "${name}": ${kind} needs exactly one of subject, subjectRegExp (non-empty strings)`,
  );
}

function compileCertificate(
  name: string,
  certificate: Extract<Authority, { certificate: unknown }>['certificate'],
  trustedRoots: Record<string, unknown>,
): CertificateAuthority {
  const pems: unknown = certificate.roots;
  if (!Array.isArray(pems) || pems.length === 0)
    bad(`authority "${name}": certificate.roots must list at least one CA`);
  // A CA issues to many signers (a public one to everyone): the authority must say which.
  const subject = compileIdentity(name, 'certificate', certificate);
  // One entry may hold several certificates (a CA bundle): each is an anchor of its own.
  const roots = pems.flatMap((pem: unknown, i) => {
    let blocks: string[] = [];
    try {
      blocks = typeof pem === 'string' ? pemCertificates(pem) : [];
    } catch (e) {
      bad(`authority "${name}": root ${i}: ${(e as Error).message}`, e);
    }
    if (blocks.length === 0) bad(`authority "${name}": root ${i} is not a PEM certificate`);
    return blocks.map((block, j) =>
      compileRoot(
        `authority "${name}": root ${i}${blocks.length > 1 ? ` certificate ${j}` : ''}`,
        block,
      ),
    );
  });
  refusePublicRoots(name, roots, trustedRoots);
  return { name, roots, subject };
}

function compileRoot(what: string, pem: string): PathCert {
  let cert: PathCert;
  try {
    cert = parsePathCert(new X509Certificate(pem).raw); // OpenSSL decodes the PEM
  } catch (e) {
    return bad(`${what} is not a PEM certificate`, e);
  }
  if (cert.info.extBasicConstraints?.isCA !== true) bad(`${what} is not a CA certificate`);
  // RFC 5280 §4.2: refused now, since every chain to this root would be refused later.
  const oid = unprocessedCritical(cert);
  if (oid !== undefined)
    bad(`${what} has a critical extension ${oid} that Aviary does not process`);
  return cert;
}
