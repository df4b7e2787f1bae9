// Keys: format, rotation, revocation, a database dump that holds no usable key; project isolation;
// and logs that never hold keys, emails, phones or IPs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { rotateKey, revokeKey } from '../../src/auth/key-rotation.js';
import { displayPrefixOf, generateKey } from '../../src/auth/keys.js';
import { auth } from '../support/harness.js';
import { openPostgresForTest, postgresForSecurity, startSecurityWorld, type SecurityWorld } from '../support/security.js';

const postgres = await postgresForSecurity('keys and isolation');
const stores: { name: string; open: () => Promise<SecurityWorld> }[] = [
  { name: 'SQLite', open: () => startSecurityWorld() },
  ...(postgres ? [{ name: 'PostgreSQL', open: async () => startSecurityWorld({ store: await openPostgresForTest(postgres) }) }] : []),
];

let world: SecurityWorld | undefined;
afterEach(async () => {
  await world?.harness.close();
  world = undefined;
});

async function call(w: SecurityWorld, input: { method: 'GET' | 'POST' | 'DELETE'; url: string; key?: string; body?: unknown }) {
  const response = await w.harness.app.inject({
    method: input.method,
    url: input.url,
    headers: { ...(input.key ? auth(input.key) : {}), ...(input.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload: input.body === undefined ? undefined : typeof input.body === 'string' ? input.body : JSON.stringify(input.body),
  });
  return { status: response.statusCode, body: response.body, json: () => response.json() };
}

describe('keys', () => {
  it('are random, prefixed by kind, carry at least 128 bits, and their display prefix is not a key', async () => {
    world = await startSecurityWorld();
    const keys = Array.from({ length: 2000 }, (_, i) => generateKey(i % 2 ? 'public' : 'secret'));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys.slice(0, 20)) {
      expect(key).toMatch(/^(pk|sk)_[A-Za-z0-9_-]+$/);
      const randomChars = key.length - 3;
      expect(randomChars * 6).toBeGreaterThanOrEqual(128); // base64url: 6 bits a character
      expect(displayPrefixOf(key).length).toBeLessThanOrEqual(key.length / 2);
    }
    // A prefix shown in a listing does not authenticate.
    const prefix = displayPrefixOf(world.keys.secret);
    expect((await call(world, { method: 'GET', url: '/customers', key: prefix })).status).toBe(401);
  });

  it.each(stores)('rotation issues a new key while the old one keeps working until revoked, effective on the next request ($name)', async ({ open }) => {
    world = await open();
    const { store, clock } = world.harness;
    const old = world.keys.secret;
    const { key: fresh } = await rotateKey(store, { reference: old, now: clock.now() });
    expect(fresh).toMatch(/^sk_/);
    expect(fresh).not.toBe(old);
    expect((await call(world, { method: 'GET', url: '/customers', key: old })).status).toBe(200);
    expect((await call(world, { method: 'GET', url: '/customers', key: fresh })).status).toBe(200);
    await revokeKey(store, { reference: old, now: clock.now() });
    const refused = await call(world, { method: 'GET', url: '/customers', key: old });
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ success: false, code: 401, message: 'This API key has been revoked.' });
    expect((await call(world, { method: 'POST', url: '/customers', key: old, body: { user_id: 'x' } })).status).toBe(401);
    expect((await call(world, { method: 'GET', url: '/customers', key: fresh })).status).toBe(200);
    // A rotated public key stays a public key: identify only.
    const { key: freshPublic } = await rotateKey(store, { reference: world.keys.public, now: clock.now() });
    expect(freshPublic).toMatch(/^pk_/);
    expect((await call(world, { method: 'POST', url: '/customers', key: freshPublic, body: { user_id: 'p' } })).status).toBe(200);
    expect((await call(world, { method: 'GET', url: '/customers', key: freshPublic })).status).toBe(403);
  });

  it('a database dump holds no usable key: not in the raw files, and no stored value authenticates', async () => {
    world = await startSecurityWorld();
    const w = world;
    const { store, clock, dir } = w.harness;
    const { key: rotated } = await rotateKey(store, { reference: w.keys.secret, now: clock.now() });
    await call(w, { method: 'POST', url: '/customers', key: w.keys.public, body: { user_id: 'dump', email: 'dump@example.com' } });
    const allKeys = [w.keys.public, w.keys.secret, w.keys.revoked, w.keys.foreign_secret, w.keys.foreignPublic, rotated];

    const raw = readdirSync(dir)
      .filter((name) => name.startsWith('beacon.sqlite'))
      .map((name) => readFileSync(join(dir, name)).toString('latin1'))
      .join('\n');
    expect(raw.length).toBeGreaterThan(0);
    for (const key of allKeys) expect(raw).not.toContain(key);

    // Every text value in every table, tried as a key: none opens anything.
    const db = new Database(join(dir, 'beacon.sqlite'), { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const values = new Set<string>();
    for (const table of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
        for (const value of Object.values(row)) if (typeof value === 'string' && value.length > 0) values.add(value);
      }
    }
    db.close();
    expect(tables).toContain('api_keys');
    expect(values.size).toBeGreaterThan(5);
    for (const value of values) {
      for (const candidate of [value, `sk_${value}`, `pk_${value}`]) {
        expect((await call(w, { method: 'GET', url: '/customers', key: candidate })).status, candidate).toBe(401);
      }
    }
  });
});

describe('project isolation', () => {
  it.each(stores)("a key of project B can neither read nor change project A's customers, and the same user_id is two customers ($name)", async ({ open }) => {
    world = await open();
    const w = world;
    await call(w, { method: 'POST', url: '/customers', key: w.keys.public, body: { user_id: 'shared-id', email: 'a-side@example.com', custom_attributes: { side: 'a' } } });
    expect((await call(w, { method: 'GET', url: '/customers/shared-id', key: w.keys.foreign_secret })).status).toBe(404);
    expect((await call(w, { method: 'DELETE', url: '/customers/shared-id', key: w.keys.foreign_secret })).status).toBe(404);
    const listedByB = await call(w, { method: 'GET', url: '/customers?q=shared', key: w.keys.foreign_secret });
    expect(listedByB.json().data.customers).toEqual([]);
    expect((await call(w, { method: 'GET', url: '/customers?email=a-side@example.com', key: w.keys.foreign_secret })).json().data.customers).toEqual([]);

    // B writes the same user_id: its own profile; A's is untouched.
    await call(w, { method: 'POST', url: '/customers', key: w.keys.foreignPublic, body: { user_id: 'shared-id', custom_attributes: { side: 'b' } } });
    await call(w, { method: 'POST', url: '/customers/bulk', key: w.keys.foreignPublic, body: { customers: [{ email: 'a-side@example.com', name: 'Mallory' }] } });
    const a = (await call(w, { method: 'GET', url: '/customers/shared-id', key: w.keys.secret })).json().data;
    const b = (await call(w, { method: 'GET', url: '/customers/shared-id', key: w.keys.foreign_secret })).json().data;
    expect(a.custom_attributes).toEqual({ side: 'a' });
    expect(a.email).toBe('a-side@example.com');
    expect(a.name).toBeNull();
    expect(b.custom_attributes).toEqual({ side: 'b' });
    expect(b.id).not.toBe(a.id);
    const aList = (await call(w, { method: 'GET', url: '/customers', key: w.keys.secret })).json().data.customers;
    expect(aList).toHaveLength(1);
  });
});

describe('logs', () => {
  it('hold no key, email, phone or IP across successes, every kind of rejection, rate limiting and shutdown', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    world = await startSecurityWorld({ config: { rateLimit: { perSecond: 1, burst: 3, redisUrl: undefined } } });
    // The world's harness built its app with the silent logger; build one more on the same store with ours.
    const { buildApp } = await import('../../src/app.js');
    const app = await buildApp({ config: { ...world.harness.config, rateLimit: { perSecond: 1, burst: 3, redisUrl: undefined } }, store: world.harness.store, logger });
    const w = world;
    const secrets = {
      email: 'very.private.person@example.com',
      phone: '+15555550123',
      phoneNational: '555-555-0123',
      ip: '198.51.100.77',
      ipv6: '2001:db8::beef',
    };
    const send = (url: string, body: unknown, key?: string, extra: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url, headers: { ...(key ? auth(key) : {}), 'content-type': 'application/json', ...extra }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
    await send('/customers', { user_id: secrets.email, email: secrets.email, phone: secrets.phone, ip: secrets.ip }, w.keys.public, { 'x-forwarded-for': secrets.ip });
    await send('/customers/bulk', { customers: [{ email: secrets.email, ip: secrets.ipv6 }, { user_id: 'n', phone: secrets.phoneNational }] }, w.keys.secret);
    await send('/customers', { user_id: 'x', email: `${secrets.email}@@`, ip: `${secrets.ip}.9` }, w.keys.public);
    await send('/customers', `{"api_key":"${w.keys.secret}","email":"${secrets.email}"`, undefined);
    await send(`/customers?api_key=${w.keys.revoked}`, { email: secrets.email });
    await send('/customers', { email: secrets.email }, w.keys.unknown);
    await send('/customers', { email: secrets.email, api_key: w.keys.foreign_secret });
    await send('/customers', '['.repeat(100) + ']'.repeat(100), w.keys.foreignPublic);
    await app.inject({ method: 'GET', url: `/customers/${encodeURIComponent(secrets.email)}`, headers: auth(w.keys.public) });
    await app.inject({ method: 'GET', url: `/customers?email=${encodeURIComponent(secrets.email)}&api_key=${w.keys.secret}` });
    await app.inject({ method: 'GET', url: `/nowhere/${encodeURIComponent(secrets.email)}?api_key=${w.keys.secret}` });
    for (let i = 0; i < 6; i++) await send('/customers', { email: secrets.email }, w.keys.secret); // 429s
    await app.inject({ method: 'GET', url: '/metrics' });
    app.drain.start();
    await send('/customers', { email: secrets.email }, w.keys.secret); // 503 while draining
    await app.close();

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(15);
    expect(log).toContain('"status":429');
    expect(log).toContain('"status":503');
    const needles = [...Object.values(w.keys), ...Object.values(secrets), '5555550123', 'very.private', '198.51.100', 'db8::beef', 'Bearer'];
    for (const needle of needles) expect(log, needle).not.toContain(needle);
  });
});
