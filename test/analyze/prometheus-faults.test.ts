import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import { AnalyzeError } from '../../plugin/src/analyze/errors.js';
import { prometheusClient, type PrometheusOptions } from '../../plugin/src/analyze/prometheus.js';
import { freePort } from '../pin/mlflow.js';

/**
 * Faults of the Prometheus client. The server here is a FAKE on loopback: a real Prometheus cannot
 * be made to hang, answer 500, answer non-JSON, stream 50 MB, redirect or report partial data on
 * demand. What a real Prometheus refuses (bad_data, execution, range vectors) is tested against
 * the real one in prometheus-client.test.ts.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function fake(t: Test, handler: Handler) {
  const seen = { connections: 0, inFlight: 0, maxInFlight: 0, requests: [] as Request[] };
  interface Request {
    method: string;
    url: string;
    body: string;
    authorization: string | undefined;
    encoding: string | undefined;
  }
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.requests.push({
        method: req.method!,
        url: req.url!,
        body,
        authorization: req.headers.authorization,
        encoding: req.headers['accept-encoding'],
      });
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      res.on('close', () => seen.inFlight--);
      handler(req, res, body);
    });
  });
  server.on('connection', () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen };
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
const vector = (...values: string[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1700000000, v] })),
  },
});

async function failure(
  t: Test,
  handler: Handler,
  code: string,
  options: PrometheusOptions = {},
): Promise<AnalyzeError> {
  const { url } = await fake(t, handler);
  const err = await prometheusClient(url, options)
    .query('up', 1_700_000_000)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.type(err, AnalyzeError);
  t.match(err, { code, exit: 4 });
  return err as AnalyzeError;
}

t.test(
  'the request: POST form to /api/v1/query under a path prefix, credentials as a header',
  async (t) => {
    const { url, seen } = await fake(t, (_req, res) => json(res, 200, vector('1')));
    const withUser = url.replace('http://', 'http://ann:s%3Acret@');
    const answer = await prometheusClient(`${withUser}/prom/`, { timeoutMs: 5000 }).query(
      'sum(rate(x[2m]))',
      1_700_000_123.5,
    );
    t.same(answer, { values: [1] });
    const [req] = seen.requests;
    t.equal(req!.method, 'POST');
    t.equal(req!.url, '/prom/api/v1/query');
    t.same(Object.fromEntries(new URLSearchParams(req!.body)), {
      query: 'sum(rate(x[2m]))',
      time: '1700000123.5',
      timeout: '5',
    });
    t.equal(req!.authorization, `Basic ${Buffer.from('ann:s:cret').toString('base64')}`);
    t.equal(req!.encoding, 'identity', 'answers are tiny: no gunzip per query');
  },
);

t.test('credentials never reach a message', async (t) => {
  const { url } = await fake(t, (_req, res) => res.writeHead(500).end('boom'));
  const err = await prometheusClient(url.replace('http://', 'http://ann:hunter2@'))
    .query('up', 1_700_000_000)
    .catch((e: AnalyzeError) => e);
  t.match(err, { code: 'PROMETHEUS_HTTP' });
  t.notMatch(String((err as Error).message), /hunter2|ann/);
});

t.test('a silent Prometheus: PROMETHEUS_TIMEOUT at the deadline', async (t) => {
  const started = Date.now();
  await failure(t, () => undefined, 'PROMETHEUS_TIMEOUT', { timeoutMs: 300 });
  t.ok(Date.now() - started < 5000, 'gave up near the deadline');
});

t.test('a body that stalls half-way: PROMETHEUS_TIMEOUT', async (t) => {
  await failure(
    t,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":');
    },
    'PROMETHEUS_TIMEOUT',
    { timeoutMs: 300 },
  );
});

t.test("Prometheus's own query timeout: PROMETHEUS_TIMEOUT", async (t) => {
  await failure(
    t,
    (_req, res) =>
      json(res, 503, { status: 'error', errorType: 'timeout', error: 'query timed out' }),
    'PROMETHEUS_TIMEOUT',
  );
});

t.test('a 500 with a text body: PROMETHEUS_HTTP', async (t) => {
  await failure(t, (_req, res) => res.writeHead(500).end('internal error'), 'PROMETHEUS_HTTP');
});

t.test('an error JSON of another type: PROMETHEUS_HTTP', async (t) => {
  await failure(
    t,
    (_req, res) => json(res, 500, { status: 'error', errorType: 'internal', error: 'x' }),
    'PROMETHEUS_HTTP',
  );
});

t.test('a redirect is not followed: PROMETHEUS_HTTP', async (t) => {
  await failure(
    t,
    (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
    'PROMETHEUS_HTTP',
  );
});

t.test('non-JSON with 200: PROMETHEUS_BAD_RESPONSE', async (t) => {
  await failure(
    t,
    (_req, res) => res.writeHead(200).end('<html>login</html>'),
    'PROMETHEUS_BAD_RESPONSE',
  );
});

t.test('answers of the wrong shape: PROMETHEUS_BAD_RESPONSE', async (t) => {
  const shapes: Record<string, unknown> = {
    'no data': { status: 'success' },
    'a bad scalar': { status: 'success', data: { resultType: 'scalar', result: [1, 2] } },
    'a vector that is no list': { status: 'success', data: { resultType: 'vector', result: {} } },
    'an unparseable value': vector('0x10'),
    'an empty value': vector(''),
    'a native histogram sample': {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: {}, histogram: [1, { count: '1' }] }] },
    },
    'a storage warning (partial data)': { ...vector('1'), warnings: ['remote read failed'] },
  };
  for (const [what, body] of Object.entries(shapes))
    await t.test(what, (t) =>
      failure(t, (_req, res) => json(res, 200, body), 'PROMETHEUS_BAD_RESPONSE'),
    );
});

t.test('a PromQL annotation is no partial data', async (t) => {
  const { url } = await fake(t, (_req, res) =>
    json(res, 200, { ...vector('2'), warnings: ['PromQL warning: bucket label "le" is missing'] }),
  );
  t.same(await prometheusClient(url).query('up', 1_700_000_000), { values: [2] });
});

t.test('a 50 MB body: PROMETHEUS_TOO_LARGE without reading it all', async (t) => {
  const total = 50 * 1024 * 1024;
  let written = 0;
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const started = Date.now();
  await failure(
    t,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', closed);
      // Chunked, no content-length: only counting stops it. Written as fast as the client reads.
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    },
    'PROMETHEUS_TOO_LARGE',
  );
  await done;
  t.ok(Date.now() - started < 10_000, 'failed fast');
  t.ok(written < total / 2, `the connection was dropped after ${written} of ${total} bytes`);
});

t.test('a declared content-length past the bound: refused before reading', async (t) => {
  await failure(
    t,
    (_req, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024), 'content-type': 'text/plain' });
      res.write('{');
    },
    'PROMETHEUS_TOO_LARGE',
    { maxBytes: 1024, timeoutMs: 5000 },
  );
});

t.test('connection refused: PROMETHEUS_UNREACHABLE', async (t) => {
  const port = await freePort();
  const err = await prometheusClient(`http://127.0.0.1:${port}`)
    .query('up', 1_700_000_000)
    .catch((e: unknown) => e);
  t.match(err, { code: 'PROMETHEUS_UNREACHABLE', exit: 4 });
  t.match(String((err as Error).message), /ECONNREFUSED/);
});

t.test('at most `concurrency` queries in flight, on a bounded number of sockets', async (t) => {
  const { url, seen } = await fake(t, (_req, res) => {
    setTimeout(() => json(res, 200, vector('1')), 20);
  });
  const client = prometheusClient(url, { concurrency: 3 });
  const answers = await Promise.all(
    Array.from({ length: 60 }, (_, i) => client.query(`q${i}`, 1_700_000_000)),
  );
  t.equal(answers.length, 60);
  t.equal(seen.requests.length, 60);
  t.equal(seen.maxInFlight, 3, 'three at once, never more');
  // fetch (undici) frees a socket just after its body ends, so the next query may open a new one:
  // sockets stay bounded by twice the limit, however many queries a pass makes.
  t.ok(seen.connections <= 6, `${seen.connections} sockets`);
});

t.test('configuration errors are exit 2', async (t) => {
  const bad: [string, PrometheusOptions][] = [
    ['not a url', {}],
    ['ftp://127.0.0.1/', {}],
    ['http://127.0.0.1:9090/?x=1', {}],
    ['http://127.0.0.1:9090', { timeoutMs: 0 }],
    ['http://127.0.0.1:9090', { maxBytes: -1 }],
    ['http://127.0.0.1:9090', { concurrency: NaN }],
  ];
  for (const [base, options] of bad)
    t.throws(() => prometheusClient(base, options), { code: 'USAGE_INVALID', exit: 2 }, base);
  await t.rejects(prometheusClient('http://127.0.0.1:9090').query('up', NaN), {
    code: 'USAGE_INVALID',
    exit: 2,
  });
});
