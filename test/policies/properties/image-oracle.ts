import { imagePatterns, type ImagePattern, type Kind } from './crd-images.js';
import type { Reading } from './kserve-oracle.js';

/**
 * A reference model of how a container runtime reads an image reference (distribution/reference,
 * `ParseNormalizedNamed`, as containerd and the kubelet use it) and of which images an object
 * makes a pod pull (the CRDs' image fields, see crd-images.ts). Written from the grammar in
 * distribution's reference.go and go-digest, not from Aviary's engine.
 */

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// The grammar: a name is an optional domain then lowercase path components; a tag; a digest.
const ALNUM = '[a-z0-9]+';
const PATH_COMPONENT = `${ALNUM}(?:(?:[._]|__|-+)${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
// go-digest registers these algorithms, each with its exact lowercase hex length.
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageRef {
  /** The normalised repository: `docker.io/library/nginx`, `localhost:5000/m`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Docker's rule for the first path component: a registry only if it looks like a host. */
function splitDomain(s: string): [string, string] {
  const slash = s.indexOf('/');
  const first = slash < 0 ? '' : s.slice(0, slash);
  let [domain, rest] =
    slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)
      ? ['docker.io', s]
      : [first, s.slice(slash + 1)];
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  return [domain, rest];
}

/** The reference as the runtime reads it, or undefined when the runtime refuses it. */
export function parseImage(value: unknown): ImageRef | undefined {
  if (typeof value !== 'string' || /^[a-f0-9]{64}$/.test(value)) return undefined;
  const [domain, rest] = splitDomain(value);
  const colon = rest.indexOf(':');
  const remote = colon < 0 ? rest : rest.slice(0, colon);
  if (remote.toLowerCase() !== remote) return undefined;
  const m = REFERENCE.exec(`${domain}/${rest}`);
  if (!m || m[1]!.length > 255) return undefined;
  const [, repository, tag, digest] = m;
  if (digest !== undefined) {
    const [alg, hex] = digest.split(':') as [string, string];
    if (DIGEST_HEX[alg] === undefined || !new RegExp(`^[a-f0-9]{${DIGEST_HEX[alg]}}$`).test(hex))
      return undefined;
  }
  return {
    repository: repository!,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Pinned as the issue defines it: a valid reference with a sha256 digest. */
export const pinned = (value: unknown) => parseImage(value)?.digest?.startsWith('sha256:') === true;

/** A prefix is a repository name, normalised the same way, matched on `/` boundaries. */
export function withinImagePrefixes(value: unknown, prefixes: readonly string[]): boolean {
  const ref = parseImage(value);
  if (!ref) return false;
  return prefixes.some((p) => {
    const [domain, rest] = splitDomain(p);
    const norm = `${domain}/${rest}`;
    return ref.repository === norm || ref.repository.startsWith(`${norm}/`);
  });
}

export interface ImageField {
  /** As the engine cites paths: `spec.predictor.containers[0].image`. */
  path: string;
  value: unknown;
}

/** Every value at one pattern, with its concrete path. */
export function expand(object: unknown, pattern: ImagePattern): ImageField[] {
  const out: ImageField[] = [];
  const visit = (node: unknown, i: number, at: string) => {
    const seg = pattern.segments[i]!;
    const last = i === pattern.segments.length - 1;
    if (seg === '[]') {
      if (Array.isArray(node)) node.forEach((el, j) => visit(el, i + 1, `${at}[${j}]`));
      return;
    }
    if (!isObj(node)) return;
    const next = node[seg];
    const here = at === '' ? seg : `${at}.${seg}`;
    if (!last) return visit(next, i + 1, here);
    if (!pattern.volume && next !== undefined && next !== null && next !== '')
      out.push({ path: here, value: next });
    if (pattern.volume && isObj(next) && 'reference' in next)
      out.push({ path: `${here}.reference`, value: next['reference'] });
  };
  visit(object, 0, '');
  return out;
}

/**
 * The images a pod would pull for this object in any of the readings: every CRD image field,
 * except that canary entries exist only in Standard mode (the validator refuses them otherwise).
 * An empty or null image is KServe's "none given" (the runtime's image is used).
 */
export function podImages(object: unknown, kind: Kind, readings: readonly Reading[]): ImageField[] {
  return imagePatterns(kind)
    .filter((p) => readings.includes('Standard') || p.segments[1] !== 'canary')
    .flatMap((p) => expand(object, p));
}
