import { request, type Agent } from 'node:https';

/**
 * One HTTPS request to a server on 127.0.0.1 whose certificate is issued for `localhost` and signed
 * by `ca` (the webhook's self-signed mode); POST when a body is given, GET otherwise. With an
 * `agent`, the request goes over its kept-alive connections (one handshake per connection).
 */
export function loopbackRequest(
  port: number,
  ca: string,
  path: string,
  body?: string,
  agent?: Agent,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        ca,
        servername: 'localhost',
        agent: agent ?? false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
