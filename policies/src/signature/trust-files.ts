import { readFile, stat } from 'node:fs/promises';
import type { CodeIn } from '../codes.js';
import type { Diagnostic } from '../errors.js';
import { UsageError } from '../errors.js';
import { DEFAULT_TRUSTED_ROOT } from './config.js';
import { isObject } from '../object.js';
import { keylessVerifier, loadPublicGoodTrustedRoot } from './trusted-root.js';

/** Where each trusted root came from: `built-in`, or the file it was read from. */
export type TrustedRootOrigins = Record<string, string>;

export const BUILT_IN = 'built-in';
// The shipped public-good root is ~10 KiB; a private deployment's a few times that.
const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// Every trusted_root.json version of the Sigstore spec starts its media type this way.
const MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=';

/**
 * The `--trusted-root NAME=FILE` flags of the webhook and the CLI, one implementation for both.
 * A name given twice is refused (which one would win is no guess to leave to flag order).
 * `public-good=FILE` replaces the built-in root.
 */
export function parseTrustedRootFlags(pairs: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, Math.max(eq, 0));
    const file = pair.slice(eq + 1);
    if (eq < 0 || !NAME.test(name) || file === '')
      throw new UsageError(
        'USAGE_INVALID',
        `--trusted-root must be NAME=FILE (NAME in lowercase letters, digits and -), not ${JSON.stringify(pair)}`,
      );
    if (Object.hasOwn(files, name))
      throw new UsageError('USAGE_INVALID', `--trusted-root ${name} is given twice`);
    files[name] = file;
  }
  return files;
}

/**
 * The trusted roots verification uses: the bundled public-good root unless a file replaces it,
 * plus every named file. Each file must be a Sigstore trusted root sigstore-js can turn into
 * trust material; anything else is an error, never a silent fallback to the built-in root (a
 * revocation that quietly did not apply would be worse than a refusal to start).
 */
export async function loadTrustedRoots(files: Readonly<Record<string, string>> = {}): Promise<{
  trustedRoots: Record<string, unknown>;
  origins: TrustedRootOrigins;
  diagnostics: Diagnostic[];
}> {
  const diagnostics: Diagnostic[] = [];
  const trustedRoots: Record<string, unknown> = {};
  const origins: TrustedRootOrigins = {};
  if (!Object.hasOwn(files, DEFAULT_TRUSTED_ROOT)) {
    try {
      trustedRoots[DEFAULT_TRUSTED_ROOT] = loadPublicGoodTrustedRoot();
      origins[DEFAULT_TRUSTED_ROOT] = BUILT_IN;
    } catch (err) {
      diagnostics.push({
        code: 'TRUST_ROOT_READ_FAILED',
        message: `cannot load the bundled public-good trusted root: ${(err as Error).message}`,
      });
    }
  }
  for (const [name, file] of Object.entries(files)) {
    const root = await readTrustedRoot(name, file);
    if ('diagnostic' in root) diagnostics.push(root.diagnostic);
    else {
      trustedRoots[name] = root.value;
      origins[name] = file;
    }
  }
  return { trustedRoots, origins, diagnostics };
}

async function readTrustedRoot(
  name: string,
  file: string,
): Promise<{ value: unknown } | { diagnostic: Diagnostic }> {
  const problem = (code: CodeIn<'trust'>, message: string) => ({
    diagnostic: { code, message: `trusted root "${name}": ${message}`, file },
  });
  let text: string;
  try {
    if ((await stat(file)).size > MAX_TRUSTED_ROOT_BYTES) throw new Error('too large');
    text = await readFile(file, 'utf8');
  } catch {
    return problem(
      'TRUST_ROOT_READ_FAILED',
      `cannot read (or larger than ${MAX_TRUSTED_ROOT_BYTES} bytes)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return problem('TRUST_ROOT_INVALID', 'not JSON');
  }
  const mediaType = isObject(value) ? value['mediaType'] : undefined;
  if (typeof mediaType !== 'string' || !mediaType.startsWith(MEDIA_TYPE))
    return problem('TRUST_ROOT_INVALID', `mediaType is not ${MEDIA_TYPE}…`);
  try {
    keylessVerifier(value);
  } catch (err) {
    return problem('TRUST_ROOT_INVALID', `unusable: ${(err as Error).message}`);
  }
  return { value };
}
