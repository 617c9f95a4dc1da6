import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../io.js';
import { gitFailed, type Env, type Git } from './git-run.js';

/** Used only for a field neither the environment nor git's configuration sets. */
export const DEFAULT_IDENTITY = { name: 'aviary', email: 'aviary@localhost' } as const;

const IDENTITY_FIELDS = [
  ['GIT_AUTHOR_NAME', 'author', 'name'],
  ['GIT_AUTHOR_EMAIL', 'author', 'email'],
  ['GIT_COMMITTER_NAME', 'committer', 'name'],
  ['GIT_COMMITTER_EMAIL', 'committer', 'email'],
] as const;

/**
 * The author and committer git would use, completed with the default identity: GIT_AUTHOR_* /
 * GIT_COMMITTER_* and EMAIL from the environment, or user.* / author.* / committer.* from git's
 * configuration, win; a container with neither still commits, as `aviary <aviary@localhost>`.
 */
export async function identityEnv(git: Git, env: Env): Promise<Record<string, string>> {
  const config = (
    await git(['config', '--get-regexp', '^(user|author|committer)\\.(name|email)$'], {
      ok: [0, 1],
    })
  ).stdout
    .toString('utf8')
    .split('\n')
    .map((line) => line.split(' ')[0]!.toLowerCase());
  const out: Record<string, string> = {};
  for (const [variable, role, field] of IDENTITY_FIELDS) {
    const set =
      (env[variable] ?? '') !== '' ||
      (field === 'email' && (env['EMAIL'] ?? '') !== '') ||
      config.includes(`user.${field}`) ||
      config.includes(`${role}.${field}`);
    if (!set) out[variable] = DEFAULT_IDENTITY[field];
  }
  return out;
}

/**
 * One commit on `parent` whose tree is the parent's with `file` replaced by `text` (mode kept),
 * built in a temporary index: neither the work tree nor the repository's index is touched, so a
 * commit that is never pushed leaves no trace but an unreachable object.
 */
export async function buildCommit(
  git: Git,
  parent: string,
  file: string,
  text: string,
  message: string,
  identity: Record<string, string>,
): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'aviary-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
    const listed = (await git(['ls-tree', '-z', parent, '--', file])).stdout.toString('utf8');
    const mode = /^(100644|100755) blob /.exec(listed)?.[1];
    if (mode === undefined) throw gitFailed(`${file} is not a regular file at ${parent}`, '');
    const blob = await line(git, ['hash-object', '-w', '--stdin', `--path=${file}`], text);
    await git(['read-tree', parent], { env });
    await git(['update-index', '--cacheinfo', `${mode},${blob},${file}`], { env });
    const tree = await line(git, ['write-tree'], undefined, env);
    return await line(git, ['commit-tree', tree, '-p', parent, '-F', '-'], message, identity);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function line(git: Git, args: string[], input?: string, env?: Env): Promise<string> {
  return (
    await git(args, { ...(input === undefined ? {} : { input }), ...(env ? { env } : {}) })
  ).stdout
    .toString('utf8')
    .trim();
}

export interface Upstream {
  remote: string;
  /** The branch on the remote, e.g. `refs/heads/main`. */
  ref: string;
}

/** The branch's upstream (`branch.<name>.remote` / `.merge`); GIT_FAILED (exit 2) when none. */
export async function upstreamOf(git: Git, branch: string): Promise<Upstream> {
  const out = await git([
    'for-each-ref',
    '--format=%(upstream:remotename)%00%(upstream:remoteref)',
    `refs/heads/${branch}`,
  ]);
  const [remote = '', ref = ''] = out.stdout.toString('utf8').trim().split('\0');
  if (remote === '' || ref === '' || remote === '.')
    throw gitFailed(
      `branch ${branch} has no upstream on a remote to push to (git branch --set-upstream-to)`,
      '',
      EXIT.BAD_INPUT,
    );
  return { remote, ref };
}

export type PushOutcome = 'pushed' | 'behind' | 'refused';

/**
 * Pushes `commit` to the upstream branch, never forced: `behind` when the remote moved on (a
 * fast-forward was refused), `refused` when the remote declined for another reason (a hook, a
 * protected branch); a transport or credential failure is GIT_FAILED.
 */
export async function push(
  git: Git,
  up: Upstream,
  commit: string,
): Promise<{ outcome: PushOutcome; reason: string }> {
  const out = await git(['push', '--porcelain', up.remote, `${commit}:${up.ref}`], {
    ok: [0, 1],
  });
  const status = out.stdout
    .toString('utf8')
    .split('\n')
    .find((l) => /^[ *=!+-]\t/.test(l));
  if (out.code === 0 && status !== undefined && !status.startsWith('!'))
    return { outcome: 'pushed', reason: '' };
  const reason = status?.split('\t')[2] ?? '';
  if (status?.startsWith('!') === true && /^\[rejected\]/.test(reason))
    return { outcome: 'behind', reason };
  if (status?.startsWith('!') === true) return { outcome: 'refused', reason };
  throw gitFailed(`git push to ${up.remote} failed`, out.stderr);
}

/** Fetches the upstream branch; its commit. */
export async function fetchUpstream(git: Git, up: Upstream): Promise<string> {
  await git(['fetch', '--no-tags', up.remote, up.ref]);
  return (await git(['rev-parse', '--verify', 'FETCH_HEAD^{commit}'])).stdout
    .toString('utf8')
    .trim();
}
