// Bundles each CLI into one ESM entry plus lazily loaded chunks (`npm run build` runs this after
// tsc). A CMP command is a fresh process per Argo CD call, so resolving and loading hundreds of
// small modules at start-up is what a bundle saves.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
rmSync(path.join(repo, 'plugin/dist/bundle'), { recursive: true, force: true });
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
  // yaml's ESM build (published for browsers, but plain ECMAScript) lets esbuild drop the parts
  // aviary never calls; its CommonJS build for Node cannot be tree-shaken.
  plugins: [
    {
      name: 'yaml-esm',
      setup(b) {
        b.onResolve({ filter: /^yaml$/ }, () => ({
          path: path.join(repo, 'node_modules/yaml/browser/index.js'),
        }));
      },
    },
  ],
  minifySyntax: true,
  minifyWhitespace: true,
});
