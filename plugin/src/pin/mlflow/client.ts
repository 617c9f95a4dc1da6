import { createHash } from 'node:crypto';
import type { Code } from '@aviary/policies';
import { EXIT } from '../../io.js';
import { PinError } from '../errors.js';

/** Default: 1 MiB. A registry answer is a few hundred bytes; more is refused unread. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Default: 30 s of silence per request, or MLflow's own MLFLOW_HTTP_REQUEST_TIMEOUT (seconds). */
const DEFAULT_TIMEOUT_S = 30;

export interface RegistryClient {
  /** GET `/api/2.0/mlflow/<endpoint>?<query>`: the JSON object, or a PinError with a code. */
  get(endpoint: string, query: Record<string, string>): Promise<Record<string, unknown>>;
  /** The listing of a folder of the server's artifact proxy (`mlflow-artifacts:`). */
  listArtifacts(path: string): Promise<Record<string, unknown>>;
  /** The lowercase hex sha256 of one proxied artifact, streamed. */
  hashArtifact(path: string): Promise<string>;
}

/**
 * A minimal client of MLflow's REST API, with the credentials MLflow's own clients read:
 * MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (basic). Redirects are not
 * followed (a credential must not travel to another host), JSON answers are size-bounded, and a
 * request that goes quiet for MLFLOW_HTTP_REQUEST_TIMEOUT seconds is abandoned. A registry that
 * cannot answer is exit 4; an unknown model, version or alias (MLflow: 404, or 400 for an alias)
 * is bad input, exit 2.
 */
export function registryClient(
  trackingUri: string,
  env: Readonly<Record<string, string | undefined>>,
): RegistryClient {
  let base: URL;
  try {
    base = new URL(trackingUri);
  } catch {
    throw new PinError(
      'USAGE_INVALID',
      `the MLflow tracking URI ${JSON.stringify(trackingUri)} is not a URL`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new PinError('USAGE_INVALID', 'the MLflow tracking URI must be http:// or https://');
  if (base.username !== '' || base.password !== '')
    throw new PinError(
      'USAGE_INVALID',
      'put MLflow credentials in MLFLOW_TRACKING_USERNAME/PASSWORD, not in the URL',
    );
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = env['MLFLOW_TRACKING_TOKEN'];
  const user = env['MLFLOW_TRACKING_USERNAME'];
  if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
  else if (user !== undefined && user !== '')
    headers['authorization'] =
      `Basic ${Buffer.from(`${user}:${env['MLFLOW_TRACKING_PASSWORD'] ?? ''}`).toString('base64')}`;
  const timeoutS = Number(env['MLFLOW_HTTP_REQUEST_TIMEOUT'] ?? DEFAULT_TIMEOUT_S);
  const timeoutMs =
    Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : DEFAULT_TIMEOUT_S * 1000;
  const root = base.href.endsWith('/') ? base.href : `${base.href}/`;

  /** One GET; `consume` reads a 2xx body. Every failure becomes a PinError with its code. */
  async function request<T>(
    pathname: string,
    query: Record<string, string>,
    where: string,
    consume: (res: Response, alive: () => void) => Promise<T>,
  ): Promise<T> {
    const url = new URL(pathname, root);
    url.search = new URLSearchParams(query).toString();
    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(), timeoutMs);
    // The deadline is on silence, not on the whole transfer: a large artifact may stream for long.
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), timeoutMs);
    };
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers, redirect: 'manual', signal: controller.signal });
        alive();
        if (res.status >= 200 && res.status <= 299) return await consume(res, alive);
        return failure(res, await readBounded(res, where), where);
      } catch (err) {
        if (err instanceof PinError) throw err;
        if (controller.signal.aborted)
          throw unavailable(
            'MLFLOW_TIMEOUT',
            `${where} did not answer within ${timeoutMs / 1000} s`,
          );
        throw unavailable(
          'MLFLOW_UNREACHABLE',
          `${where}: cannot reach ${base.origin} (${cause(err)})`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  }

  const json = (pathname: string, query: Record<string, string>, where: string) =>
    request(pathname, query, where, async (res) => {
      const value = parseObject(await readBounded(res, where));
      if (value === undefined)
        throw unavailable(
          'MLFLOW_BAD_RESPONSE',
          `${where} answered something that is not a JSON object`,
        );
      return value;
    });

  return {
    get: (endpoint, query) => json(`api/2.0/mlflow/${endpoint}`, query, `MLflow ${endpoint}`),
    listArtifacts: (path) =>
      json('api/2.0/mlflow-artifacts/artifacts', { path }, `MLflow artifact listing of ${path}`),
    hashArtifact: (path) =>
      request(
        `api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`,
        {},
        `MLflow artifact ${path}`,
        async (res, alive) => {
          const hash = createHash('sha256');
          if (res.body !== null)
            for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
              hash.update(chunk);
              alive();
            }
          return hash.digest('hex');
        },
      ),
  };
}

/** Classifies a non-2xx answer; always throws. */
function failure(res: Response, body: string, where: string): never {
  const json = parseObject(body);
  if (res.status === 401 || res.status === 403)
    throw unavailable(
      'MLFLOW_UNAUTHORIZED',
      `${where} answered ${res.status}: set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD`,
    );
  const mlflowCode = typeof json?.['error_code'] === 'string' ? json['error_code'] : '';
  const message = typeof json?.['message'] === 'string' ? json['message'].slice(0, 200) : '';
  if (
    res.status === 404 ||
    (res.status === 400 &&
      (mlflowCode === 'RESOURCE_DOES_NOT_EXIST' || mlflowCode === 'INVALID_PARAMETER_VALUE'))
  )
    throw new PinError('MLFLOW_NOT_FOUND', `${where}: ${message || `answered ${res.status}`}`);
  throw unavailable(
    'MLFLOW_ERROR',
    `${where} answered ${res.status}${mlflowCode ? ` ${mlflowCode}` : ''}${message ? `: ${message}` : ''}`,
  );
}

async function readBounded(res: Response, where: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw tooLarge(where);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body !== null) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        await res.body.cancel().catch(() => undefined);
        throw tooLarge(where);
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function tooLarge(where: string): PinError {
  return unavailable(
    'MLFLOW_RESPONSE_TOO_LARGE',
    `${where} answered more than ${MAX_RESPONSE_BYTES} bytes`,
  );
}

function unavailable(code: Code, message: string): PinError {
  return new PinError(code, message, { exit: EXIT.UNAVAILABLE });
}

function cause(err: unknown): string {
  const c = (err as { cause?: { code?: string } }).cause;
  return c?.code ?? (err instanceof Error ? err.message : String(err));
}
