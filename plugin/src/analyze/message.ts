export type WrittenDecision = 'step' | 'promote' | 'rollback';

export interface CommitMessageInput {
  decision: WrittenDecision;
  /** `namespace/name`, or `name` when the release sets no namespace. */
  release: string;
  /** Canary share before and after the decision, in percent. */
  from: number;
  to: number;
  /** One line per metric, e.g. `error-rate 0.004 (max 0.01; stable 0.003, maxDelta 0.005) passed`. */
  metricLines: readonly string[];
  /** The ModelAnalysis `metadata.name`. */
  analysis: string;
}

/**
 * The message of a write-back commit: `aviary: <decision> <release> <from>% → <to>%`, a blank line,
 * the metric lines, a blank line, then the trailers `Aviary-Release`, `Aviary-Decision`,
 * `Aviary-Analysis` (read back by `git interpret-trailers --parse`). Names come from the
 * repository, so line breaks and control characters in them are flattened to spaces: a crafted
 * metric name cannot forge a trailer or a second subject line.
 */
export function commitMessage(m: CommitMessageInput): string {
  const subject = `aviary: ${m.decision} ${oneLine(m.release)} ${m.from}% → ${m.to}%`;
  const body = m.metricLines.map(oneLine).filter((l) => l !== '');
  const trailers = [
    `Aviary-Release: ${oneLine(m.release)}`,
    `Aviary-Decision: ${m.decision}`,
    `Aviary-Analysis: ${oneLine(m.analysis)}`,
  ];
  return [subject, '', ...(body.length > 0 ? [...body, ''] : []), ...trailers, ''].join('\n');
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}
