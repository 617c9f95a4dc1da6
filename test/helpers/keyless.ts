import { readFileSync } from 'node:fs';
import path from 'node:path';
import { folderRootDigest, VECTORS } from '../policies/signature/support.js';
import { isvc } from './isvc.js';
import { REPO } from './paths.js';

/**
 * A genuine public-good keyless signature (model_signing 1.1.0, Fulcio certificate, Rekor entry,
 * RFC 3161 timestamp) from the shared vectors, and trusted roots to verify it with: the shipped
 * public-good root, and the same root with Fulcio's certificate authorities removed, as a
 * revocation would ship.
 */
const CASE = path.join(VECTORS, 'model-transparency/v1.1.0-sigstore');
export const KEYLESS = {
  bundle: JSON.parse(readFileSync(path.join(CASE, 'model.sig'), 'utf8')) as unknown,
  bundleFile: path.join(CASE, 'model.sig'),
  digest: folderRootDigest(CASE, ['model.sig', 'ignore-me']),
  identity: 'stefanb@us.ibm.com',
  issuer: 'https://sigstore.verify.ibm.com/oauth2',
};

export const PUBLIC_GOOD = readFileSync(path.join(REPO, 'policies/trust/public-good.json'), 'utf8');

/** The shipped root with every Fulcio CA removed: keyless signatures can no longer verify. */
export function withoutFulcio(): string {
  const root = JSON.parse(PUBLIC_GOOD) as { certificateAuthorities: unknown[] };
  root.certificateAuthorities = [];
  return JSON.stringify(root);
}

/** A file that parses as JSON but is no Sigstore trusted root. */
export const NOT_A_ROOT = JSON.stringify({ hello: 'world' });

/** A policy requiring the vector's signer on the public-good root. */
export const KEYLESS_POLICY_SPEC = {
  signatures: {
    required: true,
    authorities: [{ name: 'ibm', keyless: { issuer: KEYLESS.issuer, subject: KEYLESS.identity } }],
  },
};
export const KEYLESS_POLICY = `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: keyless}
spec: ${JSON.stringify(KEYLESS_POLICY_SPEC)}
`;

/** An InferenceService whose model carries the vector's bundle for its digest. */
export function signedIsvc(): Record<string, unknown> {
  const uri = 's3://models/ibm/';
  return isvc({ uri, evidence: [{ uri, digest: KEYLESS.digest, bundle: KEYLESS.bundle }] });
}
