// Quick probe of the SQLite store's per-item identify cost: N new customers in groups of G,
// inline writer (no thread), fresh file. Usage: tsx bench/store-item.ts [N] [G]
// Prints wall time and CPU time per item: on a shared machine the CPU time is the steadier one.
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
function cpuPerItem(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / n;
}
const items = Array.from({ length: n }, (_, i) => customerChanges(customerBody('x', i)));
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i += g) {
  await store.customers.identify({ projectId: project.id, items: items.slice(i, i + g), now: 1_700_000_000, sessionTimeout: 1800 });
}
const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
const cpu = cpuPerItem(c0);
// Then the same customers again (all updates).
const c1 = process.cpuUsage();
const t1 = process.hrtime.bigint();
for (let i = 0; i < n; i += g) {
  await store.customers.identify({ projectId: project.id, items: items.slice(i, i + g), now: 1_700_000_100, sessionTimeout: 1800 });
}
const us2 = Number(process.hrtime.bigint() - t1) / 1e3 / n;
const cpu2 = cpuPerItem(c1);
console.log(
  `new: ${us.toFixed(1)} µs/item (${Math.round(1e6 / us)}/s, CPU ${cpu.toFixed(1)} µs); ` +
    `update: ${us2.toFixed(1)} µs/item (${Math.round(1e6 / us2)}/s, CPU ${cpu2.toFixed(1)} µs); groups of ${g}`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
