import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SignatureCode, SignatureVerifier } from '@aviary/policies/signature';
import { EXIT } from '../io.js';
import { readBounded } from '../source/safe-path.js';
import { PinError } from './errors.js';

export interface Bundle {
  /** Absolute path as given. */
  file: string;
  text: string;
  json: unknown;
  /** A DSSE statement (model_signing, attestations) or a message signature (cosign sign-blob). */
  kind: 'dsse' | 'message';
}

export async function readSignature(file: string, display: string): Promise<Bundle> {
  let text: string;
  try {
    text = await readBounded(file, display);
  } catch (err) {
    throw new PinError('PIN_SIGNATURE_UNREADABLE', (err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PinError('PIN_SIGNATURE_UNREADABLE', `${display} is not a JSON Sigstore bundle`);
  }
  const o = (json ?? {}) as Record<string, unknown>;
  return { file, text, json, kind: o['messageSignature'] !== undefined ? 'message' : 'dsse' };
}

/**
 * Verifies the bundle for `digest` under the policies' authorities, as admission will: it must
 * verify under at least one policy that configures authorities. A refusal carries the verifier's
 * own code (SIG_DIGEST_MISMATCH for a signature of another model…) and exit 1.
 */
export function verifySignature(
  bundle: Bundle,
  digest: string,
  verifiers: ReadonlyMap<string, SignatureVerifier>,
): { policy: string; authority: string; signer: string } {
  if (verifiers.size === 0)
    throw new PinError(
      'PIN_NO_AUTHORITIES',
      'no policy configures signature authorities, so the signature cannot be checked',
    );
  const failures: string[] = [];
  let first: { code: SignatureCode; message: string } | undefined;
  for (const [policy, verifier] of [...verifiers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const r = verifier.verify(bundle.json, digest);
    if (r.ok) return { policy, authority: r.authority, signer: r.signer };
    first ??= r;
    failures.push(`policy ${policy}: ${r.code} ${r.message}`);
  }
  throw new PinError(
    first!.code,
    `the signature does not verify for ${digest}: ${failures.join('; ')}`,
    {
      exit: EXIT.DENIED,
    },
  );
}

/**
 * Where the release will name the bundle. A bundle inside the repository stays where it is; one
 * from elsewhere (a CI workspace) is copied next to the release's other bundles, else into
 * `<root>/signatures/`. Returns the path to write in `signature:` (relative to the release file)
 * and the copy to make, if any; a different file already at the destination is refused.
 */
export async function placeSignature(
  bundle: Bundle,
  root: string,
  releaseFile: string,
  existing: readonly string[],
): Promise<{ relative: string; copyTo?: string }> {
  const realRoot = await realpath(root);
  const real = await realpath(bundle.file);
  const fromDir = path.dirname(releaseFile);
  if (isInside(realRoot, real)) return { relative: posix(path.relative(fromDir, real)) };
  const folder =
    existing.map((s) => path.dirname(path.resolve(fromDir, s))).find((d) => isInside(root, d)) ??
    path.join(root, 'signatures');
  const target = path.join(folder, path.basename(bundle.file));
  let present: string | undefined;
  try {
    present = await readFile(target, 'utf8');
  } catch {
    present = undefined;
  }
  if (present !== undefined && present !== bundle.text)
    throw new PinError(
      'PIN_SIGNATURE_EXISTS',
      `${posix(path.relative(root, target))} already exists with other content; rename the bundle`,
    );
  return {
    relative: posix(path.relative(fromDir, target)),
    ...(present === undefined ? { copyTo: target } : {}),
  };
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

function posix(p: string): string {
  return p.split(path.sep).join('/');
}
