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
import { registerOpsRoutes } from './http/ops-routes.js';
import { registerSegmentRoutes } from './http/segment-routes.js';
import { registerTagRoutes } from './http/tag-routes.js';
import { createLogger } from './logger.js';
import { createSegmentIngest } from './segment/segment-ingest.js';
import type { Store } from './store/store.js';

export interface AppDeps {
  config: Config;
  store: Store;
  clock?: Clock;
  logger?: Logger;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const app = Fastify({
    loggerInstance: logger,
    // Fastify's own request lines log raw URLs; the onResponse hook below logs route patterns instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.singleBodyBytes,
    // JSON.parse makes "__proto__" an own property (no pollution); the customer rules then
    // reject it with a 422 that names the field, as the contract asks.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    return503OnClosing: true,
    ajv: { customOptions: { strict: false } },
  }) as unknown as FastifyInstance;

  // Schemas document the API; the customer rules validate with the same TypeBox schemas
  // (src/customers/normalise.ts), so Fastify neither validates nor shapes responses itself.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorateRequest('principal', null);
  // The contract is JSON only: any other content type is a 400, not a string body.
  app.removeContentTypeParser('text/plain');

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  installErrorHandling(app);
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

  const customers = createCustomerService({ store, clock, limits: config.limits, sessionTimeout: config.sessionTimeout });
  installCors(app, { store });
  registerCustomerRoutes(app, { config, store, customers });
  const segment = createSegmentIngest({ store, clock, limits: config.limits, sessionTimeout: config.sessionTimeout });
  await registerSegmentRoutes(app, { config, store, segment });
  registerTagRoutes(app);
  registerOpsRoutes(app, { store });
  await app.ready();
  return app;
}
