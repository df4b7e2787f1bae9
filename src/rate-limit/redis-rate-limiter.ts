// Buckets in Redis, shared by every Beacon process pointing at the same Redis. One Lua script
// reads, refills, takes and writes the bucket atomically, using Redis's own clock so processes
// with skewed clocks still agree.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decide, type BucketSettings, type RateLimiter } from './token-bucket.js';

// KEYS[1] bucket hash; ARGV: perSecond, burst. Returns {allowed, tokens*1000, nowMs}.
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1])
local at = tonumber(stored[2])
if tokens == nil or at == nil then
  tokens = burst
else
  local elapsed = now - at
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(burst, tokens + elapsed * rate / 1000)
end
local allowed = 0
if tokens >= 1 then
  allowed = 1
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, math.floor(tokens * 1000), now}
`;

type TakeCommand = (key: string, perSecond: number, burst: number) => Promise<[number, number, number]>;

export interface RedisRateLimiterOptions {
  url: string;
  settings: BucketSettings;
  logger?: Logger;
  /** Prefix of the Redis keys; tests use their own. */
  prefix?: string;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { settings } = options;
  const prefix = options.prefix ?? 'beacon:rate:';
  const redis = new Redis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 1_000 });
  redis.defineCommand('beaconTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  let warned = false;
  redis.on('error', (error: Error) => {
    // Never log the URL: it may carry a password.
    if (!warned) options.logger?.warn({ err: { type: error.name } }, 'rate limiter: Redis unavailable, allowing traffic');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  const take = (redis as unknown as { beaconTake: TakeCommand }).beaconTake.bind(redis);

  return {
    async take(key) {
      try {
        const [allowed, milliTokens, now] = await take(prefix + key, settings.perSecond, settings.burst);
        return decide({ allowed: allowed === 1, tokens: milliTokens / 1000, now, settings });
      } catch {
        // Fail open: an unreachable Redis must not take ingestion down with it.
        return decide({ allowed: true, tokens: settings.burst, now: Date.now(), settings });
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
