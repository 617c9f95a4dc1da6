import { STATUS_CODES } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Decision, Engine, PolicyFinding } from '@aviary/policies/engine';
import {
  MAX_OBJECT_DEPTH,
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
import type { PolicySnapshot, WebhookDeps } from './state.js';

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

/**
 * What one /validate call did, for its log line and metrics (never the object itself). It is
 * also the log line: fields in log order, all present from the start (pino leaves out undefined
 * ones), so every outcome has one shape. Copying it, or adding fields as the review goes, costs
 * ~20 µs per review in pino's serializer.
 */
interface Outcome {
  result: Result;
  uid: string | undefined;
  operation: string | undefined;
  kind: string | undefined;
  dryRun: boolean | undefined;
  namespace: string | undefined;
  name: string | undefined;
  policies: string[] | undefined;
  violations: string[] | undefined;
  warnings: number | undefined;
  verified: string[] | undefined;
  error: string | undefined;
  statusCode: number | undefined;
  latencyMs: number | undefined;
}

function outcomeOf(result: Result, r?: AdmissionRequest, error?: string): Outcome {
  return {
    result,
    uid: r?.uid,
    operation: r?.operation,
    kind: r && `${r.kind.group}/${r.kind.version}/${r.kind.kind}`,
    dryRun: r?.dryRun,
    namespace: r?.namespace,
    name: r?.name,
    policies: undefined,
    violations: undefined,
    warnings: undefined,
    verified: undefined,
    error,
    statusCode: undefined,
    latencyMs: undefined,
  };
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
  const outcomes = new WeakMap<FastifyRequest, Outcome>();
  // Kept beside the outcome rather than in it: the outcome is the log line, which has the full kind.
  const kinds = new WeakMap<FastifyRequest, string>();
  const answeredMs = new WeakMap<FastifyRequest, number>();
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

  // Callback style: an async hook costs a promise on every request.
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
      // other reviews' work as this one's. `on` rather than `once`: a response prefinishes at
      // most once, and once's wrapper would be one more allocation per review.
      onRequest: (req, reply, done) => {
        reply.raw.on('prefinish', () => answeredMs.set(req, reply.elapsedTime));
        done();
      },
      // Callback style, like onRequest: this runs once per review.
      onResponse: (req, reply, done) => {
        const status = reply.statusCode;
        const outcome =
          outcomes.get(req) ??
          outcomeOf(status >= 500 ? 'error' : 'invalid', undefined, 'rejected before review');
        // No 'prefinish' when the connection went away first: then up to the end of the response.
        const ms = answeredMs.get(req) ?? reply.elapsedTime;
        deps.metrics.requests.inc({ result: outcome.result, kind: kinds.get(req) ?? 'unknown' });
        deps.metrics.duration.observe(ms / 1000);
        logOutcome(req.log, outcome, status, ms);
        done();
      },
    },
    async (req, reply) => {
      const parsed = parseReview(req.body);
      if (!parsed.ok) {
        outcomes.set(req, outcomeOf('invalid', undefined, parsed.code));
        return reply.code(400).send({
          statusCode: 400,
          code: parsed.code,
          error: 'Bad Request',
          message: parsed.message,
        });
      }
      const r = parsed.request;
      const outcome = outcomeOf('allowed', r);
      outcomes.set(req, outcome);
      kinds.set(req, kindLabel(r));
      const send = (response: AdmissionResponse) => reply.send(review(response));

      if (r.operation !== 'CREATE' && r.operation !== 'UPDATE') {
        outcome.result = 'skipped';
        return send(passthroughResponse(r.uid));
      }
      const policyWrite = isPolicyWrite(r);
      if (!policyWrite && reviewedKind(r) === undefined) {
        outcome.result = 'skipped';
        return send(skippedResponse(r.uid, r));
      }
      const snapshot = deps.policies();
      if (snapshot === undefined) {
        // Not a decision: the apiserver applies the webhook's failurePolicy.
        outcome.result = 'unavailable';
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
        outcome.result = 'denied';
        outcome.error = 'KIND_MISMATCH';
        return send(
          refusalResponse(r.uid, 400, 'BadRequest', `denied by Aviary: ${mismatch}; not evaluated`),
        );
      }
      if (nests(r.object) || (r.operation === 'UPDATE' && nests(r.oldObject))) {
        outcome.result = 'denied';
        outcome.error = 'OBJECT_TOO_DEEP';
        return send(
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
        outcome.result = verdict.diagnostics.length === 0 ? 'allowed' : 'denied';
        outcome.violations = verdict.diagnostics.map((d) => `${d.code}@${d.path ?? ''}`);
        return send(policyReviewResponse(r.uid, r.name, verdict));
      }
      let decision: Decision;
      try {
        decision = evaluate(deps, snapshot.engine, r);
      } catch (err) {
        // Fail closed with an explicit answer rather than leaving it to the failurePolicy.
        req.log.error({ err, uid: r.uid }, 'policy evaluation failed');
        outcome.result = 'error';
        return send(
          refusalResponse(
            r.uid,
            500,
            'InternalError',
            'denied by Aviary: the policies could not be evaluated (internal error; see the webhook log)',
          ),
        );
      }
      outcome.result = decision.allowed ? 'allowed' : 'denied';
      outcome.policies = decision.matched;
      outcome.violations = decision.violations.map((f) => `${f.code}@${f.path}`);
      outcome.warnings = decision.warnings.length;
      if (decision.verified.length > 0)
        outcome.verified = decision.verified.map((v) => `${v.digest} by ${v.authority}`);
      recordDecision(deps, snapshot, decision);
      return send(decisionResponse(r.uid, decision));
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
  const namespace = r.namespace;
  return engine.evaluate({
    object: r.object,
    ...(r.operation === 'UPDATE' ? { oldObject: r.oldObject } : {}),
    operation: r.operation as 'CREATE' | 'UPDATE',
    namespace,
    namespaceLabels: namespace === undefined ? undefined : deps.namespaceLabels(namespace),
  });
}

const RULES = ['pinning', 'signatures', 'canary'] as const;
/** The only rule an unenforceable policy has: itself. */
const POLICY_RULE = ['policy'] as const;

interface Judged {
  mode: string;
  rules: readonly string[];
}
const modeCache = new WeakMap<PolicySnapshot, ReadonlyMap<string, Judged>>();

/** Policy name → mode and rules, worked out once per policy snapshot rather than per review. */
function modesOf(snapshot: PolicySnapshot): ReadonlyMap<string, Judged> {
  let modes = modeCache.get(snapshot);
  if (modes === undefined) {
    modes = new Map<string, Judged>([
      ...snapshot.engine.policies.map(
        (p) => [p.name, { mode: p.policy.spec.mode ?? 'enforce', rules: RULES }] as const,
      ),
      ...snapshot.engine.unenforceable.map(
        (u) => [u.name, { mode: u.mode, rules: POLICY_RULE }] as const,
      ),
    ]);
    modeCache.set(snapshot, modes);
  }
  return modes;
}

/** Label of `aviary_admission_decisions_total`, from least to most strict. */
const STRICTNESS = ['pass', 'audit', 'warn', 'deny'] as const;

function recordDecision(deps: WebhookDeps, snapshot: PolicySnapshot, decision: Decision): void {
  const m = deps.metrics;
  // The strictest finding per policy and rule; a matched policy's rule with none passed.
  const strictest = new Map<string, number>();
  const note = (findings: readonly PolicyFinding[], as: number) => {
    for (const f of findings) {
      m.findings.inc({ policy: f.policy, rule: f.rule, mode: f.mode, code: f.code });
      const key = `${f.policy}\u0000${f.rule}`;
      if (as > (strictest.get(key) ?? 0)) strictest.set(key, as);
    }
  };
  note(decision.violations, STRICTNESS.indexOf('deny'));
  note(decision.warnings, STRICTNESS.indexOf('warn'));
  note(decision.audits, STRICTNESS.indexOf('audit'));
  const modes = modesOf(snapshot);
  for (const policy of decision.matched) {
    const { mode, rules } = modes.get(policy) ?? { mode: 'enforce', rules: RULES };
    for (const rule of rules) {
      const outcome = STRICTNESS[strictest.get(`${policy}\u0000${rule}`) ?? 0]!;
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
  outcome.statusCode = statusCode;
  outcome.latencyMs = Math.round(elapsedMs * 1000) / 1000;
  if (outcome.result === 'invalid' || outcome.result === 'unavailable')
    log.warn(outcome, 'admission request rejected');
  else if (outcome.result === 'error') log.error(outcome, 'admission');
  else log.info(outcome, 'admission');
}
