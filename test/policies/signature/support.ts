import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, SHARED } from '../../helpers/paths.js';

/** Aviary's own signing fixtures (real tool output, test-only keys). */
export const SIGNING = path.join(FIXTURES, 'signing');
/** The public vectors beside the project; referenced in place, never copied. */
export const VECTORS = path.join(SHARED, 'vectors');

/** The CN of the fixtures' certificate-mode signer (its leaf has no SAN). */
export const FIXTURE_SIGNER = 'Aviary Test Model Signer';

export const text = (p: string) => readFileSync(p, 'utf8');
export const json = <T = any>(p: string): T => JSON.parse(text(p)) as T;
export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface FixtureSignature {
  file: string;
  tool: string;
  command: string;
  key: string;
  digest: string;
  format: 'model-signing' | 'dsse' | 'message-signature';
}
export interface Expected {
  models: Record<string, string>;
  signatures: FixtureSignature[];
  examples: { key: string; releases: Record<string, string>; tampered: { digest: string } };
}
export const expected = (): Expected => json<Expected>(path.join(SIGNING, 'expected.json'));
export const fixtureBundle = (name: string) => json(path.join(SIGNING, 'signatures', name));
export const fixtureKey = (name: string) => text(path.join(SIGNING, 'keys', name));

/**
 * The model-signing root digest of a folder computed from its files (sha256 per file, files in
 * model_signing's path order, sha256 over the concatenation), written independently of the
 * verifier so the vectors check its reading of the format.
 */
export function folderRootDigest(dir: string, ignore: readonly string[] = []): string {
  const files: string[][] = [];
  const walk = (rel: string[]) => {
    for (const name of readdirSync(path.join(dir, ...rel))) {
      const parts = [...rel, name];
      if (ignore.includes(parts.join('/'))) continue;
      if (statSync(path.join(dir, ...parts)).isDirectory()) walk(parts);
      else files.push(parts);
    }
  };
  walk([]);
  files.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    }
    return a.length - b.length;
  });
  const h = createHash('sha256');
  for (const f of files)
    h.update(
      createHash('sha256')
        .update(readFileSync(path.join(dir, ...f)))
        .digest(),
    );
  return `sha256:${h.digest('hex')}`;
}

/** The DSSE payload of a bundle, decoded. */
export function payloadOf(bundle: any): any {
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
}

/**
 * A copy of a model-signing bundle whose statement was changed and then honestly re-signed with
 * a test key, to reach the checks that run after the signature (statement rules, binding).
 */
export function resigned(
  bundle: any,
  statement: unknown,
  keyPem: string,
  payloadType?: string,
): any {
  const copy = structuredClone(bundle);
  const payload = Buffer.from(JSON.stringify(statement));
  const type = payloadType ?? copy.dsseEnvelope.payloadType;
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `),
    payload,
  ]);
  const key = createPrivateKey(keyPem);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
  copy.dsseEnvelope.payload = payload.toString('base64');
  copy.dsseEnvelope.payloadType = type;
  copy.dsseEnvelope.signatures = [{ sig: sign(hash, pae, key).toString('base64'), keyid: '' }];
  return copy;
}

/** A copy with the statement changed but the old signature kept: what an attacker can do. */
export function tamperedStatement(bundle: any, edit: (statement: any) => void): any {
  const copy = structuredClone(bundle);
  const statement = payloadOf(copy);
  edit(statement);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return copy;
}
