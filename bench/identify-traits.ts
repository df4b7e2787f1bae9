// How much the traits catalog costs identify: the same identify calls on a real SQLite file
// with no catalog, with the batched recorder (what Beacon does), and with a catalog write per
// call (what batching avoids). Prints calls/second and ratios. `npm run bench:traits`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/clock.js';
import { DEFAULT_LIMITS } from '../src/config.js';
import { createCustomerService } from '../src/customers/identify.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { createTraitRecorder } from '../src/traits/recorder.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
const ROUNDS = 3;
type Variant = 'none' | 'batched' | 'per-call';

async function run(variant: Variant): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-'));
  const store = openSqliteStore(join(dir, 'bench.sqlite'));
  try {
    const project = await store.projects.create({ name: 'bench', now: systemClock.now() });
    const recorder = createTraitRecorder({ store });
    const customers = createCustomerService({
      store,
      clock: systemClock,
      limits: DEFAULT_LIMITS,
      sessionTimeout: 1800,
      onStored: variant === 'none' ? undefined : (batch) => recorder.observe(batch),
    });
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i += 1) {
      await customers.identify(project, {
        user_id: `u${i % 500}`,
        email: `u${i % 500}@example.com`,
        custom_attributes: { plan: i % 2 ? 'pro' : 'free', seats: i % 40, paid: i % 3 === 0, renews_at: 1_800_000_000 + i, [`extra_${i % 20}`]: 'x' },
      });
      if (variant === 'per-call') await recorder.flush();
    }
    await recorder.close();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return CALLS / seconds;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const best: Record<Variant, number> = { none: 0, batched: 0, 'per-call': 0 };
for (let round = 0; round < ROUNDS; round += 1) {
  for (const variant of ['none', 'batched', 'per-call'] as const) best[variant] = Math.max(best[variant], await run(variant));
}
console.log(`identify calls/s (best of ${ROUNDS} rounds of ${CALLS} calls, 5 attributes each, SQLite synchronous=FULL):`);
for (const [variant, rate] of Object.entries(best)) console.log(`  ${variant.padEnd(9)} ${rate.toFixed(0)}`);
console.log(`batched / none:  ${(best.batched / best.none).toFixed(3)}`);
console.log(`per-call / none: ${(best['per-call'] / best.none).toFixed(3)}`);
