// The traits catalog, last-seen order and key revocation on every store (SQLite, PostgreSQL).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { createCustomerService, type CustomerService } from '../../src/customers/identify.js';
import type { Project, Store } from '../../src/store/store.js';
import { createTraitService, type TraitService } from '../../src/traits/catalog.js';
import { createTraitRecorder, type TraitRecorder } from '../../src/traits/recorder.js';
import { storeFactories, uniqueName, type StoreFactory } from '../support/stores.js';

const factories = await storeFactories('traits contract');

for (const factory of factories) {
  describe.skipIf(factory.unavailable !== null)(`traits, last-seen order and keys on ${factory.name}`, () => {
    let opened: Awaited<ReturnType<StoreFactory['open']>>;
    let store: Store;
    let project: Project;
    let clock: ReturnType<typeof manualClock>;
    let recorder: TraitRecorder;
    let customers: CustomerService;
    let traits: TraitService;

    beforeAll(async () => {
      opened = await factory.open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened?.dispose();
    });
    beforeEach(async () => {
      clock = manualClock(1_700_000_000);
      project = await store.projects.create({ name: uniqueName('traits'), now: clock.now() });
      recorder = createTraitRecorder({ store, flushIntervalMs: 60_000 });
      customers = createCustomerService({
        store,
        clock,
        limits: DEFAULT_LIMITS,
        sessionTimeout: 1800,
        onStored: (batch) => recorder.observe(batch),
      });
      traits = createTraitService({ store, recorder });
    });

    it('records keys once with the first type, exact counts, and widening first/last seen', async () => {
      await customers.identify(project, { user_id: '1', custom_attributes: { plan: 'pro', renews: 1_800_000_000, paid: true } });
      clock.advance(100);
      await customers.identifyBulk(project, {
        customers: [
          { user_id: '2', custom_attributes: { plan: 'free', paid: 'no' } },
          { user_id: '3', custom_attributes: { plan: 'pro', seats: 2.5 } },
        ],
      });
      await customers.identify(project, { user_id: '3', custom_attributes: { seats: null } });
      const listed = await traits.list(project);
      expect(listed.map((t) => t.key)).toEqual(['paid', 'plan', 'renews', 'seats']);
      const byKey = Object.fromEntries(listed.map((t) => [t.key, t]));
      expect(byKey.plan).toMatchObject({ type: 'string', customers: 3, first_seen: 1_700_000_000, last_seen: 1_700_000_100 });
      expect(byKey.paid).toMatchObject({ type: 'boolean', format: 'yes_no', customers: 2 });
      expect(byKey.renews).toMatchObject({ type: 'date', customers: 1 });
      expect(byKey.seats).toMatchObject({ type: 'number', customers: 0 });
    });

    it('concurrent flushes of overlapping keys keep one row per key and the widest times', async () => {
      const batches = Array.from({ length: 8 }, (_, i) =>
        store.traits.record({
          projectId: project.id,
          traits: ['a', 'b', 'c', `own${i}`].map((key) => ({
            key,
            displayName: key,
            type: 'string' as const,
            format: 'text' as const,
            firstSeen: 1000 + i,
            lastSeen: 2000 + i,
          })),
        }),
      );
      await Promise.all(batches);
      const rows = await store.traits.list(project.id);
      expect(rows).toHaveLength(11);
      expect(rows.find((r) => r.key === 'a')).toMatchObject({ firstSeen: 1000, lastSeen: 2007 });
    });

    it('updates only when the type is still the one the decision was based on', async () => {
      await customers.identify(project, { user_id: '1', custom_attributes: { score: 5 } });
      await recorder.flush();
      expect(await store.traits.update({ projectId: project.id, key: 'score', changes: { type: 'date', format: 'date' }, expectedType: 'boolean' })).toBeNull();
      expect(await store.traits.update({ projectId: project.id, key: 'score', changes: { type: 'date', format: 'date' }, expectedType: 'number' })).toMatchObject({
        type: 'date',
        format: 'date',
        displayName: 'Score',
      });
      expect(await traits.update(project, 'score', { format: 'relative', display_name: 'Lead score' })).toMatchObject({ format: 'relative', display_name: 'Lead score', customers: 1 });
    });

    it('pages by last seen with never-seen profiles last', async () => {
      await customers.identify(project, { user_id: 'old' });
      clock.advance(10);
      await customers.identify(project, { user_id: 'never', update_session: false });
      await customers.identify(project, { user_id: 'new' });
      await customers.identify(project, { user_id: 'tie' });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await customers.list(project, { sort: 'last_seen', limit: 1, cursor });
        seen.push(...page.customers.map((c) => c.user_id as string));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(['tie', 'new', 'old', 'never']);
    });

    it('revokes keys by id but never the last active secret key', async () => {
      const insert = (kind: 'public' | 'secret', n: number) =>
        store.keys.insert({ projectId: project.id, kind, hash: `${factory.name}${project.id}x${n}`.padEnd(64, '0'), displayPrefix: `${kind}_same`, now: 1 });
      const secretA = await insert('secret', 1);
      const secretB = await insert('secret', 2);
      const publicKey = await insert('public', 3);
      const results = await Promise.all([
        store.keys.revokeById({ projectId: project.id, id: secretA.id, now: 5 }),
        store.keys.revokeById({ projectId: project.id, id: secretB.id, now: 5 }),
      ]);
      expect(results.sort()).toEqual(['last_secret', 'revoked']);
      expect(await store.keys.revokeById({ projectId: project.id, id: publicKey.id, now: 6 })).toBe('revoked');
      expect(await store.keys.revokeById({ projectId: project.id, id: publicKey.id, now: 7 })).toBe('not_found');
      const other = await store.projects.create({ name: uniqueName('other'), now: 1 });
      const alive = (await store.keys.listForProject(project.id)).find((k) => k.revokedAt === null);
      expect(await store.keys.revokeById({ projectId: other.id, id: alive?.id ?? 0, now: 8 })).toBe('not_found');
      // Same display prefix, different keys: only the one named by id was revoked.
      expect((await store.keys.listForProject(project.id)).filter((k) => k.revokedAt === null)).toHaveLength(1);
    });
  });
}
