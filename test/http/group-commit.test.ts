// Group commit through real HTTP: concurrent identify calls share transactions, yet every
// caller sees exactly what it would have seen alone, and nobody gets a 200 for a lost write.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { IdentifyBatch, Store } from '../../src/store/store.js';
import { auth, openTestStore, PUBLIC_KEY, SECRET_KEY, startHarness, tempDir, type Harness } from '../support/harness.js';

/** The real store, with the size of every identify transaction recorded. */
function recording(store: Store): { store: Store; batches: number[] } {
  const batches: number[] = [];
  const customers = {
    ...store.customers,
    identify: (batch: IdentifyBatch) => {
      batches.push(batch.items.length);
      return store.customers.identify(batch);
    },
  };
  return { store: { ...store, customers }, batches };
}

async function listening(harness: Harness): Promise<string> {
  await harness.app.listen({ port: 0, host: '127.0.0.1' });
  const address = harness.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

async function identify(base: string, body: unknown): Promise<{ status: number; body: { success: boolean; code: number } }> {
  const response = await fetch(`${base}/customers`, {
    method: 'POST',
    headers: { ...auth(PUBLIC_KEY), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { success: boolean; code: number } };
}

/** Every profile, without the fields that depend on insertion order (id) — sorted by user_id/email. */
async function allProfiles(base: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${base}/customers?limit=1000`, { headers: auth(SECRET_KEY) });
  const body = (await response.json()) as { data: { customers: Record<string, unknown>[] } };
  return body.data.customers
    .map(({ id: _id, ...rest }) => rest)
    .sort((a, b) => String(a.user_id ?? a.email).localeCompare(String(b.user_id ?? b.email)));
}

/** Installs a real SQLite trigger in the database under `dir` that refuses some writes. */
function refuseWrites(dir: string, when: string): void {
  const db = new Database(join(dir, 'beacon.sqlite'));
  db.exec(`
    CREATE TRIGGER refuse_insert BEFORE INSERT ON customers WHEN ${when} BEGIN SELECT RAISE(ABORT, 'refused by test'); END;
    CREATE TRIGGER refuse_update BEFORE UPDATE ON customers WHEN ${when} BEGIN SELECT RAISE(ABORT, 'refused by test'); END;
  `);
  db.close();
}

/**
 * 30 customers, 8 calls each, whose final profile does not depend on the order the calls are
 * applied in (each call adds its own attribute; names and emails agree), plus email-only calls
 * that a later user_id call must upgrade rather than duplicate.
 */
function workload(): unknown[] {
  const calls: unknown[] = [];
  for (let c = 0; c < 30; c += 1) {
    for (let k = 0; k < 8; k += 1) {
      const call: Record<string, unknown> = { user_id: `u${c}`, custom_attributes: { [`a${k}`]: k, plan: 'pro' } };
      if (k === 0) call.name = `First${c} Last${c}`;
      if (k === 1) call.email = `user${c}@example.com`;
      if (k === 2) call.phone = `+1555000${String(1000 + c)}`;
      if (k === 3) call.update_session = false;
      calls.push(call);
    }
    calls.push({ email: `lead${c}@example.com`, custom_attributes: { source: 'ad' } });
  }
  return calls;
}

describe('group commit over HTTP', () => {
  const open: Harness[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((harness) => harness.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A real SQLite store in its own directory, recording its transactions. */
  async function recordedStore(): Promise<{ store: Store; batches: number[]; dir: string }> {
    const dir = tempDir();
    dirs.push(dir);
    return { ...recording(await openTestStore(dir)), dir };
  }

  async function start(store?: Store): Promise<{ harness: Harness; base: string }> {
    const harness = await startHarness(store ? { store } : {});
    open.push(harness);
    return { harness, base: await listening(harness) };
  }

  it('stores concurrent calls for the same and different customers exactly as sequential calls do', async () => {
    const { store, batches } = await recordedStore();
    const concurrent = await start(store);
    const sequential = await start();
    const calls = workload();

    const results = await Promise.all(calls.map((call) => identify(concurrent.base, call)));
    for (const call of calls) expect((await identify(sequential.base, call)).status).toBe(200);

    expect(results.map((result) => result.status)).toEqual(calls.map(() => 200));
    expect(results.every((result) => result.body.success)).toBe(true);
    const stored = await allProfiles(concurrent.base);
    expect(stored).toEqual(await allProfiles(sequential.base));
    expect(stored).toHaveLength(60); // 30 identified + 30 email-only leads: no duplicates
    expect(stored.find((profile) => profile.user_id === 'u7')).toMatchObject({
      email: 'user7@example.com',
      first_name: 'First7',
      phone: '+15550001007',
      sessions: 1,
      custom_attributes: { a0: 0, a1: 1, a2: 2, a3: 3, a4: 4, a5: 5, a6: 6, a7: 7, plan: 'pro' },
    });
    // Calls really were grouped: fewer transactions than calls, and every call was written once.
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(calls.length);
    expect(batches.length).toBeLessThan(calls.length);
  });

  it('upgrades an email-only profile when the user_id call arrives in the same group', async () => {
    const { base } = await start();
    const results = await Promise.all([
      identify(base, { email: 'Ada@Example.com', custom_attributes: { step: 1 } }),
      identify(base, { user_id: 'ada', email: 'ada@example.com', custom_attributes: { plan: 'pro' } }),
    ]);
    expect(results.map((result) => result.status)).toEqual([200, 200]);
    const stored = await allProfiles(base);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ user_id: 'ada', custom_attributes: { step: 1, plan: 'pro' } });
  });

  it('answers an invalid call 422 without failing the valid calls around it', async () => {
    const { base } = await start();
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 10 === 3 ? { user_id: `bad${i}`, phone: 'call me maybe' } : { user_id: `ok${i}`, name: `Person ${i}` },
    );
    const results = await Promise.all(calls.map((call) => identify(base, call)));
    results.forEach((result, i) => expect(result.status).toBe(i % 10 === 3 ? 422 : 200));
    const stored = await allProfiles(base);
    expect(stored.map((profile) => profile.user_id)).toEqual(
      calls.filter((_, i) => i % 10 !== 3).map((call) => call.user_id).sort(),
    );
  });

  it('fails only the call the database refuses; the rest of its group is stored', async () => {
    const { store, batches, dir } = await recordedStore();
    const { base } = await start(store);
    refuseWrites(dir, "NEW.user_id = 'poison'");
    const calls = Array.from({ length: 30 }, (_, i) => ({ user_id: i === 17 ? 'poison' : `ok${i}`, custom_attributes: { i } }));
    // Open the keep-alive connections first, so the real burst reaches the server at once.
    await Promise.all(calls.map((_, i) => identify(base, { user_id: `ok${i}` })));
    batches.length = 0;

    const results = await Promise.all(calls.map((call) => identify(base, call)));

    results.forEach((result, i) => {
      if (i === 17) {
        expect(result.status).toBeGreaterThanOrEqual(500);
        expect(result.body.success).toBe(false);
      } else {
        expect(result.status).toBe(200);
      }
    });
    const stored = await allProfiles(base);
    expect(stored).toHaveLength(30); // ok0…ok29 from the warm-up, updated by the burst
    expect(stored.find((profile) => profile.user_id === 'ok18')?.custom_attributes).toEqual({ i: 18 });
    expect(stored.find((profile) => profile.user_id === 'ok17')?.custom_attributes).toEqual({});
    expect(stored.some((profile) => profile.user_id === 'poison')).toBe(false);
    expect(batches.some((size) => size > 1)).toBe(true); // the poison really shared a group
  });

  it('never answers 200 when the store cannot commit', async () => {
    const { harness, base } = await start();
    refuseWrites(harness.dir, '1');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => identify(base, { user_id: `u${i}` })));
    expect(results.every((result) => result.status >= 500 && !result.body.success)).toBe(true);
    expect(await allProfiles(base)).toEqual([]);
  });
});
