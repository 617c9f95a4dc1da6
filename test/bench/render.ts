// npm run bench:render — start-up of `aviary generate` (plain bin and start-up snapshot) against
// `node -e 0` on the same machine in the same run, and the time to render 100, 500 and 1,000
// releases in one app folder.
// Run after `npm run build`. Prints figures; asserts nothing (timing lives here, not in tests).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, 'plugin/bin/aviary.js');
const blob = path.join(repo, 'plugin/dist/snapshot/aviary.blob');
const runs = Number(process.env['BENCH_RUNS'] ?? 25);
const work = mkdtempSync(path.join(tmpdir(), 'aviary-bench-'));
const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function measure(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
): { ms: number; rssKb?: number } {
  const args = time ? ['-f', '%M', process.execPath, ...argv] : argv;
  const start = process.hrtime.bigint();
  const r = spawnSync(time ?? process.execPath, args, {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const rss = time ? Number(r.stderr.trim().split('\n').pop()) : undefined;
  return rss === undefined ? { ms } : { ms, rssKb: rss };
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

try {
  cpSync(path.join(repo, 'deploy/examples/gitops'), path.join(work, 'repo'), { recursive: true });
  const app = path.join(work, 'repo/churn-canary');
  const env = { ARGOCD_APP_SOURCE_PATH: 'churn-canary', ARGOCD_APP_NAMESPACE: 'ml-prod' };
  // The plain bin (an npm install) and the start-up snapshot (as deploy/plugin/plugin.yaml starts
  // it in the plugin image), each alternating with the baseline.
  const variants: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['aviary generate (plain bin)', [bin, 'generate']],
    ['aviary generate (snapshot)', ['--snapshot-blob', blob, bin, 'generate']],
  ];
  const times = variants.map((): number[] => []);
  const rss = variants.map(() => 0);
  for (const [, argv] of variants.slice(1)) measure(argv, app, env); // warm the page cache
  for (let i = 0; i < runs; i++) {
    variants.forEach(([, argv], v) => {
      const m = measure(argv, app, v === 0 ? {} : env);
      times[v]!.push(m.ms);
      rss[v] = Math.max(rss[v]!, m.rssKb ?? 0);
    });
  }
  console.log(
    `node ${process.version}, ${runs} alternating runs, one release with two signed artifacts`,
  );
  const base50 = pct(times[0]!, 50);
  variants.forEach(([name], v) => {
    const p50 = pct(times[v]!, 50);
    console.log(
      `${name.padEnd(28)} p50 ${p50.toFixed(1)} ms  p90 ${pct(times[v]!, 90).toFixed(1)} ms  max RSS ${(rss[v]! / 1024).toFixed(1)} MB` +
        (v === 0 ? '' : `  cold-start ratio (p50) ${(p50 / base50).toFixed(2)}x (target <= 1.5x)`),
    );
  });

  const bundle = path.join(repo, 'deploy/examples/gitops/signatures/churn-2.0.0.sigstore.json');
  for (const n of [100, 500, 1000]) {
    const dir = path.join(work, `scale-${n}`);
    mkdirSync(path.join(dir, 'app'), { recursive: true });
    cpSync(bundle, path.join(dir, 'model.sigstore.json'));
    for (let f = 0; f < n / 100; f++) {
      const docs = [];
      for (let i = 0; i < 100; i++) {
        const k = f * 100 + i;
        const hex = (x: number) => x.toString(16).padStart(64, '0');
        docs.push(
          `apiVersion: aviary.dev/v1alpha1\nkind: ModelRelease\nmetadata:\n  name: m${k}\nspec:\n  model: { format: sklearn }\n  stable: { uri: "s3://models/m${k}/1/", digest: "sha256:${hex(2 * k + 1)}", signature: ../model.sigstore.json }\n  canary: { uri: "s3://models/m${k}/2/", digest: "sha256:${hex(2 * k + 2)}", traffic: 10 }\n`,
        );
      }
      writeFileSync(
        path.join(dir, 'app', `r${String(f).padStart(3, '0')}.modelrelease.yaml`),
        docs.join('---\n'),
      );
    }
    const samples = [0, 1, 2].map(() =>
      measure([bin, 'generate'], path.join(dir, 'app'), { ARGOCD_APP_SOURCE_PATH: 'app' }),
    );
    const best = Math.min(...samples.map((s) => s.ms));
    const maxRss = Math.max(...samples.map((s) => s.rssKb ?? 0));
    console.log(
      `${String(n).padStart(5)} releases  ${best.toFixed(0)} ms (best of 3)  ${(best / n).toFixed(2)} ms/release  max RSS ${(maxRss / 1024).toFixed(1)} MB${n === 1000 ? '  (target <= 2000 ms)' : ''}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
