import t from 'tap';
import { checkIdentityRegex } from '@aviary/policies/engine';

t.test('anchored, linear patterns pass', async (t) => {
  for (const p of [
    '^a$',
    '^https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main$',
    '^(a|b)c$',
    '^x{2}$',
  ]) {
    t.equal(checkIdentityRegex(p), undefined, p);
  }
});
t.test('unanchored patterns fail', async (t) => {
  for (const p of ['a$', '^a', 'a', '^a\\$']) t.equal(checkIdentityRegex(p), 'REGEX_UNANCHORED', p);
});
t.test('catastrophic shapes fail', async (t) => {
  for (const p of ['^(a+)+$', '^(.*)*$', '^(a|aa)*$', '^((ab)*c)+$', '^(a{1,5})*$', '^(a)\\1$'])
    t.equal(checkIdentityRegex(p), 'REGEX_UNSAFE', p);
});
t.test('invalid syntax fails', async (t) => {
  t.equal(checkIdentityRegex('^(a$'), 'REGEX_INVALID');
});
