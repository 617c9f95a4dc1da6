import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { readPolicyPath } from '@aviary/policies/engine';
import { policy } from '../../helpers/isvc.js';

t.test('a folder laid out like a mounted ConfigMap (symlinks into ..data) loads', async (t) => {
  const dir = t.testdir({ outside: { 'evil.yaml': policy('evil', 'pinning: {}') } });
  const mount = path.join(dir, 'mount');
  mkdirSync(path.join(mount, '..2026_11_28'), { recursive: true });
  writeFileSync(path.join(mount, '..2026_11_28/prod.yaml'), policy('prod', 'pinning: {}'));
  symlinkSync('..2026_11_28', path.join(mount, '..data'));
  symlinkSync('..data/prod.yaml', path.join(mount, 'prod.yaml'));
  symlinkSync(path.join(dir, 'outside/evil.yaml'), path.join(mount, 'evil.yaml'));
  const r = await readPolicyPath(mount);
  t.same(r.diagnostics, []);
  t.same(
    r.policies.map((p) => p.name),
    ['prod'],
    'the in-folder symlink is followed; the one leaving the folder is not',
  );
});

t.test('a missing path is a positioned read error', async (t) => {
  const r = await readPolicyPath(path.join(t.testdir({}), 'nope'), 'nope');
  t.match(r.diagnostics, [{ code: 'POLICY_READ_FAILED', file: 'nope' }]);
});
