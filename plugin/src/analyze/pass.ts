import { AviaryError, type DeploymentMode, type Diagnostic } from '@aviary/policies';
import {
  analysisTarget,
  decide,
  formatMetricLine,
  planQueries,
  type AnalysisTarget,
  type ModelAnalysis,
  type Outcome,
  type QueryAnswer,
} from '@aviary/policies/analysis';
import type { Engine } from '@aviary/policies/engine';
import { analysisLoader } from './analysis-file.js';
import { AnalyzeError } from './errors.js';
import { commitMessage } from './message.js';
import { editFor, type ReleaseEdit } from './proposal.js';
import { findReleases, type FoundRelease } from './releases.js';
import { checkStep } from './step-check.js';

/** What a pass reads history from and writes decisions to; `git.ts` in production. */
export interface PassGit {
  /** Unix seconds: when the current step of this release started (design: "T0"). */
  stepStart(release: FoundRelease): Promise<number>;
  /**
   * Commits one decision's edit of the release's file, dated `date`, and pushes when the pass
   * pushes; 'superseded' when the release or an input changed since the tree was read.
   */
  write(
    release: FoundRelease,
    edit: ReleaseEdit,
    message: string,
    date: number,
    inputs: string[],
  ): Promise<'committed' | 'pushed' | 'superseded'>;
}

export interface PassOptions {
  /** The repository root (a Git work tree, or a snapshot of one commit). */
  root: string;
  /** The folder whose releases are analysed, absolute, inside `root`. */
  dir: string;
  now: number;
  query(q: string, time: number): Promise<QueryAnswer>;
  git: PassGit;
  /** The policies every written step must pass; absent only for a dry run. */
  engine: Engine | undefined;
  mode: DeploymentMode;
  namespace?: string;
  /** Decide and report, but write nothing. */
  dryRun: boolean;
}

/** One release's line of the report (the `--json` shape of the design, plus what was written). */
export interface ReleaseReport {
  release: string;
  file: string;
  decision: Outcome['decision'];
  from: number;
  to: number;
  metrics: Outcome['metrics'];
  findings: { code: string; message: string; policy?: string }[];
  error?: { code: string; message: string };
  /** What happened in Git: nothing, a local commit, a pushed one, or a commit dropped because a person changed the release first. */
  written?: 'committed' | 'pushed' | 'superseded';
  analysis?: string;
}

export interface PassResult {
  reports: ReleaseReport[];
  /** The analysis each measured release was judged by (thresholds for the metrics). */
  analyses: Map<ReleaseReport, ModelAnalysis>;
  /** Files that could not be read as releases: the pass cannot decide for them. */
  diagnostics: Diagnostic[];
  /** 0 completed; 2 bad input or a configuration error somewhere; 3 a bug; 4 Prometheus or Git failed somewhere (4 wins). */
  exit: number;
}

/**
 * One pass: every ModelRelease under the folder is measured and decided on its own; a failure
 * decides nothing for its release and never stops the others. Decisions are a function of the
 * tree, Prometheus's history and `now` only, so a pass can be replayed.
 */
export async function runPass(opts: PassOptions): Promise<PassResult> {
  const { releases, diagnostics } = await findReleases(opts.root, opts.dir);
  const load = analysisLoader(opts.root);
  const reports = await Promise.all(releases.map((r) => analyseOne(opts, r, load)));
  // Writes happen one after the other: each is its own commit on the same branch.
  for (const [i, report] of reports.entries()) {
    const found = releases[i]!;
    if (report.pending === undefined) continue;
    const { edit, message, inputs } = report.pending;
    delete report.pending;
    if (opts.dryRun) continue;
    try {
      // Dated a second after "now": `--at <now>` then replays the tree this decision was made on.
      report.written = await opts.git.write(found, edit, message, opts.now + 1, inputs);
    } catch (err) {
      fail(report, err);
    }
  }
  const codes = [...reports.map((r) => r.exit ?? 0), diagnostics.length > 0 ? 2 : 0];
  const exit = codes.includes(4) ? 4 : codes.includes(2) ? 2 : Math.max(...codes);
  const analyses = new Map<ReleaseReport, ModelAnalysis>();
  for (const r of reports) {
    if (r.spec !== undefined) analyses.set(r, r.spec);
    delete r.exit;
    delete r.spec;
  }
  return { reports, analyses, diagnostics, exit };
}

type Pending = ReleaseReport & {
  pending?: { edit: ReleaseEdit; message: string; inputs: string[] };
  exit?: number;
  spec?: ModelAnalysis;
};

async function analyseOne(
  opts: PassOptions,
  found: FoundRelease,
  load: ReturnType<typeof analysisLoader>,
): Promise<Pending> {
  const { release } = found;
  const ns = release.metadata.namespace ?? opts.namespace;
  const share = release.spec.canary?.traffic ?? 0;
  const report: Pending = {
    release: ns === undefined ? release.metadata.name : `${ns}/${release.metadata.name}`,
    file: found.file,
    decision: 'none',
    from: share,
    to: share,
    metrics: [],
    findings: [],
  };
  const target = analysisTarget(release, opts.namespace);
  const rollout = release.spec.rollout;
  if (target === undefined || rollout === undefined) return report;
  try {
    const loaded = await load(found.file, found.line, rollout.analysis);
    if (loaded.analysis === undefined) {
      const first = loaded.diagnostics[0]!;
      return fail(
        report,
        new AnalyzeError(first.code, `${rollout.analysis} cannot be used`, {
          diagnostics: loaded.diagnostics,
        }),
      );
    }
    report.analysis = loaded.analysis.name;
    report.spec = loaded.analysis;
    const outcome = await measure(opts, found, loaded.analysis, target);
    Object.assign(report, {
      decision: outcome.decision,
      to: outcome.to,
      metrics: outcome.metrics,
      // The only error the core returns is a configuration error (an ambiguous query).
      ...(outcome.error !== undefined ? { error: outcome.error, exit: 2 } : {}),
    });
    if (
      outcome.decision !== 'step' &&
      outcome.decision !== 'promote' &&
      outcome.decision !== 'rollback'
    )
      return report;
    const edit = editFor(outcome.decision, outcome.to);
    if (outcome.decision !== 'rollback' && opts.engine !== undefined) {
      // The analyzer never writes a step the webhook would refuse; a rollback is never blocked.
      const denied = await checkStep(
        { ...opts, engine: opts.engine },
        found,
        edit(found.text, found.index),
      );
      if (denied.length > 0) {
        report.decision = 'hold';
        report.to = report.from;
        report.findings = denied;
        return report;
      }
    }
    const lines = outcome.metrics.map((m) =>
      formatMetricLine(
        m,
        loaded.analysis.metrics.find((s) => s.name === m.name)!,
      ),
    );
    report.pending = {
      edit,
      message: commitMessageFor(report, lines, loaded.analysis.name, outcome.decision),
      inputs: [loaded.file],
    };
    return report;
  } catch (err) {
    return fail(report, err);
  }
}

async function measure(
  opts: PassOptions,
  found: FoundRelease,
  analysis: ModelAnalysis,
  target: AnalysisTarget,
): Promise<Outcome> {
  const start = await opts.git.stepStart(found);
  const queries = planQueries(analysis, target, start, opts.now);
  const answers = new Map<string, QueryAnswer>();
  await Promise.all(
    queries.map(async (q) => answers.set(q.key, await opts.query(q.query, q.time))),
  );
  return decide(analysis, target, start, opts.now, answers);
}

function commitMessageFor(
  report: ReleaseReport,
  metricLines: string[],
  analysis: string,
  decision: 'step' | 'promote' | 'rollback',
): string {
  return commitMessage({
    decision,
    release: report.release,
    from: report.from,
    to: report.to,
    metricLines,
    analysis,
  });
}

/** Records why a release was not decided, and the exit code that reason stands for. */
function fail(report: Pending, err: unknown): Pending {
  report.decision = null;
  report.to = report.from;
  delete report.pending;
  if (err instanceof AviaryError) {
    const detail = err.diagnostics.length > 0 ? `: ${describe(err.diagnostics)}` : '';
    report.error = { code: String(err.code), message: `${err.message}${detail}` };
    report.exit = err instanceof AnalyzeError ? err.exit : 2;
  } else {
    report.error = { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
    report.exit = 3;
  }
  return report;
}

function describe(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => `${d.file ?? ''}${d.line !== undefined ? `:${d.line}` : ''} ${d.code} ${d.message}`)
    .join('; ');
}
