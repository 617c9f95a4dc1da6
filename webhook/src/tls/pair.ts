import { createPrivateKey, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { WebhookMetrics } from '../metrics.js';
import { watchContent, type ContentWatcher } from '../watch.js';

export interface CheckedPair {
  cert: string;
  key: string;
  notAfter: Date;
  /** SHA-256 fingerprint of the leaf certificate, as openssl prints it. */
  fingerprint: string;
}

/**
 * Checks a certificate/key pair before it serves: both parse, the key belongs to the (first)
 * certificate, OpenSSL accepts them as a context, and the certificate has not expired.
 * Throws an Error naming the problem.
 */
export function checkPair(cert: string, key: string, now = new Date()): CheckedPair {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error('the certificate file holds no PEM certificate');
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error('the key file holds no usable PEM private key');
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new Error('the private key does not belong to the certificate');
  createSecureContext({ cert, key }); // whatever else OpenSSL objects to
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime())
    throw new Error(`the certificate expired at ${notAfter.toISOString()}`);
  return { cert, key, notAfter, fingerprint: x509.fingerprint256 };
}

/**
 * Reloads the serving certificate when its files change (cert-manager renewals, Secret volume
 * updates): the new pair is checked first, then swapped in with `setSecureContext`. Connections
 * already open keep their session; new handshakes get the new certificate; nothing is dropped.
 * A bad pair (a half-written file, a key of another certificate, an expired certificate) is
 * logged and counted, and the previous pair keeps serving.
 */
export function watchTls(options: {
  certFile: string;
  keyFile: string;
  server: TlsServer;
  metrics: WebhookMetrics;
  log: FastifyBaseLogger;
  intervalMs: number;
  /** Fingerprint of the files as first loaded, so start-up is not counted as a reload. */
  initial?: string;
}): ContentWatcher {
  const { certFile, keyFile, server, metrics, log } = options;
  return watchContent({
    files: () => Promise.resolve([certFile, keyFile]),
    folders: [path.dirname(certFile), path.dirname(keyFile)],
    intervalMs: options.intervalMs,
    debounceMs: 200,
    ...(options.initial !== undefined ? { initial: options.initial } : {}),
    onChange: (contents) => {
      let pair: CheckedPair;
      try {
        // The bytes the change was detected on: a certificate and key read at one moment.
        const cert = contents.get(certFile);
        const key = contents.get(keyFile);
        if (cert === undefined || key === undefined)
          throw new Error(`cannot read ${cert === undefined ? certFile : keyFile}`);
        pair = checkPair(cert.toString('utf8'), key.toString('utf8'));
      } catch (err) {
        metrics.tlsReloadErrors.inc();
        log.error(
          { certFile, keyFile, error: (err as Error).message },
          'certificate reload rejected; the previous certificate keeps serving',
        );
        return Promise.resolve();
      }
      server.setSecureContext({ cert: pair.cert, key: pair.key });
      metrics.tlsReloads.inc();
      metrics.tlsNotAfter.set(pair.notAfter.getTime() / 1000);
      log.info(
        { certFile, fingerprint: pair.fingerprint, notAfter: pair.notAfter.toISOString() },
        'certificate reloaded',
      );
      return Promise.resolve();
    },
    onError: (err) => log.error({ err }, 'certificate watch failed'),
  });
}
