// The crash test: load against the real server, SIGKILL at random moments, restart on the same
// database, and check that every write acknowledged with a 200 is there with its attributes.
// Used by test/crash/crash.test.ts (a few kills) and scripts/crash.ts (npm run test:crash).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../support/harness.js';
import { killHard, PROCESS_PUBLIC_KEY, startServerProcess } from '../support/beacon-process.js';

export interface CrashReport {
  kills: number;
  /** Customers whose create/update was acknowledged with 200. */
  acknowledged: number;
  /** Requests that were cut off by a kill (no answer): allowed to be stored or not. */
  unanswered: number;
  /** Acknowledged customers missing or with wrong attributes after the restarts. */
  lost: string[];
  /** Per-worker counters whose stored value is behind the last acknowledged one. */
  regressed: string[];
  /** SQLite `PRAGMA integrity_check` ('ok'), or 'n/a' for PostgreSQL. */
  integrity: string;
}

interface Expected {
  token: string;
  seq: number;
}

export async function runCrashTest(options: {
  kills: number;
  workers?: number;
  log?: (line: string) => void;
  /** Default: a new SQLite file. A `postgres://` URL runs the same test on PostgreSQL. */
  databaseUrl?: string;
}): Promise<CrashReport> {
  const log = options.log ?? (() => {});
  const workers = options.workers ?? 8;
  const dir = tempDir('beacon-crash-');
  const file = join(dir, 'beacon.sqlite');
  const databaseUrl = options.databaseUrl ?? `sqlite:${file}`;
  // Ids unique to this run, so a shared PostgreSQL test database cannot answer for an earlier run.
  const run = randomBytes(4).toString('hex');
  const expected = new Map<string, Expected>();
  const counters = new Map<string, number>();
  let unanswered = 0;
  try {
    for (let round = 0; round < options.kills; round++) {
      const server = await startServerProcess({ databaseUrl, env: { BEACON_RATE_LIMIT: '0' } });
      let acked = 0;
      let stop = false;
      const worker = async (w: number) => {
        for (let seq = 0; !stop; seq++) {
          const kind = seq % 4; // 0,1: single create; 2: bulk of 25; 3: update this worker's counter
          const token = randomBytes(6).toString('hex');
          const items =
            kind === 2
              ? Array.from({ length: 25 }, (_, i) => ({ user_id: `${run}-r${round}-w${w}-${seq}-${i}`, custom_attributes: { token, seq } }))
              : kind === 3
                ? [{ user_id: `${run}-counter-w${w}`, custom_attributes: { n: round * 1_000_000 + seq, token } }]
                : [{ user_id: `${run}-r${round}-w${w}-${seq}`, email: `${run}r${round}w${w}s${seq}@example.com`, custom_attributes: { token, seq } }];
          try {
            const response = await fetch(`${server.base}/customers${kind === 2 ? '/bulk' : ''}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${PROCESS_PUBLIC_KEY}`, 'content-type': 'application/json' },
              body: JSON.stringify(kind === 2 ? { customers: items } : items[0]),
            });
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
            acked++;
            for (const item of items) {
              if (kind === 3) counters.set(item.user_id, (item.custom_attributes as { n: number }).n);
              else expected.set(item.user_id, { token, seq });
            }
          } catch (error) {
            if ((error as Error).message.startsWith('unexpected status')) throw error;
            unanswered++;
            return; // the server is gone
          }
        }
      };
      const running = Array.from({ length: workers }, (_, w) => worker(w));
      while (acked < 5) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
      server.child.kill('SIGKILL');
      await server.exited;
      stop = true;
      await Promise.all(running);
      log(`kill ${round + 1}/${options.kills}: ${acked} acknowledged requests this round, ${expected.size} customers so far`);
    }

    // One more clean start proves the database opens after the last kill; then read it directly.
    const last = await startServerProcess({ databaseUrl, env: {} });
    await killHard(last);
    const store = await openStore(databaseUrl);
    const lost: string[] = [];
    const regressed: string[] = [];
    try {
      const project = (await store.projects.findByName('default'))!;
      for (const [userId, want] of expected) {
        const row = await store.customers.getByUserId(project.id, userId);
        if (!row || row.attributes.token !== want.token || row.attributes.seq !== want.seq) lost.push(userId);
      }
      for (const [userId, n] of counters) {
        const row = await store.customers.getByUserId(project.id, userId);
        // An unacknowledged later update may have committed too, so ≥, never <.
        if (!row || typeof row.attributes.n !== 'number' || row.attributes.n < n) regressed.push(`${userId}: ${String(row?.attributes.n)} < ${n}`);
      }
    } finally {
      await store.close();
    }
    let integrity = 'n/a';
    if (databaseUrl.startsWith('sqlite:')) {
      const db = new Database(file, { readonly: true });
      integrity = String(db.pragma('integrity_check', { simple: true }));
      db.close();
    }
    return { kills: options.kills, acknowledged: expected.size + counters.size, unanswered, lost, regressed, integrity };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
