import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import { formatDiagnostic } from '@aviary/policies';
import {
  createEngine,
  loadPolicySet,
  unenforceablePolicy,
  type LoadedPolicy,
  type SignatureCheck,
  type UnenforceablePolicy,
} from '@aviary/policies/engine';
import { Counter, Gauge } from 'prom-client';
import type { WebhookMetrics } from '../metrics.js';
import type { PolicySnapshot, WebhookState } from '../webhook-deps.js';
import type { ContentWatcher } from '../watch.js';
import { reviewPolicyObject, type PolicyReview } from '../policy-object.js';
import { watchPolicyFiles, type PolicySource } from '../policy-source.js';
import { PolicyStatusWriter, readyCondition } from './status.js';

export const POLICY_GROUP = 'aviary.dev';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_PLURAL = 'modelreleasepolicies';
export const POLICY_PATH = `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`;
export const NAMESPACE_PATH = '/api/v1/namespaces';

export interface ClusterOptions {
  /** A kubeconfig file; without it (and without `kubeConfig`) the in-cluster service account. */
  kubeconfigFile?: string;
  /** A ready KubeConfig (tests). */
  kubeConfig?: k8s.KubeConfig;
  /** Informer restart back-off after an error: first and maximum delay. Default 500 ms … 30 s. */
  backoffMs?: { initial: number; max: number };
  /** Coalesces bursts of policy events into one rebuild. Default 50 ms. */
  debounceMs?: number;
}

export function loadKubeConfig(opts: ClusterOptions): k8s.KubeConfig {
  if (opts.kubeConfig) return opts.kubeConfig;
  const kc = new k8s.KubeConfig();
  if (opts.kubeconfigFile !== undefined) kc.loadFromFile(opts.kubeconfigFile);
  else kc.loadFromCluster();
  return kc;
}

interface Informer<T extends k8s.KubernetesObject> {
  inf: k8s.Informer<T> & k8s.ObjectCache<T>;
  listed: boolean;
  errors: number;
  timer?: NodeJS.Timeout;
}

/**
 * Policies from `ModelReleasePolicy` custom resources (and optionally files), namespace labels
 * from Namespaces, both through client-node informers (list, then watch; a watch that expires
 * with 410 Gone makes the informer relist).
 *
 * Rules:
 * - Not ready until both informers completed their first list (and the files, if any, loaded).
 * - Each CR is judged alone by {@link reviewPolicyObject}, the same check the webhook answers the
 *   apiserver with when the CR is written. The verdict depends only on the stored object and this
 *   webhook's trusted roots and files, never on history, so every replica and every restart
 *   agrees.
 * - A CR that fails (schema, authority, regex, unusable key, a name already used by a file
 *   policy) is unenforceable, not skipped: every object it may govern (its `match` when that part
 *   is readable, else every object) is refused with POLICY_UNENFORCEABLE, in its mode when that
 *   reads `warn` or `audit`. It is reported loudly: error log, `aviary_cluster_policy_rejected`,
 *   `aviary_policy_reload_errors_total`, and its `Ready` condition.
 * - Each CR's `status.conditions[Ready]` says whether it is enforced, and why not.
 * - A file policy and a CR with the same name: the file policy wins, the CR is unenforceable.
 * - Files keep their own whole-set rule: a bad file set is rejected and the last good one stays.
 * - An empty cluster set is a valid state (ready, admits everything, warned), unlike an empty
 *   policy folder: deleting the last CR must not turn into an admission outage.
 * - Informer errors (apiserver unreachable, RBAC) restart the informer with exponential back-off;
 *   the last good snapshot keeps serving meanwhile and is never dropped.
 */
export class ClusterPolicySource implements PolicySource {
  readonly kc: k8s.KubeConfig;
  private readonly policies: Informer<k8s.KubernetesObject>;
  private readonly namespaces: Informer<k8s.V1Namespace>;
  private readonly judged = new Map<string, Judged>();
  private readonly status: PolicyStatusWriter;
  private readonly rejectedGauge: Gauge<'policy'>;
  private readonly informerErrors: Counter<'resource'>;
  private readonly clusterPolicies: Gauge;
  private files?: {
    policies: LoadedPolicy[];
    verifiers: Map<string, SignatureCheck>;
    revision: string;
  };
  private trustedRoots?: Record<string, unknown>;
  private fileWatcher?: ContentWatcher;
  private debounce?: NodeJS.Timeout;
  private closed = false;
  private readonly syncWaiters: (() => void)[] = [];
  private state?: WebhookState;
  private log?: FastifyBaseLogger;

  constructor(
    readonly options: ClusterOptions & {
      /** File policies merged with the CRs (optional). */
      policiesPath?: string;
      trustedRoots?: Readonly<Record<string, string>>;
      metrics: WebhookMetrics;
      intervalMs?: number;
    },
  ) {
    this.kc = loadKubeConfig(options);
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.policies = {
      inf: k8s.makeInformer<k8s.KubernetesObject>(this.kc, POLICY_PATH, () =>
        this.listed(
          this.policies,
          custom.listClusterCustomObject({
            group: POLICY_GROUP,
            version: POLICY_VERSION,
            plural: POLICY_PLURAL,
          }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>,
        ),
      ),
      listed: false,
      errors: 0,
    };
    this.namespaces = {
      inf: k8s.makeInformer<k8s.V1Namespace>(this.kc, NAMESPACE_PATH, () =>
        this.listed(this.namespaces, core.listNamespace()),
      ),
      listed: false,
      errors: 0,
    };
    const registers = [options.metrics.registry];
    this.rejectedGauge = new Gauge({
      name: 'aviary_cluster_policy_rejected',
      help: 'ModelReleasePolicy custom resources currently rejected by the loader (1) — skipped, or their previous good version kept',
      labelNames: ['policy'],
      registers,
    });
    this.clusterPolicies = new Gauge({
      name: 'aviary_cluster_policies_loaded',
      help: 'ModelReleasePolicy custom resources in the active set',
      registers,
    });
    this.informerErrors = new Counter({
      name: 'aviary_cluster_informer_errors_total',
      help: 'Informer list/watch errors (each one restarts that informer with back-off)',
      labelNames: ['resource'],
      registers,
    });
    this.status = new PolicyStatusWriter(
      this.kc,
      { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL },
      () => this.log,
    );
  }

  /** Labels of a namespace from the informer cache; undefined when unknown (not listed yet). */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    if (!this.namespaces.listed) return undefined;
    const ns = this.namespaces.inf.get(namespace);
    return ns === undefined ? undefined : (ns.metadata?.labels ?? {});
  }

  /** True once both informers listed and a snapshot was built. */
  get synced(): boolean {
    return this.policies.listed && this.namespaces.listed && this.state?.snapshot !== undefined;
  }

  /** Resolves when {@link synced} first becomes true. */
  waitSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Names of invalid CRs with their formatted diagnostics (for tests and logs). */
  rejections(): Record<string, readonly string[]> {
    return Object.fromEntries(
      [...this.judged.values()].flatMap((j) =>
        j.unenforceable ? [[j.name, j.unenforceable.reasons] as const] : [],
      ),
    );
  }

  async start(state: WebhookState, log: FastifyBaseLogger): Promise<void> {
    this.state = state;
    this.log = log;
    for (const [which, inf] of [
      ['modelreleasepolicies', this.policies],
      ['namespaces', this.namespaces],
    ] as const) {
      const i = inf as Informer<k8s.KubernetesObject>;
      i.inf.on('error', (err: unknown) => this.failed(which, i, err));
      i.inf.on('connect', () => log.debug({ resource: which }, 'informer (re)connecting'));
    }
    this.policies.inf.on('change', () => this.schedule());
    const { policiesPath, trustedRoots } = this.options;
    // Trusted-root files are watched even without policy files: a rotated ConfigMap applies
    // without a restart.
    if (policiesPath !== undefined || Object.keys(trustedRoots ?? {}).length > 0) {
      this.fileWatcher = watchPolicyFiles(
        {
          ...(policiesPath !== undefined ? { policies: policiesPath } : {}),
          ...(trustedRoots !== undefined ? { trustedRoots } : {}),
        },
        { intervalMs: this.options.intervalMs ?? 2000, onChange: () => this.loadFiles(), log },
      );
      await this.fileWatcher.check();
    } else {
      await this.loadFiles();
    }
    this.run('modelreleasepolicies', this.policies);
    this.run('namespaces', this.namespaces);
  }

  close(): void {
    this.closed = true;
    this.fileWatcher?.close();
    clearTimeout(this.debounce);
    for (const i of [this.policies, this.namespaces] as Informer<k8s.KubernetesObject>[]) {
      clearTimeout(i.timer);
      void i.inf.stop();
    }
  }

  // --- informers ---------------------------------------------------------------------------

  private async listed<L extends { items: unknown[] }>(
    i: { listed: boolean; errors: number },
    list: Promise<L>,
  ): Promise<L> {
    const result = await list;
    // The informer fills its cache synchronously after this promise resolves; look after that.
    setImmediate(() => {
      const first = !i.listed;
      i.listed = true;
      i.errors = 0;
      if (first) this.log?.info({ items: result.items.length }, 'informer listed');
      this.schedule(0);
    });
    return result;
  }

  private run(which: string, i: Informer<k8s.KubernetesObject>): void {
    if (this.closed) return;
    i.inf.start().catch((err: unknown) => this.failed(which, i, err));
  }

  private failed(which: string, i: Informer<k8s.KubernetesObject>, err: unknown): void {
    if (this.closed) return;
    this.informerErrors.inc({ resource: which });
    const { initial, max } = this.options.backoffMs ?? { initial: 500, max: 30_000 };
    const delay = Math.min(max, initial * 2 ** Math.min(i.errors, 16));
    i.errors++;
    const kept = this.state?.snapshot;
    this.log?.warn(
      {
        resource: which,
        err: { message: (err as Error)?.message ?? String(err) },
        retryInMs: delay,
        active: kept ? { policies: kept.names, revision: kept.revision } : null,
      },
      'informer failed; retrying (the active policy set stays in force)',
    );
    clearTimeout(i.timer);
    i.timer = setTimeout(() => this.run(which, i), delay);
    i.timer.unref?.();
  }

  // --- building ------------------------------------------------------------------------------

  /**
   * The file part: the same loader and whole-set rule as file mode, except that no policy file at
   * all is fine (the CRs are the set).
   */
  private async loadFiles(): Promise<void> {
    const log = this.log!;
    const { policiesPath, trustedRoots } = this.options;
    const set = await loadPolicySet({
      policies: policiesPath !== undefined ? [policiesPath] : [],
      ...(trustedRoots !== undefined ? { trustedRoots } : {}),
      allowEmpty: true,
    });
    if (set.diagnostics.length > 0) {
      this.options.metrics.policyReloadErrors.inc();
      log.error(
        { policies: policiesPath, diagnostics: set.diagnostics.map(formatDiagnostic) },
        this.files
          ? 'policy files or trusted roots rejected; the last good file set stays active'
          : 'policy files or trusted roots rejected; the webhook is not ready',
      );
      return;
    }
    if (set.warnings.length > 0)
      log.warn(
        { warnings: set.warnings.map(formatDiagnostic) },
        'policy files loaded with warnings',
      );
    log.info({ trustedRoots: set.origins }, 'trusted roots loaded');
    this.trustedRoots = set.trustedRoots;
    // The revision covers the roots: a rotated root alone must swap the snapshot in.
    this.files = { policies: set.policies, verifiers: set.verifiers, revision: set.revision };
    // Trusted roots or file names changed: every CR is judged again.
    this.judged.clear();
    this.schedule(0);
  }

  private schedule(ms = this.options.debounceMs ?? 50): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.rebuild(), ms);
  }

  /** Builds and swaps in a new snapshot from the informer cache. Synchronous: never interleaves. */
  rebuild(): void {
    const state = this.state;
    const log = this.log;
    if (!state || !log || this.closed) return;
    if (!this.policies.listed || !this.namespaces.listed || !this.files || !this.trustedRoots)
      return;
    const fileNames = new Set(this.files.policies.map((p) => p.name));
    const present = new Set<string>();
    for (const obj of this.policies.inf.list()) {
      const name = obj.metadata?.name ?? '';
      const version = versionOf(obj);
      present.add(name);
      const seen = this.judged.get(name);
      if (seen?.version !== version) {
        const review = reviewPolicyObject(obj, this.trustedRoots, fileNames);
        this.judged.set(name, this.verdict(obj, version, review));
      }
      const judged = this.judged.get(name)!;
      this.status.sync(
        obj,
        readyCondition(
          judged.accepted
            ? { ok: true, mode: judged.accepted.policy.spec.mode ?? 'enforce' }
            : { ok: false, reasons: judged.unenforceable!.reasons },
          obj.metadata?.generation,
        ),
      );
    }
    for (const name of [...this.judged.keys()]) {
      if (present.has(name)) continue;
      const gone = this.judged.get(name)!;
      this.judged.delete(name);
      this.status.forget(name);
      if (gone.unenforceable) this.rejectedGauge.set({ policy: name }, 0);
      log.info({ policy: name }, 'policy custom resource deleted');
    }

    const judged = [...this.judged.values()].sort((a, b) => compare(a.name, b.name));
    const cluster = judged.flatMap((j) => (j.accepted ? [j.accepted] : []));
    const unenforceable = judged.flatMap((j) => (j.unenforceable ? [j.unenforceable] : []));
    const policies = [...this.files.policies, ...cluster].sort((a, b) => compare(a.name, b.name));
    const verifiers = new Map<string, SignatureCheck | undefined>(this.files.verifiers);
    for (const j of judged) if (j.accepted) verifiers.set(j.name, j.verifier);
    const revision = createHash('sha256')
      .update(this.files.revision)
      .update(
        judged.map((j) => `${j.name}@${j.version}:${j.accepted ? 'ok' : 'invalid'}`).join(','),
      )
      .digest('hex')
      .slice(0, 12);
    const previous = state.snapshot;
    if (previous?.revision !== revision) {
      const trustedRoots = this.trustedRoots;
      const snapshot: PolicySnapshot = {
        engine: createEngine({
          policies,
          verifierFor: (p) => verifiers.get(p.name),
          unenforceable,
        }),
        names: policies.map((p) => p.name),
        unenforceable: unenforceable.map((u) => u.name),
        revision,
        loadedAt: new Date(),
        reviewPolicy: (obj) => reviewPolicyObject(obj, trustedRoots, fileNames),
      };
      state.snapshot = snapshot;
      const m = this.options.metrics;
      m.policiesLoaded.set(snapshot.names.length);
      this.clusterPolicies.set(cluster.length);
      m.policyReloads.inc();
      m.policyLastReload.set(snapshot.loadedAt.getTime() / 1000);
      log.info(
        { policies: snapshot.names, revision, unenforceable: snapshot.unenforceable },
        'policies loaded',
      );
      if (policies.length === 0 && unenforceable.length === 0)
        log.warn('no ModelReleasePolicy is defined: every InferenceService is admitted');
    }
    if (this.synced) for (const w of this.syncWaiters.splice(0)) w();
  }

  /** Records one judged version of a CR, with its log line and metric. */
  private verdict(obj: k8s.KubernetesObject, version: string, review: PolicyReview): Judged {
    const log = this.log!;
    const name = obj.metadata?.name ?? '';
    if (review.policy && review.diagnostics.length === 0) {
      this.rejectedGauge.set({ policy: name }, 0);
      log.info({ policy: name, version }, 'policy custom resource accepted');
      if (review.warnings.length > 0)
        log.warn(
          { policy: name, warnings: review.warnings.map(formatDiagnostic) },
          'policy custom resource accepted with warnings',
        );
      return { name, version, accepted: review.policy, verifier: review.verifier };
    }
    const unenforceable = unenforceablePolicy(name, obj, review.diagnostics);
    this.rejectedGauge.set({ policy: name }, 1);
    this.options.metrics.policyReloadErrors.inc();
    log.error(
      {
        policy: name,
        version,
        diagnostics: unenforceable.reasons,
        governs: unenforceable.match ?? 'everything (its match is unreadable or absent)',
        mode: unenforceable.mode,
      },
      'policy custom resource is invalid; every object it may govern is refused until it is fixed',
    );
    return { name, version, unenforceable };
  }
}

/** One CR as last judged: its policy, or why it cannot be enforced. */
interface Judged {
  name: string;
  /** uid and generation: a status write changes neither, a spec change or a re-creation does. */
  version: string;
  accepted?: LoadedPolicy;
  verifier?: SignatureCheck | undefined;
  unenforceable?: UnenforceablePolicy;
}

function versionOf(obj: k8s.KubernetesObject): string {
  const m = obj.metadata ?? {};
  return `${m.uid ?? ''}/${m.generation ?? `rv${m.resourceVersion ?? ''}`}`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
