import type { Diagnostic } from '@aviary/policies';
import type { TrustedRootOrigins } from '@aviary/policies/signature';
import type { Engine } from '@aviary/policies/engine';
import type { WebhookMetrics } from './metrics.js';

/** One loaded policy set with its signature verifiers: immutable, swapped whole on reload. */
export interface PolicySnapshot {
  engine: Engine;
  /** Policy names, sorted. */
  names: string[];
  /** Stored policies that failed validation, sorted: what they may govern is refused. */
  unenforceable: string[];
  /** Short content hash of the sources it was built from, for logs and /readyz. */
  revision: string;
  loadedAt: Date;
  /**
   * Judges a ModelReleasePolicy custom resource the way it would be loaded, against this set's
   * trusted roots and file policies: the answer to the apiserver when one is written.
   */
  reviewPolicy(object: unknown): { diagnostics: Diagnostic[]; warnings: Diagnostic[] };
  /** Where each trusted root came from (`built-in` or its file), for logs. */
  trustedRoots?: TrustedRootOrigins;
}

/** What the HTTP app needs from the rest of the process; tests pass their own. */
export interface WebhookDeps {
  /** The active policy set, or undefined before the first good load. */
  policies(): PolicySnapshot | undefined;
  /**
   * Labels of a namespace for `namespaceSelector`, or undefined when they cannot be known: the
   * engine then treats every selector as matching (the policy applies; erring on checking).
   */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Why the webhook should not get traffic (nothing loaded yet, shutting down), or undefined. */
  notReady(): string | undefined;
  /** True once shutdown began: responses then ask clients to close their connection. */
  draining(): boolean;
  metrics: WebhookMetrics;
}

/** The mutable state behind {@link WebhookDeps} in a running server. */
export class WebhookState implements WebhookDeps {
  snapshot: PolicySnapshot | undefined;
  closing = false;
  /** False in file mode: no source of namespace labels (cluster mode will add an informer). */
  readonly labelsKnown: boolean;

  constructor(
    readonly metrics: WebhookMetrics,
    private readonly labels?: (ns: string) => Readonly<Record<string, string>> | undefined,
  ) {
    this.labelsKnown = labels !== undefined;
  }

  policies(): PolicySnapshot | undefined {
    return this.snapshot;
  }
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.labels?.(namespace);
  }
  notReady(): string | undefined {
    if (this.closing) return 'shutting down';
    if (this.snapshot === undefined) return 'no valid policy set and trust material loaded yet';
    return undefined;
  }
  draining(): boolean {
    return this.closing;
  }
}
