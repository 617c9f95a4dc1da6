import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm test` runs this between the suite and `tap report` (then test/tools/coverage-check.ts
 * applies the thresholds of .taprc to policies/src). tsx compiles each file to one line and leaves
 * the source out of its source map (it adds it only under NODE_V8_COVERAGE, while tap measures
 * through the inspector), so the report would count every TypeScript file as a single line.
 * Filling in each map's source from disk lets the report map coverage back to lines and branches.
 */
const dir = path.resolve('.tap/coverage');
interface SourceMapEntry {
  data?: { sources?: string[]; sourcesContent?: (string | null)[] } | null;
}

for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  const file = path.join(dir, name);
  const coverage = JSON.parse(readFileSync(file, 'utf8')) as {
    'source-map-cache'?: Record<string, SourceMapEntry>;
  };
  let changed = false;
  for (const entry of Object.values(coverage['source-map-cache'] ?? {})) {
    const map = entry.data;
    if (map?.sources?.length !== 1 || map.sourcesContent?.[0] !== null) continue;
    const source = map.sources[0]!;
    if (!source.startsWith('file:')) continue;
    try {
      map.sourcesContent = [readFileSync(fileURLToPath(source), 'utf8')];
      changed = true;
    } catch {
      // Gone since the run: the report keeps it as one line.
    }
  }
  if (changed) writeFileSync(file, JSON.stringify(coverage));
}
