/** aviary-webhook: the validating admission webhook, as a library (the command is `server.ts`). */
export { buildApp, BODY_LIMIT, KEEP_ALIVE_TIMEOUT_MS } from './app.js';
export type { AppOptions, WebhookApp } from './app.js';
export {
  ADMISSION_API_VERSION,
  AUDIT_KEYS,
  MAX_WARNING_CHARS,
  decisionResponse,
  governedKindOf,
  kindMismatch,
  nestsDeeperThan,
  parseReview,
  reviewedKind,
  warningText,
  warningsFor,
} from './admission.js';
export type { AdmissionRequest, AdmissionResponse, AdmissionReviewResponse } from './admission.js';
export { FilePolicySource, loadPolicySnapshot } from './file-source.js';
export type { PolicyFiles, PolicySource } from './policy-source.js';
export { createMetrics, histogramQuantile, DURATION_BUCKETS } from './metrics.js';
export type { WebhookMetrics } from './metrics.js';
export { WebhookState } from './webhook-deps.js';
export type { PolicySnapshot, WebhookDeps } from './webhook-deps.js';
export { startServer, run, parseOptions, DEFAULT_PORT, USAGE } from './server.js';
export type { RunningServer, ServerOptions, ServerIO, TlsSource } from './server.js';
export { checkPair } from './tls/pair.js';
export { generateSelfSigned } from './tls/self-signed.js';
export { watchContent, fingerprintFiles } from './watch.js';
export type { ContentWatcher, WatchOptions } from './watch.js';
export type { CertificatePair } from './tls/self-signed.js';
