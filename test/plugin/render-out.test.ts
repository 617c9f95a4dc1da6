import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { EXAMPLES, REPO } from '../helpers/paths.js';

const APP = path.join(EXAMPLES, 'recommender-standard');
const render = (out: string, app = APP) =>
  runCli(['render', app, '--namespace', 'ml-prod', '--root', EXAMPLES, '--out', out], REPO);
const snapshot = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));

t.test('one file per object, deterministic names, byte-identical between runs', async (t) => {
  const dir = t.testdir({});
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  t.equal((await render(a)).code, 0);
  t.equal((await render(b)).code, 0);
  t.same(snapshot(a), snapshot(b));
  t.same(readdirSync(a).sort(), [
    'inferenceservice_serving.kserve.io_ml-prod_recommender.yaml',
    'serviceaccount_core__recommender-reader.yaml',
  ]);
  // The same objects as the stream on stdout, in files.
  const stream = await runCli(['render', APP, '--namespace', 'ml-prod', '--root', EXAMPLES], REPO);
  const fromStdout = parseAllDocuments(stream.stdout).map((d) => d.toJS() as unknown);
  const fromFiles = readdirSync(a)
    .sort()
    .map((f) =>
      parseAllDocuments(readFileSync(path.join(a, f), 'utf8')).map((d) => d.toJS() as unknown),
    )
    .flat();
  t.same(
    fromFiles.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
    fromStdout.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
  );
});

t.test('an earlier output is replaced whole: no stale file survives', async (t) => {
  const dir = t.testdir({ out: { 'deployment_apps_ml-prod_gone.yaml': 'old\n' } });
  const out = path.join(dir, 'out');
  const r = await render(out);
  t.equal(r.code, 0, r.stderr);
  t.notOk(existsSync(path.join(out, 'deployment_apps_ml-prod_gone.yaml')));
  t.equal(readdirSync(out).length, 2);
  t.same(readdirSync(dir), ['out'], 'no temporary folder left behind');
});

t.test('refused rather than deleted: a folder that is not an earlier output', async (t) => {
  const dir = t.testdir({ mine: { 'notes.txt': 'keep me\n' }, file: 'x' });
  for (const [name, out] of [
    ['a folder with other files', path.join(dir, 'mine')],
    ['a file', path.join(dir, 'file')],
    ['the app folder itself', APP],
    ['a folder holding the sources', EXAMPLES],
  ] as const) {
    const r = await render(out);
    t.equal(r.code, 2, name);
    t.match(r.stderr, /RENDER_OUT_UNSAFE/, name);
  }
  t.equal(readFileSync(path.join(dir, 'mine/notes.txt'), 'utf8'), 'keep me\n');
  t.ok(existsSync(path.join(APP, 'recommender.modelrelease.yaml')));
});

t.test('a render error writes nothing', async (t) => {
  const dir = t.testdir({ app: { 'bad.modelrelease.yaml': 'kind: ModelRelease\n' } });
  mkdirSync(path.join(dir, '.git'));
  const out = path.join(dir, 'out');
  const r = await runCli(['render', path.join(dir, 'app'), '--out', out], REPO);
  t.equal(r.code, 2);
  t.notOk(existsSync(out));
});
