import t from 'tap';
import type { Decision, PolicyFinding } from '@aviary/policies/engine';
import {
  AUDIT_KEYS,
  MAX_WARNING_CHARS,
  decisionResponse,
  kindMismatch,
  nestsDeeperThan,
  parseReview,
  warningText,
  warningsFor,
} from '@aviary/webhook';
import { reviewBody } from './support.js';

const finding = (over: Partial<PolicyFinding> = {}): PolicyFinding => ({
  code: 'PIN_SCHEME_NOT_ALLOWED',
  path: 'spec.predictor.model.storageUri',
  message: 'scheme "gs" is not allowed; allowed: s3',
  policy: 'prod',
  rule: 'pinning',
  mode: 'warn',
  ...over,
});

t.test('parseReview accepts what the apiserver sends', async (t) => {
  const r = parseReview(reviewBody({ uid: 'abc', object: { metadata: { name: 'x' } } }));
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.request.uid, 'abc');
  t.equal(r.request.operation, 'CREATE');
  t.equal(r.request.namespace, 'ml-prod');
  t.equal(r.request.dryRun, false);

  // No request.namespace: taken from the object's metadata.
  const body = reviewBody({ object: { metadata: { name: 'x', namespace: 'from-object' } } }) as any;
  delete body.request.namespace;
  const fromObject = parseReview(body);
  t.ok(fromObject.ok && fromObject.request.namespace === 'from-object');
  delete body.request.object.metadata.namespace;
  t.match(parseReview(body), { ok: false, code: 'ADMISSION_NAMESPACE' });

  // DELETE: object null, nothing else required of it.
  t.match(parseReview(reviewBody({ operation: 'DELETE', object: null })), { ok: true });
  // Another kind: objects are not inspected.
  t.match(
    parseReview(reviewBody({ kind: { group: '', version: 'v1', kind: 'Pod' }, object: 'x' })),
    { ok: true },
  );
});

t.test('parseReview rejects malformed reviews with a stable code', async (t) => {
  const withRequest = (patch: Record<string, unknown>) => {
    const b = reviewBody({ object: {} }) as any;
    Object.assign(b.request, patch);
    return b;
  };
  const table: [string, unknown, string][] = [
    ['array', [], 'ADMISSION_REVIEW_INVALID'],
    ['null', null, 'ADMISSION_REVIEW_INVALID'],
    [
      'v1beta1',
      { ...reviewBody({}), apiVersion: 'admission.k8s.io/v1beta1' },
      'ADMISSION_API_VERSION',
    ],
    ['kind', { ...reviewBody({}), kind: 'Review' }, 'ADMISSION_KIND'],
    [
      'no request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      'ADMISSION_REQUEST_MISSING',
    ],
    ['uid too long', withRequest({ uid: 'x'.repeat(257) }), 'ADMISSION_UID'],
    ['operation lower case', withRequest({ operation: 'create' }), 'ADMISSION_OPERATION'],
    ['kind a string', withRequest({ kind: 'InferenceService' }), 'ADMISSION_REQUEST_KIND'],
    ['namespace a number', withRequest({ namespace: 1 }), 'ADMISSION_REQUEST_INVALID'],
    ['subResource an object', withRequest({ subResource: {} }), 'ADMISSION_REQUEST_INVALID'],
    ['object null', withRequest({ object: null }), 'ADMISSION_OBJECT'],
    [
      'old object an array',
      withRequest({ operation: 'UPDATE', oldObject: [] }),
      'ADMISSION_OLD_OBJECT',
    ],
  ];
  for (const [name, body, code] of table) t.match(parseReview(body), { ok: false, code }, name);
});

const KSERVE = 'serving.kserve.io';
const kindOf = (kind: string, version = 'v1alpha1') => ({ group: KSERVE, version, kind });
const objectOf = (kind: string, namespace?: string) => ({
  apiVersion: `${KSERVE}/v1alpha1`,
  kind,
  metadata: { name: 'x', ...(namespace !== undefined ? { namespace } : {}) },
  spec: {},
});
/** A review of `kind` whose request carries no namespace (as for a cluster-scoped object). */
function withoutNamespace(kind: string, object: unknown): unknown {
  const body = reviewBody({ kind: kindOf(kind), object }) as any;
  delete body.request.namespace;
  return body;
}

t.test('parseReview: every governed kind is read as a reviewed object', async (t) => {
  for (const kind of ['TrainedModel', 'ServingRuntime', 'ClusterServingRuntime']) {
    const ok = parseReview(reviewBody({ kind: kindOf(kind), object: objectOf(kind) }));
    t.ok(ok.ok, `${kind}: accepted`);
    // Reviewed, so its object is required (another kind's is not inspected; see above).
    t.match(
      parseReview(reviewBody({ kind: kindOf(kind), object: 'x' })),
      { ok: false, code: 'ADMISSION_OBJECT' },
      `${kind}: object required`,
    );
    t.match(
      parseReview(reviewBody({ kind: kindOf(kind), object: objectOf(kind), oldObject: 'x' })),
      { ok: false, code: 'ADMISSION_OLD_OBJECT' },
      `${kind}: oldObject required on UPDATE`,
    );
    // A subresource (status) is not reviewed: its object is not inspected.
    t.match(
      parseReview(reviewBody({ kind: kindOf(kind), subResource: 'status', object: 'x' })),
      { ok: true },
      `${kind}/status: not inspected`,
    );
  }
});

t.test(
  'parseReview: namespaced kinds need a namespace, a cluster-scoped one has none',
  async (t) => {
    for (const kind of ['TrainedModel', 'ServingRuntime']) {
      t.match(
        parseReview(withoutNamespace(kind, objectOf(kind))),
        { ok: false, code: 'ADMISSION_NAMESPACE' },
        `${kind}: no namespace anywhere`,
      );
      const fromObject = parseReview(withoutNamespace(kind, objectOf(kind, 'from-object')));
      t.ok(
        fromObject.ok && fromObject.request.namespace === 'from-object',
        `${kind}: from metadata`,
      );
    }
    const csr = parseReview(
      withoutNamespace('ClusterServingRuntime', objectOf('ClusterServingRuntime')),
    );
    t.ok(csr.ok, 'a ClusterServingRuntime without a namespace is accepted');
    if (csr.ok) t.equal(csr.request.namespace, undefined);
    // A namespace claimed for a cluster-scoped object (the apiserver never sends one) narrows
    // nothing: it is dropped, from the request and from the object alike.
    const claimed = parseReview(
      reviewBody({
        kind: kindOf('ClusterServingRuntime'),
        namespace: 'ml-dev',
        object: objectOf('ClusterServingRuntime', 'ml-dev'),
      }),
    );
    t.ok(claimed.ok);
    if (claimed.ok) t.equal(claimed.request.namespace, undefined, 'no namespace');
  },
);

t.test('kindMismatch: the object must be of the kind the request names', async (t) => {
  const parsed = (o: { kind: string; object: unknown; oldObject?: unknown }) => {
    const r = parseReview(reviewBody({ ...o, kind: kindOf(o.kind) }));
    if (!r.ok) throw new Error(r.code);
    return r.request;
  };
  for (const kind of [
    'InferenceService',
    'TrainedModel',
    'ServingRuntime',
    'ClusterServingRuntime',
  ])
    t.equal(kindMismatch(parsed({ kind, object: objectOf(kind) })), undefined, `${kind}: matches`);
  t.match(
    kindMismatch(parsed({ kind: 'ServingRuntime', object: objectOf('InferenceService') })),
    /^request\.object\.kind is "InferenceService", not request\.kind\.kind "ServingRuntime"$/,
  );
  const noKind: Record<string, unknown> = { ...objectOf('TrainedModel') };
  delete noKind['kind'];
  t.match(
    kindMismatch(parsed({ kind: 'TrainedModel', object: noKind })),
    /^request\.object\.kind is not a string/,
  );
  t.match(
    kindMismatch(
      parsed({ kind: 'TrainedModel', object: objectOf('TrainedModel'), oldObject: objectOf('X') }),
    ),
    /^request\.oldObject\.kind is "X"/,
    'on UPDATE the old object too',
  );
  const long = kindMismatch(parsed({ kind: 'TrainedModel', object: objectOf('K'.repeat(5000)) }));
  t.ok(long !== undefined && long.length < 200, 'a hostile kind is cut short');
});

t.test('warnings are at most 120 characters and keep path, code and policy', async (t) => {
  t.equal(
    warningText(finding()),
    'spec.predictor.model.storageUri: scheme "gs" is not allowed; allowed: s3 [PIN_SCHEME_NOT_ALLOWED, policy prod]',
  );
  for (let n = 0; n < 400; n += 7) {
    const f = finding({
      message: 'm'.repeat(n),
      path: `spec.canary[${n}].predictor.model.storageUri`,
    });
    const w = warningText(f);
    t.ok(w.length <= MAX_WARNING_CHARS, `${w.length} <= 120`);
    t.ok(w.startsWith(`${f.path}: `), 'path first');
    t.ok(w.endsWith(` [${f.code}, policy ${f.policy}]`), 'code and policy last');
  }
  const long = finding({ path: `spec.${'x'.repeat(200)}`, message: 'm' });
  t.ok(warningText(long).length <= MAX_WARNING_CHARS, 'absurd paths are cut too');
  t.notMatch(
    warningText(finding({ message: 'a\nb\u0007c' })),
    // eslint-disable-next-line no-control-regex -- asserting they are gone
    /[\n\u0007]/,
    'no control characters',
  );
});

t.test('many warnings stay inside the apiserver budget', async (t) => {
  const many = Array.from({ length: 100 }, (_, i) => finding({ path: `spec.f${i}` }));
  const ws = warningsFor(many);
  t.ok(ws.join('').length <= 4096);
  t.match(ws[ws.length - 1], /^aviary: \d+ more warnings in the audit annotations$/);
  t.same(warningsFor([finding()]), [warningText(finding())]);
});

t.test('decisionResponse', async (t) => {
  const decision: Decision = {
    allowed: false,
    violations: [finding({ mode: 'enforce' })],
    warnings: [
      finding({
        code: 'CANARY_ON_CREATE',
        rule: 'canary',
        path: 'spec.predictor.canaryTrafficPercent',
      }),
    ],
    audits: [],
    matched: ['a', 'prod'],
    verified: [
      {
        uri: 's3://m/1/',
        digest: `sha256:${'a'.repeat(64)}`,
        authority: 'k',
        signer: 'abc',
        policy: 'prod',
      },
    ],
  };
  const r = decisionResponse('u', decision);
  t.equal(r.status?.code, 403);
  t.match(
    r.status?.message,
    /^denied by Aviary: 1 violation: spec\.predictor\.model\.storageUri: .* \[PIN_SCHEME_NOT_ALLOWED, policy prod\]$/,
  );
  t.equal(r.auditAnnotations?.[AUDIT_KEYS.policies], 'a,prod');
  t.same(
    JSON.parse(JSON.parse(r.auditAnnotations![AUDIT_KEYS.verified]!)[0]),
    decision.verified[0],
  );
  t.equal(r.warnings?.length, 1);

  // A huge finding list is cut to fit one annotation.
  const big = {
    ...decision,
    violations: Array.from({ length: 500 }, (_, i) => finding({ path: `spec.f${i}` })),
  };
  const cut = decisionResponse('u', big).auditAnnotations![AUDIT_KEYS.violations]!;
  t.ok(cut.length <= 8192);
  t.match(JSON.parse(cut).pop(), /^\.\.\. \d+ more$/);
});

t.test('nestsDeeperThan stops at the limit, however deep the input', async (t) => {
  let deep: any = {};
  const root = deep;
  for (let i = 0; i < 100_000; i++) deep = (deep.a = [{}])[0];
  t.equal(nestsDeeperThan(root, 64), true);
  t.equal(nestsDeeperThan({ a: { b: [{ c: 1 }] } }, 64), false);
  t.equal(nestsDeeperThan({ a: { b: { c: {} } } }, 3), true);
  t.equal(nestsDeeperThan({ a: { b: { c: 1 } } }, 3), false);
  t.equal(nestsDeeperThan(null, 0), false);
  t.equal(nestsDeeperThan([[[[]]]], 3), true, 'arrays count as levels');
  t.equal(nestsDeeperThan([[[1]]], 3), false);
  t.equal(nestsDeeperThan({ a: 1, b: [{ c: [] }] }, 3), true, 'a deep branch after a shallow one');
});
