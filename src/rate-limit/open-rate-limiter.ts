// Picks the rate limiter from the config: none (0 = off), in-process, or shared through Redis.
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config.js';
import { createRedisRateLimiter } from './redis-rate-limiter.js';
import { createMemoryRateLimiter, type RateLimiter } from './token-bucket.js';

export function openRateLimiter(config: RateLimitConfig, logger?: Logger): RateLimiter | null {
  if (config.perSecond <= 0) return null;
  const settings = { perSecond: config.perSecond, burst: Math.max(1, config.burst) };
  if (config.redisUrl) return createRedisRateLimiter({ url: config.redisUrl, settings, logger });
  return createMemoryRateLimiter(settings);
}
