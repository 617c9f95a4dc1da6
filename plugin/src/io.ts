/** What a command may touch: injected so tests run commands in-process with captured streams. */
export interface CommandIO {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Exit codes shared by every command. */
export const EXIT = Object.freeze({
  OK: 0,
  /** A policy denied, or a signature did not verify. */
  DENIED: 1,
  /** Bad input: the spec, a parameter, a file or the command line. */
  BAD_INPUT: 2,
  /** A bug or an unexpected I/O failure in aviary itself. */
  INTERNAL: 3,
  /** A service `aviary pin` reads (the model registry) is unreachable or failing. */
  UNAVAILABLE: 4,
});
