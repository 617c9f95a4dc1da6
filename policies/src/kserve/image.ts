/**
 * Container image references, read the way the kubelet and container runtimes read them: the
 * grammar and normalisation of github.com/distribution/reference (`reference.go`, `regexp.go`,
 * `normalize.go`), digests as github.com/opencontainers/go-digest validates them. An admission
 * check that read a reference differently from the runtime could judge one image and let another
 * be pulled, so every doubt here makes a reference invalid rather than guessed at. Written here
 * rather than taken from npm: the one JavaScript port of that grammar (`@swimlane/docker-reference`)
 * is a dormant single-purpose package, and these rules are short and pinned by a table of tests.
 */

export interface ImageReference {
  /** `docker.io` when none is written; `index.docker.io` is Docker Hub's legacy name for it. */
  registry: string;
  /** The path, with Docker Hub's implied `library/` for a single component. */
  repository: string;
  /** `registry/repository`: what `allowedImagePrefixes` compares. */
  name: string;
  tag?: string;
  /** `algorithm:hex` */
  digest?: string;
}

// The grammar caps the path at 255 characters, not the whole reference; this bound keeps hostile
// strings away from the backtracking expressions below while fitting any real registry, a
// 255-character path, a 128-character tag and a sha512 digest.
const MAX_REFERENCE = 512;
const MAX_PATH = 255;

const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
// A DNS-like name or IPv4 (upper case allowed, as DNS does), or an IPv6 literal in brackets
// without a zone; then an optional numeric port.
const REGISTRY = new RegExp(
  `^(?:${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
// Lower case only; separators are one `.`, one or two `_`, or any run of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
// A bare 64-hex string is an image ID to Docker, and the normaliser refuses it as a name.
const IMAGE_ID = /^[a-f0-9]{64}$/;
// The reference grammar accepts any `alg:hex{32,}`, but the runtime then validates the digest:
// go-digest registers sha256 and sha512 by default (the OCI image spec's registered algorithms;
// v1.0.0 also had sha384, since dropped), each as lower-case hex of exactly the hash's length.
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const PINNED = /^sha256:[a-f0-9]{64}$/;

/**
 * Docker's rule for the first of several components: a registry when it has a `.` or `:`, is
 * `localhost`, or has upper case (never valid in a path).
 */
function registryLike(first: string): boolean {
  return first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase();
}

/**
 * The registry and path a name (no tag, no digest) denotes, or undefined if it is invalid.
 * `loneRegistry` says whether a name without `/` is a registry alone; for an image it never is:
 * even `localhost` is a Docker Hub image (distribution/reference marks that FIXME; we follow
 * what runs).
 */
function splitName(
  name: string,
  loneRegistry: (c: string) => boolean,
): { registry: string; path: string } | undefined {
  const slash = name.indexOf('/');
  const first = slash === -1 ? name : name.slice(0, slash);
  if (slash === -1 ? !loneRegistry(first) : !registryLike(first))
    return validPath(name) ? { registry: 'docker.io', path: name } : undefined;
  // Where distribution/reference falls back to reading an invalid host as a path (`a_b.c/x`,
  // returned with an empty domain), we refuse instead.
  if (!REGISTRY.test(first)) return undefined;
  const registry = first === 'index.docker.io' ? 'docker.io' : first;
  if (slash === -1) return { registry, path: '' };
  const path = name.slice(slash + 1);
  return validPath(path) ? { registry, path } : undefined;
}

function validPath(path: string): boolean {
  return path.split('/').every((c) => PATH_COMPONENT.test(c));
}

/** Docker Hub's official images live under `library/`: `nginx` is `docker.io/library/nginx`. */
function hubPath(registry: string, path: string): string {
  return registry === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
}

/** `name[:tag][@digest]` parsed and normalised, or undefined when the runtime would refuse it. */
export function parseImage(ref: string): ImageReference | undefined {
  if (ref.length === 0 || ref.length > MAX_REFERENCE || IMAGE_ID.test(ref)) return undefined;
  // No `@` can appear before the digest, and a `:` after the last `/` can only start a tag (a
  // port's `:` is in the first component, which a `/` always follows).
  const at = ref.indexOf('@');
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;
  let rest = at === -1 ? ref : ref.slice(0, at);
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const split = splitName(rest, () => false);
  if (split === undefined) return undefined;
  const repository = hubPath(split.registry, split.path);
  if (repository.length > MAX_PATH) return undefined;
  const image: ImageReference = {
    registry: split.registry,
    repository,
    name: `${split.registry}/${repository}`,
  };
  if (tag !== undefined) image.tag = tag;
  if (digest !== undefined) image.digest = digest;
  return image;
}

/** Whether the reference names its content by a sha256 digest: what `pinning.images` demands. */
export function imagePinned(ref: string): boolean {
  const digest = parseImage(ref)?.digest;
  return digest !== undefined && PINNED.test(digest);
}

/**
 * The name a prefix covers, ending in `/` when it covers only what lies below it. A prefix is
 * never pulled, so a lone component that looks like a host (`registry.example.com`,
 * `localhost:5000`, `[::1]`) names a registry rather than a Docker Hub image; one without a dot
 * (`myhost:5000`) would read as a tag, so it takes a trailing `/`, where Docker's rule applies.
 * A tag or digest leaves no valid name, so such a prefix is refused with the rest.
 */
function normalisePrefix(prefix: string): string | undefined {
  if (prefix.length > MAX_REFERENCE) return undefined;
  const below = prefix.endsWith('/');
  const split = splitName(below ? prefix.slice(0, -1) : prefix, below ? registryLike : hostLike);
  if (split === undefined) return undefined;
  if (split.path === '') return `${split.registry}/`;
  // A trailing `/` names a namespace (`acme/` is Docker Hub's acme organisation), so only a
  // complete name gains the implied `library/`.
  if (below) return `${split.registry}/${split.path}/`;
  return `${split.registry}/${hubPath(split.registry, split.path)}`;
}

/** A dot, `localhost` or an IPv6 literal, then an optional port: never read as `name:tag`. */
function hostLike(c: string): boolean {
  return /^(?:localhost|\[[^\]]*\]|[^:]*\.[^:]*)(?::[0-9]+)?$/.test(c);
}

/**
 * Whether the image's normalised name lies inside the prefix, on `/` boundaries: the registry
 * (with its port) compared exactly, `serving` admitting `serving` and `serving/…` but never
 * `serving-evil`, `serving/` admitting only what lies below it.
 */
export function withinImagePrefix(ref: string, prefix: string): boolean {
  const image = parseImage(ref);
  const p = normalisePrefix(prefix);
  if (image === undefined || p === undefined) return false;
  return p.endsWith('/')
    ? image.name.startsWith(p)
    : image.name === p || image.name.startsWith(`${p}/`);
}

/** Why a policy's image prefix cannot be used, if it cannot. */
export function imagePrefixProblem(prefix: string): string | undefined {
  if (normalisePrefix(prefix) !== undefined) return undefined;
  return `an image prefix is a registry or an image name, optionally ending in /, with no tag or digest, at most ${MAX_REFERENCE} characters`;
}
