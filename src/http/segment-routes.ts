// Segment-compatible ingestion: POST /v1/identify and POST /v1/batch, authenticated with a
// project key as Segment's write key, answering as Segment's HTTP API does ({"success": true}).
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { BeaconError } from '../errors.js';
import type { SegmentIngest } from '../segment/segment-ingest.js';
import type { Store } from '../store/store.js';
import { presentedKey, principalOf, requireKey } from './auth.js';
import { parseJsonBody } from './json-body.js';

/** The write key: HTTP Basic username (Segment's libraries), `writeKey` in the body, or Beacon's own ways. */
export function writeKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Basic\s+(\S+)\s*$/i.exec(header);
    if (match) {
      const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
      const user = decoded.split(':')[0];
      if (user) return user;
    }
  }
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body) && typeof body.writeKey === 'string' && body.writeKey !== '') {
    return body.writeKey;
  }
  return presentedKey(request);
}

const SegmentSuccess = Type.Object({ success: Type.Literal(true) });
const security: { [label: string]: string[] }[] = [{ basic: [] }];

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BeaconError('invalid_request', 'The body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

export function registerSegmentRoutes(app: FastifyInstance, deps: { config: Config; store: Store; segment: SegmentIngest }) {
  const { config, store, segment } = deps;
  const ingest = requireKey(store, 'ingest', writeKeyOf);

  return app.register(async (scope) => {
    // analytics.js and sendBeacon post JSON as text/plain to avoid a CORS preflight.
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string, config.maxJsonDepth));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    // Segment answers 400 to a body over its size limit; the parent handler does the rest.
    scope.setErrorHandler((error: FastifyError | BeaconError) => {
      if (!(error instanceof BeaconError) && (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413)) {
        throw new BeaconError('invalid_request', 'The request body is larger than this endpoint accepts.');
      }
      throw error;
    });

    scope.post(
      '/v1/identify',
      {
        bodyLimit: config.limits.singleBodyBytes,
        preHandler: ingest,
        config: { cors: true },
        schema: {
          summary: 'Segment-compatible identify (write key = project key, HTTP Basic username)',
          tags: ['segment'],
          security,
          response: { 200: SegmentSuccess },
        },
      },
      async (request) => {
        const body = asObject(request.body);
        const report = await segment.ingest(principalOf(request).project, [body], { defaultType: 'identify' });
        request.log.info({ segment: report }, 'segment identify');
        return { success: true };
      },
    );

    scope.post(
      '/v1/batch',
      {
        bodyLimit: config.limits.bulkBodyBytes,
        preHandler: ingest,
        config: { cors: true },
        schema: {
          summary: 'Segment-compatible batch: identify messages are stored, other types counted and ignored',
          tags: ['segment'],
          security,
          response: { 200: SegmentSuccess },
        },
      },
      async (request) => {
        const body = asObject(request.body);
        if (!Array.isArray(body.batch)) {
          throw new BeaconError('invalid_request', 'The body must have a "batch" array.', {
            errors: [{ field: 'batch', message: 'must be an array of Segment messages' }],
          });
        }
        if (body.batch.length > config.limits.bulkItems) {
          throw new BeaconError('invalid_request', `A batch takes at most ${config.limits.bulkItems} messages.`, {
            errors: [{ field: 'batch', message: `has ${body.batch.length} messages; the limit is ${config.limits.bulkItems}` }],
          });
        }
        const report = await segment.ingest(principalOf(request).project, body.batch, { context: body.context });
        request.log.info({ segment: report }, 'segment batch');
        return { success: true };
      },
    );
  });
}
