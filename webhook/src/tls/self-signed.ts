import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * A throw-away self-signed certificate for `--self-signed` (development, tests, kind clusters):
 * an ECDSA P-256 key from WebCrypto and the certificate written by @peculiar/x509. No `openssl`
 * binary, no shell. Production uses cert-manager (`--cert`/`--key`, reloaded on rotation).
 */
export interface SelfSignedOptions {
  /** DNS names and IP addresses for subjectAltName. Default: localhost, 127.0.0.1, ::1. */
  hosts?: readonly string[];
  commonName?: string;
  /** Default 365 days. */
  days?: number;
  now?: Date;
}

export interface CertificatePair {
  cert: string;
  key: string;
}

export const DEFAULT_SELF_SIGNED_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export async function generateSelfSigned(
  options: SelfSignedOptions = {},
): Promise<CertificatePair> {
  // Loaded here, not at start-up: only --self-signed needs them, and @peculiar/x509 (through
  // tsyringe) wants the Reflect metadata polyfill installed before it loads.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const hosts = [...new Set(options.hosts ?? DEFAULT_SELF_SIGNED_HOSTS)];
  const now = options.now ?? new Date();
  const days = options.days ?? 365;
  const commonName = options.commonName ?? hosts[0] ?? 'aviary-webhook';
  const keys = await crypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, no leading zero byte
  const generated = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [commonName] }],
    // Backdated an hour so a client with a slightly slow clock accepts it at once.
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + days * 86400_000),
    signingAlgorithm: P256,
    keys,
    extensions: [
      // CA:TRUE, like `openssl req -x509`: the certificate is its own trust anchor (caBundle).
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      // Its own key id: lets TLS clients that trust several of these certificates (same subject,
      // e.g. during a rotation) pick the right one.
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => ({ type: isIP(h) === 0 ? 'dns' : 'ip', value: h })),
      ),
    ],
  });
  const cert = generated.toString('pem').replace(/\r?\n?$/, '\n');
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  // Self-check by OpenSSL: it parses, the signature verifies under its own key, the key matches.
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(parsed.publicKey) || !parsed.checkPrivateKey(privateKey))
    throw new Error('generated self-signed certificate does not verify');
  return { cert, key };
}
