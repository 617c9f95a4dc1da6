import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { promote, setTraffic } from '../../plugin/src/analyze/edit.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

const other = `# a config map first, flow style and odd spacing kept
apiVersion: v1
kind: ConfigMap
metadata: {name: cm,   labels: {a: "1"}}
data:
  k: 'single quoted'   # comment
`;

const fraud = `apiVersion: aviary.dev/v1alpha1
kind: ModelRelease
metadata:
  name: fraud   # the name
  namespace: risk
spec:
  model: { format: sklearn, runtimeVersion: "1.5" }
  # what serves today
  stable:
    uri: "s3://models/fraud/1.2.0/"   # quoted on purpose
    digest: ${A}
    signature: ../signatures/fraud-1.2.0.sigstore.json
    source: models:/fraud/6
  # the candidate
  canary:
    uri: s3://models/fraud/1.3.0/
    digest: ${B}
    signature: ../signatures/fraud-1.3.0.sigstore.json
    source: 'models:/fraud/7'
    traffic: 5    # first step
  rollout:
    steps: [5, 25, 50]
    analysis: ../analysis/errors.yaml
# trailing comment
`;

const stream = `${other}---\n${fraud}---\n${other}`;

t.test('setTraffic changes only the number, in place', async (t) => {
  const out = setTraffic(stream, 1, 25);
  t.equal(out, stream.replace('traffic: 5    # first step', 'traffic: 25    # first step'));
  t.equal(setTraffic(stream, 1, 0), stream.replace('traffic: 5 ', 'traffic: 0 '), 'rollback');
});

t.test('setTraffic in a flow-mapping canary', async (t) => {
  const text = fraud.replace(
    / {2}canary:\n(?: {4}.*\n)+? {4}traffic: 5 {4}# first step\n/,
    `  canary: {uri: s3://m/2/, digest: ${B},  traffic: 5}  # flow\n`,
  );
  t.equal(setTraffic(text, 0, 50), text.replace('traffic: 5}', 'traffic: 50}'));
});

t.test('promote moves every canary field to the stable and removes the canary lines', async (t) => {
  const out = promote(stream, 1);
  const want = fraud
    .replace('"s3://models/fraud/1.2.0/"   # quoted', 's3://models/fraud/1.3.0/   # quoted')
    .replace(`digest: ${A}`, `digest: ${B}`)
    .replace(
      'fraud-1.2.0.sigstore.json\n    source: models:/fraud/6',
      'fraud-1.3.0.sigstore.json\n    source: models:/fraud/7',
    )
    .replace(/ {2}canary:\n(?: {4}.*\n)+/, '');
  t.equal(out, `${other}---\n${want}---\n${other}`);
  t.match(out, '  # the candidate\n  rollout:', 'comments outside the canary block stay');
  const docs = parseAllDocuments(out).map((d) => d.toJS());
  t.same(docs[1].spec.stable, {
    uri: 's3://models/fraud/1.3.0/',
    digest: B,
    signature: '../signatures/fraud-1.3.0.sigstore.json',
    source: 'models:/fraud/7',
  });
  t.notOk('canary' in docs[1].spec);
  t.same(docs[1].spec.rollout, { steps: [5, 25, 50], analysis: '../analysis/errors.yaml' });
});

t.test('promote: a field the canary lacks is removed from the stable', async (t) => {
  const text = fraud
    .replace('    signature: ../signatures/fraud-1.3.0.sigstore.json\n', '')
    .replace("    source: 'models:/fraud/7'\n", '');
  const out = promote(text, 0);
  t.same(parse(out).spec.stable, { uri: 's3://models/fraud/1.3.0/', digest: B });
  t.notMatch(out, 'signature:');
  t.notMatch(out, 'source:');
});

t.test('promote: a field only the canary has is added to the stable', async (t) => {
  const text = fraud
    .replace('    signature: ../signatures/fraud-1.2.0.sigstore.json\n', '')
    .replace('    source: models:/fraud/6\n', '');
  const out = promote(text, 0);
  t.match(
    out,
    `    digest: ${B}\n    signature: ../signatures/fraud-1.3.0.sigstore.json\n    source: models:/fraud/7\n  # the candidate\n`,
  );
});

t.test('promote: a canary last in the file, without a final newline', async (t) => {
  const text = `kind: ModelRelease\nmetadata: {name: m}\nspec:\n  stable:\n    uri: s3://a/1/\n    digest: ${A}\n  canary:\n    uri: s3://a/2/\n    digest: ${B}\n    traffic: 50`;
  t.equal(
    promote(text, 0),
    `kind: ModelRelease\nmetadata: {name: m}\nspec:\n  stable:\n    uri: s3://a/2/\n    digest: ${B}\n`,
  );
});

t.test('layouts and files it cannot edit are refused with a code', async (t) => {
  const noCanary = fraud.replace(/ {2}canary:\n(?: {4}.*\n)+/, '');
  t.throws(() => setTraffic(noCanary, 0, 25), { code: 'ROLLOUT_EDIT_UNSUPPORTED', exit: 2 });
  t.throws(() => promote(noCanary, 0), { code: 'ROLLOUT_EDIT_UNSUPPORTED' });
  t.throws(() => setTraffic(stream, 0, 25), { code: 'ROLLOUT_EDIT_UNSUPPORTED' }, 'not a release');
  t.throws(() => setTraffic(`${fraud}kind: again\n`, 0, 25), { code: 'ROLLOUT_EDIT_UNSUPPORTED' });
  const flowSpec = `kind: ModelRelease\nmetadata: {name: m}\nspec: {stable: {uri: s3://a/1/, digest: ${A}}, canary: {uri: s3://a/2/, digest: ${B}, traffic: 5}}\n`;
  t.throws(() => promote(flowSpec, 0), { code: 'ROLLOUT_EDIT_UNSUPPORTED' });
  t.equal(setTraffic(flowSpec, 0, 25), flowSpec.replace('traffic: 5}', 'traffic: 25}'));
  const anchored = fraud.replace('traffic: 5    # first step', 'traffic: &t 5\n  other: *t');
  t.throws(
    () => setTraffic(anchored, 0, 25),
    { code: 'ROLLOUT_EDIT_UNSUPPORTED' },
    'an alias would change too',
  );
});
