// The identify hot path checks keys through a cache (src/auth/key-cache.ts). These tests change
// keys and projects through a second store on the same database — what the CLI or another
// server process does — and check that the very next call sees the change.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createKey, revokeKey } from '../../src/auth/keys.js';
import { manualClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import { openStore } from '../../src/store/open-store.js';
import type { Project, Store } from '../../src/store/store.js';
import { tempDir } from '../support/harness.js';
import { requirePostgres, uniqueName } from '../support/stores.js';

const postgres = await requirePostgres('key cache');

interface Setup {
  app: FastifyInstance;
  /** The store the server uses. */
  served: Store;
  /** Another connection to the same database: "the CLI". */
  other: Store;
  project: Project;
  clock: ReturnType<typeof manualClock>;
  close(): Promise<void>;
}

async function setup(engine: 'sqlite' | 'postgres'): Promise<Setup> {
  const dir = tempDir('beacon-keycache-');
  const url = engine === 'sqlite' ? `sqlite:${join(dir, 'beacon.sqlite')}` : postgres.url;
  const served = await openStore(url, { poolSize: 4, timeoutMs: 10_000 });
  const other = await openStore(url, { poolSize: 2, timeoutMs: 10_000 });
  const clock = manualClock();
  const project = await served.projects.create({ name: uniqueName('keycache'), now: clock.now() });
  const app = await buildApp({ config: testConfig({ publicKey: undefined, secretKey: undefined }), store: served, clock });
  return {
    app,
    served,
    other,
    project,
    clock,
    async close() {
      await app.close();
      await other.close();
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function identify(app: FastifyInstance, key: string, body: Record<string, unknown>) {
  const response = await app.inject({
    method: 'POST',
    url: '/customers',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json() as { message?: string; errors?: { field: string }[] } };
}

describe.each(['sqlite', 'postgres'] as const)('cached key checks on %s', (engine) => {
  const skip = engine === 'postgres' && postgres.unavailable !== null;
  let s: Setup;
  beforeAll(async () => {
    if (!skip) s = await setup(engine);
  });
  afterAll(async () => {
    if (!skip) await s.close();
  });

  it.skipIf(skip)('a key revoked by another process is refused on the next call, and nothing is written', async () => {
    const { key } = await createKey(s.served, { projectId: s.project.id, kind: 'public', now: 1 });
    expect((await identify(s.app, key, { user_id: 'before-revoke' })).status).toBe(200);
    expect((await identify(s.app, key, { user_id: 'before-revoke-2' })).status).toBe(200); // served from the cache
    await revokeKey(s.other, { reference: key, now: 2 });
    const refused = await identify(s.app, key, { user_id: 'after-revoke', email: 'late@example.com' });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/revoked/);
    expect(await s.served.customers.getByUserId(s.project.id, 'after-revoke')).toBeNull();
    expect(await s.served.customers.getByUserId(s.project.id, 'before-revoke-2')).not.toBeNull();
  });

  it.skipIf(skip)('other keys keep working after a change elsewhere moved the epoch', async () => {
    const { key: kept } = await createKey(s.served, { projectId: s.project.id, kind: 'public', now: 1 });
    const { key: dropped } = await createKey(s.served, { projectId: s.project.id, kind: 'public', now: 1 });
    expect((await identify(s.app, kept, { user_id: 'kept-1' })).status).toBe(200);
    await revokeKey(s.other, { reference: dropped, now: 2 });
    expect((await identify(s.app, kept, { user_id: 'kept-2', name: 'Kept Two' })).status).toBe(200);
    const profile = await s.served.customers.getByUserId(s.project.id, 'kept-2');
    expect(profile?.firstName).toBe('Kept');
    expect((await identify(s.app, dropped, { user_id: 'dropped-1' })).status).toBe(401);
  });

  it.skipIf(skip)('a default phone region set by another process applies to the next call', async () => {
    const { key } = await createKey(s.served, { projectId: s.project.id, kind: 'public', now: 1 });
    const national = { user_id: 'uk-caller', phone: '020 7946 0018' };
    const before = await identify(s.app, key, national);
    expect(before.status).toBe(422);
    expect(before.body.errors?.map((e) => e.field)).toEqual(['phone']);
    await s.other.projects.update(s.project.id, { defaultRegion: 'GB' });
    expect((await identify(s.app, key, national)).status).toBe(200);
    expect((await s.served.customers.getByUserId(s.project.id, 'uk-caller'))?.phone).toBe('+442079460018');
  });

  it.skipIf(skip)('a session timeout set by another process applies to the next call', async () => {
    const { key } = await createKey(s.served, { projectId: s.project.id, kind: 'public', now: 1 });
    expect((await identify(s.app, key, { user_id: 'sessions' })).status).toBe(200);
    // Two minutes later, within the default 30-minute timeout: the same session.
    s.clock.advance(120);
    expect((await identify(s.app, key, { user_id: 'sessions' })).status).toBe(200);
    expect((await s.served.customers.getByUserId(s.project.id, 'sessions'))?.sessions).toBe(1);
    await s.other.projects.update(s.project.id, { sessionTimeout: 60 });
    s.clock.advance(120);
    expect((await identify(s.app, key, { user_id: 'sessions' })).status).toBe(200);
    expect((await s.served.customers.getByUserId(s.project.id, 'sessions'))?.sessions).toBe(2);
  });
});
