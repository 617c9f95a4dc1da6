import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { fingerprintFiles, watchContent } from '@aviary/webhook';

/**
 * The watcher's checks are driven by calling `check()` (what the poll timer calls), so no test
 * waits for a timer: the poll interval is set far beyond the test's length.
 */
const NEVER = 3_600_000;

t.test('onChange runs once per distinct content', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1' });
  const file = path.join(dir, 'a.yaml');
  const seen: (string | undefined)[] = [];
  const w = watchContent({
    files: async () => [file],
    folders: [],
    intervalMs: NEVER,
    onChange: async (contents) => {
      seen.push(contents.get(file)?.toString());
    },
  });
  t.teardown(() => w.close());
  await w.check();
  t.same(seen, ['1'], 'the first check loads');
  await w.check();
  t.same(seen, ['1'], 'no change, no reload');

  for (let i = 0; i < 20; i++) writeFileSync(file, `v${i}`);
  await w.check();
  t.same(seen, ['1', 'v19'], 'a burst of writes is one reload of the last content');

  writeFileSync(file, 'v19');
  await w.check();
  t.equal(seen.length, 2, 'the same bytes written again are no change');

  writeFileSync(path.join(dir, 'tmp'), 'renamed');
  renameSync(path.join(dir, 'tmp'), file);
  await w.check();
  rmSync(file);
  await w.check();
  writeFileSync(file, 'back');
  await w.check();
  t.same(seen.slice(2), ['renamed', undefined, 'back'], 'replaced, removed, re-created');
});

t.test('a file-system event triggers a check', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1' });
  const file = path.join(dir, 'a.yaml');
  let reloaded!: (content: string | undefined) => void;
  const reload = new Promise<string | undefined>((resolve) => (reloaded = resolve));
  const w = watchContent({
    files: async () => [file],
    folders: [dir],
    intervalMs: NEVER,
    debounceMs: 1,
    initial: await fingerprintFiles([file]),
    onChange: async (contents) => reloaded(contents.get(file)?.toString()),
  });
  t.teardown(() => w.close());
  // The watcher holds no reference to the event loop (it must not keep the webhook alive), so the
  // test holds one until the reload arrives.
  const keepAlive = setInterval(() => undefined, NEVER);
  t.teardown(() => clearInterval(keepAlive));
  writeFileSync(file, '2');
  t.equal(await reload, '2', 'fs.watch, not the poll, ran the check');
});

t.test('checks never overlap', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1' });
  const file = path.join(dir, 'a.yaml');
  let running = 0;
  let maxRunning = 0;
  const seen: string[] = [];
  // Each reload waits until the test releases it; `entered` tells the test a reload started.
  const releases: (() => void)[] = [];
  let entered: () => void = () => undefined;
  const nextEntry = () => new Promise<void>((resolve) => (entered = resolve));
  const w = watchContent({
    files: async () => [file],
    folders: [],
    intervalMs: NEVER,
    onChange: async (contents) => {
      maxRunning = Math.max(maxRunning, ++running);
      seen.push(contents.get(file)!.toString());
      await new Promise<void>((resolve) => {
        releases.push(resolve);
        entered();
      });
      running--;
    },
  });
  t.teardown(() => w.close());

  let started = nextEntry();
  writeFileSync(file, 'v1');
  const first = w.check();
  await started;
  writeFileSync(file, 'v2');
  t.equal(w.check(), first, 'a check asked for during a reload joins it');
  t.equal(w.check(), first);

  started = nextEntry();
  releases.shift()!();
  await started;
  t.same(seen, ['v1', 'v2'], 'the content changed meanwhile is reloaded after the first');
  releases.shift()!();
  await first;
  t.equal(maxRunning, 1, 'never two reloads at once');
  t.equal(releases.length, 0, 'one reload per content: no third');
});

// Which files a policy folder holds is the loader's rule: test/policies/policy/files.test.ts.
t.test('fingerprints', async (t) => {
  const dir = t.testdir({ 'b.yaml': 'b', 'a.yml': 'a' });
  const a = await fingerprintFiles([path.join(dir, 'a.yml')]);
  t.not(a, await fingerprintFiles([path.join(dir, 'b.yaml')]));
  t.not(await fingerprintFiles([path.join(dir, 'missing')]), await fingerprintFiles([]));
});
