// Builds the Fastify application from its dependencies. Never listens (see server.ts).
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createCustomerService } from './customers/identify.js';
import { installCors } from './http/cors.js';
import { registerCustomerRoutes } from './http/customer-routes.js';
import { installErrorHandling } from './http/error-handler.js';
import { installDrain } from './http/drain.js';
import { installJsonParser } from './http/json-body.js';
import { registerMetrics } from './http/metrics-routes.js';
import { registerOpsRoutes } from './http/ops-routes.js';
import { registerConsoleRoutes } from './http/console-routes.js';
import { registerKeyRoutes } from './http/key-routes.js';
import { registerTraitRoutes } from './http/trait-routes.js';
import { createKeyAdmin } from './auth/key-admin.js';
import { createTraitService } from './traits/catalog.js';
import { createTraitRecorder } from './traits/recorder.js';
import { installRateLimit } from './http/rate-limit.js';
import { installRouteTable } from './http/route-table.js';
import { registerSegmentRoutes } from './http/segment-routes.js';
import { registerTagRoutes } from './http/tag-routes.js';
import { createKeyCache } from './auth/key-cache.js';
import { createLogger } from './logger.js';
import { createMetrics, instrumentStore, type Metrics } from './metrics.js';
import { openRateLimiter } from './rate-limit/open-rate-limiter.js';
import type { RateLimiter } from './rate-limit/token-bucket.js';
import { createSegmentIngest } from './segment/segment-ingest.js';
import type { Store } from './store/store.js';

export interface AppDeps {
  config: Config;
  store: Store;
  clock?: Clock;
  logger?: Logger;
  /** Default: opened from config.rateLimit (null = off) and closed with the app. */
  rateLimiter?: RateLimiter | null;
  /** Default: a fresh registry per app. */
  metrics?: Metrics;
}

/**
 * Answers malformed or too-slow requests at the socket level with the envelope, without
 * logging the raw bytes (they may hold keys or personal data).
 */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
        : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ success: false, code: status, data: null, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const { timeouts } = config;
  const app = Fastify({
    loggerInstance: logger,
    // Slow clients: a request must arrive whole within requestMs, its headers within headersMs
    // (checked every second, not Node's default 30 s), and a silent socket is closed after
    // idleSocketMs. One slow client then holds a socket for seconds, never a worker.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.idleSocketMs,
    http: {
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
    },
    clientErrorHandler,
    // Fastify's own request lines log raw URLs; the onResponse hook below logs route patterns instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.singleBodyBytes,
    // JSON.parse makes "__proto__" an own property (no pollution); the customer rules then
    // reject it with a 422 that names the field, as the contract asks.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // The drain hook (src/http/drain.ts) answers with the 503 envelope while shutting down.
    return503OnClosing: false,
    ajv: { customOptions: { strict: false } },
  }) as unknown as FastifyInstance;

  // Schemas document the API; the customer rules validate with the same TypeBox schemas
  // (src/customers/normalise.ts), so Fastify neither validates nor shapes responses itself.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorateRequest('principal', null);
  installRouteTable(app);
  // The contract is JSON only: any other content type is a 400, not a string body.
  app.removeContentTypeParser('text/plain');

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  installErrorHandling(app);
  installJsonParser(app, { maxDepth: config.maxJsonDepth });
  installDrain(app);
  const metrics = deps.metrics ?? createMetrics({ store });
  registerMetrics(app, { metrics });
  const ownsLimiter = deps.rateLimiter === undefined;
  const rateLimiter = ownsLimiter ? openRateLimiter(config.rateLimit, logger) : (deps.rateLimiter ?? null);
  installRateLimit(app, { limiter: rateLimiter, owned: ownsLimiter });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Beacon API', version: '0.1.0', description: "CrowdPower's Beacon API, self-hosted." },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
          basic: { type: 'http', scheme: 'basic', description: "Segment's write key: the project key as the username." },
        },
      },
    },
  });

  const recorder = createTraitRecorder({
    store,
    onError: (error) => logger.error({ err: { type: (error as Error)?.name, stack: (error as Error)?.stack } }, 'trait catalog write failed'),
  });
  // Pending catalog writes land before the store closes (server.ts closes the app first).
  app.addHook('onClose', async () => recorder.close());
  const counted = instrumentStore(store, metrics);
  // The API and the Segment endpoints write through the same instrumented store and catalog.
  const ingestDeps = {
    store: counted,
    clock,
    limits: config.limits,
    sessionTimeout: config.sessionTimeout,
    onStored: (batch: Parameters<typeof recorder.observe>[0]) => recorder.observe(batch),
  };
  const customers = createCustomerService(ingestDeps);
  installCors(app, { store });
  const keyCache = createKeyCache(store);
  registerCustomerRoutes(app, { config, store, customers, keyCache });
  const segment = createSegmentIngest(ingestDeps);
  await registerSegmentRoutes(app, { config, store, segment });
  registerTagRoutes(app);
  registerTraitRoutes(app, { store, traits: createTraitService({ store, recorder }) });
  registerKeyRoutes(app, { store, keys: createKeyAdmin({ store, clock }) });
  registerConsoleRoutes(app);
  registerOpsRoutes(app, { store });
  await app.ready();
  return app;
}
