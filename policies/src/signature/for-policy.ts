import type { LoadedPolicy } from '../policy/load.js';
import type { Diagnostic } from '../errors.js';
import { POLICY_SIG_CODE } from '../codes.js';
import { SignatureConfigError } from './errors.js';
import { loadPublicGoodTrustedRoot } from './trusted-root.js';
import type { Authority, SignatureVerifier } from './types.js';
import { createSignatureVerifier } from './verifier.js';

/**
 * Builds one signature verifier per policy, once per policy set, shared by every decision (the
 * webhook, `aviary check`, `aviary test`, `aviary verify` and the plugin's pre-flight). A policy
 * whose authorities cannot be built (a corrupt key, an unknown trusted root) is reported with its
 * position instead of silently verifying nothing.
 */
export function buildPolicyVerifiers(
  policies: readonly LoadedPolicy[],
  trustedRoots: Record<string, unknown> = { 'public-good': loadPublicGoodTrustedRoot() },
): { verifiers: Map<string, SignatureVerifier>; diagnostics: Diagnostic[] } {
  const verifiers = new Map<string, SignatureVerifier>();
  const diagnostics: Diagnostic[] = [];
  for (const loaded of policies) {
    const sig = loaded.policy.spec.signatures;
    if (sig?.authorities === undefined || sig.authorities.length === 0) continue;
    try {
      verifiers.set(
        loaded.name,
        createSignatureVerifier({
          authorities: sig.authorities.map(toAuthority),
          trustedRoots,
          ...(sig.allowCompatPredicate !== undefined
            ? { allowCompatPredicate: sig.allowCompatPredicate }
            : {}),
        }),
      );
    } catch (err) {
      diagnostics.push({
        code:
          err instanceof SignatureConfigError
            ? POLICY_SIG_CODE[err.code]
            : 'POLICY_AUTHORITY_INVALID',
        message: `policy "${loaded.name}": ${(err as Error).message}`,
        file: loaded.file,
        line: loaded.line,
        column: 1,
        path: 'spec.signatures.authorities',
      });
    }
  }
  return { verifiers, diagnostics };
}

function toAuthority(
  a: NonNullable<NonNullable<LoadedPolicy['policy']['spec']['signatures']>['authorities']>[number],
): Authority {
  const base = {
    name: a.name,
    ...(a.predicateTypes ? { predicateTypes: [...a.predicateTypes] } : {}),
  };
  if (a.key)
    return {
      ...base,
      key: {
        publicKey: a.key.publicKey,
        ...(a.key.hashAlgorithm ? { hashAlgorithm: a.key.hashAlgorithm } : {}),
      },
    };
  if (a.keyless) return { ...base, keyless: { ...a.keyless } };
  const { roots = [], subject, subjectRegExp } = a.certificate ?? {};
  return {
    ...base,
    certificate: {
      roots: [...roots],
      ...(subject !== undefined ? { subject } : {}),
      ...(subjectRegExp !== undefined ? { subjectRegExp } : {}),
    },
  };
}
