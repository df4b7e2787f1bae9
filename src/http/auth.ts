// Finds the key (Bearer header, `api_key` query parameter or body field), checks its scope,
// and puts the caller's project on the request.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { KeyCache } from '../auth/key-cache.js';
import { authenticate, type Principal } from '../auth/keys.js';
import { BeaconError } from '../errors.js';
import type { KeyKind, Store } from '../store/store.js';
import { assertOriginAllowed } from './cors.js';
import { enforceRateLimit } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Which key kinds may call a route: ingest routes take both, everything else secret only. */
export type Scope = 'ingest' | 'read';

const ALLOWED: Record<Scope, readonly KeyKind[]> = {
  ingest: ['public', 'secret'],
  read: ['secret'],
};

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query.api_key === 'string' && query.api_key !== '') return query.api_key;
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body) && typeof body.api_key === 'string' && body.api_key !== '') {
    return body.api_key;
  }
  return undefined;
}

/** Marks the hooks requireKey makes, so tests can tell which scope guards each route. */
export const SCOPE_OF_HOOK = Symbol('beacon.scope');

/**
 * Checks a presented key for a scope and puts the principal on the request. Browser calls to
 * ingest routes must also come from an origin the project allows (see cors.ts). Then the key's
 * rate limit is applied, so every keyed route is limited, whoever calls this.
 */
export async function authorise(
  store: Store,
  request: FastifyRequest,
  key: string | undefined,
  scope: Scope,
  cache?: KeyCache,
): Promise<void> {
  await checkPrincipal(store, request, key, scope, cache);
  await enforceRateLimit(request, `key:${(request.principal as Principal).key.id}`);
}

/**
 * The key check alone (no rate limit): against the database, or through `cache` (see
 * src/auth/key-cache.ts). Either way the principal carries the auth epoch it was checked under.
 */
export async function checkPrincipal(
  store: Store,
  request: FastifyRequest,
  key: string | undefined,
  scope: Scope,
  cache?: KeyCache,
): Promise<void> {
  if (!key) {
    throw new BeaconError('unauthorized', 'Send an API key: Authorization: Bearer <key>, or api_key as a parameter.');
  }
  const result = cache ? await cache.authenticate(key) : await authenticate(store, key);
  if (!result.ok) {
    throw new BeaconError(
      'unauthorized',
      result.reason === 'revoked' ? 'This API key has been revoked.' : 'This API key is not valid.',
    );
  }
  if (!ALLOWED[scope].includes(result.principal.key.kind)) {
    throw new BeaconError('forbidden', 'This route needs the project secret key; public keys can only identify customers.');
  }
  request.principal = result.principal;
  if (scope === 'ingest') {
    try {
      assertOriginAllowed(request, result.principal);
    } catch (error) {
      // A refusal must not rest on a cached project: its origins may have changed since.
      if (!cache) throw error;
      await checkPrincipal(store, request, key, scope);
    }
  }
}

export function requireKey(
  store: Store,
  scope: Scope,
  findKey: (request: FastifyRequest) => string | undefined = presentedKey,
  cache?: KeyCache,
): preHandlerAsyncHookHandler {
  const checkKey = async function checkKey(request: FastifyRequest, _reply: FastifyReply) {
    await authorise(store, request, findKey(request), scope, cache);
  };
  return Object.assign(checkKey, { [SCOPE_OF_HOOK]: scope });
}

/** The authenticated principal; routes behind requireKey always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new BeaconError('unauthorized', 'Send an API key.');
  return request.principal;
}
