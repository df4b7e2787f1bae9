// Key management for the keys HTTP API (the console's keys page): list, create, revoke.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type, type Static } from '@sinclair/typebox';
import { BeaconError, validationError } from '../errors.js';
import type { ApiKeyRecord, Project, Store } from '../store/store.js';
import { createKey } from './keys.js';

export const KeySchema = Type.Object(
  {
    id: Type.Integer(),
    kind: Type.Union([Type.Literal('public'), Type.Literal('secret')]),
    display_prefix: Type.String({ description: 'The first characters of the key; enough to recognise it, never to use it.' }),
    created_at: Type.Integer(),
    revoked_at: Type.Union([Type.Integer(), Type.Null()]),
  },
  { description: 'An API key as listed: never the key itself.' },
);
export type KeyView = Static<typeof KeySchema>;

export const CreatedKeySchema = Type.Composite([KeySchema, Type.Object({ key: Type.String({ description: 'The key, shown this once.' }) })]);

export const KeyCreateSchema = Type.Object(
  { kind: Type.Union([Type.Literal('public'), Type.Literal('secret')], { description: 'public: identify only; secret: full access.' }) },
  { additionalProperties: true, examples: [{ kind: 'secret' }] },
);
const createChecker = TypeCompiler.Compile(KeyCreateSchema);

export function keyView(record: ApiKeyRecord): KeyView {
  return { id: record.id, kind: record.kind, display_prefix: record.displayPrefix, created_at: record.createdAt, revoked_at: record.revokedAt };
}

export function createKeyAdmin(deps: { store: Store; clock: { now(): number } }) {
  const { store, clock } = deps;
  return {
    async list(project: Project): Promise<KeyView[]> {
      return (await store.keys.listForProject(project.id)).map(keyView);
    },
    async create(project: Project, body: unknown): Promise<KeyView & { key: string }> {
      if (!createChecker.Check(body)) throw validationError([{ field: 'kind', message: 'must be public or secret' }]);
      const { key, record } = await createKey(store, { projectId: project.id, kind: body.kind, now: clock.now() });
      return { ...keyView(record), key };
    },
    async revoke(project: Project, rawId: string): Promise<void> {
      const id = /^\d{1,15}$/.test(rawId) ? Number(rawId) : null;
      if (id === null) throw new BeaconError('not_found', 'No active key has this id.');
      const result = await store.keys.revokeById({ projectId: project.id, id, now: clock.now() });
      if (result === 'not_found') throw new BeaconError('not_found', 'No active key has this id.');
      if (result === 'last_secret') {
        throw validationError(
          [{ field: 'id', message: 'is the last active secret key; create another secret key first' }],
          'This is the project\'s last active secret key; create another one before revoking it.',
        );
      }
    },
  };
}
