// `npm run bench:soak`: is Beacon's memory flat under sustained load? One `beacon serve` takes
// identify calls as fast as autocannon sends them for 5 minutes (new customers and returning
// ones, whose attributes change), plus a 1,000-item bulk call and a read every few seconds,
// while its RSS is sampled. Writes bench/results-soak.md. Every bulk call brings 1,000 new
// user_ids with the same 1,000 email addresses as the last one (customerBody numbers both), so
// by the end each address is shared by ~100 profiles: until the stores stopped reading every
// profile of an email, that alone made PostgreSQL's memory climb.
//   --seconds N        length of the run (default 300)
//   --store postgres   PostgreSQL (BEACON_BENCH_DATABASE_URL, recreated) instead of a temp SQLite file
//   --out FILE         where the report goes (default bench/results-soak.md, -postgres.md for PostgreSQL)
//   --node-args "..."  flags for the server's node (diagnosis: "--trace-gc", with BEACON_BENCH_SERVER_OUT=FILE to keep its stdout)
// Flat means: the run is cut in fifths; the first (one minute of five: JIT, heap sizing, SQLite
// page cache) is settling. The mean RSS of the last fifth must be within FLAT_MB of the mean of
// the second — means of a window, since a 2-second sample swings with each GC by ±10 MB — and
// the peak must stay within the 200 MB budget. The least-squares slope after settling is shown too.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { fmt } from './format.js';
import { freshPostgres, PUBLIC_KEY, ROOT, SECRET_KEY, startBeacon, tempDb } from './servers.js';
import { customerBody } from './workload.js';

const FLAT_MB = 10;
const BUDGET_MB = 200;
const SAMPLE_MS = 2_000;

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const seconds = Number(option('seconds') ?? 300);
const nodeArgs = (option('node-args') ?? '').split(' ').filter(Boolean);
const storeKind = option('store') ?? 'sqlite';
const out = option('out') ?? join(ROOT, storeKind === 'sqlite' ? 'bench/results-soak.md' : 'bench/results-soak-postgres.md');
if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
if (storeKind !== 'sqlite' && storeKind !== 'postgres') throw new Error('--store is sqlite or postgres');
/** The settling window: the first fifth of the run (a minute of the default five). */
const settleSeconds = seconds / 5;

interface Sample {
  second: number;
  rssMb: number;
  /** The event-loop thread's V8 heap (from /metrics): committed and used, MB. */
  heapMb?: { total: number; used: number };
}

const mb = (bytes: number) => bytes / (1024 * 1024);

/** Least-squares slope of RSS over time, MB per minute. */
function slopePerMinute(samples: Sample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanX = samples.reduce((sum, s) => sum + s.second, 0) / n;
  const meanY = samples.reduce((sum, s) => sum + s.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.second - meanX) * (s.rssMb - meanY);
    den += (s.second - meanX) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

async function main(): Promise<void> {
  const database = storeKind === 'sqlite' ? tempDb() : freshPostgres();
  const server = await startBeacon(database.url, nodeArgs);
  const tag = `soak${Date.now().toString(36)}`;
  const samples: Sample[] = [];
  const started = performance.now();
  const sample = async () => {
    const entry: Sample = { second: (performance.now() - started) / 1000, rssMb: mb(server.rss()) };
    samples.push(entry);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const bytes = (name: string) => Number(new RegExp(`^beacon_process_nodejs_heap_size_${name}_bytes (\\S+)$`, 'm').exec(metrics)?.[1]);
    entry.heapMb = { total: mb(bytes('total')), used: mb(bytes('used')) };
  };
  const sampler = setInterval(() => void sample().catch(() => {}), SAMPLE_MS);
  let created = 0;
  let returning = 0;
  let bulkCalls = 0;
  /** Statuses other than 200 from the bulk calls and reads, by status. */
  const sideStatuses = new Map<number, number>();
  const sideFailed = (status: number) => sideStatuses.set(status, (sideStatuses.get(status) ?? 0) + 1);
  try {
    await sample();
    // Bulk and reads beside the identify stream, one at a time, every 3 seconds.
    let stop = false;
    const side = (async () => {
      for (let round = 0; !stop; round += 1) {
        const customers = Array.from({ length: 1000 }, (_, i) => customerBody(`${tag}b${round}`, i));
        const bulk = await fetch(`${server.url}/customers/bulk`, {
          method: 'POST',
          headers: { authorization: `Bearer ${PUBLIC_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customers }),
        });
        if (bulk.status !== 200) sideFailed(bulk.status);
        await bulk.arrayBuffer();
        bulkCalls += 1;
        const read = await fetch(`${server.url}/customers/${encodeURIComponent(`${tag}b${round}-7`)}`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
        if (read.status !== 200) sideFailed(read.status);
        await read.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    })();
    // One call in four is a returning customer whose plan and seats change.
    const result = await autocannon({
      url: `${server.url}/customers`,
      method: 'POST',
      connections: 32,
      duration: seconds,
      timeout: 30,
      headers: { authorization: `Bearer ${PUBLIC_KEY}`, 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request) => {
            if (created > 100 && (created + returning) % 4 === 3) {
              const body = customerBody(tag, (returning * 7919) % created);
              body.custom_attributes.plan = `plan-${returning % 5}`;
              body.custom_attributes.seats = returning % 100;
              returning += 1;
              return { ...request, body: JSON.stringify(body) };
            }
            return { ...request, body: JSON.stringify(customerBody(tag, created++)) };
          },
        },
      ],
    });
    stop = true;
    await side;
    await sample();
    clearInterval(sampler);
    const peakMb = mb(server.peakRss());
    const settled = samples.filter((s) => s.second >= settleSeconds);
    const meanOf = (from: number, to: number) => {
      const window = samples.filter((s) => s.second >= from && s.second <= to);
      return window.length ? window.reduce((sum, s) => sum + s.rssMb, 0) / window.length : NaN;
    };
    const earlyMb = meanOf(settleSeconds, 2 * settleSeconds);
    const lateMb = meanOf(seconds - settleSeconds, Infinity);
    const growthMb = lateMb - earlyMb;
    const slope = slopePerMinute(settled);
    const sideErrors = [...sideStatuses.values()].reduce((sum, count) => sum + count, 0);
    const non2xx = result.non2xx + sideErrors;
    const identifyStatuses = Object.entries((result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats)
      .filter(([status]) => status !== '200')
      .map(([status, stats]) => `${status} × ${fmt(stats.count)}`);
    const failures = [
      identifyStatuses.length ? `identify ${identifyStatuses.join(', ')}` : '',
      result.errors + result.timeouts ? `identify connection errors ${fmt(result.errors)}, timeouts ${fmt(result.timeouts)}` : '',
      sideStatuses.size ? `bulk/read ${[...sideStatuses].map(([status, count]) => `${status} × ${fmt(count)}`).join(', ')}` : '',
    ].filter(Boolean);
    const flat = growthMb <= FLAT_MB;
    const withinBudget = peakMb <= BUDGET_MB;
    const everyMs = Math.max(SAMPLE_MS, Math.round((seconds * 1000) / 20 / SAMPLE_MS) * SAMPLE_MS);
    const shown = samples.filter((s, i) => i === 0 || i === samples.length - 1 || Math.floor(s.second / (everyMs / 1000)) !== Math.floor((samples[i - 1] as Sample).second / (everyMs / 1000)));
    const report = [
      `# Beacon soak: memory under ${fmt(seconds)} s of sustained load`,
      '',
      `Generated by \`npm run bench:soak\` on ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ` +
        `load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}. Store: ${storeKind}, Beacon defaults (durable commits, ${process.env.LOG_LEVEL ?? 'info'} logging to ${process.env.BEACON_BENCH_SERVER_OUT ?? '/dev/null'}, rate limit off)` +
        `${nodeArgs.length ? `, node ${nodeArgs.join(' ')}` : ''}.`,
      'Load: autocannon, 32 connections, POST /customers as fast as answered (three calls in four a new customer, one in four a returning customer whose attributes change), ' +
        'plus one 1,000-item POST /customers/bulk (new user_ids, the same 1,000 emails every time) and one GET /customers/:id every 3 s. RSS sampled every 2 s from /proc.',
      '',
      '| measure | this run | target | met |',
      '| --- | --- | --- | --- |',
      `| peak RSS (MB) | ${fmt(peakMb)} | ≤ ${BUDGET_MB} | ${withinBudget ? 'yes' : '**no**'} |`,
      `| mean RSS, ${fmt(settleSeconds)}–${fmt(2 * settleSeconds)} s → last ${fmt(settleSeconds)} s (MB) | ${fmt(earlyMb, 1)} → ${fmt(lateMb, 1)} | — | — |`,
      `| growth between those windows (MB) | ${fmt(growthMb, 1)} | ≤ ${FLAT_MB} | ${flat ? 'yes' : '**no**'} |`,
      `| RSS slope after ${fmt(settleSeconds)} s (MB/min) | ${fmt(slope, 2)} | — | — |`,
      `| non-2xx + errors | ${fmt(non2xx + result.errors + result.timeouts)} | 0 | ${non2xx + result.errors + result.timeouts === 0 ? 'yes' : '**no**'} |`,
      '',
      ...(failures.length ? [`Failures: ${failures.join('; ')}.`, ''] : []),
      `Identify calls: ${fmt(result.requests.total)} (${fmt(result.requests.average)} req/s on average, p99 ${result.latency.p99} ms); ` +
        `${fmt(created)} new customers, ${fmt(returning)} returning; ${fmt(bulkCalls)} bulk calls (${fmt(bulkCalls * 1000)} customers).`,
      '',
      '| second | RSS MB | event-loop heap MB, committed / used |',
      '| --- | --- | --- |',
      ...shown.map((s) => `| ${fmt(s.second)} | ${fmt(s.rssMb, 1)} | ${s.heapMb ? `${fmt(s.heapMb.total, 1)} / ${fmt(s.heapMb.used, 1)}` : '—'} |`),
      '',
    ].join('\n');
    writeFileSync(out, report);
    process.stdout.write(`${report}\nwrote ${out}\n`);
  } finally {
    clearInterval(sampler);
    await server.stop();
    database.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
