import { YAML_LIMITS } from '@aviary/policies';
import { gitFailed, type Git } from './git-run.js';

/**
 * Reads `<commit>:<path>` blobs in one `git cat-file --batch` call: a history walk reads one
 * version of a file per commit, and a process per version would dominate a pass. Each answer is
 * the blob's text, or undefined when the path is missing at that commit, is not a file, or is
 * larger than a YAML file may be (the reader would refuse it anyway).
 */
export async function readBlobs(
  git: Git,
  specs: readonly { commit: string; path: string }[],
): Promise<(string | undefined)[]> {
  if (specs.length === 0) return [];
  checkSpecs(specs);
  // Sizes first, so a huge blob in history is skipped rather than read.
  const check = await git(['cat-file', '--batch-check'], { input: lines(specs) });
  const sizes = check.stdout
    .toString('utf8')
    .split('\n')
    .slice(0, specs.length)
    .map((header) => {
      const m = /^[0-9a-f]+ blob (\d+)$/.exec(header);
      return m === null ? undefined : Number(m[1]);
    });
  if (sizes.length !== specs.length)
    throw gitFailed('git cat-file --batch-check answered less than asked', '');
  const wanted = specs
    .map((_, i) => i)
    .filter((i) => sizes[i] !== undefined && sizes[i] <= YAML_LIMITS.maxBytes);
  const texts = new Map<number, string>();
  if (wanted.length > 0) {
    const out = (
      await git(['cat-file', '--batch'], {
        input: lines(wanted.map((i) => specs[i]!)),
        maxBytes: wanted.length * (YAML_LIMITS.maxBytes + 200),
      })
    ).stdout;
    let at = 0;
    for (const i of wanted) {
      const nl = out.indexOf(0x0a, at);
      const m = nl === -1 ? null : /^[0-9a-f]+ blob (\d+)$/.exec(out.subarray(at, nl).toString());
      if (m === null) throw gitFailed('git cat-file --batch answered something unexpected', '');
      const size = Number(m[1]);
      texts.set(i, out.subarray(nl + 1, nl + 1 + size).toString('utf8'));
      at = nl + 1 + size + 1;
    }
  }
  return specs.map((_, i) => texts.get(i));
}

/**
 * `readBlobs` for many concurrent callers, coalesced: requests made while a read is running wait
 * and go together in the next one. A pass walks the history of every release at once; one
 * `git cat-file` pair per release and per chunk would spawn about a thousand processes for two
 * hundred releases, and spawning git, not reading, is what such a pass spends its time on.
 */
export function blobReader(
  git: Git,
): (specs: readonly BlobSpec[]) => Promise<(string | undefined)[]> {
  let waiting: { specs: readonly BlobSpec[]; done: (r: (string | undefined)[] | Error) => void }[] =
    [];
  let running = false;
  const drain = async () => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const texts = await readBlobs(
          git,
          batch.flatMap((b) => b.specs),
        );
        let at = 0;
        for (const b of batch) b.done(texts.slice(at, (at += b.specs.length)));
      } catch (err) {
        // A git failure is the whole batch's: every caller gets it.
        for (const b of batch) b.done(err instanceof Error ? err : new Error(String(err)));
      }
    }
    running = false;
  };
  return (specs) =>
    new Promise((resolve, reject) => {
      // A bad request fails its caller only, never the batch it would have joined.
      checkSpecs(specs);
      waiting.push({ specs, done: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      if (running) return;
      running = true;
      // Let the callers of this turn of the event loop join the first read.
      setImmediate(() => void drain());
    });
}

type BlobSpec = { commit: string; path: string };

function checkSpecs(specs: readonly BlobSpec[]): void {
  for (const s of specs)
    if (!/^[0-9a-f]{40,64}$/.test(s.commit) || /[\n\r]/.test(s.path))
      throw gitFailed(`cannot read ${JSON.stringify(s.path)} at ${s.commit}`, '');
}

function lines(specs: readonly { commit: string; path: string }[]): string {
  return specs.map((s) => `${s.commit}:${s.path}\n`).join('');
}
