import path from 'node:path';
import t from 'tap';
import {
  BUILT_IN,
  loadPublicGoodTrustedRoot,
  loadTrustedRoots,
  parseTrustedRootFlags,
} from '@aviary/policies/signature';
import { NOT_A_ROOT, PUBLIC_GOOD, withoutFulcio } from '../../helpers/keyless.js';

/** `--trusted-root NAME=FILE`, shared by the webhook and the CLI. */
t.test('flags: NAME=FILE, public-good included, each name once', async (t) => {
  t.same(parseTrustedRootFlags([]), {});
  t.same(parseTrustedRootFlags(['public-good=/t/pg.json', 'corp=a=b.json']), {
    'public-good': '/t/pg.json',
    corp: 'a=b.json',
  });
  for (const bad of ['nofile', '=x.json', 'corp=', 'Corp=x', '-a=x', `${'a'.repeat(64)}=x`])
    t.throws(() => parseTrustedRootFlags([bad]), { code: 'USAGE_INVALID' }, bad);
  t.throws(() => parseTrustedRootFlags(['a=x', 'a=y']), {
    code: 'USAGE_INVALID',
    message: /twice/,
  });
});

t.test('without files: the built-in public-good root', async (t) => {
  const r = await loadTrustedRoots();
  t.same(r.diagnostics, []);
  t.equal(r.trustedRoots['public-good'], loadPublicGoodTrustedRoot());
  t.same(r.origins, { 'public-good': BUILT_IN });
});

t.test('public-good=FILE replaces the built-in root', async (t) => {
  const dir = t.testdir({ 'revoked.json': withoutFulcio(), 'corp.json': PUBLIC_GOOD });
  const files = {
    'public-good': path.join(dir, 'revoked.json'),
    corp: path.join(dir, 'corp.json'),
  };
  const r = await loadTrustedRoots(files);
  t.same(r.diagnostics, []);
  t.same(r.trustedRoots['public-good'], JSON.parse(withoutFulcio()));
  t.same(r.origins, files);
});

t.test('a bad file is an error with its code, never the built-in root instead', async (t) => {
  const noStart = JSON.parse(PUBLIC_GOOD) as { tlogs: { publicKey: { validFor: object } }[] };
  noStart.tlogs[0]!.publicKey.validFor = {};
  const dir = t.testdir({
    'not-json.json': '{',
    'not-a-root.json': NOT_A_ROOT,
    'no-start.json': JSON.stringify(noStart),
    'big.json': ' '.repeat(1024 * 1024 + 1),
  });
  const cases: [string, string][] = [
    ['not-json.json', 'TRUST_ROOT_INVALID'],
    ['not-a-root.json', 'TRUST_ROOT_INVALID'],
    ['no-start.json', 'TRUST_ROOT_INVALID'],
    ['big.json', 'TRUST_ROOT_READ_FAILED'],
    ['missing.json', 'TRUST_ROOT_READ_FAILED'],
  ];
  for (const [file, code] of cases) {
    const r = await loadTrustedRoots({ 'public-good': path.join(dir, file) });
    t.match(r.diagnostics, [{ code, file: path.join(dir, file) }], file);
    t.equal(r.diagnostics.length, 1, `${file}: one diagnostic`);
    t.notOk('public-good' in r.trustedRoots, `${file}: no public-good root at all`);
  }
});
