import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { CODES, POLICY_SIG_CODE, SPEC_KSERVE_CODE } from '@aviary/policies';
import { REPO } from './helpers/paths.js';

/**
 * `policies/src/codes.ts` is the one list of codes. The README's table documents exactly that list,
 * and the sources neither use a code outside it nor build one from pieces.
 */
const PREFIXES =
  'PIN|CANARY|SIG|SPEC|YAML|POLICY|EVIDENCE|STABLE|KSERVE|PARAM|USAGE|CHECK|TEST|VERIFY|MODEL|OBJECT|IMAGE|TRUST|ADMISSION|MLFLOW|RENDER|GIT|ROLLOUT|ANALYSIS|PROMETHEUS';
const LITERAL = new RegExp(`['\`"]((?:${PREFIXES})_[A-Z0-9_]+)['\`"]`, 'g');
const BUILT = new RegExp(`\`(?:${PREFIXES})_\\$\\{|\\+\\s*['"\`](?:${PREFIXES})_['"\`]`, 'g');
/** Code-shaped literals that are not codes, each with the reason. */
const NOT_CODES: Record<string, string> = {
  OBJECT_TOO_DEEP: "webhook log line's `error` value (webhook/README.md), not a diagnostic",
  MLFLOW_TRACKING_TOKEN: "MLflow's environment variable for a bearer token, read by `pin --from`",
  MLFLOW_TRACKING_USERNAME: "MLflow's environment variable for basic auth, read by `pin --from`",
  MLFLOW_TRACKING_PASSWORD: "MLflow's environment variable for basic auth, read by `pin --from`",
  MLFLOW_TRACKING_URI: "MLflow's environment variable naming the registry, read by `pin --from`",
  MLFLOW_HTTP_REQUEST_TIMEOUT: "MLflow's environment variable for request deadlines (seconds)",
  GIT_AUTHOR_NAME: "git's environment variable for the author, read by analyze's write-back",
  GIT_AUTHOR_EMAIL: "git's environment variable for the author, read by analyze's write-back",
  GIT_COMMITTER_NAME: "git's environment variable for the committer, read by analyze's write-back",
  GIT_COMMITTER_EMAIL: "git's environment variable for the committer, read by analyze's write-back",
};

/** Code-shaped names built from pieces that are not codes, each with the reason. */
const NOT_BUILT_CODES: Record<string, string> = {
  'plugin/src/params.ts: `PARAM_${':
    "Argo CD's PARAM_<NAME> environment variable of a plugin parameter, not a code",
  'policies/src/codes.ts: `SPEC_${':
    'a type checking that each explicit SPEC_KSERVE_* literal names its KSERVE_* code',
  'policies/src/codes.ts: `POLICY_${':
    'a type checking that each explicit POLICY_SIG_* literal names its SIG_* code',
};

const registry = new Set(Object.keys(CODES));

function sources(): { file: string; text: string }[] {
  return execFileSync('git', ['ls-files', 'policies/src', 'plugin/src', 'webhook/src'], {
    cwd: REPO,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(`${REPO}/${file}`, 'utf8') }));
}

/** The codes in the first column of the README's "Error and finding codes" table. */
export function documentedCodes(readme: string): string[] {
  const start = readme.indexOf('## Error and finding codes');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

t.test('every code literal in the sources is in the registry', async (t) => {
  const found = new Set<string>();
  for (const { text } of sources()) for (const m of text.matchAll(LITERAL)) found.add(m[1]!);
  t.ok(found.size > 100, `found ${found.size} code literals`);
  const unknown = [...found].filter((c) => !registry.has(c) && !(c in NOT_CODES)).sort();
  t.same(unknown, [], 'code literals missing from policies/src/codes.ts');
  for (const [c, reason] of Object.entries({ ...NOT_CODES, ...NOT_BUILT_CODES })) {
    t.notOk(registry.has(c), `${c} is exempt, so it is no registry code`);
    t.ok(reason.length > 10, `${c}: the exemption says why`);
  }
});

t.test('no code is built from pieces', async (t) => {
  const built = sources()
    .flatMap(({ file, text }) => [...text.matchAll(BUILT)].map((m) => `${file}: ${m[0]}`))
    .filter((hit) => !(hit in NOT_BUILT_CODES));
  t.same(built, [], 'codes assembled by concatenation or a template literal');
  t.ok(BUILT.test('code: `POLICY_${problem}`'), 'the check catches a template literal');
  BUILT.lastIndex = 0;
});

t.test('the README table documents exactly the registry', async (t) => {
  const documented = documentedCodes(readFileSync(`${REPO}/README.md`, 'utf8'));
  const doc = new Set(documented);
  t.same(
    documented.filter((c) => !registry.has(c)),
    [],
    'documented codes missing from the registry (or not a plain code, like a wildcard)',
  );
  t.same(
    [...registry].filter((c) => !doc.has(c)),
    [],
    'registry codes missing from the table',
  );
  t.equal(documented.length, doc.size, 'each code documented once');
});

t.test('every registry entry has a meaning', async (t) => {
  for (const [code, { doc }] of Object.entries(CODES))
    t.ok(doc.trim().length > 0, `${code} has a doc line`);
});

t.test('the derived code maps name registry codes', async (t) => {
  for (const [from, to] of Object.entries({ ...SPEC_KSERVE_CODE, ...POLICY_SIG_CODE })) {
    t.ok(registry.has(from) && registry.has(to), `${from} -> ${to}`);
    t.ok(to.endsWith(from), `${to} names ${from}`);
  }
});
