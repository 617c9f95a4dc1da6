import fc from 'fast-check';
import t from 'tap';
import { BAD_URIS, boundAndSigned, GOOD_URIS, readEvidence, withinPrefixes } from './artifacts.js';
import { shuffleKeys } from './decoys.js';
import { Draft } from './draft.js';
import { CLUSTER, count, decide, denied, holds, verdict, type PolicyCase } from './harness.js';
import { imagedInferenceService, imagesOf, runtime, trainedModel } from './image-objects.js';
import { pinned } from './image-oracle.js';

/**
 * TrainedModels under strict policies, which policies judge a ClusterServingRuntime, and key
 * order for every governed kind.
 */

type Obj = Record<string, any>;
const STRICT = [
  ['pinning', 'signatures'],
  ['prefixes', 'signatures'],
] as const;
const strict = (d: Draft): PolicyCase => ({ rules: [...d.pick(STRICT)] });
const URI = 'spec.model.storageUri';

/** Why a strict policy must deny a TrainedModel: its one location is not bound and signed. */
function mustDeny(tm: Obj, p: PolicyCase): string[] {
  const uri = tm['spec'].model.storageUri as string;
  if (!boundAndSigned(uri, readEvidence(tm))) return [`${uri} is not bound to a signed digest`];
  if (p.rules.includes('prefixes') && !withinPrefixes(uri)) return [`${uri} is outside`];
  return [];
}

t.test('a TrainedModel: unpinned or unsigned is denied, pinned and signed admitted', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g, false, [...GOOD_URIS, ...BAD_URIS]);
    return { policy: strict(d), tm: trainedModel(d) };
  });
  holds(
    t,
    'oracle says deny => denied, citing spec.model.storageUri',
    cases,
    ({ policy, tm }) => {
      const reasons = mustDeny(tm, policy);
      if (reasons.length === 0) return true;
      const d = decide(policy, tm);
      denied(d, reasons);
      if (!d.violations.some((v) => v.path === URI))
        throw new Error(`denied, but not at ${URI}: ${verdict(d)}`);
      return true;
    },
    200,
  );
  const expected = count(cases, (c) => mustDeny(c.tm, c.policy).length > 0, 200);
  t.ok(expected > 80, `the oracle required a denial in ${expected} of 200 TrainedModels`);

  const clean = fc.gen().map((g) => {
    const d = new Draft(g, true);
    return { policy: strict(d), tm: trainedModel(d) };
  });
  holds(t, 'pinned and signed => admitted', clean, ({ policy, tm }) => {
    if (mustDeny(tm, policy).length > 0) throw new Error('generator: a clean TrainedModel denied');
    const d = decide(policy, tm);
    if (!d.allowed) throw new Error(`engine denied: ${verdict(d)}`);
    return true;
  });
});

const MATCHES: { lines: string[]; selects: (labels: Obj) => boolean }[] = [
  { lines: ['namespaces: [ml-prod]'], selects: () => true },
  { lines: ['namespaceSelector: { matchLabels: { env: prod } }'], selects: () => true },
  {
    lines: [
      'namespaces: [ml-prod]',
      'namespaceSelector: { matchExpressions: [{ key: env, operator: In, values: [prod] }] }',
    ],
    selects: () => true,
  },
  {
    lines: ['objectSelector: { matchLabels: { team: risk } }'],
    selects: (l) => l['team'] === 'risk',
  },
  {
    lines: ['namespaces: [ml-prod]', 'objectSelector: { matchLabels: { team: risk } }'],
    selects: (l) => l['team'] === 'risk',
  },
];

t.test('a ClusterServingRuntime is judged by every policy whatever its namespaces', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const m = d.pick(MATCHES);
    const policy: PolicyCase = {
      rules: [d.pick(['images', 'imagePrefixes'] as const)],
      match: m.lines,
    };
    const csr = runtime(d, 'ClusterServingRuntime', 'any');
    return { policy, csr, selected: m.selects(csr['metadata'].labels) };
  });
  const unpinned = (csr: Obj) => imagesOf(csr, ['Standard']).some((f) => !pinned(f.value));
  holds(
    t,
    'no namespace or namespace labels (as the webhook sends them): judged iff objectSelector matches',
    cases,
    ({ policy, csr, selected }) => {
      const d = decide(policy, csr, undefined, CLUSTER);
      const judged = d.matched.length > 0;
      if (judged !== selected)
        throw new Error(`judged=${judged}, objectSelector matches=${selected}: ${verdict(d)}`);
      if (selected && unpinned(csr) && d.allowed) throw new Error(`admitted: ${verdict(d)}`);
      return true;
    },
    200,
  );
  const denials = count(cases, (c) => c.selected && unpinned(c.csr), 200);
  t.ok(denials > 60, `${denials} of 200 runtimes had to be denied`);

  // The same runtime as a namespaced ServingRuntime in another namespace: namespace criteria hold.
  holds(
    t,
    'a ServingRuntime in namespace ml: judged iff no namespace criterion and objectSelector matches',
    cases,
    ({ policy, csr, selected }) => {
      const sr = {
        ...csr,
        kind: 'ServingRuntime',
        metadata: { ...csr['metadata'], namespace: 'ml' },
      };
      const scoped = policy.match!.some((l) => l.startsWith('namespace'));
      const judged = decide(policy, sr).matched.length > 0;
      if (judged !== (selected && !scoped)) throw new Error(`judged=${judged}`);
      return true;
    },
    100,
  );
});

/** Clean drafts for a third of the objects, so admitted verdicts are shuffled too. */
const d0 = (g: fc.GeneratorValue) => g(fc.nat, { max: 2 }) === 0;

t.test('key order changes no verdict for any governed kind', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g, d0(g), [...GOOD_URIS, ...BAD_URIS]);
    const kind = d.pick([
      'InferenceService',
      'ServingRuntime',
      'ClusterServingRuntime',
      'TrainedModel',
    ] as const);
    const mix = d.pick(['clean', 'any'] as const);
    const object =
      kind === 'InferenceService'
        ? imagedInferenceService(d, mix)
        : kind === 'TrainedModel'
          ? trainedModel(d)
          : runtime(d, kind, mix);
    const rules = d.pick([
      ['pinnedImages', 'signatures'],
      ['imagePrefixes'],
      ['prefixes', 'signatures'],
    ] as const);
    const policy: PolicyCase = { rules: [...rules] };
    return {
      policy,
      object,
      shuffled: shuffleKeys(object, d.seed()),
    };
  });
  const judge = (p: PolicyCase, o: Obj) => verdict(decide(p, o));
  holds(
    t,
    'verdict(object) = verdict(shuffled keys)',
    cases,
    (c) => {
      const before = judge(c.policy, c.object);
      const after = judge(c.policy, c.shuffled);
      if (before !== after) throw new Error(`verdict changed: ${before} -> ${after}`);
      return true;
    },
    250,
  );
  const admitted = count(cases, (c) => judge(c.policy, c.object).startsWith('allowed'), 250);
  t.ok(admitted > 50, `${admitted} of 250 base objects were admitted`);
});
