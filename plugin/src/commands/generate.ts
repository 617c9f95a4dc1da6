import { emitYamlStream } from '../emit.js';
import { EXIT, type CommandIO } from '../io.js';
import { cmpRoot } from '../locate-root.js';
import { readOptions } from '../params.js';
import { preflight } from '../preflight.js';
import { renderApp } from '../render/app.js';
import { reportDiagnostics } from '../report.js';

/**
 * `aviary generate`: the CMP generate command. Runs in the app folder the cmp-server unpacked,
 * reads parameters from the CMP environment, prints manifests on stdout only when everything
 * rendered, and fails loudly otherwise.
 */
export async function generate(io: CommandIO): Promise<number> {
  const options = readOptions(io.env);
  const root = cmpRoot(io.cwd, io.env['ARGOCD_APP_SOURCE_PATH']);
  const result = await renderApp({
    appDir: io.cwd,
    root,
    defaultMode: options.deploymentMode,
    namespace: options.namespace,
    targetNamespace: options.namespace || io.env['ARGOCD_APP_NAMESPACE'] || undefined,
  });
  if (result.diagnostics.length > 0) return reportDiagnostics(io, result.diagnostics);
  const checked =
    options.preflight === 'off'
      ? { denied: false, diagnostics: [] }
      : await preflight(
          io,
          options,
          root,
          result.objects,
          io.env['ARGOCD_APP_NAMESPACE'] || undefined,
        );
  if (checked.diagnostics.length > 0) return reportDiagnostics(io, checked.diagnostics);
  if (checked.denied) {
    io.stderr.write(
      'aviary: the pre-flight policy check denied this release; no manifests were written\n',
    );
    return EXIT.DENIED;
  }
  io.stdout.write(emitYamlStream(result.objects));
  io.stderr.write(
    `aviary: rendered ${result.releases.length} release(s), ${result.objects.length} object(s)\n`,
  );
  return EXIT.OK;
}
