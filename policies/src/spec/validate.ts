import type { Diagnostic } from '../errors.js';
import type { ErrorObject } from 'ajv';
import validateSpec from '../generated/modelrelease.validate.js';
import { formatPath, toProblems, type SchemaProblem } from '../schema/problems.js';
import type { ParsedDocument } from '../yaml/parse.js';
import { ociDigest } from '../kserve/uri.js';
import type { ModelRelease } from './schema.js';

/** The precompiled validator (see policies/tools/generate.ts): no ajv compile at process start. */
const compiled = validateSpec as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function check(
  value: unknown,
): { ok: true; value: ModelRelease } | { ok: false; problems: SchemaProblem[] } {
  if (compiled(value)) return { ok: true, value: value as ModelRelease };
  return { ok: false, problems: toProblems(compiled.errors ?? []) };
}

/** Annotation keys a spec may not set: Aviary and KServe own them on the rendered object. */
const RESERVED_ANNOTATION = /^(aviary\.dev\/|serving\.kserve\.io\/deploymentMode$)/;

/**
 * Label keys a spec may not set. KServe copies the InferenceService's labels onto every component's
 * pods, so a user `aviary.dev/artifact` would name the wrong artifact in metrics (and tag the
 * transformer's and explainer's series as well); the whole prefix is Aviary's, as for annotations.
 */
const RESERVED_LABEL = /^aviary\.dev\//;

/**
 * Checks one parsed document against the ModelRelease schema and the rules the schema cannot
 * express. Returns every problem found, each positioned in the source file.
 */
export function validateModelRelease(
  doc: ParsedDocument,
  file: string,
): { release?: ModelRelease; diagnostics: Diagnostic[] } {
  const result = check(doc.value);
  const at = (
    path: (string | number)[],
  ): Pick<Diagnostic, 'file' | 'line' | 'column' | 'path'> => ({
    file,
    ...doc.locate(path),
    path: formatPath(path),
  });
  if (!result.ok) {
    return {
      diagnostics: result.problems.map((p) => ({
        code: 'SPEC_SCHEMA',
        message: p.message,
        ...at(p.path),
      })),
    };
  }
  const release = result.value;
  const diagnostics: Diagnostic[] = [];
  const { stable, canary, deployment, rollout } = release.spec;

  const reserved = [
    ['annotations', 'annotation', RESERVED_ANNOTATION, 'SPEC_RESERVED_ANNOTATION'],
    ['labels', 'label', RESERVED_LABEL, 'SPEC_RESERVED_LABEL'],
  ] as const;
  for (const [field, noun, pattern, code] of reserved) {
    for (const key of Object.keys(release.metadata[field] ?? {})) {
      if (!pattern.test(key)) continue;
      diagnostics.push({
        code,
        message: `${noun} "${key}" is set by Aviary; remove it from the spec`,
        ...at(['metadata', field, key]),
      });
    }
  }
  for (const [name, artifact] of [
    ['stable', stable],
    ['canary', canary],
  ] as const) {
    if (artifact === undefined) continue;
    const inUri = ociDigest(artifact.uri);
    if (inUri !== undefined && inUri !== artifact.digest) {
      diagnostics.push({
        code: 'SPEC_DIGEST_MISMATCH',
        message: `the URI pins ${inUri} but digest says ${artifact.digest}`,
        ...at(['spec', name, 'digest']),
      });
    }
  }
  if (canary !== undefined) {
    if (canary.uri === stable.uri) {
      diagnostics.push({
        code: 'SPEC_CANARY_SAME_ARTIFACT',
        message:
          'canary.uri equals stable.uri; promote by moving the canary to stable and removing canary',
        ...at(['spec', 'canary', 'uri']),
      });
    } else if (canary.digest === stable.digest) {
      diagnostics.push({
        code: 'SPEC_CANARY_SAME_ARTIFACT',
        message: 'canary.digest equals stable.digest; a canary must be a different artifact',
        ...at(['spec', 'canary', 'digest']),
      });
    }
  }
  if (rollout !== undefined) {
    const { steps } = rollout;
    const descending = steps.findIndex((step, i) => i > 0 && step <= steps[i - 1]!);
    if (descending > 0) {
      diagnostics.push({
        code: 'SPEC_SCHEMA',
        message: `rollout.steps must be strictly ascending: ${steps[descending]} follows ${steps[descending - 1]}`,
        ...at(['spec', 'rollout', 'steps', descending]),
        path: 'spec.rollout.steps',
      });
    }
    // The analyzer only ever writes a step or 0, so any other share is a hand edit it cannot place.
    if (canary !== undefined && canary.traffic !== 0 && !steps.includes(canary.traffic)) {
      diagnostics.push({
        code: 'SPEC_SCHEMA',
        message: `canary.traffic ${canary.traffic} is neither 0 nor one of rollout.steps [${steps.join(', ')}]`,
        ...at(['spec', 'canary', 'traffic']),
      });
    }
  }
  const min = deployment?.minReplicas;
  const max = deployment?.maxReplicas;
  if (min !== undefined && max !== undefined && max !== 0 && min > max) {
    diagnostics.push({
      code: 'SPEC_REPLICAS',
      message: `minReplicas (${min}) is larger than maxReplicas (${max})`,
      ...at(['spec', 'deployment', 'minReplicas']),
    });
  }
  return diagnostics.length === 0 ? { release, diagnostics } : { diagnostics };
}
