import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatPath, parseYamlStream, UsageError, type Diagnostic } from '@aviary/policies';
import {
  createValidator,
  loadPolicySet,
  type Decision,
  type Validator,
} from '@aviary/policies/engine';
import { parseTrustedRootFlags } from '@aviary/policies/signature';
import { EXIT, type CommandIO } from '../io.js';
import { suiteSchema, type PolicyTestSuite } from '../policy-test/schema.js';
import { reportDiagnostics, reportWarnings } from '../report.js';
import { caseInput } from '../policy-test/case-input.js';
import { readBounded } from '../source/safe-path.js';

export const TEST_USAGE = 'aviary test [DIR] [--trusted-root NAME=FILE]...';
const SUITE_FILE = /(^|\.)aviary-test\.ya?ml$/;
let validator: Validator<PolicyTestSuite> | undefined;

/**
 * `aviary test [DIR]`: runs every `*.aviary-test.yaml` suite under DIR. Each case names an object,
 * optionally its old version, and the expected verdict and finding codes. Prints one line per case
 * and a summary; exit 1 on any mismatch, 2 on bad input.
 */
export async function testCommand(io: CommandIO, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { 'trusted-root': { type: 'string', multiple: true, default: [] } },
  });
  if (positionals.length > 1) throw new UsageError('USAGE_INVALID', `usage: ${TEST_USAGE}`);
  const trustedRoots = parseTrustedRootFlags(values['trusted-root']);
  const dir = path.resolve(io.cwd, positionals[0] ?? '.');
  const suites = await findSuites(dir, 0);
  if (suites.length === 0)
    return reportDiagnostics(io, [
      { code: 'TEST_NO_SUITES', message: `no *.aviary-test.yaml under ${positionals[0] ?? '.'}` },
    ]);
  validator ??= createValidator<PolicyTestSuite>(suiteSchema);

  let passed = 0;
  let failed = 0;
  for (const file of suites) {
    const shown = path.relative(io.cwd, file) || file;
    const parsed = parseYamlStream(await readBounded(file, shown), shown);
    const problems: Diagnostic[] = [...parsed.diagnostics];
    // One suite per file: a second document would otherwise be skipped without a word.
    const docs = parsed.documents.filter((d) => d.value !== null);
    for (const extra of docs.slice(1))
      problems.push({
        code: 'TEST_SCHEMA',
        message: 'a suite file holds one PolicyTest; split the others into their own files',
        file: shown,
        line: extra.line,
        column: 1,
      });
    const doc = docs[0];
    const v = doc ? validator(doc.value) : undefined;
    if (!doc || !v?.ok || problems.length > 0) {
      for (const p of v && !v.ok ? v.problems : [])
        problems.push({
          code: 'TEST_SCHEMA',
          message: p.message,
          file: shown,
          ...doc!.locate(p.path),
          path: formatPath(p.path),
        });
      if (problems.length === 0)
        problems.push({ code: 'TEST_SCHEMA', message: 'empty suite', file: shown });
      return reportDiagnostics(io, problems);
    }
    const suite = v.value;
    const at = (p: (string | number)[]) => ({ file: shown, ...doc.locate(p), path: formatPath(p) });
    const base = path.dirname(file);
    const set = await loadPolicySet({
      policies: suite.policies.map((p) => path.resolve(base, p)),
      trustedRoots,
      cwd: io.cwd,
      allowEmpty: true,
    });
    reportWarnings(io, set.warnings);
    if (set.engine === undefined) return reportDiagnostics(io, set.diagnostics);
    if (set.policies.length === 0)
      return reportDiagnostics(io, [
        {
          code: 'TEST_NO_POLICIES',
          message: 'the suite loads no ModelReleasePolicy, so every case would only test "allowed"',
          ...at(['policies']),
        },
      ]);
    const engine = set.engine;
    io.stdout.write(`# ${suite.metadata.name} (${shown})\n`);
    for (const [i, c] of suite.cases.entries()) {
      const resolved = await caseInput(io, base, c, (p) => at(['cases', i, ...p]));
      if ('diagnostics' in resolved) return reportDiagnostics(io, resolved.diagnostics);
      const { target, oldObject, namespace } = resolved;
      const decision = engine.evaluate({
        object: target,
        ...(oldObject !== undefined ? { oldObject } : {}),
        operation: c.operation ?? (oldObject !== undefined ? 'UPDATE' : 'CREATE'),
        // A cluster-scoped kind (ClusterServingRuntime) serves every namespace: every policy judges it.
        ...(namespace === undefined
          ? { namespace: undefined, namespaceLabels: undefined }
          : { namespace, namespaceLabels: c.namespaceLabels ?? {} }),
      });
      const mismatches = compare(c.expect, decision);
      if (mismatches.length === 0) {
        passed++;
        io.stdout.write(`ok     ${c.name}\n`);
      } else {
        failed++;
        io.stdout.write(`not ok ${c.name}\n${mismatches.map((m) => `       ${m}\n`).join('')}`);
      }
    }
  }
  io.stdout.write(`${passed + failed} cases, ${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT.DENIED : EXIT.OK;
}

function compare(expect: PolicyTestSuite['cases'][number]['expect'], d: Decision): string[] {
  const out: string[] = [];
  if (expect.allowed !== d.allowed)
    out.push(`expected allowed=${expect.allowed}, got allowed=${d.allowed}`);
  for (const key of ['violations', 'warnings', 'audits'] as const) {
    const want = expect[key];
    if (want === undefined) continue;
    const got = [...new Set(d[key].map((f) => f.code))].sort();
    const exp = [...new Set(want)].sort();
    if (got.join(',') !== exp.join(','))
      out.push(`expected ${key} [${exp.join(', ')}], got [${got.join(', ')}]`);
  }
  return out;
}

async function findSuites(dir: string, depth: number): Promise<string[]> {
  if (depth > 8) return [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new UsageError('USAGE_INVALID', `cannot read ${dir}`);
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findSuites(p, depth + 1)));
    else if (e.isFile() && SUITE_FILE.test(e.name)) out.push(p);
  }
  return out;
}
