import fc from 'fast-check';
import t from 'tap';
import type { Decision } from '@aviary/policies/engine';
import { Draft } from './draft.js';
import { IMAGE_FIELDS } from './crd-images.js';
import { count, decide, holds, SEED, verdict, type PolicyCase } from './harness.js';
import { withImageDecoys } from './image-decoys.js';
import { imagedInferenceService, imagesOf, runtime } from './image-objects.js';
import { parseImage, pinned, withinImagePrefixes, type ImageField } from './image-oracle.js';
import { IMAGE_PREFIXES, type ImageMix } from './image-pool.js';
import { locate, readings, type Reading } from './kserve-oracle.js';

/** Every image that reaches a pod, in every kind, is pinned and from an allowed repository. */

type Obj = Record<string, any>;
const MODES = [undefined, 'Knative', 'Standard'] as const;
const IMAGE_RULES = ['images', 'pinnedImages', 'imagePrefixes'] as const;
const UNPINNED_CODES = ['IMAGE_UNPINNED', 'IMAGE_INVALID'];
const KIND_NAMES = ['InferenceService', 'ServingRuntime', 'ClusterServingRuntime'] as const;

/** An object of a kind with images: InferenceServices weighted as the kind with most fields. */
function subject(d: Draft, mix: ImageMix): Obj {
  const kind = d.pick([
    'InferenceService',
    'InferenceService',
    'InferenceService',
    'ServingRuntime',
    'ClusterServingRuntime',
  ] as const);
  return kind === 'InferenceService' ? imagedInferenceService(d, mix) : runtime(d, kind, mix);
}

function policyCase(d: Draft, rules: readonly (typeof IMAGE_RULES)[number][]): PolicyCase {
  return { rules: [d.pick(rules)], mode: d.pick(MODES) };
}

/** The images the oracle says reach a pod in any reading the policy leaves open (runtimes have one). */
const reached = (object: Obj, p: PolicyCase): ImageField[] =>
  imagesOf(object, object['kind'] === 'InferenceService' ? readings(object, p.mode) : ['Standard']);

/** True when some violation at `path` has one of `codes`; otherwise throws with the verdict. */
function cites(d: Decision, path: string, codes: string[], why: string): true {
  if (d.violations.some((v) => v.path === path && codes.includes(v.code))) return true;
  throw new Error(`${why}: expected ${codes.join('|')}@${path}, got ${verdict(d)}`);
}

t.test('an unpinned image reaching a pod is denied, at its field', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    return { policy: policyCase(d, IMAGE_RULES), object: subject(d, 'any') };
  });
  const unpinned = (c: { policy: PolicyCase; object: Obj }) =>
    reached(c.object, c.policy).filter((f) => !pinned(f.value));
  holds(
    t,
    'unpinned image => denied with IMAGE_UNPINNED or IMAGE_INVALID at its path',
    cases,
    (c) => {
      const bad = unpinned(c);
      if (bad.length === 0) return true;
      const d = decide(c.policy, c.object);
      return bad.every((f) => cites(d, f.path, UNPINNED_CODES, `${JSON.stringify(f.value)}`));
    },
    250,
  );
  const sample = fc.sample(cases, { numRuns: 250, seed: SEED });
  const expected = sample.filter((c) => unpinned(c).length > 0).length;
  t.ok(expected > 150, `the oracle found an unpinned image in ${expected} of 250 objects`);
  // Every image field of every kind's CRD held an unpinned image in some object.
  const general = (c: { object: Obj }, f: ImageField) =>
    `${c.object['kind']} ${f.path.replace(/\[\d+\]/g, '[]')}`;
  const fields = new Set(sample.flatMap((c) => unpinned(c).map((f) => general(c, f))));
  const missing = KIND_NAMES.flatMap((k) => IMAGE_FIELDS[k].map((f) => `${k} ${f}`)).filter(
    (f) => !fields.has(f),
  );
  t.same(missing, [], 'no CRD image field went untested');
});

t.test('a pinned image outside allowedImagePrefixes is denied, one inside is not', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const policy: PolicyCase = { rules: ['imagePrefixes'], mode: d.pick(MODES) };
    return { policy, object: subject(d, 'pinned') };
  });
  holds(
    t,
    'outside => IMAGE_PREFIX_NOT_ALLOWED at its path; inside => no image finding there',
    cases,
    (c) => {
      const d = decide(c.policy, c.object);
      for (const f of reached(c.object, c.policy)) {
        if (!withinImagePrefixes(f.value, IMAGE_PREFIXES))
          cites(d, f.path, ['IMAGE_PREFIX_NOT_ALLOWED'], String(f.value));
        else if (d.violations.some((v) => v.path === f.path))
          throw new Error(`${String(f.value)} is inside the prefixes: ${verdict(d)}`);
      }
      return true;
    },
    250,
  );
  const outside = count(
    cases,
    (c) => reached(c.object, c.policy).some((f) => !withinImagePrefixes(f.value, IMAGE_PREFIXES)),
    250,
  );
  t.ok(outside > 120, `the oracle found an image outside the prefixes in ${outside} of 250`);
});

t.test('liveness: pinned images inside the prefixes are admitted', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g, true);
    return { policy: policyCase(d, IMAGE_RULES), object: subject(d, 'clean') };
  });
  holds(
    t,
    'clean => admitted',
    cases,
    ({ policy, object }) => {
      const images = reached(object, policy);
      const stray = images.find((f) => !pinned(f.value) || !parseImage(f.value));
      if (stray) throw new Error(`generator: a clean object with ${String(stray.value)}`);
      const d = decide(policy, object);
      if (!d.allowed) throw new Error(`engine denied: ${verdict(d)}`);
      return true;
    },
    250,
  );
  const many = count(cases, (c) => reached(c.object, c.policy).length >= 3, 250);
  t.ok(many > 100, `${many} of 250 clean objects had three images or more`);
});

t.test('fields named image that are not container images change no verdict', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const policy = policyCase(d, IMAGE_RULES);
    const object = subject(new Draft(g, d.chance(60)), d.pick(['clean', 'any'] as const));
    const decorated = withImageDecoys(d, object);
    return { policy, object, decorated: decorated.object, decoys: decorated.decoys };
  });
  const judge = (p: PolicyCase, o: Obj) => verdict(decide(p, o));
  holds(
    t,
    'verdict(object) = verdict(object + image decoys)',
    cases,
    (c) => {
      // The oracles must agree the decoys are neither images nor model locations.
      const plain = (o: Obj) => JSON.stringify(reached(o, c.policy));
      const models = (o: Obj, r: Reading) => JSON.stringify(locate(o, r));
      if (
        plain(c.object) !== plain(c.decorated) ||
        (['Knative', 'Standard'] as const).some(
          (r) => models(c.object, r) !== models(c.decorated, r),
        )
      )
        throw new Error(`generator: decoys ${c.decoys.join(', ')} change an oracle's reading`);
      const before = judge(c.policy, c.object);
      const after = judge(c.policy, c.decorated);
      if (before !== after)
        throw new Error(`decoys ${c.decoys.join(', ')} changed the verdict: ${before} -> ${after}`);
      return true;
    },
    250,
  );
  const admitted = count(cases, (c) => judge(c.policy, c.object).startsWith('allowed'), 250);
  t.ok(admitted > 80, `${admitted} of 250 base objects were admitted`);
});
