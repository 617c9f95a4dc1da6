import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { formatDiagnostic } from '@aviary/policies';
import { loadPolicySnapshot } from '@aviary/webhook';
import { isvc } from '../helpers/isvc.js';
import { REPO } from '../helpers/paths.js';

const doc = (name: string, spec: string) =>
  `apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata: {name: ${name}}\nspec:\n${spec}`;
const PIN = doc('pin', '  pinning: {allowedSchemes: [s3]}\n');
const codes = (d: { code: string }[]) => d.map((x) => x.code);

t.test('a folder of policies, sorted by name, with a revision', async (t) => {
  const dir = t.testdir({
    'b.yaml': PIN,
    'a.yml': doc('canary', '  canary: {maxTrafficPercent: 10}\n'),
    'notes.txt': 'not a policy',
    '.hidden.yaml': 'ignored: true',
  });
  const r = await loadPolicySnapshot({ policies: dir });
  t.same(r.diagnostics, []);
  t.same(r.snapshot?.names, ['canary', 'pin']);
  t.match(r.snapshot?.revision, /^[0-9a-f]{12}$/);
  const d = r.snapshot!.engine.evaluate({
    object: isvc({ uri: 'gs://m/1/' }),
    operation: 'CREATE',
    namespace: 'ml',
    namespaceLabels: undefined,
  });
  t.same(d.matched, ['canary', 'pin']);
  t.equal(d.allowed, false);
});

t.test('a ConfigMap volume: symlinked files are read', async (t) => {
  const dir = t.testdir({ '..2026_01_01': { 'pin.yaml': PIN } });
  symlinkSync('..2026_01_01', path.join(dir, '..data'));
  symlinkSync('..data/pin.yaml', path.join(dir, 'pin.yaml'));
  const r = await loadPolicySnapshot({ policies: dir });
  t.same(r.snapshot?.names, ['pin']);
});

t.test('a symlink out of the folder is not followed, as in aviary check', async (t) => {
  const dir = t.testdir({
    elsewhere: { 'deny.yaml': doc('deny', '  pinning: {allowedSchemes: [pvc]}\n') },
    policies: { 'pin.yaml': PIN },
  });
  symlinkSync(path.join(dir, 'elsewhere/deny.yaml'), path.join(dir, 'policies/deny.yaml'));
  const r = await loadPolicySnapshot({ policies: path.join(dir, 'policies') });
  t.same(r.diagnostics, []);
  t.same(r.snapshot?.names, ['pin']);
});

t.test('problems come back as diagnostics with file and line; no snapshot', async (t) => {
  const dir = t.testdir({
    'bad.yaml': `${PIN}---\n${doc('other', '  mode: enforcing\n')}`,
  });
  const r = await loadPolicySnapshot({ policies: dir });
  t.equal(r.snapshot, undefined);
  t.same(codes(r.diagnostics), ['POLICY_SCHEMA']);
  t.match(
    formatDiagnostic(r.diagnostics[0]!),
    new RegExp(`^${dir}/bad\\.yaml:\\d+:\\d+: POLICY_SCHEMA`),
  );

  const dup = t.testdir({ 'a.yaml': PIN, 'b.yaml': PIN });
  t.same(codes((await loadPolicySnapshot({ policies: dup })).diagnostics), [
    'POLICY_DUPLICATE_NAME',
  ]);

  const empty = t.testdir({ 'README.md': '# nothing here' });
  t.same(codes((await loadPolicySnapshot({ policies: empty })).diagnostics), ['POLICY_NONE']);

  t.same(codes((await loadPolicySnapshot({ policies: path.join(empty, 'missing') })).diagnostics), [
    'POLICY_READ_FAILED',
  ]);
});

t.test('signature authorities are built once per load; a bad one is a diagnostic', async (t) => {
  const keyed = readFileSync(
    path.join(REPO, 'policies/catalog/production-signatures.yaml'),
    'utf8',
  );
  const ok = await loadPolicySnapshot({ policies: t.testdir({ 'p.yaml': keyed }) });
  t.same(ok.snapshot?.names, ['production-signatures']);

  const broken = doc(
    'sig',
    '  signatures:\n    required: true\n    authorities:\n      - name: k\n        key: {publicKey: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n"}\n',
  );
  const r = await loadPolicySnapshot({ policies: t.testdir({ 'p.yaml': broken }) });
  t.equal(r.snapshot, undefined);
  t.match(r.diagnostics, [{ code: /^POLICY_/, path: 'spec.signatures.authorities' }]);
});

t.test('a policy with only warnings loads, and the warnings come with it', async (t) => {
  const dir = t.testdir({
    // The catalog's signature policy with pinning instead of required signatures.
    'p.yaml': readFileSync(path.join(REPO, 'policies/catalog/production-signatures.yaml'), 'utf8')
      .replace('name: production-signatures', 'name: verify-only')
      .replace('required: true', 'required: false')
      .replace('  signatures:', '  pinning: {}\n  signatures:'),
  });
  const r = await loadPolicySnapshot({ policies: dir });
  t.same(r.diagnostics, []);
  t.same(r.snapshot?.names, ['verify-only']);
  t.same(codes(r.warnings ?? []), ['POLICY_SIGNATURES_NOT_REQUIRED']);
});

t.test('extra trusted roots for keyless authorities', async (t) => {
  const keyless = doc(
    'keyless',
    '  signatures:\n    required: true\n    authorities:\n      - name: ci\n        keyless: {issuer: "https://token.actions.githubusercontent.com", subject: "https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main", trustedRoot: corp}\n',
  );
  const root = readFileSync(path.join(REPO, 'policies/trust/public-good.json'), 'utf8');
  const dir = t.testdir({ policies: { 'p.yaml': keyless }, 'corp.json': root, 'bad.json': '{' });
  const policies = path.join(dir, 'policies');

  const ok = await loadPolicySnapshot({
    policies,
    trustedRoots: { corp: path.join(dir, 'corp.json') },
  });
  t.same(ok.diagnostics, []);
  t.same(ok.snapshot?.names, ['keyless']);

  const unknown = await loadPolicySnapshot({ policies });
  t.match(unknown.diagnostics, [{ message: /trusted root "corp" was not supplied/ }]);

  const notJson = await loadPolicySnapshot({
    policies,
    trustedRoots: { corp: path.join(dir, 'bad.json') },
  });
  t.match(notJson.diagnostics, [{ code: 'TRUST_ROOT_INVALID', message: /not JSON/ }]);
  const missing = await loadPolicySnapshot({
    policies,
    trustedRoots: { corp: path.join(dir, 'none.json') },
  });
  t.match(missing.diagnostics, [{ code: 'TRUST_ROOT_READ_FAILED', message: /cannot read/ }]);
});
