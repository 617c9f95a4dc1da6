import type { ReleaseReport } from './pass.js';

/** RFC 3339 in UTC, to the second: how times leave the analyzer. */
export function rfc3339(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * One line per release for people: the decision, the share before and after, and each metric's
 * phase with its newest counted value next to what it was compared with.
 */
export function formatReport(r: ReleaseReport): string {
  const head =
    r.decision === null
      ? `${r.release}: undecided at ${r.from}%`
      : `${r.release}: ${r.decision} ${r.from}% → ${r.to}%`;
  const written = r.written === undefined ? '' : ` (${r.written})`;
  const parts = r.metrics.map((m) => {
    const last = [...m.measurements].reverse().find((x) => x.verdict !== 'pending');
    if (last === undefined) return `${m.name} ${m.phase}, no counted measurement`;
    const stable = last.stable === null ? '' : `, stable ${formatValue(last.stable)}`;
    return `${m.name} ${m.phase}: ${formatValue(last.value)}${stable} at ${rfc3339(last.time)}`;
  });
  const findings = r.findings.map((f) => `${f.code} (${f.policy ?? 'policy'})`);
  const error = r.error === undefined ? [] : [`${r.error.code} ${r.error.message}`];
  const tail = [...parts, ...findings, ...error];
  return `${head}${written}${tail.length > 0 ? ` — ${tail.join('; ')}` : ''}`;
}

function formatValue(v: number | null): string {
  if (v === null) return 'no data';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** The `--json` element of the design: times as RFC 3339. */
export function jsonReport(r: ReleaseReport): unknown {
  return {
    release: r.release,
    file: r.file,
    decision: r.decision,
    from: r.from,
    to: r.to,
    metrics: r.metrics.map((m) => ({
      name: m.name,
      phase: m.phase,
      measurements: m.measurements.map((x) => ({
        time: rfc3339(x.time),
        value: x.value,
        stable: x.stable,
        verdict: x.verdict,
      })),
    })),
    findings: r.findings,
    error: r.error ?? null,
    ...(r.analysis !== undefined ? { analysis: r.analysis } : {}),
    ...(r.written !== undefined ? { written: r.written } : {}),
  };
}
