// Group commit on PostgreSQL, where a project's groups overlap: the next group starts once the
// previous one holds its locks, and calls about the same customers still apply in arrival order.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createGroupCommit } from '../../src/customers/group-commit.js';
import type { CustomerChanges } from '../../src/customers/merge.js';
import { openStore } from '../../src/store/open-store.js';
import type { IdentifyBatch, Project, Store } from '../../src/store/store.js';
import { requirePostgres, uniqueName } from '../support/stores.js';

const postgres = await requirePostgres('group commit pipelining');
const TIMEOUT = 1800;

describe.skipIf(postgres.unavailable !== null)('group commit on PostgreSQL (overlapping groups)', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(postgres.url, { poolSize: 4, timeoutMs: 10_000 });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
  });

  const project = () => store.projects.create({ name: uniqueName('pipeline'), now: 1 });

  /** The store, with every identify call reported to `watch` (which may hold its answer back). */
  function watched(watch: (batch: IdentifyBatch, run: () => Promise<void>) => Promise<void>): Store {
    return {
      ...store,
      customers: {
        ...store.customers,
        identify: async (batch) => {
          let outcome = { duplicates: 0 };
          await watch(batch, async () => {
            outcome = await store.customers.identify(batch);
          });
          return outcome;
        },
      },
    };
  }

  it('declares more than one group in flight', () => {
    expect(store.identifyConcurrency).toBeGreaterThan(1);
  });

  it('starts the next group while the previous one is still committing', async () => {
    const target = await project();
    let secondStarted!: () => void;
    const second = new Promise<void>((resolve) => (secondStarted = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    let calls = 0;
    const groupCommit = createGroupCommit({
      clock: manualClock(),
      store: watched(async (batch, run) => {
        calls += 1;
        if (calls === 1) {
          const onLocked = batch.onLocked;
          await store.customers.identify({
            ...batch,
            onLocked: () => {
              onLocked?.();
              firstLocked();
            },
          });
          // Committed, but answered only once the second group has started (or never).
          const started = await Promise.race([second.then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);
          expect(started).toBe(true);
          return;
        }
        secondStarted();
        await run();
      }),
    });
    const first = groupCommit.submit(target, { userId: 'first', updateSession: true }, TIMEOUT);
    await locked;
    const next = groupCommit.submit(target, { userId: 'second', updateSession: true }, TIMEOUT);
    await Promise.all([first, next]);
    expect(calls).toBe(2);
    expect(await store.customers.getByUserId(target.id, 'first')).not.toBeNull();
    expect(await store.customers.getByUserId(target.id, 'second')).not.toBeNull();
  });

  it('applies calls about the same customers in arrival order across overlapping groups', async () => {
    const grouped = await project();
    const sequential = await project();
    const clock = manualClock();
    // Every call names one of a few identities, so consecutive groups always conflict.
    const calls = Array.from({ length: 90 }, (_, i): CustomerChanges => {
      const kind = i % 5;
      if (kind === 0) return { email: 'ada@example.com', firstName: `lead-${i}`, attributes: { step: i }, updateSession: true };
      if (kind === 1) return { userId: 'ada', email: 'ADA@example.com', lastName: `L${i}`, attributes: { step: i, [`k${i % 3}`]: i }, updateSession: true };
      if (kind === 2) return { anonymousId: 'visitor-1', firstName: `anon-${i}`, updateSession: i % 2 === 0 };
      if (kind === 3) return { userId: 'ada', anonymousId: 'visitor-1', attributes: { step: i, k0: null }, updateSession: true };
      return { userId: `bob-${i % 2}`, email: 'ada@example.com', phone: i % 4 === 0 ? '+15555555555' : null, updateSession: true };
    });
    const groupCommit = createGroupCommit({ clock, store });
    const submitted: Promise<void>[] = [];
    for (const [i, changes] of calls.entries()) {
      submitted.push(groupCommit.submit(grouped, changes, TIMEOUT));
      if (i % 3 === 2) await nextTurn(); // a few calls per turn of the event loop: many groups
    }
    await Promise.all(submitted);
    for (const changes of calls) {
      await store.customers.identify({ projectId: sequential.id, items: [changes], now: clock.now(), sessionTimeout: TIMEOUT });
    }

    const rows = async (target: Project) =>
      (await store.customers.scan(target.id, { limit: 100 })).map(({ id: _id, ...profile }) => profile);
    expect(await rows(grouped)).toEqual(await rows(sequential));
    expect(groupCommit.stats().groups).toBeGreaterThan(1);
  });
});
