// Bundles each CLI into one ESM entry plus lazily loaded chunks (`npm run build` runs this after
// tsc). A CMP command is a fresh process per Argo CD call, so resolving and loading hundreds of
// small modules at start-up is what a bundle saves.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// yaml's ESM build (published for browsers, but plain ECMAScript) lets esbuild drop the parts
// aviary never calls; its CommonJS build for Node cannot be tree-shaken. `yaml/util` must come
// from the same build: tags from another copy of the library do not match its node classes.
const yamlEsm: Plugin = {
  name: 'yaml-esm',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({
      path: path.join(repo, 'node_modules/yaml/browser/index.js'),
    }));
    b.onResolve({ filter: /^yaml\/util$/ }, () => ({
      path: path.join(repo, 'node_modules/yaml/browser/dist/util.js'),
    }));
  },
};

rmSync(path.join(repo, 'plugin/dist/bundle'), { recursive: true, force: true });
rmSync(path.join(repo, 'plugin/dist/snapshot'), { recursive: true, force: true });
await build({
  entryPoints: [path.join(repo, 'plugin/src/cli.ts')],
  outdir: path.join(repo, 'plugin/dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['aviary-source'],
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __aviaryRequire } from 'node:module'; const require = __aviaryRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [yamlEsm],
  minifySyntax: true,
  minifyWhitespace: true,
});

// The start-up snapshot entry: one CommonJS file (a snapshot can only require built-in modules),
// then the blob itself for the Node.js running this build (a blob only works with the binary that
// wrote it, so the plugin image builds its own).
const snapshotDir = path.join(repo, 'plugin/dist/snapshot');
await build({
  entryPoints: [path.join(repo, 'plugin/src/snapshot.ts')],
  outfile: path.join(snapshotDir, 'aviary.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  conditions: ['aviary-source'],
  // import.meta.url locates the shipped trusted root; in CommonJS it is this file's own URL.
  define: { 'import.meta.url': '__aviaryFileUrl' },
  banner: { js: "const __aviaryFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [yamlEsm],
  minifySyntax: true,
  minifyWhitespace: true,
});
const snap = spawnSync(
  process.execPath,
  [
    '--snapshot-blob',
    path.join(snapshotDir, 'aviary.blob'),
    '--build-snapshot',
    path.join(snapshotDir, 'aviary.cjs'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
);
if (snap.status !== 0) {
  process.stderr.write(
    `bundle: building the start-up snapshot failed (exit ${snap.status ?? snap.signal})\n`,
  );
  process.exit(1);
}
