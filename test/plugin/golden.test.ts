import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { kserveRules } from '@aviary/policies';
import { emitYamlStream, renderApp } from '@aviary/plugin';
import { goldenCases } from '../helpers/golden.js';
import { loadStrictIsvcValidator } from '../helpers/kserve-crd.js';

const update = process.env['AVIARY_UPDATE_GOLDEN'] === '1';
const validateIsvc = loadStrictIsvcValidator();

for (const c of goldenCases()) {
  t.test(c.name, async (t) => {
    const opts = {
      appDir: c.appDir,
      root: c.root,
      defaultMode: c.mode,
      namespace: c.namespace ?? '',
      targetNamespace: c.namespace,
    };
    const first = await renderApp(opts);
    t.same(first.diagnostics, [], 'renders without diagnostics');
    const text = emitYamlStream(first.objects);
    const second = emitYamlStream((await renderApp(opts)).objects);
    t.equal(second, text, 'rendering twice is byte-identical');
    if (update) {
      mkdirSync(path.dirname(c.expected), { recursive: true });
      writeFileSync(c.expected, text);
    }
    t.equal(text, readFileSync(c.expected, 'utf8'), 'matches the committed golden file');

    const docs = parseAllDocuments(text);
    for (const doc of Array.isArray(docs) ? docs : []) {
      const obj = doc.toJS() as Record<string, any>;
      t.type(obj['apiVersion'], 'string');
      t.type(obj['kind'], 'string');
      t.notOk(obj['metadata']?.labels?.['app.kubernetes.io/instance'], 'no Argo CD tracking label');
      if (obj['kind'] !== 'InferenceService') continue;
      const valid = validateIsvc(obj);
      t.ok(valid, `${obj['metadata'].name} is valid against the KServe v0.20.0 CRD`, {
        errors: validateIsvc.errors,
      });
      t.same(kserveRules(obj, c.namespace ?? 'default'), [], 'passes the KServe webhook rules');
    }
  });
}
