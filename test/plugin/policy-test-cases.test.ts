import { readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { runCli } from '../helpers/cli.js';
import { REPO } from '../helpers/paths.js';

// `aviary test` must never pass while it tests something other than what a case says (issue 17,
// class 7): each case below passed before, judging the wrong object, namespace or policy set.

const CASES = path.join(REPO, 'policies/catalog/tests/cases');
const TAGGED = readFileSync(path.join(CASES, 'oci-tag.yaml'), 'utf8');
const PINNED = readFileSync(path.join(CASES, 'oci-pinned.yaml'), 'utf8');
const inNamespace = (text: string, ns: string) =>
  text.replace('metadata:\n', `metadata:\n  namespace: ${ns}\n`);
const POLICY =
  'apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata: {name: p}\nspec:\n  match: {namespaces: [ml-prod]}\n  pinning: {}\n';
const suite = (cases: string, policies = 'p.yaml') =>
  `apiVersion: aviary.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: s}\npolicies: [${policies}]\ncases:\n${cases}`;
const kase = (object: string, expect: string, extra = '') =>
  `  - name: c\n    object: ${object}\n${extra}    expect: ${expect}\n`;

async function run(t: Test, files: Record<string, string>) {
  const dir = t.testdir({
    'p.yaml': POLICY,
    'tagged.yaml': TAGGED,
    'pinned.yaml': PINNED,
    ...files,
  });
  return runCli(['test', dir], REPO);
}

t.test("the object's own namespace applies when the case names none", async (t) => {
  const r = await run(t, {
    'prod.yaml': inNamespace(TAGGED, 'ml-prod'),
    'x.aviary-test.yaml': suite(
      kase('prod.yaml', '{ allowed: false, violations: [PIN_OCI_UNPINNED] }'),
    ),
  });
  t.equal(r.code, 0, r.stdout + r.stderr);
  const fallback = await run(t, {
    'x.aviary-test.yaml': suite(kase('tagged.yaml', '{ allowed: true }')),
  });
  t.equal(fallback.code, 0, 'no namespace anywhere: default, outside the policy');
});

t.test("a case namespace that differs from the object's is an error", async (t) => {
  const r = await run(t, {
    'prod.yaml': inNamespace(TAGGED, 'ml-prod'),
    'x.aviary-test.yaml': suite(kase('prod.yaml', '{ allowed: true }', '    namespace: ml-dev\n')),
  });
  t.equal(r.code, 2);
  t.match(
    r.stderr,
    /x\.aviary-test\.yaml:\d+:\d+: TEST_NAMESPACE_CONFLICT .*\(at cases\[0\]\.namespace\)/,
  );
  const same = await run(t, {
    'prod.yaml': inNamespace(TAGGED, 'ml-prod'),
    'x.aviary-test.yaml': suite(
      kase(
        'prod.yaml',
        '{ allowed: false, violations: [PIN_OCI_UNPINNED] }',
        '    namespace: ml-prod\n',
      ),
    ),
  });
  t.equal(same.code, 0, same.stderr);
});

t.test('a suite that loads no policy is an error', async (t) => {
  const r = await run(t, {
    'none.yaml': '# no policy here\n',
    'x.aviary-test.yaml': suite(kase('tagged.yaml', '{ allowed: true }'), 'none.yaml'),
  });
  t.equal(r.code, 2);
  t.match(r.stderr, /x\.aviary-test\.yaml:4:\d+: TEST_NO_POLICIES .*\(at policies\)/);
});

t.test('a suite file with several documents is an error', async (t) => {
  const r = await run(t, {
    'x.aviary-test.yaml': `${suite(kase('tagged.yaml', '{ allowed: true }'))}---\n${suite(kase('tagged.yaml', '{ allowed: false }'))}`,
  });
  t.equal(r.code, 2);
  t.match(r.stderr, /x\.aviary-test\.yaml:10:1: TEST_SCHEMA /);
  const trailing = await run(t, {
    'x.aviary-test.yaml': `${suite(kase('tagged.yaml', '{ allowed: true }'))}---\n`,
  });
  t.equal(trailing.code, 0, 'an empty trailing document is no second suite');
});

t.test('an old file without an object of the kind is an error', async (t) => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';
  const r = await run(t, {
    'cm.yaml': cm,
    'x.aviary-test.yaml': suite(kase('tagged.yaml', '{ allowed: true }', '    old: cm.yaml\n')),
  });
  t.equal(r.code, 2);
  t.match(r.stderr, /TEST_NO_OBJECT .*\(at cases\[0\]\.old\)/);
  const none = await run(t, {
    'cm.yaml': cm,
    'x.aviary-test.yaml': suite(kase('cm.yaml', '{ allowed: true }')),
  });
  t.match(none.stderr, /TEST_NO_OBJECT .*\(at cases\[0\]\.object\)/);
});

t.test('an object or old file with several governed objects is ambiguous', async (t) => {
  const both = `${PINNED}---\n${TAGGED.replace('name: fraud', 'name: fraud-2')}`;
  const r = await run(t, {
    'both.yaml': both,
    'x.aviary-test.yaml': suite(kase('both.yaml', '{ allowed: true }')),
  });
  t.equal(r.code, 2);
  t.match(r.stderr, /TEST_AMBIGUOUS_OBJECT .*\(at cases\[0\]\.object\)/);
  const old = await run(t, {
    'both.yaml': both,
    'x.aviary-test.yaml': suite(kase('pinned.yaml', '{ allowed: true }', '    old: both.yaml\n')),
  });
  t.match(old.stderr, /TEST_AMBIGUOUS_OBJECT .*\(at cases\[0\]\.old\)/);
});

t.test('operation and old go together', async (t) => {
  const update = await run(t, {
    'x.aviary-test.yaml': suite(
      kase('tagged.yaml', '{ allowed: true }', '    operation: UPDATE\n'),
    ),
  });
  t.equal(update.code, 2);
  t.match(update.stderr, /TEST_SCHEMA .*\(at cases\[0\]\.operation\)/);
  const create = await run(t, {
    'x.aviary-test.yaml': suite(
      kase('tagged.yaml', '{ allowed: true }', '    old: pinned.yaml\n    operation: CREATE\n'),
    ),
  });
  t.match(create.stderr, /TEST_SCHEMA .*\(at cases\[0\]\.operation\)/);
  const ok = await run(t, {
    'x.aviary-test.yaml': suite(
      kase('tagged.yaml', '{ allowed: true }', '    old: pinned.yaml\n    operation: UPDATE\n'),
    ),
  });
  t.equal(ok.code, 0, ok.stderr);
});
