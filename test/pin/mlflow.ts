import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO } from '../helpers/paths.js';

/** MLflow phones home at start-up unless told not to; offline that costs tens of seconds. */
const QUIET = { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' };

export interface MlflowServer {
  url: string;
  stop(): void;
}

/**
 * A real `mlflow server` on loopback with a sqlite backend and one worker. `file`: a plain file
 * artifact root, no proxy, so versions are `file://` locations (as with a shared filesystem);
 * `proxied`: MLflow's default artifact proxy over a file destination, so versions are
 * `mlflow-artifacts:/…` and their files are served by the tracking server itself.
 */
export async function startMlflow(
  python: string,
  dir: string,
  artifacts: 'file' | 'proxied',
): Promise<MlflowServer> {
  const port = await freePort();
  const store =
    artifacts === 'file'
      ? ['--default-artifact-root', `file://${path.join(dir, 'artifacts')}`, '--no-serve-artifacts']
      : ['--artifacts-destination', `file://${path.join(dir, 'proxied')}`];
  const child = spawn(
    python,
    [
      '-m',
      'mlflow',
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--backend-store-uri',
      `sqlite:///${path.join(dir, `mlflow-${artifacts}.db`)}`,
      ...store,
      '--workers',
      '1',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...QUIET } },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  // The server forks uvicorn: stop the whole group it leads, and only that.
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return { url, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  stop();
  throw new Error(`mlflow server did not start:\n${log}`);
}

/** Registers two versions and moves the alias to the second (test/pin/peer/register.py). */
export function registerVersions(
  python: string,
  url: string,
  name: string,
  alias: string,
  v1: string,
  v2: string,
): Record<string, string> {
  const out = execFileSync(
    python,
    [path.join(REPO, 'test/pin/peer/register.py'), url, name, alias, v1, v2],
    { encoding: 'utf8', env: { ...process.env, ...QUIET }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const last = out.trim().split('\n').at(-1)!;
  return (JSON.parse(last) as { versions: Record<string, string> }).versions;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
