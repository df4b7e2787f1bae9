// Times each step Beacon adds to a bare request, in-process, on the same realistic bodies:
// the answer to "where does the remaining time go".
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createKeyCache } from '../src/auth/key-cache.js';
import { authenticate, createKey } from '../src/auth/keys.js';
import { DEFAULT_LIMITS } from '../src/config.js';
import { normaliseCustomer } from '../src/customers/normalise.js';
import { normalisePhone } from '../src/customers/phone.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { customerBody, customerChanges } from './workload.js';

export interface HotPath {
  steps: { name: string; us: number }[];
  notes: string[];
}

async function timeEach(count: number, step: (i: number) => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(2_000, count); i += 1) await step(i); // warm the JIT
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1) await step(i);
  return Number(process.hrtime.bigint() - started) / 1e3 / count;
}

export async function measureHotPath(options: { samples: number }): Promise<HotPath> {
  const n = options.samples;
  const bodies = Array.from({ length: n }, (_, i) => customerBody('hot', i));
  const texts = bodies.map((body) => JSON.stringify(body));
  const dir = mkdtempSync(join(os.tmpdir(), 'beacon-hot-'));
  // Inline writer: times the store's own work, which the server runs on its writer thread.
  const store = openSqliteStore(join(dir, 'beacon.sqlite'), { writerThread: false });
  try {
    const project = await store.projects.create({ name: 'hot', now: 1 });
    const { key } = await createKey(store, { projectId: project.id, kind: 'public', now: 1 });
    // As `beacon serve` logs (src/logger.ts asyncStdout), to /dev/null.
    const logger = pino(
      { level: 'info', base: { service: 'beacon' } },
      pino.destination({ fd: openSync('/dev/null', 'w'), sync: false, minLength: 4096, periodicFlush: 200 }),
    );

    const parse = await timeEach(n, (i) => JSON.parse(texts[i] as string));
    const validate = await timeEach(n, (i) => normaliseCustomer(bodies[i], { limits: DEFAULT_LIMITS }));
    const phone = await timeEach(n, (i) => normalisePhone(bodies[i]?.phone as string));
    const auth = await timeEach(n, () => authenticate(store, key));
    const cache = createKeyCache(store);
    const cachedAuth = await timeEach(n, () => cache.authenticate(key));
    const log = await timeEach(n, () => logger.info({ method: 'POST', route: '/customers', status: 200, ms: 1 }, 'request'));
    const groupSize = 32;
    let next = 0;
    const groupedItem =
      (await timeEach(Math.ceil(n / groupSize), () => {
        const items = Array.from({ length: groupSize }, () => customerChanges(customerBody('grp', (next += 1))));
        return store.customers.identify({ projectId: project.id, items, now: 1_700_000_000, sessionTimeout: 1800 });
      })) / groupSize;
    const singles = Math.min(n, 1_000);
    const single = await timeEach(singles, () =>
      store.customers.identify({ projectId: project.id, items: [customerChanges(customerBody('one', (next += 1)))], now: 1_700_000_000, sessionTimeout: 1800 }),
    );
    const steps = [
      { name: 'JSON.parse of the body (the bare server does this too)', us: parse },
      { name: 'validate + normalise (TypeBox check, names, email, attributes, phone)', us: validate },
      { name: '… of which the phone check (E.164 shortcut, src/customers/phone.ts)', us: phone },
      { name: 'key check on POST /customers: SHA-256 + the key cache (src/auth/key-cache.ts)', us: cachedAuth },
      { name: 'key check against the database (a cache miss; every other route): one query for key + project', us: auth },
      { name: 'request log line (pino, info level)', us: log },
      { name: `writer thread: resolve + upsert one new customer inside a group of ${groupSize} (one fsync per group)`, us: groupedItem },
      { name: 'writer thread: the same customer alone in its own transaction (one fsync each — what group commit avoids)', us: single },
    ];
    const mainThread = validate + cachedAuth + log;
    const notes = [
      `On the event loop Beacon adds about ${mainThread.toFixed(0)} µs per identify call to the bare request: validation ${validate.toFixed(0)} µs ` +
        `(phone ${phone.toFixed(1)} of it), cached key check ${cachedAuth.toFixed(1)} µs, the request log line ${log.toFixed(0)} µs. ` +
        `The store's ${groupedItem.toFixed(0)} µs per item (user_id lookup, email lookup for an unknown user_id, one INSERT with the ` +
        'attributes serialised once, and its share of the group\'s fsync) runs on the SQLite writer thread, i.e. on the other core, ' +
        'while the event loop parses and validates the next group.',
      `Without group commit every call would pay ${single.toFixed(0)} µs in its own fsynced transaction (the fsync dominates) instead ` +
        `of ${groupedItem.toFixed(0)} µs. On this 2-core machine the load generator, the event loop and the writer thread share two ` +
        'cores (with whatever else runs), so every timing here includes that contention; compare the ratios, not the absolute numbers.',
    ];
    return { steps, notes };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
