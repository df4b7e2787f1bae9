// Per-key rate limiting for authenticated routes. requireKey calls enforceRateLimit once it
// knows the key, so every route behind a key is limited, including routes added later.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BeaconError } from '../errors.js';
import type { RateDecision, RateLimiter } from '../rate-limit/token-bucket.js';

declare module 'fastify' {
  interface FastifyInstance {
    rateLimiter: RateLimiter | null;
  }
  interface FastifyRequest {
    rateLimit: RateDecision | null;
  }
}

/** `owned`: the app opened the limiter, so closing the app closes it. */
export function installRateLimit(app: FastifyInstance, deps: { limiter: RateLimiter | null; owned: boolean }): void {
  app.decorate('rateLimiter', deps.limiter);
  app.decorateRequest('rateLimit', null);
  // Headers go on every response of a limited request, the 429 and errors included.
  app.addHook('onSend', async (request, reply, payload) => {
    const decision = request.rateLimit;
    if (decision) {
      reply.header('x-ratelimit-limit', decision.limit);
      reply.header('x-ratelimit-remaining', decision.remaining);
      reply.header('x-ratelimit-reset', decision.reset);
      if (!decision.allowed) reply.header('retry-after', decision.retryAfter);
    }
    return payload;
  });
  if (deps.limiter && deps.owned) {
    const limiter = deps.limiter;
    app.addHook('onClose', async () => limiter.close());
  }
}

/** Takes a token for `bucket` (the key's id, never the key); throws a 429 BeaconError when empty. */
export async function enforceRateLimit(request: FastifyRequest, bucket: string): Promise<void> {
  const limiter = request.server.rateLimiter;
  if (!limiter) return;
  const decision = await limiter.take(bucket);
  request.rateLimit = decision;
  if (!decision.allowed) {
    throw new BeaconError('rate_limited', `Too many requests for this API key; retry in ${decision.retryAfter} s.`, {
      data: { retry_after: decision.retryAfter },
    });
  }
}
