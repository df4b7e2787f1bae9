// `tsx bench/cpu-probe.ts [bare|sqlite|postgres] [requests]`: one identify run with per-thread CPU
// accounting (from /proc), to see which thread is the bottleneck. A diagnostic, not the benchmark.
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fireBodies } from './load.js';
import { startServer } from './servers.js';
import { customerBody } from './workload.js';

const ROOT = new URL('..', import.meta.url).pathname;
const target = process.argv[2] ?? 'sqlite';
const count = Number(process.argv[3] ?? 30_000);
const KEY = 'pk_bench_public_0123456789abcdef';
const TICK = 100; // clock ticks per second on Linux

function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const label = `${name}#${tid}`;
    out.set(label, (out.get(label) ?? 0) + ticks);
  }
  return out;
}

const fire = (url: string, bodies: string[]) => fireBodies({ url: `${url}/customers`, key: KEY, bodies, connections: 64 });

const dir = mkdtempSync(join(os.tmpdir(), 'beacon-probe-'));
const databaseUrl = target === 'postgres' ? (process.env.PROBE_PG ?? 'postgres://postgres@127.0.0.1:5432/beacon_test_probe') : `sqlite:${join(dir, 'b.sqlite')}`;
const server = await startServer(
  target === 'bare'
    ? { args: ['--import', 'tsx', join(ROOT, 'bench/bare-server.ts')] }
    : {
        args: [...(process.env.PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean), join(ROOT, 'dist/main.js'), 'serve'],
        env: { DATABASE_URL: databaseUrl, BEACON_PUBLIC_KEY: KEY, BEACON_SECRET_KEY: 'sk_bench_secret_0123456789abcdef', BEACON_RATE_LIMIT: '0' },
      },
);
const tag = `p${Date.now().toString(36)}`;
await fire(server.url, Array.from({ length: 2000 }, (_, i) => JSON.stringify(customerBody(`${tag}w`, i))));
const bodies = Array.from({ length: count }, (_, i) => JSON.stringify(customerBody(tag, i)));
const before = threads(server.pid);
const selfBefore = process.cpuUsage();
const { result, seconds } = await fire(server.url, bodies);
const self = process.cpuUsage(selfBefore);
const after = threads(server.pid);
const metrics = target === 'bare' ? '' : await (await fetch(`${server.url}/metrics`)).text();
await server.stop();
const sum = Number(/^beacon_identify_transaction_items_sum (\S+)/m.exec(metrics)?.[1] ?? NaN);
const transactions = Number(/^beacon_identify_transaction_items_count (\S+)/m.exec(metrics)?.[1] ?? NaN);
if (metrics) console.log(`  ${transactions} transactions, ${(sum / transactions).toFixed(1)} items each on average`);
console.log(`${target}: ${Math.round(count / seconds)} req/s, p50 ${result.latency.p50} p99 ${result.latency.p99}, non2xx ${result.non2xx}, load ${os.loadavg()[0]?.toFixed(1)}`);
const perReq = (ticks: number) => ((ticks / TICK) * 1e6) / count;
for (const [name, ticks] of after) {
  const used = ticks - (before.get(name) ?? 0);
  if (used > 0) console.log(`  server ${name.padEnd(16)} ${perReq(used).toFixed(1)} µs/req`);
}
console.log(`  load generator       ${(((self.user + self.system) / count)).toFixed(1)} µs/req; wall ${(1e6 * seconds / count).toFixed(1)} µs/req`);
