import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadPolicySet } from '@aviary/policies/engine';
import { policy } from '../../helpers/isvc.js';
import { NOT_A_ROOT, PUBLIC_GOOD, withoutFulcio } from '../../helpers/keyless.js';

// loadPolicySet: the one loader of the CLI and the webhook. The webhook's own use of it is in
// test/webhook/file-source.test.ts; the CLI-against-webhook comparison in test/cli-webhook-parity.test.ts.

const PIN = policy('pin', 'pinning: {allowedSchemes: [s3]}');
const codes = (d: { code: string }[]) => d.map((x) => x.code);

t.test('a folder laid out like a mounted ConfigMap (symlinks into ..data) loads', async (t) => {
  const dir = t.testdir({ outside: { 'evil.yaml': policy('evil', 'pinning: {}') } });
  const mount = path.join(dir, 'mount');
  mkdirSync(path.join(mount, '..2026_11_28'), { recursive: true });
  writeFileSync(path.join(mount, '..2026_11_28/prod.yaml'), policy('prod', 'pinning: {}'));
  symlinkSync('..2026_11_28', path.join(mount, '..data'));
  symlinkSync('..data/prod.yaml', path.join(mount, 'prod.yaml'));
  symlinkSync(path.join(dir, 'outside/evil.yaml'), path.join(mount, 'evil.yaml'));
  const r = await loadPolicySet({ policies: [mount] });
  t.same(r.diagnostics, []);
  t.same(
    r.policies.map((p) => p.name),
    ['prod'],
    'the in-folder symlink is followed; the one leaving the folder is not',
  );
  t.same(
    r.engine?.policies.map((p) => p.name),
    ['prod'],
  );
  t.equal(r.policies[0]!.file, path.join(mount, 'prod.yaml'), 'shown under its listed name');
  t.match(
    r.warnings,
    [{ code: 'POLICY_FILE_SKIPPED', file: path.join(mount, 'evil.yaml') }],
    'and the skipped link is said, not silent',
  );
});

t.test('a missing path is a positioned read error, and no engine', async (t) => {
  const r = await loadPolicySet({ policies: ['nope'], cwd: t.testdir({}) });
  t.same(r.diagnostics, [
    { code: 'POLICY_READ_FAILED', message: 'cannot read policies', file: 'nope' },
  ]);
  t.equal(r.engine, undefined);
});

t.test('files are shown relative to cwd, or as given without it', async (t) => {
  const dir = t.testdir({ pol: { 'bad.yaml': `${PIN}${policy('x', 'mode: enforcing')}` } });
  const inCwd = await loadPolicySet({ policies: ['./pol'], cwd: dir });
  t.match(inCwd.diagnostics, [{ code: 'POLICY_SCHEMA', file: path.join('pol', 'bad.yaml') }]);
  const absolute = await loadPolicySet({ policies: [path.join(dir, 'pol')] });
  t.match(absolute.diagnostics, [{ code: 'POLICY_SCHEMA', file: path.join(dir, 'pol/bad.yaml') }]);
  t.equal(absolute.engine, undefined, 'a file with any problem refuses the whole set');
});

t.test('an empty set is refused unless allowed', async (t) => {
  const dir = t.testdir({ 'README.md': '# nothing here' });
  const refused = await loadPolicySet({ policies: [dir] });
  t.same(codes(refused.diagnostics), ['POLICY_NONE']);
  t.equal(refused.engine, undefined);
  const allowed = await loadPolicySet({ policies: [dir], allowEmpty: true });
  t.same(allowed.diagnostics, []);
  t.same(allowed.engine?.policies, []);
  const nothing = await loadPolicySet({ policies: [], allowEmpty: true });
  t.same(nothing.diagnostics, [], 'no path at all: the trusted roots alone (cluster mode)');
});

t.test('paths merge into one set; a name defined twice is reported once', async (t) => {
  const dir = t.testdir({
    a: { 'p.yaml': PIN },
    b: { 'p.yaml': PIN, 'q.yaml': policy('q', 'pinning: {}') },
  });
  const both = await loadPolicySet({ policies: ['a', 'b'], cwd: dir });
  t.same(both.diagnostics, [
    {
      code: 'POLICY_DUPLICATE_NAME',
      message: `policy "pin" is also defined at ${path.join('a', 'p.yaml')}:1`,
      file: path.join('b', 'p.yaml'),
      line: 1,
      column: 1,
    },
  ]);
  const one = await loadPolicySet({ policies: ['a', 'b/q.yaml'], cwd: dir });
  t.same(one.diagnostics, []);
  t.same(
    one.policies.map((p) => p.name),
    ['pin', 'q'],
  );
});

t.test('trusted roots: built in, replaced by a file, refused when unusable', async (t) => {
  const dir = t.testdir({
    'p.yaml': PIN,
    'pg.json': PUBLIC_GOOD,
    'revoked.json': withoutFulcio(),
    'bad.json': NOT_A_ROOT,
  });
  const builtIn = await loadPolicySet({ policies: ['p.yaml'], cwd: dir });
  t.same(builtIn.origins, { 'public-good': 'built-in' });
  t.same(Object.keys(builtIn.trustedRoots), ['public-good']);

  const file = await loadPolicySet({
    policies: ['p.yaml'],
    cwd: dir,
    trustedRoots: { 'public-good': 'pg.json', corp: 'pg.json' },
  });
  t.same(file.diagnostics, []);
  t.same(file.origins, {
    'public-good': path.join(dir, 'pg.json'),
    corp: path.join(dir, 'pg.json'),
  });
  t.equal(
    file.revision,
    (
      await loadPolicySet({
        policies: ['p.yaml'],
        cwd: dir,
        trustedRoots: { 'public-good': 'pg.json', corp: 'pg.json' },
      })
    ).revision,
    'equal sets, equal revisions',
  );

  const revoked = await loadPolicySet({
    policies: ['p.yaml'],
    cwd: dir,
    trustedRoots: { 'public-good': 'revoked.json' },
  });
  t.not(revoked.revision, builtIn.revision, 'a rotated root alone changes the revision');

  const bad = await loadPolicySet({
    policies: ['p.yaml'],
    cwd: dir,
    trustedRoots: { 'public-good': 'bad.json' },
  });
  t.match(bad.diagnostics, [{ code: 'TRUST_ROOT_INVALID', file: 'bad.json' }]);
  t.equal(bad.engine, undefined, 'never a silent fallback to the built-in root');
});

t.test('warnings ride along; they never refuse the set', async (t) => {
  const dir = t.testdir({
    'p.yaml': policy(
      'verify-only',
      'pinning: {}\nsignatures:\n  required: false\n  authorities:\n    - name: k\n      keyless: {issuer: "https://token.actions.githubusercontent.com", subject: "https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main"}',
    ),
  });
  const r = await loadPolicySet({ policies: [dir] });
  t.same(r.diagnostics, []);
  t.same(codes(r.warnings), ['POLICY_SIGNATURES_NOT_REQUIRED']);
  t.same([...r.verifiers.keys()], ['verify-only'], 'one verifier per policy with authorities');
  t.ok(r.engine);
});
