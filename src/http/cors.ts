// CORS for the ingest routes (routes declared with `config: { cors: true }`), decided per
// project and key kind: a project's `corsOrigins` list when set, otherwise any origin for public
// keys and none for secret keys (a secret key in a web page is a leak). Same-origin calls are
// always allowed. The check runs on the real request too, not only on the preflight, so a
// refused origin stores nothing even when a client skips the preflight.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, type Principal } from '../auth/keys.js';
import { BeaconError } from '../errors.js';
import type { KeyKind, Store } from '../store/store.js';
import { failure } from './envelope.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A browser-callable ingest route: preflights answered, CORS headers sent. */
    cors?: boolean;
  }
}

/** `https://Example.com:443/` → `https://example.com`; null for anything that is not an origin. */
export function normaliseOrigin(origin: string): string | null {
  if (origin === '*') return '*';
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

export function originAllowed(input: { origin: string; host: string | undefined; kind: KeyKind; corsOrigins: string[] | null }): boolean {
  const origin = normaliseOrigin(input.origin);
  if (origin !== null && input.host !== undefined && origin.replace(/^[a-z]+:\/\//, '') === input.host.toLowerCase()) return true;
  const allowed = input.corsOrigins ?? (input.kind === 'public' ? ['*'] : []);
  if (allowed.includes('*')) return true;
  return origin !== null && allowed.some((entry) => normaliseOrigin(entry) === origin);
}

function originOf(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : undefined;
}

function allowedFor(request: FastifyRequest, principal: Principal, origin: string): boolean {
  return originAllowed({ origin, host: request.headers.host, kind: principal.key.kind, corsOrigins: principal.project.corsOrigins });
}

/** Refuses a browser call from an origin this key's project does not allow. */
export function assertOriginAllowed(request: FastifyRequest, principal: Principal): void {
  const origin = originOf(request);
  if (origin === undefined || allowedFor(request, principal, origin)) return;
  throw new BeaconError(
    'forbidden',
    principal.key.kind === 'secret'
      ? 'Secret keys cannot be used from a browser origin; use the public key in web pages.'
      : "This origin is not in the project's allowed origins.",
  );
}

const PREFLIGHT_MAX_AGE = '600';

/** Install before the routes are registered: it learns the CORS routes as they are added. */
export function installCors(app: FastifyInstance, deps: { store: Store }): void {
  const corsPaths = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.config?.cors) corsPaths.add(route.url);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const origin = originOf(request);
    if (origin === undefined || !request.routeOptions.config?.cors) return payload;
    // Before authentication (401, 400) the origin is echoed so the page can read the error.
    if (request.principal && !allowedFor(request, request.principal, origin)) return payload;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', 'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset');
    reply.header('vary', 'Origin');
    return payload;
  });

  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const origin = originOf(request);
    if (!corsPaths.has(path) || origin === undefined) {
      return reply.status(404).send(failure('not_found', `No route OPTIONS ${path}.`));
    }
    // The key is only known here when sent as ?api_key=; otherwise the real request is checked.
    const query = request.query as Record<string, unknown>;
    if (typeof query.api_key === 'string' && query.api_key !== '') {
      const result = await authenticate(deps.store, query.api_key);
      if (result.ok && !allowedFor(request, result.principal, origin)) return reply.status(204).send();
    }
    const requested = request.headers['access-control-request-headers'];
    reply
      .status(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', typeof requested === 'string' && requested !== '' ? requested : 'authorization, content-type')
      .header('access-control-max-age', PREFLIGHT_MAX_AGE)
      .header('vary', 'Origin, Access-Control-Request-Headers');
    return reply.send();
  });
}
