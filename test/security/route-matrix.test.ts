// The route × key-kind matrix, generated from every route the app registers (collected by an
// onRoute hook), so a route added later is covered without touching this file. A route with
// no key check must be declared public (`config: { public: true }`) or this test fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../src/http/route-table.js';
import { KEY_KINDS, openPostgresForTest, postgresForSecurity, snapshot, startSecurityWorld, type KeyKindCase, type SecurityWorld } from '../support/security.js';

const SEEDED = { user_id: 'matrix-user', email: 'owner.a.private@example.com', name: 'Alice Matrixa', custom_attributes: { plan: 'gold' } };
// Markers of project A's data that no other project's caller may ever see.
const PRIVATE_MARKERS = ['owner.a.private', 'Matrixa'];
// A body every ingest route understands: a customer, and a bulk list of one.
const BODY = { user_id: 'matrix-new', email: 'new.person@example.com', customers: [{ user_id: 'matrix-new-bulk' }] };

type Outcome = 'open' | 'allowed' | '401' | '403' | 'unguarded';

function expected(route: RouteEntry, kind: KeyKindCase): Outcome {
  if (route.public) return 'open';
  if (!route.scope) return 'unguarded';
  if (kind === 'none' || kind === 'unknown' || kind === 'revoked') return '401';
  if (kind === 'public' && route.scope !== 'ingest') return '403';
  return 'allowed';
}

function outcomeOf(route: RouteEntry, status: number): Outcome | `unexpected ${number}` {
  if (status >= 500) return `unexpected ${status}`;
  if (status === 401) return '401';
  if (status === 403) return '403';
  return route.public ? 'open' : 'allowed';
}

function urlFor(route: RouteEntry): string {
  return route.url
    .replace(/:user_id/g, encodeURIComponent(SEEDED.user_id))
    .replace(/:[A-Za-z_]+/g, 'x')
    .replace(/\*/g, 'x');
}

function describeMatrix(name: string, open: () => Promise<SecurityWorld>) {
  describe(name, () => {
    let world: SecurityWorld;
    beforeAll(async () => {
      world = await open();
    });
    afterAll(async () => {
      await world.harness.close();
    });

    for (const transport of ['header', 'query'] as const) {
      it(`every route × every key kind (${transport} key) answers as its scope says, and foreign keys see and change nothing of project A`, async () => {
        const { app, store } = world.harness;
        const routes = app.routeTable.filter((route) => route.method !== 'OPTIONS');
        expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['POST /customers', 'POST /customers/bulk', 'GET /customers', 'GET /customers/:user_id', 'DELETE /customers/:user_id']));
        const want: Record<string, string> = {};
        const got: Record<string, string> = {};
        const leaks: string[] = [];
        for (const route of routes) {
          for (const kind of KEY_KINDS) {
            const cell = `${route.method} ${route.url} · ${kind}`;
            // Reset project A to a known state: the seeded customer exists.
            await store.customers.identify({ projectId: world.projectA.id, items: [{ updateSession: false, userId: SEEDED.user_id, email: SEEDED.email, firstName: 'Alice', lastName: 'Matrixa', attributes: { plan: 'gold' } }], now: 1, sessionTimeout: 1800 });
            const before = await snapshot(store, world.projectA.id);
            const key = kind === 'none' ? undefined : world.keys[kind];
            let url = urlFor(route);
            const headers: Record<string, string> = {};
            if (key && transport === 'header') headers.authorization = `Bearer ${key}`;
            if (key && transport === 'query') url += `${url.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(key)}`;
            const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
            if (hasBody) headers['content-type'] = 'application/json';
            const response = await app.inject({ method: route.method as 'GET', url, headers, payload: hasBody ? JSON.stringify(BODY) : undefined });
            want[cell] = expected(route, kind);
            got[cell] = outcomeOf(route, response.statusCode);
            if (!route.public && route.method !== 'HEAD') {
              const body = response.json() as { success: boolean; code?: number };
              // Segment-compatible routes answer a bare {"success": true}; every failure is the envelope.
              const ok = response.statusCode === 200 ? body.success === true && (body.code === undefined || body.code === 200) : body.success === false && body.code === response.statusCode;
              if (!ok) got[cell] += ' (no envelope)';
            }
            const mayTouchA = kind === 'secret' || (kind === 'public' && route.scope === 'ingest');
            if (!mayTouchA) {
              if ((await snapshot(store, world.projectA.id)) !== before) leaks.push(`${cell}: changed project A`);
              for (const marker of PRIVATE_MARKERS) if (response.body.includes(marker)) leaks.push(`${cell}: showed ${marker}`);
            }
          }
        }
        expect(got).toEqual(want);
        expect(leaks).toEqual([]);
      });
    }
  });
}

describeMatrix('route × key matrix on SQLite', () => startSecurityWorld());

const postgres = await postgresForSecurity('route × key matrix');
if (postgres) describeMatrix('route × key matrix on PostgreSQL', async () => startSecurityWorld({ store: await openPostgresForTest(postgres) }));
