import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { REPO } from './helpers/paths.js';

/**
 * What the design says about the packages, enforced. Dependencies run plugin → policies ← webhook:
 * policies imports neither consumer, the consumers never import each other, and nobody reaches
 * into another package's files. policies is pure: no network module and no `fetch`. Every package
 * a workspace imports is declared in its package.json. Every allowance below says why.
 */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(n) ? [p] : [];
  });
}

interface Import {
  spec: string;
  /** `import type` / `export type`: erased from the build, nothing loads at run time. */
  typeOnly: boolean;
}
const IMPORT = /(?:(import|export)\s+(type\s+)?[^'"]*?\bfrom|import\s*\(?)\s*['"]([^'"]+)['"]/g;
function importsOf(text: string): Import[] {
  return [...text.matchAll(IMPORT)].map((m) => ({ spec: m[3]!, typeOnly: m[2] !== undefined }));
}

/** The package an import names: `@scope/name` or `name`, without a subpath. */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
const isBuiltin = (spec: string) =>
  spec.startsWith('node:') || builtinModules.includes(packageOf(spec));

interface Allowance {
  spec: RegExp;
  why: string;
}
const ALLOWED: Record<string, Allowance[]> = {
  policies: [
    { spec: /^yaml(\/util)?$/, why: 'the YAML reader, with its Kubernetes-compatible schema' },
    { spec: /^ajv$/, why: 'JSON Schema validation of ModelRelease and ModelReleasePolicy' },
    { spec: /^ajv\/dist\/runtime\//, why: 'the runtime the generated standalone validator needs' },
    { spec: /^json-schema-to-ts$/, why: 'types derived from the schemas (type-only)' },
    { spec: /^@sigstore\//, why: 'Sigstore bundle parsing and verification' },
    { spec: /^re2js$/, why: 'linear-time identity regexes from policy authors' },
    {
      spec: /^@prometheus-io\/lezer-promql$/,
      why: "the Prometheus project's PromQL parser, to check analysis queries when they load",
    },
    {
      spec: /^@noble\/curves\/nist\.js$/,
      why: 'prehashed ECDSA verification (node:crypto always hashes)',
    },
  ],
  plugin: [
    {
      spec: /^@aviary\/policies(\/(engine|signature|analysis))?$/,
      why: 'the shared core, by its entries',
    },
    { spec: /^yaml$/, why: 'emitting manifests' },
    { spec: /^json-schema-to-ts$/, why: 'types derived from the test-suite schema (type-only)' },
    {
      spec: /^prom-client$/,
      why: "the analyzer's /metrics, in the registry Prometheus users know",
    },
  ],
  webhook: [
    { spec: /^@aviary\/policies(\/(engine|signature))?$/, why: 'the shared core, by its entries' },
    { spec: /^fastify$/, why: 'the HTTPS server' },
    { spec: /^pino$/, why: "the log destination (fastify's own logger, batched writes)" },
    { spec: /^@fastify\//, why: "fastify's own plugins" },
    { spec: /^@kubernetes\/client-node$/, why: 'watching policies and namespaces in the cluster' },
    { spec: /^@peculiar\/x509$/, why: 'the --self-signed development certificate' },
    { spec: /^reflect-metadata$/, why: 'the polyfill @peculiar/x509 requires' },
    { spec: /^json-schema-to-ts$/, why: 'types derived from schemas (type-only)' },
    { spec: /^prom-client$/, why: 'the Prometheus metrics registry' },
  ],
};

/** Node modules that reach the network; policies must import none of them. */
const NETWORK_MODULES = ['http', 'https', 'http2', 'net', 'tls', 'dns', 'dgram', 'undici'];
/** Globals that reach the network. */
const NETWORK_GLOBALS = /\b(fetch|WebSocket|EventSource|XMLHttpRequest)\b/g;
const COMMENTS = /\/\*[\s\S]*?\*\/|(^|[^:'"`])\/\/.*$/gm;

function networkUses(text: string): string[] {
  const code = text.replace(COMMENTS, '$1');
  return [
    ...importsOf(code)
      .map((i) => i.spec)
      .filter((s) => NETWORK_MODULES.includes(packageOf(s.replace(/^node:/, '')))),
    ...[...code.matchAll(NETWORK_GLOBALS)].map((m) => m[1]!),
  ];
}

/**
 * Imports a workspace need not declare, each with the reason. Type-only imports of the root's
 * devDependencies are one general case: they are erased from the build, and the compiler that
 * reads them is the root's.
 */
const UNDECLARED_OK: Record<string, string> = {};
const rootDevDependencies = Object.keys(
  (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Record<string, object>)[
    'devDependencies'
  ] ?? {},
);

function declared(pkg: string): Set<string> {
  const json = JSON.parse(readFileSync(path.join(REPO, pkg, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return new Set(
    ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) =>
      Object.keys((json[k] as object | undefined) ?? {}),
    ),
  );
}

for (const pkg of Object.keys(ALLOWED)) {
  t.test(`${pkg} imports only what it may`, async (t) => {
    const files = sources(path.join(REPO, pkg, 'src'));
    t.ok(files.length > 0, 'has sources');
    for (const file of files) {
      const rel = path.relative(REPO, file);
      for (const { spec } of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = path.relative(
            path.join(REPO, pkg),
            path.resolve(path.dirname(file), spec),
          );
          t.notOk(target.startsWith('..'), `${rel}: relative import ${spec} stays inside ${pkg}/`);
          continue;
        }
        if (isBuiltin(spec)) continue;
        t.ok(
          ALLOWED[pkg]!.some((a) => a.spec.test(spec)),
          `${rel}: ${spec} is an allowed dependency of ${pkg}`,
        );
      }
    }
  });

  t.test(`${pkg} declares every package it imports`, async (t) => {
    const deps = declared(pkg);
    const missing = new Set<string>();
    for (const file of sources(path.join(REPO, pkg, 'src'))) {
      for (const { spec, typeOnly } of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.') || isBuiltin(spec)) continue;
        const name = packageOf(spec);
        if (deps.has(name) || name in UNDECLARED_OK) continue;
        if (typeOnly && rootDevDependencies.includes(name)) continue;
        missing.add(`${path.relative(REPO, file)}: ${name}`);
      }
    }
    t.same([...missing].sort(), [], `undeclared in ${pkg}/package.json`);
  });
}

t.test('policies reaches no network', async (t) => {
  const files = sources(path.join(REPO, 'policies', 'src'));
  const uses = files.flatMap((f) =>
    networkUses(readFileSync(f, 'utf8')).map((u) => `${path.relative(REPO, f)}: ${u}`),
  );
  t.same(uses, [], 'network modules or globals in policies/src');
});

t.test('every allowance and exemption says why', async (t) => {
  for (const [pkg, list] of Object.entries(ALLOWED))
    for (const a of list) t.ok(a.why.trim().length > 5, `${pkg}: ${a.spec} has a reason`);
  for (const [name, why] of Object.entries(UNDECLARED_OK))
    t.ok(why.trim().length > 5, `${name} has a reason`);
});

t.test('the rules catch what they forbid', async (t) => {
  t.notOk(ALLOWED['plugin']!.some((a) => a.spec.test('@aviary/webhook')));
  t.notOk(ALLOWED['webhook']!.some((a) => a.spec.test('@aviary/plugin')));
  t.notOk(
    ALLOWED['policies']!.some((a) => a.spec.test('@aviary/plugin') || a.spec.test('fastify')),
  );
  t.same(
    networkUses(
      [
        "import http from 'node:http';",
        "import { connect } from 'tls';",
        "const r = await import('node:dns/promises');",
        'const res = await fetch(url);',
        '// fetch in a comment is fine',
      ].join('\n'),
    ),
    ['node:http', 'tls', 'node:dns/promises', 'fetch'],
  );
  t.same(importsOf("import type { A } from 'a';\nimport { type B, c } from 'b';"), [
    { spec: 'a', typeOnly: true },
    { spec: 'b', typeOnly: false },
  ]);
  t.equal(packageOf('@aviary/policies/engine'), '@aviary/policies');
  t.equal(packageOf('yaml/util'), 'yaml');
});
