import type { FastifyBaseLogger } from 'fastify';
import { formatDiagnostic, type Diagnostic } from '@aviary/policies';
import { loadPolicySet } from '@aviary/policies/engine';
import type { WebhookMetrics } from './metrics.js';
import { reviewPolicyObject } from './policy-object.js';
import { watchPolicyFiles, type PolicyFiles, type PolicySource } from './policy-source.js';
import type { PolicySnapshot, WebhookState } from './webhook-deps.js';
import type { ContentWatcher } from './watch.js';

/**
 * Policy files and trust material in, one immutable {@link PolicySnapshot} out, through the
 * loader `aviary check` uses (so CI and admission judge alike). An empty set is refused: it would
 * admit everything.
 */
export async function loadPolicySnapshot(
  files: PolicyFiles & { policies: string },
): Promise<{ snapshot?: PolicySnapshot; diagnostics: Diagnostic[]; warnings: Diagnostic[] }> {
  const set = await loadPolicySet({
    policies: [files.policies],
    ...(files.trustedRoots !== undefined ? { trustedRoots: files.trustedRoots } : {}),
  });
  const { engine, policies, trustedRoots, diagnostics, warnings } = set;
  if (engine === undefined) return { diagnostics, warnings };
  const names = new Set(policies.map((p) => p.name));
  return {
    snapshot: {
      engine,
      names: [...names],
      unenforceable: [],
      revision: set.revision,
      loadedAt: new Date(),
      reviewPolicy: (obj) => reviewPolicyObject(obj, trustedRoots, names),
      trustedRoots: set.origins,
    },
    diagnostics,
    // A warning never keeps a policy from loading: it is logged beside the load.
    warnings,
  };
}

/**
 * Policies from files (`--policies`), reloaded whenever a policy file or trusted root changes.
 * A bad load — a schema error, a duplicate name, an unusable key or root, an empty folder —
 * changes nothing: the last good set keeps enforcing, the diagnostics are logged at error level
 * with file:line, and `aviary_policy_reload_errors_total` goes up. Until the first good load the
 * webhook is not ready.
 */
export class FilePolicySource implements PolicySource {
  private watcher?: ContentWatcher;

  constructor(
    private readonly options: {
      files: PolicyFiles & { policies: string };
      metrics: WebhookMetrics;
      intervalMs: number;
    },
  ) {}

  async start(state: WebhookState, log: FastifyBaseLogger): Promise<void> {
    this.watcher = watchPolicyFiles(this.options.files, {
      intervalMs: this.options.intervalMs,
      onChange: () => this.load(state, log),
      log,
    });
    await this.watcher.check();
  }

  close(): void {
    this.watcher?.close();
  }

  private async load(state: WebhookState, log: FastifyBaseLogger): Promise<void> {
    const { files, metrics } = this.options;
    const { snapshot, diagnostics, warnings } = await loadPolicySnapshot(files);
    if (snapshot === undefined) {
      metrics.policyReloadErrors.inc();
      const kept = state.snapshot;
      log.error(
        {
          policies: files.policies,
          diagnostics: diagnostics.map(formatDiagnostic),
          active: kept ? { policies: kept.names, revision: kept.revision } : null,
        },
        kept
          ? 'policy reload rejected; the last good policy set stays active'
          : 'policy load rejected; no policy set is active and the webhook is not ready',
      );
      return;
    }
    state.snapshot = snapshot;
    metrics.policiesLoaded.set(snapshot.names.length);
    metrics.policyReloads.inc();
    metrics.policyLastReload.set(snapshot.loadedAt.getTime() / 1000);
    log.info(
      {
        policies: snapshot.names,
        revision: snapshot.revision,
        trustedRoots: snapshot.trustedRoots,
      },
      'policies loaded',
    );
    if (warnings.length > 0)
      log.warn({ warnings: warnings.map(formatDiagnostic) }, 'policies loaded with warnings');
    const selectors = snapshot.engine.policies
      .filter((p) => p.policy.spec.match?.namespaceSelector !== undefined)
      .map((p) => p.name);
    if (selectors.length > 0 && !state.labelsKnown) {
      log.warn(
        { policies: selectors },
        'namespace labels are not known when policies come from files: these policies use a namespaceSelector and apply in every namespace (use match.namespaces to scope them)',
      );
    }
  }
}
