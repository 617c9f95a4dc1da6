import t from 'tap';
import { YAML_LIMITS, parseYamlStream } from '@aviary/policies';

const codes = (text: string) => parseYamlStream(text, 'f.yaml').diagnostics.map((d) => d.code);

t.test('a valid stream gives plain values and positions', async (t) => {
  const r = parseYamlStream('a: 1\n---\nb:\n  c: [x, z]\n', 'f.yaml');
  t.same(r.diagnostics, []);
  t.same(
    r.documents.map((d) => d.value),
    [{ a: 1 }, { b: { c: ['x', 'z'] } }],
  );
  t.equal(r.documents[1]!.line, 3);
  t.same(r.documents[1]!.locate(['b', 'c', 1]), { line: 4, column: 10 });
  t.same(
    r.documents[1]!.locate(['b', 'c']),
    { line: 4, column: 3 },
    'a map entry points at its key',
  );
  t.same(
    r.documents[1]!.locate(['b', 'missing']),
    { line: 3, column: 1 },
    'a missing field points at its parent',
  );
});

t.test('read as Kubernetes reads it: YAML 1.1 octal, dates kept as text', async (t) => {
  // The YAML 1.1 cases one by one: kubernetes-meaning.test.ts.
  const r = parseYamlStream('d: 2020-01-01\no: 0755\n', 'f.yaml');
  t.strictSame(r.documents[0]!.value, { d: '2020-01-01', o: 493 });
});

t.test('syntax errors are positioned', async (t) => {
  const r = parseYamlStream('a: 1\nb: [unclosed\n', 'f.yaml');
  t.equal(r.diagnostics[0]!.code, 'YAML_SYNTAX');
  t.equal(r.diagnostics[0]!.file, 'f.yaml');
  t.ok(r.diagnostics[0]!.line! >= 2);
});

t.test('duplicate keys are errors with the line of the duplicate', async (t) => {
  const r = parseYamlStream('a: 1\nb: 2\na: 3\n', 'f.yaml');
  t.match(r.diagnostics, [{ code: 'YAML_DUPLICATE_KEY', line: 3 }]);
  t.same(r.documents, []);
});

t.test('an alias bomb is refused quickly', async (t) => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const start = process.hrtime.bigint();
  t.same(codes(lines.join('\n')), ['YAML_ALIAS_LIMIT']);
  t.ok(Number(process.hrtime.bigint() - start) / 1e6 < 2000, 'bounded work');
});

t.test('an alias without an anchor is a syntax error, not the alias limit', async (t) => {
  t.match(parseYamlStream('a: 1\nb: *nope\n', 'f.yaml').diagnostics, [
    { code: 'YAML_SYNTAX', line: 2 },
  ]);
});

t.test('prototype-polluting keys are refused', async (t) => {
  t.same(codes('a:\n  __proto__:\n    polluted: true\n'), ['YAML_FORBIDDEN_KEY']);
  t.same(codes('constructor: {}\n'), ['YAML_FORBIDDEN_KEY']);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

t.test('nesting, size and document count are bounded', async (t) => {
  const depth = YAML_LIMITS.maxDepth + 2;
  t.same(codes(`${'['.repeat(depth)}${']'.repeat(depth)}\n`), ['YAML_TOO_DEEP']);
  t.same(codes(`a: "${'x'.repeat(YAML_LIMITS.maxBytes)}"\n`), ['YAML_TOO_LARGE']);
  t.same(codes('a: 1\n---\n'.repeat(YAML_LIMITS.maxDocuments + 1)), ['YAML_TOO_MANY_DOCUMENTS']);
});

t.test('an empty stream has no documents and no problems', async (t) => {
  t.same(parseYamlStream('', 'f.yaml'), { documents: [], diagnostics: [] });
});
