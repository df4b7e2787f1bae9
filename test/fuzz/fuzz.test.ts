// Property-based fuzzing of every route the app registers: arbitrary JSON, mutated customers,
// hostile text bodies, random paths and queries. npm test runs a few hundred cases with a new
// seed each time; npm run test:fuzz runs 10,000 (BEACON_FUZZ_RUNS). A failure prints the seed
// and the shrunk case: replay with BEACON_FUZZ_SEED=<seed>.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../src/http/route-table.js';
import { auth, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

const RUNS = Number(process.env.BEACON_FUZZ_RUNS ?? 400);
const SEED = process.env.BEACON_FUZZ_SEED === undefined ? undefined : Number(process.env.BEACON_FUZZ_SEED);

// ---- values ----
const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 1e11 + 1, 2 ** 63, 0.1 + 0.2, -1, 1e21);
const unicode = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\uD800', '🧨'.repeat(600), 'a'.repeat(1001), 'é\u0301', '\u202Eevil', '<script>', "'; DROP TABLE customers; --", '%00', '../../etc/passwd'),
);
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__');
const deep = fc.integer({ min: 1, max: 60 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { nest: value };
  return value;
});
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  unicode,
  hugeNumber,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  deep,
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.oneof(fc.string(), protoKey), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
);

const validCustomer = fc.record(
  {
    user_id: fc.oneof(fc.constantFrom('u1', 'u2', 'u3', 'fuzz-a', 'fuzz-b'), fc.integer({ min: 0, max: 50 })),
    email: fc.constantFrom('a@example.com', 'B@Example.com', 'c@example.org', ''),
    name: fc.constantFrom('Billy Madison', 'Ada', '  spaced   out  ', ''),
    first_name: fc.constantFrom('Bo', null),
    phone: fc.constantFrom('+15555555555', '+447911123456', null),
    signed_up_at: fc.integer({ min: 0, max: 2_000_000_000 }),
    ip: fc.constantFrom('203.0.113.9', '2001:db8::1', null),
    update_session: fc.boolean(),
    custom_attributes: fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_-]{0,10}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 }),
  },
  { requiredKeys: ['user_id'] },
);

/** A valid customer with one field replaced, removed or added. */
const mutatedCustomer = fc
  .tuple(validCustomer, fc.oneof(fc.constantFrom('user_id', 'email', 'name', 'first_name', 'last_name', 'phone', 'signed_up_at', 'ip', 'update_session', 'custom_attributes', 'sessions', 'first_seen', 'api_key'), protoKey), nasty, fc.boolean())
  .map(([customer, field, value, intoAttributes]) => {
    const copy: Record<string, unknown> = JSON.parse(JSON.stringify(customer));
    if (intoAttributes) {
      const attributes: Record<string, unknown> = Object.assign(Object.create(null), (copy.custom_attributes as object) ?? {});
      Object.defineProperty(attributes, field, { value, enumerable: true, configurable: true, writable: true });
      copy.custom_attributes = attributes;
    } else {
      Object.defineProperty(copy, field, { value, enumerable: true, configurable: true, writable: true });
    }
    return copy;
  });

const customerLike = fc.oneof({ weight: 3, arbitrary: mutatedCustomer }, { weight: 1, arbitrary: validCustomer }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) });

/** Body texts: JSON of the values above, plus text JSON.stringify never makes. */
const bodyText = fc.oneof(
  { weight: 4, arbitrary: customerLike.map((value) => JSON.stringify(value) ?? 'null') },
  { weight: 2, arbitrary: fc.array(customerLike, { maxLength: 6 }).map((customers) => JSON.stringify({ customers })) },
  { weight: 1, arbitrary: fc.tuple(fc.string(), fc.string()).map(([a, b]) => `{"user_id":${JSON.stringify(a)},"user_id":${JSON.stringify(b)},"email":"dup@example.com","email":null}`) },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"admin":true},"user_id":"p"}', '{"user_id":"c","constructor":{"prototype":{"x":1}}}', '{"user_id":"p","custom_attributes":{"__proto__":{"polluted":1}}}', '{"customers":[{"__proto__":null,"user_id":"b"}]}') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '{"user_id":"d","custom_attributes":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n + 1)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value).slice(0, -1)) },
);

interface Case {
  routeIndex: number;
  body: string;
  contentType: string | null;
  key: 'secret' | 'public';
  param: string;
  query: Record<string, string | string[]>;
}

const caseArb: (routes: number) => fc.Arbitrary<Case> = (routes) =>
  fc.record({
    routeIndex: fc.nat({ max: routes - 1 }),
    body: bodyText,
    contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(null, 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x') }),
    key: fc.constantFrom('secret', 'public'),
    param: fc.oneof(fc.constantFrom('u1', 'fuzz-a', '50'), fc.string({ maxLength: 30 })),
    query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'q', 'email', 'api_key', 'x'), fc.oneof(unicode, fc.integer().map(String), fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 })), { maxKeys: 3 }),
  });

function pathFor(route: RouteEntry, param: string): string {
  return route.url.replace(/:[A-Za-z_]+/g, encodeURIComponent(param)).replace(/\*/g, encodeURIComponent(param));
}

describe('fuzzing every route', () => {
  let h: Harness;
  let db: Database.Database;
  beforeAll(async () => {
    h = await startHarness({ config: { rateLimit: { perSecond: 0, burst: 1, redisUrl: undefined } } });
    db = new Database(join(h.dir, 'beacon.sqlite'), { readonly: true });
  });
  afterAll(async () => {
    db.close();
    await h.close();
  });

  // Any write moves updated_at (the clock advances every case), inserts move max(id), deletes count.
  const fingerprint = () => JSON.stringify(db.prepare('SELECT count(*) AS n, coalesce(sum(updated_at), 0) AS t, coalesce(max(id), 0) AS m FROM customers').get());

  it(`${RUNS} generated requests: never a 5xx, always the envelope with code = status, nothing stored on rejection`, async () => {
    const registered = h.app.routeTable.filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS');
    // Routes behind a key take client data: give them four times the cases of the open ones.
    const routes = registered.flatMap((route) => (route.public ? [route] : [route, route, route, route]));
    expect(registered.length).toBeGreaterThanOrEqual(5);
    let cases = 0;
    const byStatus: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(caseArb(routes.length), async (input) => {
        cases++;
        h.clock.advance(1);
        const route = routes[input.routeIndex]!;
        const hasBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method) && (route.method !== 'DELETE' || input.body.length % 2 === 0);
        const headers: Record<string, string> = auth(input.key === 'secret' ? SECRET_KEY : PUBLIC_KEY);
        if (hasBody && input.contentType) headers['content-type'] = input.contentType;
        const before = fingerprint();
        const response = await h.app.inject({
          method: route.method as 'GET',
          url: pathFor(route, input.param),
          query: input.query,
          headers,
          payload: hasBody ? input.body : undefined,
        });
        const status = response.statusCode;
        byStatus[`${route.method} ${route.url} ${status}`] = (byStatus[`${route.method} ${route.url} ${status}`] ?? 0) + 1;
        expect(status, response.body).toBeLessThan(500);
        if (!route.public) {
          const envelope = JSON.parse(response.body) as { success: unknown; code: unknown; message?: unknown; data?: { accepted?: number } | null };
          // Segment-compatible routes answer a bare {"success": true}; every failure is the envelope.
          if (status !== 200 || envelope.code !== undefined) expect(envelope.code).toBe(status);
          expect(envelope.success).toBe(status === 200);
          if (status !== 200) expect(typeof envelope.message).toBe('string');
          const partialBulk = status === 422 && (envelope.data?.accepted ?? 0) > 0;
          if (status !== 200 && !partialBulk) expect(fingerprint(), `${route.method} ${route.url} ${status} stored something`).toBe(before);
        }
        if (route.method === 'GET') expect(fingerprint()).toBe(before);
        expect(({} as Record<string, unknown>).admin).toBeUndefined(); // no prototype pollution
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: RUNS, seed: SEED, verbose: 1 },
    );
    expect(cases).toBeGreaterThanOrEqual(RUNS);
    console.log(`fuzz: ${cases} cases; responses by route and status:`, byStatus);

    // Still healthy afterwards.
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const ok = await h.app.inject({ method: 'POST', url: '/customers', headers: { ...auth(PUBLIC_KEY), 'content-type': 'application/json' }, payload: JSON.stringify({ user_id: 'after-fuzz', custom_attributes: { ok: true } }) });
    expect(ok.statusCode).toBe(200);
    const read = await h.app.inject({ method: 'GET', url: '/customers/after-fuzz', headers: auth(SECRET_KEY) });
    expect(read.json().data.custom_attributes).toEqual({ ok: true });
  }, 600_000);
});
