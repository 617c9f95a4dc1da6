import t from 'tap';
import { IMAGE_FIELDS, rbdFields, walkCrd, type Kind } from './crd-images.js';
import { decide } from './harness.js';
import { parseImage, pinned, withinImagePrefixes } from './image-oracle.js';
import { CLEAN, IMAGE_PREFIXES, PINNED, UNPINNED } from './image-pool.js';

/** The image oracle on references whose reading distribution/reference documents, and the CRD walk. */

const H = 'a'.repeat(64);
const KINDS: Kind[] = [
  'InferenceService',
  'ServingRuntime',
  'ClusterServingRuntime',
  'TrainedModel',
];

t.test('references read as ParseNormalizedNamed reads them', async (t) => {
  const repo = (s: string) => parseImage(s)?.repository;
  t.equal(repo('nginx'), 'docker.io/library/nginx');
  t.equal(repo('docker.io/nginx:1'), 'docker.io/library/nginx');
  t.equal(repo('index.docker.io/library/nginx'), 'docker.io/library/nginx');
  t.equal(repo('acme/nginx'), 'docker.io/acme/nginx');
  t.equal(repo('localhost/nginx'), 'localhost/nginx', 'localhost is a registry');
  t.equal(repo('localhost:5000'), 'docker.io/library/localhost', 'no slash: a tag, not a port');
  t.equal(repo('registry.example.com:5000/ml/x:1'), 'registry.example.com:5000/ml/x');
  t.equal(repo('[::1]:5000/x'), '[::1]:5000/x');
  t.equal(repo('Registry/x'), 'Registry/x', 'an uppercase first component is a registry');
  for (const bad of ['ml/Server', 'a//b', 'python:', ' python', H, `x@sha256:${H.toUpperCase()}`])
    t.equal(parseImage(bad), undefined, `refused: ${bad}`);
  t.equal(parseImage(`x@md5:${H.slice(0, 32)}`), undefined, 'go-digest has no md5');
  t.ok(pinned(`python:3@sha256:${H}`), 'a tag before the digest');
  t.notOk(pinned(`python@sha512:${H}${H}`), 'sha512 is valid, but not sha256');
  t.notOk(pinned('python:3'));
});

t.test('prefixes on / boundaries after normalisation', async (t) => {
  const inside = (s: string) => withinImagePrefixes(s, IMAGE_PREFIXES);
  t.ok(inside(`docker.io/python@sha256:${H}`), 'python is docker.io/library/python');
  t.ok(inside(`index.docker.io/library/python/x@sha256:${H}`));
  t.notOk(inside(`python-evil@sha256:${H}`));
  t.ok(inside(`registry.example.com/ml/x@sha256:${H}`));
  t.notOk(inside(`registry.example.com/ml-evil/x@sha256:${H}`));
  t.notOk(inside(`registry.example.com:5001/serving/x@sha256:${H}`), 'another port');
  t.notOk(inside(`localhost:5000/models/x@sha256:${H}`));
  t.notOk(inside(`ghcr.io.evil.example/acme/x@sha256:${H}`));
});

t.test('image fields: the table is what the KServe v0.20.0 CRDs say', async (t) => {
  for (const kind of KINDS) {
    const found = walkCrd(kind);
    t.same([...IMAGE_FIELDS[kind]].sort(), found.images.sort(), `${kind}: container images`);
    t.same(rbdFields(kind).sort(), found.rbd.sort(), `${kind}: RBD images beside image volumes`);
  }
  const isvc = IMAGE_FIELDS.InferenceService;
  for (const f of [
    'spec.predictor.initContainers[].image',
    'spec.predictor.workerSpec.ephemeralContainers[].image',
    'spec.canary[].predictor.ephemeralContainers[].image',
    'spec.explainer.art.image',
    'spec.transformer.volumes[].image.reference',
  ])
    t.ok(isvc.includes(f), f);
  // v0.20.0 has no ephemeralContainers on the stable components: the apiserver prunes them.
  t.notOk(isvc.includes('spec.predictor.ephemeralContainers[].image'));
});

t.test('the engine reads every reference of the pool as the runtime does', async (t) => {
  // Exhaustive over the finite pool: one ServingRuntime container each, under the prefix policy.
  const expected = (s: unknown) => {
    if (!parseImage(s)) return 'IMAGE_INVALID';
    const codes = [
      ...(pinned(s) ? [] : ['IMAGE_UNPINNED']),
      ...(withinImagePrefixes(s, IMAGE_PREFIXES) ? [] : ['IMAGE_PREFIX_NOT_ALLOWED']),
    ];
    return codes.sort().join(' ') || 'allowed';
  };
  const wrong: string[] = [];
  for (const s of new Set([...PINNED, ...UNPINNED])) {
    const object = {
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ServingRuntime',
      metadata: { name: 'r', namespace: 'ml' },
      spec: { containers: [{ name: 'c', image: s }] },
    };
    const d = decide({ rules: ['imagePrefixes'] }, object);
    const got = d.allowed ? 'allowed' : [...new Set(d.violations.map((v) => v.code))].sort();
    const want = expected(s);
    // An invalid reference may also be reported as unpinned or outside: it is all three.
    const same = Array.isArray(got)
      ? want === 'IMAGE_INVALID'
        ? got.includes('IMAGE_INVALID')
        : got.join(' ') === want
      : got === want;
    if (!same) wrong.push(`${JSON.stringify(s)}: want ${want}, got ${String(got)}`);
  }
  t.same(wrong.slice(0, 20), [], `${wrong.length} references read otherwise`);
  t.ok(CLEAN.length > 50, `${CLEAN.length} references are pinned and inside the prefixes`);
});
