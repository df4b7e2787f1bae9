// Liveness, readiness and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { failure, success } from './envelope.js';

export function registerOpsRoutes(app: FastifyInstance, deps: { store: Store }) {
  app.get('/healthz', { schema: { hide: true }, config: { public: true } }, async () => success({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    if (await deps.store.ping()) return success({ status: 'ready' });
    return reply.status(503).send(failure('unavailable', 'The database is not answering.'));
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}
