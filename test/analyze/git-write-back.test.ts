import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { setTraffic } from '../../plugin/src/analyze/edit.js';
import { openRepo } from '../../plugin/src/analyze/git.js';
import { commitMessage } from '../../plugin/src/analyze/message.js';
import { writeBack, type WriteBackRequest } from '../../plugin/src/analyze/write-back.js';
import { gitFixture, release, type GitFixture } from './git-support.js';

const FILE = 'apps/r.yaml';
const both = (fraud: string, other: string) => `${fraud}---\n${other}`;
const start = both(release('fraud', { traffic: 5 }), release('other', { traffic: 5 }));
const message = commitMessage({
  decision: 'step',
  release: 'fraud',
  from: 5,
  to: 25,
  metricLines: ['error-rate 0.004 (max 0.01) passed'],
  analysis: 'errors',
});
const request: WriteBackRequest = {
  file: FILE,
  release: { name: 'fraud' },
  edit: (text, i) => setTraffic(text, i, 25),
  message,
  inputs: ['analysis/errors.yaml'],
};

/** A remote holding the release file, the analyzer's clone of it and a person's clone. */
async function setup(t: Test) {
  const f = gitFixture();
  t.teardown(f.dispose);
  const seed = f.clone('seed');
  f.commit(
    seed,
    { [FILE]: start, 'analysis/errors.yaml': 'kind: ModelAnalysis\n', 'other.yaml': 'a: 1\n' },
    1000,
  );
  f.git(seed, ['push', '--quiet', 'origin', 'main']);
  const work = f.clone('work');
  const human = f.clone('human');
  const date = '@5000 +0000';
  const env = { ...f.env, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date };
  const repo = await openRepo(work, { env });
  return { f, work, human, repo, env };
}

const remoteHead = (f: GitFixture) => f.git(f.bare, ['rev-parse', 'main']).trim();
const remoteFile = (f: GitFixture, file: string) => f.git(f.bare, ['show', `main:${file}`]);

t.test('one commit, pushed without force: message, trailers, identity, one file', async (t) => {
  const { f, work, repo } = await setup(t);
  const result = await writeBack(repo, request);
  t.match(result, { status: 'pushed', attempts: 1 });
  if (result.status !== 'pushed') return;
  t.equal(remoteHead(f), result.commit, 'the remote holds the commit');
  t.equal(f.git(work, ['rev-parse', 'HEAD']).trim(), result.commit, 'and the local branch');
  t.equal(f.git(work, ['rev-parse', `${result.commit}^`]).trim(), repo.head, 'on the base');
  t.equal(f.git(work, ['log', '-1', '--format=%B', result.commit]), `${message}\n`);
  t.equal(
    f.git(work, ['log', '-1', '--format=%(trailers:only,unfold)', result.commit]),
    'Aviary-Release: fraud\nAviary-Decision: step\nAviary-Analysis: errors\n\n',
  );
  t.equal(
    f.git(work, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%ct', result.commit]).trim(),
    'Test Person <person@example.com>|Test Person <person@example.com>|5000',
    "the configured identity; the environment's date",
  );
  t.equal(f.git(work, ['diff', '--name-only', repo.head, result.commit]), `${FILE}\n`);
  t.equal(remoteFile(f, FILE), setTraffic(start, 0, 25));
  t.equal(readFileSync(path.join(work, FILE), 'utf8'), setTraffic(start, 0, 25));
  t.equal(f.git(work, ['status', '--porcelain']), '', 'work tree and index agree');
});

t.test('no identity configured: aviary <aviary@localhost>', async (t) => {
  const { f, work, repo } = await setup(t);
  f.git(work, ['config', '--unset', 'user.name']);
  f.git(work, ['config', '--unset', 'user.email']);
  const result = await writeBack(repo, request);
  t.equal(
    f
      .git(work, [
        'log',
        '-1',
        '--format=%an <%ae>|%cn <%ce>',
        (result as { commit: string }).commit,
      ])
      .trim(),
    'aviary <aviary@localhost>|aviary <aviary@localhost>',
  );
  const named = await setup(t);
  named.f.git(named.work, ['config', '--unset', 'user.name']);
  named.f.git(named.work, ['config', '--unset', 'user.email']);
  const repo2 = await openRepo(named.work, {
    env: { ...named.env, GIT_AUTHOR_NAME: 'CI', GIT_AUTHOR_EMAIL: 'ci@example.com' },
  });
  const r2 = await writeBack(repo2, request);
  t.equal(
    named.f
      .git(named.work, [
        'log',
        '-1',
        '--format=%an <%ae>|%cn <%ce>',
        (r2 as { commit: string }).commit,
      ])
      .trim(),
    'CI <ci@example.com>|aviary <aviary@localhost>',
    'what the environment sets wins; only the rest is defaulted',
  );
});

t.test('push: false commits on the local branch only', async (t) => {
  const { f, work, repo } = await setup(t);
  const before = remoteHead(f);
  const result = await writeBack(repo, { ...request, push: false });
  t.match(result, { status: 'committed' });
  t.equal(remoteHead(f), before);
  t.equal(f.git(work, ['rev-parse', 'HEAD']).trim(), (result as { commit: string }).commit);
});

t.test(
  'rejected push, only another file changed: re-applied on the upstream, pushed',
  async (t) => {
    const { f, human, repo } = await setup(t);
    const theirs = f.commit(human, { 'other.yaml': 'a: 2\n' }, 2000);
    f.git(human, ['push', '--quiet', 'origin', 'main']);
    const result = await writeBack(repo, request);
    t.match(result, { status: 'pushed', attempts: 2 });
    const commit = (result as { commit: string }).commit;
    t.equal(remoteHead(f), commit);
    t.equal(f.git(f.bare, ['rev-parse', `${commit}^`]).trim(), theirs, 'on top of theirs');
    t.equal(remoteFile(f, 'other.yaml'), 'a: 2\n', 'their change kept');
    t.equal(remoteFile(f, FILE), setTraffic(start, 0, 25));
  },
);

t.test('rejected push, another release of the same file changed: no conflict', async (t) => {
  const { f, human, repo } = await setup(t);
  const theirs = both(release('fraud', { traffic: 5 }), release('other', { traffic: 50 }));
  f.commit(human, { [FILE]: theirs }, 2000);
  f.git(human, ['push', '--quiet', 'origin', 'main']);
  const result = await writeBack(repo, request);
  t.match(result, { status: 'pushed', attempts: 2 });
  t.equal(remoteFile(f, FILE), setTraffic(theirs, 0, 25), 'both changes');
});

t.test('a person changed the release between read and push: dropped, theirs kept', async (t) => {
  const { f, work, human, repo } = await setup(t);
  const changed = both(release('fraud', { traffic: 0 }), release('other', { traffic: 5 }));
  const theirs = f.commit(human, { [FILE]: changed }, 2000);
  f.git(human, ['push', '--quiet', 'origin', 'main']);
  const result = await writeBack(repo, request);
  t.match(result, { status: 'superseded', code: 'ROLLOUT_SUPERSEDED', upstream: theirs });
  t.equal(remoteHead(f), theirs, 'the remote keeps their commit, and only it');
  t.equal(remoteFile(f, FILE), changed);
  t.equal(f.git(work, ['rev-parse', 'HEAD']).trim(), theirs, 'the local branch follows');
  t.equal(f.git(work, ['status', '--porcelain']), '');
});

t.test(
  'a comment-only edit of the release does not supersede (its meaning is unchanged)',
  async (t) => {
    const { f, human, repo } = await setup(t);
    const theirs = both(
      release('fraud', { traffic: 5 }, { comment: 'ok' }),
      release('other', { traffic: 5 }),
    );
    f.commit(human, { [FILE]: theirs }, 2000);
    f.git(human, ['push', '--quiet', 'origin', 'main']);
    t.match(await writeBack(repo, request), { status: 'pushed', attempts: 2 });
    t.equal(remoteFile(f, FILE), setTraffic(theirs, 0, 25), 'their comment kept');
  },
);

t.test('the analysis changed upstream: superseded', async (t) => {
  const { f, human, repo } = await setup(t);
  const theirs = f.commit(human, { 'analysis/errors.yaml': 'kind: ModelAnalysis # v2\n' }, 2000);
  f.git(human, ['push', '--quiet', 'origin', 'main']);
  t.match(await writeBack(repo, request), { status: 'superseded' });
  t.equal(remoteHead(f), theirs);
});

t.test('a local commit to the release after the read supersedes too', async (t) => {
  const { f, work, repo } = await setup(t);
  f.commit(
    work,
    { [FILE]: both(release('fraud', { traffic: 0 }), release('other', { traffic: 5 })) },
    2000,
  );
  t.match(await writeBack(repo, { ...request, push: false }), { status: 'superseded' });
});

t.test('a remote that keeps moving: three pushes, then GIT_PUSH_REJECTED', async (t) => {
  const { f, work, repo } = await setup(t);
  const racer = f.clone('racer');
  // Each push to the remote first lets the racer land a commit of another file.
  const script = path.join(f.dir, 'racing-receive-pack');
  writeFileSync(
    script,
    `#!/bin/sh\nunset $(git rev-parse --local-env-vars)\n(cd '${racer}' && git pull -q && echo x >> other.yaml && git commit -qam race && git push -q origin main) >&2\nexec git-receive-pack "$@"\n`,
  );
  chmodSync(script, 0o755);
  f.git(work, ['config', 'remote.origin.receivepack', script]);
  const before = f.git(f.bare, ['rev-list', '--count', 'main']).trim();
  await t.rejects(writeBack(repo, request), { code: 'GIT_PUSH_REJECTED', exit: 4 });
  t.equal(
    Number(f.git(f.bare, ['rev-list', '--count', 'main'])),
    Number(before) + 3,
    'three races',
  );
  t.notMatch(f.git(f.bare, ['log', '--format=%s', 'main']), 'aviary:', 'nothing of ours landed');
});

t.test('a remote that declines (a hook): GIT_PUSH_REJECTED at once', async (t) => {
  const { f, repo } = await setup(t);
  const hook = path.join(f.bare, 'hooks', 'pre-receive');
  writeFileSync(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
  chmodSync(hook, 0o755);
  const before = remoteHead(f);
  await t.rejects(writeBack(repo, request), {
    code: 'GIT_PUSH_REJECTED',
    exit: 4,
    message: /remote rejected/,
  });
  t.equal(remoteHead(f), before);
});

t.test('uncommitted changes in the file, no upstream, a failing remote', async (t) => {
  const { f, work, repo } = await setup(t);
  writeFileSync(path.join(work, FILE), `${start}# mine\n`);
  await t.rejects(writeBack(repo, request), { code: 'GIT_WORK_TREE_DIRTY', exit: 2 });
  t.equal(f.git(work, ['rev-parse', 'HEAD']).trim(), repo.head, 'nothing committed');
  f.git(work, ['checkout', '--', FILE]);
  f.git(work, ['branch', '--unset-upstream']);
  await t.rejects(writeBack(repo, request), { code: 'GIT_FAILED', exit: 2 });
  f.git(work, ['branch', '--set-upstream-to=origin/main']);
  f.git(work, ['remote', 'set-url', 'origin', 'https://robot:s3cr3t@127.0.0.1:1/r.git']);
  const err = await writeBack(repo, request).catch((e: unknown) => e as Error);
  t.match(err, { code: 'GIT_FAILED', exit: 4 });
  t.notMatch((err as Error).message, /s3cr3t|robot/);
  t.equal(f.git(work, ['rev-parse', 'HEAD']).trim(), repo.head, 'the local branch did not move');
});
