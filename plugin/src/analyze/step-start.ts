import { readBlobs } from './git-blobs.js';
import type { GitRepo } from './git.js';
import { releaseDocs, type ReleaseId } from './release-id.js';

export interface StepStartOptions {
  /** Commits of the file's history read at most (default 1000). */
  maxCommits?: number;
  /** Reads blobs; default one `readBlobs` call each, a pass shares a {@link blobReader}. */
  read?: (specs: readonly { commit: string; path: string }[]) => Promise<(string | undefined)[]>;
}

const CHUNK = 16;

/**
 * T0 of the running step: the committer time (unix seconds) of the newest commit, on the
 * first-parent line ending at `commit`, from which this release's `canary.uri`, `canary.digest` and
 * `canary.traffic` have been what they are at `commit`: the commit that set them, or that created
 * the release. Commits that touch the file without changing those three do not restart the step.
 * Undefined when the release has no canary at `commit`.
 *
 * - First-parent: a change reaches the branch, and Argo CD, when it lands on it (a merge, a
 *   rebase), so that commit's committer time is when the step started serving.
 * - Renames are followed (`git log --follow`): moving the file does not restart the step. A move
 *   git does not recognise as a rename counts as the creation of the release in the new path.
 * - A version of the file that does not read cleanly, or holds the release twice, ends the run:
 *   Argo CD could not have applied it, so the step (re)started after it.
 * - The walk reads at most `maxCommits` versions; when the run is longer, the oldest version read
 *   is taken as the start: later than the truth, so a step is never judged on more time than it had.
 */
export async function stepStart(
  repo: GitRepo,
  commit: string,
  file: string,
  release: ReleaseId,
  options: StepStartOptions = {},
): Promise<number | undefined> {
  const read = options.read ?? ((specs) => readBlobs(repo.git, specs));
  const [now] = await read([{ commit, path: file }]);
  const current = now === undefined ? undefined : canaryKey(now, file, release);
  if (current === undefined || current === NO_CANARY) return undefined;
  const history = await fileHistory(repo, commit, file, options.maxCommits ?? 1000);
  let start: number | undefined;
  for (let i = 0; i < history.length; i += CHUNK) {
    const chunk = history.slice(i, i + CHUNK);
    const texts = await read(chunk);
    for (const [j, version] of chunk.entries()) {
      const text = texts[j];
      if (text === undefined || canaryKey(text, version.path, release) !== current)
        return start ?? version.time;
      start = version.time;
    }
  }
  return start;
}

const NO_CANARY = 'none';

/** What restarts a step: the canary's uri, digest and traffic; undefined when not one release. */
function canaryKey(text: string, file: string, release: ReleaseId): string | undefined {
  const docs = releaseDocs(text, file, release);
  if (docs === undefined || docs.length !== 1) return undefined;
  const spec = docs[0]!.value['spec'] as Record<string, unknown> | undefined;
  const canary = spec?.['canary'] as Record<string, unknown> | undefined;
  if (canary === undefined || canary === null) return NO_CANARY;
  return JSON.stringify([canary['uri'], canary['digest'], canary['traffic']]);
}

interface Version {
  commit: string;
  time: number;
  /** The file's path at that commit (renames followed). */
  path: string;
}

/** The commits that changed `file`, newest first, with its path in each. */
async function fileHistory(
  repo: GitRepo,
  commit: string,
  file: string,
  max: number,
): Promise<Version[]> {
  const out = await repo.git(
    [
      'log',
      '--first-parent',
      '--follow',
      '-z',
      '--name-only',
      '--format=%x01%H %ct',
      '-n',
      String(max),
      commit,
      '--',
      file,
    ],
    { maxBytes: max * 4200 },
  );
  const versions: Version[] = [];
  let path = file;
  for (const record of out.stdout.toString('utf8').split('\x01').slice(1)) {
    const [header = '', names = ''] = record.split('\0');
    const [sha = '', seconds = ''] = header.split(' ');
    const named = names.replace(/^\n/, '');
    if (named !== '') path = named;
    versions.push({ commit: sha, time: Number(seconds), path });
  }
  return versions;
}
