import fc from 'fast-check';
import type { Test } from 'tap';
import {
  createEngine,
  parsePolicies,
  type Decision,
  type Engine,
  type SignatureCheck,
} from '@aviary/policies/engine';
import { ALLOWED_PREFIXES, ALLOWED_SCHEMES } from './artifacts.js';
import { IMAGE_PREFIXES } from './image-pool.js';
import type { Reading } from './kserve-oracle.js';

/** Policies, the engine under test, and the fast-check runner shared by the property files. */

export type Rule =
  | 'pinning'
  | 'prefixes'
  | 'signatures'
  | 'canary'
  | 'canarySteps'
  | 'images'
  | 'pinnedImages'
  | 'imagePrefixes';
export interface PolicyCase {
  rules: Rule[];
  /** spec.defaultDeploymentMode; absent: the engine reads an unannotated object both ways. */
  mode?: Reading;
  /** spec.match, as YAML lines under `match:`. */
  match?: string[];
}

const RULE_YAML: Record<Rule, string> = {
  pinning: 'pinning:\n  required: true',
  prefixes: `pinning:\n  required: true\n  allowedSchemes: [${ALLOWED_SCHEMES.join(', ')}]\n  allowedPrefixes: [${ALLOWED_PREFIXES.map((p) => `"${p}"`).join(', ')}]`,
  signatures:
    'signatures:\n  required: true\n  authorities:\n    - name: k\n      key: { publicKey: "-----BEGIN PUBLIC KEY-----" }',
  canary: 'canary:\n  requireCanary: true',
  canarySteps: 'canary:\n  requireCanary: true\n  steps: [0, 10, 20, 50]\n  maxIncrease: 40',
  // Images alone (model locations need not be pinned), then with model pinning as the default.
  images: 'pinning:\n  required: false\n  images: true',
  pinnedImages: 'pinning:\n  images: true',
  imagePrefixes: `pinning:\n  required: false\n  images: true\n  allowedImagePrefixes: [${IMAGE_PREFIXES.map((p) => `"${p}"`).join(', ')}]`,
};

export function policyText(p: PolicyCase): string {
  const spec = [
    ...(p.mode ? [`defaultDeploymentMode: ${p.mode}`] : []),
    ...(p.match ? [`match:\n${p.match.map((l) => `  ${l}`).join('\n')}`] : []),
    ...p.rules.map((r) => RULE_YAML[r]),
  ];
  const body = spec.join('\n').replace(/^/gm, '  ');
  return `apiVersion: aviary.dev/v1alpha1\nkind: ModelReleasePolicy\nmetadata:\n  name: p\nspec:\n${body}\n`;
}

// Signatures are verified for real, with real bundles, in test/policies/signature/; here a
// stand-in accepts exactly the bundles marked good for the digest it is asked about, so the
// properties exercise which artifact the engine binds, not cryptography.
const verifier: SignatureCheck = {
  verify: (bundle, digest) =>
    (bundle as { good?: unknown } | null)?.good === digest
      ? { ok: true, authority: 'k', signer: 'stub' }
      : { ok: false, code: 'SIG_DIGEST_MISMATCH', message: 'stub: not signed for this digest' },
};

const engines = new Map<string, Engine>();
function engineFor(p: PolicyCase): Engine {
  const text = policyText(p);
  let engine = engines.get(text);
  if (!engine) {
    const parsed = parsePolicies(text, 'policy.yaml');
    if (parsed.diagnostics.length > 0)
      throw new Error(`bad test policy: ${JSON.stringify(parsed.diagnostics)}`);
    engine = createEngine({ policies: parsed.policies, verifierFor: () => verifier });
    engines.set(text, engine);
  }
  return engine;
}

/** Where the object is judged: its namespace and that namespace's labels (undefined: unknown). */
export interface Where {
  namespace: string | undefined;
  namespaceLabels: Record<string, string> | undefined;
}
const IN_ML: Where = { namespace: 'ml', namespaceLabels: {} };
/** A cluster-scoped object: the webhook passes no namespace and no namespace labels. */
export const CLUSTER: Where = { namespace: undefined, namespaceLabels: undefined };

/** Where the webhook judges an object of this kind. */
const whereFor = (object: unknown): Where =>
  (object as { kind?: unknown } | null)?.kind === 'ClusterServingRuntime' ? CLUSTER : IN_ML;

export function decide(
  p: PolicyCase,
  object: unknown,
  oldObject?: unknown,
  where: Where = whereFor(object),
): Decision {
  return engineFor(p).evaluate({
    object,
    ...(oldObject === undefined ? {} : { oldObject }),
    operation: oldObject === undefined ? 'CREATE' : 'UPDATE',
    ...where,
  });
}

/** A verdict to compare: admitted or not, and each denial code with the path it cites. */
export function verdict(d: Decision): string {
  const codes = d.violations.map((f) => `${f.code}@${f.path}`);
  return `${d.allowed ? 'allowed' : 'denied'} ${[...new Set(codes)].sort().join(' ')}`;
}

/** True when denied; otherwise throws, so fast-check's report says what the oracle expected. */
export function denied(d: Decision, reasons: string[]): boolean {
  if (d.allowed)
    throw new Error(`admitted, but the oracle says: ${reasons.join('; ')} (${verdict(d)})`);
  return true;
}

/** A fixed seed by default (AVIARY_PROPERTY_SEED overrides it); fast-check prints it on failure. */
export const SEED = Number(process.env['AVIARY_PROPERTY_SEED'] ?? 20_260_611);
/** AVIARY_PROPERTY_RUNS multiplies every property's run count, for a longer search by hand. */
const SCALE = Number(process.env['AVIARY_PROPERTY_RUNS'] ?? 1);

/** Runs one property as a tap assertion; a failure carries fast-check's report. */
export function holds<T>(
  t: Test,
  name: string,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => boolean,
  numRuns = 300,
): void {
  const details = fc.check(fc.property(arb, predicate), { numRuns: numRuns * SCALE, seed: SEED });
  if (!details.failed) return void t.pass(`${name} (${details.numRuns} runs)`);
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : '';
  t.fail(name, { diagnostic: true, error, report: fc.defaultReportMessage(details) });
}

/** How many of `numRuns` drawn values (same seed) satisfy `test`: the properties are not vacuous. */
export function count<T>(arb: fc.Arbitrary<T>, test: (value: T) => boolean, numRuns = 300): number {
  return fc.sample(arb, { numRuns, seed: SEED }).filter(test).length;
}
