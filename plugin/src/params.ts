import { isObject, UsageError, type DeploymentMode } from '@aviary/policies';

/**
 * The plugin's parameters, declared once: this table drives parsing, the announcement Argo CD's UI
 * shows (`aviary parameters`) and plugin/README.md's parameters table. Argo CD never sends announced
 * defaults, so the same defaults are applied here.
 */
export const PARAMETERS = [
  {
    name: 'deployment-mode',
    title: 'Deployment mode',
    tooltip:
      'KServe deployment mode for releases that do not set spec.deployment.mode: Knative or Standard.',
    default: 'Knative',
    pattern: /^(Knative|Standard)$/,
  },
  {
    name: 'namespace',
    title: 'Namespace',
    tooltip:
      'Namespace written on InferenceServices whose ModelRelease sets none. Empty: Argo CD applies the destination namespace.',
    default: '',
    pattern: /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$/,
  },
  {
    name: 'preflight',
    title: 'Policy pre-flight',
    tooltip:
      'Run the admission policies during generate: off, warn (report on stderr) or enforce (fail the sync).',
    default: 'off',
    pattern: /^(off|warn|enforce)$/,
  },
  {
    name: 'policies',
    title: 'Policies path',
    tooltip:
      'ModelReleasePolicy file or folder for the pre-flight, relative to the repository root.',
    default: '',
    pattern: /^([A-Za-z0-9_][A-Za-z0-9_./-]{0,255})?$/,
  },
] as const;

export type ParameterName = (typeof PARAMETERS)[number]['name'];

export interface PluginOptions {
  deploymentMode: DeploymentMode;
  namespace: string;
  preflight: 'off' | 'warn' | 'enforce';
  policies: string;
}

/** Default: 64 KiB. ARGOCD_APP_PARAMETERS larger than this is refused. */
const MAX_PARAMETERS_JSON = 64 * 1024;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads options with the precedence Argo CD plugin users expect: Application parameter
 * (ARGOCD_APP_PARAMETERS, or PARAM_* when that is absent) > Application env (ARGOCD_ENV_AVIARY_*) >
 * sidecar env (AVIARY_*) > default. Values are validated against allow-lists; nothing is ever
 * passed to a shell.
 */
export function readOptions(env: Env): PluginOptions {
  const fromApp = parseAppParameters(env);
  const value = (name: ParameterName): string => {
    const spec = PARAMETERS.find((p) => p.name === name)!;
    const envName = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    const candidates: [string, string | undefined][] = [
      [`parameter "${name}"`, fromApp.get(name)],
      [`ARGOCD_ENV_AVIARY_${envName}`, env[`ARGOCD_ENV_AVIARY_${envName}`]],
      [`AVIARY_${envName}`, env[`AVIARY_${envName}`]],
    ];
    for (const [source, v] of candidates) {
      if (v === undefined) continue;
      if (v.length > 256 || !spec.pattern.test(v)) {
        throw new UsageError(
          'PARAM_INVALID',
          `${source} has an invalid value ${JSON.stringify(v.slice(0, 80))}; expected ${describe(spec.pattern)}`,
        );
      }
      return v;
    }
    return spec.default;
  };
  return Object.freeze({
    deploymentMode: value('deployment-mode') as DeploymentMode,
    namespace: value('namespace'),
    preflight: value('preflight') as PluginOptions['preflight'],
    policies: value('policies'),
  });
}

/**
 * ARGOCD_APP_PARAMETERS is unset for auto-discovered apps, `null` for a plugin section without
 * parameters, otherwise a JSON array whose key order is not guaranteed. When it is unset, the
 * PARAM_* variables are read instead.
 */
function parseAppParameters(env: Env): Map<string, string> {
  const out = new Map<string, string>();
  const raw = env['ARGOCD_APP_PARAMETERS'];
  if (raw === undefined) {
    for (const spec of PARAMETERS) {
      const v = env[`PARAM_${spec.name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`];
      if (v !== undefined) out.set(spec.name, v);
    }
    return out;
  }
  if (raw.length > MAX_PARAMETERS_JSON)
    throw new UsageError(
      'PARAM_INVALID',
      `ARGOCD_APP_PARAMETERS is larger than ${MAX_PARAMETERS_JSON} bytes`,
    );
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? null : JSON.parse(raw);
  } catch {
    throw new UsageError('PARAM_INVALID', 'ARGOCD_APP_PARAMETERS is not valid JSON');
  }
  if (parsed === null) return out;
  if (!Array.isArray(parsed))
    throw new UsageError('PARAM_INVALID', 'ARGOCD_APP_PARAMETERS must be a JSON array');
  for (const [i, item] of parsed.entries()) {
    if (!isObject(item))
      throw new UsageError('PARAM_INVALID', `ARGOCD_APP_PARAMETERS[${i}] must be an object`);
    const p = item;
    const name = p['name'];
    if (typeof name !== 'string' || !PARAMETERS.some((s) => s.name === name)) {
      throw new UsageError(
        'PARAM_INVALID',
        `unknown parameter ${JSON.stringify(typeof name === 'string' ? name.slice(0, 80) : name)}; known: ${PARAMETERS.map((s) => s.name).join(', ')}`,
      );
    }
    if (p['array'] !== undefined || p['map'] !== undefined) {
      const hasItems =
        (Array.isArray(p['array']) && p['array'].length > 0) ||
        (p['map'] !== null && typeof p['map'] === 'object' && Object.keys(p['map']).length > 0);
      if (hasItems)
        throw new UsageError(
          'PARAM_INVALID',
          `parameter "${name}" takes a string, not an array or map`,
        );
    }
    const v = p['string'];
    if (v === undefined) continue;
    if (typeof v !== 'string')
      throw new UsageError('PARAM_INVALID', `parameter "${name}" must be a string`);
    out.set(name, v);
  }
  return out;
}

function describe(pattern: RegExp): string {
  const m = /^\^\(([^)]*)\)\$$/.exec(pattern.source);
  return m?.[1] !== undefined && /^[A-Za-z|]+$/.test(m[1])
    ? `one of ${m[1].split('|').join(', ')}`
    : `a value matching ${pattern.source}`;
}

/** The ParameterAnnouncement list for `aviary parameters` (Argo CD's dynamic parameters). */
export function announcements(current: PluginOptions): unknown[] {
  const values: Record<ParameterName, string> = {
    'deployment-mode': current.deploymentMode,
    namespace: current.namespace,
    preflight: current.preflight,
    policies: current.policies,
  };
  return PARAMETERS.map((p) => ({
    name: p.name,
    title: p.title,
    tooltip: p.tooltip,
    collectionType: 'string',
    itemType: 'string',
    string: values[p.name],
  }));
}
