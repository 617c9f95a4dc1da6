import { writeFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import * as k8s from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import { ClusterPolicySource } from '../../webhook/src/cluster/source.js';
import { policyFromObject } from '../../webhook/src/policy-object.js';
import { createMetrics } from '../../webhook/src/metrics.js';
import { parseOptions } from '../../webhook/src/server.js';
import { WebhookState } from '../../webhook/src/webhook-deps.js';
import { KEYLESS_POLICY_SPEC, PUBLIC_GOOD, signedIsvc, withoutFulcio } from '../helpers/keyless.js';

const policy = (
  name: string,
  rv: string,
  spec: unknown = { match: { namespaces: ['a'] }, pinning: { allowedSchemes: ['s3'] } },
) => ({
  apiVersion: 'aviary.dev/v1alpha1',
  kind: 'ModelReleasePolicy',
  metadata: { name, uid: `uid-${name}`, resourceVersion: rv, managedFields: [{ manager: 'x' }] },
  spec,
});

function logger() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (a: unknown, b?: string) =>
    lines.push({ level, msg: typeof a === 'string' ? a : (b ?? '') });
  const log = {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    trace: at('trace'),
    fatal: at('fatal'),
    child: () => log,
    level: 'info',
  };
  return { log: log as unknown as FastifyBaseLogger, lines };
}

/** A fake apiserver: scripted lists, watches that expire (410) or hang, and an outage switch. */
function fakeApiserver() {
  const s = {
    down: false,
    lists: 0,
    first: undefined as unknown[] | undefined,
    watches: 0,
    policies: [policy('alpha', '10')] as unknown[],
    rv: '10',
    expireNextWatch: true,
    open: new Set<http.ServerResponse>(),
    /** Status writes received: path, content type and body. */
    patches: [] as { path: string; type: string; body: any }[],
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (s.down) {
      res.writeHead(503).end('{}');
      return;
    }
    if (req.method === 'PATCH') {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        s.patches.push({
          path: url.pathname,
          type: String(req.headers['content-type']),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
      return;
    }
    const watch = url.searchParams.get('watch') === 'true';
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v1/namespaces') {
      if (!watch) {
        res.end(
          JSON.stringify({
            kind: 'NamespaceList',
            apiVersion: 'v1',
            metadata: { resourceVersion: '1' },
            items: [{ metadata: { name: 'a', labels: { env: 'prod' }, resourceVersion: '1' } }],
          }),
        );
      } else {
        res.writeHead(200);
        s.open.add(res);
      }
      return;
    }
    if (!watch) {
      s.lists++;
      res.end(
        JSON.stringify({
          apiVersion: 'aviary.dev/v1alpha1',
          kind: 'ModelReleasePolicyList',
          metadata: { resourceVersion: s.rv },
          items: s.lists === 1 && s.first ? s.first : s.policies,
        }),
      );
      return;
    }
    s.watches++;
    res.writeHead(200);
    if (s.expireNextWatch) {
      s.expireNextWatch = false;
      res.end(
        JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'Expired',
            code: 410,
            message: 'too old resource version',
          },
        }) + '\n',
      );
      return;
    }
    s.open.add(res);
  });
  return { s, server };
}

// Generous: it returns as soon as the condition holds, and a loaded 2-core CI machine running
// three informers and a fake apiserver in one process has missed 5 s (twice, Node 22 and 24).
const until = async (ok: () => boolean | Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await ok()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return ok();
};

/** Listens on loopback, closes everything at teardown, and gives a kubeconfig pointing there. */
async function serve(
  t: Test,
  s: ReturnType<typeof fakeApiserver>['s'],
  server: http.Server,
): Promise<k8s.KubeConfig> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const r of s.open) r.destroy();
    server.closeAllConnections();
    server.close();
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

t.test('policyFromObject validates a CR like a file and drops server metadata', async (t) => {
  t.equal(policyFromObject(policy('ok', '1')).policy?.name, 'ok');
  const bad = policyFromObject(policy('bad', '1', { mode: 'block' }));
  t.equal(bad.policy, undefined);
  t.match(bad.diagnostics, [{ code: 'POLICY_SCHEMA', file: 'ModelReleasePolicy/bad' }]);
  const regex = policyFromObject(
    policy('rx', '1', {
      signatures: {
        required: true,
        authorities: [{ name: 'ci', keyless: { issuer: 'https://i', subjectRegExp: 'a.*' } }],
      },
    }),
  );
  t.match(regex.diagnostics, [{ code: 'POLICY_REGEX_UNANCHORED', path: /subjectRegExp/ }]);
});

t.test('policyFromObject loads a CR that carries only warnings, and returns them', async (t) => {
  const r = policyFromObject(
    policy('verify-only', '1', {
      pinning: {},
      signatures: { authorities: [{ name: 'k', key: { publicKey: 'x' } }] },
    }),
  );
  t.equal(r.policy?.name, 'verify-only');
  t.same(r.diagnostics, []);
  t.match(r.warnings, [
    { code: 'POLICY_SIGNATURES_NOT_REQUIRED', file: 'ModelReleasePolicy/verify-only' },
  ]);
  const nothing = policyFromObject(policy('nothing', '1', { mode: 'audit' }));
  t.equal(nothing.policy, undefined);
  t.match(nothing.diagnostics, [{ code: 'POLICY_ENFORCES_NOTHING' }]);
});

t.test('informers: first list → ready, 410 → relist, outage → keep the set, retry', async (t) => {
  const { s, server } = fakeApiserver();
  const kc = await serve(t, s, server);
  const metrics = createMetrics();
  const source = new ClusterPolicySource({
    kubeConfig: kc,
    metrics,
    backoffMs: { initial: 20, max: 100 },
    debounceMs: 5,
  });
  const state = new WebhookState(metrics, (ns) => source.namespaceLabels(ns));
  const { log, lines } = logger();
  t.equal(state.notReady() !== undefined, true, 'not ready before the first list');
  // The first watch expires at once (410): the informer must relist; the second list differs.
  // The first list returns alpha at rv 10, its watch expires (410 Gone), the relist returns beta.
  s.first = [policy('alpha', '10')];
  s.policies = [policy('beta', '20')];
  await source.start(state, log);
  s.rv = '20';
  t.ok(
    await until(() => s.lists >= 2 && state.snapshot?.names.join() === 'beta'),
    'relisted after 410 Gone',
  );
  await source.waitSynced();
  t.equal(state.notReady(), undefined, 'ready');
  t.same(state.namespaceLabels('a'), { env: 'prod' }, 'namespace labels from the informer');
  t.equal(
    state.namespaceLabels('unknown'),
    undefined,
    'unknown namespace: undefined (selectors match)',
  );

  // Outage: watches cut, everything 503. The set stays; errors are counted; retries continue.
  s.down = true;
  for (const r of s.open) r.destroy();
  s.open.clear();
  t.ok(
    await until(async () =>
      (await metrics.registry.metrics()).includes(
        'aviary_cluster_informer_errors_total{resource="modelreleasepolicies"}',
      ),
    ),
    'errors counted',
  );
  const errorsBefore = lines.filter((l) => l.msg.startsWith('informer failed')).length;
  t.ok(
    await until(
      () => lines.filter((l) => l.msg.startsWith('informer failed')).length > errorsBefore + 1,
    ),
    'retried with back-off',
  );
  t.equal(state.snapshot?.names.join(), 'beta', 'the last good set keeps serving');
  t.equal(state.notReady(), undefined, 'still ready');

  // Back: the informer reconnects and picks up changes.
  s.policies = [policy('beta', '20'), policy('gamma', '30')];
  s.rv = '30';
  s.expireNextWatch = true;
  s.down = false;
  t.ok(await until(() => state.snapshot?.names.join() === 'beta,gamma'), 'recovered and relisted');

  // A bad CR is unenforceable: kept out of the set, and what it may govern is refused.
  s.policies = [
    policy('beta', '20'),
    policy('gamma', '30'),
    policy('bad', '40', { mode: 'block' }),
  ];
  s.rv = '40';
  s.expireNextWatch = true;
  for (const r of s.open) r.end();
  s.open.clear();
  t.ok(await until(() => source.rejections()['bad'] !== undefined), 'rejected');
  t.equal(state.snapshot?.names.join(), 'beta,gamma');
  t.same(state.snapshot?.unenforceable, ['bad']);
  t.match(await metrics.registry.metrics(), /aviary_cluster_policy_rejected\{policy="bad"\} 1/);
  source.close();
});

t.test('files and CRs combined: merged; a CR reusing a file name is rejected', async (t) => {
  const dir = t.testdir({
    'p.yaml': `apiVersion: aviary.dev/v1alpha1
kind: ModelReleasePolicy
metadata: { name: beta }
spec:
  match: { namespaces: [a] }
  pinning: { allowedSchemes: [oci] }
`,
  });
  const { s, server } = fakeApiserver();
  s.expireNextWatch = false;
  s.policies = [policy('beta', '20'), policy('gamma', '30')];
  const kc = await serve(t, s, server);
  const metrics = createMetrics();
  const source = new ClusterPolicySource({
    kubeConfig: kc,
    metrics,
    policiesPath: `${dir}/p.yaml`,
    debounceMs: 5,
  });
  const state = new WebhookState(metrics, (ns) => source.namespaceLabels(ns));
  await source.start(state, logger().log);
  await source.waitSynced();
  t.same(state.snapshot?.names, ['beta', 'gamma']);
  t.match(
    source.rejections(),
    { beta: [/POLICY_DUPLICATE_NAME/] },
    'the CR named like a file policy',
  );
  t.same(
    state.snapshot?.engine.policies.find((p) => p.name === 'beta')?.policy.spec.pinning
      ?.allowedSchemes,
    ['oci'],
    'the file definition wins',
  );
  source.close();
});

t.test(
  'an invalid CR refuses what it may govern, whatever came before; Ready says so',
  async (t) => {
    const { s, server } = fakeApiserver();
    s.expireNextWatch = false;
    const good = {
      ...policy('scoped', '10'),
      metadata: { ...policy('scoped', '10').metadata, generation: 1 },
    };
    s.policies = [good];
    const kc = await serve(t, s, server);
    const start = async () => {
      const metrics = createMetrics();
      const source = new ClusterPolicySource({ kubeConfig: kc, metrics, debounceMs: 5 });
      const state = new WebhookState(metrics, (ns) => source.namespaceLabels(ns));
      await source.start(state, logger().log);
      await source.waitSynced();
      return { source, state };
    };
    const judge = (state: WebhookState, namespace: string) =>
      state.snapshot!.engine.evaluate({
        object: {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          metadata: { name: 'm', namespace },
          spec: {
            predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://b/m' } },
          },
        },
        operation: 'CREATE',
        namespace,
        namespaceLabels: {},
      });

    const first = await start();
    t.same(first.state.snapshot?.names, ['scoped']);
    t.match(judge(first.state, 'a').violations, [{ code: 'PIN_SCHEME_NOT_ALLOWED' }]);
    t.ok(
      await until(() =>
        s.patches.some((p) => p.body[0]?.value?.conditions?.[0]?.status === 'True'),
      ),
      'Ready=True written',
    );
    t.match(s.patches[0], {
      path: '/apis/aviary.dev/v1alpha1/modelreleasepolicies/scoped/status',
      type: /json-patch/,
      body: [
        {
          op: 'add',
          path: '/status',
          value: {
            conditions: [
              { type: 'Ready', status: 'True', reason: 'Enforced', observedGeneration: 1 },
            ],
          },
        },
      ],
    });

    // The stored version becomes invalid (steps above the maximum, a scoped match): in force on
    // this replica until now, it is not kept; its namespaces are refused, the others are not.
    const broken = {
      ...policy('scoped', '20', {
        match: { namespaces: ['a'] },
        canary: { maxTrafficPercent: 10, steps: [50] },
      }),
    };
    broken.metadata = { ...broken.metadata, generation: 2 } as typeof broken.metadata;
    s.policies = [broken];
    s.rv = '20';
    s.expireNextWatch = true; // the fake sends no watch events: a 410 makes the informer relist
    for (const r of s.open) r.end();
    s.open.clear();
    t.ok(
      await until(() => first.state.snapshot?.unenforceable.join() === 'scoped'),
      'unenforceable',
    );
    const refused = judge(first.state, 'a');
    t.equal(refused.allowed, false);
    t.match(refused.violations, [
      { code: 'POLICY_UNENFORCEABLE', policy: 'scoped', rule: 'policy' },
    ]);
    t.match(refused.violations[0]!.message, /POLICY_STEPS_ABOVE_MAX/);
    t.equal(judge(first.state, 'b').allowed, true, 'outside its match: not governed');
    t.ok(
      await until(() =>
        s.patches.some(
          (p) =>
            p.body[0]?.value?.conditions?.[0]?.reason === 'Invalid' &&
            p.body[0].value.conditions[0].observedGeneration === 2,
        ),
      ),
      'Ready=False, reason Invalid, written',
    );
    first.source.close();

    // A restart while the invalid version is stored reaches the same verdict.
    const second = await start();
    t.same(second.state.snapshot?.unenforceable, ['scoped']);
    t.same(second.state.snapshot?.names, []);
    t.match(judge(second.state, 'a').violations, [{ code: 'POLICY_UNENFORCEABLE' }]);
    second.source.close();
  },
);

t.test('a stored Ready condition that already says it is not written again', async (t) => {
  const { s, server } = fakeApiserver();
  s.expireNextWatch = false;
  const settled = {
    ...policy('settled', '10'),
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Enforced',
          message: 'enforced as written (mode enforce)',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  };
  s.policies = [settled];
  const kc = await serve(t, s, server);
  const metrics = createMetrics();
  const source = new ClusterPolicySource({ kubeConfig: kc, metrics, debounceMs: 5 });
  await source.start(new WebhookState(metrics, (ns) => source.namespaceLabels(ns)), logger().log);
  await source.waitSynced();
  source.rebuild();
  await new Promise((r) => setTimeout(r, 200));
  t.same(s.patches, []);
  source.close();
});

t.test('cluster mode: public-good=FILE replaces the built-in root', async (t) => {
  const dir = t.testdir({
    'pg.json': PUBLIC_GOOD,
    'revoked.json': withoutFulcio(),
    'bad.json': '{',
  });
  const start = async (file: string) => {
    const { s, server } = fakeApiserver();
    s.expireNextWatch = false;
    s.policies = [policy('keyless', '10', KEYLESS_POLICY_SPEC)];
    const kc = await serve(t, s, server);
    const metrics = createMetrics();
    const source = new ClusterPolicySource({
      kubeConfig: kc,
      metrics,
      trustedRoots: { 'public-good': path.join(dir, file) },
      debounceMs: 5,
      intervalMs: 50,
    });
    t.teardown(() => source.close());
    const state = new WebhookState(metrics, (ns) => source.namespaceLabels(ns));
    const { log, lines } = logger();
    await source.start(state, log);
    const allowed = async () => {
      await source.waitSynced();
      return state.snapshot!.engine.evaluate({
        object: signedIsvc(),
        operation: 'CREATE',
        namespace: 'a',
        namespaceLabels: {},
      }).allowed;
    };
    return { state, lines, allowed };
  };
  t.equal(await (await start('pg.json')).allowed(), true, 'the shipped root as a file');
  // A rotated file (a ConfigMap update) applies without a restart, with no policy files at all.
  writeFileSync(path.join(dir, 'rotating.json'), PUBLIC_GOOD);
  const rotating = await start('rotating.json');
  t.equal(await rotating.allowed(), true);
  writeFileSync(path.join(dir, 'rotating.json'), withoutFulcio());
  t.ok(
    await until(
      () =>
        !rotating.state.snapshot!.engine.evaluate({
          object: signedIsvc(),
          operation: 'CREATE',
          namespace: 'a',
          namespaceLabels: {},
        }).allowed,
    ),
    'reloaded: revoked',
  );
  t.equal(await (await start('revoked.json')).allowed(), false, 'Fulcio removed: revoked');
  const bad = await start('bad.json');
  t.match(bad.lines, [{ level: 'error', msg: /trusted roots rejected/ }]);
  t.ok(bad.state.notReady(), 'an unusable file: not ready, no built-in fallback');
});

t.test('flags', async (t) => {
  const base = ['--self-signed'];
  t.match(parseOptions(['--policies-from-cluster', ...base]), { cluster: {} });
  t.notOk('policies' in parseOptions(['--policies-from-cluster', ...base]));
  t.match(
    parseOptions(['--policies-from-cluster', '--kubeconfig', 'k', '--policies', 'p', ...base]),
    {
      cluster: { kubeconfigFile: 'k' },
      policies: 'p',
    },
  );
  t.throws(
    () => parseOptions(['--kubeconfig', 'k', '--policies', 'p', ...base]),
    /--kubeconfig only/,
  );
  t.throws(() => parseOptions(base), /--policies PATH is required/);
});
