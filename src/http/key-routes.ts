// /keys: list, create (shown once) and revoke the project's API keys (secret key).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CreatedKeySchema, KeyCreateSchema, KeySchema, type createKeyAdmin } from '../auth/key-admin.js';
import type { Store } from '../store/store.js';
import { principalOf, requireKey } from './auth.js';
import { success } from './envelope.js';
import { FailureEnvelopeSchema, okEnvelope, security } from './response-schemas.js';

export function registerKeyRoutes(app: FastifyInstance, deps: { store: Store; keys: ReturnType<typeof createKeyAdmin> }) {
  const { keys } = deps;
  const read = requireKey(deps.store, 'read');

  app.get(
    '/keys',
    {
      preHandler: read,
      schema: {
        summary: 'List API keys (display prefixes only)',
        tags: ['keys'],
        security,
        response: { 200: okEnvelope(Type.Object({ keys: Type.Array(KeySchema) })), '4xx': FailureEnvelopeSchema },
      },
    },
    async (request) => success({ keys: await keys.list(principalOf(request).project) }),
  );

  app.post(
    '/keys',
    {
      preHandler: read,
      schema: {
        summary: 'Create an API key; the response is the only time the key is shown',
        tags: ['keys'],
        security,
        body: KeyCreateSchema,
        response: { 200: okEnvelope(CreatedKeySchema), '4xx': FailureEnvelopeSchema },
      },
    },
    async (request) => success(await keys.create(principalOf(request).project, request.body)),
  );

  app.delete(
    '/keys/:id',
    {
      preHandler: read,
      schema: {
        summary: 'Revoke an API key (the last active secret key cannot be revoked)',
        tags: ['keys'],
        security,
        params: Type.Object({ id: Type.String({ description: 'The key id from GET /keys.' }) }),
        response: { 200: okEnvelope(Type.Null()), '4xx': FailureEnvelopeSchema },
      },
    },
    async (request) => {
      await keys.revoke(principalOf(request).project, (request.params as { id: string }).id);
      return success(null);
    },
  );
}
