// src/auth/keys.ts key management on a real SQLite store: naming keys by prefix, ambiguity,
// rotation and revocation as the server's authentication sees them.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { authenticate, createKey, findActiveKey, listKeys, revokeKey, rotateKey } from '../../src/auth/keys.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Project, Store } from '../../src/store/store.js';
import { tempDir } from '../support/harness.js';

let dir: string;
let store: Store;
let shop: Project;
let other: Project;
beforeEach(async () => {
  dir = tempDir();
  store = openSqliteStore(join(dir, 'beacon.sqlite'));
  shop = await store.projects.create({ name: 'shop', now: 1 });
  other = await store.projects.create({ name: 'other', now: 1 });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('names a key by whole key, display prefix or its start, and refuses ambiguity with the matches listed', async () => {
  await createKey(store, { projectId: shop.id, kind: 'secret', now: 1, key: 'sk_live_shop_aaaaaaaaaaaaaaaa' });
  await createKey(store, { projectId: other.id, kind: 'secret', now: 1, key: 'sk_live_othr_bbbbbbbbbbbbbbbb' });
  expect((await findActiveKey(store, { reference: 'sk_live_shop_aaaaaaaaaaaaaaaa' })).project).toBe('shop');
  expect((await findActiveKey(store, { reference: 'sk_live_sho' })).project).toBe('shop');
  await expect(findActiveKey(store, { reference: 'sk_live' })).rejects.toThrow(/matches 2 active keys.*shop.*other/);
  expect((await findActiveKey(store, { reference: 'sk_live', project: other })).project).toBe('other');
  await expect(findActiveKey(store, { reference: 'sk_nope' })).rejects.toThrow('No active key');
  // Listings carry no key material.
  expect(JSON.stringify(await listKeys(store))).not.toMatch(/aaaaaaaa|bbbbbbbb/);
});

it('rotation keeps both keys working until the old one is revoked; the last secret key stays', async () => {
  const { key: old } = await createKey(store, { projectId: shop.id, kind: 'secret', now: 1 });
  const { key: fresh, created, replaces } = await rotateKey(store, { reference: old, now: 2 });
  expect(created).toMatchObject({ kind: 'secret', project: 'shop' });
  expect(old.startsWith(replaces.displayPrefix)).toBe(true);
  expect((await authenticate(store, old)).ok).toBe(true);
  expect((await authenticate(store, fresh)).ok).toBe(true);

  await revokeKey(store, { reference: replaces.displayPrefix, now: 3 });
  expect(await authenticate(store, old)).toEqual({ ok: false, reason: 'revoked' });
  expect((await authenticate(store, fresh)).ok).toBe(true);
  await expect(revokeKey(store, { reference: fresh, now: 4 })).rejects.toThrow('last active secret key');
  expect((await authenticate(store, fresh)).ok).toBe(true);
});
