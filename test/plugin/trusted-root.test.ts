import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import {
  KEYLESS,
  KEYLESS_POLICY,
  NOT_A_ROOT,
  PUBLIC_GOOD,
  signedIsvc,
  withoutFulcio,
} from '../helpers/keyless.js';

/**
 * `--trusted-root NAME=FILE` on `aviary verify`, `check` and `test`: the webhook's flag, with the
 * same meaning, so an offline check sees the root admission uses. A genuine public-good keyless
 * signature passes under the shipped root given as a file, fails under a copy without Fulcio (a
 * revocation), and an unusable file is bad input with its code.
 */
function repo(t: Test) {
  return t.testdir({
    'policies.yaml': KEYLESS_POLICY,
    'model.sig': JSON.stringify(KEYLESS.bundle),
    'isvc.yaml': stringify(signedIsvc()),
    'pg.json': PUBLIC_GOOD,
    'revoked.json': withoutFulcio(),
    'bad.json': NOT_A_ROOT,
    suite: {
      'keyless.aviary-test.yaml': stringify({
        apiVersion: 'aviary.dev/v1alpha1',
        kind: 'PolicyTest',
        metadata: { name: 'keyless' },
        policies: ['../policies.yaml'],
        cases: [{ name: 'signed', object: '../isvc.yaml', expect: { allowed: true } }],
      }),
    },
  });
}

const COMMANDS: Record<string, string[]> = {
  verify: [
    'verify',
    '--policies',
    'policies.yaml',
    '--bundle',
    'model.sig',
    '--digest',
    KEYLESS.digest,
  ],
  check: ['check', '--policies', 'policies.yaml', 'isvc.yaml'],
  test: ['test', 'suite'],
};

for (const [name, argv] of Object.entries(COMMANDS)) {
  t.test(`aviary ${name}`, async (t) => {
    const dir = repo(t);
    const run = (...roots: string[]) =>
      runCli([...argv, ...roots.flatMap((r) => ['--trusted-root', r])], dir);
    t.match(await run(), { code: 0 }, 'the built-in root');
    t.match(await run('public-good=pg.json'), { code: 0 }, 'the shipped root as a file');
    const revoked = await run('public-good=revoked.json');
    t.equal(revoked.code, 1, 'Fulcio removed: not verified');
    if (name !== 'test') t.match(revoked.stdout, /SIG_INVALID/);
    t.match(
      await run('public-good=bad.json'),
      { code: 2, stderr: /bad\.json.*TRUST_ROOT_INVALID/ },
      'not a trusted root: bad input, no fallback',
    );
    t.match(
      await run('public-good=missing.json'),
      { code: 2, stderr: /TRUST_ROOT_READ_FAILED/ },
      'a missing file',
    );
    t.match(await run('nofile'), { code: 2, stderr: /USAGE_INVALID/ }, 'not NAME=FILE');
  });
}
