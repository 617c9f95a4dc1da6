import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { payloadOf, resigned } from './support.js';

/**
 * Throw-away PKIs built by the real `openssl` CLI (run without a shell, on arguments the tests
 * choose), so certificate-mode tests check chains a real CA tool writes and compare verdicts
 * with OpenSSL's own path validation (`openssl verify`).
 */

/** An extension OpenSSL does not know, marked critical: RFC 5280 says refuse the certificate. */
export const UNKNOWN_CRITICAL = '1.3.6.1.4.1.55555.1=critical,ASN1:NULL';
export const CA_EXT = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
];
export const LEAF_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=codeSigning',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
];

export interface Issued {
  name: string;
  /** PEM text of the certificate. */
  pem: string;
  certFile: string;
  keyFile: string;
  cert: X509Certificate;
}

export interface CertSpec {
  /** OpenSSL `-subj` form, e.g. `/O=Test/CN=Root`; `/` is the empty subject. */
  subject: string;
  /** The issuing CA; none means self-signed. */
  issuer?: Issued;
  /** Reuse another certificate's key (cross-signing, renewal); default: a new P-256 key. */
  keyOf?: Issued;
  ext: readonly string[];
  days?: number;
}

export class OpenSslPki {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'aviary-pki-'));
  #serial = 1;

  cert(name: string, spec: CertSpec): Issued {
    const file = (ext: string) => path.join(this.dir, `${name}.${ext}`);
    const keyFile = spec.keyOf?.keyFile ?? file('key');
    if (spec.keyOf === undefined)
      openssl(
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        keyFile,
      );
    openssl('req', '-new', '-key', keyFile, '-subj', spec.subject, '-out', file('csr'));
    writeFileSync(file('ext'), `${spec.ext.join('\n')}\n`);
    const signer = spec.issuer
      ? ['-CA', spec.issuer.certFile, '-CAkey', spec.issuer.keyFile]
      : ['-signkey', keyFile];
    const certFile = file('pem');
    openssl(
      'x509', '-req', '-in', file('csr'), ...signer, '-extfile', file('ext'), '-sha256',
      '-days', String(spec.days ?? 3650), '-set_serial', String(this.#serial++), '-out', certFile,
    ); // prettier-ignore
    const pem = readFileSync(certFile, 'utf8');
    return { name, pem, certFile, keyFile, cert: new X509Certificate(pem) };
  }

  /**
   * OpenSSL's verdict on `leaf` with `untrusted` as the pool of intermediates and `anchors` as
   * trust anchors. `-partial_chain` because Aviary, too, accepts a configured intermediate as an
   * anchor.
   */
  opensslAccepts(
    leaf: Issued,
    untrusted: readonly Issued[],
    anchors: readonly Issued[],
    at: Date,
  ): boolean {
    const bundleFile = (name: string, certs: readonly Issued[]) => {
      const f = path.join(this.dir, `${name}-${this.#serial++}.pem`);
      writeFileSync(f, certs.map((c) => c.pem).join(''));
      return f;
    };
    const args = ['verify', '-partial_chain', '-attime', String(Math.floor(at.getTime() / 1000))];
    args.push('-CAfile', bundleFile('anchors', anchors));
    if (untrusted.length > 0) args.push('-untrusted', bundleFile('untrusted', untrusted));
    try {
      openssl(...args, leaf.certFile);
      return true;
    } catch {
      return false;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A model-signing certificate bundle carrying `chain` (leaf first), its statement signed again
 * with the leaf's key, so only the chain decides the verdict.
 */
export function bundleWithChain(template: any, chain: readonly Issued[]): any {
  const signed = resigned(template, payloadOf(template), readFileSync(chain[0]!.keyFile, 'utf8'));
  signed.verificationMaterial = {
    x509CertificateChain: {
      certificates: chain.map((c) => ({ rawBytes: c.cert.raw.toString('base64') })),
    },
  };
  return signed;
}
