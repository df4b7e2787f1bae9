// Token buckets, one per API key: `perSecond` tokens flow in, up to `burst`; a request takes one.
// The pure arithmetic lives here so the in-process and Redis limiters agree to the token.

export interface BucketSettings {
  perSecond: number;
  burst: number;
}

export interface BucketState {
  tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  at: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The bucket size (the most requests at once). */
  limit: number;
  /** Whole requests left right now. */
  remaining: number;
  /** Seconds until one token is back (0 when allowed). */
  retryAfter: number;
  /** UNIX seconds at which the bucket is full again. */
  reset: number;
}

export interface RateLimiter {
  /** Takes one token from `key`'s bucket. */
  take(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}

/** Refills `state` up to `now` and tries to take one token; returns the new state and decision. */
export function takeToken(
  state: BucketState | undefined,
  settings: BucketSettings,
  now: number,
): { state: BucketState; decision: RateDecision } {
  const elapsed = state ? Math.max(0, now - state.at) : 0;
  const available = state ? Math.min(settings.burst, state.tokens + (elapsed * settings.perSecond) / 1000) : settings.burst;
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  return { state: { tokens, at: now }, decision: decide({ allowed, tokens, now, settings }) };
}

export function decide(input: { allowed: boolean; tokens: number; now: number; settings: BucketSettings }): RateDecision {
  const { allowed, tokens, now, settings } = input;
  const msToFull = ((settings.burst - tokens) * 1000) / settings.perSecond;
  const msToOne = allowed ? 0 : ((1 - tokens) * 1000) / settings.perSecond;
  return {
    allowed,
    limit: settings.burst,
    remaining: Math.max(0, Math.floor(tokens)),
    retryAfter: allowed ? 0 : Math.max(1, Math.ceil(msToOne / 1000)),
    reset: Math.ceil((now + msToFull) / 1000),
  };
}

/** Buckets in this process's memory: the default, exact for one server process. */
export function createMemoryRateLimiter(settings: BucketSettings, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, BucketState>();
  // A bucket that has refilled completely is the same as no bucket: forget it, so memory stays
  // proportional to the keys active in the last few seconds.
  const fullAfterMs = (settings.burst * 1000) / settings.perSecond;
  const sweep = setInterval(() => {
    const cutoff = now() - fullAfterMs;
    for (const [key, state] of buckets) if (state.at < cutoff) buckets.delete(key);
  }, Math.max(1_000, Math.min(60_000, fullAfterMs)));
  sweep.unref();
  return {
    async take(key) {
      const { state, decision } = takeToken(buckets.get(key), settings, now());
      buckets.set(key, state);
      return decision;
    },
    async close() {
      clearInterval(sweep);
      buckets.clear();
    },
  };
}
