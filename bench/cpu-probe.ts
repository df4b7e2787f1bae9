// `tsx bench/cpu-probe.ts [bare|sqlite|postgres] [requests]`: one identify run with per-thread CPU
// accounting (from /proc), to see which thread is the bottleneck. A diagnostic, not the benchmark.
import os from 'node:os';
import { fireBodies } from './load.js';
import { PUBLIC_KEY, startBare, startBeacon, tempDb, threadCpuSeconds } from './servers.js';
import { customerBody } from './workload.js';

const target = process.argv[2] ?? 'sqlite';
const count = Number(process.argv[3] ?? 30_000);
const fire = (url: string, bodies: string[]) => fireBodies({ url: `${url}/customers`, key: PUBLIC_KEY, bodies, connections: 64 });

const sqlite = tempDb();
const databaseUrl = target === 'postgres' ? (process.env.PROBE_PG ?? 'postgres://postgres@127.0.0.1:5432/beacon_test_probe') : sqlite.url;
const server =
  target === 'bare'
    ? await startBare()
    : await startBeacon(databaseUrl, (process.env.PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean));
const tag = `p${Date.now().toString(36)}`;
await fire(server.url, Array.from({ length: 2000 }, (_, i) => JSON.stringify(customerBody(`${tag}w`, i))));
const bodies = Array.from({ length: count }, (_, i) => JSON.stringify(customerBody(tag, i)));
const before = threadCpuSeconds(server.pid);
const selfBefore = process.cpuUsage();
const { result, seconds } = await fire(server.url, bodies);
const self = process.cpuUsage(selfBefore);
const after = threadCpuSeconds(server.pid);
const metrics = target === 'bare' ? '' : await (await fetch(`${server.url}/metrics`)).text();
await server.stop();
sqlite.cleanup();
const sum = Number(/^beacon_identify_transaction_items_sum (\S+)/m.exec(metrics)?.[1] ?? NaN);
const transactions = Number(/^beacon_identify_transaction_items_count (\S+)/m.exec(metrics)?.[1] ?? NaN);
console.log(`${target}: ${Math.round(count / seconds)} req/s, p50 ${result.latency.p50} p99 ${result.latency.p99}, non2xx ${result.non2xx}, load ${os.loadavg()[0]?.toFixed(1)}`);
if (metrics) console.log(`  ${transactions} transactions, ${(sum / transactions).toFixed(1)} items each on average`);
for (const [tid, cpuSeconds] of after) {
  const used = cpuSeconds - (before.get(tid) ?? 0);
  if (used > 0) console.log(`  server thread ${String(tid).padEnd(8)}${tid === server.pid ? ' (event loop)' : ''} ${((used * 1e6) / count).toFixed(1)} µs/req`);
}
console.log(`  load generator ${((self.user + self.system) / count).toFixed(1)} µs/req; wall ${((1e6 * seconds) / count).toFixed(1)} µs/req`);
