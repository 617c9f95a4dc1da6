import { readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import {
  AUDIT_KEYS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_WARNING_CHARS,
  buildApp,
  createMetrics,
  loadPolicySnapshot,
  WebhookState,
} from '@aviary/webhook';
import { isvc } from '../helpers/isvc.js';
import { FIXTURES, REPO } from '../helpers/paths.js';
import {
  POLICIES,
  findingsIn,
  logSink,
  reviewBody,
  send,
  startTestApp,
  testCert,
  valueOf,
} from './support.js';

// Every case goes through the real HTTPS listener on 127.0.0.1 (TLS, keep-alive, body parsing),
// not only fastify's inject.

const LABELS: Record<string, Record<string, string>> = { 'ml-signed': { env: 'prod' } };
const ca = (await testCert()).cert;

const startApp = (t: Test, files: Record<string, string> = POLICIES) =>
  startTestApp(t, files, (ns) => LABELS[ns] ?? {});

const good = () => isvc({ uri: 's3://models/iris/1/', namespace: 'ml-prod' });
function bad(namespace: string, canary?: number): Record<string, any> {
  const o = isvc({
    uri: 'gs://elsewhere/iris/1/',
    namespace,
    ...(canary !== undefined ? { canary } : {}),
  }) as any;
  o.spec.transformer = {
    containers: [
      { name: 't', env: [{ name: 'STORAGE_URI', value: 'oci://registry.example.com/t:latest' }] },
    ],
  };
  return o;
}
const review = (o: Parameters<typeof reviewBody>[0]) => reviewBody(o);

t.test('round trips over HTTPS', async (t) => {
  const { port, state, logs, app } = await startApp(t);
  const post = (body: unknown) => send(port, { body, ca });

  t.test('allowed: HTTP 200, the request uid, no status, decision annotations', async (t) => {
    const r = await post(review({ uid: 'u-allowed', object: good() }));
    t.equal(r.status, 200);
    t.match(r.headers['content-type'], /^application\/json/);
    t.same(Object.keys(r.json).sort(), ['apiVersion', 'kind', 'response']);
    t.equal(r.json.apiVersion, 'admission.k8s.io/v1');
    t.equal(r.json.kind, 'AdmissionReview');
    const res = r.json.response;
    t.equal(res.uid, 'u-allowed');
    t.equal(res.allowed, true);
    t.notOk('status' in res);
    t.notOk('warnings' in res);
    t.same(res.auditAnnotations, {
      [AUDIT_KEYS.decision]: 'allowed',
      [AUDIT_KEYS.policies]: 'pin-prod',
    });
  });

  t.test('denied: 403 Forbidden, every violation with its path, code and policy', async (t) => {
    const r = await post(review({ uid: 'u-denied', object: bad('ml-prod', 30) }));
    t.equal(r.status, 200);
    const res = r.json.response;
    t.equal(res.uid, 'u-denied');
    t.equal(res.allowed, false);
    t.equal(res.status.code, 403);
    t.equal(res.status.reason, 'Forbidden');
    const expected = [
      'CANARY_ABOVE_MAX@spec.predictor.canaryTrafficPercent (pin-prod)',
      'CANARY_STEP_NOT_ALLOWED@spec.predictor.canaryTrafficPercent (pin-prod)',
      'PIN_OCI_UNPINNED@spec.transformer.containers[0].env[0].value (pin-prod)',
      'PIN_PREFIX_NOT_ALLOWED@spec.predictor.model.storageUri (pin-prod)',
      'PIN_SCHEME_NOT_ALLOWED@spec.predictor.model.storageUri (pin-prod)',
    ];
    // The message names every violation as `<path>: <message> [<code>, policy <name>]`.
    const named = [...res.status.message.matchAll(/\[([A-Z_]+), policy ([a-z0-9-]+)\]/g)];
    t.equal(named.length, expected.length);
    t.match(res.status.message, /^denied by Aviary: 5 violations: /);
    for (const p of [
      'spec.predictor.canaryTrafficPercent: ',
      'spec.predictor.model.storageUri: ',
      'spec.transformer.containers[0].env[0].value: ',
    ])
      t.ok(res.status.message.includes(p), `message names ${p}`);
    t.same(findingsIn(JSON.parse(res.auditAnnotations[AUDIT_KEYS.violations])), expected);
    t.equal(res.auditAnnotations[AUDIT_KEYS.decision], 'denied');
    // The advisory (a canary on CREATE) rides along as a warning, even on a denial.
    t.equal(res.warnings.length, 1);
    t.match(
      res.warnings[0],
      /^spec\.predictor\.canaryTrafficPercent: .*\[CANARY_ON_CREATE, policy pin-prod\]$/,
    );
  });

  t.test('warn mode: allowed, findings as warnings of at most 120 characters', async (t) => {
    const r = await post(
      review({ uid: 'u-warn', namespace: 'ml-staging', object: bad('ml-staging', 30) }),
    );
    const res = r.json.response;
    t.equal(res.allowed, true);
    t.notOk('status' in res);
    t.equal(res.warnings.length, 6);
    for (const w of res.warnings) {
      t.ok(w.length <= MAX_WARNING_CHARS, `${w.length} chars`);
      t.match(w, /^spec\.\S+: .* \[[A-Z_]+, policy pin-staging\]$/);
    }
    t.same(findingsIn(JSON.parse(res.auditAnnotations[AUDIT_KEYS.warnings])), [
      'CANARY_ABOVE_MAX@spec.predictor.canaryTrafficPercent (pin-staging)',
      'CANARY_ON_CREATE@spec.predictor.canaryTrafficPercent (pin-staging)',
      'PIN_OCI_UNPINNED@spec.transformer.containers[0].env[0].value (pin-staging)',
      'PIN_PREFIX_NOT_ALLOWED@spec.predictor.model.storageUri (pin-staging)',
      'PIN_PREFIX_NOT_ALLOWED@spec.transformer.containers[0].env[0].value (pin-staging)',
      'PIN_SCHEME_NOT_ALLOWED@spec.predictor.model.storageUri (pin-staging)',
    ]);
  });

  t.test('audit mode: allowed silently, findings only in auditAnnotations', async (t) => {
    const r = await post(
      review({ uid: 'u-audit', namespace: 'ml-audit', object: bad('ml-audit') }),
    );
    const res = r.json.response;
    t.equal(res.allowed, true);
    t.notOk('warnings' in res);
    t.notOk('status' in res);
    t.equal(res.auditAnnotations[AUDIT_KEYS.decision], 'allowed');
    t.equal(res.auditAnnotations[AUDIT_KEYS.policies], 'pin-audit');
    t.same(findingsIn(JSON.parse(res.auditAnnotations[AUDIT_KEYS.audit])), [
      'PIN_OCI_UNPINNED@spec.transformer.containers[0].env[0].value (pin-audit)',
      'PIN_PREFIX_NOT_ALLOWED@spec.predictor.model.storageUri (pin-audit)',
      'PIN_PREFIX_NOT_ALLOWED@spec.transformer.containers[0].env[0].value (pin-audit)',
      'PIN_SCHEME_NOT_ALLOWED@spec.predictor.model.storageUri (pin-audit)',
    ]);
  });

  t.test(
    'audit annotation keys survive the apiserver prefixing them with the webhook name',
    async (t) => {
      // kube-apiserver stores `<webhook name>/<key>` and drops keys that are then not a
      // qualified name (checkKeyFormat): so no slash, ≤63 chars, alphanumeric at both ends.
      for (const key of Object.values(AUDIT_KEYS))
        t.match(key, /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
      const r = await post(review({ object: bad('ml-prod', 30) }));
      for (const [k, v] of Object.entries(r.json.response.auditAnnotations)) {
        t.type(v, 'string', k);
        t.ok((Object.values(AUDIT_KEYS) as string[]).includes(k), k);
      }
    },
  );

  t.test('dryRun gets exactly the same answer', async (t) => {
    for (const object of [good(), bad('ml-prod', 30)]) {
      const wet = await post(review({ uid: 'u-dry', object }));
      const dry = await post(review({ uid: 'u-dry', object, dryRun: true }));
      t.same(dry.json, wet.json);
    }
  });

  t.test('UPDATE is judged against oldObject', async (t) => {
    const v1 = isvc({ uri: 's3://models/iris/1/' });
    const canary5 = isvc({ uri: 's3://models/iris/2/', canary: 5, stable: 's3://models/iris/1/' });
    const canary25 = isvc({
      uri: 's3://models/iris/2/',
      canary: 25,
      stable: 's3://models/iris/1/',
    });
    const straight = isvc({ uri: 's3://models/iris/3/' });

    const ok = await post(review({ uid: 'u-up1', object: canary5, oldObject: v1 }));
    t.equal(ok.json.response.allowed, true);

    const jump = await post(review({ uid: 'u-up2', object: canary25, oldObject: canary5 }));
    t.equal(jump.json.response.allowed, false);
    t.same(findingsIn(JSON.parse(jump.json.response.auditAnnotations[AUDIT_KEYS.violations])), [
      'CANARY_INCREASE_TOO_LARGE@spec.predictor.canaryTrafficPercent (pin-prod)',
    ]);
    // The same share as a CREATE has no old share to jump from (and no stable record, which a
    // new InferenceService's first revision would make false).
    const asCreate = await post(
      review({ uid: 'u-up3', object: isvc({ uri: 's3://models/iris/2/', canary: 25 }) }),
    );
    t.equal(asCreate.json.response.allowed, true);
    const recorded = await post(review({ uid: 'u-up5', object: canary25 }));
    t.same(findingsIn(JSON.parse(recorded.json.response.auditAnnotations[AUDIT_KEYS.violations])), [
      'STABLE_RECORD_UNKNOWN@metadata.annotations["aviary.dev/stable"] (pin-prod)',
    ]);

    const direct = await post(review({ uid: 'u-up4', object: straight, oldObject: v1 }));
    t.same(findingsIn(JSON.parse(direct.json.response.auditAnnotations[AUDIT_KEYS.violations])), [
      'CANARY_REQUIRED@spec.predictor.canaryTrafficPercent (pin-prod)',
    ]);
  });

  t.test('DELETE and CONNECT pass through without evaluation', async (t) => {
    for (const operation of ['DELETE', 'CONNECT']) {
      const r = await post(
        review({ uid: `u-${operation}`, operation, object: null, oldObject: bad('ml-prod', 30) }),
      );
      t.equal(r.status, 200);
      t.same(r.json.response, { uid: `u-${operation}`, allowed: true });
    }
  });

  t.test(
    'a kind the webhook should never get is allowed, with a warning and a record',
    async (t) => {
      const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } };
      const r = await post(
        review({
          uid: 'u-dep',
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          object: deployment,
        }),
      );
      const res = r.json.response;
      t.equal(res.allowed, true);
      t.equal(res.warnings.length, 1);
      t.ok(res.warnings[0].length <= MAX_WARNING_CHARS);
      t.match(res.warnings[0], /apps\/Deployment is not checked/);
      t.equal(res.auditAnnotations[AUDIT_KEYS.decision], 'skipped');
      // Same for the status subresource of an InferenceService.
      const status = await post(
        review({ uid: 'u-st', subResource: 'status', object: bad('ml-prod', 30) }),
      );
      t.equal(status.json.response.allowed, true);
      t.equal(status.json.response.auditAnnotations[AUDIT_KEYS.decision], 'skipped');
    },
  );

  t.test('an absurdly nested object is denied, not walked', async (t) => {
    // 9,000 levels: legal JSON (the apiserver's decoder allows 10,000), too deep to walk.
    const n = 9000;
    const raw = JSON.stringify(review({ uid: 'u-deep', object: good() })).replace(
      '"predictor":{',
      `"predictor":{"extra":${'{"a":'.repeat(n)}{}${'}'.repeat(n)},`,
    );
    const r = await send(port, { raw, ca });
    t.equal(r.status, 200);
    t.equal(r.json.response.allowed, false);
    t.equal(r.json.response.status.code, 400);
    const after = await post(review({ uid: 'u-after-deep', object: good() }));
    t.equal(after.json.response.allowed, true);
  });

  t.test('a 3 MiB-ish UPDATE (object + oldObject) is accepted', async (t) => {
    const pad = 'x'.repeat(1_550_000);
    const oldObject = isvc({
      uri: 's3://models/iris/1/',
      extraAnnotations: { 'example.com/blob': pad },
    });
    const object = isvc({
      uri: 's3://models/iris/2/',
      canary: 5,
      stable: 's3://models/iris/1/',
      extraAnnotations: { 'example.com/blob': pad },
    });
    const body = JSON.stringify(review({ uid: 'u-big', object, oldObject }));
    t.ok(
      body.length > 3_000_000 && body.length <= 3 * 1024 * 1024,
      `${body.length} bytes, under the 3 MiB limit`,
    );
    const r = await send(port, { raw: body, ca });
    t.equal(r.status, 200);
    t.equal(r.json.response.uid, 'u-big');
    t.equal(r.json.response.allowed, true);
  });

  t.test('logs: one structured line per review, with uid, decision and latency', async (t) => {
    await post(review({ uid: 'u-log', object: bad('ml-prod', 30) }));
    const line = logs.find((l) => l.uid === 'u-log');
    t.ok(line, 'logged');
    t.equal(line!.msg, 'admission');
    t.equal(line!.result, 'denied');
    t.equal(line!.operation, 'CREATE');
    t.equal(line!.namespace, 'ml-prod');
    t.type(line!.latencyMs, 'number');
    t.ok(line!.violations.includes('PIN_SCHEME_NOT_ALLOWED@spec.predictor.model.storageUri'));
    t.notOk(JSON.stringify(logs).includes('aviary.dev/artifacts'), 'no object content logged');
  });

  t.test('metrics count results, rule outcomes and latency', async (t) => {
    const text = (await send(port, { path: '/metrics', ca })).text;
    t.match(text, /^# TYPE aviary_admission_requests_total counter$/m);
    t.match(
      text,
      /^aviary_admission_requests_total\{result="denied",kind="InferenceService"\} \d+$/m,
    );
    t.match(text, /^aviary_admission_requests_total\{result="skipped",kind="other"\} \d+$/m);
    t.match(
      text,
      /^aviary_admission_decisions_total\{policy="pin-prod",rule="pinning",mode="enforce",decision="deny"\} \d+$/m,
    );
    t.match(
      text,
      /^aviary_admission_decisions_total\{policy="pin-staging",rule="canary",mode="warn",decision="warn"\} \d+$/m,
    );
    t.match(
      text,
      /^aviary_admission_findings_total\{policy="pin-audit",rule="pinning",mode="audit",code="PIN_PREFIX_NOT_ALLOWED"\} \d+$/m,
    );
    for (const le of ['0.001', '0.005', '0.025', '0.1', '+Inf'])
      t.match(
        text,
        new RegExp(
          `^aviary_admission_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}"\\} \\d+$`,
          'm',
        ),
      );
    t.match(text, /^aviary_admission_duration_seconds_count \d+$/m);
    t.match(text, /^aviary_policies_loaded \d+$/m);
    t.ok(
      (await valueOf(state.metrics.requests, { result: 'allowed', kind: 'InferenceService' })) > 0,
    );
  });

  t.test('idle keep-alive connections outlive the apiserver client (90 s)', async (t) => {
    t.ok(KEEP_ALIVE_TIMEOUT_MS > 90_000);
    t.equal(app.server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
    t.ok(app.server.headersTimeout <= 10_000, 'slow headers are cut');
  });

  t.test('healthz and readyz', async (t) => {
    const h = await send(port, { path: '/healthz', ca });
    t.equal(h.status, 200);
    const r = await send(port, { path: '/readyz', ca });
    t.equal(r.status, 200);
    t.same(r.json.policies, ['pin-audit', 'pin-prod', 'pin-staging']);
  });
});

t.test('an internal key on a Standard canary predictor is denied', async (t) => {
  const { port } = await startApp(t);
  const LOCAL = 'internal.serving.kserve.io/localmodel';
  const o = isvc({
    uri: 's3://models/iris/1/',
    namespace: 'ml-prod',
    canaries: [{ name: 'c', uri: 's3://models/iris/2/', traffic: 10 }],
  }) as any;
  const clean = await send(port, { body: review({ uid: 'u-canary', object: o }), ca });
  t.equal(clean.json.response.allowed, true, 'the same object without the key is allowed');
  o.spec.canary[0].predictor.labels = { [LOCAL]: 'cache' };
  const r = await send(port, { body: review({ uid: 'u-canary-key', object: o }), ca });
  t.equal(r.json.response.allowed, false);
  // Once from the pinning rule and once from the canary rule: every rule denies it.
  const finding = `MODEL_LOCATION_OVERRIDE@spec.canary[0].predictor.labels["${LOCAL}"] (pin-prod)`;
  t.same(findingsIn(JSON.parse(r.json.response.auditAnnotations[AUDIT_KEYS.violations])), [
    finding,
    finding,
  ]);
});

t.test('bad input: 400/413/415 with a JSON error, and the next review is unaffected', async (t) => {
  const { port, state } = await startApp(t);
  const baseline = await send(port, {
    body: review({ uid: 'u-base', object: bad('ml-prod', 30) }),
    ca,
  });
  const object = isvc({ uri: 's3://models/iris/1/' });
  const valid = (uid: string) => ({ body: review({ uid, object: bad('ml-prod', 30) }), ca });
  const withRequest = (patch: Record<string, unknown>) => {
    const b = review({ object: isvc({ uri: 's3://models/iris/1/' }) }) as any;
    Object.assign(b.request, patch);
    return b;
  };
  const cases: [
    string,
    { raw?: string | Buffer; body?: unknown; headers?: Record<string, string> },
    number,
    string?,
  ][] = [
    ['malformed JSON', { raw: '{"apiVersion": "admission.k8s.io/v1", "kind": ' }, 400],
    ['empty body', { raw: '' }, 400],
    ['JSON that is not an object', { raw: '[1,2,3]' }, 400, 'ADMISSION_REVIEW_INVALID'],
    [
      'wrong apiVersion',
      { body: { ...review({ object }), apiVersion: 'admission.k8s.io/v1beta1' } },
      400,
      'ADMISSION_API_VERSION',
    ],
    ['wrong kind', { body: { ...review({ object }), kind: 'TokenReview' } }, 400, 'ADMISSION_KIND'],
    [
      'no request',
      { body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' } },
      400,
      'ADMISSION_REQUEST_MISSING',
    ],
    ['missing uid', { body: withRequest({ uid: undefined }) }, 400, 'ADMISSION_UID'],
    ['empty uid', { body: withRequest({ uid: '' }) }, 400, 'ADMISSION_UID'],
    ['uid not a string', { body: withRequest({ uid: 42 }) }, 400, 'ADMISSION_UID'],
    [
      'unknown operation',
      { body: withRequest({ operation: 'PATCH' }) },
      400,
      'ADMISSION_OPERATION',
    ],
    [
      'request.kind missing',
      { body: withRequest({ kind: undefined }) },
      400,
      'ADMISSION_REQUEST_KIND',
    ],
    ['object is a string', { body: withRequest({ object: 'spec: {}' }) }, 400, 'ADMISSION_OBJECT'],
    ['object is an array', { body: withRequest({ object: [1] }) }, 400, 'ADMISSION_OBJECT'],
    ['object null on CREATE', { body: withRequest({ object: null }) }, 400, 'ADMISSION_OBJECT'],
    [
      'oldObject missing on UPDATE',
      { body: withRequest({ operation: 'UPDATE', oldObject: null }) },
      400,
      'ADMISSION_OLD_OBJECT',
    ],
    [
      'dryRun not a boolean',
      { body: withRequest({ dryRun: 'yes' }) },
      400,
      'ADMISSION_REQUEST_INVALID',
    ],
    [
      '__proto__ at the top',
      { raw: '{"__proto__":{"allowed":true},"apiVersion":"admission.k8s.io/v1"}' },
      400,
    ],
    [
      '__proto__ deep in the object',
      {
        raw: JSON.stringify(review({ uid: 'p', object })).replace(
          '"spec":{',
          '"spec":{"__proto__":{"allowed":true},',
        ),
      },
      400,
    ],
    [
      'constructor.prototype in the object',
      {
        raw: JSON.stringify(review({ uid: 'c', object })).replace(
          '"spec":{',
          '"spec":{"constructor":{"prototype":{"allowed":true}},',
        ),
      },
      400,
    ],
    [
      'not JSON content',
      { raw: 'apiVersion: admission.k8s.io/v1', headers: { 'content-type': 'application/yaml' } },
      415,
    ],
    ['body over 3 MiB', { raw: `{"pad":"${'x'.repeat(3 * 1024 * 1024)}"}` }, 413],
  ];
  for (const [name, input, status, code] of cases) {
    const r = await send(port, { ...input, ca });
    t.equal(r.status, status, `${name}: HTTP ${status}`);
    t.match(r.headers['content-type'], /^application\/json/, `${name}: JSON error body`);
    t.equal(r.json?.statusCode, status, `${name}: statusCode`);
    t.type(r.json?.message, 'string', `${name}: message`);
    if (code) t.equal(r.json?.code, code, `${name}: code`);
    t.notOk('response' in (r.json ?? {}), `${name}: no AdmissionReview`);
    // The server is still up and decides the next review exactly as before.
    const next = await send(port, valid('u-base'));
    t.same(next.json, baseline.json, `${name}: next decision unchanged`);
  }
  t.equal(({} as any).allowed, undefined, 'Object.prototype not polluted');
  t.equal(
    await valueOf(state.metrics.requests, { result: 'invalid', kind: 'unknown' }),
    cases.length,
  );
});

t.test('not ready: /readyz 503 and /validate 503 until a policy set is active', async (t) => {
  const metrics = createMetrics();
  const state = new WebhookState(metrics);
  const app = buildApp(state, { https: await testCert(), logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  t.equal((await send(port, { path: '/healthz', ca })).status, 200);
  const ready = await send(port, { path: '/readyz', ca });
  t.equal(ready.status, 503);
  t.equal(ready.json.status, 'not ready');
  const r = await send(port, { body: review({ object: good() }), ca });
  t.equal(r.status, 503);
  t.equal(r.json.code, 'NOT_READY');
  // DELETE needs no policies.
  const del = await send(port, { body: review({ operation: 'DELETE', oldObject: good() }), ca });
  t.equal(del.status, 200);
  t.equal(await valueOf(metrics.requests, { result: 'unavailable', kind: 'InferenceService' }), 1);
});

t.test(
  'decisions_total: one series per matched policy and rule, labelled with its strictest finding',
  async (t) => {
    const cases: {
      name: string;
      object: Record<string, unknown>;
      policy: string;
      mode: string;
      expected: Record<string, string>;
    }[] = [
      {
        name: 'enforce: canary violations outrank the CREATE advisory',
        object: isvc({ uri: 's3://models/iris/1/', namespace: 'ml-prod', canary: 30 }),
        policy: 'pin-prod',
        mode: 'enforce',
        expected: { pinning: 'pass', signatures: 'pass', canary: 'deny' },
      },
      {
        name: 'warn: only the CREATE advisory',
        object: isvc({ uri: 's3://models/iris/1/', namespace: 'ml-staging', canary: 5 }),
        policy: 'pin-staging',
        mode: 'warn',
        expected: { pinning: 'pass', signatures: 'pass', canary: 'warn' },
      },
      {
        name: 'audit: a pinning finding',
        object: isvc({ uri: 'gs://elsewhere/iris/1/', namespace: 'ml-audit' }),
        policy: 'pin-audit',
        mode: 'audit',
        expected: { pinning: 'audit', signatures: 'pass', canary: 'pass' },
      },
    ];
    for (const c of cases) {
      const { port, state } = await startApp(t);
      const namespace = (c.object['metadata'] as { namespace: string }).namespace;
      const r = await send(port, { body: review({ namespace, object: c.object }), ca });
      t.equal(r.status, 200, c.name);
      for (const [rule, expected] of Object.entries(c.expected))
        for (const decision of ['pass', 'audit', 'warn', 'deny'])
          t.equal(
            await valueOf(state.metrics.decisions, {
              policy: c.policy,
              rule,
              mode: c.mode,
              decision,
            }),
            decision === expected ? 1 : 0,
            `${c.name}: ${rule} ${decision}`,
          );
    }
  },
);

t.test(
  'latency ends when the answer is handed to the connection, not when the write completes',
  async (t) => {
    const dir = t.testdir(POLICIES);
    const metrics = createMetrics();
    const state = new WebhookState(metrics, (ns) => LABELS[ns] ?? {});
    state.snapshot = (await loadPolicySnapshot({ policies: dir })).snapshot;
    const sink = logSink();
    const app = buildApp(state, {
      https: await testCert(),
      logger: { level: 'info', stream: sink.stream },
    });
    // Whatever runs between the answer going out ('prefinish') and the write completing ('finish'),
    // such as other connections' reviews under load, must not count. The clock jumps an hour at
    // 'prefinish' (fastify times replies with performance.now), so a latency taken any later
    // would read at least an hour.
    const JUMP_MS = 3_600_000;
    const realNow = performance.now.bind(performance);
    let jump = 0;
    t.capture(performance, 'now', () => realNow() + jump);
    app.addHook('onSend', (_req, reply, payload, done) => {
      reply.raw.once('prefinish', () => (jump = JUMP_MS));
      done(null, payload);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => app.close());
    const port = (app.server.address() as { port: number }).port;

    const r = await send(port, { body: review({ uid: 'u-handoff', object: good() }), ca });
    t.equal(r.status, 200);
    const line = sink.lines.find((l) => l.uid === 'u-handoff');
    t.type(line?.latencyMs, 'number');
    t.ok(line!.latencyMs < JUMP_MS, `logged ${line!.latencyMs} ms, before the clock jump`);
    const text = (await send(port, { path: '/metrics', ca })).text;
    t.match(text, /^aviary_admission_duration_seconds_count 1$/m);
    const sum = Number(/^aviary_admission_duration_seconds_sum (\S+)$/m.exec(text)?.[1]);
    t.ok(sum < JUMP_MS / 1000, `observed ${sum} s, before the clock jump`);
  },
);

t.test('signed artifacts: verified digests and signers are recorded', async (t) => {
  const golden = readFileSync(path.join(FIXTURES, 'golden/examples/churn-canary.yaml'), 'utf8');
  const churn = parseAllDocuments(golden)
    .map((d) => d.toJS())
    .find((o) => o?.kind === 'InferenceService');
  // The release key the examples are signed with, in a policy that selects namespaces by label.
  const key = readFileSync(path.join(REPO, 'deploy/examples/gitops/keys/release-key.pub'), 'utf8');
  const sigPolicy = `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: {name: production-signatures}
spec:
  match: {namespaceSelector: {matchLabels: {env: prod}}}
  signatures:
    required: true
    authorities:
      - name: release-key
        key: {publicKey: ${JSON.stringify(key)}}
`;
  const { port, logs } = await startApp(t, { 'signatures.yaml': sigPolicy });

  const r = await send(port, {
    body: review({ uid: 'u-signed', namespace: 'ml-signed', object: churn }),
    ca,
  });
  const res = r.json.response;
  t.equal(res.allowed, true, JSON.stringify(res.status));
  t.equal(res.auditAnnotations[AUDIT_KEYS.policies], 'production-signatures');
  const verified = JSON.parse(res.auditAnnotations[AUDIT_KEYS.verified]).map((s: string) =>
    JSON.parse(s),
  );
  t.same(verified.map((v: any) => [v.uri, v.digest, v.authority, v.policy]).sort(), [
    [
      'gs://models-prod/churn/2.0.0/',
      'sha256:d30ff572aa3e0ba3cee62778d2000ba538aac5cd6ce3b8a8f0243bdd2c509145',
      'release-key',
      'production-signatures',
    ],
    [
      'gs://models-prod/churn/2.1.0/',
      'sha256:b751f2ba8385446a14b7cc17110c761ea40810778d20767c08094058f60bee8e',
      'release-key',
      'production-signatures',
    ],
  ]);
  for (const v of verified) t.type(v.signer, 'string');

  // The same object where the selector does not match (no env=prod label): not checked.
  const other = await send(port, { body: review({ namespace: 'ml-dev', object: churn }), ca });
  t.same(other.json.response.auditAnnotations, { [AUDIT_KEYS.decision]: 'allowed' });

  // A bundle swapped between the two artifacts signs the wrong digest: denied at that URI.
  const swapped = structuredClone(churn);
  const artifacts = JSON.parse(swapped.metadata.annotations['aviary.dev/artifacts']);
  [artifacts[0].bundle, artifacts[1].bundle] = [artifacts[1].bundle, artifacts[0].bundle];
  swapped.metadata.annotations['aviary.dev/artifacts'] = JSON.stringify(artifacts);
  const denied = await send(port, {
    body: review({ uid: 'u-swapped', namespace: 'ml-signed', object: swapped }),
    ca,
  });
  t.equal(denied.json.response.allowed, false);
  t.match(denied.json.response.status.message, /\[SIG_[A-Z_]+, policy production-signatures\]/);
  t.notOk(JSON.stringify(logs).includes('dsseEnvelope'), 'no bundle in the logs');
});
