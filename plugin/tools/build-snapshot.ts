// Builds aviary's start-up snapshot (`npm run build` runs this after tsc; the plugin image runs the
// same steps). A snapshot can only be built from one CommonJS script that requires nothing but
// built-in modules, so esbuild first bundles the snapshot entry (plugin/src/snapshot.ts) with its
// dependencies into plugin/dist/snapshot/aviary.cjs; node then writes aviary.blob from it. A blob
// only loads into the node binary that wrote it: this one is for the node running the build.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const plugin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(plugin, 'dist/snapshot');

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [path.join(plugin, 'src/snapshot.ts')],
  outfile: path.join(out, 'aviary.cjs'),
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
});
const snap = spawnSync(
  process.execPath,
  [
    '--snapshot-blob',
    path.join(out, 'aviary.blob'),
    '--build-snapshot',
    path.join(out, 'aviary.cjs'),
  ],
  // Flags a caller put in NODE_OPTIONS (a test runner's loaders) must not reach the saved heap.
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
);
if (snap.status !== 0) {
  process.stderr.write(
    `build-snapshot: node --build-snapshot failed (exit ${snap.status ?? snap.signal})\n`,
  );
  process.exit(1);
}
