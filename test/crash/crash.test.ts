// The reduced crash test that runs in npm test; npm run test:crash runs 25 kills.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../support/harness.js';
import { openPostgresForTest, postgresForSecurity } from '../support/security.js';
import { runCrashTest } from './crash-run.js';

const postgres = await postgresForSecurity('crash test');

describe('SIGKILL at random moments', () => {
  it('loses no acknowledged write across 3 kills and restarts', async () => {
    const report = await runCrashTest({ kills: 3, workers: 6 });
    expect(report.acknowledged).toBeGreaterThan(20);
    expect(report.unanswered).toBeGreaterThan(0); // the kills really cut requests off
    expect(report.lost).toEqual([]);
    expect(report.regressed).toEqual([]);
    expect(report.integrity).toBe('ok');
  }, 120_000);
});

describe('SQLite durability settings', () => {
  // A SIGKILL cannot tell synchronous=NORMAL from FULL (the OS still holds the pages); a power cut
  // can. FULL fsyncs the WAL on every commit, before the 200 is sent.
  it('runs in WAL mode with synchronous=FULL; identify commits are synced by the writer thread', async () => {
    const dir = tempDir('beacon-durability-');
    const store = openSqliteStore(join(dir, 'beacon.sqlite'));
    try {
      expect(await store.durability!()).toEqual({ journal_mode: 'wal', synchronous: 'full', identify_commits: 'wal-fdatasync-before-reply' });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The writer thread commits with synchronous=NORMAL and syncs the WAL itself: this shows the
  // order — committed (visible to other connections), then synced, only then answered.
  it('answers an identify only after the WAL sync that follows its commit', async () => {
    const dir = tempDir('beacon-durability-');
    const store = openSqliteStore(join(dir, 'beacon.sqlite'), { walSyncDelayMs: 400 });
    try {
      const project = await store.projects.create({ name: 'sync', now: 1 });
      const batch = (userId: string) => ({ projectId: project.id, items: [{ userId, updateSession: true }], now: 1, sessionTimeout: 1800 });
      const started = Date.now();
      let answered = 0;
      const first = store.customers.identify(batch('first')).then(() => (answered += 1));
      const second = store.customers.identify(batch('second')).then(() => (answered += 1));
      // Wait until both are committed and visible, while their sync is still being held back.
      while (!(await store.customers.getByUserId(project.id, 'second'))) await new Promise((r) => setTimeout(r, 10));
      expect(await store.customers.getByUserId(project.id, 'first')).not.toBeNull();
      expect(answered).toBe(0);
      await Promise.all([first, second]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (postgres) {
  describe('on PostgreSQL', () => {
    it('loses no acknowledged write across 2 kills of the Beacon process', async () => {
      const report = await runCrashTest({ kills: 2, workers: 6, databaseUrl: postgres });
      expect(report.acknowledged).toBeGreaterThan(10);
      expect(report.lost).toEqual([]);
      expect(report.regressed).toEqual([]);
    }, 120_000);

    it('commits with synchronous_commit=on and fsync on', async () => {
      const store = await openPostgresForTest(postgres);
      try {
        expect(await store.durability!()).toMatchObject({ synchronous_commit: 'on', fsync: 'on' });
      } finally {
        await store.close();
      }
    });
  });
}
