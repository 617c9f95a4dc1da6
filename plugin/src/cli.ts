import { UsageError } from '@aviary/policies';
import { CHECK_USAGE, check } from './commands/check.js';
import { generate } from './commands/generate.js';
import { parameters } from './commands/parameters.js';
import { RENDER_USAGE, render } from './commands/render.js';
import { testCommand } from './commands/test.js';
import { EXIT, type CommandIO } from './io.js';
import { reportError } from './report.js';

const USAGE = `usage: aviary <command>

Argo CD plugin commands (run by argocd-cmp-server in the app folder):
  generate            render the app folder to manifests on stdout
  parameters          print the parameter announcement (JSON)

Outside Argo CD:
  ${RENDER_USAGE}
  ${CHECK_USAGE}
  aviary test [DIR]     run the *.aviary-test.yaml policy test suites under DIR
`;

/** The whole CLI as a function of its inputs; `bin/aviary.js` only sets the process exit code. */
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
