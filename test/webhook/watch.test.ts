import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { fingerprintFiles, watchContent } from '@aviary/webhook';
import { sleep, waitFor } from './support.js';

t.test('onChange runs once per distinct content', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1' });
  const file = path.join(dir, 'a.yaml');
  let calls = 0;
  const w = watchContent({
    files: async () => [file],
    folders: [dir],
    intervalMs: 50,
    debounceMs: 20,
    onChange: async () => {
      calls++;
    },
  });
  t.teardown(() => w.close());
  await w.check();
  t.equal(calls, 1, 'the first check loads');
  await sleep(200);
  t.equal(calls, 1, 'no change, no reload');

  // A burst of writes settles into one more reload (or two at most if a poll lands mid-burst).
  for (let i = 0; i < 20; i++) writeFileSync(file, `v${i}`);
  await waitFor(() => calls >= 2);
  await sleep(200);
  t.ok(calls <= 3, `${calls} calls`);
  const settled = calls;

  // Same bytes written again: not a change.
  writeFileSync(file, 'v19');
  await sleep(200);
  t.equal(calls, settled);

  // Replaced by rename, removed, re-created: each a change.
  writeFileSync(path.join(dir, 'tmp'), 'renamed');
  renameSync(path.join(dir, 'tmp'), file);
  await waitFor(() => calls === settled + 1);
  rmSync(file);
  await waitFor(() => calls === settled + 2);
  writeFileSync(file, 'back');
  await waitFor(() => calls === settled + 3);
});

t.test('checks never overlap', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1' });
  const file = path.join(dir, 'a.yaml');
  let running = 0;
  let maxRunning = 0;
  const w = watchContent({
    files: async () => [file],
    folders: [],
    intervalMs: 10,
    onChange: async () => {
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(50);
      running--;
    },
  });
  t.teardown(() => w.close());
  for (let i = 0; i < 5; i++) {
    writeFileSync(file, `v${i}`);
    void w.check();
    await sleep(15);
  }
  await sleep(200);
  t.equal(maxRunning, 1);
});

// Which files a policy folder holds is the loader's rule: test/policies/policy/files.test.ts.
t.test('fingerprints', async (t) => {
  const dir = t.testdir({ 'b.yaml': 'b', 'a.yml': 'a' });
  const a = await fingerprintFiles([path.join(dir, 'a.yml')]);
  t.not(a, await fingerprintFiles([path.join(dir, 'b.yaml')]));
  t.not(await fingerprintFiles([path.join(dir, 'missing')]), await fingerprintFiles([]));
});
