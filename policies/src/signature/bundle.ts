import { X509Certificate } from 'node:crypto';
import { fail } from './errors.js';
import { isObject } from '../object.js';

/**
 * Aviary's own structural reading of a Sigstore bundle: just the fields every verification path
 * needs, checked strictly. It is independent of sigstore-js because model-signing "certificate"
 * bundles (a v0.3 bundle with `x509CertificateChain`) are rejected by `@sigstore/bundle`, and
 * because the failure codes must not depend on which authority happens to be configured.
 */

export type BundleVersion = '0.1' | '0.2' | '0.3';

const MEDIA_TYPES: ReadonlyMap<string, BundleVersion> = new Map([
  ['application/vnd.dev.sigstore.bundle+json;version=0.1', '0.1'],
  ['application/vnd.dev.sigstore.bundle+json;version=0.2', '0.2'],
  ['application/vnd.dev.sigstore.bundle+json;version=0.3', '0.3'],
  ['application/vnd.dev.sigstore.bundle.v0.3+json', '0.3'],
]);

export type Material =
  | { kind: 'publicKey'; hint?: string }
  /** Leaf first. `field` tells a Fulcio-style single certificate from a model-signing chain. */
  | { kind: 'certificate'; field: 'certificate' | 'x509CertificateChain'; chain: Buffer[] };

export type Content =
  | { kind: 'dsse'; payloadType: string; payload: Buffer; signature: Buffer }
  | { kind: 'message'; digestAlgorithm: string; digest: Buffer; signature: Buffer };

export interface ParsedBundle {
  version: BundleVersion;
  material: Material;
  content: Content;
  /** The bundle's plain JSON, for sigstore-js. */
  json: Record<string, unknown>;
}

export function parseBundle(value: unknown): ParsedBundle {
  const json = asObject(value, 'bundle');
  const mediaType = json['mediaType'];
  if (typeof mediaType !== 'string') {
    fail(
      'SIG_BUNDLE_MALFORMED',
      'bundle has no mediaType (the pre-protobuf cosign bundle format is not supported)',
    );
  }
  const version = MEDIA_TYPES.get(mediaType);
  if (version === undefined)
    fail('SIG_BUNDLE_UNSUPPORTED', `unsupported bundle media type "${clip(mediaType)}"`);
  const vm = asObject(json['verificationMaterial'], 'verificationMaterial');
  return { version, material: parseMaterial(vm), content: parseContent(json), json };
}

function parseMaterial(vm: Record<string, unknown>): Material {
  const kinds = ['publicKey', 'certificate', 'x509CertificateChain'].filter(
    (k) => vm[k] !== undefined,
  );
  if (kinds.length !== 1) {
    fail(
      'SIG_BUNDLE_MALFORMED',
      'verificationMaterial must hold exactly one of publicKey, certificate, x509CertificateChain',
    );
  }
  if (vm['publicKey'] !== undefined) {
    const hint = asObject(vm['publicKey'], 'publicKey')['hint'];
    if (hint !== undefined && typeof hint !== 'string')
      fail('SIG_BUNDLE_MALFORMED', 'publicKey.hint must be a string');
    return hint === undefined || hint === '' ? { kind: 'publicKey' } : { kind: 'publicKey', hint };
  }
  if (vm['certificate'] !== undefined) {
    const raw = der(asObject(vm['certificate'], 'certificate')['rawBytes'], 'certificate.rawBytes');
    return { kind: 'certificate', field: 'certificate', chain: [raw] };
  }
  const certs = asObject(vm['x509CertificateChain'], 'x509CertificateChain')['certificates'];
  if (!Array.isArray(certs) || certs.length === 0 || certs.length > 10) {
    fail(
      'SIG_BUNDLE_MALFORMED',
      'x509CertificateChain.certificates must hold 1 to 10 certificates',
    );
  }
  const chain = certs.map((c, i) =>
    der(asObject(c, `certificates[${i}]`)['rawBytes'], `certificates[${i}].rawBytes`),
  );
  return { kind: 'certificate', field: 'x509CertificateChain', chain };
}

function parseContent(json: Record<string, unknown>): Content {
  const dsse = json['dsseEnvelope'];
  const message = json['messageSignature'];
  if ((dsse === undefined) === (message === undefined)) {
    fail('SIG_BUNDLE_MALFORMED', 'bundle must hold exactly one of dsseEnvelope, messageSignature');
  }
  if (dsse !== undefined) {
    const env = asObject(dsse, 'dsseEnvelope');
    const { payloadType, signatures } = env;
    if (typeof payloadType !== 'string')
      fail('SIG_BUNDLE_MALFORMED', 'dsseEnvelope.payloadType must be a string');
    if (!Array.isArray(signatures) || signatures.length === 0) {
      fail('SIG_BUNDLE_MALFORMED', 'dsseEnvelope.signatures must be a non-empty array');
    }
    // sigstore-js, model_signing and cosign all bind one signature to one key; a second signature
    // would be unverified data riding along, so it is refused rather than ignored.
    if (signatures.length > 1) {
      fail(
        'SIG_MULTIPLE_SIGNATURES',
        `dsseEnvelope holds ${signatures.length} signatures; exactly one is supported`,
      );
    }
    const signature = bytes(asObject(signatures[0], 'signatures[0]')['sig'], 'signatures[0].sig');
    return {
      kind: 'dsse',
      payloadType,
      payload: bytes(env['payload'], 'dsseEnvelope.payload', true),
      signature,
    };
  }
  const ms = asObject(message, 'messageSignature');
  const md = asObject(ms['messageDigest'], 'messageSignature.messageDigest');
  const algorithm = md['algorithm'];
  // Proto3 JSON writes enums by name, but readers must accept the number too (SHA2_256 = 1).
  const digestAlgorithm = algorithm === 1 ? 'SHA2_256' : algorithm;
  if (typeof digestAlgorithm !== 'string')
    fail('SIG_BUNDLE_MALFORMED', 'messageDigest.algorithm must be a string');
  return {
    kind: 'message',
    digestAlgorithm,
    digest: bytes(md['digest'], 'messageDigest.digest'),
    signature: bytes(ms['signature'], 'messageSignature.signature'),
  };
}

/** Certificates are parsed here so a corrupt one is malformed whichever authority is configured. */
function der(v: unknown, what: string): Buffer {
  const raw = bytes(v, what);
  try {
    new X509Certificate(raw);
  } catch {
    fail('SIG_BUNDLE_MALFORMED', `${what} is not a DER certificate`);
  }
  return raw;
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (!isObject(v)) fail('SIG_BUNDLE_MALFORMED', `${what} must be a JSON object`);
  return v;
}

// Protobuf JSON bytes: standard or URL-safe base64, padding optional.
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** Strict base64: `Buffer.from(s, 'base64')` silently skips bad characters, which would let a corrupted field verify. */
function bytes(v: unknown, what: string, allowEmpty = false): Buffer {
  if (typeof v !== 'string' || !BASE64.test(v) || (!allowEmpty && v.length === 0)) {
    fail('SIG_BUNDLE_MALFORMED', `${what} must be ${allowEmpty ? '' : 'non-empty '}base64`);
  }
  return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
