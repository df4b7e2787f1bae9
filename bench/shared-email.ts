// `npm run bench:shared-email`: does an email shared by many profiles slow identify down? On
// each store, one project where SHARED profiles have the address info@shared.example and one
// where the same number of profiles each have their own; then the same identify calls (a new
// user_id with that project's address, 100 in flight, so group commit batches them) on both,
// alternating A/B/A/B. Prints calls/s and the ratio shared / own (1.0 = no cost).
//   BENCH_SHARED (default 20000)  profiles per project
//   BENCH_CALLS (default 4000)    identify calls per measurement
//   BEACON_BENCH_DATABASE_URL     PostgreSQL (recreated), as in npm run bench
import { systemClock } from '../src/clock.js';
import { DEFAULT_LIMITS } from '../src/config.js';
import { createCustomerService } from '../src/customers/identify.js';
import { openStore } from '../src/store/open-store.js';
import type { Project, Store } from '../src/store/store.js';
import { fmt } from './format.js';
import { freshPostgres, tempDb } from './servers.js';

const SHARED = Number(process.env.BENCH_SHARED ?? 20_000);
const CALLS = Number(process.env.BENCH_CALLS ?? 4_000);
const IN_FLIGHT = 100;
const ROUNDS = 2;

async function seed(store: Store, project: Project, email: (i: number) => string): Promise<void> {
  for (let from = 0; from < SHARED; from += 1000) {
    const items = Array.from({ length: Math.min(1000, SHARED - from) }, (_, j) => ({
      userId: `seed-${from + j}`,
      email: email(from + j),
      firstName: 'Ada',
      attributes: { plan: 'pro' },
      updateSession: true,
    }));
    await store.customers.identify({ projectId: project.id, items, now: systemClock.now(), sessionTimeout: 1800 });
  }
}

async function measure(store: Store, project: Project, email: (i: number) => string, tag: string): Promise<number> {
  const customers = createCustomerService({ store, clock: systemClock, limits: DEFAULT_LIMITS, sessionTimeout: 1800 });
  const started = process.hrtime.bigint();
  for (let from = 0; from < CALLS; from += IN_FLIGHT) {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, (_, j) =>
        customers.identify(project, { user_id: `${tag}-${from + j}`, email: email(from + j), custom_attributes: { plan: 'free' } }),
      ),
    );
  }
  return CALLS / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function onStore(name: string, url: string): Promise<string> {
  const store = await openStore(url);
  try {
    const shared = await store.projects.create({ name: 'shared', now: systemClock.now() });
    const own = await store.projects.create({ name: 'own', now: systemClock.now() });
    const sharedEmail = () => 'info@shared.example';
    const ownEmail = (i: number) => `person${i}@own.example`;
    await seed(store, shared, sharedEmail);
    await seed(store, own, ownEmail);
    const rates = { shared: [] as number[], own: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      // Each call reuses an address already held in its project (shared: by all SHARED profiles).
      rates.shared.push(await measure(store, shared, sharedEmail, `r${round}`));
      rates.own.push(await measure(store, own, (i) => ownEmail(i % SHARED), `r${round}`));
    }
    const best = (values: number[]) => Math.max(...values);
    return `| ${name} | ${rates.shared.map((r) => fmt(r)).join(' / ')} | ${rates.own.map((r) => fmt(r)).join(' / ')} | ${fmt(best(rates.shared) / best(rates.own), 2)} |`;
  } finally {
    await store.close();
  }
}

const sqlite = tempDb();
try {
  const rows = [await onStore('sqlite', sqlite.url), await onStore('postgres', freshPostgres().url)];
  process.stdout.write(
    [
      `Identify with an email held by ${fmt(SHARED)} profiles vs by one, ${fmt(CALLS)} calls, ${IN_FLIGHT} in flight (calls/s per round, ratio of the best):`,
      '',
      '| store | shared email | own email | shared / own |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  sqlite.cleanup();
}
