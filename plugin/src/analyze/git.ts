/**
 * Git for `aviary analyze`. The flow a pass follows:
 *   openRepo(dir) → [--at T: commitAt(repo, T) → snapshot(repo, commit), read files from its dir]
 *   → per release: stepStart(repo, commit, repoPath(repo, file), id)
 *   → a decision to write: writeBack(repo, { file, release, edit: (text, i) => setTraffic(text, i, n)
 *     | promote(text, i), message: commitMessage(…), base: commit, inputs: [analysis file] }).
 * Everything runs the `git` executable (git-run.ts); errors are AnalyzeError.
 */
import { mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../io.js';
import { AnalyzeError } from './errors.js';
import { gitFailed, gitRunner, redact, type Env, type Git } from './git-run.js';

/** A git work tree on a branch with its full history: what `aviary analyze` reads and writes. */
export interface GitRepo {
  /** Absolute path of the work tree's top folder. */
  readonly root: string;
  /** The branch checked out, e.g. `main`. */
  readonly branch: string;
  /** The commit HEAD was at when the repository was opened. */
  readonly head: string;
  /** The environment every git call runs with (credentials, identity, dates). */
  readonly env: Env;
  /** Runs git in `root`. */
  readonly git: Git;
}

export interface OpenOptions {
  /** The environment git runs with (default: this process's); credentials come only from here. */
  env?: Env;
  /** Deadline of each git call (default 60 s). */
  timeoutMs?: number;
}

/**
 * Opens the work tree holding `dir`. Refused: no work tree (GIT_NOT_A_WORK_TREE), a detached HEAD
 * (GIT_DETACHED: decisions are commits on a branch), a shallow clone (GIT_SHALLOW: the step start
 * and `--at` read history a shallow clone does not have, and a truncated history would make every
 * step look as if it started at the graft).
 */
export async function openRepo(dir: string, options: OpenOptions = {}): Promise<GitRepo> {
  const where = path.resolve(dir);
  if (!(await isFolder(where)))
    throw new AnalyzeError('GIT_NOT_A_WORK_TREE', `${dir} is not a folder`);
  const env = options.env ?? process.env;
  const probe = gitRunner(where, env, options.timeoutMs);
  const inside = await probe(
    ['rev-parse', '--is-inside-work-tree', '--is-shallow-repository', '--show-toplevel'],
    { ok: [0, 128] },
  );
  const [work, shallow, top] = inside.stdout.toString('utf8').split('\n');
  if (inside.code !== 0 || work !== 'true' || top === undefined || top === '')
    throw new AnalyzeError(
      'GIT_NOT_A_WORK_TREE',
      `${dir} is not inside a git work tree${detail(inside.stderr)}`,
    );
  const git = gitRunner(top, env, options.timeoutMs);
  if (shallow === 'true')
    throw new AnalyzeError(
      'GIT_SHALLOW',
      `${top} is a shallow clone: the step starts and --at read the history; run git fetch --unshallow`,
    );
  const ref = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { ok: [0, 1] });
  const branch = ref.stdout.toString('utf8').trim();
  if (ref.code !== 0 || branch === '')
    throw new AnalyzeError(
      'GIT_DETACHED',
      `${top} is on no branch (detached HEAD): check out the branch the decisions are committed to`,
    );
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { ok: [0, 1] });
  if (head.code !== 0)
    throw gitFailed(`branch ${branch} of ${top} has no commit yet`, '', EXIT.BAD_INPUT);
  return { root: top, branch, head: head.stdout.toString('utf8').trim(), env, git };
}

/**
 * `--at T`: the newest commit on the branch's first-parent line with committer time ≤ `time` (unix
 * seconds), i.e. what the branch held at T. The first-parent line is the branch's own sequence of
 * states: a commit merged from elsewhere keeps its older date but reached the branch at the merge.
 */
export async function commitAt(
  repo: GitRepo,
  time: number,
): Promise<{ commit: string; time: number }> {
  const out = await repo.git([
    'log',
    '-n',
    '1',
    '--first-parent',
    `--min-age=${Math.floor(time)}`,
    '--format=%H %ct',
    repo.head,
  ]);
  const [commit, seconds] = out.stdout.toString('utf8').trim().split(' ');
  if (commit === undefined || commit === '' || seconds === undefined)
    throw new AnalyzeError(
      'USAGE_INVALID',
      `branch ${repo.branch} has no commit at or before ${new Date(time * 1000).toISOString()}`,
    );
  return { commit, time: Number(seconds) };
}

export interface Snapshot {
  /** A temporary folder holding the commit's tree (no `.git`). */
  readonly dir: string;
  readonly commit: string;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

/**
 * The repository as of `commit`, as a folder: read into a temporary index and checked out under a
 * temporary prefix, so neither the work tree, the repository's index nor its worktree list is
 * touched, and nothing is left behind in the repository if the process dies.
 */
export async function snapshot(repo: GitRepo, commit: string): Promise<Snapshot> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'aviary-snapshot-'));
  const dir = path.join(tmp, 'tree');
  const dispose = () => rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(dir);
    const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
    await repo.git(['read-tree', '--no-sparse-checkout', `${commit}^{tree}`], { env });
    await repo.git(['checkout-index', '--all', '--force', `--prefix=${dir}${path.sep}`], { env });
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dir, commit, dispose };
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function detail(stderr: string): string {
  const line = redact(stderr.trim()).split('\n').at(-1)?.slice(0, 300) ?? '';
  return line === '' ? '' : ` (${line})`;
}

/**
 * `file` (absolute, or relative to the process's folder) as a path inside the repository, `/`
 * separated, as git names it; USAGE_INVALID when it lies outside the work tree. Links are resolved
 * on both sides first.
 */
export async function repoPath(repo: GitRepo, file: string): Promise<string> {
  const root = await realpath(repo.root);
  const abs = await realpath(path.resolve(file)).catch(() => path.resolve(file));
  const rel = path.relative(root, abs);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
    throw new AnalyzeError('USAGE_INVALID', `${file} is not a file inside ${repo.root}`);
  return rel.split(path.sep).join('/');
}
