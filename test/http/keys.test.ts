import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, get, post, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function revoke(id: number | string, key = SECRET_KEY) {
  const response = await h.app.inject({ method: 'DELETE', url: `/keys/${id}`, headers: auth(key) });
  return { status: response.statusCode, body: response.json() };
}

describe('/keys', () => {
  it('lists keys by display prefix only, never the key or its hash', async () => {
    const response = await get(h.app, '/keys');
    expect(response.status).toBe(200);
    const keys = response.body.data.keys as { kind: string; display_prefix: string }[];
    expect(keys.map((k) => k.kind).sort()).toEqual(['public', 'secret']);
    const text = JSON.stringify(response.body);
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain(PUBLIC_KEY);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(keys.every((k) => k.display_prefix.length <= 11)).toBe(true);
  });

  it('creates a key shown once that works, and revokes it', async () => {
    const created = await post(h.app, '/keys', { kind: 'secret' }, SECRET_KEY);
    expect(created.status).toBe(200);
    const { key, id, display_prefix: prefix } = created.body.data;
    expect(key).toMatch(/^sk_/);
    expect(key.startsWith(prefix)).toBe(true);
    expect((await get(h.app, '/customers', key)).status).toBe(200);
    const listed = (await get(h.app, '/keys')).body.data.keys;
    expect(JSON.stringify(listed)).not.toContain(key);
    expect((await revoke(id)).status).toBe(200);
    const afterRevoke = await get(h.app, '/customers', key);
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body.message).toContain('revoked');
    expect((await get(h.app, '/keys')).body.data.keys.find((k: { id: number }) => k.id === id).revoked_at).toBe(h.clock.now());
    expect((await revoke(id)).status).toBe(404);
  });

  it('creates public keys that can identify but not read', async () => {
    const { key } = (await post(h.app, '/keys', { kind: 'public' }, SECRET_KEY)).body.data;
    expect(key).toMatch(/^pk_/);
    expect((await post(h.app, '/customers', { user_id: '1' }, key)).status).toBe(200);
    expect((await get(h.app, '/keys', key)).status).toBe(403);
  });

  it('refuses to revoke the last active secret key', async () => {
    const keys = (await get(h.app, '/keys')).body.data.keys as { id: number; kind: string }[];
    const secret = keys.find((k) => k.kind === 'secret')!;
    const refused = await revoke(secret.id);
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].field).toBe('id');
    expect((await get(h.app, '/customers')).status).toBe(200);
  });

  it('rejects bad input and other projects’ keys', async () => {
    const bad = await post(h.app, '/keys', { kind: 'admin' }, SECRET_KEY);
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('kind');
    expect((await revoke('abc')).status).toBe(404);
    const other = await h.store.projects.create({ name: 'other', now: h.clock.now() });
    const otherKey = await h.store.keys.insert({ projectId: other.id, kind: 'public', hash: 'f'.repeat(64), displayPrefix: 'pk_other', now: 1 });
    expect((await revoke(otherKey.id)).status).toBe(404);
    expect((await get(h.app, '/keys')).body.data.keys.some((k: { id: number }) => k.id === otherKey.id)).toBe(false);
    expect((await post(h.app, '/keys', { kind: 'public' }, PUBLIC_KEY)).status).toBe(403);
  });
});
