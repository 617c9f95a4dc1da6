import { parseYamlStream } from '@aviary/policies';
import { readBlobs } from './git-blobs.js';
import type { GitRepo } from './git.js';
import type { ReleaseId } from './release-id.js';

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
 * Undefined when the release has no canary at `commit`. `file` is relative to the repository root.
 *
 * - First-parent: a change reaches the branch, and Argo CD, when it lands on it (a merge, a
 *   rebase), so that commit's committer time is when the step started serving.
 * - Renames are followed (`git log --follow`): moving the file does not restart the step. A move
 *   git does not recognise as a rename counts as the creation of the release in the new path.
 * - A version of the file that does not read cleanly, or holds the release twice, ends the run:
 *   Argo CD could not have applied it, so the step (re)started after it.
 * - The walk reads at most `maxCommits` versions; when the run is longer, the oldest version read
 *   is taken as the start: later than the truth, so a step is never judged on more time than it had.
 * - Versions read are remembered per repository object (each as the small keys of its releases),
 *   so the releases of one file share one walk.
 */
export async function stepStart(
  repo: GitRepo,
  commit: string,
  file: string,
  release: ReleaseId,
  options: StepStartOptions = {},
): Promise<number | undefined> {
  const id = identity(release);
  const read = options.read ?? ((specs) => readBlobs(repo.git, specs));
  const [current] = await versionKeys(repo, [{ commit, path: file }], read);
  const key = current?.get(id);
  if (key === undefined || key === NO_CANARY || key === TWICE) return undefined;
  const history = await remembered(repo, commit, file, options.maxCommits ?? 1000);
  let start: number | undefined;
  for (let i = 0; i < history.length; i += CHUNK) {
    const chunk = history.slice(i, i + CHUNK);
    const keys = await versionKeys(repo, chunk, read);
    for (const [j, version] of chunk.entries()) {
      if (keys[j]?.get(id) !== key) return start ?? version.time;
      start = version.time;
    }
  }
  return start;
}

const NO_CANARY = 'none';
const TWICE = 'twice';

/** Per version (`commit:path`): each release's canary key; undefined when it does not read cleanly. */
type Keys = ReadonlyMap<string, string> | undefined;
/** Promises, not values: concurrent walks of one file wait for one read and one parse per version. */
const cache = new WeakMap<GitRepo, Map<string, Promise<Keys>>>();

function versionKeys(
  repo: GitRepo,
  versions: readonly { commit: string; path: string }[],
  read: NonNullable<StepStartOptions['read']>,
): Promise<Keys[]> {
  let known = cache.get(repo);
  if (known === undefined) cache.set(repo, (known = new Map<string, Promise<Keys>>()));
  const name = (v: { commit: string; path: string }) => `${v.commit}:${v.path}`;
  const missing = versions.filter((v) => !known.has(name(v)));
  if (missing.length > 0) {
    const texts = read(missing);
    texts.catch(() => missing.forEach((v) => known.delete(name(v))));
    missing.forEach((v, i) =>
      known.set(
        name(v),
        texts.then((t) => keysOf(t[i], v.path)),
      ),
    );
  }
  return Promise.all(versions.map((v) => known.get(name(v))!));
}

/** What restarts a step, for every release of one version: the canary's uri, digest and traffic. */
function keysOf(text: string | undefined, file: string): Keys {
  if (text === undefined) return new Map();
  const parsed = parseYamlStream(text, file);
  if (parsed.diagnostics.length > 0) return undefined;
  const keys = new Map<string, string>();
  for (const doc of parsed.documents) {
    const value = doc.value as Record<string, unknown> | null;
    const meta = value?.['metadata'] as Record<string, unknown> | undefined;
    if (value?.['kind'] !== 'ModelRelease' || typeof meta?.['name'] !== 'string') continue;
    const id = identity({ name: meta['name'], namespace: meta['namespace'] as string | undefined });
    const canary = (value['spec'] as Record<string, unknown> | undefined)?.['canary'] as
      Record<string, unknown> | undefined;
    const key =
      canary === undefined || canary === null
        ? NO_CANARY
        : JSON.stringify([canary['uri'], canary['digest'], canary['traffic']]);
    keys.set(id, keys.has(id) ? TWICE : key);
  }
  return keys;
}

function identity(id: ReleaseId): string {
  return JSON.stringify([id.name, id.namespace ?? null]);
}

interface Version {
  commit: string;
  time: number;
  /** The file's path at that commit (renames followed). */
  path: string;
}

const histories = new WeakMap<GitRepo, Map<string, Promise<Version[]>>>();

function remembered(repo: GitRepo, commit: string, file: string, max: number) {
  let known = histories.get(repo);
  if (known === undefined) histories.set(repo, (known = new Map<string, Promise<Version[]>>()));
  const name = `${commit}\0${file}\0${max}`;
  let history = known.get(name);
  if (history === undefined) {
    history = fileHistory(repo, commit, file, max);
    known.set(name, history);
    history.catch(() => known.delete(name));
  }
  return history;
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
