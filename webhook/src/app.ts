import { STATUS_CODES } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import { MAX_OBJECT_DEPTH } from '@aviary/policies';
import type { Decision, Engine, PolicyFinding } from '@aviary/policies/engine';
import {
  decisionResponse,
  POLICY_KIND,
  governedKindOf,
  isPolicyWrite,
  kindMismatch,
  nestsDeeperThan,
  parseReview,
  passthroughResponse,
  policyReviewResponse,
  refusalResponse,
  reviewedKind,
  review,
  skippedResponse,
  type AdmissionRequest,
  type AdmissionResponse,
} from './admission.js';
import type { WebhookDeps } from './webhook-deps.js';

/** An UPDATE carries object and oldObject; KServe objects with evidence can pass 1 MiB. */
export const BODY_LIMIT = 3 * 1024 * 1024;

/**
 * Longer than the apiserver's idle-connection timeout (Go's http.Transport: 90 s), so the client
 * always closes an idle connection first and never sends a review into one the server is closing.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

export type AppLogger = FastifyServerOptions['logger'];

export interface AppOptions {
  /** TLS material: the server is HTTPS-only in production; omitted for `inject`-only use. */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** fastify/pino logger options; default: info level to stdout. */
  logger?: AppLogger;
  bodyLimit?: number;
}

export type WebhookApp = FastifyInstance<HttpsServer>;

/** Result label of `aviary_admission_requests_total`. */
type Result = 'allowed' | 'denied' | 'skipped' | 'invalid' | 'unavailable' | 'error';

/**
 * Kind label of `aviary_admission_requests_total`: a governed kind's name, `other` for any other
 * kind, `unknown` when the request was not readable. Bounded, whatever clients send.
 */
function kindLabel(r: AdmissionRequest | undefined): string {
  if (r === undefined) return 'unknown';
  const governed = governedKindOf(r.kind)?.kind;
  if (governed !== undefined) return governed;
  return r.kind.group === POLICY_KIND.group && r.kind.kind === POLICY_KIND.kind
    ? POLICY_KIND.kind
    : 'other';
}

/** What one /validate call did, for its log line and metrics (never the object itself). */
interface Outcome {
  result: Result;
  /** The request as read; absent when it could not be. */
  request?: AdmissionRequest;
  /** A stable code saying why it was refused or could not be read. */
  error?: string;
  policies?: string[];
  violations?: string[];
  warnings?: number;
  verified?: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the /validate handler; null when the request was refused before it ran. */
    outcome: Outcome | null;
    /** reply.elapsedTime when the answer was handed to the connection. */
    answeredMs: number | null;
  }
}

/**
 * The webhook's HTTP surface, built once per process (and per test); it never listens.
 *
 * - `POST /validate`: AdmissionReview v1 in, AdmissionReview v1 out, HTTP 200 for every decision.
 *   Malformed reviews get HTTP 400 with a JSON error; bodies over 3 MiB get 413.
 * - `GET /healthz`: the process serves. `GET /readyz`: 200 once a policy set and its trust
 *   material are active, 503 before (or while shutting down).
 * - `GET /metrics`: Prometheus text format.
 */
export function buildApp(deps: WebhookDeps, opts: AppOptions = {}): WebhookApp {
  const app = Fastify<HttpsServer>({
    // null: plain HTTP, for tests that only use inject.
    https: opts.https ? { cert: opts.https.cert, key: opts.https.key } : null,
    logger: opts.logger ?? { level: 'info' },
    // One line per review, written by the /validate onResponse hook; probes log nothing.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // The apiserver waits at most 30 s for a webhook; nothing legitimate takes longer to send.
    requestTimeout: 30_000,
    // During shutdown, requests on open connections are still answered (not 503ed): the
    // apiserver may reuse a kept-alive connection until it learns the endpoint is gone.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = 10_000;
  app.decorateRequest('outcome', null);
  app.decorateRequest('answeredMs', null);

  app.addHook('onRequest', (_req, reply, done) => {
    if (deps.draining()) void reply.header('connection', 'close');
    done();
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    if (status === 500) req.log.error({ err }, 'unhandled error');
    return reply.code(status).send({
      statusCode: status,
      code: status === 500 ? 'INTERNAL_ERROR' : (err.code ?? 'BAD_REQUEST'),
      error: STATUS_CODES[status],
      message: status === 500 ? 'internal error' : err.message,
    });
  });

  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const reason = deps.notReady();
    if (reason !== undefined) return reply.code(503).send({ status: 'not ready', reason });
    const snapshot = deps.policies();
    return {
      status: 'ready',
      policies: snapshot?.names ?? [],
      // Stored but invalid: what they may govern is refused (readiness is kept so they can be fixed).
      unenforceable: snapshot?.unenforceable ?? [],
      revision: snapshot?.revision,
    };
  });

  app.get('/metrics', async (_req, reply) => {
    const { registry } = deps.metrics;
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });

  app.post(
    '/validate',
    {
      // Latency ends when the answer is handed to the connection ('prefinish'), not at
      // onResponse: 'finish' waits for the write callback, which the event loop runs only after
      // every other connection that was ready in the same turn, so under load it would count
      // other reviews' work as this one's.
      onRequest: (req, reply, done) => {
        reply.raw.once('prefinish', () => (req.answeredMs = reply.elapsedTime));
        done();
      },
      onResponse: (req, reply, done) => {
        const outcome = req.outcome ?? {
          result: reply.statusCode >= 500 ? 'error' : 'invalid',
          error: 'rejected before review',
        };
        // No 'prefinish' when the connection went away first: then up to the end of the response.
        const ms = req.answeredMs ?? reply.elapsedTime;
        deps.metrics.requests.inc({ result: outcome.result, kind: kindLabel(outcome.request) });
        deps.metrics.duration.observe(ms / 1000);
        logOutcome(req.log, outcome, reply.statusCode, ms);
        done();
      },
    },
    async (req, reply) => {
      const parsed = parseReview(req.body);
      if (!parsed.ok) {
        req.outcome = { result: 'invalid', error: parsed.code };
        return reply.code(400).send({
          statusCode: 400,
          code: parsed.code,
          error: 'Bad Request',
          message: parsed.message,
        });
      }
      const r = parsed.request;
      const answer = (outcome: Omit<Outcome, 'request'>, response: AdmissionResponse) => {
        req.outcome = { ...outcome, request: r };
        return reply.send(review(response));
      };

      if (r.operation !== 'CREATE' && r.operation !== 'UPDATE')
        return answer({ result: 'skipped' }, passthroughResponse(r.uid));
      const policyWrite = isPolicyWrite(r);
      if (!policyWrite && reviewedKind(r) === undefined)
        return answer({ result: 'skipped' }, skippedResponse(r.uid, r));
      const snapshot = deps.policies();
      if (snapshot === undefined) {
        // Not a decision: the apiserver applies the webhook's failurePolicy.
        req.outcome = { result: 'unavailable', request: r };
        return reply.code(503).send({
          statusCode: 503,
          code: 'NOT_READY',
          error: 'Service Unavailable',
          message: deps.notReady() ?? 'not ready',
        });
      }
      const mismatch = kindMismatch(r);
      if (mismatch !== undefined) {
        // An answer, not an HTTP error: the result must not depend on the failurePolicy.
        return answer(
          { result: 'denied', error: 'KIND_MISMATCH' },
          refusalResponse(r.uid, 400, 'BadRequest', `denied by Aviary: ${mismatch}; not evaluated`),
        );
      }
      if (nests(r.object) || (r.operation === 'UPDATE' && nests(r.oldObject))) {
        return answer(
          { result: 'denied', error: 'OBJECT_TOO_DEEP' },
          refusalResponse(
            r.uid,
            400,
            'BadRequest',
            `denied by Aviary: the object nests deeper than ${MAX_OBJECT_DEPTH} levels and was not evaluated`,
          ),
        );
      }
      if (policyWrite) {
        const verdict = snapshot.reviewPolicy(r.object);
        return answer(
          {
            result: verdict.diagnostics.length === 0 ? 'allowed' : 'denied',
            violations: verdict.diagnostics.map((d) => `${d.code}@${d.path ?? ''}`),
          },
          policyReviewResponse(r.uid, r.name, verdict),
        );
      }
      let decision: Decision;
      try {
        decision = evaluate(deps, snapshot.engine, r);
      } catch (err) {
        // Fail closed with an explicit answer rather than leaving it to the failurePolicy.
        req.log.error({ err, uid: r.uid }, 'policy evaluation failed');
        return answer(
          { result: 'error' },
          refusalResponse(
            r.uid,
            500,
            'InternalError',
            'denied by Aviary: the policies could not be evaluated (internal error; see the webhook log)',
          ),
        );
      }
      recordDecision(deps, snapshot.engine, decision);
      return answer(
        {
          result: decision.allowed ? 'allowed' : 'denied',
          policies: decision.matched,
          violations: decision.violations.map((f) => `${f.code}@${f.path}`),
          warnings: decision.warnings.length,
          ...(decision.verified.length > 0
            ? { verified: decision.verified.map((v) => `${v.digest} by ${v.authority}`) }
            : {}),
        },
        decisionResponse(r.uid, decision),
      );
    },
  );

  return app;
}

const nests = (v: unknown) => nestsDeeperThan(v, MAX_OBJECT_DEPTH);

/**
 * A namespaced object is judged in its namespace (parseReview guarantees one). A cluster-scoped
 * one has none: the engine then counts `namespaces` lists and namespaceSelectors as matching, so
 * every policy applies to it, and no labels are looked up.
 */
function evaluate(deps: WebhookDeps, engine: Engine, r: AdmissionRequest): Decision {
  return engine.evaluate({
    object: r.object,
    ...(r.operation === 'UPDATE' ? { oldObject: r.oldObject } : {}),
    operation: r.operation as 'CREATE' | 'UPDATE',
    namespace: r.namespace,
    namespaceLabels: r.namespace === undefined ? undefined : deps.namespaceLabels(r.namespace),
  });
}

const RULES = ['pinning', 'signatures', 'canary'] as const;

/** A matched policy's mode and the rules it is judged by (an unenforceable one: only itself). */
function judgedBy(engine: Engine, name: string): { mode: string; rules: readonly string[] } {
  const policy = engine.policies.find((p) => p.name === name);
  if (policy !== undefined) return { mode: policy.policy.spec.mode ?? 'enforce', rules: RULES };
  const broken = engine.unenforceable.find((u) => u.name === name);
  return broken !== undefined
    ? { mode: broken.mode, rules: ['policy'] }
    : { mode: 'enforce', rules: RULES };
}

function recordDecision(deps: WebhookDeps, engine: Engine, decision: Decision): void {
  const m = deps.metrics;
  for (const f of [...decision.violations, ...decision.warnings, ...decision.audits])
    m.findings.inc({ policy: f.policy, rule: f.rule, mode: f.mode, code: f.code });
  // Each matched policy's rule counts its strictest finding; a rule with none passed.
  const has = (findings: readonly PolicyFinding[], policy: string, rule: string) =>
    findings.some((f) => f.policy === policy && f.rule === rule);
  for (const policy of decision.matched) {
    const { mode, rules } = judgedBy(engine, policy);
    for (const rule of rules) {
      const outcome = has(decision.violations, policy, rule)
        ? 'deny'
        : has(decision.warnings, policy, rule)
          ? 'warn'
          : has(decision.audits, policy, rule)
            ? 'audit'
            : 'pass';
      m.decisions.inc({ policy, rule, mode, decision: outcome });
    }
  }
}

function logOutcome(
  log: FastifyBaseLogger,
  outcome: Outcome,
  statusCode: number,
  elapsedMs: number,
): void {
  const r = outcome.request;
  const line = {
    result: outcome.result,
    uid: r?.uid,
    operation: r?.operation,
    kind: r && `${r.kind.group}/${r.kind.version}/${r.kind.kind}`,
    dryRun: r?.dryRun,
    namespace: r?.namespace,
    name: r?.name,
    policies: outcome.policies,
    violations: outcome.violations,
    warnings: outcome.warnings,
    verified: outcome.verified,
    error: outcome.error,
    statusCode,
    latencyMs: Math.round(elapsedMs * 1000) / 1000,
  };
  if (outcome.result === 'invalid' || outcome.result === 'unavailable')
    log.warn(line, 'admission request rejected');
  else if (outcome.result === 'error') log.error(line, 'admission');
  else log.info(line, 'admission');
}
