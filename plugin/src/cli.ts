import { UsageError } from '@aviary/policies';
import { check } from './commands/check.js';
import { generate } from './commands/generate.js';
import { parameters } from './commands/parameters.js';
import { pin } from './commands/pin.js';
import { render } from './commands/render.js';
import { testCommand } from './commands/test.js';
import { verify } from './commands/verify.js';
import { EXIT, type CommandIO } from './io.js';
import { reportError } from './report.js';

const USAGE = `usage: aviary <command>

Argo CD plugin commands (run by argocd-cmp-server in the app folder):
  generate            render the app folder to manifests on stdout
  parameters          print the parameter announcement (JSON)

Outside Argo CD:
  aviary render [DIR] [--root DIR] [--mode Knative|Standard] [--namespace NS] [--out FOLDER]
  aviary check [--policies PATH] [--old FILE] [--operation CREATE|UPDATE] [--namespace NS]
               [--namespace-label K=V]... FILE...
  aviary test [DIR]     run the *.aviary-test.yaml policy test suites under DIR
  aviary verify --bundle FILE --digest sha256:HEX [--policies PATH] [--policy NAME]
  aviary pin FILE --release NAME (--canary [--traffic N] | --stable [--force])
             (--uri URI | --from models:/NAME/VERSION|models:/NAME@ALIAS [--mlflow URL])
             [--storage-map FROM=TO]... [--digest sha256:HEX] [--model-dir DIR]
             [--signature PATH] --policies PATH [--namespace NS]
  aviary analyze [DIR] --prometheus URL [--policies PATH]... [--namespace NS] [--at RFC3339]
                 [--dry-run] [--push] [--json]
  aviary analyze --watch --repo URL --branch B [DIR] --prometheus URL [--every 1m]
                 [--listen HOST:PORT] [--workdir DIR] [--policies PATH]...

  check, test, verify and pin take --trusted-root NAME=FILE (repeatable): a Sigstore
  trusted_root.json for keyless authorities naming NAME; public-good=FILE replaces the
  built-in root, as the webhook's flag does.
`;

/** The CLI on this process's own argv, environment, folder and streams (what the bins run). */
export function runProcess(): Promise<number> {
  return run({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
  });
}

/** The whole CLI as a function of its inputs; the process entry (snapshot.ts) sets the exit code. */
export async function run(io: CommandIO): Promise<number> {
  const [command, ...rest] = io.argv;
  try {
    switch (command) {
      case 'generate':
        return await generate(io);
      case 'parameters':
        return parameters(io);
      case 'render':
        return await render(io, rest);
      case 'check':
        return await check(io, rest);
      case 'test':
        return await testCommand(io, rest);
      case 'verify':
        return await verify(io, rest);
      case 'pin':
        return await pin(io, rest);
      case 'analyze':
        // Loaded on demand, unlike the others: it runs git (node:child_process) and serves HTTP
        // (node:http), which Node does not support in the start-up snapshot every command is
        // built into, and the snapshot only serves Argo CD's generate calls.
        return await (await import('./commands/analyze.js')).analyze(io, rest);
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return EXIT.OK;
      default:
        throw new UsageError(
          'USAGE_INVALID',
          `${command === undefined ? 'no command given' : `unknown command "${command}"`}\n${USAGE}`,
        );
    }
  } catch (err) {
    if (
      err instanceof TypeError &&
      'code' in err &&
      String(err.code).startsWith('ERR_PARSE_ARGS')
    ) {
      return reportError(io, new UsageError('USAGE_INVALID', err.message));
    }
    return reportError(io, err);
  }
}
