import * as k8s from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import { isObject } from '@aviary/policies';

/** The `Ready` condition Aviary writes on each ModelReleasePolicy (metav1.Condition's shape). */
export interface ReadyCondition {
  type: 'Ready';
  status: 'True' | 'False';
  /** `Enforced`: loaded as written. `Invalid`: what it may govern is refused until fixed. */
  reason: 'Enforced' | 'Invalid';
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** The apiserver keeps condition messages to 32 KiB; a shorter one stays readable in kubectl. */
export const MAX_CONDITION_MESSAGE = 1024;

export function readyCondition(
  verdict: { ok: true; mode: string } | { ok: false; reasons: readonly string[] },
  generation: number | undefined,
): Omit<ReadyCondition, 'lastTransitionTime'> {
  const message = verdict.ok
    ? `enforced as written (mode ${verdict.mode})`
    : `invalid, so every object it may govern is refused: ${verdict.reasons.join('; ')}`;
  return {
    type: 'Ready',
    status: verdict.ok ? 'True' : 'False',
    reason: verdict.ok ? 'Enforced' : 'Invalid',
    message:
      message.length <= MAX_CONDITION_MESSAGE
        ? message
        : `${message.slice(0, MAX_CONDITION_MESSAGE - 1)}…`,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

type Wanted = Omit<ReadyCondition, 'lastTransitionTime'>;

function current(obj: k8s.KubernetesObject): Partial<ReadyCondition> | undefined {
  const status = (obj as { status?: { conditions?: unknown } }).status;
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  return conditions.find((c): c is Partial<ReadyCondition> => isObject(c) && c['type'] === 'Ready');
}

const same = (a: Partial<ReadyCondition> | undefined, b: Wanted) =>
  a !== undefined &&
  a.status === b.status &&
  a.reason === b.reason &&
  a.message === b.message &&
  a.observedGeneration === b.observedGeneration;

/**
 * Writes the `Ready` condition of policy custom resources through the status subresource, only
 * when it differs from what is stored, so every replica converges on the same status and a write
 * (which the informer sees as a change) never starts a loop. Failures are logged and retried on
 * the next change; enforcement never waits for a status write.
 */
export class PolicyStatusWriter {
  private readonly api: k8s.CustomObjectsApi;
  /** Name → the condition last sent, so a slow write is not repeated by the next rebuild. */
  private readonly sent = new Map<string, string>();

  constructor(
    kc: k8s.KubeConfig,
    private readonly resource: { group: string; version: string; plural: string },
    private readonly log: () => FastifyBaseLogger | undefined,
  ) {
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  sync(obj: k8s.KubernetesObject, wanted: Wanted): void {
    const name = obj.metadata?.name;
    if (name === undefined) return;
    const stored = current(obj);
    if (same(stored, wanted)) {
      this.sent.delete(name);
      return;
    }
    const key = JSON.stringify(wanted);
    if (this.sent.get(name) === key) return;
    this.sent.set(name, key);
    const keepTime = stored?.status === wanted.status && stored.lastTransitionTime !== undefined;
    const condition: ReadyCondition = {
      ...wanted,
      lastTransitionTime: keepTime ? stored.lastTransitionTime! : new Date().toISOString(),
    };
    this.api
      .patchClusterCustomObjectStatus({
        ...this.resource,
        name,
        // A JSON patch "add" replaces the member when it exists. The informer sees the result.
        body: [{ op: 'add', path: '/status', value: { conditions: [condition] } }],
      })
      .catch((err: unknown) => {
        if (this.sent.get(name) === key) this.sent.delete(name);
        this.log()?.warn(
          { policy: name, err: { message: (err as Error)?.message ?? String(err) } },
          'could not write the policy status (enforcement is unaffected)',
        );
      });
  }

  forget(name: string): void {
    this.sent.delete(name);
  }
}
