import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AnalyzeError } from './errors.js';
import { blobReader } from './git-blobs.js';
import type { Env } from './git-run.js';
import { commitAt, openRepo, snapshot, type Snapshot } from './git.js';
import { limiter } from './limit.js';
import type { PassGit } from './pass.js';
import type { FoundRelease } from './releases.js';
import { stepStart } from './step-start.js';
import { writeBack } from './write-back.js';

export interface PassRepo extends PassGit {
  /** The tree the pass reads: the work tree, or a snapshot of a past commit. */
  root: string;
  /** The analysed folder inside `root`. */
  dir: string;
  /** The commit decided on. */
  commit: string;
  /** True when `--at` chose a commit older than HEAD: a replay, which never writes. */
  replay: boolean;
  dispose(): Promise<void>;
}

/** History walks (one `git log` each) in flight at once. */
const WALKS = 32;

/**
 * The Git side of one pass over `dir`. Without `at` the pass reads the work tree at HEAD; with
 * `at`, the branch as it was then: when that is HEAD, the pass runs as usual with `at` as its
 * clock (and dates its commits by it); when it is an older commit, the tree is read from a
 * snapshot and nothing is written.
 */
export async function openPassGit(
  dir: string,
  options: { env: Env; at: number | undefined; push: boolean },
): Promise<PassRepo> {
  const repo = await openRepo(dir, { env: options.env });
  const inside = path.relative(repo.root, await realpath(dir));
  let commit = repo.head;
  let snap: Snapshot | undefined;
  if (options.at !== undefined) commit = (await commitAt(repo, options.at)).commit;
  if (commit !== repo.head) snap = await snapshot(repo, commit);
  const root = snap?.dir ?? repo.root;
  // Every release's history is walked at once, so their blob reads coalesce (blobReader); the
  // bound keeps the git processes of a pass over thousands of releases to a few dozen.
  const read = blobReader(repo.git);
  const walk = limiter(WALKS);
  const id = (found: FoundRelease) => ({
    name: found.release.metadata.name,
    ...(found.release.metadata.namespace !== undefined
      ? { namespace: found.release.metadata.namespace }
      : {}),
  });
  return {
    root,
    dir: path.join(root, inside),
    commit,
    replay: snap !== undefined,
    async stepStart(found) {
      const start = await walk(() => stepStart(repo, commit, found.file, id(found), { read }));
      if (start === undefined)
        throw new AnalyzeError(
          'GIT_FAILED',
          `the history of ${found.file} at ${commit.slice(0, 12)} shows no canary for ${found.release.metadata.name}; is the file committed?`,
          { exit: 4 },
        );
      return start;
    },
    async write(found, edit, message, date, inputs) {
      const result = await writeBack(repo, {
        file: found.file,
        release: id(found),
        edit,
        message,
        base: commit,
        inputs,
        push: options.push,
        date,
      });
      return result.status;
    },
    dispose: async () => snap?.dispose(),
  };
}
