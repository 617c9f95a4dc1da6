import t from 'tap';
import { parseYamlStream } from '@aviary/policies';

/**
 * Files are read the way kubectl and Argo CD read them (sigs.k8s.io/yaml over go-yaml v2). Every
 * expected value below is what that reader gives for the same text, as observed with the real Go
 * code (policies/src/yaml/README.md); test/plugin/yaml-meaning.test.ts checks the same cases
 * against it directly.
 */

const value = (text: string) => {
  const r = parseYamlStream(text, 'f.yaml');
  return { diagnostics: r.diagnostics, value: r.documents[0]?.value };
};
const refused = (text: string) =>
  parseYamlStream(text, 'f.yaml').diagnostics.map((d) => ({
    code: d.code,
    line: d.line,
  }));

t.test('octal, hex and binary integers, with or without underscores', async (t) => {
  t.strictSame(value('a: 0644\nb: 0o644\nc: 0O644\nd: 0x1F\ne: 0b101\nf: 1_000\ng: 0_x_1F\n'), {
    diagnostics: [],
    value: { a: 420, b: 420, c: 420, d: 31, e: 5, f: 1000, g: 31 },
  });
  t.strictSame(value('a: 08\nb: 1e3\nc: .5\nd: -_.5\ne: 1.\n').value, {
    a: 8,
    b: 1000,
    c: 0.5,
    d: -0.5,
    e: 1,
  });
});

t.test('yes/no/on/off/y/n are booleans in their exact spellings only', async (t) => {
  t.strictSame(value('a: [yes, no, on, off, y, n, Y, N, YES, Off, True, yEs, tRue]\n').value, {
    a: [true, false, true, false, true, false, true, false, true, false, true, 'yEs', 'tRue'],
  });
  t.strictSame(value('a: [~, null, NULL, ""]\n').value, { a: [null, null, null, ''] });
});

t.test('a plain << merges; a quoted one is an ordinary key', async (t) => {
  const base = 'base: &b {a: 1, c: 2}\n';
  t.strictSame(value(`${base}m: {<<: *b, c: 3}\n`).value, {
    base: { a: 1, c: 2 },
    m: { a: 1, c: 3 },
  });
  t.strictSame(value(`${base}m: {<<: [{a: 9, z: 9}, *b]}\n`).value?.['m' as never], {
    a: 9,
    z: 9,
    c: 2,
  });
  t.strictSame(value(`${base}m: {'<<': *b}\nq: {"<<": 1}\n`).value, {
    base: { a: 1, c: 2 },
    m: { '<<': { a: 1, c: 2 } },
    q: { '<<': 1 },
  });
});

t.test('a merge whose result depends on the reader is refused', async (t) => {
  const base = 'base: &b {a: 1, c: 2}\n';
  // go-yaml: c is 2 (the merge overwrites); the YAML 1.1 spec: c is 3.
  t.strictSame(refused(`${base}m:\n  c: 3\n  <<: *b\n`), [{ code: 'YAML_MERGE_ORDER', line: 4 }]);
  // go-yaml: the second merge wins; the spec: the first.
  t.strictSame(refused(`${base}m:\n  <<: *b\n  <<: {a: 5}\n`), [
    { code: 'YAML_MERGE_ORDER', line: 4 },
  ]);
});

t.test('.nan and .inf have no JSON form', async (t) => {
  t.strictSame(refused('a: 1\nb: .nan\n'), [{ code: 'YAML_UNSUPPORTED', line: 2 }]);
  t.strictSame(refused('a: .inf\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('a: [-.Inf]\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(
    refused('a: 1e400\n'),
    [{ code: 'YAML_UNSUPPORTED', line: 1 }],
    'overflows to Infinity',
  );
});

t.test('!!binary is refused, not turned into bytes', async (t) => {
  t.strictSame(refused('a: 1\nb: !!binary aGVsbG8=\n'), [{ code: 'YAML_UNSUPPORTED', line: 2 }]);
});

t.test('!!timestamp is refused, not turned into a Date', async (t) => {
  t.strictSame(refused('a: !!timestamp 2024-01-01\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
});

t.test('go-yaml, not the YAML 1.1 spec: 1:20 and dates stay text, 0755 is octal', async (t) => {
  t.strictSame(
    value(
      'a: 1:20\nb: 190:20:30\nc: 2024-01-01\nd: 2001-12-14t21:59:43.10-05:00\n2024-01-02: e\nf: 0755\n',
    ),
    {
      diagnostics: [],
      value: {
        a: '1:20',
        b: '190:20:30',
        c: '2024-01-01',
        d: '2001-12-14t21:59:43.10-05:00',
        '2024-01-02': 'e',
        f: 493,
      },
    },
  );
});

t.test('complex, null and floating-point keys are refused', async (t) => {
  t.strictSame(refused('a: 1\n? [a, b]\n: 1\n'), [{ code: 'YAML_UNSUPPORTED', line: 2 }]);
  t.strictSame(refused('{x: 1}: 2\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('&k [a]: 1\nb: {*k : 2}\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('~: 1\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('1.5: 1\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
});

t.test('boolean and integer keys become the strings Kubernetes makes of them', async (t) => {
  t.strictSame(value('yes: a\nn: b\n0644: c\n9000: d\n').value, {
    true: 'a',
    false: 'b',
    '420': 'c',
    '9000': 'd',
  });
  t.strictSame(refused('on: 1\n"true": 2\n'), [{ code: 'YAML_DUPLICATE_KEY', line: 2 }]);
});

t.test('unknown and non-JSON tags are refused; !!str, !!map and !!seq are not', async (t) => {
  t.strictSame(refused('a: !foo bar\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('a: ! 0644\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('a: !!int "0644"\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('a: !!set {x}\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('a: !!omap [b: 1]\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(value('a: !!str 0644\nb: !!map {c: !!seq [1]}\n').value, {
    a: '0644',
    b: { c: [1] },
  });
});

t.test('integers a JavaScript number would round are refused', async (t) => {
  t.strictSame(value('a: 9007199254740991\n').value, { a: 9007199254740991 });
  t.strictSame(refused('a: 9007199254740993\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
  t.strictSame(refused('a: [1, -0x20000000000001]\n'), [{ code: 'YAML_UNSUPPORTED', line: 1 }]);
});

t.test('directives are refused: Kubernetes cannot read them', async (t) => {
  t.strictSame(refused('%YAML 1.2\n---\na: 0644\n'), [{ code: 'YAML_UNSUPPORTED', line: 2 }]);
  t.strictSame(refused('%TAG !e! tag:example.com,2000:\n---\na: 1\n'), [
    { code: 'YAML_UNSUPPORTED', line: 2 },
  ]);
});
