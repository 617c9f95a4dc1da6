import t from 'tap';
import { announcements, readOptions } from '@aviary/plugin';

const DEFAULTS = { deploymentMode: 'Knative', namespace: '', preflight: 'off', policies: '' };

t.test('ARGOCD_APP_PARAMETERS unset, null, empty and [] give the announced defaults', async (t) => {
  t.same(readOptions({}), DEFAULTS);
  t.same(readOptions({ ARGOCD_APP_PARAMETERS: 'null' }), DEFAULTS);
  t.same(readOptions({ ARGOCD_APP_PARAMETERS: '' }), DEFAULTS);
  t.same(readOptions({ ARGOCD_APP_PARAMETERS: '[]' }), DEFAULTS);
});

t.test('parameters are read as JSON whatever the key order', async (t) => {
  const env = {
    ARGOCD_APP_PARAMETERS:
      '[{"string":"Standard","name":"deployment-mode"},{"name":"namespace","string":"ml-prod"}]',
  };
  t.same(readOptions(env), { ...DEFAULTS, deploymentMode: 'Standard', namespace: 'ml-prod' });
});

t.test('escaped characters are decoded by the JSON parser, then validated', async (t) => {
  const env = { ARGOCD_APP_PARAMETERS: '[{"name":"namespace","string":"a\\u003cb"}]' };
  t.throws(() => readOptions(env), { code: 'PARAM_INVALID' });
});

t.test('empty array and map values are ignored', async (t) => {
  t.same(
    readOptions({
      ARGOCD_APP_PARAMETERS: '[{"array":[],"name":"namespace"},{"map":{},"name":"preflight"}]',
    }),
    DEFAULTS,
  );
});

t.test('PARAM_* is read when ARGOCD_APP_PARAMETERS is absent', async (t) => {
  t.same(readOptions({ PARAM_DEPLOYMENT_MODE: 'Standard', PARAM_PREFLIGHT: 'warn' }), {
    ...DEFAULTS,
    deploymentMode: 'Standard',
    preflight: 'warn',
  });
});

t.test('precedence: parameter > ARGOCD_ENV_AVIARY_* > AVIARY_* > default', async (t) => {
  const env = {
    ARGOCD_APP_PARAMETERS: '[{"name":"namespace","string":"from-param"}]',
    ARGOCD_ENV_AVIARY_NAMESPACE: 'from-app-env',
    AVIARY_NAMESPACE: 'from-sidecar',
    ARGOCD_ENV_AVIARY_PREFLIGHT: 'enforce',
    AVIARY_PREFLIGHT: 'warn',
    AVIARY_DEPLOYMENT_MODE: 'Standard',
  };
  t.same(readOptions(env), {
    ...DEFAULTS,
    namespace: 'from-param',
    preflight: 'enforce',
    deploymentMode: 'Standard',
  });
});

t.test('hostile or invalid values are refused, never interpreted', async (t) => {
  const bad = ['$(rm -rf /)', 'a;b', 'x\ny', '../etc', '`id`', 'A'.repeat(300), 'Serverless'];
  for (const v of bad) {
    t.throws(
      () =>
        readOptions({
          ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'deployment-mode', string: v }]),
        }),
      { code: 'PARAM_INVALID' },
      JSON.stringify(v),
    );
    t.throws(() => readOptions({ ARGOCD_ENV_AVIARY_NAMESPACE: v }), { code: 'PARAM_INVALID' });
  }
  t.throws(
    () =>
      readOptions({
        ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'policies', string: '/etc/passwd' }]),
      }),
    { code: 'PARAM_INVALID' },
  );
});

t.test('malformed parameter JSON is refused', async (t) => {
  for (const raw of [
    '{',
    '{"name":"x"}',
    '[1]',
    '[{"name":"nope","string":"x"}]',
    '[{"name":"namespace","string":5}]',
    '[{"name":"namespace","array":["a"]}]',
  ]) {
    t.throws(() => readOptions({ ARGOCD_APP_PARAMETERS: raw }), { code: 'PARAM_INVALID' }, raw);
  }
});

t.test('the announcement lists every parameter with its current value', async (t) => {
  const a = announcements(readOptions({ ARGOCD_ENV_AVIARY_NAMESPACE: 'ml' })) as Record<
    string,
    unknown
  >[];
  t.same(
    a.map((p) => p['name']),
    ['deployment-mode', 'namespace', 'preflight', 'policies'],
  );
  t.match(a[1], { collectionType: 'string', string: 'ml' });
});
