// `npm run bench`: Beacon against its limits, side by side, A/B/A/B in one run on one machine.
//   1. Identify: autocannon against a bare Fastify server (parse + envelope, stores nothing) and
//      against Beacon POST /customers (durable SQLite, then PostgreSQL when built).
//   2. Bulk: 1,000-item POST /customers/bulk calls against the raw store doing the same upserts
//      in-process without HTTP.
//   3. Peak RSS of every server process; a hot-path breakdown of one identify call.
// Prints a table and writes bench/results.md. `--quick` runs a smaller version.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fireBodies } from './load.js';
import { fmt } from './format.js';
import { cpuPerRequest, freshPostgres, PG_URL, PUBLIC_KEY, ROOT, SECRET_KEY, startBare, startBeacon, tempDb, threadCpuSeconds, type RunningServer } from './servers.js';
import { customerBody, customerChanges } from './workload.js';
import { openStore } from '../src/store/open-store.js';
import { measureHotPath, type HotPath } from './hot-path.js';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
/** The short version inside `npm test`: every step runs, on a few hundred calls. */
const SMOKE = args.includes('--smoke');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
const SETTINGS = SMOKE
  ? { identifyRequests: 600, bulkCustomers: 3_000, bulkItems: 1_000, rounds: 1, connections: 16, warmup: 100, hotPathSamples: 300 }
  : {
      identifyRequests: QUICK ? 10_000 : 100_000,
      bulkCustomers: QUICK ? 20_000 : 200_000,
      bulkItems: 1_000,
      rounds: QUICK ? 1 : 2,
      connections: 64,
      warmup: QUICK ? 1_000 : 3_000,
      hotPathSamples: QUICK ? 5_000 : 20_000,
    };
const PG_BUILT = existsSync(join(ROOT, 'src/store/postgres'));

interface IdentifyResult {
  target: string;
  round: number;
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  peakRssMb: number;
  rssStartMb: number;
  rssEndMb: number;
  /** Sampled read-back of what was acknowledged (Beacon only): found / sampled. */
  readBack?: string;
  /** CPU per request: the server's event loop, its other threads (SQLite writer, pg, GC helpers), the load generator. */
  cpu: { mainUs: number; othersUs: number; loadUs: number };
}

interface BulkResult {
  target: string;
  round: number;
  customers: number;
  perSec: number;
  seconds: number;
  non2xx: number;
  peakRssMb?: number;
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

let runCounter = 0;
const runTag = (label: string) => `${label}${(runCounter += 1)}x${Date.now().toString(36)}`;

function fire(url: string, bodies: string[]) {
  return fireBodies({ url: `${url}/customers`, key: PUBLIC_KEY, bodies, connections: SETTINGS.connections });
}

async function readBack(url: string, userIds: string[]): Promise<string> {
  const sample = Array.from({ length: 200 }, (_, i) => userIds[Math.floor((i * userIds.length) / 200)] as string);
  let found = 0;
  for (const userId of sample) {
    const response = await fetch(`${url}/customers/${encodeURIComponent(userId)}`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
    if (response.ok) found += 1;
    await response.arrayBuffer();
  }
  return `${found}/${sample.length}`;
}

async function identifyRun(target: string, round: number, start: () => Promise<RunningServer>, verify: boolean): Promise<IdentifyResult> {
  const server = await start();
  try {
    const warm = runTag('warm');
    await fire(server.url, Array.from({ length: SETTINGS.warmup }, (_, i) => JSON.stringify(customerBody(warm, i))));
    const tag = runTag('id');
    const bodies = Array.from({ length: SETTINGS.identifyRequests }, (_, i) => JSON.stringify(customerBody(tag, i)));
    const rssStart = server.rss();
    const threadsBefore = threadCpuSeconds(server.pid);
    const loadBefore = process.cpuUsage();
    const { result, seconds } = await fire(server.url, bodies);
    const load = process.cpuUsage(loadBefore);
    const serverCpu = cpuPerRequest(server.pid, threadsBefore, threadCpuSeconds(server.pid), bodies.length);
    const rssEnd = server.rss();
    const completed = result.requests.total;
    return {
      target,
      round,
      requests: completed,
      reqPerSec: completed / seconds,
      cpu: { ...serverCpu, loadUs: (load.user + load.system) / bodies.length },
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      peakRssMb: mb(server.peakRss()),
      rssStartMb: mb(rssStart),
      rssEndMb: mb(rssEnd),
      readBack: verify ? await readBack(server.url, bodies.map((_, i) => `${tag}-${i}`)) : undefined,
    };
  } finally {
    await server.stop();
  }
}

function bulkBodies(tag: string, count: number): string[] {
  const bodies: string[] = [];
  for (let start = 0; start < count; start += SETTINGS.bulkItems) {
    const customers = Array.from({ length: Math.min(SETTINGS.bulkItems, count - start) }, (_, j) => customerBody(tag, start + j));
    bodies.push(JSON.stringify({ customers }));
  }
  return bodies;
}

async function bulkHttpRun(target: string, round: number, databaseUrl: string): Promise<BulkResult> {
  const server = await startBeacon(databaseUrl);
  try {
    const send = async (bodies: string[]) => {
      let non2xx = 0;
      let next = 0;
      // Two calls in flight: one being parsed while the other is written.
      const worker = async () => {
        for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) {
          const response = await fetch(`${server.url}/customers/bulk`, {
            method: 'POST',
            headers: { authorization: `Bearer ${PUBLIC_KEY}`, 'content-type': 'application/json' },
            body,
          });
          if (response.status !== 200) non2xx += 1;
          await response.arrayBuffer();
        }
      };
      await Promise.all([worker(), worker()]);
      return non2xx;
    };
    await send(bulkBodies(runTag('warm'), 10 * SETTINGS.bulkItems));
    const bodies = bulkBodies(runTag('bulk'), SETTINGS.bulkCustomers);
    const started = process.hrtime.bigint();
    const non2xx = await send(bodies);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { target, round, customers: SETTINGS.bulkCustomers, perSec: SETTINGS.bulkCustomers / seconds, seconds, non2xx, peakRssMb: mb(server.peakRss()) };
  } finally {
    await server.stop();
  }
}

async function bulkRawRun(target: string, round: number, databaseUrl: string): Promise<BulkResult> {
  const store = await openStore(databaseUrl);
  try {
    const project = (await store.projects.findByName('bench')) ?? (await store.projects.create({ name: 'bench', now: 1 }));
    const batches = (tag: string, count: number) => {
      const out = [];
      for (let start = 0; start < count; start += SETTINGS.bulkItems) {
        out.push(Array.from({ length: Math.min(SETTINGS.bulkItems, count - start) }, (_, j) => customerChanges(customerBody(tag, start + j))));
      }
      return out;
    };
    const write = async (items: ReturnType<typeof batches>) => {
      for (const batch of items) {
        await store.customers.identify({ projectId: project.id, items: batch, now: Math.floor(Date.now() / 1000), sessionTimeout: 1800 });
      }
    };
    await write(batches(runTag('warm'), 10 * SETTINGS.bulkItems));
    const prepared = batches(runTag('raw'), SETTINGS.bulkCustomers);
    const started = process.hrtime.bigint();
    await write(prepared);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { target, round, customers: SETTINGS.bulkCustomers, perSec: SETTINGS.bulkCustomers / seconds, seconds, non2xx: 0 };
  } finally {
    await store.close();
  }
}

function identifyTable(results: IdentifyResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.target} | ${r.round} | ${fmt(r.requests)} | ${fmt(r.reqPerSec)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.non2xx} | ${r.errors} | ${r.peakRssMb} | ${r.rssStartMb} → ${r.rssEndMb} | ${r.readBack ?? '—'} | ${fmt(r.cpu.mainUs)} / ${fmt(r.cpu.othersUs)} / ${fmt(r.cpu.loadUs)} |`,
  );
  return [
    '| target | round | requests | req/s | p50 ms | p99 ms | non-2xx | errors | peak RSS MB | RSS MB start → end | read-back | CPU µs/request: event loop / other server threads / load generator |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function bulkTable(results: BulkResult[]): string {
  return [
    '| target | round | customers | customers/s | seconds | non-2xx | peak RSS MB |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.target} | ${r.round} | ${fmt(r.customers)} | ${fmt(r.perSec)} | ${fmt(r.seconds, 2)} | ${r.non2xx} | ${r.peakRssMb ?? '—'} |`),
  ].join('\n');
}

interface Verdict {
  what: string;
  measured: string;
  target: string;
  met: boolean;
}

function verdicts(identify: IdentifyResult[], bulk: BulkResult[]): Verdict[] {
  const of = (target: string) => identify.filter((r) => r.target === target);
  const bare = of('bare fastify');
  const out: Verdict[] = [];
  const bareRps = median(bare.map((r) => r.reqPerSec));
  const bareP99 = median(bare.map((r) => r.p99));
  for (const [target, minRatio, p99Factor] of [
    ['beacon sqlite', 0.8, 2],
    ['beacon postgres', 0.6, undefined],
  ] as const) {
    const rows = of(target);
    if (rows.length === 0) continue;
    const ratio = median(rows.map((r) => r.reqPerSec)) / bareRps;
    out.push({ what: `identify ${target} / bare req/s`, measured: fmt(ratio, 2), target: `≥ ${minRatio}`, met: ratio >= minRatio });
    if (p99Factor) {
      const p99 = median(rows.map((r) => r.p99)) / bareP99;
      out.push({ what: `identify ${target} p99 / bare p99`, measured: fmt(p99, 2), target: `≤ ${p99Factor}`, met: p99 <= p99Factor });
    }
    const bad = rows.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
    out.push({ what: `identify ${target} non-2xx + errors`, measured: String(bad), target: '0', met: bad === 0 });
  }
  for (const engine of ['sqlite', 'postgres']) {
    const http = bulk.filter((r) => r.target === `beacon ${engine} bulk`);
    const raw = bulk.filter((r) => r.target === `raw ${engine} store`);
    if (http.length === 0 || raw.length === 0) continue;
    const ratio = median(http.map((r) => r.perSec)) / median(raw.map((r) => r.perSec));
    out.push({ what: `bulk ${engine}: beacon / raw store customers/s`, measured: fmt(ratio, 2), target: '≥ 0.7', met: ratio >= 0.7 });
  }
  const peak = Math.max(...identify.filter((r) => r.target.startsWith('beacon')).map((r) => r.peakRssMb), ...bulk.map((r) => r.peakRssMb ?? 0));
  out.push({ what: 'Beacon server peak RSS (MB)', measured: String(peak), target: '≤ 200', met: peak <= 200 });
  return out;
}

function verdictTable(rows: Verdict[]): string {
  return ['| measure | this run | target | met |', '| --- | --- | --- | --- |', ...rows.map((v) => `| ${v.what} | ${v.measured} | ${v.target} | ${v.met ? 'yes' : '**no**'} |`)].join('\n');
}

function hotPathTable(hot: HotPath, bareRps: number): string {
  const bareUs = 1e6 / bareRps;
  return [
    '| step (one identify call, realistic body) | µs | share of bare request |',
    '| --- | --- | --- |',
    `| bare Fastify request (1 / bare req/s in this run; includes the load generator sharing the CPU) | ${fmt(bareUs, 1)} | 100% |`,
    ...hot.steps.map((s) => `| ${s.name} | ${fmt(s.us, 1)} | ${fmt((100 * s.us) / bareUs, 0)}% |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const identify: IdentifyResult[] = [];
  const bulk: BulkResult[] = [];
  const log = (line: string) => process.stdout.write(line + '\n');
  log(`Beacon benchmark${QUICK ? ' (quick)' : ''}: ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  log(`PostgreSQL store: ${PG_BUILT ? 'built, included' : 'not built on this branch, skipped'}`);

  for (let round = 1; round <= SETTINGS.rounds; round += 1) {
    log(`identify round ${round}: bare fastify…`);
    identify.push(await identifyRun('bare fastify', round, startBare, false));
    log(`identify round ${round}: beacon sqlite…`);
    const db = tempDb();
    try {
      identify.push(await identifyRun('beacon sqlite', round, () => startBeacon(db.url), true));
    } finally {
      db.cleanup();
    }
    if (PG_BUILT) {
      log(`identify round ${round}: beacon postgres…`);
      const pg = freshPostgres();
      identify.push(await identifyRun('beacon postgres', round, () => startBeacon(pg.url), true));
    }
  }
  for (let round = 1; round <= SETTINGS.rounds; round += 1) {
    for (const engine of PG_BUILT ? ['sqlite', 'postgres'] : ['sqlite']) {
      log(`bulk round ${round}: raw ${engine} store…`);
      const rawDb = engine === 'sqlite' ? tempDb() : freshPostgres();
      try {
        bulk.push(await bulkRawRun(`raw ${engine} store`, round, rawDb.url));
      } finally {
        rawDb.cleanup();
      }
      log(`bulk round ${round}: beacon ${engine} bulk…`);
      const httpDb = engine === 'sqlite' ? tempDb() : freshPostgres();
      try {
        bulk.push(await bulkHttpRun(`beacon ${engine} bulk`, round, httpDb.url));
      } finally {
        httpDb.cleanup();
      }
    }
  }
  log('hot path breakdown…');
  const hot = await measureHotPath({ samples: SETTINGS.hotPathSamples });

  const bareRps = median(identify.filter((r) => r.target === 'bare fastify').map((r) => r.reqPerSec));
  const report = [
    `# Beacon benchmark results${SMOKE ? ' (smoke run: every step, too few calls to measure anything)' : QUICK ? ' (quick run)' : ''}`,
    '',
    `Generated by \`${SMOKE ? 'tsx bench/run.ts --smoke' : `npm run bench${QUICK ? ':quick' : ''}`}\` on ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ` +
      `Node ${process.version}, load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; took ${fmt((Date.now() - started) / 1000)} s.`,
    `Identify: autocannon, ${SETTINGS.connections} connections, ${fmt(SETTINGS.identifyRequests)} distinct customers per run ` +
      `(after ${fmt(SETTINGS.warmup)} warm-up calls), targets alternated A/B per round, ${SETTINGS.rounds} round(s); Beacon runs with its ` +
      'defaults (SQLite WAL with the WAL synced after each commit before its 200 — an fdatasync by the writer thread, see sqlite-writer.ts —, PostgreSQL synchronous_commit=on: every 200 is durable; info logging to /dev/null; rate limit off, see bench/run.ts), ' +
      'each run on a fresh database.',
    `Bulk: ${fmt(SETTINGS.bulkCustomers)} customers as ${fmt(SETTINGS.bulkItems)}-item POST /customers/bulk calls (2 in flight) vs the raw store ` +
      'doing the same upserts in-process from already-normalised items (the limit).',
    `PostgreSQL: ${PG_BUILT ? `included (${PG_URL.replace(/\/\/[^@]*@/, '//…@')})` : 'the PostgreSQL store (src/store/postgres/) is not on this branch yet, so there are no PostgreSQL rows.'}`,
    '',
    '## Verdict (ratios from this run)',
    '',
    verdictTable(verdicts(identify, bulk)),
    '',
    '## Identify',
    '',
    identifyTable(identify),
    '',
    '## Bulk',
    '',
    bulkTable(bulk),
    '',
    '## Where the time goes',
    '',
    hotPathTable(hot, bareRps),
    '',
    ...hot.notes,
    '',
  ].join('\n');
  const out = OUT ?? join(ROOT, 'bench', QUICK ? 'results-quick.md' : 'results.md');
  writeFileSync(out, report);
  log('');
  log(verdictTable(verdicts(identify, bulk)));
  log('');
  log(identifyTable(identify));
  log('');
  log(bulkTable(bulk));
  log('');
  log(hotPathTable(hot, bareRps));
  log(`\nwrote ${out}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
