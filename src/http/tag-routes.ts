// GET /cp.js: the browser tag (src/tag/cp-tag-source.ts), cacheable, no auth.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CP_TAG_SOURCE } from '../tag/cp-tag-source.js';

const ETAG = `"${createHash('sha256').update(CP_TAG_SOURCE).digest('base64url').slice(0, 16)}"`;

export function registerTagRoutes(app: FastifyInstance) {
  app.get('/cp.js', { schema: { hide: true }, config: { public: true } }, async (request, reply) => {
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('etag', ETAG)
      // Pages on any origin load it with <script src>; allow fetch()/module loads too.
      .header('access-control-allow-origin', '*');
    if (request.headers['if-none-match'] === ETAG) return reply.status(304).send();
    return reply.send(CP_TAG_SOURCE);
  });
}
