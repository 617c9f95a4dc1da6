import { statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { listPolicyFiles } from '@aviary/policies/engine';
import type { WebhookState } from './webhook-deps.js';
import { watchContent, type ContentWatcher } from './watch.js';

/**
 * Where the webhook's policies come from: files ({@link FilePolicySource}) or custom resources
 * with optional files (`ClusterPolicySource`). A source keeps `state.snapshot` current: a good
 * load swaps in a new immutable snapshot (requests in flight finish on the one they started
 * with); a bad one changes nothing and is logged, so the last good set keeps enforcing.
 */
export interface PolicySource {
  /** Makes the first load attempt (resolves when it finished), then follows changes until closed. */
  start(state: WebhookState, log: FastifyBaseLogger): Promise<void>;
  close(): void;
}

/** Policy files and Sigstore trusted roots, as `--policies` and `--trusted-root` name them. */
export interface PolicyFiles {
  /** A policy file, or a folder of `*.yaml`/`*.yml` files (a ConfigMap volume works). */
  policies?: string;
  /**
   * Sigstore trusted roots (`trusted_root.json`) by name, for keyless authorities that set
   * `trustedRoot: NAME`. The public-good root ships with the package as `public-good`; a file
   * named `public-good` replaces it (a key rotation or revocation).
   */
  trustedRoots?: Readonly<Record<string, string>>;
}

/**
 * Calls `onChange` whenever a policy file or trusted root changes: the same files the loader
 * reads (listed by the loader's own rule), watched in their folders and polled every `intervalMs`.
 */
export function watchPolicyFiles(
  files: PolicyFiles,
  options: { intervalMs: number; onChange: () => Promise<void>; log: FastifyBaseLogger },
): ContentWatcher {
  const roots = Object.values(files.trustedRoots ?? {});
  const target = files.policies;
  return watchContent({
    files: async () => [...(target === undefined ? [] : await listed(target)), ...roots],
    folders: [
      ...(target === undefined ? [] : [watchedFolder(target)]),
      ...roots.map((f) => path.dirname(f)),
    ],
    intervalMs: options.intervalMs,
    onChange: options.onChange,
    onError: (err) => options.log.error({ err }, 'policy file watch failed'),
  });
}

/** The policy files under a path; the path itself when unreadable, so its appearance is a change. */
async function listed(target: string): Promise<string[]> {
  return listPolicyFiles(target).then(
    (files) => files.filter((f) => !f.outside).map((f) => f.path),
    () => [target],
  );
}

/** The folder to watch for a policy path: itself when a folder, else its parent. */
function watchedFolder(target: string): string {
  try {
    return statSync(target).isDirectory() ? target : path.dirname(target);
  } catch {
    return path.dirname(target);
  }
}
