import t from 'tap';
import { parse } from 'yaml';
import { replaceArtifact } from '../../../plugin/src/pin/edit.js';

const D = `sha256:${'d'.repeat(64)}`;
const head = 'apiVersion: aviary.dev/v1alpha1\nkind: ModelRelease\nmetadata: {name: m}\nspec:\n';

t.test(
  'values change where they stand; comments, quoting and order of the rest stay',
  async (t) => {
    const text = `${head}  model: { format: sklearn }   # flow, odd spacing\n  stable:\n    uri: "s3://b/1/"  # the first\n    digest: sha256:${'a'.repeat(64)}\n    source: models:/m/1\n\n# trailing comment\n`;
    const out = replaceArtifact(text, 0, 'stable', { uri: 's3://b/2/', digest: D });
    t.equal(
      out,
      `${head}  model: { format: sklearn }   # flow, odd spacing\n  stable:\n    uri: s3://b/2/  # the first\n    digest: ${D}\n\n# trailing comment\n`,
      'source removed with its line, nothing else moved',
    );
  },
);

t.test(
  'missing fields are added at the record indentation; a missing canary after stable',
  async (t) => {
    const text = `${head}    stable:\n        uri: s3://b/1/\n        digest: ${D}\n    model:\n        format: x\n`;
    const out = replaceArtifact(text, 0, 'canary', {
      uri: 's3://b/2/',
      digest: D,
      source: 'models:/m/2',
      traffic: 5,
    });
    t.equal(
      out,
      `${head}    stable:\n        uri: s3://b/1/\n        digest: ${D}\n    canary:\n        uri: s3://b/2/\n        digest: ${D}\n        source: models:/m/2\n        traffic: 5\n    model:\n        format: x\n`,
    );
    const added = replaceArtifact(out, 0, 'canary', {
      uri: 's3://b/3/',
      digest: D,
      signature: '../s/x.json',
      traffic: 5,
    });
    t.match(added, `        traffic: 5\n        signature: ../s/x.json\n    model:`);
    t.notMatch(added, 'source:');
  },
);

t.test(
  'a flow-mapping record is rewritten as one flow mapping; other documents untouched',
  async (t) => {
    const other = '---\nkind: ConfigMap\n# keep\n';
    const text = `${other}---\n${head}  stable: {uri: s3://b/1/, digest: x, signature: ../s.json}\n`;
    const out = replaceArtifact(text, 1, 'stable', { uri: 's3://b/2/', digest: D });
    t.equal(out, `${other}---\n${head}  stable: { uri: s3://b/2/, digest: ${D} }\n`);
  },
);

t.test('values that YAML would read as something else are quoted', async (t) => {
  const text = `${head}  stable:\n    uri: s3://b/1/\n    digest: x\n`;
  const out = replaceArtifact(text, 0, 'stable', { uri: 's3://b/#2 yes', digest: D, source: 'on' });
  t.same(parse(out).spec.stable, { uri: 's3://b/#2 yes', digest: D, source: 'on' });
  t.match(out, 'source: "on"');
});

t.test('layouts it cannot edit in place are refused with a code', async (t) => {
  const flowSpec = `apiVersion: v\nkind: ModelRelease\nspec: {stable: {uri: a, digest: b}}\n`;
  t.throws(() => replaceArtifact(flowSpec, 0, 'canary', { uri: 'a', digest: D, traffic: 1 }), {
    code: 'PIN_EDIT_UNSUPPORTED',
  });
  t.throws(
    () => replaceArtifact(`${head}  stable: s3://x\n`, 0, 'stable', { uri: 'a', digest: D }),
    {
      code: 'PIN_EDIT_UNSUPPORTED',
    },
  );
});
