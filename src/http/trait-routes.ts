// /traits: the project's custom-attribute catalog (secret key).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import type { TraitService } from '../traits/catalog.js';
import { TraitKeyParams, TraitPatchSchema, TraitSchema } from '../traits/schemas.js';
import { principalOf, requireKey } from './auth.js';
import { success } from './envelope.js';
import { FailureEnvelopeSchema, okEnvelope, security } from './response-schemas.js';

export function registerTraitRoutes(app: FastifyInstance, deps: { store: Store; traits: TraitService }) {
  const { traits } = deps;
  const read = requireKey(deps.store, 'read');

  app.get(
    '/traits',
    {
      preHandler: read,
      schema: {
        summary: 'List the traits catalog',
        description: 'Every custom attribute key seen in the project, by key, with its type, format and exact customer count.',
        tags: ['traits'],
        security,
        response: { 200: okEnvelope(Type.Object({ traits: Type.Array(TraitSchema) })), '4xx': FailureEnvelopeSchema },
      },
    },
    async (request) => success({ traits: await traits.list(principalOf(request).project) }),
  );

  app.patch(
    '/traits/:key',
    {
      preHandler: read,
      schema: {
        summary: 'Change a trait’s display name, type or format',
        tags: ['traits'],
        security,
        params: TraitKeyParams,
        body: TraitPatchSchema,
        response: { 200: okEnvelope(TraitSchema), '4xx': FailureEnvelopeSchema },
      },
    },
    async (request) => {
      const { key } = request.params as { key: string };
      return success(await traits.update(principalOf(request).project, key, request.body));
    },
  );
}
