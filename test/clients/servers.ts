// Real HTTP servers for client tests: Beacon itself on an ephemeral port, and small fronts that
// misbehave (fail, rate-limit, drop connections) for a number of attempts before passing through.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../support/harness.js';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function startBeacon(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness & { url: string }> {
  const h = await startHarness(options);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  return Object.assign(h, { url: `http://127.0.0.1:${port}` });
}

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Pipes one request to `target` unchanged. */
function proxy(target: string, request: IncomingMessage, response: ServerResponse): void {
  const upstream = httpRequest(`${target}${request.url}`, { method: request.method, headers: request.headers }, (reply) => {
    response.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(response);
  });
  upstream.on('error', () => {
    response.writeHead(502).end();
  });
  request.pipe(upstream);
}

export type Misbehaviour = (response: ServerResponse, attempt: number) => void;

/**
 * A front for `target` that misbehaves on the first `failures` requests, then proxies. `attempts`
 * records when each request arrived (ms since start) so tests can check retry pacing.
 */
export async function startFlakyFront(options: { target: string; failures: number; misbehave: Misbehaviour }) {
  const attempts: number[] = [];
  const started = Date.now();
  const server = createServer((request, response) => {
    attempts.push(Date.now() - started);
    const attempt = attempts.length;
    if (attempt <= options.failures) {
      request.resume();
      request.on('end', () => options.misbehave(response, attempt));
      return;
    }
    proxy(options.target, request, response);
  });
  const listening = await listen(server);
  return { ...listening, attempts };
}

export const unavailable: Misbehaviour = (response) => {
  response.writeHead(503, { 'content-type': 'application/json' }).end('{"success":false,"code":503,"data":null,"message":"down"}');
};

export const rateLimited =
  (retryAfterSeconds: number): Misbehaviour =>
  (response) => {
    response
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) })
      .end('{"success":false,"code":429,"data":null,"message":"slow down"}');
  };

/** Closes the socket without an answer: the client sees a network error. */
export const hangUp: Misbehaviour = (response) => {
  response.socket?.destroy();
};
