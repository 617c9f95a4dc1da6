import t, { type Test } from 'tap';
import { AUDIT_KEYS } from '@aviary/webhook';
import { isvc } from '../helpers/isvc.js';
import { findingsIn, reviewBody, send, startTestApp, testCert, valueOf } from './support.js';

// The kinds beside InferenceService, over the real HTTPS listener: which requests are judged,
// in which namespace, under which policies. The rules themselves are the engine's (test/policies).

const ca = (await testCert()).cert;
const KSERVE = 'serving.kserve.io';

/** One policy per way of matching: by namespace, by namespace labels, by object labels. */
const POLICIES = {
  'by-namespace.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: by-namespace}
spec:
  mode: audit
  match: {namespaces: [ml-prod]}
  pinning: {allowedSchemes: [s3]}
`,
  'by-labels.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: by-labels}
spec:
  mode: audit
  match: {namespaceSelector: {matchLabels: {env: prod}}}
  pinning: {allowedSchemes: [s3]}
`,
  'by-object.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: by-object}
spec:
  mode: audit
  match: {objectSelector: {matchLabels: {tier: gold}}}
  pinning: {allowedSchemes: [s3]}
`,
};
const LABELS: Record<string, Record<string, string>> = { 'ml-prod': { env: 'prod' } };

async function startApp(t: Test) {
  const lookups: string[] = [];
  const app = await startTestApp(t, POLICIES, (ns) => {
    lookups.push(ns);
    return LABELS[ns] ?? {};
  });
  return { ...app, lookups };
}

const kindOf = (kind: string) => ({ group: KSERVE, version: 'v1alpha1', kind });
function object(kind: string, namespace?: string, labels?: Record<string, string>) {
  const spec =
    kind === 'TrainedModel'
      ? {
          inferenceService: 'iris',
          model: { framework: 'sklearn', memory: '1Gi', storageUri: 's3://models/tm/1/' },
        }
      : {
          supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true }],
          containers: [{ name: 'kserve-container', image: 'kserve/sklearnserver:latest' }],
        };
  return {
    apiVersion: `${KSERVE}/v1alpha1`,
    kind,
    metadata: {
      name: 'x',
      ...(namespace !== undefined ? { namespace } : {}),
      ...(labels ? { labels } : {}),
    },
    spec,
  };
}
/** A review as the apiserver sends it: a cluster-scoped object comes without a namespace. */
function reviewOf(kind: string, obj: unknown, namespace?: string, uid = `u-${kind}`) {
  const body = reviewBody({ uid, kind: kindOf(kind), object: obj }) as any;
  if (namespace === undefined) delete body.request.namespace;
  else body.request.namespace = namespace;
  return body;
}
const matched = (r: { json: any }) => r.json.response.auditAnnotations?.[AUDIT_KEYS.policies];

t.test('namespaced kinds are judged in their namespace, with its labels', async (t) => {
  const { port, lookups } = await startApp(t);
  for (const kind of ['TrainedModel', 'ServingRuntime']) {
    lookups.length = 0;
    const prod = await send(port, { body: reviewOf(kind, object(kind, 'ml-prod'), 'ml-prod'), ca });
    t.equal(prod.status, 200, kind);
    t.equal(prod.json.response.uid, `u-${kind}`);
    t.not(prod.json.response.auditAnnotations[AUDIT_KEYS.decision], 'skipped', `${kind}: judged`);
    t.equal(matched(prod), 'by-labels,by-namespace', `${kind} in ml-prod`);
    t.same(lookups, ['ml-prod'], `${kind}: labels of its namespace`);
    if (kind === 'TrainedModel')
      t.same(
        findingsIn(JSON.parse(prod.json.response.auditAnnotations[AUDIT_KEYS.audit])),
        [
          'PIN_EVIDENCE_MISSING@spec.model.storageUri (by-labels)',
          'PIN_EVIDENCE_MISSING@spec.model.storageUri (by-namespace)',
        ],
        'its model location judged',
      );
    const dev = await send(port, { body: reviewOf(kind, object(kind, 'ml-dev'), 'ml-dev'), ca });
    t.equal(matched(dev), undefined, `${kind} in ml-dev: no policy`);
    const missing = await send(port, { body: reviewOf(kind, object(kind)), ca });
    t.equal(missing.status, 400, `${kind} without a namespace`);
    t.equal(missing.json.code, 'ADMISSION_NAMESPACE');
  }
});

t.test('a ClusterServingRuntime is judged by every policy, without a namespace', async (t) => {
  const { port, lookups, logs } = await startApp(t);
  const kind = 'ClusterServingRuntime';
  const r = await send(port, { body: reviewOf(kind, object(kind), undefined, 'u-csr'), ca });
  t.equal(r.status, 200);
  t.equal(matched(r), 'by-labels,by-namespace', 'namespace criteria hold for it');
  t.same(lookups, [], 'no namespace labels are looked up');
  const line = logs.find((l) => l.uid === 'u-csr');
  t.equal(line?.kind, `${KSERVE}/v1alpha1/${kind}`);
  t.notOk('namespace' in (line ?? {}), 'logged without a namespace');

  // The objectSelector still decides.
  const gold = await send(port, {
    body: reviewOf(kind, object(kind, undefined, { tier: 'gold' })),
    ca,
  });
  t.equal(matched(gold), 'by-labels,by-namespace,by-object');
  // A namespace claimed in the request narrows nothing.
  const claimed = await send(port, { body: reviewOf(kind, object(kind), 'ml-dev'), ca });
  t.equal(matched(claimed), 'by-labels,by-namespace');
  t.same(lookups, [], 'still no lookup');
});

t.test('an object of another kind than the request names is refused unevaluated', async (t) => {
  const { port, state, logs } = await startApp(t);
  const cases: [string, unknown, unknown?][] = [
    ['ServingRuntime', object('InferenceService', 'ml-prod')],
    ['InferenceService', object('ServingRuntime', 'ml-prod')],
    ['TrainedModel', { ...object('TrainedModel', 'ml-prod'), kind: undefined }],
    ['TrainedModel', object('TrainedModel', 'ml-prod'), object('ServingRuntime', 'ml-prod')],
  ];
  for (const [i, [kind, obj, old]] of cases.entries()) {
    const body = reviewBody({
      uid: `u-mismatch-${i}`,
      kind: kindOf(kind),
      object: obj,
      ...(old !== undefined ? { oldObject: old } : {}),
    });
    const r = await send(port, { body, ca });
    t.equal(r.status, 200, `${i}: an answer, whatever the failurePolicy`);
    t.equal(r.json.response.uid, `u-mismatch-${i}`);
    t.equal(r.json.response.allowed, false);
    t.match(r.json.response.status, { code: 400, reason: 'BadRequest', message: /kind/ });
    t.equal(r.json.response.auditAnnotations[AUDIT_KEYS.decision], 'denied');
    t.notOk(AUDIT_KEYS.policies in r.json.response.auditAnnotations, `${i}: not evaluated`);
    t.match(
      logs.find((l) => l.uid === `u-mismatch-${i}`),
      { result: 'denied', error: 'KIND_MISMATCH' },
    );
  }
  t.equal(await valueOf(state.metrics.requests, { result: 'denied', kind: 'TrainedModel' }), 2);
  // The same InferenceService with its own kind is judged.
  const ok = isvc({ uri: 's3://models/iris/1/', namespace: 'ml-prod' });
  const r = await send(port, { body: reviewBody({ object: ok }), ca });
  t.equal(r.json.response.allowed, true);
});

t.test('subresources and other kinds are skipped; requests are counted by kind', async (t) => {
  const { port, state } = await startApp(t);
  for (const kind of ['TrainedModel', 'ServingRuntime', 'ClusterServingRuntime']) {
    const body = reviewBody({
      kind: kindOf(kind),
      subResource: 'status',
      object: object(kind, 'ml-prod'),
    });
    const r = await send(port, { body, ca });
    t.equal(r.json.response.allowed, true);
    t.equal(r.json.response.auditAnnotations[AUDIT_KEYS.decision], 'skipped', `${kind}/status`);
    t.match(r.json.response.warnings[0], new RegExp(`${KSERVE}/${kind}/status is not checked`));
  }
  const pod = reviewBody({
    kind: { group: '', version: 'v1', kind: 'Pod' },
    object: { kind: 'Pod' },
  });
  await send(port, { body: pod, ca });
  await send(port, { raw: '[]', ca });
  const count = (result: string, kind: string) => valueOf(state.metrics.requests, { result, kind });
  t.equal(await count('skipped', 'ServingRuntime'), 1);
  t.equal(await count('skipped', 'ClusterServingRuntime'), 1);
  t.equal(await count('skipped', 'other'), 1, 'any other kind is "other"');
  t.equal(await count('invalid', 'unknown'), 1, 'an unreadable request is "unknown"');
  const text = (await send(port, { path: '/metrics', ca })).text;
  t.match(text, /^aviary_admission_requests_total\{result="skipped",kind="TrainedModel"\} 1$/m);
});
