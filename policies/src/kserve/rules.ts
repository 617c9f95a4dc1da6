import type { CodeIn } from '../codes.js';
import type { Finding } from '../finding.js';
import { FRAMEWORK_KEYS } from './locations.js';
import { DEPLOYMENT_MODE_ANNOTATION } from './types.js';
import { isObject, type Obj } from '../object.js';

/**
 * The checks KServe's own validating webhook (v0.20) makes that its CRD schema cannot express,
 * plus the name-length limit KServe only discovers at reconcile time. Input is untrusted, so every
 * field is type-checked before use.
 */

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** KServe's predictor implementations; exactly one may be set per component. */
export const PREDICTOR_IMPLEMENTATIONS = ['model', ...FRAMEWORK_KEYS] as const;
/** Host names are `{name}-predictor-{namespace}` (plus tags); DNS labels stop at 63. */
const DNS_LABEL_MAX = 63;
const CANARY_FORBIDDEN = [
  'workerSpec',
  'maxReplicas',
  'scaleTarget',
  'scaleMetric',
  'autoScaling',
] as const;

type KserveFinding = Finding<CodeIn<'kserve'>>;

export function kserveRules(isvc: unknown, namespace: string | undefined): KserveFinding[] {
  const out: KserveFinding[] = [];
  if (!isObject(isvc)) return [{ code: 'KSERVE_NOT_OBJECT', path: '', message: 'not an object' }];
  const meta = isObject(isvc['metadata']) ? isvc['metadata'] : {};
  const spec = isObject(isvc['spec']) ? isvc['spec'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const ns = namespace ?? (typeof meta['namespace'] === 'string' ? meta['namespace'] : '');
  const annotations = isObject(meta['annotations']) ? meta['annotations'] : {};
  const mode = annotations[DEPLOYMENT_MODE_ANNOTATION];

  if (!NAME.test(name)) {
    out.push({
      code: 'KSERVE_NAME_INVALID',
      path: 'metadata.name',
      message: `"${name}" must match ${NAME.source}`,
    });
  }
  const tagPrefix =
    annotations['serving.kserve.io/enable-tag-routing'] === 'true' ? 'latest-'.length : 0;
  const hostLength = tagPrefix + name.length + '-predictor-'.length + ns.length;
  if (hostLength > DNS_LABEL_MAX) {
    out.push({
      code: 'KSERVE_NAME_TOO_LONG',
      path: 'metadata.name',
      message: `name "${name}" with namespace "${ns}" gives a ${hostLength}-character host label; the limit is ${DNS_LABEL_MAX}`,
    });
  }
  if (mode !== undefined && mode !== 'Knative' && mode !== 'Standard') {
    out.push({
      code: 'KSERVE_MODE_NONCANONICAL',
      path: `metadata.annotations["${DEPLOYMENT_MODE_ANNOTATION}"]`,
      message: `deployment mode must be Knative or Standard, not ${JSON.stringify(mode)}`,
    });
  }

  const predictor = isObject(spec['predictor']) ? spec['predictor'] : undefined;
  if (predictor === undefined) {
    out.push({
      code: 'KSERVE_PREDICTOR_MISSING',
      path: 'spec.predictor',
      message: 'spec.predictor is required',
    });
    return out;
  }
  checkComponent(predictor, 'spec.predictor', out);
  for (const impl of PREDICTOR_IMPLEMENTATIONS) {
    const body = predictor[impl];
    if (isObject(body) && body['name'] !== undefined) {
      out.push({
        code: 'KSERVE_STABLE_IMPL_NAME',
        path: `spec.predictor.${impl}.name`,
        message: 'the stable predictor implementation must not set name',
      });
    }
  }
  const stableName = typeof predictor['name'] === 'string' ? predictor['name'] : undefined;
  if (stableName !== undefined)
    checkPredictorName(stableName, 'spec.predictor.name', name, ns, out);

  const canary = spec['canary'];
  if (canary !== undefined) {
    if (!Array.isArray(canary)) {
      out.push({
        code: 'KSERVE_CANARY_INVALID',
        path: 'spec.canary',
        message: 'spec.canary must be a list',
      });
      return out;
    }
    if (canary.length > 0 && mode !== 'Standard') {
      out.push({
        code: 'KSERVE_CANARY_MODE',
        path: 'spec.canary',
        message: 'spec.canary needs the Standard deployment mode',
      });
    }
    let sum = 0;
    const names = new Set<string>();
    const stableMin = typeof predictor['minReplicas'] === 'number' ? predictor['minReplicas'] : 1;
    canary.forEach((entry: unknown, i) => {
      const base = `spec.canary[${i}]`;
      if (!isObject(entry)) {
        out.push({ code: 'KSERVE_CANARY_INVALID', path: base, message: 'must be an object' });
        return;
      }
      const pct = entry['trafficPercent'];
      if (typeof pct !== 'number' || !Number.isInteger(pct) || pct < 0 || pct > 100) {
        out.push({
          code: 'KSERVE_TRAFFIC_RANGE',
          path: `${base}.trafficPercent`,
          message: 'must be an integer 0..100',
        });
      } else {
        sum += pct;
      }
      const cp = isObject(entry['predictor']) ? entry['predictor'] : undefined;
      if (cp === undefined) {
        out.push({
          code: 'KSERVE_CANARY_INVALID',
          path: `${base}.predictor`,
          message: 'predictor is required',
        });
        return;
      }
      checkComponent(cp, `${base}.predictor`, out);
      const cname = cp['name'];
      if (typeof cname !== 'string') {
        out.push({
          code: 'KSERVE_CANARY_NAME',
          path: `${base}.predictor.name`,
          message: 'a canary predictor needs a name',
        });
      } else {
        if (cname === stableName || names.has(cname)) {
          out.push({
            code: 'KSERVE_CANARY_NAME',
            path: `${base}.predictor.name`,
            message: `canary name "${cname}" must be unique and differ from the stable predictor name`,
          });
        }
        names.add(cname);
        checkPredictorName(cname, `${base}.predictor.name`, name, ns, out);
      }
      for (const field of CANARY_FORBIDDEN) {
        if (cp[field] !== undefined) {
          out.push({
            code: 'KSERVE_CANARY_FIELD',
            path: `${base}.predictor.${field}`,
            message: `a canary must not set ${field}`,
          });
        }
      }
      const cmin = cp['minReplicas'];
      if (typeof cmin === 'number' && cmin > stableMin) {
        out.push({
          code: 'KSERVE_CANARY_REPLICAS',
          path: `${base}.predictor.minReplicas`,
          message: `canary minReplicas ${cmin} exceeds the stable minReplicas ${stableMin}`,
        });
      }
    });
    if (sum > 100) {
      out.push({
        code: 'KSERVE_TRAFFIC_SUM',
        path: 'spec.canary',
        message: `canary traffic adds up to ${sum}%, above 100`,
      });
    }
  }
  for (const component of ['transformer', 'explainer'] as const) {
    const c = spec[component];
    if (isObject(c)) checkComponent(c, `spec.${component}`, out, component);
  }
  return out;
}

function checkPredictorName(
  pname: string,
  path: string,
  isvc: string,
  ns: string,
  out: KserveFinding[],
): void {
  if (!NAME.test(pname)) {
    out.push({
      code: 'KSERVE_NAME_INVALID',
      path,
      message: `"${pname}" must match ${NAME.source}`,
    });
    return;
  }
  const len = isvc.length + 1 + pname.length + '-predictor-'.length + ns.length;
  if (len > DNS_LABEL_MAX) {
    out.push({
      code: 'KSERVE_NAME_TOO_LONG',
      path,
      message: `"${isvc}-${pname}-predictor" with namespace "${ns}" gives a ${len}-character host label; the limit is ${DNS_LABEL_MAX}`,
    });
  }
}

function checkComponent(
  c: Obj,
  path: string,
  out: KserveFinding[],
  kind: 'predictor' | 'transformer' | 'explainer' = 'predictor',
): void {
  if (kind === 'predictor') {
    const impls = PREDICTOR_IMPLEMENTATIONS.filter((k) => c[k] !== undefined);
    const custom = Array.isArray(c['containers']) && c['containers'].length > 0;
    const count = impls.length + (custom ? 1 : 0);
    if (count !== 1) {
      out.push({
        code: 'KSERVE_IMPLEMENTATION_COUNT',
        path,
        message: `exactly one implementation must be set, found ${count}${count > 0 ? ` (${[...impls, ...(custom ? ['containers'] : [])].join(', ')})` : ''}`,
      });
    }
    for (const impl of impls) {
      const body = c[impl];
      if (isObject(body) && body['storageUri'] !== undefined && c['storageUris'] !== undefined) {
        out.push({
          code: 'KSERVE_STORAGE_BOTH',
          path: `${path}.storageUris`,
          message: 'storageUri and storageUris are mutually exclusive',
        });
      }
    }
  }
  const min = c['minReplicas'];
  const max = c['maxReplicas'];
  if (typeof min === 'number' && min < 0)
    out.push({ code: 'KSERVE_REPLICAS', path: `${path}.minReplicas`, message: 'must be >= 0' });
  if (typeof max === 'number' && max < 0)
    out.push({ code: 'KSERVE_REPLICAS', path: `${path}.maxReplicas`, message: 'must be >= 0' });
  if (typeof min === 'number' && typeof max === 'number' && max !== 0 && min > max) {
    out.push({
      code: 'KSERVE_REPLICAS',
      path: `${path}.minReplicas`,
      message: 'minReplicas must not exceed maxReplicas',
    });
  }
  findPythonPath(c, path, out);
}

function findPythonPath(value: unknown, path: string, out: KserveFinding[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => findPythonPath(v, `${path}[${i}]`, out));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'env' && Array.isArray(v)) {
        v.forEach((e: unknown, i) => {
          if (isObject(e) && e['name'] === 'PYTHONPATH') {
            out.push({
              code: 'KSERVE_PYTHONPATH',
              path: `${path}.env[${i}]`,
              message: 'PYTHONPATH may not be set',
            });
          }
        });
      } else {
        findPythonPath(v, `${path}.${k}`, out);
      }
    }
  }
}
