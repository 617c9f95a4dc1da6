import fc from 'fast-check';
import t from 'tap';
import { BAD_URIS, boundAndSigned, GOOD_URIS, readEvidence, withinPrefixes } from './artifacts.js';
import { Draft } from './draft.js';
import { count, decide, denied, holds, verdict, type PolicyCase, type Rule } from './harness.js';
import { locate, readings } from './kserve-oracle.js';
import { inferenceService } from './objects.js';

/** No bypass, for CREATE: what KServe would download is what a strict policy judges. */

const MODES = [undefined, 'Knative', 'Standard'] as const;

function strict(d: Draft): PolicyCase {
  return { rules: [d.pick(['pinning', 'prefixes'] as const), 'signatures'], mode: d.pick(MODES) };
}

/** Why a strict policy must deny `object`, per the oracle; empty when nothing requires it. */
function mustDeny(object: unknown, policy: PolicyCase): string[] {
  const evidence = readEvidence(object);
  return readings(object, policy.mode).flatMap((reading) => {
    const located = locate(object, reading);
    return [
      ...located.problems,
      ...located.downloads.flatMap(({ where, uri }) =>
        !boundAndSigned(uri, evidence)
          ? [`${reading} ${where}: ${uri} is not bound to a signed digest`]
          : policy.rules.includes('prefixes') && !withinPrefixes(uri)
            ? [`${reading} ${where}: ${uri} is outside the allowed prefixes`]
            : [],
      ),
    ];
  });
}

t.test('an unpinned or unsigned download is never admitted by a strict policy', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g, false, [...GOOD_URIS, ...BAD_URIS]);
    return { policy: strict(d), object: inferenceService(d) };
  });
  holds(
    t,
    'oracle says deny => denied',
    cases,
    ({ policy, object }) => {
      const reasons = mustDeny(object, policy);
      return reasons.length === 0 || denied(decide(policy, object), reasons);
    },
    500,
  );
  const expected = count(cases, (c) => mustDeny(c.object, c.policy).length > 0, 500);
  t.ok(expected > 200, `the oracle required a denial in ${expected} of 500 objects`);
});

t.test('an ambiguous or redirected location is denied under every configured rule', async (t) => {
  const rules: Rule[] = ['pinning', 'prefixes', 'signatures', 'canary'];
  const cases = fc.gen().map((g) => {
    const d = new Draft(g);
    const policy: PolicyCase = { rules: [d.pick(rules)], mode: d.pick(MODES) };
    return { policy, object: inferenceService(d, { messy: 70, internal: 15 }) };
  });
  const problems = (c: { policy: PolicyCase; object: unknown }) =>
    readings(c.object, c.policy.mode).flatMap((r) => locate(c.object, r).problems);
  holds(
    t,
    'oracle problem => denied',
    cases,
    (c) => problems(c).length === 0 || denied(decide(c.policy, c.object), problems(c)),
    400,
  );
  const expected = count(cases, (c) => problems(c).length > 0, 400);
  t.ok(expected > 150, `the oracle found a problem in ${expected} of 400 objects`);
});

t.test('liveness: a pinned, signed, well-formed object is admitted', async (t) => {
  const cases = fc.gen().map((g) => {
    const d = new Draft(g, true);
    return { policy: strict(d), object: inferenceService(d) };
  });
  holds(
    t,
    'clean => admitted',
    cases,
    ({ policy, object }) => {
      const reasons = mustDeny(object, policy);
      if (reasons.length > 0)
        throw new Error(`generator: a clean object the oracle denies: ${reasons.join('; ')}`);
      const d = decide(policy, object);
      if (!d.allowed) throw new Error(`engine denied: ${verdict(d)}`);
      return true;
    },
    300,
  );
});
