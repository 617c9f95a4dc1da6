import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from './paths.js';

/** One document as Argo CD reads it: its JSON, or the error where reading stopped. */
export type KubeDocument = { json: unknown } | { error: string };

let binary: string | undefined;

/**
 * Reads a YAML stream with the real Go reader of Argo CD (and kubectl): the k8syaml peer from
 * test/plugin/peer, built once per machine (first time: seconds to a minute with a warm module
 * cache) and cached under ~/.cache/aviary. Throws with the build log when that fails.
 */
export function kubernetesRead(text: string): KubeDocument[] {
  binary ??= build();
  const r = spawnSync(binary, [], { input: text, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`k8syaml failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as KubeDocument[];
}

function build(): string {
  const r = spawnSync('bash', [path.join(REPO, 'test/plugin/peer/build.sh')], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const bin = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || bin === '') {
    throw new Error(`test/plugin/peer/build.sh failed (exit ${r.status}):\n${r.stderr}`);
  }
  return bin;
}
