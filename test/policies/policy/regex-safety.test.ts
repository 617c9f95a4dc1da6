import t from 'tap';
import { checkIdentityRegex, compileIdentityRegex } from '@aviary/policies/engine';

const pattern = (source: string) => {
  const r = compileIdentityRegex(source);
  if (!r.ok) throw new Error(`${source}: ${r.problem}`);
  return r.pattern;
};

t.test('anchored patterns naming a signer pass and match whole identities', async (t) => {
  const workflow =
    '^https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main$';
  for (const p of [workflow, '^(a|b)c$', '^x{2}$', '^[a-z]+@acme\\.example$'])
    t.equal(checkIdentityRegex(p), undefined, p);
  const re = pattern(workflow);
  t.equal(
    re.test('https://github.com/acme/model/.github/workflows/release.yml@refs/heads/main'),
    true,
  );
  t.equal(
    re.test('https://github.com/acme/a/b/.github/workflows/release.yml@refs/heads/main'),
    false,
  );
  t.equal(
    re.test('evil.example/https://github.com/acme/m/.github/workflows/release.yml@refs/heads/main'),
    false,
  );
  // Wrapped as ^(?:…)$: alternation cannot escape the anchors.
  t.equal(pattern('^a|b$').test('xb'), false);
  t.equal(pattern('^a|b$').test('b'), true);
});

t.test('unanchored patterns fail', async (t) => {
  for (const p of ['a$', '^a', 'a', '^a\\$']) t.equal(checkIdentityRegex(p), 'REGEX_UNANCHORED', p);
});

t.test('what RE2 cannot compile fails: syntax, backreferences, lookaround', async (t) => {
  for (const p of ['^(a$', '^(a)\\1$', '^(?=a)a$', '^a(?!b)$', '^a{1001}$'])
    t.equal(checkIdentityRegex(p), 'REGEX_INVALID', p);
});

t.test('patterns matching identities no signer holds fail', async (t) => {
  for (const p of [
    '^.*$',
    '^.+$',
    '^(.*)$',
    '^[\\s\\S]*$',
    '^(?:.*)$',
    '^\\S+$',
    '^.*|acme$',
    '^(?s).*$',
    '^https://.*$',
    '^.*@.*$',
    '^[a-z]$',
  ])
    t.equal(checkIdentityRegex(p), 'REGEX_MATCHES_ALL', p);
});

t.test('backtracking shapes run in linear time', async (t) => {
  // `(\w?\w?)+` has no nested * + | or {n,m}, so the former blacklist let it through. Measured once
  // on Node 20 with V8's backtracking RegExp (`/^(?:^a(\w?\w?)+z$)$/` against "a" + n × "a" + "!"):
  // n = 16: 0.05 s, 18: 0.33 s, 20: 1.7 s, about ×5 per two characters, so n = 30 would take hours
  // and 50,000 forever. RE2 answers in one pass; under the old engine this test times out.
  for (const p of ['^a(\\w?\\w?)+z$', '^a(a+)+z$', '^a(a|aa)*z$', '^a(.*)*z$']) {
    const re = pattern(p);
    t.equal(re.test(`a${'a'.repeat(50_000)}!`), false, p);
    t.equal(re.test(`a${'a'.repeat(50_000)}z`), true, p);
  }
});
