import fc from 'fast-check';
import t from 'tap';
import { BAD_URIS, GOOD_URIS } from './artifacts.js';
import { withDecoys, shuffleKeys } from './decoys.js';
import { Draft } from './draft.js';
import { count, decide, holds, verdict, type PolicyCase } from './harness.js';
import { locate, readings, type Reading } from './kserve-oracle.js';
import { inferenceService } from './objects.js';
import { transition } from './transitions.js';

/** A verdict never depends on key order or on fields KServe ignores. */

const MODES = [undefined, 'Knative', 'Standard'] as const;
type Obj = Record<string, any>;

/** A CREATE under a strict policy or an UPDATE under a canary policy, mostly admissible. */
function scenario(g: fc.GeneratorValue): { policy: PolicyCase; object: Obj; old?: Obj } {
  const d = new Draft(g);
  const mode = d.pick(MODES);
  if (d.chance(50)) {
    const rules = [d.pick(['pinning', 'prefixes'] as const), 'signatures' as const];
    const clean = d.chance(70);
    const object = inferenceService(
      new Draft(g, clean, clean ? GOOD_URIS : [...GOOD_URIS, ...BAD_URIS]),
    );
    return { policy: { rules, mode }, object };
  }
  const { old, next } = transition(d);
  return {
    policy: { rules: [d.pick(['canary', 'canarySteps'] as const)], mode },
    object: next,
    old,
  };
}

const judge = (s: { policy: PolicyCase; object: Obj; old?: Obj }) =>
  verdict(decide(s.policy, s.object, s.old));

t.test('key order', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const s = scenario(g);
    const seed = d.seed();
    return {
      ...s,
      seed,
      shuffled: shuffleKeys(s.object, seed),
      shuffledOld: s.old && shuffleKeys(s.old, seed + 1),
    };
  });
  holds(
    t,
    'verdict(object) = verdict(shuffled keys)',
    cases,
    (c) => {
      const before = judge(c);
      const after = judge({ policy: c.policy, object: c.shuffled, old: c.shuffledOld });
      if (before !== after) throw new Error(`verdict changed: ${before} -> ${after}`);
      return true;
    },
    400,
  );
  const admitted = count(cases, (c) => judge(c).startsWith('allowed'), 400);
  t.ok(admitted > 100, `${admitted} of 400 base objects were admitted`);
});

t.test('ignored fields', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const s = scenario(g);
    const r: Reading[] = readings(s.object, s.policy.mode);
    const decorated = withDecoys(d, s.object, r);
    const decoratedOld = s.old && withDecoys(d, s.old, r);
    return {
      ...s,
      decoys: [...decorated.decoys, ...(decoratedOld?.decoys ?? []).map((n) => `old.${n}`)],
      decorated: decorated.object,
      decoratedOld: decoratedOld?.object,
    };
  });
  holds(
    t,
    'verdict(object) = verdict(object + decoys)',
    cases,
    (c) => {
      // The oracle must agree that the decoys are ignored, or the generator is wrong.
      const same = (a?: Obj, b?: Obj) => (r: Reading) =>
        JSON.stringify(a && locate(a, r)) === JSON.stringify(b && locate(b, r));
      for (const r of readings(c.object, c.policy.mode))
        if (!same(c.object, c.decorated)(r) || !same(c.old, c.decoratedOld)(r))
          throw new Error(
            `generator: decoys ${c.decoys.join(', ')} change the oracle's ${r} reading`,
          );
      const before = judge(c);
      const after = judge({ policy: c.policy, object: c.decorated, old: c.decoratedOld });
      if (before !== after)
        throw new Error(`decoys ${c.decoys.join(', ')} changed the verdict: ${before} -> ${after}`);
      return true;
    },
    400,
  );
  const admitted = count(cases, (c) => judge(c).startsWith('allowed'), 400);
  t.ok(admitted > 100, `${admitted} of 400 base objects were admitted`);
});
