import { stat } from 'node:fs/promises';
import path from 'node:path';
import { gitRunner, type Env } from './git-run.js';

/**
 * Brings the analyzer's own clone to the remote branch's state: cloned with full history on the
 * first pass (the step starts and `--at` read it), then fetched and reset. The clone belongs to
 * the analyzer, so a local commit that never reached the remote is dropped here and decided
 * again from what the remote holds.
 */
export async function syncClone(url: string, branch: string, dir: string, env: Env): Promise<void> {
  if (!(await exists(path.join(dir, '.git')))) {
    await gitRunner(
      path.dirname(dir),
      env,
    )(['clone', '--quiet', '--no-tags', '--single-branch', '--branch', branch, '--', url, dir]);
    return;
  }
  const git = gitRunner(dir, env);
  await git(['remote', 'set-url', 'origin', '--', url]);
  await git([
    'fetch',
    '--quiet',
    '--no-tags',
    'origin',
    `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
  ]);
  await git(['checkout', '--quiet', '-B', branch, `refs/remotes/origin/${branch}`]);
  await git(['reset', '--quiet', '--hard', `refs/remotes/origin/${branch}`]);
  await git(['clean', '--quiet', '-ffdx']);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
