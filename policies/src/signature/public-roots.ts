import { createHash, X509Certificate } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import type { PathCert } from './cert-path.js';
import { SignatureConfigError } from './errors.js';
import { loadPublicGoodTrustedRoot } from './trusted-root.js';

// Per trusted-root object: SPKI digest → which authority of it holds that key.
const keysByRoot = new WeakMap<object, Map<string, string>>();

const spkiDigest = (cert: X509Certificate) =>
  createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

/**
 * Refuses a certificate-mode anchor that is (or shares its key with) a CA of a Sigstore trusted
 * root: the bundled public-good one, whatever replaces it, and every root the caller supplies. Such
 * a CA certifies whoever asks (Fulcio: anyone with an OIDC account), and certificate mode has no
 * transparency log or issuer check, so trusting it there would trust far more than its keyless
 * form does. Compared by SPKI, so a re-issued or cross-signed copy of the same key is refused too.
 */
export function refusePublicRoots(
  authority: string,
  anchors: readonly PathCert[],
  trustedRoots: Readonly<Record<string, unknown>>,
): void {
  const sources: [string, unknown][] = [
    ['bundled public-good', loadPublicGoodTrustedRoot()],
    ...Object.entries(trustedRoots),
  ];
  for (const anchor of anchors) {
    const digest = spkiDigest(anchor.node);
    for (const [rootName, root] of sources) {
      const holder = publicKeys(rootName, root).get(digest);
      if (holder !== undefined) {
        throw new SignatureConfigError(
          'SIG_CERT_ROOT_PUBLIC',
          `authority "${authority}": a certificate root has the key of ${holder} in trusted root "${rootName}"; a public Sigstore CA certifies anyone, use a keyless authority for it`,
        );
      }
    }
  }
}

function publicKeys(rootName: string, root: unknown): Map<string, string> {
  if (typeof root !== 'object' || root === null) return unusable(rootName, 'not a JSON object');
  let keys = keysByRoot.get(root);
  if (keys !== undefined) return keys;
  keys = new Map();
  let parsed: TrustedRoot;
  try {
    parsed = TrustedRoot.fromJSON(root);
  } catch (e) {
    return unusable(rootName, (e as Error).message);
  }
  for (const [field, list] of [
    ['certificate authority', parsed.certificateAuthorities],
    ['timestamp authority', parsed.timestampAuthorities],
  ] as const) {
    for (const ca of list) {
      for (const { rawBytes } of ca.certChain?.certificates ?? []) {
        let cert: X509Certificate;
        try {
          cert = new X509Certificate(rawBytes);
        } catch (e) {
          return unusable(rootName, `a ${field} certificate: ${(e as Error).message}`);
        }
        keys.set(spkiDigest(cert), `the ${field} ${ca.uri || '(no uri)'}`);
      }
    }
  }
  keysByRoot.set(root, keys);
  return keys;
}

function unusable(rootName: string, why: string): never {
  throw new SignatureConfigError(
    'SIG_CONFIG_INVALID',
    `trusted root "${rootName}" is unusable: ${why}`,
  );
}
