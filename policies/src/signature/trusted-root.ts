import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toTrustMaterial } from '@sigstore/verify';
import { isObject } from '../object.js';

let publicGood: unknown;

/**
 * The Sigstore public-good trusted root shipped in `policies/trust/public-good.json` (a pinned
 * copy of the root sigstore-js seeds its TUF client with). Read once; refresh the file
 * deliberately when Sigstore rotates keys, since admission never talks to TUF.
 */
export function loadPublicGoodTrustedRoot(): unknown {
  // Resolved through the package's exports rather than relative to this file, so it is found the
  // same way from sources, from dist/ and from a bundled CLI.
  const file = createRequire(import.meta.url).resolve('@aviary/policies/trust/public-good.json');
  publicGood ??= JSON.parse(readFileSync(file, 'utf8')) as unknown;
  return publicGood;
}

/**
 * A sigstore-js verifier for one trusted root, with Sigstore's default thresholds (one log
 * entry, one SCT, one timestamp). Throws a plain Error naming the problem when the root is
 * unusable.
 */
export function keylessVerifier(root: unknown): Verifier {
  assertValidityStarts(root);
  return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)));
}

/**
 * sigstore-js treats a missing `validFor.start` as "valid since the beginning of time"
 * (conformance case trust-root-tlog-missing-validity-start_fail). The field is required by the
 * trusted-root spec, and an unbounded key could vouch for entries from before it existed, so
 * such a root is refused outright.
 */
function assertValidityStarts(root: unknown): void {
  if (!isObject(root)) throw new Error('trusted root must be a JSON object');
  const ranges: [string, unknown][] = [];
  for (const field of ['tlogs', 'ctlogs'] as const) {
    for (const [i, log] of list(root[field], field).entries()) {
      const key = isObject(log) ? log['publicKey'] : undefined;
      ranges.push([
        `${field}[${i}].publicKey.validFor`,
        isObject(key) ? key['validFor'] : undefined,
      ]);
    }
  }
  for (const field of ['certificateAuthorities', 'timestampAuthorities'] as const) {
    for (const [i, ca] of list(root[field], field).entries()) {
      ranges.push([`${field}[${i}].validFor`, isObject(ca) ? ca['validFor'] : undefined]);
    }
  }
  for (const [where, range] of ranges) {
    const start = isObject(range) ? range['start'] : undefined;
    if (typeof start !== 'string' || Number.isNaN(Date.parse(start))) {
      throw new Error(`trusted root ${where}.start is missing or not a timestamp`);
    }
  }
}

function list(v: unknown, field: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`trusted root ${field} must be an array`);
  return v;
}
