import { parseArgs } from 'node:util';
import { governedKindOfObject, isGovernedObject, UsageError } from '@aviary/policies';
import {
  formatFinding,
  loadPolicySet,
  type Decision,
  type Operation,
} from '@aviary/policies/engine';
import { parseTrustedRootFlags } from '@aviary/policies/signature';
import { EXIT, type CommandIO } from '../io.js';
import { reportDiagnostics, reportWarnings } from '../report.js';
import { readObjectsFromFile, type LoadedObject } from '../source/objects.js';

export const CHECK_USAGE =
  'aviary check [--policies PATH] [--trusted-root NAME=FILE]... [--old FILE] [--operation CREATE|UPDATE] [--namespace NS] [--namespace-label K=V]... FILE...';

/**
 * `aviary check`: evaluates policies offline against InferenceService manifests or ModelRelease
 * files, the way the webhook would. Exit 0 allowed, 1 denied, 2 bad input.
 */
export async function check(io: CommandIO, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      policies: { type: 'string', default: 'policies' },
      old: { type: 'string' },
      operation: { type: 'string' },
      namespace: { type: 'string', default: 'default' },
      'namespace-label': { type: 'string', multiple: true, default: [] },
      'trusted-root': { type: 'string', multiple: true, default: [] },
    },
  });
  if (positionals.length === 0)
    throw new UsageError('USAGE_INVALID', `no file given\nusage: ${CHECK_USAGE}`);
  const operation = (values.operation ??
    (values.old !== undefined ? 'UPDATE' : 'CREATE')) as Operation;
  if (operation !== 'CREATE' && operation !== 'UPDATE') {
    throw new UsageError(
      'USAGE_INVALID',
      `--operation must be CREATE or UPDATE, not ${JSON.stringify(values.operation)}`,
    );
  }
  if (operation === 'UPDATE' && values.old === undefined)
    throw new UsageError('USAGE_INVALID', '--operation UPDATE needs --old FILE');
  const namespaceLabels: Record<string, string> = {};
  for (const pair of values['namespace-label']) {
    const m = /^([^=]{1,317})=(.{0,63})$/.exec(pair);
    if (!m)
      throw new UsageError(
        'USAGE_INVALID',
        `--namespace-label must be KEY=VALUE, not ${JSON.stringify(pair)}`,
      );
    namespaceLabels[m[1]!] = m[2]!;
  }

  const { engine, diagnostics, warnings } = await loadPolicySet({
    policies: [values.policies],
    trustedRoots: parseTrustedRootFlags(values['trusted-root']),
    cwd: io.cwd,
  });
  reportWarnings(io, warnings);
  if (engine === undefined) return reportDiagnostics(io, diagnostics);

  const objects: LoadedObject[] = [];
  const problems = [];
  for (const file of positionals) {
    const r = await readObjectsFromFile(file, io.cwd);
    problems.push(...r.diagnostics);
    objects.push(...r.objects.filter((o) => isGovernedObject(o.object)));
  }
  let olds: LoadedObject[] = [];
  if (values.old !== undefined) {
    const r = await readObjectsFromFile(values.old, io.cwd);
    problems.push(...r.diagnostics);
    olds = r.objects;
  }
  if (problems.length > 0) return reportDiagnostics(io, problems);
  if (objects.length === 0)
    return reportDiagnostics(io, [
      {
        code: 'CHECK_NO_OBJECTS',
        message:
          'no InferenceService, TrainedModel, ServingRuntime, ClusterServingRuntime or ModelRelease found in the given files',
      },
    ]);

  let denied = 0;
  for (const o of objects) {
    const name = nameOf(o.object);
    const kind = String(o.object['kind']);
    const old = olds.find((x) => nameOf(x.object) === name && x.object['kind'] === kind)?.object;
    if (operation === 'UPDATE' && old === undefined) {
      return reportDiagnostics(io, [
        { code: 'CHECK_NO_OLD_OBJECT', message: `--old has no ${kind} named "${name}"` },
      ]);
    }
    // A cluster-scoped kind (ClusterServingRuntime) serves every namespace: every policy judges it.
    const clusterScoped = governedKindOfObject(o.object)?.namespaced === false;
    const decision = engine.evaluate({
      object: o.object,
      ...(old !== undefined ? { oldObject: old } : {}),
      operation,
      // Without --operation or --old nothing says whether the object exists yet.
      existenceUnknown: values.operation === undefined && values.old === undefined,
      namespace: clusterScoped ? undefined : (namespaceOf(o.object) ?? values.namespace),
      namespaceLabels: clusterScoped ? undefined : namespaceLabels,
    });
    if (!decision.allowed) denied++;
    io.stdout.write(describe(name, o.origin, decision));
  }
  return denied > 0 ? EXIT.DENIED : EXIT.OK;
}

function describe(name: string, origin: string, d: Decision): string {
  const lines = [
    `${d.allowed ? 'ALLOWED' : 'DENIED '} ${name} (${origin}) policies: ${d.matched.join(', ') || 'none matched'}`,
  ];
  for (const f of d.violations) lines.push(`  deny  ${formatFinding(f)}`);
  for (const f of d.warnings) lines.push(`  warn  ${formatFinding(f)}`);
  for (const f of d.audits) lines.push(`  audit ${formatFinding(f)}`);
  for (const v of d.verified)
    lines.push(`  signed ${v.uri} ${v.digest} by ${v.authority} (${v.signer})`);
  return `${lines.join('\n')}\n`;
}

function nameOf(o: Record<string, unknown>): string {
  const meta = o['metadata'] as Record<string, unknown> | undefined;
  return typeof meta?.['name'] === 'string' ? meta['name'] : '<unnamed>';
}

function namespaceOf(o: Record<string, unknown>): string | undefined {
  const meta = o['metadata'] as Record<string, unknown> | undefined;
  return typeof meta?.['namespace'] === 'string' ? meta['namespace'] : undefined;
}
