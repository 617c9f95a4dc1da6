import type { KeyObject } from 'node:crypto';
import { X509Certificate, crypto } from '@sigstore/core';

/**
 * An X.509 certificate that works each answer out once. @sigstore/core re-encodes the whole ASN.1
 * tree for every `equals`, `publicKey` and `clone`, and builds a fresh key for every `verify`;
 * its chain builder calls these many times per bundle, and the same trust-root links (root
 * self-signatures, intermediate by root) are re-checked on every verification. Profiling a
 * keyless model-signing bundle showed three quarters of a ~25 ms verification there.
 *
 * Only immutable inputs are memoised: a certificate never changes after parsing, and a
 * signature check is remembered per issuer object. `clone` still hands out a fresh, unmemoised
 * copy, because the SCT check edits its copy.
 */
export class MemoCertificate extends X509Certificate {
  #der: Buffer | undefined;
  #spki: Buffer | undefined;
  #key: KeyObject | undefined;
  readonly #checked = new WeakMap<X509Certificate, boolean>();

  static of(cert: X509Certificate): MemoCertificate {
    return cert instanceof MemoCertificate ? cert : new MemoCertificate(cert.root);
  }

  get der(): Buffer {
    return (this.#der ??= this.root.toDER());
  }

  override get publicKey(): Buffer {
    return (this.#spki ??= super.publicKey);
  }

  get key(): KeyObject {
    return (this.#key ??= crypto.createPublicKey(this.publicKey));
  }

  override equals(other: X509Certificate): boolean {
    return this.der.equals(other instanceof MemoCertificate ? other.der : other.root.toDER());
  }

  override clone(): X509Certificate {
    return X509Certificate.parse(Buffer.from(this.der));
  }

  override verify(issuer?: X509Certificate): boolean {
    const signer = issuer ?? this;
    let ok = this.#checked.get(signer);
    if (ok === undefined) {
      ok =
        signer instanceof MemoCertificate
          ? crypto.verify(
              this.tbsCertificate.toDER(),
              signer.key,
              this.signatureValue,
              this.signatureAlgorithm,
            )
          : super.verify(issuer);
      this.#checked.set(signer, ok);
    }
    return ok;
  }
}
