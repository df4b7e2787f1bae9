// npm run bench:import — generate an N-row CSV (default 1,000,000), import it with the real CLI
// (`node dist/main.js import`) into a fresh SQLite file, and compare with the raw store doing the
// same upserts in-process (pre-built rows, no parsing, no validation: the ceiling).
// Prints rows/s and peak RSS of both and the ratio. Usage: tsx scripts/bench-import.ts [--rows N]
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CustomerChanges } from '../src/customers/merge.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Torvalds'];

interface Result {
  rows: number;
  seconds: number;
  rows_per_second: number;
  peak_rss_mb: number;
}

function row(i: number): string[] {
  const phone = `+1415${String(2000000 + (i % 7999999)).padStart(7, '0')}`;
  return [
    `u${i}`,
    `user${i}@example.com`,
    `${FIRST[i % FIRST.length]} ${LAST[(i >> 3) % LAST.length]}`,
    phone,
    String(1_500_000_000 + (i % 100_000_000)),
    PLANS[i % PLANS.length] as string,
    i % 3 === 0 ? 'true' : 'false',
    String(i % 1000),
  ];
}

async function generate(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  let buffer = 'user_id,email,name,phone,signed_up_at,plan,paid,score\n';
  for (let i = 0; i < rows; i += 1) {
    buffer += row(i).join(',') + '\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/** The ceiling: the same upserts, built directly from the file's fields, straight into the store. */
async function rawChild(file: string, db: string): Promise<void> {
  const store = openSqliteStore(db);
  const project = await store.projects.create({ name: 'default', now: 1_700_000_000 });
  const started = performance.now();
  let batch: CustomerChanges[] = [];
  let rows = 0;
  const flush = async () => {
    await store.customers.identify({ projectId: project.id, items: batch, now: Math.floor(Date.now() / 1000), sessionTimeout: 1800 });
    batch = [];
  };
  let header = true;
  for await (const line of createInterface({ input: createReadStream(file, { highWaterMark: 256 * 1024 }), crlfDelay: Infinity })) {
    if (header) {
      header = false;
      continue;
    }
    const [userId, email, name, phone, signedUpAt, plan, paid, score] = line.split(',') as string[];
    const space = (name as string).indexOf(' ');
    batch.push({
      userId,
      email,
      firstName: (name as string).slice(0, space),
      lastName: (name as string).slice(space + 1),
      phone,
      signedUpAt: Number(signedUpAt),
      attributes: { plan: plan as string, paid: paid === 'true', score: Number(score) },
      updateSession: false,
    });
    rows += 1;
    if (batch.length === 1000) await flush();
  }
  if (batch.length > 0) await flush();
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  const result: Result = { rows, seconds, rows_per_second: Math.round(rows / seconds), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function runCli(file: string, db: string): Promise<Result & { wall_seconds: number }> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'dist/main.js'), 'import', file, '--json', '--quiet'], {
    env: { ...process.env, DATABASE_URL: `sqlite:${db}`, LOG_LEVEL: 'silent' },
    maxBuffer: 1 << 20,
  });
  const summary = JSON.parse(stdout) as Result & { stored: number; rejected: number };
  if (summary.rejected !== 0) throw new Error(`the CLI rejected ${summary.rejected} generated rows`);
  return { ...summary, wall_seconds: (performance.now() - started) / 1000 };
}

async function runRaw(file: string, db: string): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--raw-child', file, db], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`raw run failed with status ${code}`);
  return JSON.parse(stdout) as Result;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--raw-child') return rawChild(args[1] as string, args[2] as string);
  const rowsArg = args.indexOf('--rows');
  const rows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : 1_000_000;
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error('--rows takes a positive integer');

  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-import-'));
  try {
    const file = join(dir, 'customers.csv');
    process.stdout.write(`Generating ${rows.toLocaleString('en-US')} rows… `);
    await generate(file, rows);
    process.stdout.write(`${(statSync(file).size / 1e6).toFixed(1)} MB\n`);

    // A/B/A/B-style: raw, CLI, each on a fresh database; the machine is shared, so run both twice.
    const raw: Result[] = [];
    const cli: (Result & { wall_seconds: number })[] = [];
    for (let round = 0; round < 2; round += 1) {
      raw.push(await runRaw(file, join(dir, `raw-${round}.sqlite`)));
      cli.push(await runCli(file, join(dir, `cli-${round}.sqlite`)));
      rmSync(join(dir, `raw-${round}.sqlite`), { force: true });
      rmSync(join(dir, `cli-${round}.sqlite`), { force: true });
    }
    const best = <T extends Result>(results: T[]) => results.reduce((a, b) => (b.rows_per_second > a.rows_per_second ? b : a));
    const r = best(raw);
    const c = best(cli);
    const fmt = (n: number) => n.toLocaleString('en-US');
    process.stdout.write(
      [
        '',
        `rows: ${fmt(rows)} (best of 2 runs each, fresh SQLite file each run)`,
        `raw store upserts (1,000/tx): ${fmt(r.rows_per_second)} rows/s, peak RSS ${r.peak_rss_mb} MB`,
        `beacon import (CLI):          ${fmt(c.rows_per_second)} rows/s, peak RSS ${c.peak_rss_mb} MB (wall incl. start-up ${c.wall_seconds.toFixed(1)}s)`,
        `ratio CLI / raw: ${(c.rows_per_second / r.rows_per_second).toFixed(2)}`,
        `all runs — raw: ${raw.map((x) => fmt(x.rows_per_second)).join(', ')}; cli: ${cli.map((x) => fmt(x.rows_per_second)).join(', ')}`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-import: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
