import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, FIXTURES } from './paths.js';

export interface GoldenCase {
  name: string;
  appDir: string;
  root: string;
  expected: string;
  mode: 'Knative' | 'Standard';
  namespace?: string;
}

/**
 * Every example app and every render fixture, each with its committed expected output.
 * Regenerate on purpose with AVIARY_UPDATE_GOLDEN=1.
 */
export function goldenCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const name of readdirSync(EXAMPLES).sort()) {
    const dir = path.join(EXAMPLES, name);
    if (name === 'signatures' || name === 'keys' || !statSync(dir).isDirectory()) continue;
    cases.push({
      name: `examples/${name}`,
      appDir: dir,
      root: EXAMPLES,
      expected: path.join(FIXTURES, 'golden/examples', `${name}.yaml`),
      mode: 'Knative',
    });
  }
  const renderDir = path.join(FIXTURES, 'render');
  for (const name of readdirSync(renderDir).sort()) {
    const root = path.join(renderDir, name);
    cases.push({
      name: `render/${name}`,
      appDir: path.join(root, 'app'),
      root,
      expected: path.join(FIXTURES, 'golden/render', `${name}.yaml`),
      mode: name.includes('standard-default') ? 'Standard' : 'Knative',
      ...(name.includes('namespaced') ? { namespace: 'ml-prod' } : {}),
    });
  }
  return cases;
}
