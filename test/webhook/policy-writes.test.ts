import t from 'tap';
import { AUDIT_KEYS } from '@aviary/webhook';
import { POLICIES, reviewBody, send, startTestApp, testCert } from './support.js';

// A ModelReleasePolicy written through the apiserver is judged by the webhook with the loader's own
// checks (webhook/src/policy-object.ts), over the real HTTPS listener.

const POLICY_KIND = { group: 'aviary.dev', version: 'v1alpha1', kind: 'ModelReleasePolicy' };
const ca = (await testCert()).cert;

const policy = (name: string, spec: unknown) => ({
  apiVersion: 'aviary.dev/v1alpha1',
  kind: 'ModelReleasePolicy',
  metadata: { name, uid: 'u', resourceVersion: '7', generation: 3 },
  spec,
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
const pinning = { match: { namespaces: ['ml'] }, pinning: { allowedSchemes: ['s3'] } };

t.test('policy writes: one answer per verdict, HTTP 200 each', async (t) => {
  const { port, logs } = await startTestApp(t, POLICIES, () => ({}));
  const write = async (object: unknown, operation = 'CREATE', uid = 'w') => {
    const body = reviewBody({ uid, object, operation, kind: POLICY_KIND });
    const request = body['request'] as Record<string, unknown>;
    delete request['namespace']; // cluster-scoped
    request['name'] = (object as { metadata: { name: string } }).metadata.name;
    if (operation === 'UPDATE') request['oldObject'] = policy('p', pinning);
    const r = await send(port, { body, ca });
    t.equal(r.status, 200, 'a decision, not an HTTP error');
    t.equal(r.json.response.uid, uid);
    return r.json.response;
  };

  t.test('valid: allowed', async (t) => {
    const res = await write(policy('p', pinning));
    t.equal(res.allowed, true);
    t.same(res.auditAnnotations, { [AUDIT_KEYS.decision]: 'allowed' });
    t.notOk('warnings' in res);
  });

  t.test('valid with a warning: allowed, the warning goes back', async (t) => {
    const res = await write(
      policy('p', {
        ...pinning,
        signatures: {
          authorities: [{ name: 'k', keyless: { issuer: 'https://i', subject: 'a' } }],
        },
      }),
      'UPDATE',
    );
    t.equal(res.allowed, true);
    t.match(res.warnings, [/^POLICY_SIGNATURES_NOT_REQUIRED: /]);
  });

  const refused = [
    [
      'a misspelt field the CRD kept',
      { ...pinning, canray: { maxTrafficPercent: 10 } },
      'POLICY_SCHEMA',
    ],
    [
      'a misspelt nested field',
      { match: { namespaces: ['ml'] }, pinning: { allowedSchemes: ['s3'], requird: false } },
      'POLICY_SCHEMA',
    ],
    [
      'steps above the maximum',
      { canary: { maxTrafficPercent: 10, steps: [50] } },
      'POLICY_STEPS_ABOVE_MAX',
    ],
    ['required with no authority', { signatures: { required: true } }, 'POLICY_NO_AUTHORITIES'],
    [
      'an unanchored regex',
      {
        signatures: {
          required: true,
          authorities: [{ name: 'ci', keyless: { issuer: 'https://i', subjectRegExp: 'a.*' } }],
        },
      },
      'POLICY_REGEX_UNANCHORED',
    ],
    [
      'a key that is no key',
      {
        signatures: {
          required: true,
          authorities: [
            {
              name: 'k',
              key: { publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
            },
          ],
        },
      },
      'POLICY_SIG_CONFIG_INVALID',
    ],
    [
      'a trusted root this webhook does not have',
      {
        signatures: {
          required: true,
          authorities: [
            { name: 'ci', keyless: { issuer: 'https://i', subject: 'a', trustedRoot: 'nowhere' } },
          ],
        },
      },
      'POLICY_SIG_CONFIG_INVALID',
    ],
    ['no rule', { match: { namespaces: ['ml'] } }, 'POLICY_ENFORCES_NOTHING'],
  ] as const;
  for (const [what, spec, code] of refused) {
    t.test(`refused: ${what}`, async (t) => {
      const res = await write(policy('p', spec), 'CREATE', `u-${what}`);
      t.equal(res.allowed, false);
      t.equal(res.status.code, 422);
      t.equal(res.status.reason, 'Invalid');
      t.match(
        res.status.message,
        /^denied by Aviary: ModelReleasePolicy "p" cannot be enforced as written: /,
      );
      t.match(res.status.message, new RegExp(`ModelReleasePolicy/p: ${code}`));
      t.equal(res.auditAnnotations[AUDIT_KEYS.decision], 'denied');
      t.match(JSON.parse(res.auditAnnotations[AUDIT_KEYS.violations]), [
        /^ModelReleasePolicy\/p: /,
      ]);
    });
  }

  t.test('a name the policy files already use: refused', async (t) => {
    const res = await write(policy('pin-prod', pinning));
    t.equal(res.allowed, false);
    t.match(res.status.message, /POLICY_DUPLICATE_NAME/);
  });

  t.test('a subresource (status) write is not judged', async (t) => {
    const body = reviewBody({ object: policy('p', {}), kind: POLICY_KIND, subResource: 'status' });
    const r = await send(port, { body, ca });
    t.equal(r.json.response.allowed, true);
    t.equal(r.json.response.auditAnnotations[AUDIT_KEYS.decision], 'skipped');
  });

  t.test('logged with the codes, labelled by kind in the metrics', async (t) => {
    const line = logs.find((l) => l.uid === 'u-no rule');
    t.match(line, { result: 'denied', violations: ['POLICY_ENFORCES_NOTHING@spec'] });
  });
});

t.test(
  'policy writes before any policy set is loaded: 503, so the failurePolicy applies',
  async (t) => {
    const { port, state } = await startTestApp(t, POLICIES, () => ({}));
    state.snapshot = undefined;
    const r = await send(port, {
      body: reviewBody({ object: policy('p', pinning), kind: POLICY_KIND }),
      ca,
    });
    t.equal(r.status, 503);
  },
);
