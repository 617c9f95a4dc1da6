import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type DeploymentMode, type Diagnostic } from '@aviary/policies';
import { loadPolicySet, type Engine } from '@aviary/policies/engine';
import { parseTrustedRootFlags } from '@aviary/policies/signature';
import { runPass, type PassResult } from '../analyze/pass.js';
import { openPassGit } from '../analyze/pass-git.js';
import { prometheusClient } from '../analyze/prometheus.js';
import { formatReport, jsonReport } from '../analyze/report.js';
import { watch } from '../analyze/watch.js';
import { EXIT, type CommandIO } from '../io.js';
import { reportDiagnostics, reportWarnings } from '../report.js';

export const ANALYZE_USAGE = `aviary analyze [DIR] --prometheus URL [--policies PATH]... [--namespace NS] [--at RFC3339] [--dry-run] [--push] [--json] [--mode Knative|Standard] [--trusted-root NAME=FILE]...
aviary analyze --watch --repo URL --branch B [DIR] --prometheus URL [--every 1m] [--listen HOST:PORT] [--workdir DIR] [--policies PATH]...`;

export interface AnalyzeFlags {
  dir: string;
  prometheus: string;
  policies: string[];
  trustedRoots: string[];
  namespace: string | undefined;
  mode: DeploymentMode;
  at: number | undefined;
  dryRun: boolean;
  push: boolean;
  json: boolean;
  watch?: { repo: string; branch: string; every: number; listen: string; workdir: string };
}

/**
 * `aviary analyze`: one pass over the releases under DIR, or with `--watch` a pass every
 * `--every` on a clone it keeps. Exit 0 the pass completed (whatever it decided), 2 bad input or a
 * configuration error in an analysis, 4 Prometheus or Git failed (4 wins over 2).
 */
export async function analyze(io: CommandIO, args: readonly string[]): Promise<number> {
  const flags = parseFlags(io, args);
  if (flags.watch !== undefined) return watch(io, flags);
  const root = path.resolve(io.cwd, flags.dir);
  let engine: Engine | undefined;
  // A dry run may go without policies (nothing is written, so no step needs checking).
  if (flags.policies.length > 0 || !flags.dryRun) {
    const loaded = await loadEngine(io, flags, io.cwd);
    if (loaded.engine === undefined) return reportDiagnostics(io, loaded.diagnostics);
    engine = loaded.engine;
  }
  const result = await passOnce(io, flags, root, engine, flags.push);
  printResult(io, flags, result);
  return result.exit;
}

/** One pass on a work tree: HEAD, or with `--at` the branch as it was then. */
export async function passOnce(
  io: CommandIO,
  flags: AnalyzeFlags,
  dir: string,
  engine: Engine | undefined,
  push: boolean,
): Promise<PassResult> {
  const now = flags.at ?? Math.floor(Date.now() / 1000);
  const git = await openPassGit(dir, { env: io.env, at: flags.at, push });
  try {
    if (git.replay)
      io.stderr.write(
        `aviary: replaying ${git.commit.slice(0, 12)}, the branch as it was at ${new Date(now * 1000).toISOString()}; nothing is written\n`,
      );
    const prometheus = prometheusClient(flags.prometheus);
    return await runPass({
      root: git.root,
      dir: git.dir,
      now,
      query: (q, t) => prometheus.query(q, t),
      git,
      engine,
      mode: flags.mode,
      namespace: flags.namespace,
      dryRun: flags.dryRun || git.replay,
    });
  } finally {
    await git.dispose();
  }
}

export function printResult(io: CommandIO, flags: AnalyzeFlags, result: PassResult): void {
  if (result.diagnostics.length > 0) reportDiagnostics(io, result.diagnostics);
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result.reports.map(jsonReport), null, 2)}\n`);
    return;
  }
  for (const r of result.reports) io.stdout.write(`${formatReport(r)}\n`);
  if (result.reports.length === 0) io.stdout.write('aviary: no ModelRelease found\n');
}

export async function loadEngine(
  io: CommandIO,
  flags: AnalyzeFlags,
  cwd: string,
): Promise<{ engine?: Engine; diagnostics: Diagnostic[] }> {
  const set = await loadPolicySet({
    policies: flags.policies,
    trustedRoots: parseTrustedRootFlags(flags.trustedRoots),
    cwd,
  });
  reportWarnings(io, set.warnings);
  return { engine: set.engine, diagnostics: set.diagnostics };
}

function parseFlags(io: CommandIO, args: readonly string[]): AnalyzeFlags {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      prometheus: { type: 'string' },
      policies: { type: 'string', multiple: true, default: [] },
      'trusted-root': { type: 'string', multiple: true, default: [] },
      namespace: { type: 'string' },
      mode: { type: 'string', default: 'Knative' },
      at: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      push: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      repo: { type: 'string' },
      branch: { type: 'string' },
      every: { type: 'string', default: '1m' },
      listen: { type: 'string', default: '0.0.0.0:9464' },
      workdir: { type: 'string' },
    },
  });
  const usage = (why: string) => new UsageError('USAGE_INVALID', `${why}\nusage: ${ANALYZE_USAGE}`);
  if (positionals.length > 1) throw usage('analyze takes at most one DIR');
  if (values.policies.length === 0 && !values['dry-run'])
    throw usage(
      '--policies PATH is required: every step written is first checked against the policies the webhook enforces (--dry-run writes nothing and may go without)',
    );
  if (values.prometheus === undefined) throw usage('--prometheus URL is required');
  if (!/^https?:\/\//.test(values.prometheus))
    throw usage('--prometheus must be an http:// or https:// URL');
  if (values.mode !== 'Knative' && values.mode !== 'Standard')
    throw usage('--mode must be Knative or Standard');
  let at: number | undefined;
  if (values.at !== undefined) {
    // RFC 3339 with an explicit zone: a replay must not depend on the machine's time zone.
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(values.at))
      throw usage('--at must be an RFC 3339 time with a zone, e.g. 2026-12-02T10:00:00Z');
    at = Math.floor(Date.parse(values.at) / 1000);
    if (!Number.isFinite(at)) throw usage(`--at ${values.at} is not a valid time`);
  }
  const flags: AnalyzeFlags = {
    dir: positionals[0] ?? '.',
    prometheus: values.prometheus,
    policies: values.policies,
    trustedRoots: values['trusted-root'],
    namespace: values.namespace,
    mode: values.mode,
    at,
    dryRun: values['dry-run'],
    push: values.push,
    json: values.json,
  };
  const watchOnly = ['repo', 'branch', 'workdir'] as const;
  if (!values.watch) {
    const stray = watchOnly.find((k) => values[k] !== undefined);
    if (stray !== undefined) throw usage(`--${stray} goes with --watch`);
    return flags;
  }
  if (values.repo === undefined || values.branch === undefined)
    throw usage('--watch needs --repo URL and --branch B');
  if (values.at !== undefined || values['dry-run'])
    throw usage('--watch writes as it goes: --at and --dry-run are for one pass');
  if (path.isAbsolute(flags.dir) || flags.dir.split(/[\\/]/).includes('..'))
    throw usage('with --watch, DIR is a folder inside the repository');
  const every = parseDuration(values.every);
  if (every === undefined || every < 10 || every > 86_400)
    throw usage('--every must be a duration between 10s and 24h, e.g. 1m');
  if (!/^[^:\s]*:\d{1,5}$/.test(values.listen))
    throw usage('--listen must be HOST:PORT, e.g. 0.0.0.0:9464');
  return {
    ...flags,
    push: true,
    watch: {
      repo: values.repo,
      branch: values.branch,
      every,
      listen: values.listen,
      workdir: path.resolve(
        io.cwd,
        values.workdir ?? path.join(io.env['HOME'] ?? io.cwd, 'aviary-analyzer'),
      ),
    },
  };
}

/** `30s`, `1m`, `1h30m` in seconds. */
function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (m === null || text === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export { EXIT };
