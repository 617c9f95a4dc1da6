import fc from 'fast-check';
import t from 'tap';
import { Draft } from './draft.js';
import { count, decide, denied, holds, verdict, type PolicyCase } from './harness.js';
import { locate, readings, type Reading } from './kserve-oracle.js';
import { newArtifactAtFull } from './traffic-oracle.js';
import { canaryStep, transition, world } from './transitions.js';

/** No bypass, for UPDATE: a changed serving artifact never takes all traffic at once. */

const MODES = [undefined, 'Knative', 'Standard'] as const;

t.test('under requireCanary a new artifact never reaches 100 % without a step', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const policy: PolicyCase = {
      rules: [d.pick(['canary', 'canarySteps'] as const)],
      mode: d.pick(MODES),
    };
    return { policy, ...transition(d) };
  });
  const reasons = (c: { policy: PolicyCase; old: unknown; next: unknown }) =>
    readings(c.next, c.policy.mode).flatMap((r) => [
      ...newArtifactAtFull(c.old, c.next, r).map((why) => `${r} ${why}`),
      ...locate(c.next, r).problems,
    ]);
  holds(
    t,
    'oracle says new at 100 % => denied',
    cases,
    (c) => reasons(c).length === 0 || denied(decide(c.policy, c.next, c.old), reasons(c)),
    500,
  );
  const expected = count(cases, (c) => reasons(c).length > 0, 500);
  t.ok(expected > 150, `the oracle required a denial in ${expected} of 500 updates`);
});

t.test('liveness: a new artifact entering at an allowed step is admitted', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const w = world(d);
    // A Knative-form object read as Standard serves its candidate from the stable predictor, so
    // only a declared Knative mode makes it a canary; the Standard form is a canary either way.
    let mode: Reading | undefined = d.pick(MODES);
    if (w.form === 'Knative') {
      w.annotation = d.pick(['Knative', 'Serverless', undefined]);
      if (!w.annotation) mode = 'Knative';
    } else w.annotation = d.pick(['Standard', 'RawDeployment', undefined]);
    const policy: PolicyCase = { rules: [d.pick(['canary', 'canarySteps'] as const)], mode };
    return { policy, ...canaryStep(d, w) };
  });
  holds(
    t,
    'a canary step => admitted',
    cases,
    ({ policy, old, next }) => {
      const d = decide(policy, next, old);
      if (!d.allowed) throw new Error(`engine denied: ${verdict(d)}`);
      return true;
    },
    300,
  );
});
