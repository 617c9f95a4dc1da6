import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '@aviary/policies';
import { emitYamlStream } from '../emit.js';
import { EXIT, type CommandIO } from '../io.js';
import { gitRoot } from '../locate-root.js';
import { renderApp } from '../render/app.js';
import { writeOutFolder } from '../render/out-folder.js';
import { reportDiagnostics } from '../report.js';

export const RENDER_USAGE =
  'aviary render [DIR] [--root DIR] [--mode Knative|Standard] [--namespace NS] [--out FOLDER]';

/** `aviary render [DIR]`: the same rendering as `generate`, outside Argo CD. */
export async function render(io: CommandIO, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      mode: { type: 'string', default: 'Knative' },
      namespace: { type: 'string', default: '' },
      out: { type: 'string' },
    },
  });
  if (positionals.length > 1)
    throw new UsageError('USAGE_INVALID', `render takes one folder\nusage: ${RENDER_USAGE}`);
  if (values.mode !== 'Knative' && values.mode !== 'Standard') {
    throw new UsageError(
      'USAGE_INVALID',
      `--mode must be Knative or Standard, not ${JSON.stringify(values.mode)}`,
    );
  }
  const appDir = path.resolve(io.cwd, positionals[0] ?? '.');
  const root =
    values.root !== undefined ? path.resolve(io.cwd, values.root) : await gitRoot(appDir);
  const result = await renderApp({
    appDir,
    root,
    defaultMode: values.mode,
    namespace: values.namespace,
    targetNamespace: values.namespace || undefined,
  });
  if (result.diagnostics.length > 0) return reportDiagnostics(io, result.diagnostics);
  if (values.out !== undefined) {
    // For GitOps tools without plugins (Flux): the same objects, one file each.
    const out = path.resolve(io.cwd, values.out);
    const files = await writeOutFolder(out, result.objects as Record<string, unknown>[], [
      appDir,
      root,
    ]);
    io.stdout.write(`wrote ${files.length} files to ${values.out}\n`);
    return EXIT.OK;
  }
  io.stdout.write(emitYamlStream(result.objects));
  return EXIT.OK;
}
