import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { GOVERNED_KINDS } from '@aviary/policies';
import { REPO, SHARED } from '../helpers/paths.js';

/**
 * The webhook's registration follows the governed kinds by hand (policies/src/kserve/governed.ts):
 * every governed kind is sent on CREATE and UPDATE, in the scope its CRD (KServe v0.20.0) declares,
 * and nothing else is. Whether the apiserver accepts the file is test/e2e/deploy.test.ts.
 */
interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  scope?: string;
}

const vwc = parse(
  readFileSync(path.join(REPO, 'deploy/webhook/validating-webhook.yaml'), 'utf8'),
) as {
  webhooks: {
    name: string;
    rules: Rule[];
    failurePolicy: string;
    namespaceSelector?: { matchLabels?: object; matchExpressions?: { key: string }[] };
    objectSelector?: unknown;
  }[];
};

function crdOf(kind: string): { group: string; plural: string; scope: string } {
  const file = path.join(SHARED, `crds/serving.kserve.io_${kind.toLowerCase()}s.yaml`);
  const crd = parse(readFileSync(file, 'utf8')) as {
    spec: { group: string; scope: string; names: { kind: string; plural: string } };
  };
  if (crd.spec.names.kind !== kind) throw new Error(`${file} is not the ${kind} CRD`);
  return { group: crd.spec.group, plural: crd.spec.names.plural, scope: crd.spec.scope };
}

t.test('deploy/webhook registers exactly the governed kinds, in their scope', async (t) => {
  t.same(
    vwc.webhooks.map((w) => w.name),
    ['inferenceservices.aviary.dev', 'modelreleasepolicies.aviary.dev'],
  );
  const rules = vwc.webhooks[0]!.rules;
  const registered = new Set<string>();
  for (const rule of rules) {
    t.same([...rule.operations].sort(), ['CREATE', 'UPDATE'], 'CREATE and UPDATE only');
    t.same(rule.apiVersions, ['*'], 'any version (matchPolicy Equivalent)');
    for (const group of rule.apiGroups)
      for (const resource of rule.resources) {
        t.notOk(resource.includes('/') || resource === '*', `${resource}: no subresource, no *`);
        registered.add(`${group}/${resource}@${rule.scope ?? '*'}`);
      }
  }
  const expected = GOVERNED_KINDS.map((k) => {
    const crd = crdOf(k.kind);
    t.equal(crd.group, k.group, `${k.kind}: group`);
    t.equal(crd.scope === 'Namespaced', k.namespaced, `${k.kind}: namespaced as its CRD says`);
    return `${crd.group}/${crd.plural}@${crd.scope}`;
  });
  t.same([...registered].sort(), expected.sort());
});

t.test('ModelReleasePolicy writes are checked, failing closed', async (t) => {
  const w = vwc.webhooks[1]!;
  t.same(w.rules, [
    {
      apiGroups: ['aviary.dev'],
      apiVersions: ['*'],
      resources: ['modelreleasepolicies'],
      operations: ['CREATE', 'UPDATE'],
      scope: 'Cluster',
    },
  ]);
  t.equal(w.failurePolicy, 'Fail');
  t.equal(vwc.webhooks[0]!.failurePolicy, 'Fail');
});

t.test('exemptions are the platform list only: no label a tenant can set', async (t) => {
  for (const w of vwc.webhooks) {
    t.equal(
      w.objectSelector,
      undefined,
      `${w.name}: no objectSelector (object labels are the tenant's)`,
    );
    const selector = w.namespaceSelector ?? {};
    t.equal(selector.matchLabels, undefined, `${w.name}: no matchLabels`);
    t.same(
      (selector.matchExpressions ?? []).map((e) => e.key),
      (selector.matchExpressions ?? []).map(() => 'kubernetes.io/metadata.name'),
      `${w.name}: only the immutable name label`,
    );
  }
});
