import t from 'tap';
import { blobReader, readBlobs } from '../../plugin/src/analyze/git-blobs.js';
import type { Git } from '../../plugin/src/analyze/git-run.js';
import { openRepo } from '../../plugin/src/analyze/git.js';
import { gitFixture } from './git-support.js';

t.test('concurrent reads share one cat-file pair and answer each caller', async (t) => {
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const work = fx.clone('work');
  const c1 = fx.commit(work, { 'a.yaml': 'one\n', 'b.yaml': 'bee\n' }, 1000);
  const c2 = fx.commit(work, { 'a.yaml': 'two\n' }, 2000);
  const repo = await openRepo(work, { env: fx.env });
  let calls = 0;
  const counting = Object.assign(
    (args: readonly string[], call?: Parameters<Git>[1]) => {
      calls++;
      return repo.git(args, call);
    },
    { cwd: repo.git.cwd },
  ) as Git;
  const read = blobReader(counting);
  const asked = [
    [{ commit: c2, path: 'a.yaml' }],
    [
      { commit: c1, path: 'a.yaml' },
      { commit: c1, path: 'missing.yaml' },
    ],
    [{ commit: c2, path: 'b.yaml' }],
  ];
  const answers = await Promise.all(asked.map((specs) => read(specs)));
  t.same(answers, [['two\n'], ['one\n', undefined], ['bee\n']]);
  t.same(answers, await Promise.all(asked.map((specs) => readBlobs(repo.git, specs))));
  t.equal(calls, 2, 'one --batch-check and one --batch for all three callers');
});

t.test('a bad request fails its caller only', async (t) => {
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const work = fx.clone('work');
  const c1 = fx.commit(work, { 'a.yaml': 'one\n' }, 1000);
  const read = blobReader((await openRepo(work, { env: fx.env })).git);
  const bad = read([{ commit: c1, path: 'a\nb.yaml' }]).then(
    () => undefined,
    (e: unknown) => e,
  );
  const good = read([{ commit: c1, path: 'a.yaml' }]);
  t.match(await bad, { code: 'GIT_FAILED' });
  t.same(await good, ['one\n']);
});

t.test('a git failure reaches every caller of the batch', async (t) => {
  const fx = gitFixture();
  t.teardown(() => fx.dispose());
  const work = fx.clone('work');
  const c1 = fx.commit(work, { 'a.yaml': 'one\n' }, 1000);
  const repo = await openRepo(work, { env: fx.env });
  const broken = Object.assign(() => Promise.reject(new Error('git died')), {
    cwd: repo.git.cwd,
  }) as unknown as Git;
  const read = blobReader(broken);
  const results = await Promise.allSettled([
    read([{ commit: c1, path: 'a.yaml' }]),
    read([{ commit: c1, path: 'a.yaml' }]),
  ]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
});
