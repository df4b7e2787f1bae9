// The short versions of `npm run bench`, `bench:soak` and `bench:shared-email` (the full ones
// take minutes and need a quiet machine): every step runs end to end, against real servers or
// stores, SQLite and PostgreSQL, and the reports say what a reader needs. No timing and no
// memory figure is asserted here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from '../cli/cli-harness.js';
import { TEST_DATABASE_URL } from '../support/stores.js';

const dir = mkdtempSync(join(os.tmpdir(), 'beacon-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database of its own, next to the suite's (the bench drops and re-creates it). */
function benchDatabaseUrl(): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${url.pathname.slice(1)}_bench_smoke`;
  return url.toString();
}

function runScript(script: string, args: string[], env: Record<string, string> = {}) {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, BEACON_BENCH_DATABASE_URL: benchDatabaseUrl(), ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
}

it('npm run bench, smoke size: identify, bulk and the hot path on SQLite and PostgreSQL, every call answered and read back', async () => {
  const out = join(dir, 'results.md');
  await runScript('bench/run.ts', ['--smoke', '--out', out]);
  const report = readFileSync(out, 'utf8');
  for (const target of ['bare fastify', 'beacon sqlite', 'beacon postgres']) {
    expect(report).toMatch(new RegExp(`\\| ${target} \\| 1 \\| 600 \\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| 0 \\| 0 \\|`));
  }
  // What the servers acknowledged is there: the sampled read-back finds every customer.
  expect(report.match(/\| 200\/200 \|/g)).toHaveLength(2);
  for (const target of ['raw sqlite store', 'beacon sqlite bulk', 'raw postgres store', 'beacon postgres bulk']) {
    expect(report).toMatch(new RegExp(`\\| ${target} \\| 1 \\| 3,000 \\| [\\d,]+ \\| [\\d.]+ \\| 0 \\|`));
  }
  expect(report).toMatch(/\| identify beacon sqlite \/ bare req\/s \| \d+\.\d\d \| ≥ 0\.8 \| (yes|\*\*no\*\*) \|/);
  expect(report).toMatch(/\| Beacon server peak RSS \(MB\) \| \d+ \| ≤ 200 \|/);
  expect(report).toMatch(/## Where the time goes/);
}, 300_000);

it('npm run bench:soak, a few seconds: RSS samples over the run, the flatness verdict and zero errors', async () => {
  const out = join(dir, 'soak.md');
  const { stdout } = await runScript('bench/soak.ts', ['--seconds', '6', '--out', out]);
  const report = readFileSync(out, 'utf8');
  expect(stdout).toContain(report);
  expect(report).toMatch(/\| peak RSS \(MB\) \| \d+ \| ≤ 200 \| (yes|\*\*no\*\*) \|/);
  expect(report).toMatch(/\| growth between those windows \(MB\) \| -?[\d.]+ \| ≤ 10 \| (yes|\*\*no\*\*) \|/);
  expect(report).toMatch(/\| non-2xx \+ errors \| 0 \| 0 \| yes \|/);
  const newCustomers = Number(/([\d,]+) new customers/.exec(report)?.[1]?.replace(/,/g, ''));
  expect(newCustomers).toBeGreaterThan(100);
  expect(report).toMatch(/[1-9][\d,]* returning; [1-9]\d* bulk calls/);
  // Samples every 2 s: the first, some in between, the last.
  expect(report.match(/^\| \d+ \| \d+\.\d \| \d+\.\d \/ \d+\.\d \|$/gm)?.length).toBeGreaterThanOrEqual(3);
}, 120_000);

it('npm run bench:shared-email, small: both stores answer every call with a shared and with an own address', async () => {
  // Any failed identify call makes the script exit non-zero, which fails this test.
  const { stdout } = await runScript('bench/shared-email.ts', [], { BENCH_SHARED: '300', BENCH_CALLS: '200' });
  expect(stdout).toContain('Identify with an email held by 300 profiles vs by one, 200 calls');
  for (const store of ['sqlite', 'postgres']) {
    expect(stdout).toMatch(new RegExp(`\\| ${store} \\| [\\d,]+ / [\\d,]+ \\| [\\d,]+ / [\\d,]+ \\| \\d+\\.\\d\\d \\|`));
  }
}, 120_000);
