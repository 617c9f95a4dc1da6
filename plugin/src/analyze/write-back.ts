import { isDeepStrictEqual } from 'node:util';
import { EXIT } from '../io.js';
import { AnalyzeError } from './errors.js';
import {
  buildCommit,
  fetchUpstream,
  identityEnv,
  push,
  upstreamOf,
  type Upstream,
} from './git-commit.js';
import { readBlobs } from './git-blobs.js';
import type { GitRepo } from './git.js';
import { releaseDocs, releaseLabel, type ReleaseId } from './release-id.js';

export interface WriteBackRequest {
  /** The release file, relative to the repository root, `/`-separated. */
  file: string;
  release: ReleaseId;
  /**
   * The decision's edit (`setTraffic`, `promote`), applied to the file's text at the commit it is
   * built on, with the release's document index there: re-applied, not rebased, after other
   * changes land upstream, so a change to another document of the same file never conflicts.
   */
  edit: (text: string, docIndex: number) => string;
  /** The commit message (`commitMessage`). */
  message: string;
  /** The commit the decision was made on (default: the HEAD the repository was opened at). */
  base?: string;
  /** Other files the decision read, e.g. the ModelAnalysis: a change to one supersedes too. */
  inputs?: readonly string[];
  /** Push to the branch's upstream (default); false commits on the local branch only. */
  push?: boolean;
  /** Author and committer time of the commit, unix seconds (default: git's clock). */
  date?: number;
}

export type WriteBackResult =
  | {
      status: 'pushed' | 'committed';
      commit: string;
      /** Pushes tried (1 when nobody raced). */
      attempts: number;
      /** Set when the remote holds the commit but the local branch could not be moved to it. */
      warning?: string;
    }
  | {
      /** The release (or an input) changed after `base`: nothing was written; decide again. */
      status: 'superseded';
      code: 'ROLLOUT_SUPERSEDED';
      message: string;
      /** The commit holding the newer release. */
      upstream: string;
    };

const MAX_PUSHES = 3;

/**
 * Writes one decision as one commit and, by default, pushes it without force to the branch's
 * upstream. A rejected push is a race: the upstream is fetched, and if this release's document
 * (by meaning) or an input changed since `base`, a person or another analyzer changed it —
 * "humans win" — so the commit is dropped, the local branch fast-forwarded to the upstream, and
 * ROLLOUT_SUPERSEDED returned (not an error: the next pass decides again). If only other files or
 * other documents changed, the edit is re-applied on the upstream and pushed again, at most 3
 * pushes, then GIT_PUSH_REJECTED (exit 4). A remote that declines for another reason (a hook, a
 * protected branch) is GIT_PUSH_REJECTED at once. The file must have no uncommitted change
 * (GIT_WORK_TREE_DIRTY, exit 2).
 */
export async function writeBack(repo: GitRepo, req: WriteBackRequest): Promise<WriteBackResult> {
  const { git } = repo;
  const base = req.base ?? repo.head;
  const dirty = await git(['status', '--porcelain', '-z', '--', req.file]);
  if (dirty.stdout.length > 0)
    throw new AnalyzeError(
      'GIT_WORK_TREE_DIRTY',
      `${req.file} has uncommitted changes; commit or stash them, the analyzer does not write over them`,
    );
  const stamp = req.date === undefined ? undefined : `@${Math.floor(req.date)} +0000`;
  const identity = {
    ...(await identityEnv(git, repo.env)),
    ...(stamp === undefined ? {} : { GIT_AUTHOR_DATE: stamp, GIT_COMMITTER_DATE: stamp }),
  };
  const up: Upstream | undefined =
    req.push === false ? undefined : await upstreamOf(git, repo.branch);
  let tip = await revParse(repo, 'HEAD');
  for (let attempt = 1; ; attempt++) {
    if (tip !== base && (await superseded(repo, req, base, tip))) return supersede(repo, req, tip);
    const commit = await commitOn(repo, req, tip, identity);
    if (up === undefined) {
      await git(['merge', '--ff-only', '--quiet', commit]);
      return { status: 'committed', commit, attempts: 0 };
    }
    const pushed = await push(git, up, commit);
    if (pushed.outcome === 'pushed') {
      const moved = await git(['merge', '--ff-only', '--quiet', commit], { ok: [0, 1, 128] });
      return moved.code === 0
        ? { status: 'pushed', commit, attempts: attempt }
        : {
            status: 'pushed',
            commit,
            attempts: attempt,
            warning: `the local branch ${repo.branch} could not be fast-forwarded to ${commit}; git pull`,
          };
    }
    const reason = `${up.remote} ${up.ref.replace(/^refs\/heads\//, '')}: ${pushed.reason}`;
    if (pushed.outcome === 'refused') throw rejected(`the remote refused the push (${reason})`);
    const upstream = await fetchUpstream(git, up);
    if (upstream === tip)
      throw rejected(`the push was rejected, yet nothing new upstream (${reason})`);
    if (attempt >= MAX_PUSHES)
      throw rejected(`the remote moved on during each of ${MAX_PUSHES} pushes (${reason})`);
    tip = upstream;
  }
}

/** The edit applied to the file at `parent`, committed on it. */
async function commitOn(
  repo: GitRepo,
  req: WriteBackRequest,
  parent: string,
  identity: Record<string, string>,
): Promise<string> {
  const [text] = await readBlobs(repo.git, [{ commit: parent, path: req.file }]);
  const docs = text === undefined ? undefined : releaseDocs(text, req.file, req.release);
  if (text === undefined || docs?.length !== 1)
    throw new AnalyzeError(
      'ROLLOUT_EDIT_UNSUPPORTED',
      `${req.file} at ${parent.slice(0, 12)} does not hold the release ${releaseLabel(req.release)} once`,
    );
  const next = req.edit(text, docs[0]!.index);
  if (next === text)
    throw new AnalyzeError('ROLLOUT_EDIT_UNSUPPORTED', `the edit of ${req.file} changes nothing`);
  return buildCommit(repo.git, parent, req.file, next, req.message, identity);
}

/** Whether the release's document (by meaning) or an input differs between two commits. */
async function superseded(
  repo: GitRepo,
  req: WriteBackRequest,
  base: string,
  tip: string,
): Promise<boolean> {
  const [was, now] = await readBlobs(repo.git, [
    { commit: base, path: req.file },
    { commit: tip, path: req.file },
  ]);
  const doc = (text: string | undefined) => {
    const docs = text === undefined ? undefined : releaseDocs(text, req.file, req.release);
    return docs?.length === 1 ? docs[0]!.value : undefined;
  };
  const before = doc(was);
  if (before === undefined || !isDeepStrictEqual(before, doc(now))) return true;
  const inputs = req.inputs ?? [];
  if (inputs.length === 0) return false;
  const diff = await repo.git(['diff', '--quiet', base, tip, '--', ...inputs], { ok: [0, 1] });
  return diff.code === 1;
}

async function supersede(
  repo: GitRepo,
  req: WriteBackRequest,
  upstream: string,
): Promise<WriteBackResult> {
  // Best effort: the next pass should read what won; a local change in the way only delays that.
  await repo.git(['merge', '--ff-only', '--quiet', upstream], { ok: [0, 1, 128] });
  return {
    status: 'superseded',
    code: 'ROLLOUT_SUPERSEDED',
    message: `${releaseLabel(req.release)} in ${req.file} changed after ${(req.base ?? repo.head).slice(0, 12)} (now ${upstream.slice(0, 12)}); the decision was dropped and the next pass decides again`,
    upstream,
  };
}

async function revParse(repo: GitRepo, rev: string): Promise<string> {
  return (await repo.git(['rev-parse', '--verify', `${rev}^{commit}`])).stdout
    .toString('utf8')
    .trim();
}

function rejected(message: string): AnalyzeError {
  return new AnalyzeError('GIT_PUSH_REJECTED', message, { exit: EXIT.UNAVAILABLE });
}
