import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { commitAt, openRepo, repoPath, snapshot } from '../../plugin/src/analyze/git.js';
import { gitRunner, redact } from '../../plugin/src/analyze/git-run.js';
import { gitFixture, release } from './git-support.js';

t.test('a clone on a branch opens: top folder, branch, HEAD', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  const head = f.commit(work, { 'apps/r.yaml': release('r') }, 1000);
  const repo = await openRepo(path.join(work, 'apps'), { env: f.env });
  t.equal(repo.root, work);
  t.equal(repo.branch, 'main');
  t.equal(repo.head, head);
});

t.test('no work tree, a bare repository, a missing folder: GIT_NOT_A_WORK_TREE', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  for (const dir of [f.dir, f.bare, path.join(f.dir, 'missing')])
    await t.rejects(openRepo(dir, { env: f.env }), { code: 'GIT_NOT_A_WORK_TREE', exit: 2 }, dir);
});

t.test('a detached HEAD is refused: GIT_DETACHED', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'r.yaml': release('r') }, 1000);
  f.git(work, ['checkout', '--quiet', '--detach']);
  await t.rejects(openRepo(work, { env: f.env }), { code: 'GIT_DETACHED', exit: 2 });
});

t.test('a shallow clone is refused: GIT_SHALLOW', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'r.yaml': release('r') }, 1000);
  f.commit(work, { 'r.yaml': release('r', { traffic: 5 }) }, 2000);
  f.git(work, ['push', '--quiet', 'origin', 'main']);
  const shallow = f.clone('shallow', ['--depth', '1']);
  await t.rejects(openRepo(shallow, { env: f.env }), { code: 'GIT_SHALLOW', exit: 2 });
  // The full clone of the same remote opens.
  t.ok(await openRepo(f.clone('full'), { env: f.env }));
});

t.test('--at: the newest first-parent commit with committer time <= T', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  const c1 = f.commit(work, { 'r.yaml': release('r') }, 1000);
  const c2 = f.commit(work, { 'r.yaml': release('r', { traffic: 5 }) }, 2000);
  // A feature branch commit dated 2600, merged at 2800: at 2700 the branch still held c2.
  f.git(work, ['checkout', '--quiet', '-b', 'feature', c1]);
  f.commit(work, { 'other.yaml': 'a: 1\n' }, 2600);
  f.git(work, ['checkout', '--quiet', 'main']);
  const date = '@2800 +0000';
  f.git(work, ['merge', '--quiet', '--no-ff', '--no-edit', 'feature'], undefined, {
    GIT_COMMITTER_DATE: date,
    GIT_AUTHOR_DATE: date,
  });
  const m = f.git(work, ['rev-parse', 'HEAD']).trim();
  const repo = await openRepo(work, { env: f.env });
  t.same(await commitAt(repo, 2700), { commit: c2, time: 2000 });
  t.same(await commitAt(repo, 2000), { commit: c2, time: 2000 }, 'T itself counts');
  t.same(await commitAt(repo, 1999.5), { commit: c1, time: 1000 });
  t.same(await commitAt(repo, 5000), { commit: m, time: 2800 });
  await t.rejects(commitAt(repo, 999), { code: 'USAGE_INVALID', exit: 2 });
});

t.test('a snapshot holds the commit tree and leaves the repository as it was', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  const c1 = f.commit(work, { 'apps/r.yaml': release('r'), 'x/y/z.txt': 'z\n' }, 1000);
  f.commit(work, { 'apps/r.yaml': release('r', { traffic: 5 }) }, 2000);
  const repo = await openRepo(work, { env: f.env });
  const snap = await snapshot(repo, c1);
  t.equal(readFileSync(path.join(snap.dir, 'apps/r.yaml'), 'utf8'), release('r'));
  t.equal(readFileSync(path.join(snap.dir, 'x/y/z.txt'), 'utf8'), 'z\n');
  t.notOk(existsSync(path.join(snap.dir, '.git')));
  t.equal(f.git(work, ['status', '--porcelain']), '', 'work tree and index untouched');
  t.equal(f.git(work, ['worktree', 'list']).trim().split('\n').length, 1, 'no worktree added');
  await snap.dispose();
  t.notOk(existsSync(snap.dir));
});

t.test('credentials in a remote URL never reach a message', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'r.yaml': release('r') }, 1000);
  f.git(work, ['remote', 'set-url', 'origin', 'https://robot:s3cr3t-t0ken@127.0.0.1:1/repo.git']);
  const git = gitRunner(work, f.env, 20_000);
  const err = await git(['fetch', 'origin']).catch((e: unknown) => e as Error);
  t.match(err, { code: 'GIT_FAILED', exit: 4 });
  t.match((err as Error).message, /127\.0\.0\.1/, "git's message is kept");
  t.notMatch((err as Error).message, /s3cr3t|robot/);
  const args = await git(['ls-remote', 'https://robot:s3cr3t-t0ken@127.0.0.1:1/x.git']).catch(
    (e: unknown) => e as Error,
  );
  t.notMatch((args as Error).message, /s3cr3t|robot/, 'nor from the arguments');
  t.equal(
    redact('see https://u:p@h/x and ssh://git@h:22/y, not git@h:z'),
    'see https://h/x and ssh://h:22/y, not git@h:z',
  );
});

t.test('a git call is bounded in time and output', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'r.yaml': release('r') }, 1000);
  // An ssh transport that never answers (a child of git): the whole group is killed.
  const slow = gitRunner(work, { ...f.env, GIT_SSH_COMMAND: 'sleep 30; :' }, 500);
  const started = Date.now();
  await t.rejects(slow(['ls-remote', 'ssh://example.invalid/repo.git']), {
    code: 'GIT_FAILED',
    message: /timed out/,
  });
  t.ok(Date.now() - started < 10_000, 'did not wait for the child');
  const git = gitRunner(work, f.env);
  await t.rejects(git(['cat-file', '-p', 'HEAD:r.yaml'], { maxBytes: 10 }), {
    code: 'GIT_FAILED',
    message: /more than 10 bytes/,
  });
});

t.test('repoPath: a file as git names it, never outside the work tree', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'apps/r.yaml': release('r') }, 1000);
  const repo = await openRepo(work, { env: f.env });
  t.equal(await repoPath(repo, path.join(work, 'apps', '..', 'apps', 'r.yaml')), 'apps/r.yaml');
  t.equal(await repoPath(repo, path.join(work, 'apps', 'new.yaml')), 'apps/new.yaml');
  for (const outside of [work, f.dir, path.join(f.dir, 'x.yaml')])
    await t.rejects(repoPath(repo, outside), { code: 'USAGE_INVALID', exit: 2 }, outside);
});
