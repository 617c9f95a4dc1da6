import { createHash } from 'node:crypto';
import { fail } from './errors.js';
import { clip } from './bundle.js';
import { comparePaths, modelSigningRoot } from './model-root.js';
import { isObject } from '../object.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** Still what `cosign attest-blob` writes (v3.1); its subject layout is the same as v1's. */
export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const MODEL_SIGNING_V1 = 'https://model_signing/signature/v1.0';
export const MODEL_SIGNING_COMPAT = 'https://model_signing/Digests/v0.1';
const MODEL_SIGNING_PREFIX = 'https://model_signing/';

const HEX64 = /^[0-9a-fA-F]{64}$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

export interface SignedSubject {
  /** Lowercase hex sha256 the statement binds: the model-signing root digest or the subject digest. */
  sha256: string;
  format: 'model-signing' | 'dsse';
}

/**
 * Reads the in-toto statement of an already authenticated DSSE payload and returns the one
 * sha256 it vouches for. For model-signing v1.0 that is the root digest, which must be
 * recomputable from the listed resources: otherwise a signer's tool could name one model in the
 * subject and describe another in the manifest a downloader checks. Any other predicate type (a
 * provenance, a vulnerability scan: statements about the model, not its release) counts only when
 * the authority that signed it lists that exact type in `vouchedTypes`.
 */
export function signedSubject(
  payloadType: string,
  payload: Buffer,
  allowCompat: boolean,
  vouchedTypes: ReadonlySet<string>,
): SignedSubject {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    fail(
      'SIG_STATEMENT_INVALID',
      `payloadType is "${clip(payloadType)}", expected ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  const statement = parseJsonObject(payload);
  const type = statement['_type'];
  if (type !== STATEMENT_V1 && type !== STATEMENT_V01) {
    fail('SIG_STATEMENT_INVALID', `statement _type must be ${STATEMENT_V1}`);
  }
  const predicateType = statement['predicateType'];
  if (typeof predicateType !== 'string')
    fail('SIG_STATEMENT_INVALID', 'statement has no predicateType');
  const subjects = statement['subject'];
  if (!Array.isArray(subjects)) fail('SIG_STATEMENT_INVALID', 'statement subject must be an array');

  if (predicateType.startsWith(MODEL_SIGNING_PREFIX) && type !== STATEMENT_V1) {
    fail('SIG_STATEMENT_INVALID', `a model-signing statement must have _type ${STATEMENT_V1}`);
  }
  if (predicateType === MODEL_SIGNING_COMPAT) {
    if (!allowCompat)
      fail(
        'SIG_STATEMENT_INVALID',
        `predicate ${MODEL_SIGNING_COMPAT} (model_signing v0.2) is not allowed by this policy`,
      );
    return { sha256: compatRootDigest(subjects), format: 'model-signing' };
  }
  if (predicateType.startsWith(MODEL_SIGNING_PREFIX) && predicateType !== MODEL_SIGNING_V1) {
    fail('SIG_STATEMENT_INVALID', `unknown model-signing predicate "${clip(predicateType)}"`);
  }
  if (predicateType !== MODEL_SIGNING_V1 && !vouchedTypes.has(predicateType)) {
    fail(
      'SIG_PREDICATE_NOT_ALLOWED',
      `predicate type "${clip(predicateType)}" is not a model signature and the signing authority does not list it in predicateTypes`,
    );
  }
  if (subjects.length !== 1)
    fail(
      'SIG_STATEMENT_INVALID',
      `statement must have exactly one subject, found ${subjects.length}`,
    );
  const sha256 = subjectSha256(subjects[0]);
  if (predicateType !== MODEL_SIGNING_V1) return { sha256, format: 'dsse' };

  const root = rootDigest(statement['predicate']);
  if (root !== sha256) {
    fail(
      'SIG_STATEMENT_INVALID',
      `subject digest ${sha256} is not the root digest ${root} of the listed resources`,
    );
  }
  return { sha256, format: 'model-signing' };
}

/** model-signing v1.0: sha256 over the raw bytes of every resource digest, in the order listed. */
export function rootDigest(predicate: unknown): string {
  const resources = isObject(predicate) ? predicate['resources'] : undefined;
  if (!Array.isArray(resources))
    fail('SIG_STATEMENT_INVALID', 'predicate.resources must be an array');
  const hash = createHash('sha256');
  resources.forEach((r, i) => {
    const digest = isObject(r) ? r['digest'] : undefined;
    if (
      !isObject(r) ||
      typeof r['name'] !== 'string' ||
      typeof r['algorithm'] !== 'string' ||
      typeof digest !== 'string' ||
      !HEX.test(digest)
    ) {
      fail(
        'SIG_STATEMENT_INVALID',
        `predicate.resources[${i}] must have a name, an algorithm and a hex digest`,
      );
    }
    hash.update(Buffer.from(digest, 'hex'));
  });
  return hash.digest('hex');
}

/**
 * The v0.2 compat predicate lists one subject per file and no root. Aviary derives the root the
 * v1.0 format would have for the same files (sha256 digests sorted the way model_signing sorts
 * paths: component by component), so a pinned root digest means the same model in both formats.
 */
function compatRootDigest(subjects: unknown[]): string {
  if (subjects.length === 0) fail('SIG_STATEMENT_INVALID', 'compat statement has no subjects');
  const files = subjects.map((s, i) => {
    const name = isObject(s) ? s['name'] : undefined;
    if (typeof name !== 'string') fail('SIG_STATEMENT_INVALID', `subject[${i}] has no name`);
    return {
      parts: name.split('/').filter((p) => p !== '' && p !== '.'),
      sha256: subjectSha256(s),
    };
  });
  const sorted = [...files].sort((a, b) => comparePaths(a.parts, b.parts));
  for (let i = 1; i < sorted.length; i++) {
    if (comparePaths(sorted[i - 1]!.parts, sorted[i]!.parts) === 0)
      fail('SIG_STATEMENT_INVALID', 'compat statement lists a file twice');
  }
  return modelSigningRoot(sorted);
}

function subjectSha256(subject: unknown): string {
  const digest = isObject(subject) ? subject['digest'] : undefined;
  const sha256 = isObject(digest) ? digest['sha256'] : undefined;
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) {
    fail('SIG_STATEMENT_INVALID', 'subject must carry a sha256 digest of 64 hex characters');
  }
  return sha256.toLowerCase();
}

function parseJsonObject(payload: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    fail('SIG_STATEMENT_INVALID', 'DSSE payload is not UTF-8 JSON');
  }
  if (!isObject(value)) fail('SIG_STATEMENT_INVALID', 'DSSE payload is not a JSON object');
  return value;
}

/** The predicate type, read before authentication only to decide whether the v0.2 encoding may apply. */
export function peekPredicateType(payload: Buffer): string | undefined {
  try {
    const v: unknown = JSON.parse(payload.toString('utf8'));
    return isObject(v) && typeof v['predicateType'] === 'string' ? v['predicateType'] : undefined;
  } catch {
    return undefined;
  }
}
