// Group commit on a real SQLite store: calls submitted together are one transaction, applied
// in arrival order, with the same outcome as one-by-one; a refused item fails alone.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createGroupCommit } from '../../src/customers/group-commit.js';
import type { CustomerChanges } from '../../src/customers/merge.js';
import type { Project, Store } from '../../src/store/store.js';
import { openTestStore, tempDir } from '../support/harness.js';

const TIMEOUT = 1800;

describe('createGroupCommit', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  async function fresh(): Promise<{ store: Store; project: Project; dir: string }> {
    const dir = tempDir();
    const store = await openTestStore(dir);
    cleanup.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const project = await store.projects.create({ name: 'default', now: 1 });
    return { store, project, dir };
  }

  /** Order matters here: conflicting names, an email-only profile later claimed, a removal. */
  const calls: CustomerChanges[] = [
    { email: 'ada@example.com', firstName: 'Lead', attributes: { source: 'ad' }, updateSession: true },
    { userId: 'ada', email: 'ada@example.com', firstName: 'Ada', attributes: { plan: 'free' }, updateSession: true },
    { userId: 'ada', lastName: 'Lovelace', attributes: { plan: 'pro', source: null }, updateSession: false },
    { userId: 'bob', firstName: 'Bob', updateSession: true },
    { userId: 'bob', firstName: 'Robert', phone: '+15555555555', updateSession: true },
    { email: 'ADA@example.com', attributes: { last: 'email-only call' }, updateSession: true },
    { userId: 'carl', email: 'ada@example.com', updateSession: true }, // Ada's profile has a user_id: a new one
    { userId: 'bob', firstName: null, updateSession: true },
  ];

  it('applies calls submitted together in one transaction, in arrival order, as sequential calls would', async () => {
    const grouped = await fresh();
    const sequential = await fresh();
    const clock = manualClock();
    const batches: number[] = [];
    const recorded: Store = {
      ...grouped.store,
      customers: {
        ...grouped.store.customers,
        identify: (batch) => {
          batches.push(batch.items.length);
          return grouped.store.customers.identify(batch);
        },
      },
    };
    const groupCommit = createGroupCommit({ store: recorded, clock });
    await Promise.all(calls.map((changes) => groupCommit.submit(grouped.project, changes, TIMEOUT)));
    for (const changes of calls) {
      await sequential.store.customers.identify({ projectId: sequential.project.id, items: [changes], now: clock.now(), sessionTimeout: TIMEOUT });
    }

    expect(batches).toEqual([calls.length]);
    const rows = (store: Store, project: Project) => store.customers.list(project.id, { limit: 100 });
    expect(await rows(grouped.store, grouped.project)).toEqual(await rows(sequential.store, sequential.project));
    const ada = await grouped.store.customers.getByUserId(grouped.project.id, 'ada');
    expect(ada).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', attributes: { plan: 'pro', last: 'email-only call' } });
    expect(await grouped.store.customers.getByUserId(grouped.project.id, 'bob')).toMatchObject({ firstName: null, phone: '+15555555555' });
    expect(groupCommit.stats()).toEqual({ groups: 1, items: calls.length, fallbacks: 0 });
  });

  it('splits work larger than maxGroup into several transactions, still in order', async () => {
    const { store, project } = await fresh();
    const groupCommit = createGroupCommit({ store, clock: manualClock(), maxGroup: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `v${i}`);
    await Promise.all(names.map((name) => groupCommit.submit(project, { userId: 'same', firstName: name, updateSession: true }, TIMEOUT)));
    expect((await store.customers.getByUserId(project.id, 'same'))?.firstName).toBe('v9');
    expect(groupCommit.stats()).toMatchObject({ groups: 4, items: 10 });
  });

  it('rejects only the item the database refuses and commits the rest of its group', async () => {
    const { store, project, dir } = await fresh();
    const db = new Database(join(dir, 'beacon.sqlite'));
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON customers WHEN NEW.user_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    db.close();
    const groupCommit = createGroupCommit({ store, clock: manualClock() });
    const userIds = ['a', 'b', 'poison', 'c'];
    const outcomes = await Promise.allSettled(userIds.map((userId) => groupCommit.submit(project, { userId, updateSession: true }, TIMEOUT)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const stored = await store.customers.list(project.id, { limit: 10 });
    expect(stored.map((row) => row.userId).sort()).toEqual(['a', 'b', 'c']);
    expect(groupCommit.stats()).toMatchObject({ fallbacks: 1, items: 3 });
  });

  it('keeps projects apart: each project gets its own transactions', async () => {
    const { store, project } = await fresh();
    const other = await store.projects.create({ name: 'other', now: 1 });
    const groupCommit = createGroupCommit({ store, clock: manualClock() });
    await Promise.all([
      groupCommit.submit(project, { userId: 'x', firstName: 'Default', updateSession: true }, TIMEOUT),
      groupCommit.submit(other, { userId: 'x', firstName: 'Other', updateSession: true }, TIMEOUT),
    ]);
    expect((await store.customers.getByUserId(project.id, 'x'))?.firstName).toBe('Default');
    expect((await store.customers.getByUserId(other.id, 'x'))?.firstName).toBe('Other');
  });
});
