// GET /metrics (Prometheus text format) and the hooks that feed it.
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { STATUS } from './envelope.js';

const REASON_BY_STATUS = new Map<number, string>(
  (Object.entries(STATUS) as [ErrorCode, number][]).map(([code, status]) => [status, code]),
);

export function registerMetrics(app: FastifyInstance, deps: { metrics: Metrics }): void {
  const { metrics } = deps;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.requests.inc({ method: request.method, route, status });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    if (status >= 400) metrics.rejections.inc({ reason: REASON_BY_STATUS.get(status) ?? `http_${status}` });
    if (status === 429) metrics.rateLimited.inc();
    if (route === '/customers/bulk' && request.method === 'POST') {
      const customers = (request.body as { customers?: unknown } | undefined)?.customers;
      if (Array.isArray(customers)) metrics.bulkSize.observe(customers.length);
    }
  });
  app.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
