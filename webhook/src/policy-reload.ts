import { statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { formatDiagnostic } from '@aviary/policies';
import { loadPolicySnapshot, selectorPolicies, sourceFiles, type PolicySource } from './deps.js';
import type { WebhookMetrics } from './metrics.js';
import type { WebhookState } from './state.js';
import { watchContent, type ContentWatcher } from './watch.js';

/**
 * Loads the policy set and reloads it whenever a policy file or trusted root changes. A good
 * load replaces the active set atomically (requests in flight finish on the set they started
 * with). A bad load — a schema error, a duplicate name, an unusable key or root, an empty folder
 * — changes nothing: the last good set keeps enforcing, the diagnostics are logged at error
 * level with file:line, and `aviary_policy_reload_errors_total` goes up. Until the first good
 * load the webhook is not ready.
 */
export function watchPolicies(options: {
  source: PolicySource;
  state: WebhookState;
  metrics: WebhookMetrics;
  log: FastifyBaseLogger;
  intervalMs: number;
}): ContentWatcher {
  const { source, state, metrics, log } = options;
  return watchContent({
    files: () => sourceFiles(source),
    folders: [
      watchedFolder(source.policies),
      ...Object.values(source.trustedRoots ?? {}).map((f) => path.dirname(f)),
    ],
    intervalMs: options.intervalMs,
    onChange: async () => {
      const { snapshot, diagnostics, warnings = [] } = await loadPolicySnapshot(source);
      if (snapshot === undefined) {
        metrics.policyReloadErrors.inc();
        const kept = state.snapshot;
        log.error(
          {
            policies: source.policies,
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
      const selectors = selectorPolicies(snapshot);
      if (selectors.length > 0 && !state.labelsKnown) {
        log.warn(
          { policies: selectors },
          'namespace labels are not known when policies come from files: these policies use a namespaceSelector and apply in every namespace (use match.namespaces to scope them)',
        );
      }
    },
    onError: (err) => log.error({ err }, 'policy watch failed'),
  });
}

/** The folder to watch for a policy path: itself when a folder, else its parent. */
function watchedFolder(target: string): string {
  try {
    return statSync(target).isDirectory() ? target : path.dirname(target);
  } catch {
    return path.dirname(target);
  }
}
