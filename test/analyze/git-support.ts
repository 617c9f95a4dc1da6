import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Real git in a temporary folder: a bare repository as the remote and clones of it, with a HOME of
 * their own (no global configuration leaks in) and commit dates chosen by the test, so committer
 * times — which the step start and `--at` read — are exact.
 */
export interface GitFixture {
  dir: string;
  bare: string;
  /** The environment for the code under test: no identity configured, an isolated HOME. */
  env: Record<string, string>;
  /** A clone of the remote, on main, with an identity configured for test commits. */
  clone: (name: string, extra?: string[]) => string;
  git(cwd: string, args: string[], input?: string, extra?: Record<string, string>): string;
  /** Writes files and commits them with committer and author time `time`; the commit id. */
  commit(cwd: string, files: Record<string, string>, time: number, message?: string): string;
  dispose: () => void;
}

export function gitFixture(): GitFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aviary-git-'));
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const git = (cwd: string, args: string[], input?: string, extra: Record<string, string> = {}) =>
    execFileSync('git', args, {
      cwd,
      env: { ...env, ...extra },
      encoding: 'utf8',
      ...(input === undefined ? {} : { input }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  const bare = path.join(dir, 'remote.git');
  git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const fixture: GitFixture = {
    dir,
    bare,
    env,
    git: (cwd, args, input, extra) => git(cwd, args, input, extra),
    clone(name, extra = []) {
      const to = path.join(dir, name);
      git(dir, ['clone', '--quiet', ...extra, `file://${bare}`, to]);
      git(to, ['config', 'user.name', 'Test Person']);
      git(to, ['config', 'user.email', 'person@example.com']);
      git(to, ['checkout', '--quiet', '-B', 'main']);
      return to;
    },
    commit(cwd, files, time, message = `at ${time}`) {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
        writeFileSync(path.join(cwd, file), text);
      }
      git(cwd, ['add', '--all']);
      const date = `@${time} +0000`;
      git(cwd, ['commit', '--quiet', '--allow-empty', '-m', message], undefined, {
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      });
      return git(cwd, ['rev-parse', 'HEAD']).trim();
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
  return fixture;
}

export const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;

/** A ModelRelease document (without `---`). */
export function release(
  name: string,
  canary?: { traffic: number; digest?: string; uri?: string },
  opts: { namespace?: string; comment?: string } = {},
): string {
  const ns = opts.namespace === undefined ? '' : `\n  namespace: ${opts.namespace}`;
  const lines = [
    'apiVersion: aviary.dev/v1alpha1',
    'kind: ModelRelease',
    `metadata:\n  name: ${name}${ns}`,
    `# ${opts.comment ?? 'release'}`,
    'spec:',
    '  model: { format: sklearn }',
    '  stable:',
    `    uri: s3://models/${name}/1/`,
    `    digest: ${DIGEST('a')}`,
  ];
  if (canary !== undefined)
    lines.push(
      '  canary:',
      `    uri: ${canary.uri ?? `s3://models/${name}/2/`}`,
      `    digest: ${canary.digest ?? DIGEST('b')}`,
      `    traffic: ${canary.traffic}`,
    );
  return `${lines.join('\n')}\n`;
}
