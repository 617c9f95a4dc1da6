/**
 * Where a model URI points, for `allowedPrefixes`. A raw `startsWith` is not a location check:
 * `s3://models-prod` also starts `s3://models-prod-evil/…`, and `s3://models-prod/a/../b/` or
 * `%2e%2e` may be read elsewhere by a client that resolves them. So both sides are split the way
 * storage clients split them (scheme, authority: bucket, registry or host, then path) and compared
 * part by part, on segment boundaries; a URI whose path a client could rewrite is never inside any
 * prefix.
 */

export interface Location {
  scheme: string;
  /** Bucket, registry (with port), host, HF organisation or claim name, compared exactly. */
  authority: string;
  /** Everything after the authority, starting with `/` when present. */
  path: string;
}

const LOCATION = /^([a-z][a-z0-9+.-]{0,31}):\/\/([^/?#]*)(.*)$/s;

export function parseLocation(uri: string): Location | undefined {
  const m = LOCATION.exec(uri);
  return m ? { scheme: m[1]!, authority: m[2]!, path: m[3]! } : undefined;
}

/**
 * Why a client might read this URI somewhere other than where it appears to point, if it might:
 * dot segments (resolved by HTTP clients, literal in S3 keys), percent-escapes (decoded by some
 * clients, not others), backslashes (a separator on some platforms) and control characters.
 */
export function locationAmbiguity(uri: string): string | undefined {
  if (/[%\\]/.test(uri)) return 'percent-escapes and backslashes';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(uri)) return 'whitespace or control characters';
  const loc = parseLocation(uri);
  if (loc && loc.path.split(/[/?#]/).some((s) => s === '.' || s === '..')) return 'dot segments';
  // Only HTTP sends a query (Azure SAS tokens live there); KServe's S3 and GCS readers drop or
  // keep `?`/`#` literally, so the listed prefix is not the one the URI shows.
  if (loc && !/^https?$/.test(loc.scheme) && /[?#]/.test(loc.path)) return 'a query or fragment';
  return undefined;
}

/**
 * Characters that end the last segment of a prefix's path: a new path segment everywhere, and for
 * OCI a tag or digest, for HF a revision. Never in the authority, where `:` starts a port and `@`
 * ends user information.
 */
function boundaries(scheme: string): string {
  if (scheme === 'oci' || scheme === 'oci+native') return '/@:';
  if (scheme === 'hf') return '/:';
  return '/?#';
}

/** Whether `uri` lies inside the location `prefix` names. */
export function withinPrefix(uri: string, prefix: string): boolean {
  const u = parseLocation(uri);
  const p = parseLocation(prefix);
  if (u === undefined || p === undefined || locationAmbiguity(uri) !== undefined) return false;
  if (u.scheme !== p.scheme) return false;
  // `pvc://` (or `s3://`) alone allows the whole scheme.
  if (p.authority === '' && p.path === '') return true;
  if (u.authority !== p.authority) return false;
  if (p.path === '' || p.path === '/' || u.path === p.path) return true;
  if (!u.path.startsWith(p.path)) return false;
  if (p.path.endsWith('/')) return true;
  return boundaries(u.scheme).includes(u.path[p.path.length]!);
}

/** Why a policy's prefix cannot be used, if it cannot. */
export function prefixProblem(prefix: string): string | undefined {
  if (parseLocation(prefix) === undefined)
    return 'a prefix must be scheme://location (for example s3://bucket/models/)';
  const ambiguity = locationAmbiguity(prefix);
  return ambiguity === undefined ? undefined : `a prefix may not contain ${ambiguity}`;
}
