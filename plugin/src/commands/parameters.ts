import { EXIT, type CommandIO } from '../io.js';
import { announcements, readOptions } from '../params.js';

/** `aviary parameters`: Argo CD's dynamic parameter announcement. Always a JSON array on stdout. */
export function parameters(io: CommandIO): number {
  io.stdout.write(`${JSON.stringify(announcements(readOptions(io.env)))}\n`);
  return EXIT.OK;
}
