import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { isGovernedObject, parseYamlStream } from '@aviary/policies';
import {
  AUDIT_KEYS,
  buildApp,
  createMetrics,
  loadPolicySnapshot,
  WebhookState,
} from '@aviary/webhook';
import { runCli } from './helpers/cli.js';
import { REPO } from './helpers/paths.js';

/**
 * `aviary check` in CI must reach the webhook's verdict on the same files (issue 13, item 1). One
 * policy folder goes to both: the real CLI (`aviary check --policies DIR`, in-process) and the
 * webhook's file mode (`loadPolicySnapshot(DIR)` behind the real fastify app, one AdmissionReview
 * per object). Every case of the catalog's own suites (CREATE and UPDATE, signed and unsigned,
 * InferenceServices, TrainedModels, serving runtimes) and the rendered examples of
 * test/fixtures/golden are judged by both, and every verdict must agree: allowed, the matched
 * policies, and every violation, warning and audit finding (code, path, message, policy).
 *
 * The folder is the catalog plus what a listing rule could disagree about: a dotfile, a
 * non-YAML file and a symlink out of the folder, each holding a policy that denies everything,
 * and an in-folder symlink (a ConfigMap volume's `..data`) to a copy of a catalog policy.
 */

const CATALOG = path.join(REPO, 'policies/catalog');
const DENY_ALL = `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: deny-all}
spec:
  pinning: {allowedSchemes: [pvc]}
`;

interface Case {
  name: string;
  object: Record<string, unknown>;
  old?: Record<string, unknown>;
  namespace?: string;
  labels: Record<string, string>;
  /**
   * The suite's expected violation codes of its own policy (the folder holds all three), so the
   * comparison cannot pass on two empty answers.
   */
  expect?: { policy: string; violations?: string[] };
}

interface Verdict {
  allowed: boolean;
  matched: string[];
  violations: string[];
  warnings: string[];
  audits: string[];
}

type Obj = Record<string, unknown>;

function governed(text: string, file: string): Obj[] {
  const parsed = parseYamlStream(text, file);
  if (parsed.diagnostics.length > 0) throw new Error(JSON.stringify(parsed.diagnostics));
  return parsed.documents.map((d) => d.value as Obj).filter((o) => isGovernedObject(o));
}

/** The governed object a case file names; a ModelRelease is rendered by the real CLI first. */
async function objectIn(file: string): Promise<Obj> {
  const text = readFileSync(file, 'utf8');
  const doc = parse(text) as Obj;
  if (doc['kind'] !== 'ModelRelease') return one(governed(text, file), file);
  const rendered = await runCli(['render', path.dirname(file)], REPO);
  if (rendered.code !== 0) throw new Error(rendered.stderr);
  const name = (doc['metadata'] as Obj)['name'];
  return one(
    governed(rendered.stdout, file).filter((o) => (o['metadata'] as Obj)['name'] === name),
    file,
  );
}

function one(objects: Obj[], file: string): Obj {
  if (objects.length !== 1) throw new Error(`${file}: ${objects.length} governed objects`);
  return objects[0]!;
}

async function catalogCases(): Promise<Case[]> {
  const cases: Case[] = [];
  for (const suite of ['production', 'production-signatures', 'staging']) {
    const file = path.join(CATALOG, 'tests', `${suite}.aviary-test.yaml`);
    const doc = parse(readFileSync(file, 'utf8')) as {
      cases: {
        name: string;
        object: string;
        old?: string;
        namespace?: string;
        namespaceLabels?: Record<string, string>;
        expect: { violations?: string[] };
      }[];
    };
    for (const c of doc.cases) {
      const at = (p: string) => path.resolve(path.dirname(file), p);
      cases.push({
        name: `${suite}: ${c.name}`,
        object: await objectIn(at(c.object)),
        ...(c.old !== undefined ? { old: await objectIn(at(c.old)) } : {}),
        ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
        labels: c.namespaceLabels ?? {},
        expect: { policy: suite, ...c.expect },
      });
    }
  }
  return cases;
}

/** The rendered examples, as Argo CD applies them, created and updated in each environment. */
function goldenCases(): Case[] {
  const cases: Case[] = [];
  const dir = path.join(REPO, 'test/fixtures/golden/examples');
  for (const name of [
    'churn-canary',
    'fraud-detector',
    'recommender-standard',
    'sentiment-rollback',
  ]) {
    const file = path.join(dir, `${name}.yaml`);
    const object = one(governed(readFileSync(file, 'utf8'), file), file);
    for (const [namespace, labels] of [
      ['ml-prod', { env: 'prod' }],
      ['ml-staging', { env: 'staging' }],
      ['sandbox', {}],
    ] as const) {
      cases.push({ name: `golden ${name} CREATE in ${namespace}`, object, namespace, labels });
      cases.push({
        name: `golden ${name} UPDATE (unchanged) in ${namespace}`,
        object,
        old: object,
        namespace,
        labels,
      });
    }
  }
  // A canary raised from 10 % to 60 % in one step, on the rendered example.
  const churn = one(
    governed(readFileSync(path.join(dir, 'churn-canary.yaml'), 'utf8'), 'churn'),
    'churn',
  );
  const raised = structuredClone(churn);
  ((raised['spec'] as Obj)['predictor'] as Obj)['canaryTrafficPercent'] = 60;
  cases.push({
    name: 'golden churn-canary UPDATE 10 % → 60 % in ml-prod',
    object: raised,
    old: churn,
    namespace: 'ml-prod',
    labels: { env: 'prod' },
  });
  return cases;
}

function policyFolder(dir: string): string {
  const folder = path.join(dir, 'policies');
  mkdirSync(path.join(folder, '..2026_01_01'), { recursive: true });
  mkdirSync(path.join(dir, 'elsewhere'));
  for (const f of ['production.yaml', 'production-signatures.yaml'])
    writeFileSync(path.join(folder, f), readFileSync(path.join(CATALOG, f)));
  writeFileSync(
    path.join(folder, '..2026_01_01/staging.yaml'),
    readFileSync(path.join(CATALOG, 'staging.yaml')),
  );
  symlinkSync('..2026_01_01', path.join(folder, '..data'));
  symlinkSync('..data/staging.yaml', path.join(folder, 'staging.yaml'));
  writeFileSync(path.join(folder, '.draft.yaml'), DENY_ALL);
  writeFileSync(path.join(folder, 'deny-all.txt'), DENY_ALL);
  writeFileSync(path.join(dir, 'elsewhere/deny-all.yaml'), DENY_ALL);
  symlinkSync(path.join(dir, 'elsewhere/deny-all.yaml'), path.join(folder, 'deny-all.yaml'));
  return folder;
}

/** `aviary check` output: the verdict line, then one line per finding. */
function cliVerdict(stdout: string): Verdict {
  const [head = '', ...rest] = stdout.trimEnd().split('\n');
  const m = /^(ALLOWED|DENIED ) \S+ \(.*\) policies: (.*)$/.exec(head);
  if (!m) throw new Error(`unexpected aviary check output: ${stdout}`);
  const kind = (prefix: string) =>
    rest.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  return {
    allowed: m[1] === 'ALLOWED',
    matched: m[2] === 'none matched' ? [] : m[2]!.split(', '),
    violations: kind('  deny  '),
    warnings: kind('  warn  '),
    audits: kind('  audit '),
  };
}

function webhookVerdict(response: Obj): Verdict {
  const audit = (response['auditAnnotations'] ?? {}) as Record<string, string>;
  const list = (key: string) =>
    audit[key] === undefined ? [] : (JSON.parse(audit[key]) as string[]);
  return {
    allowed: response['allowed'] === true,
    matched: audit[AUDIT_KEYS.policies]?.split(',') ?? [],
    violations: list(AUDIT_KEYS.violations),
    warnings: list(AUDIT_KEYS.warnings),
    audits: list(AUDIT_KEYS.audit),
  };
}

/** `<path>: <message> [<CODE>, policy <name>]` → `<CODE> at <path>`. */
const codeAndPath = (line: string) => {
  const m = /^(?:(\S+): )?.*\[([A-Z0-9_]+), policy [a-z0-9-]+\]$/.exec(line);
  return m ? `${m[2]} at ${m[1] ?? ''}` : `unparsed: ${line}`;
};

t.test('aviary check and the webhook reach the same verdict on the same folder', async (t) => {
  const dir = t.testdir({});
  const policies = policyFolder(dir);
  const cases = [...(await catalogCases()), ...goldenCases()];

  let labels: Record<string, string> = {};
  const state = new WebhookState(createMetrics(), () => labels);
  const loaded = await loadPolicySnapshot({ policies });
  t.same(loaded.diagnostics, []);
  t.same(loaded.snapshot?.names, ['production', 'production-signatures', 'staging']);
  state.snapshot = loaded.snapshot;
  const app = buildApp(state, { logger: { level: 'silent' } });
  t.teardown(() => app.close());

  let denied = 0;
  let updates = 0;
  for (const [i, c] of cases.entries()) {
    const file = path.join(dir, `${i}.yaml`);
    writeFileSync(file, JSON.stringify(c.object));
    const operation = c.old === undefined ? 'CREATE' : 'UPDATE';
    const args = ['check', '--policies', policies, '--operation', operation];
    if (c.old !== undefined) {
      writeFileSync(path.join(dir, `${i}.old.yaml`), JSON.stringify(c.old));
      args.push('--old', path.join(dir, `${i}.old.yaml`));
    }
    if (c.namespace !== undefined) args.push('--namespace', c.namespace);
    for (const [k, v] of Object.entries(c.labels)) args.push('--namespace-label', `${k}=${v}`);
    const cli = await runCli([...args, file], dir);
    t.not(cli.code, 2, `${c.name}: aviary check judged it (${cli.stderr})`);

    labels = c.labels;
    const [group = '', version = ''] = String(c.object['apiVersion']).split('/');
    const meta = c.object['metadata'] as Obj;
    const namespace = (meta['namespace'] as string | undefined) ?? c.namespace;
    const res = await app.inject({
      method: 'POST',
      url: '/validate',
      payload: {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `case-${i}`,
          kind: { group, version, kind: c.object['kind'] },
          resource: { group, version, resource: 'x' },
          operation,
          ...(c.object['kind'] === 'ClusterServingRuntime'
            ? {}
            : { namespace: namespace ?? 'default' }),
          name: meta['name'],
          userInfo: { username: 'ci' },
          object: c.object,
          oldObject: c.old ?? null,
          dryRun: false,
        },
      },
    });
    t.equal(res.statusCode, 200, `${c.name}: the webhook answered`);
    const webhook = webhookVerdict(res.json<{ response: Obj }>().response);
    const check = cliVerdict(cli.stdout);
    t.same(check, webhook, `${c.name}: the same verdict`);
    t.same(
      check.violations.map(codeAndPath),
      webhook.violations.map(codeAndPath),
      `${c.name}: the same violation codes and paths`,
    );
    if (c.expect?.violations !== undefined) {
      const own = webhook.violations.filter((l) => l.endsWith(`, policy ${c.expect!.policy}]`));
      t.same(
        [...new Set(own.map((l) => codeAndPath(l).split(' ')[0]))].sort(),
        [...c.expect.violations].sort(),
        `${c.name}: the suite's violations`,
      );
    }
    if (!webhook.allowed) denied++;
    if (operation === 'UPDATE') updates++;
  }
  // Not vacuous: both sides deny and allow, on CREATE and UPDATE.
  t.ok(cases.length >= 60, `${cases.length} cases`);
  t.ok(denied >= 15, `${denied} denied`);
  t.ok(updates >= 15, `${updates} updates`);
});
