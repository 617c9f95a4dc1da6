import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { REPO } from './helpers/paths.js';

/** The quick start's main job (`npm start`): render, admit over HTTPS, print verdicts. */
t.test(
  'the demo renders the examples and the webhook gives the expected verdicts',
  { timeout: 120_000 },
  async (t) => {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(REPO, 'webhook/tools/demo.ts')],
        { cwd: REPO },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    });
    t.equal(code, 0, stderr);
    const rows = new Map(
      stdout
        .split('\n')
        .map((l) => /^(\S+)\s{2,}(.+?)\s{2,}(ALLOWED|DENIED)\s*(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [`${m[1]} ${m[2]}`, { verdict: m[3], why: m[4] }]),
    );
    t.match(rows.get('fraud-detector generate fraud-detector/ (CREATE)'), {
      verdict: 'ALLOWED',
      why: /signature verified/,
    });
    t.match(rows.get('churn generate churn-canary/ (UPDATE of its stable)'), {
      verdict: 'ALLOWED',
      why: /signature verified/,
    });
    t.match(rows.get('sentiment generate sentiment-rollback/ (UPDATE of its stable)'), {
      verdict: 'ALLOWED',
    });
    t.match(rows.get('recommender generate recommender-standard/ (CREATE)'), {
      verdict: 'ALLOWED',
      why: /CANARY_ON_CREATE/,
    });
    // KServe would send a new InferenceService's candidate all traffic; the record would lie.
    t.match(rows.get('churn canary as a new InferenceService (CREATE)'), {
      verdict: 'DENIED',
      why: /STABLE_RECORD_UNKNOWN/,
    });
    t.match(rows.get('fraud-detector signature swapped for another model'), {
      verdict: 'DENIED',
      why: /SIG_DIGEST_MISMATCH/,
    });
    t.match(rows.get('churn UPDATE canary 10% -> 25%'), { verdict: 'ALLOWED' });
    t.match(rows.get('churn UPDATE canary 10% -> 50%'), {
      verdict: 'DENIED',
      why: /CANARY_INCREASE_TOO_LARGE/,
    });
    t.match(rows.get('churn UPDATE new model straight to 100%'), {
      verdict: 'DENIED',
      why: /CANARY_REQUIRED/,
    });
    t.match(rows.get('fraud-custom custom container, image by tag'), {
      verdict: 'DENIED',
      why: /IMAGE_UNPINNED/,
    });
    t.equal(rows.size, 12, 'one row per admission request');
  },
);
