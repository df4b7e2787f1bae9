// Starts the servers under test as real child processes and watches their memory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const PUBLIC_KEY = 'pk_bench_public_0123456789abcdef';
export const SECRET_KEY = 'sk_bench_secret_0123456789abcdef';
export const PG_URL = process.env.BEACON_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/beacon_test_speed';

export interface RunningServer {
  url: string;
  pid: number;
  /** Peak resident set size so far (kernel VmHWM), bytes. */
  peakRss(): number;
  /** Current resident set size, bytes. */
  rss(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function waitUntilUp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not answer /healthz within 30 s: ${stderr()}`);
}

export async function startServer(input: { args: string[]; env?: Record<string, string> }): Promise<RunningServer> {
  const port = await freePort();
  const outFile = process.env.BEACON_BENCH_SERVER_OUT;
  const out = outFile ? openSync(outFile, 'a') : 'ignore';
  const child = spawn(process.execPath, input.args, {
    env: { ...process.env, ...input.env, PORT: String(port), HOST: '127.0.0.1' },
    // Beacon logs one line per request to stdout, as deployed; /dev/null takes it, unless
    // BEACON_BENCH_SERVER_OUT names a file to keep it in (diagnosis: node's --trace-gc goes there).
    stdio: ['ignore', out, 'pipe'],
  });
  if (typeof out === 'number') closeSync(out); // the child has its own copy
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString('utf8')).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url, child, () => errors);
  const pid = child.pid as number;
  let lastPeak = 0;
  return {
    url,
    pid,
    peakRss: () => (lastPeak = Math.max(lastPeak, statusField(pid, 'VmHWM'))),
    rss: () => statusField(pid, 'VmRSS'),
    async stop() {
      lastPeak = Math.max(lastPeak, statusField(pid, 'VmHWM'));
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU seconds used so far by each thread of a process (Linux /proc), by thread id. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, in clock ticks of 10 ms
    }
  } catch {
    // the process or a thread went away
  }
  return out;
}

/** µs of CPU per request on the main thread (tid = pid) and on all other threads together. */
export function cpuPerRequest(pid: number, before: Map<number, number>, after: Map<number, number>, requests: number) {
  let main = 0;
  let others = 0;
  for (const [tid, seconds] of after) {
    const used = seconds - (before.get(tid) ?? 0);
    if (tid === pid) main += used;
    else others += used;
  }
  return { mainUs: (main * 1e6) / requests, othersUs: (others * 1e6) / requests };
}

/** `beacon serve` (the built dist/main.js) on `databaseUrl`, with the bench keys; `nodeArgs` go to node (probes: --cpu-prof, --trace-gc). */
export function startBeacon(databaseUrl: string, nodeArgs: readonly string[] = []): Promise<RunningServer> {
  return startServer({
    args: [...nodeArgs, join(ROOT, 'dist/main.js'), 'serve'],
    // One key at 10k+ req/s is far over the per-key rate limit (1,000/s): the benchmarks measure
    // identify itself, so the limiter is off here and any non-2xx still fails the verdict.
    env: { DATABASE_URL: databaseUrl, BEACON_PUBLIC_KEY: PUBLIC_KEY, BEACON_SECRET_KEY: SECRET_KEY, BEACON_RATE_LIMIT: '0' },
  });
}

/** The bare-HTTP baseline (bench/bare-server.ts): parses the body, answers the envelope, stores nothing. */
export function startBare(): Promise<RunningServer> {
  return startServer({ args: ['--import', 'tsx', join(ROOT, 'bench/bare-server.ts')] });
}

/** A SQLite database in a fresh temp directory. */
export function tempDb(): { url: string; cleanup: () => void } {
  const dir = mkdtempSync(join(os.tmpdir(), 'beacon-bench-'));
  return { url: `sqlite:${join(dir, 'beacon.sqlite')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Drops and re-creates the PostgreSQL bench database (its name must contain "test"), so every run starts empty. */
export function freshPostgres(url = PG_URL): { url: string; cleanup: () => void } {
  const parsed = new URL(url);
  const name = parsed.pathname.slice(1);
  if (!name.includes('test')) throw new Error(`refusing to recreate database "${name}": its name does not contain "test"`);
  const cli = ['-h', parsed.hostname, '-p', parsed.port || '5432', '-U', decodeURIComponent(parsed.username || 'postgres')];
  execFileSync('dropdb', [...cli, '--if-exists', '--force', name], { stdio: 'inherit' });
  execFileSync('createdb', [...cli, name], { stdio: 'inherit' });
  return { url, cleanup: () => {} };
}
