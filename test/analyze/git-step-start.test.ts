import { mkdirSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openRepo } from '../../plugin/src/analyze/git.js';
import { stepStart } from '../../plugin/src/analyze/step-start.js';
import { DIGEST, gitFixture, release } from './git-support.js';

const R = { name: 'fraud' };
const other = (traffic: number) => release('other', { traffic });

/** A repository whose history is the given steps (file contents at times); T0 at its HEAD. */
async function t0(
  t: Test,
  steps: [number, Record<string, string>][],
  file = 'apps/r.yaml',
  id: { name: string; namespace?: string } = R,
  options = {},
) {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  for (const [time, files] of steps) f.commit(work, files, time);
  const repo = await openRepo(work, { env: f.env });
  return stepStart(repo, repo.head, file, id, options);
}

const both = (fraud: string, o: string) => `${fraud}---\n${o}`;

t.test('creation with a canary starts the step', async (t) => {
  t.equal(await t0(t, [[1000, { 'apps/r.yaml': release('fraud', { traffic: 5 }) }]]), 1000);
});

t.test('a release without a canary has no step', async (t) => {
  t.equal(await t0(t, [[1000, { 'apps/r.yaml': release('fraud') }]]), undefined);
  t.equal(await t0(t, [[1000, { 'apps/r.yaml': release('x', { traffic: 5 }) }]]), undefined);
});

t.test('edits of the same file that leave the canary alone do not restart it', async (t) => {
  const five = release('fraud', { traffic: 5 });
  t.equal(
    await t0(t, [
      [1000, { 'apps/r.yaml': both(release('fraud'), other(5)) }],
      [2000, { 'apps/r.yaml': both(five, other(5)) }],
      [3000, { 'apps/r.yaml': both(five, other(25)) }], // another release of the file moved
      [
        4000,
        { 'apps/r.yaml': both(release('fraud', { traffic: 5 }, { comment: 'x' }), other(25)) },
      ],
      [5000, { 'apps/x.yaml': 'unrelated: 1\n' }],
    ]),
    2000,
    'the canary appeared at 2000',
  );
});

t.test('a change of traffic, digest or uri restarts the step', async (t) => {
  const base: [number, Record<string, string>][] = [
    [1000, { 'apps/r.yaml': release('fraud', { traffic: 5 }) }],
    [2000, { 'apps/r.yaml': release('fraud', { traffic: 5 }, { comment: 'edited' }) }],
  ];
  for (const [what, canary] of [
    ['traffic', { traffic: 25 }],
    ['digest', { traffic: 5, digest: DIGEST('c') }],
    ['uri', { traffic: 5, uri: 's3://models/fraud/3/' }],
  ] as const)
    t.equal(
      await t0(t, [...base, [3000, { 'apps/r.yaml': release('fraud', canary) }]]),
      3000,
      what,
    );
  t.equal(
    await t0(t, [
      ...base,
      [3000, { 'apps/r.yaml': release('fraud', { traffic: 25 }) }],
      [4000, { 'apps/r.yaml': release('fraud', { traffic: 5 }) }],
    ]),
    4000,
    'back to an earlier value is a change too',
  );
});

t.test('a release removed and added again starts at its return', async (t) => {
  const five = release('fraud', { traffic: 5 });
  t.equal(
    await t0(t, [
      [1000, { 'apps/r.yaml': both(five, other(5)) }],
      [2000, { 'apps/r.yaml': other(5) }],
      [3000, { 'apps/r.yaml': both(five, other(5)) }],
    ]),
    3000,
  );
});

t.test(
  'a version that does not read cleanly, or holds the release twice, ends the run',
  async (t) => {
    const five = release('fraud', { traffic: 5 });
    t.equal(
      await t0(t, [
        [1000, { 'apps/r.yaml': five }],
        [2000, { 'apps/r.yaml': `${five}spec: twice\n` }],
        [3000, { 'apps/r.yaml': five }],
      ]),
      3000,
      'a duplicate key',
    );
    t.equal(
      await t0(t, [
        [1000, { 'apps/r.yaml': five }],
        [2000, { 'apps/r.yaml': both(five, five) }],
        [3000, { 'apps/r.yaml': five }],
      ]),
      3000,
      'the release twice',
    );
  },
);

t.test('the identity includes the namespace', async (t) => {
  const a = (traffic: number) => release('fraud', { traffic }, { namespace: 'a' });
  const b = (traffic: number) => release('fraud', { traffic }, { namespace: 'b' });
  const steps: [number, Record<string, string>][] = [
    [1000, { 'apps/r.yaml': both(a(5), b(5)) }],
    [2000, { 'apps/r.yaml': both(a(5), b(25)) }],
  ];
  t.equal(await t0(t, steps, 'apps/r.yaml', { name: 'fraud', namespace: 'a' }), 1000);
  t.equal(await t0(t, steps, 'apps/r.yaml', { name: 'fraud', namespace: 'b' }), 2000);
  t.equal(await t0(t, steps, 'apps/r.yaml', { name: 'fraud' }), undefined, 'none without one');
});

t.test('a renamed file is followed: the move does not restart the step', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'apps/r.yaml': release('fraud', { traffic: 5 }) }, 1000);
  f.commit(work, { 'apps/r.yaml': release('fraud', { traffic: 25 }) }, 2000);
  mkdirSync(path.join(work, 'prod'));
  f.git(work, ['mv', 'apps/r.yaml', 'prod/fraud release.yaml']);
  f.commit(work, {}, 3000);
  f.commit(
    work,
    { 'prod/fraud release.yaml': release('fraud', { traffic: 25 }, { comment: 'c' }) },
    4000,
  );
  const repo = await openRepo(work, { env: f.env });
  t.equal(await stepStart(repo, repo.head, 'prod/fraud release.yaml', R), 2000);
});

t.test('first-parent: a change made on a branch starts when it is merged', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'r.yaml': release('fraud', { traffic: 5 }) }, 1000);
  f.git(work, ['checkout', '--quiet', '-b', 'feature']);
  f.commit(work, { 'r.yaml': release('fraud', { traffic: 25 }) }, 2000);
  f.git(work, ['checkout', '--quiet', 'main']);
  f.commit(work, { 'x.yaml': 'x: 1\n' }, 2500);
  const date = '@3000 +0000';
  f.git(work, ['merge', '--quiet', '--no-ff', '--no-edit', 'feature'], undefined, {
    GIT_COMMITTER_DATE: date,
    GIT_AUTHOR_DATE: date,
  });
  const repo = await openRepo(work, { env: f.env });
  t.equal(await stepStart(repo, repo.head, 'r.yaml', R), 3000);
});

t.test('the walk is bounded; past the bound the oldest version read is the start', async (t) => {
  const steps: [number, Record<string, string>][] = [
    [1000, { 'r.yaml': release('fraud', { traffic: 5 }) }],
  ];
  for (let i = 1; i <= 40; i++)
    steps.push([
      1000 + i * 100,
      { 'r.yaml': release('fraud', { traffic: 5 }, { comment: `${i}` }) },
    ]);
  t.equal(await t0(t, steps, 'r.yaml', R, { maxCommits: 25 }), 1000 + 16 * 100);
  t.equal(await t0(t, steps, 'r.yaml', R), 1000, 'unbounded enough: the creation');
});

t.test('at an older commit, history after it is ignored', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  f.commit(work, { 'r.yaml': release('fraud', { traffic: 5 }) }, 1000);
  const c2 = f.commit(work, { 'r.yaml': release('fraud', { traffic: 25 }) }, 2000);
  f.commit(work, { 'r.yaml': release('fraud', { traffic: 50 }) }, 3000);
  const repo = await openRepo(work, { env: f.env });
  t.equal(await stepStart(repo, c2, 'r.yaml', R), 2000);
});

t.test('releases of one file, asked of one repository, keep their own starts', async (t) => {
  const f = gitFixture();
  t.teardown(f.dispose);
  const work = f.clone('work');
  const a = (n: number) => release('fraud', { traffic: n }, { namespace: 'a' });
  const b = (n: number) => release('fraud', { traffic: n }, { namespace: 'b' });
  f.commit(work, { 'r.yaml': both(a(5), b(5)) }, 1000);
  f.commit(work, { 'r.yaml': both(a(5), b(25)) }, 2000);
  f.commit(work, { 'r.yaml': both(a(25), b(25)) }, 3000);
  const repo = await openRepo(work, { env: f.env });
  const starts = await Promise.all(
    ['a', 'b', 'a'].map((namespace) =>
      stepStart(repo, repo.head, 'r.yaml', { name: 'fraud', namespace }),
    ),
  );
  t.same(starts, [3000, 2000, 3000]);
});
