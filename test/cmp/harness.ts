// The plugin inside real Argo CD: starts Argo CD's own argocd-cmp-server (built from the Argo CD Go
// module by test/cmp/peer/build.sh) on a unix socket with a given plugin.yaml, and drives it with
// cmpclient, which calls the server through Argo CD's util/cmp.SendRepoStream exactly as the
// repo-server does. Used by the contract suite and by `npm run bench:cmp`.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { AVIARY_BIN, REPO } from '../helpers/paths.js';

export const PEER_DIR = path.join(REPO, 'test/cmp/peer');
export const PLUGIN_DIR = path.join(REPO, 'deploy/plugin');
/**
 * The plugin image's WORKDIR (plugin/Dockerfile), which mirrors the repository: plugin.yaml's
 * `/opt/aviary/plugin/dist/snapshot/aviary.{blob,cjs}` are what `npm run build` writes under
 * REPO for the node running the tests. The harness maps one onto the other.
 */
export const IMAGE_ROOT = '/opt/aviary';

/** deploy/plugin/plugin.yaml with commands that start aviary without its start-up snapshot. */
export function pluginYamlWithoutSnapshot(): string {
  const plugin = readYaml(path.join(PLUGIN_DIR, 'plugin.yaml'));
  for (const call of [plugin['spec'].generate, plugin['spec'].parameters.dynamic] as Obj[]) {
    const command = call['command'] as string[];
    const at = command.indexOf('--snapshot-blob');
    if (at < 0) throw new Error(`no --snapshot-blob in plugin.yaml's ${command.join(' ')}`);
    command.splice(at, 2);
  }
  return stringify(plugin);
}

export interface Peer {
  /** The Argo CD multicall binary; run as argocd-cmp-server with ARGOCD_BINARY_NAME. */
  argocd: string;
  cmpclient: string;
  /** The Argo CD version the binary was built from (test/cmp/peer/go.mod). */
  version: string;
}

/**
 * Builds (first time: minutes) or locates (cached: ~0.05 s) the peer binaries through
 * test/cmp/peer/build.sh. Throws with the build log when that fails.
 */
export function peer(): Peer {
  const r = spawnSync('bash', [path.join(PEER_DIR, 'build.sh')], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const dir = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || dir === '') {
    throw new Error(`test/cmp/peer/build.sh failed (exit ${r.status}):\n${r.stderr}`);
  }
  return {
    argocd: path.join(dir, 'argocd'),
    cmpclient: path.join(dir, 'cmpclient'),
    version: argoVersion(),
  };
}

/** The Argo CD version required by the peer module, e.g. v3.2.11. */
export function argoVersion(): string {
  const m = /^\s*github\.com\/argoproj\/argo-cd\/v3 (v\S+)/m.exec(
    readFileSync(path.join(PEER_DIR, 'go.mod'), 'utf8'),
  );
  if (!m?.[1])
    throw new Error('cannot find github.com/argoproj/argo-cd/v3 in test/cmp/peer/go.mod');
  return m[1];
}

/** The Argo CD module source in the Go module cache (present once build.sh has run). */
export function argoModuleDir(): string {
  const r = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go env GOMODCACHE failed: ${r.stderr}`);
  const dir = path.join(r.stdout.trim(), `github.com/argoproj/argo-cd/v3@${argoVersion()}`);
  if (!existsSync(dir)) {
    const d = spawnSync('go', ['mod', 'download', 'github.com/argoproj/argo-cd/v3'], {
      cwd: PEER_DIR,
      encoding: 'utf8',
    });
    if (d.status !== 0) throw new Error(`go mod download failed: ${d.stderr}`);
  }
  return dir;
}

type Obj = Record<string, any>;

export function readYaml(file: string): Obj {
  return parse(readFileSync(file, 'utf8')) as Obj;
}

/** The aviary container of deploy/plugin/repo-server-sidecar.yaml. */
export function sidecarContainer(): Obj {
  const patch = readYaml(path.join(PLUGIN_DIR, 'repo-server-sidecar.yaml'));
  const c = (patch['spec']?.template?.spec?.containers as Obj[] | undefined)?.find(
    (x) => x['name'] === 'aviary',
  );
  if (!c) throw new Error('no aviary container in deploy/plugin/repo-server-sidecar.yaml');
  return c;
}

/** The --plugin-tar-exclude globs the sidecar patch configures on the repo-server. */
export function tarExclusions(): string[] {
  const patch = readYaml(path.join(PLUGIN_DIR, 'repo-server-sidecar.yaml'));
  const repoServer = (patch['spec']?.template?.spec?.containers as Obj[]).find(
    (x) => x['name'] === 'argocd-repo-server',
  );
  const v = (repoServer?.['env'] as Obj[] | undefined)?.find(
    (e) => e['name'] === 'ARGOCD_REPO_SERVER_PLUGIN_TAR_EXCLUSIONS',
  )?.['value'] as string | undefined;
  return v ? v.split(';').filter((g) => g !== '') : [];
}

/** One parameter of an Application's spec.source.plugin.parameters. */
export interface PluginParameter {
  name: string;
  string?: string;
  array?: string[];
  map?: Record<string, string>;
}

const escaped = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/**
 * ARGOCD_APP_PARAMETERS and PARAM_* exactly as the repo-server derives them from
 * spec.source.plugin.parameters (argocd-cmp.md §2.3): Go's json.Marshal of a map, so keys sorted
 * (array/map, name, string), list in spec order; `null` for a plugin section without parameters.
 */
export function parameterEnv(params: PluginParameter[] | null): Record<string, string> {
  if (params === null) return { ARGOCD_APP_PARAMETERS: 'null' };
  const env: Record<string, string> = {};
  const json = params.map((p) => {
    const o: Record<string, unknown> = {};
    if (p.array) o['array'] = p.array;
    if (p.map) o['map'] = p.map;
    o['name'] = p.name;
    if (p.string !== undefined) o['string'] = p.string;
    return o;
  });
  env['ARGOCD_APP_PARAMETERS'] = JSON.stringify(json);
  for (const p of params) {
    if (p.string !== undefined) env[`PARAM_${escaped(p.name)}`] = p.string;
    p.array?.forEach((v, i) => (env[`PARAM_${escaped(p.name)}_${i}`] = v));
    for (const [k, v] of Object.entries(p.map ?? {}))
      env[`PARAM_${escaped(p.name)}_${escaped(k)}`] = v;
  }
  return env;
}

export const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

export interface AppSpec {
  /** The Application's spec.source.path, relative to the repository root. */
  path: string;
  /** spec.destination.namespace. */
  namespace?: string;
  /** spec.source.plugin.env, as NAME → value (sent as ARGOCD_ENV_<NAME>). */
  env?: Record<string, string>;
  /** spec.source.plugin.parameters; null: a plugin section without parameters. */
  parameters?: PluginParameter[] | null;
}

/**
 * The request env the repo-server sends with GenerateManifest (and the MatchRepository before it)
 * for an Application with a plugin section (argocd-cmp.md §2.1, first row of §2.2).
 */
export function generateEnv(app: AppSpec): Record<string, string> {
  const env: Record<string, string> = {
    ARGOCD_APP_NAME: path.basename(app.path),
    ARGOCD_APP_NAMESPACE: app.namespace ?? '',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: REVISION,
    ARGOCD_APP_REVISION_SHORT: REVISION.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: REVISION.slice(0, 8),
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/ml/releases.git',
    ARGOCD_APP_SOURCE_PATH: app.path,
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'HEAD',
    KUBE_VERSION: '1.34.0',
    KUBE_API_VERSIONS:
      'apps/v1,apps/v1/Deployment,serving.kserve.io/v1beta1,serving.kserve.io/v1beta1/InferenceService,v1,v1/ConfigMap,v1/ServiceAccount',
  };
  for (const [k, v] of Object.entries(app.env ?? {})) env[`ARGOCD_ENV_${k}`] = v;
  return { ...env, ...parameterEnv(app.parameters === undefined ? null : app.parameters) };
}

/** The reduced env of GetParametersAnnouncement (§2.2: no namespace, revision or KUBE_*). */
export function parametersEnv(app: AppSpec): Record<string, string> {
  const env: Record<string, string> = {
    ARGOCD_APP_NAME: path.basename(app.path),
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/ml/releases.git',
    ARGOCD_APP_SOURCE_PATH: app.path,
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'HEAD',
  };
  for (const [k, v] of Object.entries(app.env ?? {})) env[`ARGOCD_ENV_${k}`] = v;
  return { ...env, ...parameterEnv(app.parameters === undefined ? null : app.parameters) };
}

/** A JSON log line of the cmp-server (logrus, JSON format). */
export type LogLine = Record<string, string>;

export interface CallResult {
  /** cmpclient's exit status: 0 ok, 1 RPC error (body.error), 2 usage. */
  status: number;
  body: Obj;
  stderr: string;
}

export interface CallOptions {
  repoRoot?: string;
  appPath?: string;
  env?: Record<string, string>;
  /** RPC deadline, Go duration syntax (default 60s, the repo-server's default). */
  timeout?: string;
  exclude?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ServerOptions {
  /** plugin.yaml text; default: deploy/plugin/plugin.yaml. */
  pluginYaml?: string;
  /** Log level (info logs one "finished call" line per RPC). */
  logLevel?: string;
}

/**
 * A running argocd-cmp-server. Its sidecar env mirrors the aviary container of
 * deploy/plugin/repo-server-sidecar.yaml, with /tmp mapped to a private temp folder. plugin.yaml's
 * image paths (IMAGE_ROOT) are mapped to the repository, and PATH holds a temp bin folder whose
 * `node` execs the test's node (as the image's /usr/local/bin/node).
 */
export class CmpServer {
  readonly dir: string;
  readonly socketDir: string;
  readonly workDir: string;
  readonly stateDir: string;
  socket = '';
  readonly logs: LogLine[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private rawStderr = '';

  constructor(
    readonly peer: Peer,
    private readonly options: ServerOptions = {},
  ) {
    // Unix socket paths are limited to ~107 bytes: keep the folder short whatever TMPDIR is.
    const base = tmpdir().length <= 40 ? tmpdir() : '/tmp';
    this.dir = mkdtempSync(path.join(base, 'avcmp-'));
    this.socketDir = path.join(this.dir, 's');
    this.workDir = path.join(this.dir, 'w');
    this.stateDir = path.join(this.dir, 'state');
  }

  /** Starts the server and waits for its socket (name from plugin.yaml: <name>-<version>.sock). */
  async start(): Promise<this> {
    const cfg = path.join(this.dir, 'cfg');
    const bin = path.join(this.dir, 'bin');
    const tmp = path.join(this.dir, 'tmp');
    for (const d of [cfg, bin, tmp, this.socketDir, this.workDir, this.stateDir])
      mkdirSync(d, { recursive: true });
    const pluginYaml =
      this.options.pluginYaml ?? readFileSync(path.join(PLUGIN_DIR, 'plugin.yaml'), 'utf8');
    writeFileSync(
      path.join(cfg, 'plugin.yaml'),
      pluginYaml.replaceAll(`${IMAGE_ROOT}/`, `${REPO}/`),
    );
    const plugin = parse(pluginYaml) as Obj;
    const name = String(plugin['metadata']?.name);
    const version = plugin['spec']?.version as string | undefined;
    this.socket = path.join(this.socketDir, `${version ? `${name}-${version}` : name}.sock`);
    writeFileSync(path.join(bin, 'node'), nodeWrapper(this.stateDir), { mode: 0o755 });
    writeFileSync(path.join(this.stateDir, 'stall.cjs'), STALL_PRELOAD);
    chmodSync(path.join(bin, 'node'), 0o755);

    // The sidecar's env as deployed (HOME, ...), its /tmp made private here.
    const sidecarEnv: Record<string, string> = {};
    for (const e of (sidecarContainer()['env'] as Obj[] | undefined) ?? []) {
      sidecarEnv[e['name']] = String(e['value'] ?? '').replace(/^\/tmp(?=\/|$)/, tmp);
    }
    const env: Record<string, string> = {
      PATH: [bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      TMPDIR: tmp,
      ...sidecarEnv,
      ARGOCD_BINARY_NAME: 'argocd-cmp-server',
      ARGOCD_PLUGINSOCKFILEPATH: this.socketDir,
      ARGOCD_CMP_WORKDIR: this.workDir,
      ARGOCD_CMP_SERVER_LOGLEVEL: this.options.logLevel ?? 'info',
      ARGOCD_CMP_SERVER_LOGFORMAT: 'json',
    };
    // Through `env -i`: a test runner's spawn hooks (tap adds NODE_OPTIONS for coverage) must not
    // reach the sidecar env, which every plugin command inherits.
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const child = spawn(
      '/usr/bin/env',
      ['-i', ...envArgs, this.peer.argocd, '--config-dir-path', cfg],
      {
        cwd: this.dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.child = child;
    // Never leave a server behind, even when the test process ends without running its teardown.
    const killAtExit = () => child.kill('SIGKILL');
    process.once('exit', killAtExit);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        process.off('exit', killAtExit);
        resolve(code);
      }),
    );
    let partial = '';
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      this.rawStderr += text;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        try {
          this.logs.push(JSON.parse(l) as LogLine);
        } catch {
          this.logs.push({ msg: l, level: 'raw' });
        }
      }
    });
    const deadline = Date.now() + 15_000;
    let exitCode: number | null | undefined;
    void this.exited.then((c) => (exitCode = c));
    while (Date.now() < deadline) {
      if (exitCode !== undefined)
        throw new Error(`argocd-cmp-server exited with ${exitCode}:\n${this.rawStderr}`);
      if (this.logs.some((l) => String(l['msg']).includes(`serving on ${this.socket}`)))
        return this;
      await sleep(20);
    }
    throw new Error(
      `argocd-cmp-server did not listen on ${this.socket} in 15 s:\n${this.rawStderr}`,
    );
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the server process runs. */
  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** One RPC through cmpclient (the repo-server's own client code). */
  call(
    op: 'check' | 'match' | 'parameters' | 'generate',
    o: CallOptions = {},
  ): Promise<CallResult> {
    const args = ['-socket', this.socket];
    if (o.repoRoot) args.push('-repo-root', o.repoRoot);
    if (o.appPath) args.push('-app-path', o.appPath);
    if (o.timeout) args.push('-timeout', o.timeout);
    for (const [k, v] of Object.entries(o.env ?? {})) args.push('-env', `${k}=${v}`);
    for (const g of o.exclude ?? []) args.push('-exclude', g);
    args.push(op);
    return new Promise((resolve) => {
      execFile(
        this.peer.cmpclient,
        args,
        { maxBuffer: 256 << 20, env: { PATH: process.env['PATH'] ?? '' } },
        (err, stdout, stderr) => {
          const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          let body: Obj;
          try {
            body = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Obj;
          } catch {
            body = { unparsable: stdout };
          }
          resolve({ status, body, stderr });
        },
      );
    });
  }

  /** The "finished call" log lines, optionally of one method, from index `since`. */
  finished(method?: string, since = 0): LogLine[] {
    return this.logs
      .slice(since)
      .filter(
        (l) =>
          l['msg'] === 'finished call' && (method === undefined || l['grpc.method'] === method),
      );
  }

  /** Waits until `count` "finished call" lines of `method` appeared after `since`. */
  async waitFinished(
    method: string,
    since: number,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.finished(method, since);
      if (got.length >= count || Date.now() > deadline) return got;
      await sleep(20);
    }
  }

  /** Everything the server logged, for assertion diagnostics. */
  logText(since = 0): string {
    return this.logs
      .slice(since)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  /**
   * SIGTERM, then SIGKILL, then remove the temp folder. On SIGTERM argocd-cmp-server v3.2.11 only
   * removes its socket file (cmpserver/server.go Shutdown) and keeps serving: it never exits by
   * itself, so the kubelet kills it after terminationGracePeriodSeconds.
   */
  async stop(): Promise<void> {
    if (this.child && this.running) {
      this.child.kill('SIGTERM');
      const deadline = Date.now() + 2000;
      while (existsSync(this.socket) && Date.now() < deadline) await sleep(10);
      if (this.running) this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The `node` on the sidecar's PATH (plugin.yaml's commands start with it): execs the test's node,
 * the one `npm run build` wrote the blob for. Two test-only switches, read from the request env
 * (spec.source.plugin.env), make a deadline observable:
 *  - ARGOCD_ENV_CMP_TEST_STALL=1: aviary starts normally (its SIGTERM handler installed), then its
 *    listing of the app folder is held for 10 minutes by a preloaded module, i.e. a generate
 *    that never ends. A process started from a snapshot runs no preload, so this one starts
 *    without it (`--snapshot-blob FILE` dropped).
 *  - ARGOCD_ENV_CMP_TEST_SHIELD=1: run node as a child of this shell instead of exec'ing it, so the
 *    cmp-server's SIGKILL of the direct child hits the shell and aviary only gets the process-group
 *    SIGTERM (how aviary behaves under a shell wrapper).
 * The pid of the node process is written to <state>/aviary.pid.
 */
function nodeWrapper(stateDir: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
node=${q(process.execPath)}
state=${q(stateDir)}
if [ -z "\${ARGOCD_ENV_CMP_TEST_STALL:-}" ]; then
  exec "$node" "$@"
fi
if [ "$1" = --snapshot-blob ]; then
  shift 2
fi
if [ -z "\${ARGOCD_ENV_CMP_TEST_SHIELD:-}" ]; then
  echo $$ > "$state/aviary.pid"
  exec "$node" --require "$state/stall.cjs" "$@"
fi
"$node" --require "$state/stall.cjs" "$@" &
echo $! > "$state/aviary.pid"
wait $!
exit $?
`;
}

// Preloaded into aviary: the app folder's directory listing never completes, i.e. a generate
// stuck on I/O, with the event loop free so a SIGTERM handler can run. (Holding a module load in
// a module-hooks thread instead blocks the main thread on Node 22+ and hides the handler.)
// CommonJS, so node loads aviary.cjs as it does without the preload: an --import preload would
// start the ESM loader, which first scans the whole bundle for exports (seconds under load).
const STALL_PRELOAD = `const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
fs.promises.readdir = () => {
  fs.writeFileSync(require('node:path').join(__dirname, 'stalled'), String(process.pid));
  return new Promise((resolve) => setTimeout(resolve, 600000));
};
syncBuiltinESMExports();
`;

/**
 * Runs the built CLI outside Argo CD (e.g. `aviary render`) in a fresh process, for comparisons.
 * (test/helpers/cli.ts has the same, but importing it loads the whole plugin from source.)
 */
export function runAviary(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [AVIARY_BIN, ...argv], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Percentile by nearest rank. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}
