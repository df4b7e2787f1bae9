// The only module that reads process.env. Everything else receives a typed Config.

export interface Limits {
  /** Bytes accepted by POST /customers. */
  singleBodyBytes: number;
  /** Bytes accepted by POST /customers/bulk. */
  bulkBodyBytes: number;
  /** Items accepted by one POST /customers/bulk. */
  bulkItems: number;
  /** Custom attributes accepted in one call. */
  attributesPerCall: number;
  /** Characters in one custom attribute string value. */
  attributeValueChars: number;
}

export interface RateLimitConfig {
  /** Tokens added per second to each key's bucket; 0 turns rate limiting off. */
  perSecond: number;
  /** Bucket size: the most requests one key may send at once. */
  burst: number;
  /** `redis://…` shares the buckets between processes; unset = in-process buckets. */
  redisUrl: string | undefined;
}

export interface HttpTimeouts {
  /** Milliseconds for a whole request (headers and body) to arrive; then 408. */
  requestMs: number;
  /** Milliseconds for the request headers to arrive; slow-header clients are dropped. */
  headersMs: number;
  /** Milliseconds an idle keep-alive connection stays open. */
  keepAliveMs: number;
  /** Milliseconds a socket may stay silent before it is closed. */
  idleSocketMs: number;
}

/** How Beacon talks to PostgreSQL (ignored for SQLite). */
export interface DatabaseOptions {
  /** Connections each process keeps at most (BEACON_DB_POOL_SIZE). */
  poolSize: number;
  /**
   * Milliseconds a connect, a statement or a wait for a pooled connection may take before the
   * request fails with 503 `unavailable` (BEACON_DB_TIMEOUT_MS).
   */
  timeoutMs: number;
}

export interface Config {
  port: number;
  host: string;
  /** `sqlite:<path>` / a plain file path, or `postgres://…`. */
  databaseUrl: string;
  database: DatabaseOptions;
  publicKey: string | undefined;
  secretKey: string | undefined;
  /**
   * Browser origins allowed to call the default project's ingest routes (BEACON_CORS_ORIGINS,
   * comma-separated, `*` = any). Unset: public keys from any origin, secret keys from none.
   */
  corsOrigins: string[] | undefined;
  /** Seconds of inactivity after which the next tracked call counts a new session. */
  sessionTimeout: number;
  logLevel: string;
  limits: Limits;
  rateLimit: RateLimitConfig;
  timeouts: HttpTimeouts;
  /** Deepest nesting of arrays/objects accepted in a JSON body (400 beyond). */
  maxJsonDepth: number;
  /** Milliseconds SIGTERM waits for in-flight requests before closing anyway. */
  shutdownGraceMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { perSecond: 1_000, burst: 2_000, redisUrl: undefined };

export const DEFAULT_TIMEOUTS: HttpTimeouts = { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 5_000, idleSocketMs: 30_000 };

export const DEFAULT_MAX_JSON_DEPTH = 32;

export const DEFAULT_LIMITS: Limits = {
  singleBodyBytes: 1024 * 1024,
  bulkBodyBytes: 16 * 1024 * 1024,
  bulkItems: 10_000,
  attributesPerCall: 300,
  attributeValueChars: 1_000,
};

export const DEFAULT_DATABASE_OPTIONS: DatabaseOptions = { poolSize: 10, timeoutMs: 5_000 };

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function origins(env: Env, name: string): string[] | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of list) {
    if (entry === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(entry);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin === 'null' || parsed.origin !== entry.replace(/\/$/, '').toLowerCase()) {
      throw new ConfigError(`${name} must be a comma-separated list of origins like https://shop.example.com, or *; got "${entry}"`);
    }
  }
  return list;
}

export function loadConfig(env: Env = process.env): Config {
  return {
    port: integer(env, 'PORT', 3000),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: optional(env, 'DATABASE_URL') ?? 'sqlite:./data/beacon.sqlite',
    database: {
      poolSize: integer(env, 'BEACON_DB_POOL_SIZE', DEFAULT_DATABASE_OPTIONS.poolSize, 1),
      timeoutMs: integer(env, 'BEACON_DB_TIMEOUT_MS', DEFAULT_DATABASE_OPTIONS.timeoutMs, 100),
    },
    publicKey: optional(env, 'BEACON_PUBLIC_KEY'),
    secretKey: optional(env, 'BEACON_SECRET_KEY'),
    corsOrigins: origins(env, 'BEACON_CORS_ORIGINS'),
    sessionTimeout: integer(env, 'BEACON_SESSION_TIMEOUT', 1800, 1),
    logLevel: optional(env, 'LOG_LEVEL') ?? 'info',
    limits: {
      singleBodyBytes: integer(env, 'BEACON_MAX_BODY_BYTES', DEFAULT_LIMITS.singleBodyBytes, 1),
      bulkBodyBytes: integer(env, 'BEACON_MAX_BULK_BODY_BYTES', DEFAULT_LIMITS.bulkBodyBytes, 1),
      bulkItems: integer(env, 'BEACON_MAX_BULK_ITEMS', DEFAULT_LIMITS.bulkItems, 1),
      attributesPerCall: integer(env, 'BEACON_MAX_ATTRIBUTES', DEFAULT_LIMITS.attributesPerCall, 1),
      attributeValueChars: integer(env, 'BEACON_MAX_STRING_CHARS', DEFAULT_LIMITS.attributeValueChars, 1),
    },
    rateLimit: {
      perSecond: integer(env, 'BEACON_RATE_LIMIT', DEFAULT_RATE_LIMIT.perSecond),
      burst: integer(env, 'BEACON_RATE_LIMIT_BURST', DEFAULT_RATE_LIMIT.burst, 1),
      redisUrl: optional(env, 'BEACON_REDIS_URL'),
    },
    timeouts: {
      requestMs: integer(env, 'BEACON_REQUEST_TIMEOUT_MS', DEFAULT_TIMEOUTS.requestMs, 1),
      headersMs: integer(env, 'BEACON_HEADERS_TIMEOUT_MS', DEFAULT_TIMEOUTS.headersMs, 1),
      keepAliveMs: integer(env, 'BEACON_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_TIMEOUTS.keepAliveMs, 1),
      idleSocketMs: integer(env, 'BEACON_IDLE_SOCKET_TIMEOUT_MS', DEFAULT_TIMEOUTS.idleSocketMs, 1),
    },
    maxJsonDepth: integer(env, 'BEACON_MAX_JSON_DEPTH', DEFAULT_MAX_JSON_DEPTH, 1),
    shutdownGraceMs: integer(env, 'BEACON_SHUTDOWN_GRACE_MS', 8_000, 0),
  };
}

/** A config for tests and embedding: defaults overridden by `overrides`. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), logLevel: 'silent', ...overrides };
}
