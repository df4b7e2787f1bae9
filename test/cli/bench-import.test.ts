// The short version of `npm run bench:import` (the full one imports 1,000,000 rows): the script
// runs end to end and prints both measurements and their ratio. No timing is asserted.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { ROOT } from './cli-harness.js';

it('bench:import runs on a small file and reports rows/s, peak RSS and the ratio', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-import.ts'), '--rows', '2000'], {
    cwd: ROOT,
  });
  expect(stdout).toMatch(/raw store upserts \(1,000\/tx\): [\d,]+ rows\/s, peak RSS \d+ MB/);
  expect(stdout).toMatch(/beacon import \(CLI\): +[\d,]+ rows\/s, peak RSS \d+ MB/);
  expect(stdout).toMatch(/ratio CLI \/ raw: \d+\.\d\d/);
}, 120_000);
