import { createHash } from 'node:crypto';
import { formatArtifacts, type ArtifactEvidence } from '@aviary/policies';

/** The artifact side of the properties: a small URI pool, evidence of chosen quality, and what bound means. */

const hex = (label: string) => createHash('sha256').update(label).digest('hex');
export const sha = (label: string) => `sha256:${hex(label)}`;

/** Locations a strict policy can admit, given signed evidence (s3/gs directories end with `/`). */
export const GOOD_URIS = [
  's3://ok/m/1/',
  's3://ok/m/2/',
  'gs://ok/m/1/',
  'https://ok/m/1/model.tgz',
  'pvc://ok/m/1',
  `oci://reg/m@${sha('o1')}`,
  `oci://reg/m@${sha('o2')}`,
  `hf://acme/m:${hex('h1').slice(0, 40)}`,
] as const;

/** Locations no strict policy may admit: moving references, or outside the allowed prefixes. */
export const BAD_URIS = [
  'oci://reg/m:latest',
  'hf://acme/m:main',
  'hf://acme/m',
  's3://evil/m/1/',
  `oci://evil/m@${sha('e1')}`,
] as const;

/** What decoys point at: unpinned and outside every prefix, so reading one would deny. */
export const DECOY_URIS = ['s3://evil/decoy/', 'oci://evil/decoy:latest'] as const;

/** Prefixes and schemes of the prefixed strict policy. */
export const ALLOWED_SCHEMES = ['oci', 'hf', 's3', 'gs', 'https', 'pvc'] as const;
export const ALLOWED_PREFIXES = [
  's3://ok/',
  'gs://ok/',
  'oci://reg/',
  'hf://acme/',
  'https://ok/',
  'pvc://ok/',
] as const;

export type Quality = 'signed' | 'unsigned' | 'absent' | 'foreignSignature' | 'otherDigest';
export const QUALITIES: readonly Quality[] = [
  'signed',
  'signed',
  'signed',
  'signed',
  'unsigned',
  'absent',
  'foreignSignature',
  'otherDigest',
];

const OCI_DIGEST = /^oci:\/\/[^@]+@(sha256:[0-9a-f]{64})$/;
const HF_COMMIT = /^hf:\/\/[^/]+\/[^/:]+:[0-9a-f]{40}$/;

/** The digest an OCI URI pins, if any. */
export const ociDigest = (uri: string) => OCI_DIGEST.exec(uri)?.[1];

/** The digest of version `version` of a non-OCI location (its bytes change, its URI does not). */
export const versionDigest = (uri: string, version: number) => sha(`${uri}#${version}`);

/** A bundle the stub verifier accepts for exactly one digest (see harness.ts). */
export const bundleFor = (digest: string) => ({ good: digest });

/** One evidence entry of the given quality, or none. */
export function evidence(uri: string, quality: Quality, version = 1): ArtifactEvidence | undefined {
  const digest = ociDigest(uri) ?? versionDigest(uri, version);
  switch (quality) {
    case 'signed':
      return { uri, digest, bundle: bundleFor(digest) };
    case 'unsigned':
      return { uri, digest };
    case 'absent':
      return undefined;
    case 'foreignSignature':
      return { uri, digest, bundle: bundleFor(sha('another model')) };
    case 'otherDigest': {
      // Signed, but for bytes other than what an OCI URI pins (for other schemes: another version).
      const other = sha(`${uri}#other`);
      return { uri, digest: other, bundle: bundleFor(other) };
    }
  }
}

export function artifactsAnnotation(entries: (ArtifactEvidence | undefined)[]): string {
  return formatArtifacts(entries.filter((e): e is ArtifactEvidence => e !== undefined));
}

type Evidence = Map<string, { digest?: unknown; bundle?: unknown }>;

/** Reads `aviary.dev/artifacts` by the contract in the README (JSON array of {uri, digest, bundle}). */
export function readEvidence(object: unknown): Evidence {
  const raw = (object as any)?.metadata?.annotations?.['aviary.dev/artifacts'];
  const map: Evidence = new Map();
  if (typeof raw !== 'string') return map;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed))
      for (const e of parsed) if (typeof e?.uri === 'string') map.set(e.uri, e);
  } catch {
    // Malformed evidence binds nothing.
  }
  return map;
}

/**
 * Whether a downloaded location is bound to signed bytes: a moving reference (an OCI tag, an HF
 * branch or no revision) never is; an OCI digest is bound by the URI itself, any other location by
 * its evidence digest; and a bundle must sign exactly that digest.
 */
export function boundAndSigned(uri: string, ev: Evidence): boolean {
  const entry = ev.get(uri);
  if (uri.startsWith('oci://') || uri.startsWith('oci+')) {
    const pinned = ociDigest(uri);
    if (pinned === undefined) return false;
    if (entry?.digest !== undefined && entry.digest !== pinned) return false;
    return signs(entry?.bundle, pinned);
  }
  if (uri.startsWith('hf://') && !HF_COMMIT.test(uri)) return false;
  return typeof entry?.digest === 'string' && signs(entry.bundle, entry.digest);
}

const signs = (bundle: unknown, digest: string) => (bundle as any)?.good === digest;

export function withinPrefixes(uri: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(uri)?.[1];
  return (
    scheme !== undefined &&
    (ALLOWED_SCHEMES as readonly string[]).includes(scheme) &&
    ALLOWED_PREFIXES.some((p) => uri.startsWith(p))
  );
}
