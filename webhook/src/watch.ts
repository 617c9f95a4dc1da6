import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * Calls `onChange` whenever the content of a set of files changes, however the change is made:
 * written in place, replaced by rename, or swapped in through a symlink the way Kubernetes updates
 * ConfigMap and Secret volumes (`..data` → a new timestamped folder).
 *
 * Two triggers, one check: `fs.watch` on each file's folder reacts at once (debounced, so a
 * burst of writes is one reload), and a poll every `intervalMs` catches what inotify misses
 * (symlink swaps, network filesystems, a folder created after start). The check compares a
 * SHA-256 over the files' names and contents, so an unchanged set never reloads and `onChange`
 * runs exactly once per distinct content. Checks never overlap.
 */
export interface WatchOptions {
  /** The files to fingerprint; re-listed on every check (a folder's members come and go). */
  files: () => Promise<string[]>;
  /** Folders to watch with fs.watch. */
  folders: readonly string[];
  /**
   * Gets the bytes the fingerprint was computed from (undefined: unreadable), so a caller that
   * needs several files to agree (a certificate and its key) sees one consistent state.
   */
  onChange: (contents: ReadonlyMap<string, Buffer | undefined>) => Promise<void>;
  intervalMs: number;
  debounceMs?: number;
  /** Fingerprint of the content already in use, so the first check does not reload it. */
  initial?: string;
  /** Called when a check itself fails (it should not: unreadable files are part of the fingerprint). */
  onError?: (err: unknown) => void;
}

export interface ContentWatcher {
  /** Runs a check now; resolves when it (and any reload it caused) finished. */
  check(): Promise<void>;
  close(): void;
}

export function watchContent(options: WatchOptions): ContentWatcher {
  const debounceMs = options.debounceMs ?? 100;
  let last: string | undefined = options.initial;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;

  const runOnce = async (): Promise<void> => {
    const { fingerprint, contents } = await readFiles(await options.files());
    if (closed || fingerprint === last) return;
    last = fingerprint;
    await options.onChange(contents);
  };
  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await runOnce();
        } while (again && !closed);
      } catch (err) {
        options.onError?.(err);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const trigger = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), debounceMs);
    debounce.unref();
  };

  const watchers: FSWatcher[] = [];
  for (const folder of new Set(options.folders)) {
    try {
      const w = watch(folder, { persistent: false }, trigger);
      w.on('error', () => undefined); // a removed folder: the poll still runs
      watchers.push(w);
    } catch {
      // Folder missing or not watchable: polling covers it.
    }
  }
  const poll = setInterval(() => void check(), options.intervalMs);
  poll.unref();

  return {
    check,
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      for (const w of watchers) w.close();
    },
  };
}

/** SHA-256 over each file's path and content; a missing or unreadable file counts as such. */
export async function fingerprintFiles(files: readonly string[]): Promise<string> {
  return (await readFiles(files)).fingerprint;
}

async function readFiles(
  files: readonly string[],
): Promise<{ fingerprint: string; contents: Map<string, Buffer | undefined> }> {
  const hash = createHash('sha256');
  const contents = new Map<string, Buffer | undefined>();
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      const bytes = await readFile(file);
      contents.set(file, bytes);
      hash.update(bytes);
    } catch (err) {
      contents.set(file, undefined);
      hash.update(`<unreadable:${(err as NodeJS.ErrnoException).code ?? 'error'}>`);
    }
    hash.update('\0');
  }
  return { fingerprint: hash.digest('hex'), contents };
}
