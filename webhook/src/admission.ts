import { formatDiagnostic, governedKind, isObject } from '@aviary/policies';
import type { CodeIn, Diagnostic, GovernedKind } from '@aviary/policies';
import type { Decision, PolicyFinding } from '@aviary/policies/engine';
import { denialMessage, formatFinding } from '@aviary/policies/engine';

/**
 * The `admission.k8s.io/v1` AdmissionReview wire format: reading a request defensively (it comes
 * over the network) and writing the response. Pure functions; no I/O.
 */

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

/** Kubernetes shows each warning as one `Warning: 299` header; keep them short (≤120 chars). */
export const MAX_WARNING_CHARS = 120;
/** The apiserver ignores warnings past 4096 characters in total. */
export const MAX_WARNINGS_TOTAL = 4000;
/** Audit annotation values are capped so one review cannot bloat the audit log. */
export const MAX_ANNOTATION_CHARS = 8192;
/**
 * Audit annotation keys. The apiserver prefixes each with the webhook's name and a slash (for
 * the webhook `validate.aviary.dev`: `validate.aviary.dev/decision`), and drops any key that then
 * is not a qualified name — so the keys here carry no slash and no `aviary.dev/` prefix of their
 * own.
 */
export const AUDIT_KEYS = Object.freeze({
  decision: 'decision',
  policies: 'policies',
  violations: 'violations',
  warnings: 'warnings',
  audit: 'audit-findings',
  verified: 'verified-artifacts',
  skipped: 'skipped',
});

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  subResource?: string;
  operation: Operation;
  namespace?: string;
  name?: string;
  object: unknown;
  oldObject: unknown;
  dryRun: boolean;
}

export type ParsedReview =
  { ok: true; request: AdmissionRequest } | { ok: false; code: AdmissionCode; message: string };

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

type AdmissionCode = CodeIn<'admission'>;

function invalid(code: AdmissionCode, message: string): ParsedReview {
  return { ok: false, code, message };
}

/** The governed kind a request names (by group and kind, any version), if any. */
export function governedKindOf(kind: GroupVersionKind): GovernedKind | undefined {
  return governedKind(kind.group, kind.kind);
}

/**
 * The governed kind of a CREATE or UPDATE of a governed object itself (not a subresource), or
 * undefined when the request is not judged.
 */
export function reviewedKind(r: AdmissionRequest): GovernedKind | undefined {
  if (r.operation !== 'CREATE' && r.operation !== 'UPDATE') return undefined;
  if (r.subResource !== undefined && r.subResource !== '') return undefined;
  return governedKindOf(r.kind);
}

/** Aviary's own policy kind, which the webhook validates when it is written (cluster mode). */
export const POLICY_KIND = Object.freeze({ group: 'aviary.dev', kind: 'ModelReleasePolicy' });

/** Whether the request writes a ModelReleasePolicy itself (CREATE or UPDATE, no subresource). */
export function isPolicyWrite(r: AdmissionRequest): boolean {
  if (r.operation !== 'CREATE' && r.operation !== 'UPDATE') return false;
  if (r.subResource !== undefined && r.subResource !== '') return false;
  return r.kind.group === POLICY_KIND.group && r.kind.kind === POLICY_KIND.kind;
}

/**
 * Checks an untrusted AdmissionReview body. Only the fields the webhook relies on are checked;
 * everything else the apiserver adds (userInfo, options, resource…) is ignored.
 */
export function parseReview(body: unknown): ParsedReview {
  if (!isObject(body)) return invalid('ADMISSION_REVIEW_INVALID', 'the body must be a JSON object');
  if (body['apiVersion'] !== ADMISSION_API_VERSION)
    return invalid(
      'ADMISSION_API_VERSION',
      `apiVersion must be ${ADMISSION_API_VERSION} (list only "v1" in admissionReviewVersions)`,
    );
  if (body['kind'] !== ADMISSION_KIND)
    return invalid('ADMISSION_KIND', `kind must be ${ADMISSION_KIND}`);
  const req = body['request'];
  if (!isObject(req)) return invalid('ADMISSION_REQUEST_MISSING', 'request must be an object');
  const uid = req['uid'];
  if (typeof uid !== 'string' || uid === '' || uid.length > 256)
    return invalid(
      'ADMISSION_UID',
      'request.uid must be a non-empty string (at most 256 characters)',
    );
  const operation = req['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation))
    return invalid(
      'ADMISSION_OPERATION',
      'request.operation must be CREATE, UPDATE, DELETE or CONNECT',
    );
  const kind = req['kind'];
  if (
    !isObject(kind) ||
    typeof kind['group'] !== 'string' ||
    typeof kind['version'] !== 'string' ||
    typeof kind['kind'] !== 'string'
  )
    return invalid('ADMISSION_REQUEST_KIND', 'request.kind must be {group, version, kind} strings');
  for (const field of ['namespace', 'name', 'subResource'] as const) {
    if (req[field] !== undefined && req[field] !== null && typeof req[field] !== 'string')
      return invalid('ADMISSION_REQUEST_INVALID', `request.${field} must be a string`);
  }
  if (req['dryRun'] !== undefined && req['dryRun'] !== null && typeof req['dryRun'] !== 'boolean')
    return invalid('ADMISSION_REQUEST_INVALID', 'request.dryRun must be a boolean');

  const request: AdmissionRequest = {
    uid,
    kind: { group: kind['group'], version: kind['version'], kind: kind['kind'] },
    operation: operation as Operation,
    object: req['object'],
    oldObject: req['oldObject'],
    dryRun: req['dryRun'] === true,
    ...(typeof req['namespace'] === 'string' ? { namespace: req['namespace'] } : {}),
    ...(typeof req['name'] === 'string' ? { name: req['name'] } : {}),
    ...(typeof req['subResource'] === 'string' ? { subResource: req['subResource'] } : {}),
  };
  if (isPolicyWrite(request)) {
    if (!isObject(request.object))
      return invalid('ADMISSION_OBJECT', `request.object must be an object on ${operation}`);
    request.name ??= metadataField(request.object, 'name');
  }
  const governed = reviewedKind(request);
  if (governed !== undefined) {
    if (!isObject(request.object))
      return invalid('ADMISSION_OBJECT', `request.object must be an object on ${operation}`);
    if (operation === 'UPDATE' && !isObject(request.oldObject))
      return invalid('ADMISSION_OLD_OBJECT', 'request.oldObject must be an object on UPDATE');
    if (!governed.namespaced) {
      // Cluster-scoped: the apiserver sends no namespace, and none may narrow the policies that
      // apply (a ClusterServingRuntime serves every namespace).
      delete request.namespace;
    } else if (request.namespace === undefined || request.namespace === '') {
      const ns = metadataField(request.object, 'namespace');
      if (ns === undefined)
        return invalid(
          'ADMISSION_NAMESPACE',
          `request.namespace is required for a ${governed.kind}`,
        );
      request.namespace = ns;
    }
    if (request.name === undefined) {
      const name = metadataField(request.object, 'name');
      if (name !== undefined) request.name = name;
    }
  }
  return { ok: true, request };
}

function metadataField(object: unknown, field: string): string | undefined {
  const meta = isObject(object) ? object['metadata'] : undefined;
  const v = isObject(meta) ? meta[field] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Why the object (or, on UPDATE, the old object) is not of the kind the request names, or
 * undefined when both are. The engine tells kinds apart by the object's `kind`, so an object that
 * claims another kind than the one the apiserver stores would be judged by the wrong rules.
 */
export function kindMismatch(r: AdmissionRequest): string | undefined {
  const check = (field: string, value: unknown) => {
    const kind = isObject(value) ? value['kind'] : undefined;
    if (kind === r.kind.kind) return undefined;
    const shown = typeof kind === 'string' ? JSON.stringify(truncate(kind, 64)) : 'not a string';
    return `request.${field}.kind is ${shown}, not request.kind.kind ${JSON.stringify(r.kind.kind)}`;
  };
  return (
    check('object', r.object) ??
    (r.operation === 'UPDATE' ? check('oldObject', r.oldObject) : undefined)
  );
}

/** Whether a JSON value nests deeper than `max` levels; never descends more than `max` levels. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  return max <= 0 || Object.values(value).some((child) => nestsDeeperThan(child, max - 1));
}

export function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

// Control characters would corrupt the Warning header the apiserver builds from a warning.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ');

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * One finding as one warning of at most {@link MAX_WARNING_CHARS} characters, in the shape
 * `<path>: <message> [<code>, policy <name>]`. When too long the message is shortened first,
 * so the path, code and policy — what a user searches for — survive.
 */
export function warningText(f: PolicyFinding): string {
  const full = clean(formatFinding(f));
  if (full.length <= MAX_WARNING_CHARS) return full;
  const prefix = clean(`${f.path}: `);
  const suffix = clean(` [${f.code}, policy ${f.policy}]`);
  const room = MAX_WARNING_CHARS - prefix.length - suffix.length;
  if (room >= 12) return `${prefix}${truncate(clean(f.message), room)}${suffix}`;
  return truncate(clean(`${f.code} at ${f.path} (policy ${f.policy})`), MAX_WARNING_CHARS);
}

/** Warnings for the client, bounded in number by the apiserver's 4096-character budget. */
export function warningsFor(findings: readonly PolicyFinding[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const [i, f] of findings.entries()) {
    const w = warningText(f);
    if (total + w.length > MAX_WARNINGS_TOTAL - MAX_WARNING_CHARS) {
      out.push(`aviary: ${findings.length - i} more warnings in the audit annotations`);
      break;
    }
    out.push(w);
    total += w.length;
  }
  return out;
}

/** A JSON array of strings, cut (with a count of what was left out) to fit an annotation. */
function jsonList(items: readonly string[]): string {
  const kept = [...items];
  let value = JSON.stringify(kept);
  while (value.length > MAX_ANNOTATION_CHARS && kept.length > 0) {
    kept.pop();
    value = JSON.stringify([...kept, `... ${items.length - kept.length} more`]);
  }
  return value;
}

/** The AdmissionReview response for a decision of the policy engine. */
export function decisionResponse(uid: string, decision: Decision): AdmissionResponse {
  const annotations: Record<string, string> = {
    [AUDIT_KEYS.decision]: decision.allowed ? 'allowed' : 'denied',
  };
  if (decision.matched.length > 0) annotations[AUDIT_KEYS.policies] = decision.matched.join(',');
  if (decision.violations.length > 0)
    annotations[AUDIT_KEYS.violations] = jsonList(decision.violations.map(formatFinding));
  if (decision.warnings.length > 0)
    annotations[AUDIT_KEYS.warnings] = jsonList(decision.warnings.map(formatFinding));
  if (decision.audits.length > 0)
    annotations[AUDIT_KEYS.audit] = jsonList(decision.audits.map(formatFinding));
  if (decision.verified.length > 0) {
    annotations[AUDIT_KEYS.verified] = jsonList(
      decision.verified.map((v) =>
        JSON.stringify({
          uri: v.uri,
          digest: v.digest,
          authority: v.authority,
          signer: v.signer,
          policy: v.policy,
        }),
      ),
    );
  }
  const response: AdmissionResponse = {
    uid,
    allowed: decision.allowed,
    auditAnnotations: annotations,
  };
  if (!decision.allowed)
    response.status = { code: 403, reason: 'Forbidden', message: denialMessage(decision) };
  if (decision.warnings.length > 0) response.warnings = warningsFor(decision.warnings);
  return response;
}

/** Longest denial message for a policy write; the diagnostics past it are counted, not shown. */
export const MAX_POLICY_MESSAGE = 4000;

/**
 * The answer to a ModelReleasePolicy write: refused (422, `Invalid`) with every diagnostic when
 * the webhook could not enforce it exactly as written, so `kubectl apply` fails rather than
 * storing a policy that would only be refused later; its warnings go back to the client.
 */
export function policyReviewResponse(
  uid: string,
  name: string | undefined,
  verdict: { diagnostics: readonly Diagnostic[]; warnings: readonly Diagnostic[] },
): AdmissionResponse {
  const allowed = verdict.diagnostics.length === 0;
  const audit: Record<string, string> = { [AUDIT_KEYS.decision]: allowed ? 'allowed' : 'denied' };
  const response: AdmissionResponse = { uid, allowed, auditAnnotations: audit };
  if (!allowed) {
    const lines = verdict.diagnostics.map((d) => clean(formatDiagnostic(d)));
    let message = `denied by Aviary: ModelReleasePolicy ${JSON.stringify(name ?? '')} cannot be enforced as written:`;
    for (const [i, line] of lines.entries()) {
      if (message.length + line.length + 2 > MAX_POLICY_MESSAGE) {
        message += ` … and ${lines.length - i} more`;
        break;
      }
      message += ` ${line};`;
    }
    response.status = { code: 422, reason: 'Invalid', message };
    audit[AUDIT_KEYS.violations] = jsonList(lines);
  }
  if (verdict.warnings.length > 0) {
    response.warnings = verdict.warnings
      .slice(0, 16)
      .map((d) =>
        truncate(
          clean(`${d.code}: ${d.message}${d.path ? ` (at ${d.path})` : ''}`),
          MAX_WARNING_CHARS,
        ),
      );
  }
  return response;
}

/** DELETE and CONNECT: not Aviary's business. */
export function passthroughResponse(uid: string): AdmissionResponse {
  return { uid, allowed: true };
}

/**
 * Anything other than a governed kind (or a subresource of one): the webhook's rules should
 * never send it, so this is a misconfiguration. Allowed — a webhook that denies objects
 * it does not understand can deadlock a cluster — but said out loud to the client and recorded.
 */
export function skippedResponse(uid: string, r: AdmissionRequest): AdmissionResponse {
  const what = `${r.kind.group === '' ? 'core' : r.kind.group}/${r.kind.kind}${r.subResource ? `/${r.subResource}` : ''}`;
  return {
    uid,
    allowed: true,
    warnings: [
      truncate(
        clean(`aviary: ${what} is not checked (not a governed kind); check the webhook rules`),
        MAX_WARNING_CHARS,
      ),
    ],
    auditAnnotations: { [AUDIT_KEYS.decision]: 'skipped', [AUDIT_KEYS.skipped]: clean(what) },
  };
}

/** An explicit, fail-closed denial when the webhook cannot evaluate an object. */
export function refusalResponse(
  uid: string,
  code: number,
  reason: string,
  message: string,
): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code, reason, message },
    auditAnnotations: { [AUDIT_KEYS.decision]: 'denied' },
  };
}
