import t from 'tap';
import {
  locationAmbiguity,
  parseLocation,
  prefixProblem,
  withinPrefix,
} from '../../../policies/src/kserve/location.js';

t.test('withinPrefix compares locations on segment boundaries', async (t) => {
  const table: [uri: string, prefix: string, inside: boolean][] = [
    ['s3://models-prod/fraud/1/', 's3://models-prod/', true],
    ['s3://models-prod/fraud/1/', 's3://models-prod', true],
    ['s3://models-prod-evil/fraud/1/', 's3://models-prod', false],
    ['s3://models-prod/fraud-evil/1/', 's3://models-prod/fraud', false],
    ['s3://models-prod/fraud/1/', 's3://models-prod/fraud', true],
    ['s3://models-prod/fraud', 's3://models-prod/fraud', true],
    ['gs://models-prod/fraud/1/', 's3://models-prod/', false],
    [
      'oci://reg.example.com/models/fraud@sha256:' + 'a'.repeat(64),
      'oci://reg.example.com/models/fraud',
      true,
    ],
    ['oci://reg.example.com/models/fraud:v1', 'oci://reg.example.com/models/fraud', true],
    [
      'oci://reg.example.com/models/fraudster@sha256:' + 'a'.repeat(64),
      'oci://reg.example.com/models/fraud',
      false,
    ],
    ['oci://reg.example.com:5000/models/x', 'oci://reg.example.com', false],
    ['oci://reg.example.com.evil.io/models/x', 'oci://reg.example.com', false],
    ['https://models.example.com@evil.io/m.tgz', 'https://models.example.com', false],
    ['https://models.example.com/m.tgz?v=1', 'https://models.example.com/m.tgz', true],
    ['hf://acme/m:' + 'a'.repeat(40), 'hf://acme/m', true],
    ['hf://acme/m2:' + 'a'.repeat(40), 'hf://acme/m', false],
    ['hf://acme-evil/m', 'hf://acme', false],
    ['pvc://claim/models/', 'pvc://', true],
    ['s3://models-prod/a/../../other/', 's3://models-prod/a/', false],
    ['s3://models-prod/a/%2e%2e/other/', 's3://models-prod/a/', false],
    ['s3://models-prod/a\\..\\other/', 's3://models-prod/a', false],
    ['models-prod/a/', 's3://models-prod/', false],
  ];
  for (const [uri, prefix, inside] of table)
    t.equal(withinPrefix(uri, prefix), inside, `${uri} in ${prefix}`);
});

t.test('locationAmbiguity names what a client could rewrite', async (t) => {
  t.equal(locationAmbiguity('s3://b/m/1/'), undefined);
  t.equal(locationAmbiguity('s3://b/m/../x/'), 'dot segments');
  t.equal(locationAmbiguity('s3://b/m/./x/'), 'dot segments');
  t.equal(locationAmbiguity('s3://b/m/..x/'), undefined, 'a name that starts with dots is fine');
  t.equal(locationAmbiguity('s3://b/m%2Fx/'), 'percent-escapes and backslashes');
  t.equal(locationAmbiguity('s3://b/m\\x/'), 'percent-escapes and backslashes');
  t.equal(locationAmbiguity('s3://b/m x/'), 'whitespace or control characters');
  t.equal(locationAmbiguity('s3://b/m#x'), 'a query or fragment');
  t.equal(locationAmbiguity('gs://b/m?x=1'), 'a query or fragment');
  t.equal(locationAmbiguity('https://acct.blob.core.windows.net/c/m?sv=1'), undefined);
});

t.test('parseLocation and prefixProblem', async (t) => {
  t.same(parseLocation('oci://r:5000/a/b@sha256:x'), {
    scheme: 'oci',
    authority: 'r:5000',
    path: '/a/b@sha256:x',
  });
  t.equal(parseLocation('no-scheme/x'), undefined);
  t.equal(prefixProblem('s3://models-prod/'), undefined);
  t.equal(prefixProblem('pvc://'), undefined);
  t.type(prefixProblem('models-prod/'), 'string');
  t.type(prefixProblem('s3://models-prod/a/../'), 'string');
});
