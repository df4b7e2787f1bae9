// SIGTERM under load: every request is answered 200 (and stored) or 503 (and not stored), the
// process closes the database and exits 0 within 10 s.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { postgresForSecurity } from '../support/security.js';

const postgres = await postgresForSecurity('SIGTERM drain');
const engines = [{ name: 'SQLite', url: null as string | null }, ...(postgres ? [{ name: 'PostgreSQL', url: postgres }] : [])];
import { tempDir } from '../support/harness.js';
import { killHard, PROCESS_PUBLIC_KEY, startServerProcess, type ServerProcess } from '../support/beacon-process.js';

let server: ServerProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (server) await killHard(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

interface Sent {
  userIds: string[];
  outcome: number | string;
}

describe('SIGTERM', () => {
  it.each(engines)('drains under load: 200s are stored, 503s are not, nothing else, exit 0 within 10 s ($name)', async ({ url }) => {
    dir = tempDir('beacon-sigterm-');
    const databaseUrl = url ?? `sqlite:${join(dir, 'beacon.sqlite')}`;
    const run = Math.random().toString(36).slice(2, 8);
    server = await startServerProcess({ databaseUrl });
    const base = server.base;
    const sent: Sent[] = [];
    let acked = 0;

    // Each worker sends one request after another until it is told the server is going away.
    const worker = async (w: number) => {
      for (let seq = 0; ; seq++) {
        const bulk = seq % 3 === 0;
        const userIds = bulk ? Array.from({ length: 500 }, (_, i) => `${run}-w${w}-${seq}-${i}`) : [`${run}-w${w}-${seq}`];
        const body = bulk
          ? { customers: userIds.map((user_id) => ({ user_id, custom_attributes: { w, seq } })) }
          : { user_id: userIds[0], custom_attributes: { w, seq } };
        const record: Sent = { userIds, outcome: 'pending' };
        sent.push(record);
        try {
          const response = await fetch(`${base}/customers${bulk ? '/bulk' : ''}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${PROCESS_PUBLIC_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          const envelope = (await response.json()) as { code: number; success: boolean };
          record.outcome = envelope.code === response.status ? response.status : `status ${response.status}, envelope ${envelope.code}`;
          if (response.status === 200) acked++;
          if (response.status !== 200) return;
        } catch (error) {
          record.outcome = `error ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
          return;
        }
      }
    };
    const workers = Array.from({ length: 12 }, (_, w) => worker(w));
    while (acked < 40) await new Promise((r) => setTimeout(r, 20));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await Promise.all(workers);
    const { code } = await server.exited;
    const exitMs = Date.now() - signalledAt;

    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    const outcomes = sent.map((s) => s.outcome);
    expect(outcomes.filter((o) => o !== 200 && o !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o === 503).length).toBeGreaterThan(0);
    expect(server.output()).toContain('shut down cleanly');

    const store = await openStore(databaseUrl);
    try {
      const project = (await store.projects.findByName('default'))!;
      const missing: string[] = [];
      const unexpected: string[] = [];
      for (const request of sent) {
        for (const userId of request.userIds) {
          const row = await store.customers.getByUserId(project.id, userId);
          if (request.outcome === 200 && !row) missing.push(userId);
          if (request.outcome === 503 && row) unexpected.push(userId);
        }
      }
      expect(missing).toEqual([]);
      expect(unexpected).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
