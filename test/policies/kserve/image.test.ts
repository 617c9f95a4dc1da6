import t from 'tap';
import {
  imagePinned,
  imagePrefixProblem,
  parseImage,
  withinImagePrefix,
} from '../../../policies/src/kserve/image.js';

const D = 'sha256:' + 'a'.repeat(64);

t.test('parseImage reads references as distribution/reference does', async (t) => {
  const table: [ref: string, expected: Record<string, string>][] = [
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
    [`nginx@${D}`, { registry: 'docker.io', repository: 'library/nginx', digest: D }],
    ['library/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['docker.io/library/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['index.docker.io/library/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['index.docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['acme/model-server', { registry: 'docker.io', repository: 'acme/model-server' }],
    [
      `registry.example.com:5000/serving/x:1@${D}`,
      { registry: 'registry.example.com:5000', repository: 'serving/x', tag: '1', digest: D },
    ],
    ['localhost/x', { registry: 'localhost', repository: 'x' }],
    ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x' }],
    ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x' }],
    ['[fe80::1]/x:v2', { registry: '[fe80::1]', repository: 'x', tag: 'v2' }],
    ['127.0.0.1:5000/x', { registry: '127.0.0.1:5000', repository: 'x' }],
    [
      'kserve/sklearnserver:latest',
      { registry: 'docker.io', repository: 'kserve/sklearnserver', tag: 'latest' },
    ],
    ['gcr.io/a/b/c', { registry: 'gcr.io', repository: 'a/b/c' }],
    ['gcr.io/x', { registry: 'gcr.io', repository: 'x' }],
    ['ghcr.io/a.b/c__d/e---f/g_h', { registry: 'ghcr.io', repository: 'a.b/c__d/e---f/g_h' }],
    // Upper case in the first component makes it a registry (normalize.go's rule).
    ['Registry/x', { registry: 'Registry', repository: 'x' }],
    // A lone component is a Docker Hub image, even a host-like one; `:5000` is then a tag.
    ['localhost', { registry: 'docker.io', repository: 'library/localhost' }],
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
    ['example.com', { registry: 'docker.io', repository: 'library/example.com' }],
    [
      `x@sha512:${'b'.repeat(128)}`,
      { registry: 'docker.io', repository: 'library/x', digest: `sha512:${'b'.repeat(128)}` },
    ],
  ];
  for (const [ref, expected] of table) {
    const name = `${expected.registry}/${expected.repository}`;
    t.same(parseImage(ref), { ...expected, name }, ref);
  }
});

t.test('parseImage refuses what the runtime refuses', async (t) => {
  const long = (n: number) => 'r'.repeat(n - '.io/x'.length) + '.io/x';
  t.ok(parseImage(long(512)), 'a 512-character reference is read');
  t.ok(parseImage('x/' + 'a'.repeat(253)), 'a 255-character path is read');
  const invalid = [
    '',
    'NGINX',
    'acme/Model',
    '-x',
    'x-',
    'x//y',
    'x/',
    '/x',
    'x:',
    'x:-1',
    `x:${'t'.repeat(129)}`,
    'x@sha256:short',
    `x@sha256:${'A'.repeat(64)}`,
    `x@sha256:${'a'.repeat(63)}`,
    `x@sha384:${'a'.repeat(96)}`,
    `x@md5:${'a'.repeat(32)}`,
    `x@${'a'.repeat(64)}`,
    `x@@${D}`,
    'a'.repeat(64),
    'x y',
    ' nginx',
    'nginx\n',
    'x___y',
    'x..y',
    'a_b.c/x',
    'reg.io:port/x',
    '[::1%eth0]/x',
    '[::1]:5000',
    'localhost:5000/x:1:2',
    long(513),
    'x/' + 'a'.repeat(254),
    'docker.io/' + 'a'.repeat(248),
  ];
  for (const ref of invalid) t.equal(parseImage(ref), undefined, JSON.stringify(ref));
});

t.test('imagePinned demands a sha256 digest', async (t) => {
  t.equal(imagePinned(`nginx@${D}`), true);
  t.equal(imagePinned(`registry.example.com:5000/serving/x:1@${D}`), true, 'a tag before is fine');
  t.equal(imagePinned('nginx:1.25'), false);
  t.equal(imagePinned('nginx'), false);
  t.equal(imagePinned(`x@sha512:${'b'.repeat(128)}`), false, 'sha512: valid, not a pin here');
  t.equal(imagePinned(`x@sha256:${'A'.repeat(64)}`), false, 'upper-case hex is invalid');
  t.equal(imagePinned(`NGINX@${D}`), false, 'an invalid name is never pinned');
});

t.test('withinImagePrefix compares normalised names on / boundaries', async (t) => {
  const table: [ref: string, prefix: string, inside: boolean][] = [
    ['registry.example.com/serving/x', 'registry.example.com/serving/', true],
    ['registry.example.com/serving', 'registry.example.com/serving/', false],
    ['registry.example.com/serving-evil/x', 'registry.example.com/serving/', false],
    ['registry.example.com/serving', 'registry.example.com/serving', true],
    [`registry.example.com/serving/x:1@${D}`, 'registry.example.com/serving', true],
    ['registry.example.com/serving-evil/x', 'registry.example.com/serving', false],
    ['registry.example.com/servingx', 'registry.example.com/serving', false],
    ['registry.example.com/a/b', 'registry.example.com', true],
    ['registry.example.com/a/b', 'registry.example.com/', true],
    ['registry.example.com.evil.io/a', 'registry.example.com', false],
    ['registry.example.com:5000/a', 'registry.example.com', false],
    ['registry.example.com:5000/a', 'registry.example.com:5000', true],
    ['localhost:5000/x', 'localhost', false],
    ['localhost/x', 'localhost:5000', false],
    ['localhost:5000/x', 'localhost:5000/', true],
    ['localhost/x', 'localhost', true],
    ['myhost:5000/x', 'myhost:5000/', true],
    ['[::1]:5000/x', '[::1]:5000', true],
    ['[::1]/x', '[::1]:5000', false],
    ['nginx', 'nginx', true],
    [`nginx:1.25@${D}`, 'docker.io/library/nginx', true],
    ['docker.io/library/nginx', 'nginx', true],
    ['index.docker.io/nginx', 'docker.io/nginx', true],
    ['nginx-evil', 'nginx', false],
    ['nginx', 'library/', true],
    ['nginx', 'docker.io', true],
    ['nginx', 'index.docker.io/', true],
    ['acme/model-server', 'acme', false],
    ['acme/model-server', 'acme/', true],
    // `docker.io/acme` is the official image docker.io/library/acme, as `docker pull` reads it.
    ['acme/model-server', 'docker.io/acme', false],
    ['acme/model-server', 'docker.io/acme/', true],
    ['acme-evil/model-server', 'acme/', false],
    ['nginx', 'nginx/', false],
    ['gcr.io/nginx', 'nginx', false],
    ['Registry/x', 'registry/', false],
    ['NGINX', 'nginx', false],
    ['nginx', 'nginx:1.25', false],
  ];
  for (const [ref, prefix, inside] of table)
    t.equal(withinImagePrefix(ref, prefix), inside, `${ref} in ${prefix}`);
});

t.test('imagePrefixProblem refuses prefixes that name no location', async (t) => {
  for (const ok of [
    'nginx',
    'acme/',
    'registry.example.com',
    'registry.example.com/',
    'registry.example.com:5000/serving/',
    'localhost:5000',
    'myhost:5000/',
    '[::1]:5000',
    'docker.io',
  ])
    t.equal(imagePrefixProblem(ok), undefined, ok);
  for (const bad of [
    '',
    'r'.repeat(513),
    `nginx@${D}`,
    'nginx:1.25',
    'myhost:5000',
    'registry.example.com/serving:v1',
    'Serving',
    'registry.example.com/Serving/',
    'registry.example.com//',
    'reg istry.example.com/',
    'a_b.c/x',
  ])
    t.type(imagePrefixProblem(bad), 'string', JSON.stringify(bad));
});
