import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { REPO } from './helpers/paths.js';

/**
 * Dependencies run plugin → policies ← webhook. policies imports neither consumer, the consumers
 * never import each other, and nobody reaches into another package's files.
 */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(n) ? [p] : [];
  });
}
const IMPORT = /(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;
const NODE_BUILTIN = /^node:/;
const ALLOWED: Record<string, RegExp[]> = {
  policies: [
    /^yaml(\/util)?$/,
    /^ajv$/,
    /^ajv\/dist\/runtime\//,
    /^json-schema-to-ts$/,
    /^@sigstore\//,
    /^re2js$/,
  ],
  plugin: [/^@aviary\/policies(\/(engine|signature))?$/, /^yaml$/, /^json-schema-to-ts$/],
  webhook: [
    /^@aviary\/policies(\/(engine|signature))?$/,
    /^fastify$/,
    /^@fastify\//,
    /^@kubernetes\/client-node$/,
    /^json-schema-to-ts$/,
    /^prom-client$/,
  ],
};

for (const pkg of Object.keys(ALLOWED)) {
  t.test(`${pkg} imports only what it may`, async (t) => {
    const files = sources(path.join(REPO, pkg, 'src'));
    if (pkg !== 'webhook') t.ok(files.length > 0, 'has sources');
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1]!;
        const rel = path.relative(REPO, file);
        if (spec.startsWith('.')) {
          const target = path.relative(
            path.join(REPO, pkg),
            path.resolve(path.dirname(file), spec),
          );
          t.notOk(target.startsWith('..'), `${rel}: relative import ${spec} stays inside ${pkg}/`);
          continue;
        }
        if (NODE_BUILTIN.test(spec)) continue;
        t.ok(
          ALLOWED[pkg]!.some((re) => re.test(spec)),
          `${rel}: ${spec} is an allowed dependency of ${pkg}`,
        );
      }
    }
  });
}

t.test('the rule itself catches a forbidden import', async (t) => {
  t.notOk(ALLOWED['plugin']!.some((re) => re.test('@aviary/webhook')));
  t.notOk(ALLOWED['webhook']!.some((re) => re.test('@aviary/plugin')));
  t.notOk(ALLOWED['policies']!.some((re) => re.test('@aviary/plugin') || re.test('fastify')));
});
