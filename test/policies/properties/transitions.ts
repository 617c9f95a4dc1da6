import { formatStable } from '@aviary/policies';
import { artifactsAnnotation, ociDigest, versionDigest, bundleFor, sha } from './artifacts.js';
import type { Draft } from './draft.js';
import { LEGACY_KEYS } from './kserve-oracle.js';
import { storageOf } from './objects.js';

/**
 * UPDATEs between two InferenceServices: Knative (canaryTrafficPercent + aviary.dev/stable) or
 * Standard (spec.canary[]) form, the predictor's location in one field class, optional transformer
 * and explainer, and artifacts drawn from a small pool so promotions, rollbacks, re-uploads under
 * the same URI (a new digest) and brand-new artifacts all occur.
 */

type Obj = Record<string, any>;
type FieldClass = 'model' | 'legacy' | 'custom' | 'path';

const POOL = ['s3://ok/m/1/', 's3://ok/m/2/', 'gs://ok/m/1/', `oci://reg/m@${sha('o1')}`];
const IMAGE = 'example.com/server:1';

/** One side of the transition: the artifact versions it names (a bump is a re-upload). */
class Side {
  readonly placed = new Set<string>();
  constructor(private readonly versions: Map<string, number>) {}
  use(uri: string): string {
    this.placed.add(uri);
    return uri;
  }
  digest(uri: string): string {
    return ociDigest(uri) ?? versionDigest(uri, this.versions.get(uri) ?? 1);
  }
  stable(uri: string): string {
    return formatStable({ uri: this.use(uri), digest: this.digest(uri) });
  }
  /** Signed evidence for every placed location; `drop` leaves one without (digest unknown). */
  evidence(drop?: string): string {
    return artifactsAnnotation(
      [...this.placed]
        .filter((u) => u !== drop)
        .map((uri) => ({ uri, digest: this.digest(uri), bundle: bundleFor(this.digest(uri)) })),
    );
  }
}

function predictorFor(cls: FieldClass, uri: string, legacy: string): Obj {
  if (cls === 'path' && /^(s3|gs):/.test(uri))
    return { model: { modelFormat: { name: 'sklearn' }, storage: storageOf(uri) } };
  if (cls === 'legacy') return { [legacy]: { storageUri: uri } };
  if (cls === 'custom')
    return {
      containers: [
        { name: 'kserve-container', image: IMAGE, env: [{ name: 'STORAGE_URI', value: uri }] },
      ],
    };
  return { model: { modelFormat: { name: 'sklearn' }, storageUri: uri } };
}

export interface World {
  form: 'Knative' | 'Standard';
  annotation: string | undefined;
  cls: FieldClass;
  /** The canary entries' class: a legacy stable's entries may use `model` or the same key. */
  canaryCls: FieldClass;
  legacy: string;
  /** Transformer and explainer locations before and after, when present. */
  sides: { transformer?: [string, string]; explainer?: [string, string] };
}

export function world(d: Draft): World {
  const form = d.pick(['Knative', 'Standard'] as const);
  const alias = form === 'Knative' ? 'Serverless' : 'RawDeployment';
  const other = form === 'Knative' ? 'Standard' : 'Knative';
  const pair = (): [string, string] => {
    const before = d.pick(POOL);
    return [before, d.pick([before, ...POOL])];
  };
  const cls = d.pick(['model', 'legacy', 'custom', 'path'] as const);
  return {
    form,
    annotation: d.pick([form, undefined, alias, 'ModelMesh', other]),
    cls,
    canaryCls: cls === 'legacy' ? d.pick(['model', 'legacy'] as const) : cls,
    legacy: d.pick(LEGACY_KEYS),
    sides: {
      ...(d.chance(30) ? { transformer: pair() } : {}),
      ...(d.chance(20) ? { explainer: pair() } : {}),
    },
  };
}

interface Shape {
  serving: string;
  share?: number;
  stable?: string;
  canaries?: { name: string; uri?: string; traffic: number }[];
  transformer?: { uri: string; share?: number };
  explainer?: { uri: string; share?: number };
}

function render(w: World, side: Side, s: Shape, drop?: string): Obj {
  const predictor: Obj = {
    ...(s.canaries ? { name: 'stable' } : {}),
    ...(s.share !== undefined ? { canaryTrafficPercent: s.share } : {}),
    ...predictorFor(w.cls, side.use(s.serving), w.legacy),
  };
  const spec: Obj = { predictor };
  if (s.canaries)
    spec['canary'] = s.canaries.map((c) => ({
      trafficPercent: c.traffic,
      predictor: {
        name: c.name,
        ...(c.uri ? predictorFor(w.canaryCls, side.use(c.uri), w.legacy) : {}),
      },
    }));
  if (s.transformer)
    spec['transformer'] = {
      ...(s.transformer.share !== undefined ? { canaryTrafficPercent: s.transformer.share } : {}),
      containers: [
        {
          name: 'kserve-container',
          image: IMAGE,
          env: [{ name: 'STORAGE_URI', value: side.use(s.transformer.uri) }],
        },
      ],
    };
  if (s.explainer)
    spec['explainer'] = {
      ...(s.explainer.share !== undefined ? { canaryTrafficPercent: s.explainer.share } : {}),
      art: { type: 'SquareAttack', storageUri: side.use(s.explainer.uri) },
    };
  const annotations: Obj = w.annotation ? { 'serving.kserve.io/deploymentMode': w.annotation } : {};
  if (s.stable) annotations['aviary.dev/stable'] = side.stable(s.stable);
  annotations['aviary.dev/artifacts'] = side.evidence(drop);
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'iris', namespace: 'ml', annotations },
    spec,
  };
}

/** An (old, next) pair in the drawn world. */
export function transition(d: Draft, w: World = world(d)): { old: Obj; next: Obj } {
  const before = new Side(new Map());
  const bumped = d.chance(25) ? d.pick(POOL) : undefined;
  const after = new Side(new Map(bumped ? [[bumped, 2]] : []));
  const shares = [undefined, 0, 10, 20, 50, 100];
  const served = d.pick(POOL);
  const old: Shape = { serving: served };
  const next: Shape = { serving: served };

  if (w.form === 'Knative') {
    old.share = d.pick([undefined, ...shares]);
    old.stable = d.pick([old.share === undefined ? served : d.pick(POOL), undefined]);
    next.serving = d.pick([served, old.stable ?? served, ...POOL]);
    next.share = d.pick(shares);
    next.stable = d.pick([old.stable, served, next.serving, undefined]);
  } else {
    const entries = () =>
      Array.from({ length: d.pick([1, 0, 2]) }, (_, i) => ({
        name: `c${d.pick([i, i + 1])}`,
        uri: d.pick([...POOL, undefined]),
        traffic: d.pick([10, 0, 20, 50, 100]),
      }));
    old.canaries = entries();
    next.serving = d.pick([served, ...old.canaries.map((c) => c.uri ?? served), ...POOL]);
    next.canaries = d.pick([
      old.canaries.map((c) => ({ ...c, traffic: d.pick([0, 10, 50, 100]) })),
      [],
      entries(),
    ]);
    old.stable = served;
    next.stable = d.pick([next.serving, served]);
  }
  for (const c of ['transformer', 'explainer'] as const) {
    const pair = w.sides[c];
    if (!pair) continue;
    old[c] = { uri: pair[0], share: d.pick([undefined, undefined, 10]) };
    next[c] = { uri: pair[1], share: d.pick([undefined, undefined, 10, 100]) };
  }
  const drop = d.chance(10) ? d.pick(POOL) : undefined;
  return { old: render(w, before, old), next: render(w, after, next, drop) };
}

/** A textbook rollout: the next artifact enters as a canary at an allowed step, nothing else moves. */
export function canaryStep(d: Draft, w: World): { old: Obj; next: Obj } {
  // KServe stores a legacy stable as `model`; an entry with the same legacy key would sit next to it.
  if (w.canaryCls === 'legacy') w.canaryCls = 'model';
  const before = new Side(new Map());
  const after = new Side(new Map());
  // storage.path cannot name an OCI location, and a path over an inherited storageUri is refused.
  const pool = w.cls === 'path' ? POOL.filter((u) => /^(s3|gs):/.test(u)) : POOL;
  const stable = d.pick(pool);
  const candidate = d.pick(pool.filter((u) => u !== stable));
  const step = d.pick([10, 0, 20, 50]);
  const transformer = w.sides.transformer ? { uri: w.sides.transformer[0] } : undefined;
  const common = { ...(transformer ? { transformer } : {}) };
  if (w.form === 'Knative')
    return {
      old: render(w, before, { serving: stable, stable, ...common }),
      next: render(w, after, { serving: candidate, share: step, stable, ...common }),
    };
  return {
    old: render(w, before, { serving: stable, stable, canaries: [], ...common }),
    next: render(w, after, {
      serving: stable,
      stable,
      canaries: [{ name: 'c1', uri: candidate, traffic: step }],
      ...common,
    }),
  };
}
