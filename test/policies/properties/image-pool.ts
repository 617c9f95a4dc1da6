import { createHash } from 'node:crypto';
import type { Draft } from './draft.js';
import { parseImage, pinned, withinImagePrefixes } from './image-oracle.js';

/**
 * Image references from parts (registry with and without port, localhost, Docker Hub's implicit
 * `library/`, tags and digests) and strings no runtime accepts; the prefixes a policy allows, with
 * near misses around every one of them.
 */

const hex = (label: string) => createHash('sha256').update(label).digest('hex');

export const IMAGE_PREFIXES = [
  'registry.example.com/ml',
  'registry.example.com:5000/serving',
  'python',
  'localhost/models',
  'ghcr.io/acme',
] as const;

const REGISTRIES = [
  '',
  'docker.io/',
  'index.docker.io/',
  'registry.example.com/',
  'registry.example.com:5000/',
  'registry.example.com:5001/',
  'localhost/',
  'localhost:5000/',
  '10.0.0.7:5000/',
  'ghcr.io/',
  'ghcr.io.evil.example/',
];
const REPOSITORIES = [
  'python',
  'python-evil',
  'library/python',
  'library/pythonx',
  'ml/server',
  'ml-evil/server',
  'mlx',
  'ml',
  'serving/runtime',
  'serving',
  'models/sklearn',
  'models-evil/sklearn',
  'acme/server/v2',
  'acme-evil/server',
];
const TAGS = ['', ':1.0', ':latest', ':v2-rc.1'];
const DIGESTS = [
  '',
  `@sha256:${hex('a')}`,
  `@sha256:${hex('b')}`,
  `@sha256:${hex('a').slice(1)}`,
  `@sha256:${hex('a').toUpperCase()}`,
  `@sha512:${hex('a')}${hex('b')}`,
  `@md5:${hex('a').slice(0, 32)}`,
];

const ALL = REGISTRIES.flatMap((r) =>
  REPOSITORIES.flatMap((p) => TAGS.flatMap((t) => DIGESTS.map((d) => `${r}${p}${t}${d}`))),
);

/** Strings that are not references at all (and one that is not a string). */
const MALFORMED: unknown[] = [
  'Registry.Example.com/ML/Server:1',
  `ml//server@sha256:${hex('a')}`,
  'python:',
  ` python@sha256:${hex('a')}`,
  `https://registry.example.com/ml/server@sha256:${hex('a')}`,
  `python@sha256:${hex('a')}@sha256:${hex('b')}`,
  hex('c'),
  'python:3 ',
  123,
];

export const PINNED = ALL.filter(pinned);
export const UNPINNED = [...ALL.filter((s) => parseImage(s) && !pinned(s)), ...MALFORMED];
const INVALID = [...ALL.filter((s) => !parseImage(s)), ...MALFORMED];
/** Pinned and inside the policy's prefixes: what a strict image policy must admit. */
export const CLEAN = PINNED.filter((s) => withinImagePrefixes(s, IMAGE_PREFIXES));
const PINNED_OUTSIDE = PINNED.filter((s) => !withinImagePrefixes(s, IMAGE_PREFIXES));

export type ImageMix = 'clean' | 'pinned' | 'any';

/** One image: clean only, pinned (in or out of the prefixes), or anything. */
export function image(d: Draft, mix: ImageMix): unknown {
  if (mix === 'clean') return d.pick(CLEAN);
  if (mix === 'pinned') return d.pick(d.chance(50) ? CLEAN : PINNED_OUTSIDE);
  const pool = d.pick([CLEAN, CLEAN, PINNED_OUTSIDE, UNPINNED, UNPINNED, INVALID]);
  return d.pick(pool);
}
