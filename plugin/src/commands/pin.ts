import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { ociDigest, parseYamlStream } from '@aviary/policies';
import { formatFinding, loadPolicySet } from '@aviary/policies/engine';
import { modelSigningRoot, parseTrustedRootFlags } from '@aviary/policies/signature';
import { EXIT, type CommandIO } from '../io.js';
import { gitRoot } from '../locate-root.js';
import { replaceArtifact, type ArtifactRecord, type Role } from '../pin/edit.js';
import { PinError } from '../pin/errors.js';
import { resolveRegistry } from '../pin/mlflow/resolve.js';
import { finalUri, parseStorageMaps } from '../pin/location.js';
import { judge } from '../pin/judge.js';
import { digestModel, type ModelDigest } from '../pin/model-digest.js';
import { findRelease } from '../pin/release-file.js';
import { placeSignature, readSignature, verifySignature, type Bundle } from '../pin/signature.js';
import { writeAtomic } from '../pin/write.js';
import { reportDiagnostics, reportWarnings } from '../report.js';
import { readBounded } from '../source/safe-path.js';

export const PIN_USAGE =
  'aviary pin FILE --release NAME (--canary [--traffic N] | --stable [--force]) (--uri URI | --from models:/NAME/VERSION|models:/NAME@ALIAS [--mlflow URL]) [--storage-map FROM=TO]... [--digest sha256:HEX] [--model-dir DIR] [--signature PATH] --policies PATH [--namespace NS] [--mode Knative|Standard] [--trusted-root NAME=FILE]...';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * `aviary pin`: writes the exact artifact CI built and signed into a ModelRelease, or refuses and
 * writes nothing. Exit 0 pinned, 1 refused by verification or policy, 2 bad input, 4 registry.
 */
export async function pin(io: CommandIO, args: readonly string[]): Promise<number> {
  try {
    return await pinOrThrow(io, args);
  } catch (err) {
    if (!(err instanceof PinError)) throw err;
    if (err.diagnostics.length > 0) {
      reportDiagnostics(io, err.diagnostics);
    } else io.stderr.write(`aviary: ${err.code} ${err.message}\n`);
    io.stderr.write('aviary: nothing was written\n');
    return err.exit;
  }
}

async function pinOrThrow(io: CommandIO, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      release: { type: 'string' },
      canary: { type: 'boolean', default: false },
      stable: { type: 'boolean', default: false },
      traffic: { type: 'string' },
      force: { type: 'boolean', default: false },
      uri: { type: 'string' },
      from: { type: 'string' },
      mlflow: { type: 'string' },
      'storage-map': { type: 'string', multiple: true, default: [] },
      digest: { type: 'string' },
      'model-dir': { type: 'string' },
      signature: { type: 'string' },
      policies: { type: 'string' },
      namespace: { type: 'string' },
      mode: { type: 'string', default: 'Knative' },
      'trusted-root': { type: 'string', multiple: true, default: [] },
    },
  });
  const usage = (why: string) => new PinError('USAGE_INVALID', `${why}\nusage: ${PIN_USAGE}`);
  if (positionals.length !== 1) throw usage('pin takes one FILE');
  if (values.release === undefined) throw usage('--release NAME is required');
  if (values.canary === values.stable) throw usage('give exactly one of --canary and --stable');
  if ((values.uri === undefined) === (values.from === undefined))
    throw usage('give one of --uri URI and --from REF');
  if (values.mlflow !== undefined && values.from === undefined)
    throw usage('--mlflow needs --from REF');
  if (values.policies === undefined) throw usage('--policies PATH is required');
  if (values.stable && values.traffic !== undefined) throw usage('--traffic goes with --canary');
  if (values.canary && values.force) throw usage('--force goes with --stable');
  if (values.digest !== undefined && !DIGEST.test(values.digest))
    throw usage('--digest must be sha256:<64 lowercase hex>');
  if (values.mode !== 'Knative' && values.mode !== 'Standard')
    throw usage('--mode must be Knative or Standard');
  let traffic: number | undefined;
  if (values.traffic !== undefined) {
    if (!/^(0|[1-9][0-9]?|100)$/.test(values.traffic))
      throw usage('--traffic must be an integer 0..100');
    traffic = Number(values.traffic);
  }
  const maps = parseStorageMaps(values['storage-map']);
  const role: Role = values.canary ? 'canary' : 'stable';

  // The release file and the repository it lives in.
  const absolute = await realpathOr(path.resolve(io.cwd, positionals[0]!), positionals[0]!);
  const root = await realpath(await gitRoot(path.dirname(absolute)));
  const file = path.relative(root, absolute).split(path.sep).join('/');
  let before: string;
  try {
    before = await readBounded(absolute, file);
  } catch (err) {
    throw new PinError('PIN_FILE_UNREADABLE', (err as Error).message);
  }
  const found = findRelease(before, file, values.release);
  const current = found.release.spec;

  // Where the model is, and what was signed.
  let location: {
    uri: string;
    source?: string;
    folder: boolean;
    localCopy?: string;
    copy?: ModelDigest;
  } = {
    uri: values.uri ?? '',
    folder: false,
  };
  if (values.from !== undefined) {
    location = await resolveRegistry(values.from, values.mlflow, io.env);
  }
  const bundle =
    values.signature === undefined
      ? undefined
      : await readSignature(path.resolve(io.cwd, values.signature), values.signature);
  const modelDir =
    values['model-dir'] === undefined ? undefined : path.resolve(io.cwd, values['model-dir']);
  const digests: [string, string][] = [];
  if (values.digest !== undefined) digests.push(['--digest', values.digest]);
  let folder = location.folder;
  if (modelDir !== undefined) {
    const ignore = bundle !== undefined ? insideOf(modelDir, bundle.file) : [];
    const d = await digestModel(modelDir, values['model-dir']!, ignore);
    folder ||= d.kind === 'directory';
    digests.push(['--model-dir', `sha256:${fileOrRoot(d, bundle)}`]);
  }
  if (location.localCopy !== undefined && (await isFolder(location.localCopy))) {
    // MLflow records no checksum; its own copy, when this machine can read it, is one more source.
    const d = await digestModel(location.localCopy, `the registry's copy of ${location.source}`);
    digests.push([`the registry's copy`, `sha256:${fileOrRoot(d, bundle)}`]);
  }
  if (location.copy !== undefined)
    digests.push([`the registry's copy`, `sha256:${fileOrRoot(location.copy, bundle)}`]);
  const uri = finalUri(location.uri, maps, folder);
  const oci = ociDigest(uri);
  if (oci !== undefined) digests.push(['the oci:// URI', oci]);
  if (digests.length === 0)
    throw new PinError(
      'PIN_DIGEST_MISSING',
      'no digest: give --model-dir (the files that were signed) or --digest; an oci://…@sha256: URI or a registry copy on this machine also serve',
    );
  const digest = digests[0]![1];
  const disagree = digests.filter(([, d]) => d !== digest);
  if (disagree.length > 0)
    throw new PinError(
      'PIN_DIGEST_CONFLICT',
      `the digests disagree: ${digests.map(([from, d]) => `${from} ${d}`).join(', ')}`,
    );

  // The policies, and the signature under their authorities.
  const { engine, verifiers, diagnostics, warnings } = await loadPolicySet({
    policies: [values.policies],
    trustedRoots: parseTrustedRootFlags(values['trusted-root']),
    cwd: io.cwd,
  });
  reportWarnings(io, warnings);
  if (engine === undefined)
    throw new PinError('POLICY_INVALID', 'the policies do not load', { diagnostics });
  let signature: { relative: string; copyTo?: string } | undefined;
  let signer: string | undefined;
  if (bundle !== undefined) {
    const v = verifySignature(bundle, digest, verifiers);
    signer = `${v.authority} (${v.signer})`;
    const existing = [current.stable.signature, current.canary?.signature].filter(
      (s): s is string => s !== undefined,
    );
    signature = await placeSignature(bundle, root, absolute, existing);
  }

  // The new record.
  if (role === 'canary') {
    // The running share is kept; a canary that is not running (none, or rolled back to 0) starts
    // at the rollout's first step when there is a rollout.
    const running = current.canary?.traffic;
    traffic ??=
      running !== undefined && running > 0 ? running : (current.rollout?.steps[0] ?? running);
    if (traffic === undefined)
      throw usage(
        '--canary needs --traffic N: the release has no running canary share to keep and no rollout steps',
      );
  } else if ((current.canary?.traffic ?? 0) > 0 && !values.force) {
    throw new PinError(
      'PIN_CANARY_RUNNING',
      `a canary of ${found.release.metadata.name} serves ${current.canary!.traffic}%; finish or roll it back first, or pass --force`,
    );
  }
  const record: ArtifactRecord = {
    uri,
    digest,
    ...(signature !== undefined ? { signature: signature.relative } : {}),
    ...(location.source !== undefined ? { source: location.source } : {}),
    ...(role === 'canary' ? { traffic } : {}),
  };
  const after = replaceArtifact(before, found.index, role, record);
  proveEdit(before, after, file, found.index, role, record);

  const planned = new Map<string, unknown>();
  if (signature?.copyTo !== undefined) planned.set(signature.copyTo, bundle!.json);
  const decision = await judge({
    engine,
    before,
    after,
    index: found.index,
    file,
    absolute,
    root,
    mode: values.mode,
    namespace: values.namespace,
    namespaceLabels: undefined,
    plannedBundles: planned,
  });
  for (const f of decision.warnings) io.stderr.write(`aviary: warning: ${formatFinding(f)}\n`);
  if (!decision.allowed) {
    throw new PinError(
      'PIN_DENIED',
      `the policies would deny this change: ${decision.violations.map((f) => formatFinding(f)).join('; ')}`,
      { exit: EXIT.DENIED },
    );
  }

  if (signature?.copyTo !== undefined) await writeAtomic(signature.copyTo, bundle!.text);
  await writeAtomic(absolute, after);
  const parts = [
    `pinned ${found.release.metadata.name} ${role}`,
    ...(role === 'canary' ? [`${traffic}%`] : []),
    uri,
    digest,
    ...(signature !== undefined ? [`signature ${signature.relative} by ${signer}`] : []),
    ...(location.source !== undefined ? [`source ${location.source}`] : []),
    `in ${file}; policies: ${decision.matched.join(', ') || 'none matched'}`,
  ];
  io.stdout.write(`${parts.join(' ')}\n`);
  return EXIT.OK;
}

/**
 * A single file's digest depends on what signs it: model_signing signs a manifest of one file, so
 * its root is sha256 over that file's sha256; a message signature (cosign sign-blob) signs the
 * file's own sha256; unsigned, the blob digest.
 */
function fileOrRoot(d: ModelDigest, bundle: Bundle | undefined): string {
  if (d.kind === 'directory') return d.root;
  if (bundle?.kind === 'dsse') return modelSigningRoot([{ parts: ['f'], sha256: d.sha256 }]);
  return d.sha256;
}

/** The bundle's path relative to the model folder when it lies inside (model_signing ignores it). */
function insideOf(dir: string, file: string): string[] {
  const rel = path.relative(dir, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel)
    ? []
    : [rel.split(path.sep).join('/')];
}

/**
 * Re-reads the edited text and proves it means exactly the old stream with the one record
 * replaced: every other document, and every other field of this one, unchanged.
 */
function proveEdit(
  before: string,
  after: string,
  file: string,
  index: number,
  role: Role,
  record: ArtifactRecord,
): void {
  const a = parseYamlStream(before, file).documents.map((d) => d.value);
  const b = parseYamlStream(after, file);
  const want = structuredClone(a) as Record<string, Record<string, unknown>>[];
  want[index]!['spec']![role] = Object.fromEntries(
    Object.entries(record).filter(([, v]) => v !== undefined),
  );
  if (
    b.diagnostics.length > 0 ||
    !isDeepStrictEqual(
      b.documents.map((d) => d.value),
      want,
    )
  )
    throw new PinError(
      'PIN_EDIT_UNSUPPORTED',
      `editing ${file} in place would change more than spec.${role}; edit it by hand`,
    );
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function realpathOr(p: string, display: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    throw new PinError('PIN_FILE_UNREADABLE', `cannot read ${display}`);
  }
}
