import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '@aviary/policies';
import { loadPolicySet } from '@aviary/policies/engine';
import { parseTrustedRootFlags } from '@aviary/policies/signature';
import { EXIT, type CommandIO } from '../io.js';
import { reportDiagnostics } from '../report.js';
import { readBounded } from '../source/safe-path.js';

export const VERIFY_USAGE =
  'aviary verify --bundle FILE --digest sha256:HEX [--policies PATH] [--policy NAME] [--trusted-root NAME=FILE]...';

/**
 * `aviary verify`: checks one Sigstore bundle for one digest with the same verifier admission
 * uses, under every policy that configures authorities (or the one named). Exit 0 verified under
 * each, 1 not verified, 2 bad input.
 */
export async function verify(io: CommandIO, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      bundle: { type: 'string' },
      digest: { type: 'string' },
      policies: { type: 'string', default: 'policies' },
      policy: { type: 'string' },
      'trusted-root': { type: 'string', multiple: true, default: [] },
    },
  });
  if (positionals.length > 0 || values.bundle === undefined || values.digest === undefined) {
    throw new UsageError('USAGE_INVALID', `usage: ${VERIFY_USAGE}`);
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(values.digest)) {
    throw new UsageError('USAGE_INVALID', '--digest must be sha256:<64 lowercase hex>');
  }
  // The whole set loads as admission loads it: a policy the webhook would refuse is refused here
  // too, even when --policy names another. An empty set is VERIFY_NO_AUTHORITIES below.
  const set = await loadPolicySet({
    policies: [values.policies],
    trustedRoots: parseTrustedRootFlags(values['trusted-root']),
    cwd: io.cwd,
    allowEmpty: true,
  });
  // A verify-only authority is what POLICY_SIGNATURES_NOT_REQUIRED describes: no need to repeat it here.
  if (set.diagnostics.length > 0) return reportDiagnostics(io, set.diagnostics);
  const verifiers = [...set.verifiers].filter(
    ([name]) => values.policy === undefined || name === values.policy,
  );
  if (verifiers.length === 0) {
    return reportDiagnostics(io, [
      {
        code: 'VERIFY_NO_AUTHORITIES',
        message: 'no selected policy configures signature authorities',
        file: values.policies,
      },
    ]);
  }
  const text = await readBounded(path.resolve(io.cwd, values.bundle), values.bundle);
  let failed = 0;
  for (const [name, verifier] of verifiers.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const r = verifier.verify(text, values.digest);
    if (r.ok) {
      io.stdout.write(
        `VERIFIED policy ${name}: ${values.digest} signed by authority ${r.authority} (${r.signer}, ${r.format})\n`,
      );
    } else {
      failed++;
      io.stdout.write(`FAILED   policy ${name}: ${r.message} [${r.code}]\n`);
    }
  }
  return failed > 0 ? EXIT.DENIED : EXIT.OK;
}
