import path from 'node:path';
import {
  governedKindOfObject,
  isGovernedObject,
  type Code,
  type Diagnostic,
} from '@aviary/policies';
import type { CommandIO } from '../io.js';
import { readObjectsFromFile } from '../source/objects.js';
import type { PolicyTestSuite } from './schema.js';

type Case = PolicyTestSuite['cases'][number];
type Where = (p: (string | number)[]) => Omit<Diagnostic, 'code' | 'message'>;
type Obj = Record<string, unknown>;

/**
 * Resolves one case to exactly what the apiserver would send: one governed object, its old version
 * on UPDATE, and its namespace. Anything a case could mean two ways is an error at the case's line,
 * so a suite can never pass by testing something other than what it says.
 */
export async function caseInput(
  io: CommandIO,
  base: string,
  c: Case,
  at: Where,
): Promise<{ target: Obj; oldObject?: Obj; namespace?: string } | { diagnostics: Diagnostic[] }> {
  const operation = c.operation ?? (c.old === undefined ? 'CREATE' : 'UPDATE');
  if ((operation === 'UPDATE') !== (c.old !== undefined))
    return {
      diagnostics: [
        {
          code: 'TEST_SCHEMA',
          message: `case "${c.name}": ${operation === 'UPDATE' ? 'UPDATE needs old' : 'CREATE has no old object'}`,
          ...at(['operation']),
        },
      ],
    };
  const one = await governedIn(io, base, c, 'object', at);
  if (!('object' in one)) return one;
  const target = one.object;
  let oldObject: Obj | undefined;
  if (c.old !== undefined) {
    const old = await governedIn(io, base, c, 'old', at);
    if (!('object' in old)) return old;
    if (old.object['kind'] !== target['kind'])
      return fail(
        at(['old']),
        'TEST_NO_OBJECT',
        `case "${c.name}": old is not a ${String(target['kind'])}`,
      );
    oldObject = old.object;
  }
  // A cluster-scoped kind (ClusterServingRuntime) serves every namespace: every policy judges it.
  if (governedKindOfObject(target)?.namespaced === false) return { target, oldObject };
  const own = [target, oldObject].map(namespaceOf).filter((n) => n !== undefined);
  const namespace = c.namespace ?? own[0] ?? 'default';
  if (own.some((n) => n !== namespace))
    return fail(
      at([c.namespace === undefined ? 'object' : 'namespace']),
      'TEST_NAMESPACE_CONFLICT',
      `case "${c.name}": the objects name namespace ${own.join(', ')}, the case ${namespace}`,
    );
  return { target, oldObject, namespace };
}

async function governedIn(
  io: CommandIO,
  base: string,
  c: Case,
  key: 'object' | 'old',
  at: Where,
): Promise<{ object: Obj } | { diagnostics: Diagnostic[] }> {
  const file = c[key]!;
  const r = await readObjectsFromFile(path.resolve(base, file), io.cwd);
  if (r.diagnostics.length > 0) return { diagnostics: r.diagnostics };
  const governed = r.objects.filter((o) => isGovernedObject(o.object));
  if (governed.length === 1) return { object: governed[0]!.object };
  return governed.length === 0
    ? fail(
        at([key]),
        'TEST_NO_OBJECT',
        `case "${c.name}": no InferenceService, TrainedModel or serving runtime in ${file}`,
      )
    : fail(
        at([key]),
        'TEST_AMBIGUOUS_OBJECT',
        `case "${c.name}": ${file} holds ${governed.length} governed objects (${governed.map((o) => o.origin).join(', ')}); a case judges one`,
      );
}

function namespaceOf(o: Obj | undefined): string | undefined {
  const ns = (o?.['metadata'] as Obj | undefined)?.['namespace'];
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}

function fail(
  where: Omit<Diagnostic, 'code' | 'message'>,
  code: Code,
  message: string,
): { diagnostics: Diagnostic[] } {
  return { diagnostics: [{ code, message, ...where }] };
}
