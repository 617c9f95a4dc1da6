import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.js';

/** What an image's final stage runs: `node`, its flags, the script and the script's arguments. */
export interface NodeEntrypoint {
  flags: string[];
  script: string;
  args: string[];
}

/**
 * The exec-form ENTRYPOINT of a Dockerfile's last stage, which must start `node`, so tests and
 * benches can run the built script exactly as the image does (same node flags).
 */
export function nodeEntrypoint(dockerfile: string): NodeEntrypoint {
  const text = readFileSync(path.join(REPO, dockerfile), 'utf8');
  const last = text.split(/^FROM /m).at(-1)!;
  const m = /^ENTRYPOINT (\[.*\])$/m.exec(last);
  if (!m) throw new Error(`${dockerfile}: no exec-form ENTRYPOINT in the last stage`);
  const argv = JSON.parse(m[1]!) as string[];
  if (argv[0] !== 'node') throw new Error(`${dockerfile}: the ENTRYPOINT does not start node`);
  const at = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  if (at < 0) throw new Error(`${dockerfile}: the ENTRYPOINT names no script`);
  return { flags: argv.slice(1, at), script: argv[at]!, args: argv.slice(at + 1) };
}
