// Quick probe of the SQLite store's per-item identify cost: N new customers in groups of G,
// inline writer (no thread), fresh file. Usage: tsx bench/store-item.ts [N] [G]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { customerBody, customerChanges } from './workload.js';

const n = Number(process.argv[2] ?? 100_000);
const g = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(os.tmpdir(), 'beacon-item-'));
const store = openSqliteStore(join(dir, 'b.sqlite'), { writerThread: false });
const project = await store.projects.create({ name: 'p', now: 1 });
const items = Array.from({ length: n }, (_, i) => customerChanges(customerBody('x', i)));
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i += g) {
  await store.customers.identify({ projectId: project.id, items: items.slice(i, i + g), now: 1_700_000_000, sessionTimeout: 1800 });
}
const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
// Then the same customers again (all updates).
const t1 = process.hrtime.bigint();
for (let i = 0; i < n; i += g) {
  await store.customers.identify({ projectId: project.id, items: items.slice(i, i + g), now: 1_700_000_100, sessionTimeout: 1800 });
}
const us2 = Number(process.hrtime.bigint() - t1) / 1e3 / n;
console.log(`new: ${us.toFixed(1)} µs/item (${Math.round(1e6 / us)}/s); update: ${us2.toFixed(1)} µs/item (${Math.round(1e6 / us2)}/s); groups of ${g}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
