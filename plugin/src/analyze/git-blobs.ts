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
  for (const s of specs)
    if (!/^[0-9a-f]{40,64}$/.test(s.commit) || /[\n\r]/.test(s.path))
      throw gitFailed(`cannot read ${JSON.stringify(s.path)} at ${s.commit}`, '');
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

function lines(specs: readonly { commit: string; path: string }[]): string {
  return specs.map((s) => `${s.commit}:${s.path}\n`).join('');
}
