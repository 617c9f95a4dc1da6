import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { listPolicyFiles } from '@aviary/policies/engine';

// The one folder-listing rule of the CLI and the webhook (file mode, the file part of cluster
// mode, and the reload watcher): regular *.yaml/*.yml directly inside, sorted, no dotfiles, and
// symlinks only while they stay inside the folder.

const listed = async (target: string) =>
  (await listPolicyFiles(target)).map((f) => path.relative(target, f.path) || '.');

t.test('regular *.yaml and *.yml files directly inside, sorted; the rest is skipped', async (t) => {
  const dir = t.testdir({
    'b.yaml': 'b',
    'a.yml': 'a',
    'c.txt': 'c',
    'd.json': '{}',
    '.hidden.yaml': 'h',
    sub: { 'e.yaml': 'e' },
    'dir.yaml': {},
  });
  t.same(await listed(dir), ['a.yml', 'b.yaml']);
});

t.test('a file is itself, whatever its name', async (t) => {
  const dir = t.testdir({ 'policy.txt': 'p' });
  const file = path.join(dir, 'policy.txt');
  t.same(await listPolicyFiles(file), [{ path: file, real: file }]);
});

t.test('a missing path throws', async (t) => {
  await t.rejects(listPolicyFiles(path.join(t.testdir({}), 'missing')));
});

t.test('symlinks: followed inside the folder (a ConfigMap volume), never out of it', async (t) => {
  const dir = t.testdir({
    outside: { 'evil.yaml': 'e' },
    mount: { '..2026_11_28': { 'prod.yaml': 'p' }, sub: { 'deep.yaml': 'd' } },
  });
  const mount = path.join(dir, 'mount');
  symlinkSync('..2026_11_28', path.join(mount, '..data'));
  symlinkSync('..data/prod.yaml', path.join(mount, 'prod.yaml'));
  symlinkSync('sub/deep.yaml', path.join(mount, 'deep.yaml'));
  symlinkSync(path.join(dir, 'outside/evil.yaml'), path.join(mount, 'evil.yaml'));
  symlinkSync('../outside/evil.yaml', path.join(mount, 'relative-evil.yaml'));
  symlinkSync('..data/gone.yaml', path.join(mount, 'dangling.yaml'));
  symlinkSync('sub', path.join(mount, 'linked-dir.yaml'));
  symlinkSync('.', path.join(mount, 'self.yaml'));
  const all = await listPolicyFiles(mount);
  const files = all.filter((f) => !f.outside);
  t.same(
    files.map((f) => path.basename(f.path)),
    ['deep.yaml', 'prod.yaml'],
    'in-folder links are followed; links out, dangling links and links to folders are not',
  );
  t.same(
    all.filter((f) => f.outside).map((f) => path.basename(f.path)),
    ['evil.yaml', 'relative-evil.yaml'],
    'links out are listed as outside (so the loader can warn), never as policy files',
  );
  t.equal(files[1]!.path, path.join(mount, 'prod.yaml'), 'listed under its own name');
  t.match(files[1]!.real, /\.\.2026_11_28[\\/]prod\.yaml$/, 'read from where it resolves');
});

t.test('a folder reached through a symlink lists like the folder itself', async (t) => {
  const dir = t.testdir({ real: { 'a.yaml': 'a' } });
  mkdirSync(path.join(dir, 'links'));
  symlinkSync(path.join(dir, 'real'), path.join(dir, 'links/policies'));
  writeFileSync(path.join(dir, 'real/b.yaml'), 'b');
  t.same(await listed(path.join(dir, 'links/policies')), ['a.yaml', 'b.yaml']);
});
