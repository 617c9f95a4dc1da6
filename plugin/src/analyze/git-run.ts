import { spawn } from 'node:child_process';
import { EXIT } from '../io.js';
import { AnalyzeError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface GitCall {
  /** Bytes written to git's stdin. */
  input?: string | Buffer;
  /** Stdout beyond this is a failure (default 4 MiB). */
  maxBytes?: number;
  /** Per call (default: the runner's). */
  timeoutMs?: number;
  /** Exit codes that are answers, not failures (default [0]). */
  ok?: readonly number[];
  /** Variables added to this call's environment (e.g. GIT_INDEX_FILE). */
  env?: Env;
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `git ARGS` in one folder: `(args, call?) → result`, throwing GIT_FAILED otherwise. */
export type Git = ((args: readonly string[], call?: GitCall) => Promise<GitResult>) & {
  readonly cwd: string;
};

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * A runner of the `git` executable, never through a shell: arguments are a list, so nothing in a
 * file name, a ref or a URL is ever interpreted. The environment passes through (credentials reach
 * git only that way: GIT_ASKPASS, GIT_SSH_COMMAND, a credential helper in HOME's config), with a
 * fixed locale so messages do not vary, and no terminal prompt: a missing credential fails the call
 * instead of hanging the analyzer. Output and time are bounded per call; the whole process group is
 * killed on a timeout so an ssh child cannot keep it alive.
 */
export function gitRunner(cwd: string, env: Env, timeoutMs = DEFAULT_TIMEOUT_MS): Git {
  // GIT_OPTIONAL_LOCKS=0: reads such as `git status` never rewrite the index under a person's feet.
  const base = {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    LC_ALL: 'C',
    LANG: 'C',
    LANGUAGE: undefined,
  };
  const run = (args: readonly string[], call: GitCall = {}) =>
    runOnce(cwd, args, { ...base, ...call.env }, call, call.timeoutMs ?? timeoutMs);
  return Object.assign(run, { cwd });
}

function runOnce(
  cwd: string,
  args: readonly string[],
  env: Env,
  call: GitCall,
  timeoutMs: number,
): Promise<GitResult> {
  const maxBytes = call.maxBytes ?? DEFAULT_MAX_BYTES;
  const what = `git ${redact(args.join(' ')).slice(0, 200)}`;
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], {
      cwd,
      env: definedOnly(env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: string | undefined;
    const kill = (why: string) => {
      failure ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxBytes) kill(`wrote more than ${maxBytes} bytes`);
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < MAX_STDERR) err += chunk.toString('utf8');
    });
    child.stdin.on('error', () => {
      // git may exit before reading all of its input; its exit status says what happened.
    });
    child.stdin.end(call.input ?? '');
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        gitFailed(
          e.code === 'ENOENT' ? `${what}: no git executable on PATH, or no folder ${cwd}` : what,
          e.message,
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure !== undefined) return reject(gitFailed(`${what} ${failure}`, ''));
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: err };
      if ((call.ok ?? [0]).includes(result.code)) resolve(result);
      else reject(gitFailed(`${what} exited ${result.code}`, err));
    });
  });
}

function definedOnly(env: Env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

export function gitFailed(what: string, stderr: string, exit: number = EXIT.UNAVAILABLE) {
  const detail = redact(stderr.trim()).split('\n').slice(-5).join(' | ').slice(0, 1000);
  return new AnalyzeError('GIT_FAILED', detail === '' ? what : `${what}: ${detail}`, { exit });
}

/**
 * Removes the userinfo of every URL in a text (`https://user:token@host/` → `https://host/`):
 * remote URLs may carry a token, and git repeats them in its messages.
 */
export function redact(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s]*@/gi, '$1');
}
