import type { KeyObject } from 'node:crypto';

/**
 * ECDSA verification over a digest the caller already has. A Sigstore message signature signs
 * the artifact's bytes, but admission only ever sees the artifact's digest, and Node's crypto
 * API always hashes its input itself. The math below is the textbook verification (SEC 1
 * §4.1.4) on the NIST curves, in Jacobian coordinates; it handles public data only, so constant
 * time does not matter.
 */

interface Curve {
  p: bigint;
  n: bigint;
  bits: number;
  g: [bigint, bigint];
}

const CURVES: Readonly<Record<string, Curve>> = {
  prime256v1: {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    bits: 256,
    g: [
      0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
      0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    ],
  },
  secp384r1: {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bits: 384,
    g: [
      0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
      0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    ],
  },
  secp521r1: {
    p: (1n << 521n) - 1n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    bits: 521,
    g: [
      0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
      0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
    ],
  },
};

/** True when `signature` (DER) is a valid ECDSA signature by `key` over the given digest. */
export function verifyEcdsaDigest(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  const sig = parseDerSignature(signature);
  if (curve === undefined || sig === undefined) return false;
  const { n, p } = curve;
  const [r, s] = sig;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return false;
  const q: [bigint, bigint] = [b64urlToBigInt(jwk.x), b64urlToBigInt(jwk.y)];

  let e = bytesToBigInt(digest);
  const excess = digest.length * 8 - curve.bits;
  if (excess > 0) e >>= BigInt(excess);
  const w = invert(s, n);
  const u1 = (e * w) % n;
  const u2 = (r * w) % n;
  const point = shamir(u1, curve.g, u2, q, p);
  if (point === undefined) return false;
  return point[0] % n === r;
}

type Jacobian = [bigint, bigint, bigint]; // z = 0 is the point at infinity

/** u1·G + u2·Q in one pass over the bits (Shamir's trick); undefined for the point at infinity. */
function shamir(u1: bigint, g: [bigint, bigint], u2: bigint, q: [bigint, bigint], p: bigint) {
  const G: Jacobian = [g[0], g[1], 1n];
  const Q: Jacobian = [q[0], q[1], 1n];
  const GQ = add(G, Q, p);
  let acc: Jacobian = [0n, 1n, 0n];
  const width = Math.max(u1.toString(2).length, u2.toString(2).length);
  const bits1 = u1.toString(2).padStart(width, '0');
  const bits2 = u2.toString(2).padStart(width, '0');
  for (let i = 0; i < width; i++) {
    acc = double(acc, p);
    const b1 = bits1[i] === '1';
    const b2 = bits2[i] === '1';
    if (b1 && b2) acc = add(acc, GQ, p);
    else if (b1) acc = add(acc, G, p);
    else if (b2) acc = add(acc, Q, p);
  }
  if (acc[2] === 0n) return undefined;
  const zi = invert(acc[2], p);
  const zi2 = mod(zi * zi, p);
  return [mod(acc[0] * zi2, p), mod(acc[1] * zi2 * zi, p)] as const;
}

// Doubling for a = -3 (all three NIST curves).
function double([x, y, z]: Jacobian, p: bigint): Jacobian {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const delta = mod(z * z, p);
  const gamma = mod(y * y, p);
  const beta = mod(x * gamma, p);
  const alpha = mod(3n * (x - delta) * (x + delta), p);
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((y + z) * (y + z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, p);
  return [x3, y3, z3];
}

function add(a: Jacobian, b: Jacobian, p: bigint): Jacobian {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const [x1, y1, z1] = a;
  const [x2, y2, z2] = b;
  const z1z1 = mod(z1 * z1, p);
  const z2z2 = mod(z2 * z2, p);
  const u1 = mod(x1 * z2z2, p);
  const u2 = mod(x2 * z1z1, p);
  const s1 = mod(y1 * z2 * z2z2, p);
  const s2 = mod(y2 * z1 * z1z1, p);
  const h = mod(u2 - u1, p);
  const r = mod(2n * (s2 - s1), p);
  if (h === 0n) return r === 0n ? double(a, p) : [0n, 1n, 0n];
  const i = mod(4n * h * h, p);
  const j = mod(h * i, p);
  const v = mod(u1 * i, p);
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, p);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h, p);
  return [x3, y3, z3];
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

function b64urlToBigInt(s: string): bigint {
  return bytesToBigInt(Buffer.from(s, 'base64url'));
}

/** Strict DER `SEQUENCE { INTEGER r, INTEGER s }`, nothing before or after. */
function parseDerSignature(der: Buffer): [bigint, bigint] | undefined {
  let pos = 0;
  const readLength = (): number | undefined => {
    const first = der[pos++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined; // signatures up to P-521 never need more than one length byte
    const len = der[pos++];
    return len !== undefined && len >= 0x80 ? len : undefined;
  };
  const readInteger = (): bigint | undefined => {
    if (der[pos++] !== 0x02) return undefined;
    const len = readLength();
    if (len === undefined || len === 0 || pos + len > der.length) return undefined;
    const body = der.subarray(pos, pos + len);
    pos += len;
    if ((body[0]! & 0x80) !== 0) return undefined; // negative
    if (len > 1 && body[0] === 0 && (body[1]! & 0x80) === 0) return undefined; // non-minimal
    return bytesToBigInt(body);
  };
  if (der[pos++] !== 0x30) return undefined;
  const seqLen = readLength();
  if (seqLen === undefined || pos + seqLen !== der.length) return undefined;
  const r = readInteger();
  const s = readInteger();
  return r !== undefined && s !== undefined && pos === der.length ? [r, s] : undefined;
}
