import path from 'node:path';
import {
  SPEC_KSERVE_CODE,
  SpecError,
  isObject,
  kserveRules,
  validateModelRelease,
  type Code,
  type DeploymentMode,
  type Diagnostic,
  type InferenceService,
  type ModelRelease,
} from '@aviary/policies';
import { readAppFolder, type SourceDocument } from '../source/app-folder.js';
import { readBounded, resolveInside } from '../source/safe-path.js';
import { renderRelease } from './release.js';

export interface AppRenderOptions {
  /** Folder holding the ModelRelease files (Argo CD's app path). */
  appDir: string;
  /** Repository root; no file outside it is ever read. */
  root: string;
  defaultMode: DeploymentMode;
  /** Namespace written on InferenceServices whose spec sets none. */
  namespace?: string;
  /** Namespace the objects will land in (for KServe's name-length rule) when known. */
  targetNamespace?: string;
  /**
   * Bundles not on disk yet, by absolute path: `aviary pin` judges a release before it copies the
   * bundle the release will name.
   */
  plannedBundles?: ReadonlyMap<string, unknown>;
}

export interface RenderedRelease {
  release: ModelRelease;
  object: InferenceService;
  file: string;
  line: number;
}

export interface AppRenderResult {
  /** Output objects in source order: rendered InferenceServices and pass-through objects. */
  objects: unknown[];
  releases: RenderedRelease[];
  diagnostics: Diagnostic[];
}

/** Kubernetes caps the total size of an object's annotations at 256 KiB. */
const MAX_ANNOTATION_BYTES = 256 * 1024;

/**
 * Renders an app folder: every ModelRelease becomes an InferenceService, every other Kubernetes
 * object passes through unchanged. All problems are collected; when there is any, no object is
 * returned, so a caller can never print partial output.
 */
export async function renderApp(opts: AppRenderOptions): Promise<AppRenderResult> {
  const { documents, diagnostics } = await readAppFolder(opts.appDir, opts.root);
  const result = await renderSources(documents, opts, diagnostics);
  if (result.releases.length === 0 && result.diagnostics.length === 0) {
    return {
      objects: [],
      releases: [],
      diagnostics: [
        {
          code: 'SPEC_NO_RELEASES',
          message:
            'no ModelRelease found; refusing to render, because empty output makes Argo CD prune everything',
          file: displayDir(opts.root, opts.appDir),
        },
      ],
    };
  }
  return result;
}

/**
 * Renders already-parsed documents; shared by `generate`, `render` and `check`. `diagnostics`
 * holds problems found earlier, e.g. while parsing, and is extended in place.
 */
export async function renderSources(
  documents: readonly SourceDocument[],
  opts: Omit<AppRenderOptions, 'appDir'>,
  diagnostics: Diagnostic[] = [],
): Promise<AppRenderResult> {
  const objects: unknown[] = [];
  const releases: RenderedRelease[] = [];
  const identities = new Map<string, string>();

  for (const source of documents) {
    const { doc, file } = source;
    const value = doc.value;
    if (value === null || value === undefined) continue;
    const where = { file, line: doc.line, column: 1 };
    if (!isObject(value)) {
      diagnostics.push({
        code: 'SPEC_NOT_AN_OBJECT',
        message: 'document is neither a ModelRelease nor a Kubernetes object',
        ...where,
      });
      continue;
    }
    const obj = value;
    // A ModelAnalysis is the analyzer's configuration, read from the repository; it is not a
    // cluster object (no CRD serves it), so an app folder may hold one and it is not emitted.
    if (obj['apiVersion'] === 'aviary.dev/v1alpha1' && obj['kind'] === 'ModelAnalysis') continue;
    let output: unknown;
    if (obj['kind'] === 'ModelRelease') {
      const rendered = await renderOne(source, opts, diagnostics);
      if (rendered === undefined) continue;
      releases.push(rendered);
      output = rendered.object;
    } else if (isKubernetesObject(obj)) {
      output = obj;
    } else {
      diagnostics.push({
        code: 'SPEC_NOT_KUBERNETES_OBJECT',
        message:
          'document is neither a ModelRelease nor a Kubernetes object (apiVersion, kind and metadata.name are required)',
        ...where,
      });
      continue;
    }
    const id = identity(output as Record<string, unknown>);
    const previous = identities.get(id);
    if (previous !== undefined) {
      diagnostics.push({
        code: 'SPEC_DUPLICATE_OBJECT',
        message: `${id} is already defined at ${previous}`,
        ...where,
      });
      continue;
    }
    identities.set(id, `${file}:${doc.line}`);
    objects.push(output);
  }
  return diagnostics.length > 0
    ? { objects: [], releases: [], diagnostics }
    : { objects, releases, diagnostics };
}

async function renderOne(
  source: SourceDocument,
  opts: Omit<AppRenderOptions, 'appDir'>,
  diagnostics: Diagnostic[],
): Promise<RenderedRelease | undefined> {
  const { doc, file, absolute } = source;
  const checked = validateModelRelease(doc, file);
  if (checked.release === undefined) {
    diagnostics.push(...checked.diagnostics);
    return undefined;
  }
  const release = checked.release;
  const bundles: { stable?: unknown; canary?: unknown } = {};
  let ok = true;
  for (const role of ['stable', 'canary'] as const) {
    const signature = release.spec[role]?.signature;
    if (signature === undefined) continue;
    try {
      bundles[role] =
        opts.plannedBundles?.get(path.resolve(path.dirname(absolute), signature)) ??
        (await readBundle(opts.root, path.dirname(absolute), signature));
    } catch (err) {
      ok = false;
      const fieldPath = ['spec', role, 'signature'];
      diagnostics.push({
        code: err instanceof SpecError ? signatureCode(err) : 'SPEC_SIGNATURE_UNREADABLE',
        message: (err as Error).message,
        file,
        ...doc.locate(fieldPath),
        path: fieldPath.join('.'),
      });
    }
  }
  if (!ok) return undefined;
  const object = renderRelease({
    release,
    bundles,
    defaultMode: opts.defaultMode,
    namespace: opts.namespace,
  });
  const namespace = object.metadata.namespace ?? opts.targetNamespace;
  const problems = kserveRules(object, namespace);
  for (const p of problems) {
    diagnostics.push({
      code: SPEC_KSERVE_CODE[p.code],
      message: `rendered ${p.path}: ${p.message}`,
      file,
      ...doc.locate(['metadata', 'name']),
    });
  }
  const annotationBytes = Object.entries(object.metadata.annotations ?? {}).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (annotationBytes > MAX_ANNOTATION_BYTES) {
    diagnostics.push({
      code: 'SPEC_EVIDENCE_TOO_LARGE',
      message: `annotations would be ${annotationBytes} bytes; Kubernetes allows ${MAX_ANNOTATION_BYTES}`,
      file,
      ...doc.locate(['spec']),
    });
    return undefined;
  }
  return problems.length > 0 ? undefined : { release, object, file, line: doc.line };
}

async function readBundle(root: string, fromDir: string, signature: string): Promise<unknown> {
  const file = await resolveInside(root, fromDir, signature);
  const text = await readBounded(file, `signature "${signature}"`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SpecError('SPEC_INVALID', `signature "${signature}" is not a JSON Sigstore bundle`);
  }
}

function signatureCode(err: SpecError): Code {
  switch (err.code) {
    case 'SPEC_PATH_ESCAPE':
      return 'SPEC_SIGNATURE_PATH';
    case 'SPEC_READ_FAILED':
      return 'SPEC_SIGNATURE_MISSING';
    default:
      return 'SPEC_SIGNATURE_INVALID';
  }
}

function isKubernetesObject(obj: Record<string, unknown>): boolean {
  const meta = obj['metadata'];
  return (
    typeof obj['apiVersion'] === 'string' &&
    obj['apiVersion'] !== '' &&
    typeof obj['kind'] === 'string' &&
    obj['kind'] !== '' &&
    isObject(meta) &&
    (typeof meta['name'] === 'string' || typeof meta['generateName'] === 'string')
  );
}

function identity(obj: Record<string, unknown>): string {
  const meta = obj['metadata'] as Record<string, unknown>;
  const group = String(obj['apiVersion']).split('/').slice(0, -1).join('/') || 'core';
  const ns = typeof meta['namespace'] === 'string' ? `${meta['namespace']}/` : '';
  return `${String(obj['kind'])}.${group} ${ns}${String(meta['name'] ?? meta['generateName'])}`;
}

function displayDir(root: string, dir: string): string {
  const rel = path.relative(root, dir);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}
