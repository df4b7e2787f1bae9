// /customers: identify (public or secret key) and read/delete (secret key). Thin by design.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { CustomerService } from '../customers/identify.js';
import { bulkInputSchema, customerInputSchema, ListQuerySchema, ProfileSchema } from '../customers/schemas.js';
import { BeaconError } from '../errors.js';
import type { KeyCache } from '../auth/key-cache.js';
import { AuthChangedError, type Store } from '../store/store.js';
import { checkPrincipal, presentedKey, principalOf, requireKey } from './auth.js';
import { failure, success } from './envelope.js';

const Envelope = (data: ReturnType<typeof Type.Object> | ReturnType<typeof Type.Null>) =>
  Type.Object({ success: Type.Literal(true), code: Type.Literal(200), data });
const Failure = Type.Object({
  success: Type.Literal(false),
  code: Type.Integer(),
  data: Type.Any(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});
const BulkReport = Type.Object({
  success: Type.Literal(false),
  code: Type.Literal(422),
  message: Type.String(),
  data: Type.Object({
    accepted: Type.Integer(),
    rejected: Type.Array(
      Type.Object({ index: Type.Integer(), errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })) }),
    ),
  }),
  errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
});
const UserIdParams = Type.Object({ user_id: Type.String() });
const security: { [label: string]: string[] }[] = [{ bearer: [] }, { apiKeyQuery: [] }];

function queryString(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BeaconError('invalid_request', `Send ${name} once.`, { errors: [{ field: name, message: 'must be given once' }] });
  return value;
}

export function registerCustomerRoutes(
  app: FastifyInstance,
  deps: { config: Config; store: Store; customers: CustomerService; keyCache: KeyCache },
) {
  const { config, store, customers, keyCache } = deps;
  const ingest = requireKey(store, 'ingest');
  // Single identify calls are the hot path: their key check is cached (src/auth/key-cache.ts).
  const cachedIngest = requireKey(store, 'ingest', presentedKey, keyCache);
  const read = requireKey(store, 'read');

  app.post(
    '/customers',
    {
      bodyLimit: config.limits.singleBodyBytes,
      preHandler: cachedIngest,
      config: { cors: true },
      schema: {
        summary: 'Identify a customer',
        tags: ['customers'],
        security,
        body: customerInputSchema(config.limits),
        response: { 200: Envelope(Type.Null()), '4xx': Failure },
      },
    },
    async (request) => {
      const { project, epoch } = principalOf(request);
      try {
        await customers.identify(project, request.body, { authEpoch: epoch });
      } catch (error) {
        // The key check came from the cache. AuthChangedError: a key or project changed since,
        // and nothing was written. A validation refusal may rest on an old project setting (the
        // default phone region). Either way: check the key against the database (a revoked key
        // gets its 401 here) and decide once more on fresh data.
        if (error instanceof AuthChangedError) keyCache.invalidate();
        else if (!(error instanceof BeaconError)) throw error;
        await checkPrincipal(store, request, presentedKey(request), 'ingest');
        await customers.identify(principalOf(request).project, request.body);
      }
      return success(null);
    },
  );

  app.post(
    '/customers/bulk',
    {
      bodyLimit: config.limits.bulkBodyBytes,
      preHandler: ingest,
      config: { cors: true },
      schema: {
        summary: 'Identify many customers in one transaction',
        tags: ['customers'],
        security,
        body: bulkInputSchema(config.limits),
        response: { 200: Envelope(Type.Null()), 422: BulkReport, '4xx': Failure },
      },
    },
    async (request, reply) => {
      const result = await customers.identifyBulk(principalOf(request).project, request.body);
      if (result.rejected.length === 0) return success(null);
      const total = result.accepted + result.rejected.length;
      return reply.status(422).send(
        failure('validation_failed', `${result.rejected.length} of ${total} customers were rejected; the other ${result.accepted} were stored.`, {
          data: result,
          errors: result.rejected.flatMap((rejection) => rejection.errors),
        }),
      );
    },
  );

  app.get(
    '/customers',
    {
      preHandler: read,
      schema: {
        summary: 'List and search customers',
        tags: ['customers'],
        security,
        querystring: ListQuerySchema,
        response: {
          200: Envelope(Type.Object({ customers: Type.Array(ProfileSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) })),
          '4xx': Failure,
        },
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown>;
      const rawLimit = queryString(query, 'limit');
      const limit = rawLimit === undefined ? undefined : /^\d{1,6}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
      const page = await customers.list(principalOf(request).project, {
        email: queryString(query, 'email'),
        anonymousId: queryString(query, 'anonymous_id'),
        q: queryString(query, 'q'),
        cursor: queryString(query, 'cursor'),
        sort: queryString(query, 'sort'),
        limit,
      });
      return success(page);
    },
  );

  app.get(
    '/customers/:user_id',
    {
      preHandler: read,
      schema: {
        summary: 'Read one customer by user_id',
        tags: ['customers'],
        security,
        params: UserIdParams,
        response: { 200: Envelope(ProfileSchema), '4xx': Failure },
      },
    },
    async (request) => {
      const { user_id: userId } = request.params as { user_id: string };
      return success(await customers.get(principalOf(request).project, userId));
    },
  );

  app.delete(
    '/customers/:user_id',
    {
      preHandler: read,
      schema: {
        summary: 'Delete one customer (hard delete)',
        tags: ['customers'],
        security,
        params: UserIdParams,
        response: { 200: Envelope(Type.Null()), '4xx': Failure },
      },
    },
    async (request) => {
      const { user_id: userId } = request.params as { user_id: string };
      await customers.delete(principalOf(request).project, userId);
      return success(null);
    },
  );
}
